package broker

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warrenmq/warren/sandbox/broker/clock"
	"github.com/warrenmq/warren/sandbox/definitions"
)

// Product and Version are what the broker says it is in connection.start's
// server properties. Version names the RabbitMQ semantics it follows, so a
// client (or a test) that reads it expects RabbitMQ 4.x's answers.
const (
	Product = "Warren"
	Version = "4.1.0-warren"
)

// Options configure a Server. The zero value is a loopback broker on an
// ephemeral port with the user guest:guest and the vhost "/".
type Options struct {
	// Listen is the TCP address to listen on; "127.0.0.1:0" by default
	// (port 0: an ephemeral port, see Addr).
	Listen string
	// Users maps user names to passwords; {"guest": "guest"} by default.
	// As in RabbitMQ, "guest" may only connect from a loopback address.
	Users map[string]string
	// VHosts are the virtual hosts; {"/"} by default. The users of Users
	// are administrators with every permission on every one of them (a
	// sandbox's default); for finer access give Definitions, or use
	// PutUser and SetPermission (access.go).
	VHosts []string
	// Definitions, when set, are loaded at New as RabbitMQ loads a
	// definitions file at boot: users (with their hashes and tags),
	// vhosts, permissions, exchanges, queues and bindings. Users and
	// VHosts are added to them; guest:guest is added only when neither
	// names a user.
	Definitions *definitions.Definitions
	// TLS, when set, makes the broker also serve amqps (AMQP inside TLS)
	// on TLSListen, "127.0.0.1:5671" by default (tls.go). It needs a
	// certificate.
	TLS       *tls.Config
	TLSListen string
	// Logger receives connection and error events; slog's discard handler
	// by default.
	Logger *slog.Logger
	// MemoryHighWatermark is the number of bytes of message bodies held in
	// queues above which publishing connections are blocked
	// (connection.blocked); 0 means no limit.
	MemoryHighWatermark int64
	// VMMemoryHighWatermark is RabbitMQ's vm_memory_high_watermark: the
	// process's memory use above which publishers are blocked too. A
	// value in (0, 1) is a fraction of the memory limit (the cgroup's
	// limit, else the RAM: see MemoryLimit), 1 or more an absolute number
	// of bytes; 0 is the default, DefaultVMMemoryHighWatermark (0.4);
	// negative turns the alarm off.
	VMMemoryHighWatermark float64
	// DataDir, when set, is where durable exchanges, queues and bindings
	// and the persistent messages of durable queues are kept, so that they
	// survive a restart (persist.go). Empty: nothing touches the disk.
	DataDir string
	// Clock is where the broker reads the time and sets its timers:
	// message TTLs (x-message-ttl, expiration), x-expires, the consumer
	// timeout, at-least-once dead-lettering's retries, stream retention
	// by x-max-age and the x-death times. clock.Real when nil; a test
	// gives a *clock.Virtual to move time by hand. Heartbeats, the
	// handshake's and close-ok's timeouts and flow control's stall
	// detection stay on the wall clock: they are about the network and
	// the peer, which runs in real time.
	Clock clock.Clock
	// ConsumerTimeout is RabbitMQ's consumer_timeout: a channel whose
	// oldest unacknowledged delivery is older than this is closed with
	// 406 PRECONDITION_FAILED (its deliveries go back to their queues),
	// unless the delivery's queue sets its own x-consumer-timeout. 0 is
	// RabbitMQ's default, 30 minutes; negative: no timeout. As in
	// RabbitMQ, it is checked once a minute (consumer_timeout.go).
	ConsumerTimeout time.Duration
	// OnMessage, when set, is told what happens to every message
	// (observe.go): for a test library's message history. It is called
	// under the broker's locks and must return quickly.
	OnMessage func(MessageEvent)
	// Version is the RabbitMQ version whose behaviour to follow where
	// 3.13 and 4.x differ (version.go): "" is 4.x (Version); "3.13.7"
	// (any 3.x) gives a quorum queue no default x-delivery-limit and
	// drops the CC header of a message dead-lettered with
	// x-dead-letter-routing-key, as 3.x did. connection.start says it.
	Version string
}

// Server is an embedded AMQP 0-9-1 broker.
type Server struct {
	opts Options
	log  *slog.Logger

	accessMu sync.Mutex                  // serialises changes to access
	access   atomic.Pointer[accessState] // users, vhosts, permissions (access.go)
	kept     exportable                  // guarded by accessMu (definitions.go)

	mu       sync.Mutex
	ln       net.Listener
	tlsLn    net.Listener // amqps (tls.go); nil without TLS
	conns    map[*conn]struct{}
	started  bool
	shutdown bool
	ready    chan struct{}
	wg       sync.WaitGroup // every goroutine the server starts

	memBytes  atomic.Int64 // bodies held in queues (ready and unacked)
	memAlarm  atomic.Bool
	alarmMu   sync.Mutex
	unblocked chan struct{} // closed when the memory alarm clears
	nextConn  atomic.Uint64
	flow      flowMarks   // publisher flow control thresholds (flow.go)
	clock     clock.Clock // Options.Clock: every TTL and timeout (see there)
	onMessage func(MessageEvent)
	// failure injection (inject.go)
	injectNacks atomic.Int64
	forcedBlock atomic.Bool
	blockReason atomic.Pointer[string] // BlockPublishers' reason
	nextMsgID   atomic.Uint64          // message ids for onMessage
	v3          bool                   // Options.Version is a 3.x
	disk        *diskState             // the data directory; nil without Options.DataDir
	restored    *memoryImage           // what Restart keeps without a data directory, for Start

	vmWatermark int64         // bytes; 0: no process memory alarm (memory.go)
	vmOver      atomic.Bool   // the process uses more than vmWatermark
	vmUsed      atomic.Int64  // its use at the last look
	memStop     chan struct{} // stops the memory monitor
}

// now is the broker's time (Options.Clock).
func (s *Server) now() time.Time { return s.clock.Now() }

// nowNano is now in unix nanoseconds, as expiry times are kept.
func (s *Server) nowNano() int64 { return s.clock.Now().UnixNano() }

// New validates the options and returns a Server that is not yet listening.
func New(opts Options) (*Server, error) {
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if len(opts.Users) == 0 && (opts.Definitions == nil || len(opts.Definitions.Users) == 0) {
		opts.Users = map[string]string{"guest": "guest"}
	}
	if len(opts.VHosts) == 0 && (opts.Definitions == nil || len(opts.Definitions.VHosts) == 0) {
		opts.VHosts = []string{"/"}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real
	}
	if opts.MemoryHighWatermark < 0 {
		return nil, fmt.Errorf("broker: MemoryHighWatermark %d is negative: use 0 for no limit", opts.MemoryHighWatermark)
	}
	s := &Server{
		opts:      opts,
		log:       opts.Logger,
		conns:     map[*conn]struct{}{},
		ready:     make(chan struct{}),
		unblocked: make(chan struct{}),
		flow:      defaultFlowMarks(),
		clock:     opts.Clock,
		onMessage: opts.OnMessage,
		v3:        strings.HasPrefix(opts.Version, "3."),
	}
	close(s.unblocked)
	s.access.Store(&accessState{users: map[string]*userEntry{}, vhosts: map[string]*vhost{}, perms: map[permKey]*permEntry{}})
	if err := s.loadInitial(); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	return s, nil
}

// Start is New, then Server.Start, then ReadyForConnections: the one way
// Warren's commands and tests start an embedded broker. With the zero
// Options it listens on an ephemeral loopback port with the user guest;
// URL says where. The caller stops it with Shutdown.
func Start(opts Options) (*Server, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	if !s.ReadyForConnections(5 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("broker: listening on %s but not ready for connections within 5s", s.Addr())
	}
	return s, nil
}

// Start listens and accepts connections in the background; it does not
// block. It fails when the address cannot be listened on.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return errors.New("broker: Start after Shutdown")
	}
	if s.started {
		return errors.New("broker: already started")
	}
	// the data directory is read without s.mu: recovering a long queue
	// may raise the memory alarm, which takes it
	s.started = true
	s.mu.Unlock()
	err := s.openDisk()
	if img := s.restored; err == nil && img != nil {
		s.restored = nil
		s.restoreImage(img) // restart.go: what a disk would have held
	}
	s.mu.Lock()
	if err == nil && s.shutdown {
		s.closeDisk()
		err = errors.New("broker: Shutdown during Start")
	}
	if err != nil {
		s.started = false
		s.disk = nil
		return err
	}
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		s.closeDisk()
		s.disk = nil
		return fmt.Errorf("broker: listen on %s: %w", s.opts.Listen, err)
	}
	s.ln = ln
	if err := s.startTLS(); err != nil {
		ln.Close()
		s.ln = nil
		s.closeDisk()
		s.disk = nil
		s.started = false
		return err
	}
	s.started = true
	var how string
	s.vmWatermark, how = vmWatermark(s.opts.VMMemoryHighWatermark)
	if s.vmWatermark > 0 {
		s.memStop = make(chan struct{})
		s.wg.Add(1)
		go s.memoryMonitor(s.memStop)
	}
	s.log.Info("memory high watermark", "bytes", s.vmWatermark, "set", how)
	s.wg.Add(1)
	go s.acceptLoop(ln)
	close(s.ready)
	s.log.Info("broker listening", "addr", ln.Addr().String())
	return nil
}

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isShutdown() {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// out of file descriptors and the like: back off rather than spin
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "err", err, "in", delay)
				time.Sleep(delay)
				continue
			}
			s.log.Error("accept failed; no longer accepting connections", "err", err)
			return
		}
		delay = 0
		if !s.serveConn(nc) {
			return
		}
	}
}

// serveConn starts the reader and writer of an accepted connection. It
// reports false (and closes nc) once the server is shutting down.
func (s *Server) serveConn(nc net.Conn) bool {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		nc.Close()
		return false
	}
	c := newConn(s, nc)
	s.conns[c] = struct{}{}
	s.wg.Add(2) // reader and writer
	s.mu.Unlock()
	go c.writeLoop()
	go c.serve()
	return true
}

func (s *Server) isShutdown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shutdown
}

// Addr is the address the server listens on (nil before Start).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// URL is an amqp:// URL for the first user (alphabetically) and the first
// vhost, e.g. amqp://guest:guest@127.0.0.1:PORT/.
func (s *Server) URL() string {
	addr := s.Addr()
	if addr == nil {
		return ""
	}
	u := url.URL{Scheme: "amqp", User: s.urlUser(), Host: addr.String(), Path: "/"}
	if vh := s.firstVHost(); vh != "/" {
		u.Path = "/" + url.PathEscape(vh)
		u.RawPath = u.Path
	}
	return u.String()
}

// ReadyForConnections reports whether the server is accepting connections,
// waiting up to d for Start to happen.
func (s *Server) ReadyForConnections(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	s.mu.Lock()
	ready := s.ready // Restart makes a new one
	s.mu.Unlock()
	select {
	case <-ready:
		return !s.isShutdown()
	case <-t.C:
		return false
	}
}

// Shutdown closes the listener and every connection (CONNECTION_FORCED) and
// waits for every goroutine of the server to end. It may be called more
// than once, and before Start.
func (s *Server) Shutdown() {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		s.wg.Wait()
		return
	}
	s.shutdown = true
	if s.tlsLn != nil {
		s.tlsLn.Close()
	}
	if s.ln != nil {
		s.ln.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.forceClose(320, "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'")
	}
	for _, v := range s.access.Load().vhosts {
		v.stopTimers()
		v.stopTracing()
	}
	if s.memStop != nil {
		close(s.memStop)
	}
	s.wg.Wait()
	s.closeDisk()
	s.log.Info("broker stopped")
}

// connList returns the connections, in no order.
func (s *Server) connList() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		l = append(l, c)
	}
	return l
}

func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// goTimer runs f after d on the broker's clock unless the server has
// shut down; the callback is counted in the server's WaitGroup so
// Shutdown waits for it.
func (s *Server) goTimer(d time.Duration, f func()) clock.Timer {
	return s.clock.AfterFunc(d, func() {
		s.mu.Lock()
		if s.shutdown {
			s.mu.Unlock()
			return
		}
		s.wg.Add(1)
		s.mu.Unlock()
		defer s.wg.Done()
		f()
	})
}

// memAdd accounts bodies entering (n > 0) or leaving (n < 0) queues and
// raises or clears the memory alarm.
func (s *Server) memAdd(n int64) {
	total := s.memBytes.Add(n)
	hw := s.opts.MemoryHighWatermark
	if hw == 0 {
		return
	}
	if over := total > hw || s.vmOver.Load() || s.forcedBlock.Load(); over != s.memAlarm.Load() {
		s.setAlarm(over)
	}
}

// alarmWanted reports whether either watermark is exceeded: the bodies
// held (Options.MemoryHighWatermark) or the process's memory (memory.go).
func (s *Server) alarmWanted() bool {
	hw := s.opts.MemoryHighWatermark
	return (hw > 0 && s.memBytes.Load() > hw) || s.vmOver.Load() || s.forcedBlock.Load()
}

func (s *Server) setAlarm(on bool) {
	s.alarmMu.Lock()
	defer s.alarmMu.Unlock()
	if s.alarmWanted() != on || s.memAlarm.Load() == on {
		return
	}
	s.memAlarm.Store(on)
	if on {
		s.unblocked = make(chan struct{})
		s.log.Warn("memory high watermark exceeded: blocking publishers", "message_bytes", s.memBytes.Load(), "watermark", s.opts.MemoryHighWatermark,
			"process_bytes", s.vmUsed.Load(), "vm_watermark", s.vmWatermark)
	} else {
		close(s.unblocked)
		s.log.Info("memory alarm cleared: unblocking publishers")
	}
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	if on {
		return // publishers learn it when they next publish (waitIfBlocked)
	}
	for _, c := range conns {
		c.notifyBlocked(false) // only those told they were blocked hear it
	}
}

func (s *Server) unblockedChan() chan struct{} {
	s.alarmMu.Lock()
	defer s.alarmMu.Unlock()
	return s.unblocked
}
