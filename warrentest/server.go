package warrentest

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/warrenmq/warren/sandbox/broker"
	"github.com/warrenmq/warren/sandbox/broker/clock"
	"github.com/warrenmq/warren/sandbox/broker/management"
)

// settleTimeout bounds how long a state method waits for the broker to
// handle what clients have already sent (Server.Sync).
const settleTimeout = 2 * time.Second

// Server is a Warren broker for a test: a real AMQP 0-9-1 server on a
// loopback port, with its state open to the test. Its methods are safe
// from any goroutine. The methods of the embedded *VHost act on the first
// vhost; VHost(name) gives the others.
type Server struct {
	*VHost

	cfg     config
	clock   *clock.Virtual
	history *history
	tempDir string // removed by Close (Run with WithPersistence)

	mu     sync.Mutex
	b      *broker.Server
	mgmt   *management.Server
	addr   string
	mgAddr string
	closed bool
}

// RunT starts a Server for t and shuts it down when t ends (t.Cleanup).
// It fails t when the broker cannot start. Safe with t.Parallel: each
// Server has its own port, clock and state.
func RunT(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := newConfig(opts)
	if cfg.persist && cfg.dataDir == "" {
		cfg.dataDir = t.TempDir()
	}
	s, err := start(cfg)
	if err != nil {
		t.Fatalf("warrentest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Run starts a Server; the caller stops it with Close.
func Run(opts ...Option) (*Server, error) {
	cfg := newConfig(opts)
	var temp string
	if cfg.persist && cfg.dataDir == "" {
		dir, err := os.MkdirTemp("", "warrentest-")
		if err != nil {
			return nil, fmt.Errorf("warrentest: a data directory: %w", err)
		}
		cfg.dataDir, temp = dir, dir
	}
	s, err := start(cfg)
	if err != nil {
		if temp != "" {
			os.RemoveAll(temp)
		}
		return nil, fmt.Errorf("warrentest: %w", err)
	}
	s.tempDir = temp
	return s, nil
}

func newConfig(opts []Option) config {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.start.IsZero() {
		cfg.start = time.Now()
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

func start(cfg config) (*Server, error) {
	if _, err := brokerVersion(cfg.version); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, clock: clock.NewVirtual(cfg.start, !cfg.stopped), history: newHistory()}
	b, err := s.startBroker("127.0.0.1:0")
	if err != nil {
		s.clock.Close()
		return nil, err
	}
	s.b = b
	s.addr = b.Addr().String()
	s.VHost = &VHost{s: s, name: s.firstVHost()}
	if cfg.management {
		if err := s.startManagement("127.0.0.1:0"); err != nil {
			b.Shutdown()
			s.clock.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *Server) firstVHost() string {
	if len(s.cfg.vhosts) > 0 {
		return s.cfg.vhosts[0]
	}
	return "/"
}

// startBroker starts a broker with the Server's options on listen.
func (s *Server) startBroker(listen string) (*broker.Server, error) {
	version, _ := brokerVersion(s.cfg.version)
	users := s.cfg.users
	if len(users) == 0 {
		// given, not defaulted: a restart's definitions name guest with a
		// hash only, and URL needs the password
		users = map[string]string{"guest": "guest"}
	}
	return broker.Start(broker.Options{
		Listen:          listen,
		Users:           users,
		VHosts:          s.cfg.vhosts,
		Logger:          s.cfg.logger,
		DataDir:         s.cfg.dataDir,
		Clock:           s.clock,
		ConsumerTimeout: s.cfg.ackTimeout,
		OnMessage:       s.history.record,
		Version:         version,
		// a test's broker must not block publishers because the machine
		// running the tests is short of memory
		VMMemoryHighWatermark: -1,
	})
}

func (s *Server) startManagement(listen string) error {
	m := management.New(s.b, management.Options{Listen: listen, Logger: s.cfg.logger})
	if err := m.Start(); err != nil {
		return fmt.Errorf("management API: %w", err)
	}
	s.mgmt = m
	s.mgAddr = m.Addr().String()
	return nil
}

// Broker is the broker itself, for what this package does not wrap.
func (s *Server) Broker() *broker.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b
}

// URL is an amqp:// URL for the first user and the first vhost, e.g.
// amqp://guest:guest@127.0.0.1:PORT/. It stays the same across Restart.
func (s *Server) URL() string { return s.Broker().URL() }

// Addr is the host:port the broker listens on.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// ManagementURL is the management API's base URL
// (http://127.0.0.1:PORT), or "" without WithManagement.
func (s *Server) ManagementURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mgmt == nil {
		return ""
	}
	return "http://" + s.mgAddr
}

// Version is the RabbitMQ version whose behaviour the Server follows, as
// its connection.start says ("4.1.0-warren").
func (s *Server) Version() string {
	v, _ := brokerVersion(s.cfg.version)
	if v == "" {
		return broker.Version
	}
	return v
}

// Close shuts the broker down: every connection is closed (320
// CONNECTION_FORCED) and every goroutine ends. It may be called twice.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	b, m := s.b, s.mgmt
	s.mu.Unlock()
	if m != nil {
		m.Shutdown()
	}
	b.Shutdown()
	s.clock.Close()
	if s.tempDir != "" {
		os.RemoveAll(s.tempDir)
	}
}

// Restart stops the broker and starts it again on the same port with the
// same clock, as a restarted RabbitMQ node (broker.Server.Restart):
// connections are closed (320 CONNECTION_FORCED), exclusive, auto-delete
// (once their consumers are gone) and non-durable queues and transient
// exchanges are gone; users, vhosts and permissions, durable exchanges,
// queues and bindings stay, and so do the persistent messages of durable
// queues, in order, unacked ones back ready and redelivered. With a data
// directory (WithDataDir, WithPersistence) the broker recovers it as
// `warren broker --data-dir` does; without one it keeps in memory what
// the disk would have held, and loses the transient messages as a
// restarted node does. The management API (WithManagement) stays on its
// address.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("warrentest: Restart after Close")
	}
	if err := s.b.Restart(); err != nil {
		return fmt.Errorf("warrentest: restart: %w", err)
	}
	return nil
}

// FastForward moves the virtual clock d ahead. First it waits until the
// broker has handled what clients have already sent (Sync), so that a
// message a test just published with amqp091-go is in its queue; then it
// fires, in this goroutine and in deadline order, every timer that comes
// due on the way: message TTLs, x-expires, consumer timeouts, dead-letter
// retries, stream retention. When it returns the broker has done all of
// it (a dead-lettered message is in its dead-letter queue); what it sent
// to clients (a delivery, a channel.close) is on its way to them.
func (s *Server) FastForward(d time.Duration) {
	s.Sync()
	s.clock.Advance(d)
}

// SetTime moves the virtual clock to t, as FastForward does. The clock
// never goes back: a t before Now does nothing.
func (s *Server) SetTime(t time.Time) {
	s.Sync()
	s.clock.Set(t)
}

// Now is the broker's time: the virtual clock.
func (s *Server) Now() time.Time { return s.clock.Now() }

// Sync waits (up to 2s) until the broker has read and handled every
// frame its clients have already written to their connections. The state
// methods and Check helpers call it first, so that what a test did with
// amqp091-go just before is taken into account; call it before reading
// the broker's state through Broker().
func (s *Server) Sync() { s.Broker().Settle(settleTimeout) }

// brokerVersion maps WithVersion to the broker's Options.Version.
func brokerVersion(v string) (string, error) {
	switch v {
	case "", "4", "4.x", "4.1":
		return "", nil
	case "3.13":
		return "3.13.7", nil
	}
	return "", fmt.Errorf("WithVersion(%q): use \"4.1\" (the default) or \"3.13\"", v)
}

func joinHostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }
