package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"
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
	// VHosts are the virtual hosts; {"/"} by default.
	VHosts []string
	// Logger receives connection and error events; slog's discard handler
	// by default.
	Logger *slog.Logger
	// MemoryHighWatermark is the number of bytes of message bodies held in
	// queues above which publishing connections are blocked
	// (connection.blocked); 0 means no limit.
	MemoryHighWatermark int64
}

// Server is an embedded AMQP 0-9-1 broker.
type Server struct {
	opts   Options
	log    *slog.Logger
	vhosts map[string]*vhost

	mu       sync.Mutex
	ln       net.Listener
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
	flow      flowMarks // publisher flow control thresholds (flow.go)
}

// New validates the options and returns a Server that is not yet listening.
func New(opts Options) (*Server, error) {
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if len(opts.Users) == 0 {
		opts.Users = map[string]string{"guest": "guest"}
	}
	if len(opts.VHosts) == 0 {
		opts.VHosts = []string{"/"}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MemoryHighWatermark < 0 {
		return nil, fmt.Errorf("broker: MemoryHighWatermark %d is negative: use 0 for no limit", opts.MemoryHighWatermark)
	}
	s := &Server{
		opts:      opts,
		log:       opts.Logger,
		vhosts:    map[string]*vhost{},
		conns:     map[*conn]struct{}{},
		ready:     make(chan struct{}),
		unblocked: make(chan struct{}),
		flow:      defaultFlowMarks(),
	}
	close(s.unblocked)
	for _, name := range opts.VHosts {
		s.vhosts[name] = newVHost(s, name)
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
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("broker: listen on %s: %w", s.opts.Listen, err)
	}
	s.ln = ln
	s.started = true
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
	names := make([]string, 0, len(s.opts.Users))
	for n := range s.opts.Users {
		names = append(names, n)
	}
	sort.Strings(names)
	user := names[0]
	if _, ok := s.opts.Users["guest"]; ok {
		user = "guest"
	}
	u := url.URL{Scheme: "amqp", User: url.UserPassword(user, s.opts.Users[user]), Host: addr.String(), Path: "/"}
	if vh := s.opts.VHosts[0]; vh != "/" {
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
	select {
	case <-s.ready:
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
	for _, v := range s.vhosts {
		v.stopTimers()
	}
	s.wg.Wait()
	s.log.Info("broker stopped")
}

func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// goTimer runs f after d unless the server has shut down; the callback is
// counted in the server's WaitGroup so Shutdown waits for it.
func (s *Server) goTimer(d time.Duration, f func()) *time.Timer {
	return time.AfterFunc(d, func() {
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
	if over := total > hw; over != s.memAlarm.Load() {
		s.setAlarm(over)
	}
}

func (s *Server) setAlarm(on bool) {
	s.alarmMu.Lock()
	defer s.alarmMu.Unlock()
	over := s.memBytes.Load() > s.opts.MemoryHighWatermark
	if over != on || s.memAlarm.Load() == on {
		return
	}
	s.memAlarm.Store(on)
	if on {
		s.unblocked = make(chan struct{})
		s.log.Warn("memory high watermark exceeded: blocking publishers", "bytes", s.memBytes.Load(), "watermark", s.opts.MemoryHighWatermark)
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
