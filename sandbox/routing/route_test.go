package routing

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func q(names ...string) []Queue {
	out := make([]Queue, len(names))
	for n, s := range names {
		out[n] = Queue{Name: s, Durable: true}
	}
	return out
}

func bq(src, dst, key string) Binding {
	return Binding{Source: src, Destination: dst, DestinationType: ToQueue, RoutingKey: key}
}

func bx(src, dst, key string) Binding {
	return Binding{Source: src, Destination: dst, DestinationType: ToExchange, RoutingKey: key}
}

// tutorialTopic is issue 2's topic scenario (RabbitMQ tutorial five).
var tutorialTopic = &Topology{
	Exchanges: []Exchange{{Name: "topic_logs", Type: Topic}},
	Queues:    q("Q1", "Q2"),
	Bindings: []Binding{
		bq("topic_logs", "Q1", "*.orange.*"),
		bq("topic_logs", "Q2", "*.*.rabbit"),
		bq("topic_logs", "Q2", "lazy.#"),
	},
}

func TestRouteTutorialTopic(t *testing.T) {
	tests := []struct {
		key  string
		want []string
	}{
		{"quick.orange.rabbit", []string{"Q1", "Q2"}},
		{"lazy.orange.elephant", []string{"Q1", "Q2"}},
		{"quick.orange.fox", []string{"Q1"}},
		{"lazy.brown.fox", []string{"Q2"}},
		{"lazy.pink.rabbit", []string{"Q2"}},
		{"quick.brown.fox", nil},
		{"orange", nil},
		{"quick.orange.new.rabbit", nil},
		{"lazy.orange.new.rabbit", []string{"Q2"}},
	}
	for _, tt := range tests {
		res := Route(tutorialTopic, Message{Exchange: "topic_logs", RoutingKey: tt.key})
		if !reflect.DeepEqual(res.Queues, tt.want) {
			t.Errorf("%s: queues %v, want %v", tt.key, res.Queues, tt.want)
		}
		if len(res.Verdicts) != 3 {
			t.Errorf("%s: %d verdicts, want one per binding (3)", tt.key, len(res.Verdicts))
		}
	}
	res := Route(tutorialTopic, Message{Exchange: "topic_logs", RoutingKey: "lazy.pink.rabbit"})
	if !hasNote(res, "queue 'Q2' matched 2 times: it gets one copy") {
		t.Errorf("lazy.pink.rabbit: notes %q lack the one-copy note", res.Notes)
	}
	if res.Verdicts[0].Reason != "'orange' != 'pink' at word 2" {
		t.Errorf("verdict for *.orange.*: %q", res.Verdicts[0].Reason)
	}
}

func hasNote(r Result, s string) bool {
	for _, n := range r.Notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

func TestRouteExchangeTypes(t *testing.T) {
	topo := &Topology{
		Exchanges: []Exchange{
			{Name: "logs", Type: Direct},
			{Name: "config", Type: Fanout},
			{Name: "docs", Type: Headers},
		},
		Queues: q("errors", "all", "svc-a", "svc-b", "pdf"),
		Bindings: []Binding{
			bq("logs", "errors", "error"),
			bq("logs", "all", "info"),
			bq("logs", "all", "error"),
			bq("config", "svc-a", "ignored"),
			bq("config", "svc-b", ""),
			{Source: "docs", Destination: "pdf", DestinationType: ToQueue, Arguments: Table{"x-match": "all", "format": "pdf"}},
		},
	}
	tests := []struct {
		name    string
		msg     Message
		want    []string
		fate    Fate
		reasons []string
	}{
		{"direct error", Message{Exchange: "logs", RoutingKey: "error"}, []string{"all", "errors"}, Routed,
			[]string{"direct: 'error' == 'error'", "direct: 'info' != 'error'", "direct: 'error' == 'error'"}},
		{"direct info", Message{Exchange: "logs", RoutingKey: "info"}, []string{"all"}, Routed,
			[]string{"direct: 'error' != 'info'", "direct: 'info' == 'info'", "direct: 'error' != 'info'"}},
		{"direct is case sensitive", Message{Exchange: "logs", RoutingKey: "Error"}, nil, Dropped, nil},
		{"fanout ignores the key", Message{Exchange: "config", RoutingKey: "whatever"}, []string{"svc-a", "svc-b"}, Routed,
			[]string{"fanout: routing key ignored", "fanout: routing key ignored"}},
		{"headers", Message{Exchange: "docs", Headers: Table{"format": "pdf"}}, []string{"pdf"}, Routed,
			[]string{"x-match=all: 'format' = 'pdf'"}},
		{"headers miss, mandatory", Message{Exchange: "docs", Headers: Table{"format": "zip"}, Mandatory: true}, nil, Returned,
			[]string{"x-match=all: header 'format' is 'zip', binding wants 'pdf'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Route(topo, tt.msg)
			if !reflect.DeepEqual(res.Queues, tt.want) || res.Fate != tt.fate {
				t.Fatalf("queues %v fate %s; want %v %s", res.Queues, res.Fate, tt.want, tt.fate)
			}
			if tt.reasons != nil {
				var got []string
				for _, v := range res.Verdicts {
					got = append(got, v.Reason)
				}
				if !reflect.DeepEqual(got, tt.reasons) {
					t.Fatalf("reasons %q, want %q", got, tt.reasons)
				}
			}
		})
	}
}

func TestRouteDefaultExchange(t *testing.T) {
	topo := &Topology{Queues: q("tasks")}
	tests := []struct {
		name string
		msg  Message
		want []string
		fate Fate
		note string
	}{
		{"routing key names a queue", Message{RoutingKey: "tasks"}, []string{"tasks"}, Routed, ""},
		{"no such queue", Message{RoutingKey: "nope"}, nil, Dropped, "default exchange: no queue named 'nope'"},
		{"no such queue, mandatory", Message{RoutingKey: "nope", Mandatory: true}, nil, Returned, "312 NO_ROUTE"},
		{"CC adds a queue", Message{RoutingKey: "nope", Headers: Table{"CC": []any{"tasks"}}}, []string{"tasks"}, Routed, ""},
	}
	for _, tt := range tests {
		res := Route(topo, tt.msg)
		if !reflect.DeepEqual(res.Queues, tt.want) || res.Fate != tt.fate {
			t.Errorf("%s: queues %v fate %s; want %v %s", tt.name, res.Queues, res.Fate, tt.want, tt.fate)
		}
		if tt.note != "" && !hasNote(res, tt.note) {
			t.Errorf("%s: notes %q lack %q", tt.name, res.Notes, tt.note)
		}
		if !reflect.DeepEqual(res.Exchanges, []string{""}) {
			t.Errorf("%s: exchanges %q", tt.name, res.Exchanges)
		}
	}
	res := Route(topo, Message{RoutingKey: "tasks"})
	if len(res.Verdicts) != 1 || res.Verdicts[0].Reason != "default exchange: routing key 'tasks' names queue 'tasks'" {
		t.Errorf("default exchange verdicts: %+v", res.Verdicts)
	}
}

func TestRouteErrors(t *testing.T) {
	topo := &Topology{Exchanges: []Exchange{{Name: "hidden", Type: Fanout, Internal: true}}}
	tests := []struct {
		name string
		msg  Message
		code int
		text string
	}{
		{"unknown exchange", Message{Exchange: "x"}, 404, "NOT_FOUND - no exchange 'x' in vhost '/'"},
		{"internal exchange", Message{Exchange: "hidden"}, 403, "ACCESS_REFUSED - cannot publish to internal exchange 'hidden' in vhost '/'"},
		{"CC not an array", Message{RoutingKey: "a", Headers: Table{"CC": "b"}}, 406,
			`PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,"CC",longstr}`},
	}
	for _, tt := range tests {
		res := Route(topo, tt.msg)
		var e *Error
		if !errors.As(res.Err, &e) || e.Code != tt.code || e.Text != tt.text || res.Fate != Refused {
			t.Errorf("%s: err %v fate %s; want %d %s, refused", tt.name, res.Err, res.Fate, tt.code, tt.text)
		}
	}
	res := Model{VHost: "dev"}.Route(topo, Message{Exchange: "x"})
	if res.Err == nil || res.Err.Error() != "404 NOT_FOUND - no exchange 'x' in vhost 'dev'" {
		t.Errorf("vhost in error: %v", res.Err)
	}
}

func TestRouteExchangeToExchange(t *testing.T) {
	topo := &Topology{
		Exchanges: []Exchange{
			{Name: "a", Type: Fanout},
			{Name: "b", Type: Topic},
			{Name: "c", Type: Direct},
			{Name: "internal", Type: Fanout, Internal: true},
		},
		Queues: q("qa", "qb", "qc", "qi"),
		Bindings: []Binding{
			bx("a", "b", ""),
			bq("a", "qa", ""),
			bq("b", "qb", "k.#"),
			bx("b", "c", "#"),
			bq("c", "qc", "k.x"),
			bx("c", "a", "k.x"),  // cycle back to a
			bq("c", "qa", "k.x"), // qa twice: one copy
			bx("a", "internal", ""),
			bq("internal", "qi", ""),
		},
	}
	res := Route(topo, Message{Exchange: "a", RoutingKey: "k.x"})
	if want := []string{"qa", "qb", "qc", "qi"}; !reflect.DeepEqual(res.Queues, want) {
		t.Fatalf("queues %v, want %v", res.Queues, want)
	}
	if res.Fate != Routed {
		t.Errorf("fate %s", res.Fate)
	}
	if !hasNote(res, "exchange 'a' already visited") {
		t.Errorf("notes %q lack the cycle", res.Notes)
	}
	// RabbitMQ puts each exchange destination at the front of its work list.
	if want := []string{"a", "internal", "b", "c"}; !reflect.DeepEqual(res.Exchanges, want) {
		t.Errorf("exchanges visited %q, want %q", res.Exchanges, want)
	}
	if len(res.Verdicts) != 9 {
		t.Errorf("%d verdicts, want 9 (every binding of every visited exchange)", len(res.Verdicts))
	}
	// A binding to an exchange counts as a destination, so a's and b's
	// alternate exchanges would not be used even when c matches nothing.
	res = Route(topo, Message{Exchange: "a", RoutingKey: "z"})
	if want := []string{"qa", "qi"}; !reflect.DeepEqual(res.Queues, want) {
		t.Errorf("z: queues %v, want %v", res.Queues, want)
	}
}

func TestRouteAlternateExchange(t *testing.T) {
	ae := Table{"alternate-exchange": "unrouted"}
	topo := &Topology{
		Exchanges: []Exchange{
			{Name: "orders", Type: Direct, Arguments: ae},
			{Name: "unrouted", Type: Fanout},
			{Name: "chain", Type: Direct, Arguments: Table{"alternate-exchange": "orders"}},
			{Name: "loop1", Type: Direct, Arguments: Table{"alternate-exchange": "loop2"}},
			{Name: "loop2", Type: Direct, Arguments: Table{"alternate-exchange": "loop1"}},
			{Name: "dangling", Type: Direct, Arguments: Table{"alternate-exchange": "missing"}},
			{Name: "front", Type: Fanout},
			{Name: "empty-ae", Type: Topic, Arguments: Table{"alternate-exchange": "void-ae"}},
			{Name: "void-ae", Type: Direct},
		},
		Queues: q("created", "lost", "direct"),
		Bindings: []Binding{
			bq("orders", "created", "order.created"),
			bq("unrouted", "lost", ""),
			bx("front", "orders", ""),
			bq("front", "direct", ""),
			bx("front", "empty-ae", ""),
		},
	}
	tests := []struct {
		name string
		msg  Message
		want []string
		fate Fate
		aes  []string
		note string
	}{
		{"matched: no alternate", Message{Exchange: "orders", RoutingKey: "order.created"}, []string{"created"}, Routed, nil, ""},
		{"unmatched: alternate", Message{Exchange: "orders", RoutingKey: "order.lost"}, []string{"lost"}, Alternate, []string{"unrouted"},
			"exchange 'orders' routed nowhere: on to its alternate exchange 'unrouted'"},
		{"alternate of an alternate", Message{Exchange: "chain", RoutingKey: "x"}, []string{"lost"}, Alternate, []string{"orders", "unrouted"}, ""},
		{"alternate of an alternate that matches", Message{Exchange: "chain", RoutingKey: "order.created"}, []string{"created"}, Alternate, []string{"orders"}, ""},
		{"alternates in a loop end", Message{Exchange: "loop1", RoutingKey: "x", Mandatory: true}, nil, Returned, []string{"loop2"},
			"its alternate exchange 'loop1' was already visited"},
		{"missing alternate is ignored", Message{Exchange: "dangling", RoutingKey: "x"}, nil, Dropped, nil,
			"alternate exchange 'missing' does not exist"},
		{"downstream alternate plus a direct queue", Message{Exchange: "front", RoutingKey: "x"}, []string{"direct", "lost"}, Routed, []string{"void-ae", "unrouted"}, ""},
		{"alternate that routes nowhere, mandatory", Message{Exchange: "empty-ae", RoutingKey: "x", Mandatory: true}, nil, Returned, []string{"void-ae"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Route(topo, tt.msg)
			if !reflect.DeepEqual(res.Queues, tt.want) || res.Fate != tt.fate || !reflect.DeepEqual(res.AlternateExchanges, tt.aes) {
				t.Fatalf("queues %v fate %s aes %v; want %v %s %v (notes %q)", res.Queues, res.Fate, res.AlternateExchanges,
					tt.want, tt.fate, tt.aes, res.Notes)
			}
			if tt.note != "" && !hasNote(res, tt.note) {
				t.Fatalf("notes %q lack %q", res.Notes, tt.note)
			}
		})
	}
}

func TestRouteVersionDifference(t *testing.T) {
	topo := &Topology{
		Exchanges: []Exchange{{Name: "h", Type: Headers}},
		Queues:    q("n"),
		Bindings:  []Binding{{Source: "h", Destination: "n", DestinationType: ToQueue, Arguments: Table{"n": int32(1)}}},
	}
	msg := Message{Exchange: "h", Headers: Table{"n": 1.0}}
	if res := (Model{Version: "3.10.8"}).Route(topo, msg); !reflect.DeepEqual(res.Queues, []string{"n"}) {
		t.Errorf("3.10.8: queues %v, want [n] (1 == 1.0)", res.Queues)
	}
	if res := Route(topo, msg); res.Queues != nil || res.Fate != Dropped {
		t.Errorf("4.x: queues %v fate %s, want none, dropped (1 =/= 1.0)", res.Queues, res.Fate)
	}
}

func TestRouteNilTopology(t *testing.T) {
	res := Route(nil, Message{Exchange: "x"})
	if res.Err == nil || res.Fate != Refused {
		t.Fatalf("Route(nil) = %+v, want the 404 for exchange x", res)
	}
	res = Route(nil, Message{RoutingKey: "q", Mandatory: true})
	if res.Fate != Returned {
		t.Fatalf("Route(nil) via the default exchange: fate %s, want returned", res.Fate)
	}
}

// TestRouteIsDeterministic: the same question gets the same answer, notes
// and verdicts included (a person compares runs).
func TestRouteIsDeterministic(t *testing.T) {
	topo := &Topology{
		Exchanges: []Exchange{{Name: "f", Type: Fanout}, {Name: "g", Type: Fanout}},
		Queues:    q("a", "b", "c", "d"),
		Bindings: []Binding{
			bq("f", "a", ""), bq("f", "a", "1"), bq("f", "b", ""), bq("f", "b", "1"),
			bq("f", "c", ""), bq("f", "c", "1"), bx("f", "g", ""), bq("g", "d", ""), bq("g", "d", "1"),
		},
	}
	first := Route(topo, Message{Exchange: "f"})
	for i := 0; i < 20; i++ {
		if again := Route(topo, Message{Exchange: "f"}); !reflect.DeepEqual(again, first) {
			t.Fatalf("run %d differs:\n%+v\n%+v", i, again, first)
		}
	}
	if len(first.Notes) != 4 {
		t.Errorf("notes %q, want one 'gets one copy' note per queue", first.Notes)
	}
}

func TestVerdictLine(t *testing.T) {
	v := Verdict{Binding: Binding{Source: "animals", Destination: "Q1", RoutingKey: "*.orange.*"}, Matched: true, Reason: "'*' matched 'quick'"}
	if got := v.Line(nil); got != `✓ animals -["*.orange.*"]-> Q1: '*' matched 'quick'` {
		t.Errorf("Line = %q", got)
	}
	h := Verdict{Binding: Binding{Destination: "q", Arguments: Table{"x-match": "all"}}, Reason: "r"}
	if got := h.Line(func(Table) string { return "{args}" }); got != "✗ (default) -[{args}]-> q: r" {
		t.Errorf("Line = %q", got)
	}
}
