package management

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/warrenmq/warren/sandbox/broker"
	"github.com/warrenmq/warren/sandbox/broker/wire"
)

// Options configure a management Server.
type Options struct {
	// Listen is the address to serve on; "127.0.0.1:15672" by default
	// (RabbitMQ's port: on a machine with RabbitMQ's own management
	// plugin, pick another, or port 0 for an ephemeral one).
	Listen string
	// TLS, when set, serves HTTPS.
	TLS *tls.Config
	// Logger receives request errors; slog's discard handler by default.
	Logger *slog.Logger
}

// Server serves the management API of one broker.
type Server struct {
	b    *broker.Server
	opts Options
	log  *slog.Logger
	mux  *router

	mu   sync.Mutex
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

// New returns a Server for b that is not yet listening. Its Handler may
// also be mounted elsewhere (tests use httptest).
func New(b *broker.Server, opts Options) *Server {
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:15672"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{b: b, opts: opts, log: opts.Logger, mux: &router{}}
	s.routes()
	return s
}

// Start listens and serves in the background; it does not block.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return errors.New("management: already started")
	}
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("management: listen on %s: %w", s.opts.Listen, err)
	}
	if s.opts.TLS != nil {
		ln = tls.NewListener(ln, s.opts.TLS)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("management API stopped serving", "err", err)
		}
	}()
	s.log.Info("management API listening", "addr", ln.Addr().String())
	return nil
}

// Addr is the address it listens on (nil before Start).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// URL is http://ADDR (https with TLS), the base tools are given.
func (s *Server) URL() string {
	a := s.Addr()
	if a == nil {
		return ""
	}
	scheme := "http"
	if s.opts.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + a.String()
}

// Shutdown stops serving, lets requests under way finish (for up to 5
// seconds) and waits for the serving goroutine. It may be called more
// than once, and before Start.
func (s *Server) Shutdown() {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
	}
	<-done
}

// ServeHTTP authenticates the request, then routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// apiError is RabbitMQ's error body.
type apiError struct {
	status        int
	kind, reason  string
	authenticate  bool // add WWW-Authenticate (a failed login)
	allowedMethod string
}

func (e *apiError) Error() string { return e.kind + ": " + e.reason }

var (
	errNotFound      = &apiError{status: http.StatusNotFound, kind: "Object Not Found", reason: "Not Found"}
	errLoginFailed   = &apiError{status: http.StatusUnauthorized, kind: "not_authorized", reason: "Login failed", authenticate: true}
	errNotManagement = &apiError{status: http.StatusUnauthorized, kind: "not_authorised", reason: "Not management user"}
	errNotAdmin      = &apiError{status: http.StatusUnauthorized, kind: "not_authorised", reason: "Not administrator user"}
	errNoVHostAccess = &apiError{status: http.StatusUnauthorized, kind: "not_authorised", reason: "User not authorised to access virtual host"}
	errAccessRefused = &apiError{status: http.StatusUnauthorized, kind: "not_authorised", reason: "Access refused."}
)

func badRequest(reason string) *apiError {
	return &apiError{status: http.StatusBadRequest, kind: "bad_request", reason: reason}
}

// brokerError turns an error of the broker's API into RabbitMQ's answer:
// a refusal is 401 "Access refused.", a missing thing 404, the rest 400
// with the broker's words.
func brokerError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, broker.ErrNotFound) {
		return errNotFound
	}
	var we *wire.Error
	if errors.As(err, &we) {
		switch we.Code {
		case wire.AccessRefused:
			return errAccessRefused
		case wire.NotFound:
			return &apiError{status: http.StatusNotFound, kind: "not_found", reason: broker.ReplyText(we)}
		}
		return badRequest(broker.ReplyText(we))
	}
	return badRequest(err.Error())
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.authenticate {
		w.Header().Set("WWW-Authenticate", `Basic realm="RabbitMQ Management"`)
	}
	writeJSON(w, e.status, map[string]string{"error": e.kind, "reason": e.reason})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal_error","reason":"the answer could not be encoded"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	w.Write(b)
}

// caller is the authenticated user of a request.
type caller struct {
	name string
	tags []string
}

func (c caller) has(tag string) bool { return slices.Contains(c.tags, tag) }
func (c caller) admin() bool         { return c.has(broker.TagAdministrator) }

// seesAll: administrators and monitoring users see every vhost.
func (c caller) seesAll() bool { return c.admin() || c.has(broker.TagMonitoring) }

var managementTags = []string{broker.TagAdministrator, broker.TagMonitoring, broker.TagPolicymaker, broker.TagManagement}

// authenticate checks HTTP Basic credentials and the management tag.
func (s *Server) authenticate(r *http.Request) (caller, *apiError) {
	name, pass, ok := r.BasicAuth()
	if !ok {
		return caller{}, errLoginFailed
	}
	u, ok := s.b.Authenticate(name, pass)
	if !ok {
		return caller{}, errLoginFailed
	}
	if name == "guest" && !loopback(r.RemoteAddr) {
		return caller{}, errLoginFailed // RabbitMQ's loopback_users, for HTTP too
	}
	c := caller{name: u.Name, tags: u.Tags}
	if !slices.ContainsFunc(managementTags, c.has) {
		return caller{}, errNotManagement
	}
	return c, nil
}

func loopback(remote string) bool {
	h, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// canSee reports whether c may look into vhost.
func (s *Server) canSee(c caller, vhost string) bool {
	return c.seesAll() || s.b.CanOpen(c.name, vhost)
}

// visible filters a list to the vhosts c may see.
func visible[T any](s *Server, c caller, l []T, vhost func(T) string) []T {
	if c.seesAll() {
		return l
	}
	out := make([]T, 0, len(l))
	for _, e := range l {
		if s.canSee(c, vhost(e)) {
			out = append(out, e)
		}
	}
	return out
}

// handler is one endpoint: it returns the status and body to answer, or
// an error.
type handler func(c caller, r *http.Request) (int, any, error)

// need says what an endpoint needs beyond a management user.
type need int

const (
	anyUser need = iota
	adminOnly
)

func (s *Server) handle(pattern string, n need, h handler) {
	s.mux.add(pattern, func(w http.ResponseWriter, r *http.Request) {
		c, aerr := s.authenticate(r)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		if n == adminOnly && !c.admin() {
			writeError(w, errNotAdmin)
			return
		}
		status, body, err := h(c, r)
		if err != nil {
			e := brokerError(err)
			if e.status >= 500 {
				s.log.Error("management request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeError(w, e)
			return
		}
		if loc, ok := body.(locationHeader); ok {
			w.Header().Set("Location", loc.location)
			body = nil
		}
		if body == nil {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, columns(r, sortList(r, body)))
	})
}

// vhostOf reads the {vhost} path segment and checks c may see it: 404
// when it does not exist, 401 when c has no access.
func (s *Server) vhostOf(c caller, r *http.Request) (string, error) {
	vh := r.PathValue("vhost")
	if !slices.Contains(s.b.VHostNames(), vh) {
		return "", errNotFound
	}
	if !s.canSee(c, vh) {
		return "", errNoVHostAccess
	}
	return vh, nil
}

// readBody decodes a JSON request body into v; an empty body is {}.
func readBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<20))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return badRequest("not_json")
	}
	return nil
}

// columns keeps only the fields ?columns= names (a.b for a nested one),
// as RabbitMQ does for rabbitmqadmin's lists.
func columns(r *http.Request, body any) any {
	cols := r.URL.Query().Get("columns")
	if cols == "" {
		return body
	}
	names := strings.Split(cols, ",")
	pick := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for _, n := range names {
			path := strings.Split(n, ".")
			var cur any = m
			for _, p := range path {
				mm, ok := cur.(map[string]any)
				if !ok {
					cur = nil
					break
				}
				cur = mm[p]
			}
			if cur == nil {
				continue
			}
			dst := out
			for _, p := range path[:len(path)-1] {
				next, ok := dst[p].(map[string]any)
				if !ok {
					next = map[string]any{}
					dst[p] = next
				}
				dst = next
			}
			dst[path[len(path)-1]] = cur
		}
		return out
	}
	switch b := body.(type) {
	case []map[string]any:
		out := make([]map[string]any, len(b))
		for i, m := range b {
			out[i] = pick(m)
		}
		return out
	case map[string]any:
		return pick(b)
	}
	return body
}

// sortList orders a list by ?sort= (a field name) and ?sort_reverse=.
func sortList(r *http.Request, body any) any {
	l, ok := body.([]map[string]any)
	key := r.URL.Query().Get("sort")
	if !ok || key == "" {
		return body
	}
	reverse := r.URL.Query().Get("sort_reverse") == "true"
	sort.SliceStable(l, func(i, j int) bool {
		less := compare(l[i][key], l[j][key]) < 0
		if reverse {
			return compare(l[i][key], l[j][key]) > 0
		}
		return less
	})
	return l
}

func compare(a, b any) int {
	fa, aNum := number(a)
	fb, bNum := number(b)
	if aNum && bNum {
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}
