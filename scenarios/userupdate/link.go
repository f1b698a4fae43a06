package userupdate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/sandbox/amqpuri"
)

// link keeps one AMQP connection up: it dials with backoff until the broker
// accepts, runs a session on the connection, and dials again when the
// connection is lost, until its ctx ends. A service has one link.
//
// Reconnection is done here rather than with amqp091-go's experimental
// Config.Recovery so that every step (dial, declare, consume) is explicit
// and reported, which is the point of the demo.
type link struct {
	url        string
	em         emitter
	backoffMin time.Duration
	backoffMax time.Duration
	connected  atomic.Bool
}

// setupTimeout bounds the declarations at the start of a session, and
// closeTimeout the wait for the broker's connection.close-ok.
const (
	setupTimeout = 30 * time.Second
	closeTimeout = 2 * time.Second
)

// sessionFunc runs on one connection until the connection is lost (or ctx
// ends) and returns why it stopped. It must return once ctx is done.
type sessionFunc func(ctx context.Context, conn *amqp.Connection) error

func (l *link) run(ctx context.Context, session sessionFunc) {
	delay := l.backoffMin
	wait := func() bool {
		t := time.NewTimer(delay)
		defer t.Stop()
		delay = min(delay*2, l.backoffMax)
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	for ctx.Err() == nil {
		l.em.emit(Event{Kind: EventState, Note: "connecting to " + amqpuri.Mask(l.url)})
		conn, err := amqp.DialConfig(l.url, amqp.Config{
			Heartbeat:  10 * time.Second,
			Locale:     "en_US",
			Properties: amqp.Table{"connection_name": "warren " + l.em.service},
			Dial:       dialer(ctx),
		})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// An unparseable URL's error quotes it, password and all.
			why := amqpuri.MaskIn(err.Error(), l.url)
			note := fmt.Sprintf("the broker at %s is not reachable (%s); retrying in %v", amqpuri.Mask(l.url), why, delay)
			var ae *amqp.Error
			if errors.As(err, &ae) && ae.Code == amqp.AccessRefused {
				// Reachable, but the login was refused: the fix is the
				// URL's credentials, not the network. Retry all the same
				// (the user may be created after the service starts).
				note = fmt.Sprintf("the broker at %s refused the login (%d %s): check the user and password in --url; retrying in %v", amqpuri.Mask(l.url), ae.Code, ae.Reason, delay)
			}
			l.em.emit(Event{Kind: EventState, Note: note})
			if !wait() {
				return
			}
			continue
		}
		closed := conn.NotifyClose(make(chan *amqp.Error, 1))
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- session(sctx, conn) }()

		why := l.watch(ctx, closed, done)
		l.connected.Store(false)
		cancel()
		// With a deadline: Close waits for close-ok, which a broker that
		// stopped answering never sends. Closing also unblocks the
		// session's channel calls.
		_ = conn.CloseDeadline(time.Now().Add(closeTimeout))
		<-done
		if ctx.Err() != nil {
			l.em.emit(Event{Kind: EventState, Note: "closed"})
			return
		}
		l.em.emit(Event{Kind: EventState, Note: "disconnected (" + why + "); reconnecting in " + delay.String()})
		if !wait() {
			return
		}
	}
}

// watch waits for the end of a session and says why it ended ("" when
// ctx ended). A broker that accepts the connection but never answers a
// declaration would hold the session forever (amqp091-go has no per-call
// timeout), so a session not set up within setupTimeout is given up.
func (l *link) watch(ctx context.Context, closed <-chan *amqp.Error, done chan error) string {
	setup := time.NewTimer(setupTimeout)
	defer setup.Stop()
	setupC := setup.C
	for {
		select {
		case <-ctx.Done():
			return ""
		case <-setupC:
			if !l.connected.Load() {
				return fmt.Sprintf("the broker did not answer the declarations within %v", setupTimeout)
			}
			setupC = nil
		case amqpErr := <-closed:
			if amqpErr != nil {
				return "connection lost: " + amqpErr.Error()
			}
			return "connection lost"
		case err := <-done:
			done <- err // for run, which waits for the session
			if err != nil {
				return "session ended: " + err.Error()
			}
			return "session ended"
		}
	}
}

// up marks the link connected and resets nothing else: called by a session
// once its topology is declared and its consumers run.
func (l *link) up() {
	l.connected.Store(true)
	l.em.emit(Event{Kind: EventState, Note: "connected to " + amqpuri.Mask(l.url)})
}

// dialer is amqp091-go's dial with a short timeout that also gives up when
// ctx ends, so Close never waits on a 30-second handshake deadline.
func dialer(ctx context.Context) func(network, addr string) (net.Conn, error) {
	return func(network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: 5 * time.Second}
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		// The AMQP handshake must finish within this; amqp091-go clears
		// the deadline once the connection is open.
		if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			conn.Close()
			return nil, err
		}
		return conn, nil
	}
}

// errClosed reports that a channel or connection went away under a worker.
var errClosed = errors.New("channel closed")

// closeWhenDone closes c when ctx ends, so that blocking amqp091-go calls
// made with c return; stop releases the watcher.
func closeWhenDone(ctx context.Context, c interface{ Close() error }) (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
			_ = c.Close()
		case <-quit:
		}
	}()
	return func() { close(quit); <-done }
}

// redeclareEvery calls declare every interval (WithTopologyRecheck) until
// ctx ends. Declarations are idempotent; this repairs what someone else
// deleted meanwhile (a scenario player that deletes the exchange user_updates
// on exit takes every binding to it along), which RabbitMQ does not tell a
// client about. It runs in its own goroutine, owned by the session that
// started it.
func redeclareEvery(ctx context.Context, interval time.Duration, em emitter, declare func() error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := declare(); err != nil && ctx.Err() == nil {
				em.emit(Event{Kind: EventError, Err: fmt.Errorf("declare the topology again: %w", err)})
			}
		}
	}
}

// lifecycle runs a service's link loop at most once and stops it at most
// once: the Start/Close contract both services share.
type lifecycle struct {
	service string // "user service", for errors
	mu      sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// start runs l.run(ctx, session) on a goroutine the lifecycle owns.
func (lc *lifecycle) start(ctx context.Context, l *link, session sessionFunc) error {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.closed {
		return errors.New(lc.service + ": Start after Close")
	}
	if lc.started {
		return errors.New(lc.service + ": already started")
	}
	lc.started = true
	ctx, lc.cancel = context.WithCancel(ctx)
	lc.wg.Add(1)
	go func() {
		defer lc.wg.Done()
		l.run(ctx, session)
	}()
	return nil
}

// stop cancels the loop and waits for it. It reports false when the
// lifecycle was already stopped, so Close stays idempotent.
func (lc *lifecycle) stop() bool {
	lc.mu.Lock()
	if lc.closed {
		lc.mu.Unlock()
		return false
	}
	lc.closed = true
	if lc.cancel != nil {
		lc.cancel()
	}
	lc.mu.Unlock()
	lc.wg.Wait()
	return true
}
