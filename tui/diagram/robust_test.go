package diagram

import (
	"strings"
	"testing"

	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
)

// Topologies a user's file can hold that a layout might trip on: each is
// drawn, whole, at every size, with no panic.
func TestOddTopologies(t *testing.T) {
	q := func(name string, args routing.Table) routing.Queue { return routing.Queue{Name: name, Arguments: args} }
	x := func(name string, typ routing.ExchangeType, args routing.Table) routing.Exchange {
		return routing.Exchange{Name: name, Type: typ, Arguments: args}
	}
	e2e := func(src, dst, key string) routing.Binding {
		return routing.Binding{Source: src, Destination: dst, DestinationType: routing.ToExchange, RoutingKey: key}
	}
	bq := func(src, dst, key string) routing.Binding {
		return routing.Binding{Source: src, Destination: dst, DestinationType: routing.ToQueue, RoutingKey: key}
	}
	cases := map[string]struct {
		top  routing.Topology
		want []string // text the drawing must show
	}{
		"empty":                       {routing.Topology{}, []string{"publisher"}},
		"only a queue nobody reaches": {routing.Topology{Queues: []routing.Queue{q("lonely", nil)}}, []string{"lonely"}},
		"a cycle of exchange-to-exchange bindings": {routing.Topology{
			Exchanges: []routing.Exchange{x("a", routing.Topic, nil), x("b", routing.Topic, nil), x("c", routing.Fanout, nil)},
			Queues:    []routing.Queue{q("q", nil)},
			Bindings:  []routing.Binding{e2e("a", "b", "k.#"), e2e("b", "c", "k.x"), e2e("c", "a", ""), bq("c", "q", "")},
		}, []string{"k.#", "k.x"}},
		"a self-binding": {routing.Topology{
			Exchanges: []routing.Exchange{x("loop", routing.Direct, nil)},
			Queues:    []routing.Queue{q("q", nil)},
			Bindings:  []routing.Binding{e2e("loop", "loop", "again"), bq("loop", "q", "out")},
		}, []string{"again", "out"}},
		"an alternate exchange of itself and one that does not exist": {routing.Topology{
			Exchanges: []routing.Exchange{
				x("self", routing.Direct, routing.Table{"alternate-exchange": "self"}),
				x("lost", routing.Direct, routing.Table{"alternate-exchange": "nowhere"}),
			},
		}, []string{"nowhere", "missing"}},
		"a dead-letter exchange that does not exist": {routing.Topology{
			Exchanges: []routing.Exchange{x("work", routing.Direct, nil)},
			Queues:    []routing.Queue{q("tasks", routing.Table{"x-dead-letter-exchange": "gone", "x-dead-letter-routing-key": "failed"})},
			Bindings:  []routing.Binding{bq("work", "tasks", "task")},
		}, []string{"gone", "missing", "dead-letter failed"}},
		"dead-lettering to the default exchange": {routing.Topology{
			Queues: []routing.Queue{q("a", routing.Table{"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "b"}), q("b", nil)},
		}, []string{"(AMQP default)", "dead-letter b"}},
		"a binding to a queue that is not declared": {routing.Topology{
			Exchanges: []routing.Exchange{x("x", routing.Fanout, nil)},
			Bindings:  []routing.Binding{bq("x", "ghost", "")},
		}, []string{"ghost"}},
		"names a terminal would act on": {routing.Topology{
			Exchanges: []routing.Exchange{x("red\x1b[31m", routing.Direct, nil)},
			Queues:    []routing.Queue{q("tab\tq\n", nil), q("日本語のキュー", nil)},
			Bindings:  []routing.Binding{bq("red\x1b[31m", "tab\tq\n", "k\x00")},
		}, []string{`red\x1b[31m`, `tab\tq\n`, "日本語のキュー", `k\x00`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := Input{Topology: tc.top}
			for _, opt := range []Options{{}, {Width: 80, Height: 24}, {Width: 30, Height: 8, Marks: true}} {
				l, c := Draw(&in, opt)
				if err := checkLayout(l, &in, c); err != nil {
					t.Fatalf("%+v: %v", opt, err)
				}
				text := c.String()
				if strings.ContainsAny(text, "\x1b\t\x00") {
					t.Errorf("%+v: a control character reached the drawing:\n%q", opt, text)
				}
				if opt.Width == 0 {
					for _, w := range tc.want {
						if !strings.Contains(text, w) {
							t.Errorf("the drawing lacks %q:\n%s", w, text)
						}
					}
				}
			}
		})
	}
}

// Every built-in scenario fits 80x24, before and after each of its steps
// is explained, with the room for marks the TUI keeps.
func TestBuiltinsFit80x24(t *testing.T) {
	for _, sc := range scenarios.Builtins() {
		in := ScenarioInput(&sc)
		for i, st := range sc.Steps {
			m := routing.Message{Exchange: st.Publish.Exchange, RoutingKey: st.Publish.RoutingKey, Headers: st.Publish.Headers, Mandatory: st.Publish.Mandatory}
			in.Route = &Route{Message: m, Result: routing.Route(&in.Topology, m)}
			l, c := Draw(&in, Options{Width: 80, Height: 24, Marks: true})
			if !l.Fits {
				t.Errorf("%s step %d: %dx%d does not fit 80x24:\n%s", sc.Name, i+1, l.Width, l.Height, c)
			}
			if err := checkLayout(l, &in, c); err != nil {
				t.Errorf("%s step %d: %v", sc.Name, i+1, err)
			}
		}
	}
}

// A message dead-lettered from a queue lights that queue's dead-letter
// edge, not the publisher's, and then the dead-letter exchange's routing.
func TestDeadLetteredRoute(t *testing.T) {
	top := routing.Topology{Queues: []routing.Queue{
		{Name: "work"},
		{Name: "retry_later", Arguments: routing.Table{"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "work"}},
	}}
	in := Input{Topology: top, Publishes: []Publish{{Exchange: "", RoutingKey: "work"}, {Exchange: "", RoutingKey: "retry_later"}}}
	m := routing.Message{Exchange: "", RoutingKey: "work"}
	in.Route = &Route{Message: m, Result: routing.Route(&top, m), Delivered: []string{"work"}, DeadLettered: []string{"retry_later"}}
	l := NewLayout(&in, Options{Width: 80})
	ex := l.explain(&in)
	for e, st := range ex.edges {
		switch e.item.Kind {
		case ItemDeadLetter:
			if st != stMatched {
				t.Errorf("the dead-letter edge of %s is %v, not lit", e.item.Name, st)
			}
			if ex.hop[e] != 0 {
				t.Errorf("the dead-letter edge comes at hop %d, not first", ex.hop[e])
			}
		case ItemPublish:
			if st == stMatched {
				t.Errorf("the publisher's edge to %q is lit for a dead-lettered message", e.item.Target)
			}
		case ItemDefaultBinding:
			if want := e.item.Target == "work"; (st == stMatched) != want {
				t.Errorf("the default binding to %s: %v", e.item.Target, st)
			}
		}
	}
	c := l.Paint(&in, Paint{})
	if err := checkLayout(l, &in, c); err != nil {
		t.Fatal(err)
	}
}
