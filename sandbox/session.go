package sandbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/sandbox/amqpuri"
	"github.com/warrenmq/warren/sandbox/routing"
)

// Options configure a Session.
type Options struct {
	// Label names the broker in status lines and reports: "embedded", or
	// empty to use the URL with its password masked.
	Label string
	// ConnectionName is shown in RabbitMQ's management UI.
	ConnectionName string
	// Reconnect makes a lost connection retry with backoff and redeclare the
	// topology (the TUI). Without it a lost connection ends the Session with
	// an EventError, EventState(Disconnected) and EventState(Closed) (warren run).
	Reconnect bool
	// EventBuffer is the size of the Events channel (default 1024).
	EventBuffer int
	// DialTimeout bounds the TCP connect and AMQP handshake (default 10s).
	DialTimeout time.Duration
	// TLS configures an amqps:// URL's TLS (the CA to trust, a client
	// certificate); nil uses the system's roots.
	TLS *tls.Config
}

// ConsumerInfo is a snapshot of one consumer.
type ConsumerInfo struct {
	Spec    ConsumerSpec
	State   ConsumerState
	Unacked []Delivery // held by a ManualAck consumer, oldest first
}

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("sandbox: the session is closed")

// ErrDisconnected is returned by calls made, or waiting, while the
// connection to the broker is lost.
var ErrDisconnected = errors.New("sandbox: the connection to the broker was lost")

// Reconnect backoff bounds.
const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 5 * time.Second
)

// Session is one connection to a broker and everything declared through it.
type Session struct {
	url    string
	opt    Options
	broker string

	events     chan Event
	eventsMu   sync.RWMutex // guards eventsDone against a send on a closed channel
	eventsDone bool
	dropped    atomic.Int64

	mu        sync.Mutex // guards the fields below
	state     ConnState
	ln        *link // nil while disconnected
	topo      routing.Topology
	created   map[string]bool // "queue:q"/"exchange:x" -> declared by us (true) or there before (false)
	consumers map[string]*consumer
	order     []string // consumer names, in start order
	product   string
	version   string
	closed    bool
	hold      chan struct{} // while set, reconnecting waits for it to close (Restart)
	back      chan struct{} // closed at the next successful reconnect (Restart)

	seen      *seenLog
	sentinels sync.Map // sentinel message id -> chan struct{} closed when consumed
	sentSeq   atomic.Uint64

	stop      chan struct{}   // closed by Close
	life      context.Context // cancelled by Close: bounds reconnect attempts
	endLife   context.CancelFunc
	closeOnce sync.Once
	wg        sync.WaitGroup // every goroutine the Session starts
}

// link is one AMQP connection and the channels the Session keeps on it.
// A reconnect makes a new link; anything waiting on the old one returns when
// its dead channel closes.
type link struct {
	s    *Session
	conn *amqp.Connection
	raw  net.Conn      // the socket, kept so tests can cut it
	dead chan struct{} // closed when the connection is gone
	once sync.Once

	pubMu sync.Mutex // one publish at a time: sequence numbers stay ours
	pub   *publisher // reopened when a channel error (404 on publish) closed it

	adminMu sync.Mutex
	admin   *amqp.Channel // declarations and passive queue.declare; reopened after a channel error
}

// Dial connects to the broker at url. The returned Session has emitted
// EventState(Connected); read its Events. A url that is not an AMQP URL
// is refused at once with an error wrapping amqpuri.ErrInvalid.
func Dial(ctx context.Context, url string, opt Options) (*Session, error) {
	if opt.EventBuffer <= 0 {
		opt.EventBuffer = 1024
	}
	if opt.DialTimeout <= 0 {
		opt.DialTimeout = 10 * time.Second
	}
	s := &Session{
		url:       url,
		opt:       opt,
		broker:    opt.Label,
		events:    make(chan Event, opt.EventBuffer),
		state:     Connecting,
		consumers: map[string]*consumer{},
		created:   map[string]bool{},
		seen:      newSeenLog(4096),
		stop:      make(chan struct{}),
	}
	s.life, s.endLife = context.WithCancel(context.Background())
	if s.broker == "" {
		s.broker = amqpuri.Mask(url)
	}
	if err := amqpuri.Validate(url); err != nil {
		s.endLife()
		return nil, fmt.Errorf("cannot connect to %s: %w", amqpuri.Mask(url), err)
	}
	s.emit(Event{Kind: EventState, State: Connecting, Note: "connecting to " + s.broker})
	l, err := s.connect(ctx)
	if err != nil {
		s.endLife()
		return nil, err
	}
	s.mu.Lock()
	s.ln = l
	s.state = Connected
	s.mu.Unlock()
	s.emit(Event{Kind: EventState, State: Connected, Note: fmt.Sprintf("connected to %s (%s %s)", s.broker, s.product, s.version)})
	return s, nil
}

// connect dials and opens the publisher channel (confirm mode) and starts
// the goroutines that watch the new link.
func (s *Session) connect(ctx context.Context) (*link, error) {
	var raw net.Conn
	var rawMu sync.Mutex
	cfg := amqp.Config{
		Heartbeat:  10 * time.Second,
		Properties: amqp.NewConnectionProperties(),
		Dial: func(network, addr string) (net.Conn, error) {
			d := net.Dialer{Timeout: s.opt.DialTimeout}
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// The handshake has no context of its own: bound it, amqp091-go
			// clears the deadline once the connection is open.
			deadline := time.Now().Add(s.opt.DialTimeout)
			if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
				deadline = d
			}
			_ = c.SetDeadline(deadline)
			rawMu.Lock()
			raw = c
			rawMu.Unlock()
			return c, nil
		},
	}
	cfg.TLSClientConfig = s.opt.TLS // amqp091-go wraps an amqps:// connection with it
	name := s.opt.ConnectionName
	if name == "" {
		name = "warren"
	}
	cfg.Properties.SetClientConnectionName(name)
	conn, err := amqp.DialConfig(s.url, cfg)
	var ae *amqp.Error
	if errors.As(err, &ae) && ae != nil && (ae.Code == amqp.FrameError || errors.Is(err, amqp.ErrClosed)) {
		// The handshake failed below AMQP: something else listens there
		// (HTTP, the management UI, TLS) or nothing answers. amqp091-go's
		// words ("frame size exceeds negotiated frame_max", "i/o timeout",
		// or, when its reader has already given up on the garbage,
		// "channel/connection is not open") do not say the fix, which is
		// nearly always the port.
		return nil, fmt.Errorf("cannot connect to %s: the server did not answer as an AMQP 0-9-1 broker (%s); check the port: RabbitMQ takes AMQP on 5672 (amqps on 5671), 15672 is its management UI", s.broker, ae.Reason)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot connect to %s: %w", s.broker, describe(err))
	}
	if p, ok := conn.Properties["product"].(string); ok {
		s.mu.Lock()
		s.product = p
		s.mu.Unlock()
	}
	if v, ok := conn.Properties["version"].(string); ok {
		s.mu.Lock()
		s.version = v
		s.mu.Unlock()
	}
	rawMu.Lock()
	l := &link{s: s, conn: conn, raw: raw, dead: make(chan struct{})}
	rawMu.Unlock()

	if _, err := l.publisher(); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("cannot open the publisher channel on %s: %w", s.broker, err)
	}
	connClosed := conn.NotifyClose(make(chan *amqp.Error, 1))
	s.wg.Add(1)
	go s.watch(l, connClosed)
	return l, nil
}

// watch waits for the link's connection to end. It owns the reconnect loop:
// a lost connection becomes EventError + EventState(Disconnected), then
// either a reconnect (Options.Reconnect) or EventState(Closed).
func (s *Session) watch(l *link, connClosed chan *amqp.Error) {
	defer s.wg.Done()
	e, ok := <-connClosed
	l.kill()
	if !ok || e == nil {
		return // closed by us: Close, or a reconnect attempt abandoned
	}
	s.lost(l, e)
	if !s.opt.Reconnect {
		s.setState(Closed, "connection lost; not reconnecting")
		return
	}
	s.reconnect()
}

// lost records that link l is gone.
func (s *Session) lost(l *link, cause *amqp.Error) {
	s.mu.Lock()
	if s.ln == l {
		s.ln = nil
	}
	closed := s.closed
	for _, c := range s.consumers {
		c.unacked = nil // the broker requeues them with the connection
	}
	s.mu.Unlock()
	if closed {
		return
	}
	s.emit(Event{Kind: EventError, Err: fmt.Errorf("connection to %s lost: %w", s.broker, describe(cause))})
	s.setState(Disconnected, "connection lost")
}

// reconnect retries with a capped exponential backoff until it succeeds or
// the Session is closed, then redeclares the topology and restarts the
// consumers that were running.
func (s *Session) reconnect() {
	delay := backoffMin
	for {
		select {
		case <-s.stop:
			return
		case <-time.After(delay):
		}
		s.mu.Lock()
		hold := s.hold
		s.mu.Unlock()
		if hold != nil {
			// Restart is looking at what survived: declaring the topology
			// now would hide a queue that is gone
			select {
			case <-s.stop:
				return
			case <-hold:
			}
		}
		ctx, cancel := context.WithTimeout(s.life, s.opt.DialTimeout)
		l, err := s.connect(ctx)
		if err == nil {
			err = s.restore(ctx, l)
			if err != nil {
				_ = l.conn.Close()
			}
		}
		cancel()
		if err == nil || errors.Is(err, ErrClosed) {
			return
		}
		s.emit(Event{Kind: EventError, Err: fmt.Errorf("reconnect failed (next try in %s): %w", min(delay*2, backoffMax), err)})
		delay = min(delay*2, backoffMax)
	}
}

// restore makes l the current link: topology redeclared, running consumers
// restarted on it.
func (s *Session) restore(ctx context.Context, l *link) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	topo := s.topo
	s.mu.Unlock()
	if err := s.declareOn(ctx, l, topo); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		// Close ran meanwhile and could not see this link: drop it here.
		s.mu.Unlock()
		return ErrClosed
	}
	s.ln = l
	var restart []*consumer
	for _, name := range s.order {
		c := s.consumers[name]
		c.ch = nil
		if c.state == ConsumerRunning {
			restart = append(restart, c)
		}
	}
	s.mu.Unlock()
	restarted := 0
	for _, c := range restart {
		// Under the consumer's op lock, and only if it is still running and
		// still ours: a Pause, Crash or Stop pressed during the reconnect
		// must not be undone by it.
		c.op.Lock()
		s.mu.Lock()
		still := c.state == ConsumerRunning && s.consumers[c.spec.Name] == c
		s.mu.Unlock()
		if still {
			if err := s.openAndConsume(ctx, l, c); err != nil {
				s.emit(Event{Kind: EventError, Consumer: c.spec.Name, Err: fmt.Errorf("consumer %s not restarted: %w", c.spec.Name, err)})
			} else {
				restarted++
			}
		}
		c.op.Unlock()
	}
	s.setState(Connected, fmt.Sprintf("reconnected to %s; topology redeclared, %d consumer(s) restarted", s.broker, restarted))
	s.mu.Lock()
	if s.back != nil {
		close(s.back)
		s.back = nil
	}
	s.mu.Unlock()
	return nil
}

// fail describes an error met on the link: ErrDisconnected when the
// connection is gone (whatever amqp091-go said), else the broker's words.
func (l *link) fail(err error) error {
	if l.conn.IsClosed() {
		return ErrDisconnected
	}
	return describe(err)
}

// kill marks the link dead, failing everything that waits on it.
func (l *link) kill() {
	l.once.Do(func() { close(l.dead) })
}

func (s *Session) setState(st ConnState, note string) {
	s.mu.Lock()
	if s.closed && st != Closed {
		s.mu.Unlock()
		return
	}
	s.state = st
	s.mu.Unlock()
	s.emit(Event{Kind: EventState, State: st, Note: note})
}

// current returns the live link, or why there is none.
func (s *Session) current() (*link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if s.ln == nil {
		return nil, ErrDisconnected
	}
	return s.ln, nil
}

// emit hands an event to the caller without ever blocking: when the Events
// buffer is full the event is counted in Dropped instead, so a slow reader
// can never stall the goroutines that drain amqp091-go.
func (s *Session) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	s.eventsMu.RLock()
	defer s.eventsMu.RUnlock()
	if s.eventsDone {
		return
	}
	select {
	case s.events <- e:
	default:
		s.dropped.Add(1)
	}
}

// Events is the stream of everything the Session observes, in order. It is
// closed after Close, following a final EventState(Closed).
func (s *Session) Events() <-chan Event { return s.events }

// Dropped is the number of events discarded because the Events buffer was
// full (the reader fell behind).
func (s *Session) Dropped() int64 { return s.dropped.Load() }

// Broker is Options.Label, or the URL with its password masked.
func (s *Session) Broker() string { return s.broker }

// ServerProduct is the broker's "product" server property ("RabbitMQ").
func (s *Session) ServerProduct() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.product
}

// ServerVersion is the broker's "version" server property ("3.10.8").
func (s *Session) ServerVersion() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// State is the connection's state now.
func (s *Session) State() ConnState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Close stops the consumers and the connection, waits for every goroutine
// of the Session to end, emits EventState(Closed) and closes Events. It does
// not delete what was declared: call Reset first for that.
func (s *Session) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		l := s.ln
		s.ln = nil
		s.state = Closed
		s.mu.Unlock()
		close(s.stop)
		s.endLife()
		if l != nil {
			err = l.conn.Close()
			if errors.Is(err, amqp.ErrClosed) {
				err = nil
			}
			l.kill()
		}
		s.wg.Wait()
		s.emit(Event{Kind: EventState, State: Closed, Note: "session closed"})
		s.eventsMu.Lock()
		s.eventsDone = true
		close(s.events)
		s.eventsMu.Unlock()
	})
	return err
}

// describe turns amqp091-go's errors into RabbitMQ's wording:
// "404 NOT_FOUND - no queue 'q' in vhost '/'".
func describe(err error) error {
	var ae *amqp.Error
	if errors.As(err, &ae) && ae != nil {
		if ae.Code == 0 {
			return errors.New(ae.Reason)
		}
		return &BrokerError{Code: ae.Code, Reason: ae.Reason}
	}
	if err == nil {
		return errors.New("closed")
	}
	return err
}

// BrokerError is an error the broker reported, with RabbitMQ's reply code
// and text.
type BrokerError struct {
	Code   int    // 404, 406, 503...
	Reason string // "NOT_FOUND - no queue 'q' in vhost '/'"
}

func (e *BrokerError) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Reason) }
