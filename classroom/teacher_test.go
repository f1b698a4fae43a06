package classroom

import (
	"strings"
	"testing"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
)

func trace(exchange string, keys []string, routed []string, props routing.Table) sandbox.Delivery {
	ks := []any{}
	for _, k := range keys {
		ks = append(ks, k)
	}
	rs := []any{}
	for _, q := range routed {
		rs = append(rs, q)
	}
	return sandbox.Delivery{Queue: "warren.class.trace-x", Consumer: traceConsumer, Exchange: traceExchange, RoutingKey: "publish." + exchange,
		Body: []byte("body"), Headers: routing.Table{"exchange_name": exchange, "routing_keys": ks, "routed_queues": rs,
			"properties": props, "user": "student-01", "connection": "127.0.0.1:1 -> 127.0.0.1:2", "channel": int32(1), "node": "rabbit@h", "vhost": "student-01"}}
}

func TestParseTrace(t *testing.T) {
	tr, ok := ParseTrace(trace("animals", []string{"a.b", "c.d"}, []string{"Q2", "Q1"}, routing.Table{"headers": routing.Table{"n": int32(1)}}))
	if !ok || tr.Exchange != "animals" || tr.RoutingKey != "a.b" || len(tr.CC) != 1 || tr.CC[0] != "c.d" ||
		strings.Join(tr.Routed, ",") != "Q1,Q2" || tr.User != "student-01" || tr.Headers["n"] != int32(1) {
		t.Errorf("ParseTrace = %+v, %v", tr, ok)
	}
	for name, d := range map[string]sandbox.Delivery{
		"a settle sentinel": trace("", []string{"Q1"}, []string{"Q1"}, routing.Table{"type": "warren.settle"}),
		"a score report":    trace("", []string{scenarios.ScoresQueue}, []string{scenarios.ScoresQueue}, routing.Table{}),
		"a delivery's copy": {RoutingKey: "deliver.Q1", Headers: routing.Table{"exchange_name": "animals"}},
		"not a trace":       {RoutingKey: "publish.x", Headers: routing.Table{}},
	} {
		if _, ok := ParseTrace(d); ok {
			t.Errorf("%s: taken for a student's publish", name)
		}
	}
}

// explain over a topology: the model's reasons, and the default
// exchange's routed_queues (the queue the key names, existing or not)
// cut to the queues there are.
func TestExplain(t *testing.T) {
	topo := routing.Topology{
		Exchanges: []routing.Exchange{{Name: "animals", Type: routing.Topic}},
		Queues:    []routing.Queue{{Name: "Q1"}, {Name: "Q2"}},
		Bindings:  []routing.Binding{{Source: "animals", Destination: "Q1", RoutingKey: "*.orange.*"}},
	}
	c := &Class{cfg: Config{Topology: nil}, changed: make(chan struct{}, 1)}
	w := &watched{topo: topo}
	tr, _ := ParseTrace(trace("animals", []string{"quick.orange.rabbit"}, []string{"Q1"}, routing.Table{}))
	c.explain(t.Context(), w, &tr)
	lines := strings.Join(Describe(tr), "\n")
	if !tr.Agrees || !strings.Contains(lines, `student-01 published to animals, routing key "quick.orange.rabbit"`) ||
		!strings.Contains(lines, "went to Q1") || !strings.Contains(lines, `✓ animals -["*.orange.*"]-> Q1: '*' matched 'quick', '*' matched 'rabbit'`) {
		t.Errorf("agrees %v:\n%s", tr.Agrees, lines)
	}
	tr, _ = ParseTrace(trace("", []string{"nowhere"}, []string{"nowhere"}, routing.Table{}))
	c.explain(t.Context(), w, &tr)
	if len(tr.Routed) != 0 || !tr.Agrees || !strings.Contains(strings.Join(Describe(tr), "\n"), "went to no queue") {
		t.Errorf("default exchange to no queue: routed %v, agrees %v\n%s", tr.Routed, tr.Agrees, strings.Join(Describe(tr), "\n"))
	}
	// the broker routed where the model does not: said, not hidden
	tr, _ = ParseTrace(trace("animals", []string{"lazy.fox"}, []string{"Q2"}, routing.Table{}))
	c.explain(t.Context(), w, &tr)
	if tr.Agrees || !strings.Contains(strings.Join(Describe(tr), "\n"), "the model routes it to no queue") {
		t.Errorf("a disagreement: agrees %v\n%s", tr.Agrees, strings.Join(Describe(tr), "\n"))
	}
}
