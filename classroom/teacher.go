package classroom

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
)

// traceExchange is where a traced vhost's firehose publishes (RabbitMQ's
// amq.rabbitmq.trace, in every vhost).
const traceExchange = "amq.rabbitmq.trace"

// Consumer names of the teacher's Session on each vhost.
const (
	traceConsumer  = "class-trace"
	scoresConsumer = "class-scores"
)

// Config says how the teacher watches the class.
type Config struct {
	// Dial opens the teacher's Session on a student's vhost.
	Dial func(ctx context.Context, s Student) (*sandbox.Session, error)
	// Topology reads a vhost's exchanges, queues and bindings as they are
	// now (Admin.Topology): traced messages are explained over it.
	Topology func(ctx context.Context, vhost string) (routing.Topology, error)
	// Scenarios are declared in every vhost under their own names, for
	// the students' own code to publish to and consume from.
	Scenarios []*scenarios.Scenario
	// Keep is how many messages each student's view keeps (default 100).
	Keep int
	// Notify, when set, is called with every message and score as it
	// arrives, from the goroutine watching that student: keep it short.
	Notify func(Update)
}

// Update is one thing that happened in a student's vhost.
type Update struct {
	Student Student
	Traffic *Traffic // a message published
	Score   *Score   // a quiz score arrived
}

// Traffic is a message a student published (from any client), where the
// broker routed it and the routing model's explanation.
type Traffic struct {
	Time       time.Time
	Exchange   string
	RoutingKey string   // the first routing key
	CC         []string // further routing keys (CC, BCC)
	Headers    routing.Table
	Body       []byte // at most 200 bytes of it
	User       string // who published it
	Connection string // from where: "client -> server"
	// Routed are the queues the broker routed it to (sorted).
	Routed []string
	// Gone are queues the default exchange named (RabbitMQ's trace names
	// the queue the routing key names, existing or not) that are not there
	// when the message is explained: it went there only if they existed
	// then.
	Gone []string
	// Route is the routing model's answer over the vhost's topology, with
	// every binding's verdict; Agrees whether it names the same queues.
	Route  routing.Result
	Agrees bool
}

// Score is a student's latest quiz score in one scenario.
type Score struct {
	scenarios.ScoreReport
	Time time.Time
}

// StudentView is what the teacher sees of one student.
type StudentView struct {
	Student   Student
	Connected bool
	Err       string // the latest problem watching this student, "" none
	Published int    // messages published since the class started
	Traffic   []Traffic
	Scores    []Score // one per scenario, in the order first reported
}

// Class watches every student's vhost: the messages published there by
// any client (through the vhost's firehose, amq.rabbitmq.trace) and the
// quiz scores reported there (scenarios.ScoresQueue).
type Class struct {
	cfg      Config
	mu       sync.Mutex
	students []*watched
	changed  chan struct{}
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

type watched struct {
	view  StudentView
	sess  *sandbox.Session
	model routing.Model
	queue string // the teacher's trace queue in the vhost
	topo  routing.Topology
	topoT time.Time
}

// Watch declares the scenarios and the scores queue in every student's
// vhost, subscribes to each vhost's firehose and starts watching. It
// fails, closing what it opened, when a vhost cannot be prepared. Close
// stops it.
func Watch(ctx context.Context, roster []Student, cfg Config) (*Class, error) {
	if cfg.Keep <= 0 {
		cfg.Keep = 100
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c := &Class{cfg: cfg, changed: make(chan struct{}, 1), cancel: cancel}
	for _, s := range roster {
		w, err := c.prepare(ctx, s)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("student %s (vhost %s): %w", s.Name, s.VHost, err)
		}
		c.students = append(c.students, w)
	}
	for _, w := range c.students {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.watch(wctx, w)
		}()
	}
	return c, nil
}

func (c *Class) prepare(ctx context.Context, s Student) (*watched, error) {
	sess, err := c.cfg.Dial(ctx, s)
	if err != nil {
		return nil, err
	}
	w := &watched{view: StudentView{Student: s, Connected: true}, sess: sess}
	if sess.ServerProduct() == "RabbitMQ" {
		w.model.Version = sess.ServerVersion()
	}
	w.model.VHost = s.VHost
	c.students = append(c.students, w) // so that Close closes it on failure below
	for _, sc := range c.cfg.Scenarios {
		if err := scenarios.NewPlayer(sess, sc).Declare(ctx); err != nil {
			return nil, err
		}
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	w.queue = "warren.class.trace-" + hex.EncodeToString(b[:])
	t := routing.Topology{
		Queues: []routing.Queue{
			{Name: scenarios.ScoresQueue, Durable: true},
			// bounded, so that a teacher who falls behind does not fill the broker
			{Name: w.queue, Exclusive: true, AutoDelete: true, Arguments: routing.Table{"x-max-length": int64(10000)}},
		},
		Bindings: []routing.Binding{{Source: traceExchange, Destination: w.queue, RoutingKey: "publish.#"}},
	}
	if err := sess.Declare(ctx, t); err != nil {
		return nil, err
	}
	for _, spec := range []sandbox.ConsumerSpec{
		{Name: traceConsumer, Queue: w.queue, Ack: sandbox.AutoAck},
		{Name: scoresConsumer, Queue: scenarios.ScoresQueue, Ack: sandbox.AutoAck},
	} {
		if err := sess.StartConsumer(ctx, spec); err != nil {
			return nil, err
		}
	}
	c.students = c.students[:len(c.students)-1]
	return w, nil
}

// watch handles one student's Session's events until ctx ends.
func (c *Class) watch(ctx context.Context, w *watched) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.sess.Events():
			if !ok {
				return
			}
			c.handle(ctx, w, ev)
		}
	}
}

func (c *Class) handle(ctx context.Context, w *watched, ev sandbox.Event) {
	switch ev.Kind {
	case sandbox.EventState:
		c.update(w, func(v *StudentView) { v.Connected = ev.State == sandbox.Connected })
	case sandbox.EventError:
		c.update(w, func(v *StudentView) { v.Err = ev.Err.Error() })
	case sandbox.EventDelivery:
		d := ev.Delivery
		switch d.Consumer {
		case scoresConsumer:
			rep, err := scenarios.ParseScoreReport(d.Body)
			if err != nil {
				c.update(w, func(v *StudentView) {
					v.Err = fmt.Sprintf("a message in %s that is not a score: %v", scenarios.ScoresQueue, err)
				})
				return
			}
			sc := Score{ScoreReport: rep, Time: ev.Time}
			c.update(w, func(v *StudentView) {
				i := slices.IndexFunc(v.Scores, func(s Score) bool { return s.Scenario == rep.Scenario })
				if i < 0 {
					v.Scores = append(v.Scores, sc)
				} else {
					v.Scores[i] = sc
				}
			})
			c.notify(Update{Student: w.view.Student, Score: &sc})
		case traceConsumer:
			tr, ok := ParseTrace(*d)
			if !ok {
				return
			}
			c.explain(ctx, w, &tr)
			c.update(w, func(v *StudentView) {
				v.Published++
				v.Traffic = append(v.Traffic, tr)
				if len(v.Traffic) > c.cfg.Keep {
					v.Traffic = slices.Delete(v.Traffic, 0, len(v.Traffic)-c.cfg.Keep)
				}
			})
			c.notify(Update{Student: w.view.Student, Traffic: &tr})
		}
	}
}

// ParseTrace reads a firehose copy of a publish (routing key
// publish.<exchange>, RabbitMQ's headers). ok is false for anything
// else, and for what is not the student's own doing: Warren's settle
// sentinels and quiz score reports.
func ParseTrace(d sandbox.Delivery) (tr Traffic, ok bool) {
	h := d.Headers
	x, isStr := h["exchange_name"].(string)
	if !isStr || d.RoutingKey != "publish."+x {
		return tr, false
	}
	tr = Traffic{Time: d.Time, Exchange: x, Body: d.Body}
	if len(tr.Body) > 200 {
		tr.Body = tr.Body[:200]
	}
	keys := stringList(h["routing_keys"])
	if len(keys) > 0 {
		tr.RoutingKey, tr.CC = keys[0], keys[1:]
	}
	tr.Routed = stringList(h["routed_queues"])
	sort.Strings(tr.Routed)
	tr.User, _ = h["user"].(string)
	tr.Connection, _ = h["connection"].(string)
	if props, isTable := h["properties"].(routing.Table); isTable {
		if typ, _ := props["type"].(string); typ == "warren.settle" {
			return tr, false
		}
		tr.Headers, _ = props["headers"].(routing.Table)
	}
	if x == "" && tr.RoutingKey == scenarios.ScoresQueue {
		return tr, false
	}
	return tr, true
}

func stringList(v any) []string {
	arr, _ := v.([]any)
	var out []string
	for _, e := range arr {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// topologyTTL is how long a vhost's topology is trusted before a traced
// message makes Class read it again.
const topologyTTL = 2 * time.Second

// explain routes tr with the model over the vhost's topology. The topology
// is read again when it is old, lacks the exchange, or the model over it
// disagrees with the broker (a student declared or bound something since
// it was read); a disagreement that remains is shown, never hidden.
func (c *Class) explain(ctx context.Context, w *watched, tr *Traffic) {
	routed := tr.Routed
	known := tr.Exchange == "" || slices.ContainsFunc(w.topo.Exchanges, func(x routing.Exchange) bool { return x.Name == tr.Exchange })
	fresh := false
	if time.Since(w.topoT) > topologyTTL || !known {
		fresh = c.readTopology(ctx, w)
	}
	c.route(w, tr, routed)
	if !tr.Agrees && !fresh && c.readTopology(ctx, w) {
		c.route(w, tr, routed)
	}
}

// readTopology reads the vhost's topology; false when it could not.
func (c *Class) readTopology(ctx context.Context, w *watched) bool {
	if c.cfg.Topology == nil {
		return false
	}
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	t, err := c.cfg.Topology(tctx, w.view.Student.VHost)
	cancel()
	if err != nil {
		c.update(w, func(v *StudentView) { v.Err = "reading the topology: " + err.Error() })
		return false
	}
	w.topo, w.topoT = t, time.Now()
	return true
}

// route fills tr's Routed (from the trace's routed queues) and Route over
// the topology held.
func (c *Class) route(w *watched, tr *Traffic, routed []string) {
	tr.Routed, tr.Gone = nil, nil
	for _, q := range routed {
		if tr.Exchange == "" && !slices.ContainsFunc(w.topo.Queues, func(x routing.Queue) bool { return x.Name == q }) {
			// RabbitMQ's trace names the queue the key names, whether or
			// not there is one
			tr.Gone = append(tr.Gone, q)
			continue
		}
		tr.Routed = append(tr.Routed, q)
	}
	headers := tr.Headers
	if len(tr.CC) > 0 {
		headers = routing.Table{}
		for k, v := range tr.Headers {
			headers[k] = v
		}
		cc := make([]any, len(tr.CC))
		for i, k := range tr.CC {
			cc[i] = k
		}
		headers["CC"] = cc
	}
	tr.Route = w.model.Route(&w.topo, routing.Message{Exchange: tr.Exchange, RoutingKey: tr.RoutingKey, Headers: headers})
	model := append([]string{}, tr.Route.Queues...)
	sort.Strings(model)
	tr.Agrees = tr.Route.Err == nil && slices.Equal(model, tr.Routed)
}

func (c *Class) update(w *watched, fn func(*StudentView)) {
	c.mu.Lock()
	fn(&w.view)
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *Class) notify(u Update) {
	if c.cfg.Notify != nil {
		c.cfg.Notify(u)
	}
}

// Changed receives (coalesced) after the views changed.
func (c *Class) Changed() <-chan struct{} { return c.changed }

// Snapshot is every student's view now, in roster order.
func (c *Class) Snapshot() []StudentView {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]StudentView, len(c.students))
	for i, w := range c.students {
		v := w.view
		v.Traffic = slices.Clone(v.Traffic)
		v.Scores = slices.Clone(v.Scores)
		out[i] = v
	}
	return out
}

// Close stops watching and closes the teacher's connections (their trace
// queues go with them; what was declared for the class stays).
func (c *Class) Close() error {
	c.cancel()
	c.wg.Wait()
	var errs []error
	for _, w := range c.students {
		if err := w.sess.Close(); err != nil && !errors.Is(err, sandbox.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
