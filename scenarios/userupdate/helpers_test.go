package userupdate

import (
	"context"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.uber.org/goleak"

	"github.com/warrenmq/warren/internal/brokertest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait on a condition: generous, because the
// machine is shared, and never slept: a wait returns as soon as it holds.
const waitTimeout = 15 * time.Second

// testBroker is a broker the end-to-end tests run against.
type testBroker struct {
	name string
	// url returns the broker's AMQP URL, or skips/fails the test.
	url func(t *testing.T) string
}

// brokers is the table every end-to-end test runs over. The embedded
// broker joins it from embedded_test.go.
var brokers = []testBroker{{name: "rabbitmq", url: liveURL}}

// liveURL is the live RabbitMQ's URL ($AMQP_URL, else the local one). When
// it is unreachable the test is skipped, or failed under
// WARREN_REQUIRE_RABBITMQ=1.
func liveURL(t *testing.T) string {
	t.Helper()
	return brokertest.LiveOrSkip(t)
}

// recorder keeps a service's events and wakes whoever waits on a
// condition each time one arrives.
type recorder struct {
	mu     sync.Mutex
	events []Event
	notify chan struct{}
	t      *testing.T
	verb   bool
}

func newRecorder(t *testing.T) *recorder {
	return &recorder{notify: make(chan struct{}, 1), t: t, verb: testing.Verbose()}
}

func (r *recorder) add(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) has(pred func(Event) bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if pred(e) {
			return true
		}
	}
	return false
}

func (r *recorder) count(pred func(Event) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if pred(e) {
			n++
		}
	}
	return n
}

func (r *recorder) dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.events {
		b.WriteString(e.String() + "\n")
	}
	return b.String()
}

// waitFor returns once cond holds, re-checking it after every event; it
// fails the test after waitTimeout, with the events seen.
func (r *recorder) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-r.notify:
		case <-deadline.C:
			r.t.Fatalf("timed out after %v waiting for %s; events:\n%s", waitTimeout, what, r.dump())
		}
	}
}

func kind(k EventKind) func(Event) bool { return func(e Event) bool { return e.Kind == k } }

// rig is both services on one broker with unique names, and an admin
// connection of the test's own to inspect and clean up.
type rig struct {
	t       *testing.T
	url     string
	names   Names
	rec     *recorder
	users   *UserService
	prof    *ProfileService
	admin   *amqp.Connection
	adminCh *amqp.Channel
}

// newRig starts both services; userURL and profileURL may differ (a proxy
// in front of one of them).
func newRig(t *testing.T, brokerURL, userURL, profileURL string, extra ...Option) *rig {
	t.Helper()
	r := &rig{t: t, url: brokerURL, names: UniqueNames("warren-test"), rec: newRecorder(t)}
	var err error
	if r.admin, err = amqp.Dial(brokerURL); err != nil {
		t.Fatalf("admin connection: %v", err)
	}
	if r.adminCh, err = r.admin.Channel(); err != nil {
		t.Fatalf("admin channel: %v", err)
	}
	opts := append([]Option{WithNames(r.names), WithBackoff(20*time.Millisecond, 200*time.Millisecond)}, extra...)
	if r.users, err = NewUserService(userURL, "", r.rec.add, opts...); err != nil {
		t.Fatal(err)
	}
	if r.prof, err = NewProfileService(profileURL, "", r.rec.add, opts...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.close)
	ctx := context.Background()
	if err := r.users.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.prof.Start(ctx); err != nil {
		t.Fatal(err)
	}
	r.rec.waitFor("both services connected and consuming", func() bool {
		return r.users.Connected() && r.prof.Connected() && r.prof.Consuming()
	})
	return r
}

func (r *rig) close() {
	r.users.Close()
	r.prof.Close()
	// What the services declared is theirs to keep in production; a test
	// deletes it so the shared RabbitMQ stays clean.
	if err := DeleteTopology(r.url, r.names); err != nil {
		r.t.Errorf("clean up: %v", err)
	}
	r.admin.Close()
	if r.t.Failed() {
		r.t.Logf("events:\n%s", r.rec.dump())
	}
}

// profileIs waits until the profile store has id with full name want.
func (r *rig) profileIs(id int64, want string) Profile {
	r.t.Helper()
	var got Profile
	r.rec.waitFor("profile "+want, func() bool {
		p, ok, err := r.prof.Profile(context.Background(), id)
		got = p
		return err == nil && ok && p.FullName == want
	})
	return got
}

// userIs waits until the user store has id with full name want ("" = no
// such user).
func (r *rig) userIs(id int64, want string) {
	r.t.Helper()
	r.rec.waitFor("user "+want, func() bool {
		u, ok, err := r.users.User(context.Background(), id)
		if err != nil {
			return false
		}
		if want == "" {
			return !ok
		}
		return ok && u.FullName == want
	})
}

// readyMessages is the number of ready messages in a queue
// (queue.declare-ok's message_count, with passive=true).
func (r *rig) readyMessages(queue string) int {
	r.t.Helper()
	ch, err := r.admin.Channel()
	if err != nil {
		r.t.Fatal(err)
	}
	defer ch.Close()
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		r.t.Fatalf("queue.declare passive %s: %v", queue, err)
	}
	return q.Messages
}

// proxy is a TCP proxy between a service and the broker that the test can
// cut (every connection dropped, new ones closed at once, as if the broker
// were down) and restore: the live RabbitMQ cannot be stopped by a test.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	up     bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, brokerURL string) (*proxy, string) {
	t.Helper()
	u, err := url.Parse(brokerURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: u.Host, up: true, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if !p.up {
			p.mu.Unlock()
			c.Close()
			continue
		}
		b, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[b] = struct{}{}, struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pipe(c, b)
		go p.pipe(b, c)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src) // ends when either side closes or cut closes it
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, src)
	delete(p.conns, dst)
	p.mu.Unlock()
}

// cut drops every proxied connection and refuses new ones.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = false
	for c := range p.conns {
		c.Close()
	}
}

func (p *proxy) restore() {
	p.mu.Lock()
	p.up = true
	p.mu.Unlock()
}

func (p *proxy) close() {
	p.ln.Close()
	p.cut()
	p.wg.Wait()
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
