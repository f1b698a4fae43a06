package tui

import (
	"slices"
	"strings"
	"time"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/tui/diagram"
)

// What the diagram page learns from the event pump, kept in the model
// under its mutex: the message to animate, and under a flood the rates.
//
// Every delivery the Session's consumers receive is seen here, whoever
// published it: the TUI itself (a step, the form, the flood) or any other
// client of the broker. A message's deliveries come in close together, so
// a delivery of a message other than the last one seen starts a new
// animation, unless messages arrive faster than floodRate a second: then
// the diagram counts instead, and shows rates on the edges and depth in
// the queues. Memory stays bounded: counters per edge and queue of the
// topology, and a small cache of routes by message shape.

const (
	// floodRate is how many messages a second switch the diagram from
	// animating each to showing rates: well above what a person makes
	// (S plays a dozen steps at once), far below a flood.
	floodRate = 50
	// routeCacheSize bounds the routes kept by message shape (a flood
	// repeats one message; a mixed load of many shapes just recomputes).
	routeCacheSize = 64
)

// diagramFlow is the diagram's view of the traffic. Callers hold m.mu.
type diagramFlow struct {
	// The message being shown: the latest one seen, or the latest one
	// the TUI published (m.last), whichever is newer.
	msgKey  string // its message id, or its shape when it has none
	route   *diagram.Route
	started time.Time // when its animation began; zero: not animated
	seq     uint64    // counts messages shown, for tests

	// Counting, per second.
	msgs     int            // distinct messages seen this second
	edges    map[string]int // deliveries through each edge this second
	queues   map[string]int
	rates    map[string]float64 // last second's, by edge id
	qrates   map[string]float64
	flooding bool

	bindings map[string][]int // routing.BindingKey -> binding indexes
	cache    map[string]cachedRoute
}

// cachedRoute is a message shape's route, and the edges it lights into
// each queue, so that counting a delivery is a few map updates.
type cachedRoute struct {
	res     routing.Result
	publish string              // the publish edge's id
	into    map[string][]string // queue -> ids of the matched bindings to it
}

func (f *diagramFlow) route1(t *routing.Topology, msg routing.Message) cachedRoute {
	cr := cachedRoute{res: routing.Route(t, msg), publish: publishID(msg.Exchange), into: map[string][]string{}}
	for _, v := range cr.res.Verdicts {
		if v.Matched && v.Binding.DestinationType != routing.ToExchange {
			for _, i := range f.bindings[routing.BindingKey(v.Binding)] {
				q := v.Binding.Destination
				cr.into[q] = append(cr.into[q], diagram.Item{Kind: diagram.ItemBinding, Binding: i}.ID())
			}
		}
	}
	return cr
}

// reset forgets everything about the previous topology. Callers hold m.mu.
func (f *diagramFlow) reset(t routing.Topology) {
	*f = diagramFlow{
		edges: map[string]int{}, queues: map[string]int{}, cache: map[string]cachedRoute{},
		bindings: map[string][]int{},
	}
	for i, b := range t.Bindings {
		k := routing.BindingKey(b)
		f.bindings[k] = append(f.bindings[k], i)
	}
}

// seen counts a delivery, and makes its message the one shown when it is
// a new one and the traffic is slow enough to watch. Callers hold m.mu.
func (m *model) diagramSeen(d *sandbox.Delivery) {
	f := &m.diag
	if f.edges == nil {
		f.reset(m.topology)
	}
	queue := m.scenarioName(d.Queue)
	msg := routing.Message{Exchange: m.scenarioExchange(d.Exchange), RoutingKey: d.RoutingKey, Headers: d.Headers}
	shape := msg.Exchange + "\x00" + msg.RoutingKey
	if len(msg.Headers) > 0 {
		shape += "\x00" + routing.TableKey(msg.Headers)
	}
	key := d.MessageID
	if key == "" {
		key = shape
	}
	cr, ok := f.cache[shape]
	if !ok {
		if len(f.cache) >= routeCacheSize {
			clear(f.cache)
		}
		cr = f.route1(&m.topology, msg)
		f.cache[shape] = cr
	}
	res := cr.res
	first := key != f.msgKey || f.route == nil
	if first {
		f.msgs++
		f.edges[cr.publish]++
	}
	f.queues[queue]++
	for _, id := range cr.into[queue] {
		f.edges[id]++
	}
	if f.msgs > floodRate {
		f.flooding = true
	}
	switch {
	case first:
		f.msgKey = key
		f.route = &diagram.Route{Message: msg, Result: res, Delivered: []string{queue}}
		if q := m.deadLetteredFrom(d.Headers); q != "" {
			f.route.DeadLettered = []string{q}
		}
		f.seq++
		f.started = time.Time{}
		if !f.flooding {
			f.started = time.Now()
		}
	case !slices.Contains(f.route.Delivered, queue):
		f.route.Delivered = append(f.route.Delivered, queue)
		slices.Sort(f.route.Delivered)
	}
}

// diagramPublished makes the TUI's latest publish (m.last) the message
// shown: the Player's judgment, with the model of the server's version.
// Its deliveries may have been seen already, and its animation begun:
// that goes on. Callers hold m.mu.
func (m *model) diagramPublished() {
	f := &m.diag
	v := m.last
	if v == nil || f.edges == nil {
		return
	}
	p := v.R.Step.Publish
	route := &diagram.Route{
		Message:   routing.Message{Exchange: p.Exchange, RoutingKey: p.RoutingKey, Headers: p.Headers, Mandatory: p.Mandatory},
		Result:    v.R.Model,
		Delivered: uniq(v.R.Delivered),
	}
	if v.R.MessageID != "" && v.R.MessageID == f.msgKey {
		if len(f.route.DeadLettered) == 0 {
			f.route = route
		} // else it is drawing the dead-letter leg the broker took, which the model does not follow
		return
	}
	// Not seen delivered (dropped, returned, or no delivery yet): it
	// starts its animation now.
	f.msgKey, f.route = v.R.MessageID, route
	f.seq++
	f.started = time.Time{}
	if !f.flooding {
		f.started = time.Now()
	}
}

func uniq(qs []string) []string {
	out := slices.Clone(qs)
	slices.Sort(out)
	return slices.Compact(out)
}

// diagramTick turns this second's counts into rates; once a second. It
// reports whether the diagram should be redrawn. Callers hold m.mu.
func (m *model) diagramTick() bool {
	f := &m.diag
	if f.edges == nil {
		return false
	}
	changed := f.flooding || len(f.rates) > 0
	f.rates, f.qrates = nil, nil
	if f.msgs > floodRate {
		f.rates = map[string]float64{}
		for k, n := range f.edges {
			f.rates[k] = float64(n)
		}
		f.qrates = map[string]float64{}
		for k, n := range f.queues {
			f.qrates[k] = float64(n)
		}
	}
	f.flooding = f.msgs > floodRate
	f.msgs = 0
	clear(f.edges)
	clear(f.queues)
	return changed
}

// scenarioExchange is the scenario's name for a broker's exchange (they
// differ by Config.NameSuffix). Callers hold m.mu.
func (m *model) scenarioExchange(real string) string {
	if m.nameSuffix != "" {
		if name, ok := strings.CutSuffix(real, m.nameSuffix); ok {
			return name
		}
	}
	return real
}

// animating says whether a message is on its way across the diagram at
// now, for an animation of length d. Callers hold m.mu.
func (f *diagramFlow) animating(now time.Time, d time.Duration) bool {
	return d > 0 && !f.started.IsZero() && now.Sub(f.started) < d+redrawEvery
}

// publishID is the id of the publisher's edge to exchange x.
func publishID(x string) string {
	return diagram.Item{Kind: diagram.ItemPublish, Target: x, Binding: -1}.ID()
}

// deadLetteredFrom is the queue a delivery was dead-lettered from, by its
// x-death header (the newest death first, as RabbitMQ writes it), or "".
// Callers hold m.mu.
func (m *model) deadLetteredFrom(h routing.Table) string {
	deaths, ok := h["x-death"].([]any)
	if !ok || len(deaths) == 0 {
		return ""
	}
	var q any
	switch d := deaths[0].(type) {
	case routing.Table:
		q = d["queue"]
	case map[string]any:
		q = d["queue"]
	}
	if s, ok := q.(string); ok {
		return m.scenarioName(s)
	}
	return ""
}
