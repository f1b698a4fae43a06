package tui

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
)

// Bounds on what the model keeps: a flood of 50,000 messages must not grow
// memory, so every list the UI shows is a ring of fixed size and a body is
// kept only as a short preview.
const (
	maxRowsPerQueue = 100
	maxLogLines     = 300
	maxBodyPreview  = 48
	// A flood would turn the log into a blur: past this many delivery lines
	// a second, deliveries are counted and summed up once a second instead.
	maxDeliveryLinesPerSecond = 5
	// maxWaiting bounds the messages watched for a late delivery.
	maxWaiting = 32
)

// ring is a bounded FIFO: pushing onto a full ring drops the oldest item.
type ring[T any] struct {
	buf   []T
	start int
	n     int
}

func newRing[T any](size int) ring[T] { return ring[T]{buf: make([]T, size)} }

func (r *ring[T]) push(v T) {
	if len(r.buf) == 0 {
		return
	}
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = v
		r.n++
		return
	}
	r.buf[r.start] = v
	r.start = (r.start + 1) % len(r.buf)
}

func (r *ring[T]) len() int { return r.n }

// at returns the i-th item, oldest first.
func (r *ring[T]) at(i int) *T { return &r.buf[(r.start+i)%len(r.buf)] }

func (r *ring[T]) reset() { r.start, r.n = 0, 0; clear(r.buf) }

// msgRow is one delivery as a queue pane shows it.
type msgRow struct {
	Consumer    string
	Tag         uint64
	Redelivered bool
	RoutingKey  string
	Headers     string
	Body        string
	MessageID   string
	Outcome     sandbox.AckKind // "" until the consumer settles it
	Requeued    bool            // the nack or reject put it back in the queue
}

// queueModel is what the TUI knows about one queue.
type queueModel struct {
	name      string
	rows      ring[msgRow]
	delivered uint64
	stats     sandbox.QueueStats
	statsOK   bool
}

// logLine is one line of the event log.
type logLine struct {
	At    time.Time
	Color string // tview color name
	Text  string
	// The line as last laid out (layout.go logLines), and for what width:
	// a line never changes, so it is wrapped once, not at every redraw.
	wrapped []string
	wrapW   int
}

// routeView is the explanation of the latest publish, as the topology pane
// shows it: the Player's judgment (scenarios.StepResult, as `warren run`
// makes it), in the scenario's names.
type routeView struct {
	Msg routing.Message
	R   scenarios.StepResult
}

// Step is the 1-based step number, 0 for a message of the user's making.
func (v *routeView) Step() int { return v.R.Index }

// model is everything the widgets show. The event pump and the worker write
// it, the event loop reads it when redrawing; mu guards it all.
type model struct {
	mu    sync.Mutex
	dirty bool

	state   sandbox.ConnState
	broker  string
	version string

	scenario  *scenarios.Scenario
	declared  bool
	nextStep  int
	narration string
	topology  routing.Topology
	// names maps the broker's queue names to the scenario's (they differ
	// by Config.NameSuffix).
	names map[string]string
	// results are the latest judgment of each step played, by index;
	// asRun says how each was played (playHow.asRun), so that going back
	// (back.go) replays them alike.
	results []*scenarios.StepResult
	asRun   []bool
	// quiet: steps are being replayed on the way back to an earlier one;
	// their deliveries and the Session's notes are not logged.
	quiet bool

	// Quiz mode (quiz.go): quizOn while it is on; quiz keeps the score of
	// the chosen scenario's quiz.
	quizOn bool
	quiz   *scenarios.Quiz
	// waiting are played messages with queues still to deliver them
	// (StepResult.Waiting); a delivery of one sets recheck.
	waiting []scenarios.StepResult
	recheck bool

	queues map[string]*queueModel
	order  []string

	log  ring[logLine]
	last *routeView

	deliveryLines   int // delivery lines logged in the current second
	suppressed      map[string]int
	suppressedSince time.Time

	busy    string // what the worker is doing, for the status line
	dropped int64  // events the Session dropped because its buffer was full

	// diag is the diagram page's view of the traffic (diagram_flow.go);
	// diagLast the m.last it last took its message from.
	diag       diagramFlow
	diagLast   *routeView
	nameSuffix string // Config.NameSuffix

	consumers []consumerView // the worker's latest snapshot
	todo      []func()       // widget changes the worker asked for (see App.later)
}

func newModel() *model {
	return &model{
		state:      sandbox.Connecting,
		queues:     map[string]*queueModel{},
		log:        newRing[logLine](maxLogLines),
		suppressed: map[string]int{},
	}
}

// logf appends a line to the event log. Callers hold mu.
func (m *model) logf(t tone, format string, a ...any) {
	m.log.push(logLine{At: time.Now(), Color: t, Text: fmt.Sprintf(format, a...)})
	m.dirty = true
}

// setScenario shows a scenario's topology and empties the panes. Callers hold mu.
func (m *model) setScenario(sc *scenarios.Scenario, declared bool) {
	m.scenario = sc
	m.declared = declared
	m.nextStep = 0
	m.last = nil
	m.queues = map[string]*queueModel{}
	m.order = nil
	m.topology = routing.Topology{}
	m.results, m.asRun, m.waiting, m.recheck = nil, nil, nil, false
	if sc != nil {
		m.diag.reset(sc.Topology)
		m.diagLast = nil
		m.results = make([]*scenarios.StepResult, len(sc.Steps))
		m.asRun = make([]bool, len(sc.Steps))
		m.topology = sc.Topology
		m.narration = aboutLead(sc)
	}
	if declared && sc != nil {
		for _, q := range sc.Topology.Queues {
			m.addQueue(q.Name)
		}
	}
	m.dirty = true
}

// aboutLead is the first paragraph of the scenario's about text, on one
// line: the narration until the first step (i shows all of it).
func aboutLead(sc *scenarios.Scenario) string {
	about, _, _ := strings.Cut(strings.TrimSpace(sc.About), "\n\n")
	return strings.Join(strings.Fields(about), " ")
}

func (m *model) addQueue(name string) *queueModel {
	if q, ok := m.queues[name]; ok {
		return q
	}
	q := &queueModel{name: name, rows: newRing[msgRow](maxRowsPerQueue)}
	m.queues[name] = q
	m.order = append(m.order, name)
	return q
}

// apply folds one Session event into the model. It runs on the event pump
// for every event, so it must stay cheap: no I/O, no allocation beyond the
// bounded rows.
func (m *model) apply(ev sandbox.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applyLocked(ev)
}

// applyLocked is apply for a caller that holds mu (the pump applies a
// flood's events in batches, one lock per batch).
func (m *model) applyLocked(ev sandbox.Event) {
	m.dirty = true
	if m.quiet {
		m.applyQuiet(ev)
		return
	}
	switch ev.Kind {
	case sandbox.EventDelivery:
		d := ev.Delivery
		if d == nil {
			return
		}
		if m.isWaiting(d.MessageID) {
			m.recheck = true
		}
		q := m.queues[m.scenarioName(d.Queue)]
		if q == nil {
			// Deliveries from a queue of an earlier scenario still in flight.
			return
		}
		q.delivered++
		q.rows.push(rowOf(d))
		m.diagramSeen(d)
		m.logDelivery(d)
	case sandbox.EventAck:
		m.markOutcome(ev)
		m.logf("green", "%s", ev.Note)
	case sandbox.EventReturn:
		if r := ev.Return; r != nil {
			m.logf("yellow", "returned: %d %s (exchange %q, routing key %q)", r.ReplyCode, r.ReplyText, r.Exchange, r.RoutingKey)
		}
	case sandbox.EventConsumer:
		m.logf("aqua", "%s", ev.Note)
	case sandbox.EventState:
		m.state = ev.State
		color := "green"
		if ev.State != sandbox.Connected {
			color = "red"
		}
		m.logf(color, "connection %s%s", ev.State, noteSuffix(ev.Note))
	case sandbox.EventError:
		m.logf("red", "error: %v%s", ev.Err, noteSuffix(ev.Note))
	case sandbox.EventDeclared, sandbox.EventDeleted:
		m.logf("gray", "%s", ev.Note)
	default:
		if ev.Note != "" {
			m.logf("gray", "%s", ev.Note)
		}
	}
}

// applyQuiet is applyLocked while steps are replayed (back.go): the panes
// get the deliveries and their outcomes, the log only what went wrong.
func (m *model) applyQuiet(ev sandbox.Event) {
	switch ev.Kind {
	case sandbox.EventDelivery:
		if d := ev.Delivery; d != nil {
			if q := m.queues[m.scenarioName(d.Queue)]; q != nil {
				q.delivered++
				q.rows.push(rowOf(d))
			}
		}
	case sandbox.EventAck:
		m.markOutcome(ev)
	case sandbox.EventState:
		m.state = ev.State
		m.logf("red", "connection %s%s", ev.State, noteSuffix(ev.Note))
	case sandbox.EventError:
		m.logf("red", "error: %v%s", ev.Err, noteSuffix(ev.Note))
	}
}

// markOutcome marks the row of an acked, nacked or rejected delivery.
// Callers hold mu.
func (m *model) markOutcome(ev sandbox.Event) {
	d := ev.Delivery
	if d == nil {
		return
	}
	q := m.queues[m.scenarioName(d.Queue)]
	if q == nil {
		return
	}
	for i := q.rows.len() - 1; i >= 0; i-- {
		if r := q.rows.at(i); r.Consumer == d.Consumer && r.Tag == d.DeliveryTag {
			r.Outcome, r.Requeued = ev.Ack, ev.Requeue
			return
		}
	}
}

// scenarioName is the scenario's name for a broker's queue. Callers hold mu.
func (m *model) scenarioName(real string) string {
	if n, ok := m.names[real]; ok {
		return n
	}
	return real
}

// watchWaiting remembers a played message that some queue has not
// delivered yet, to judge it again when it is. Callers hold mu.
func (m *model) watchWaiting(r scenarios.StepResult) {
	if len(r.Waiting) == 0 || r.MessageID == "" {
		return
	}
	m.unwatch(r.MessageID)
	m.waiting = append(m.waiting, r)
	if len(m.waiting) > maxWaiting {
		m.waiting = m.waiting[1:]
	}
}

func (m *model) unwatch(id string) {
	m.waiting = slices.DeleteFunc(m.waiting, func(r scenarios.StepResult) bool { return r.MessageID == id })
}

func (m *model) isWaiting(id string) bool {
	for _, r := range m.waiting {
		if r.MessageID == id {
			return true
		}
	}
	return false
}

// logDelivery logs a delivery, or counts it when deliveries come too fast
// to read (a flood). Callers hold mu.
func (m *model) logDelivery(d *sandbox.Delivery) {
	now := time.Now()
	if now.Sub(m.suppressedSince) >= time.Second {
		m.flushSuppressed()
		m.suppressedSince = now
		m.deliveryLines = 0
	}
	if m.deliveryLines >= maxDeliveryLinesPerSecond {
		m.suppressed[m.scenarioName(d.Queue)]++
		return
	}
	m.deliveryLines++
	re := ""
	if d.Redelivered {
		re = " [redelivered]"
	}
	m.logf("white", "%s <- %q via %s%s", m.scenarioName(d.Queue), d.RoutingKey, d.Consumer, re)
}

// flushSuppressed sums up the deliveries not logged one by one. Callers hold mu.
func (m *model) flushSuppressed() {
	if len(m.suppressed) == 0 {
		return
	}
	names := make([]string, 0, len(m.suppressed))
	for q := range m.suppressed {
		names = append(names, q)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, q := range names {
		parts[i] = fmt.Sprintf("%s %d", q, m.suppressed[q])
	}
	m.logf("white", "... and more deliveries: %s", strings.Join(parts, ", "))
	clear(m.suppressed)
}

func rowOf(d *sandbox.Delivery) msgRow {
	return msgRow{
		Consumer:    d.Consumer,
		Tag:         d.DeliveryTag,
		Redelivered: d.Redelivered,
		RoutingKey:  d.RoutingKey,
		Headers:     routing.FormatTable(d.Headers),
		Body:        preview(d.Body),
		MessageID:   d.MessageID,
	}
}

// preview is a printable prefix of a body.
func preview(b []byte) string {
	if len(b) > maxBodyPreview {
		b = b[:maxBodyPreview]
	}
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return '.'
		}
		return r
	}, string(b))
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return ": " + note
}
