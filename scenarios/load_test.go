package scenarios

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/warrenmq/warren/sandbox/routing"
)

func TestBuiltinsLoadInOrder(t *testing.T) {
	if err := builtinError(); err != nil {
		t.Fatalf("a built-in scenario does not load:\n%v", err)
	}
	want := []string{"direct", "fanout", "topic", "headers", "user-update", "unroutable",
		"priority", "retry-with-ttl", "poison-message", "single-active-consumer", "stream-replay", "rpc", "durability",
		"quiz-exchanges", "quiz-topic", "quiz-headers", "quiz-unroutable", "quiz-work-queue"}
	if got := BuiltinNames(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Builtins() = %v, want %v", got, want)
	}
	for _, sc := range Builtins() {
		if sc.Title == "" || sc.About == "" {
			t.Errorf("%s: no title or about", sc.Name)
		}
		for i, st := range sc.Steps {
			if st.Say == "" {
				t.Errorf("%s step %d (line %d): no say", sc.Name, i+1, st.Line)
			}
		}
		for _, q := range sc.Topology.Queues {
			// durability shows what a restart does to a transient queue
			if !q.Durable && !(sc.Name == "durability" && q.Name == "transient-orders") {
				t.Errorf("%s: queue %s is not durable (RabbitMQ 4.3 refuses that)", sc.Name, q.Name)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	sc, err := Lookup("topic")
	if err != nil || sc.Name != "topic" || len(sc.Steps) != 9 {
		t.Fatalf("Lookup(topic) = %v, %v", sc, err)
	}
	_, err = Lookup("no-such-scenario")
	var ue *UnknownScenarioError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "direct, fanout, topic") {
		t.Fatalf("Lookup(no-such-scenario) = %v, want the list of built-ins", err)
	}
}

// minimal is a valid file that the error cases below break one way each.
const minimal = `name: t
topology:
  exchanges: [{name: x, type: topic}]
  queues: [{name: q}]
  bindings:
    - {source: x, destination: q, routing_key: "a.*"}
steps:
  - publish: {exchange: x, routing_key: a.b}
    expect: [q]
`

func TestParseValidFile(t *testing.T) {
	sc, err := Parse("ok.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Steps[0].Line != 8 || !sc.Topology.Queues[0].Durable || sc.Topology.Bindings[0].DestinationType != routing.ToQueue {
		t.Fatalf("parsed %+v", sc)
	}
}

func TestParseRefusesWithFileLine(t *testing.T) {
	long := strings.Repeat("k", 256)
	for _, tc := range []struct {
		name, file string
		want       string // "LINE: fragment"
	}{
		{"yaml syntax", "name: [unclosed\n", "1: not valid YAML"},
		{"unknown top field", minimal + "colour: blue\n", "10: scenario: unknown field \"colour\""},
		{"unknown exchange field", strings.Replace(minimal, "type: topic}", "type: topic, durabel: true}", 1),
			"3: exchange: unknown field \"durabel\"; the fields are name, type"},
		{"unknown step field", strings.Replace(minimal, "    expect: [q]", "    expect: [q]\n    expects: [q]", 1),
			"10: step: unknown field \"expects\""},
		{"binding to undeclared queue", strings.Replace(minimal, "destination: q,", "destination: Q3,", 1),
			"6: binding destination \"Q3\" is not a declared queue; declare it under topology.queues"},
		{"binding from undeclared exchange", strings.Replace(minimal, "source: x,", "source: nope,", 1),
			"6: binding source \"nope\" is not a declared exchange"},
		{"binding to undeclared exchange", strings.Replace(minimal, "destination: q,", "destination: y, destination_type: exchange,", 1),
			"6: binding destination \"y\" is not a declared exchange"},
		{"unknown exchange type", strings.Replace(minimal, "type: topic", "type: x-delayed", 1),
			"3: exchange \"x\": unknown exchange type \"x-delayed\"; use direct, fanout, topic or headers"},
		{"bad x-match", strings.Replace(minimal, "type: topic", "type: headers", 1) + "# \n",
			""}, // placeholder replaced below
		{"routing key too long", strings.Replace(minimal, `routing_key: "a.*"`, "routing_key: "+long, 1),
			"6: binding routing key: \"kkkkkkkkkkkkkkkkkkkk\"... is 256 bytes long"},
		{"queue name too long", strings.Replace(minimal, "{name: q}", "{name: "+long+"}", 1),
			"4: queue name: \"kkkkkkkkkkkkkkkkkkkk\"... is 256 bytes long"},
		{"publish routing key too long", strings.Replace(minimal, "routing_key: a.b}", "routing_key: "+long+"}", 1),
			"8: routing key: \"kkkkkkkkkkkkkkkkkkkk\"... is 256 bytes long"},
		{"restart with publish", strings.Replace(minimal, "    expect: [q]\n", "    restart_broker: true\n", 1),
			"8: step 1 restarts the broker: it cannot also have publish; put the publish in a step of its own before or after it"},
		{"restart false", strings.Replace(minimal, "    expect: [q]\n", "    expect: [q]\n    restart_broker: false\n", 1),
			"10: step 1: restart_broker: false does nothing"},
		{"expect_ready without restart", strings.Replace(minimal, "    expect: [q]\n", "    expect: [q]\n    expect_ready: {q: 1}\n", 1),
			"10: step 1: expect_ready is checked after a broker restart; add restart_broker: true to the step (without publish)"},
		{"expect_gone undeclared", minimal + "  - {restart_broker: true, expect_gone: [nope]}\n",
			"10: step 2: expect_gone names \"nope\", which is not a declared queue"},
		{"expect_ready negative", minimal + "  - {restart_broker: true, expect_ready: {q: -1}}\n",
			"10: step 2: expect_ready q: -1; a count is 0 or more"},
		{"step without expect", strings.Replace(minimal, "    expect: [q]\n", "", 1),
			"8: step 1 has no expect: list the queues that should receive the message, or write expect: [] for none"},
		{"expect undeclared queue", strings.Replace(minimal, "expect: [q]", "expect: [q, r]", 1),
			"9: step 1 expects queue \"r\", which is not declared"},
		{"consumer on undeclared queue", minimal + "consumers: [{name: c, queue: nope}]\n",
			"10: consumer \"c\": queue \"nope\" is not a declared queue"},
		{"duplicate queue", strings.Replace(minimal, "{name: q}]", "{name: q}, {name: q}]", 1),
			"4: queue \"q\" is declared twice; keep one"},
		{"duplicate exchange", strings.Replace(minimal, "type: topic}]", "type: topic}, {name: x, type: direct}]", 1),
			"3: exchange \"x\" is declared twice; keep one"},
		{"duplicate consumer", minimal + "consumers: [{name: c, queue: q}, {name: c, queue: q}]\n",
			"10: consumer \"c\" is declared twice"},
		{"duplicate key", strings.Replace(minimal, "name: t\n", "name: t\nname: u\n", 1),
			"2: scenario: \"name\" is given twice"},
		{"publish to undeclared exchange", strings.Replace(minimal, "exchange: x, routing_key: a.b", "exchange: y, routing_key: a.b", 1),
			"8: step 1 publishes to exchange \"y\", which is not declared (404 NOT_FOUND)"},
		{"expect_returned without mandatory", strings.Replace(minimal, "expect: [q]", "expect: []\n    expect_returned: true", 1),
			"10: step 1 expects a return, but only a mandatory message is returned"},
		{"expect_consumers wrong consumer", minimal + "consumers: [{name: c, queue: q}]\n" +
			"", ""}, // placeholder replaced below
		{"bad width tag", strings.Replace(minimal, "routing_key: a.b}", "routing_key: a.b, headers: {n: !byte 300}}", 1),
			"8: headers \"n\": \"300\" is not a signed 8-bit integer"},
		{"unknown tag", strings.Replace(minimal, "routing_key: a.b}", "routing_key: a.b, headers: {n: !uint 3}}", 1),
			"8: headers \"n\": unknown tag !uint"},
		{"amq. prefix", strings.Replace(minimal, "{name: x, type: topic}", "{name: amq.mine, type: topic}", 1),
			"3: exchange \"amq.mine\": the amq. prefix is reserved"},
		{"bad ack", minimal + "consumers: [{name: c, queue: q, ack: sometimes}]\n",
			"10: consumer \"c\": ack \"sometimes\"; use auto, manual, nack-requeue or hold"},
		{"expect_before not a version", strings.Replace(minimal, "expect: [q]", "expect: [q]\n    expect_before: {soon: []}", 1),
			"10: step 1: expect_before: \"soon\" is not a RabbitMQ version"},
		{"expect_before undeclared queue", strings.Replace(minimal, "expect: [q]", "expect: [q]\n    expect_before: {\"3.13\": [r]}", 1),
			"10: step 1: expect_before names \"r\", which is not a declared queue"},
		{"expect_before not a map", strings.Replace(minimal, "expect: [q]", "expect: [q]\n    expect_before: [q]", 1),
			"10: step 1: expect_before maps a RabbitMQ version"},
		{"no steps", strings.Split(minimal, "steps:")[0], "1: no steps"},
	} {
		switch tc.name {
		case "bad x-match":
			tc.file = strings.Replace(strings.Replace(minimal, "type: topic", "type: headers", 1),
				`routing_key: "a.*"}`, "arguments: {x-match: every, a: b}}", 1)
			tc.want = "6: binding x -> q: x-match \"every\"; use all, any, all-with-x or any-with-x"
		case "expect_consumers wrong consumer":
			tc.file = strings.Replace(minimal, "expect: [q]", "expect: [q]\n    expect_consumers: {q: d}", 1) +
				"consumers: [{name: c, queue: q}]\n"
			tc.want = "10: step 1: \"d\" is not a consumer of this scenario"
		}
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.file))
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.file)
			}
			var les LoadErrors
			if !errors.As(err, &les) {
				t.Fatalf("error %T %v, want LoadErrors", err, err)
			}
			if !strings.Contains(err.Error(), "bad.yaml:"+tc.want) {
				t.Fatalf("error:\n%v\nwant it to contain:\nbad.yaml:%s", err, tc.want)
			}
		})
	}
}

func TestTypedHeaderValues(t *testing.T) {
	file := strings.Replace(minimal, "routing_key: a.b}", `routing_key: a.b, headers: {
      s: text, i: 2, f: 2.5, b: true, v: ~, date: 2024-05-01,
      by: !byte -3, sh: !short 300, in: !int 70000, lo: !long 5, fl: !float 1.5, do: !double 2,
      ts: !timestamp 2024-05-01T12:00:00Z, bin: !binary aGk=, str: !string 12,
      nested: {a: 1}, list: [1, x]}}`, 1)
	sc, err := Parse("typed.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	want := routing.Table{
		"s": "text", "i": int64(2), "f": 2.5, "b": true, "v": nil, "date": "2024-05-01",
		"by": int8(-3), "sh": int16(300), "in": int32(70000), "lo": int64(5), "fl": float32(1.5), "do": float64(2),
		"ts": time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), "bin": []byte("hi"), "str": "12",
		"nested": routing.Table{"a": int64(1)}, "list": []any{int64(1), "x"},
	}
	if got := sc.Steps[0].Publish.Headers; !reflect.DeepEqual(got, want) {
		t.Fatalf("headers\n got %#v\nwant %#v", got, want)
	}
}

// The topology sections of a RabbitMQ definitions export (JSON is YAML)
// can be pasted under topology as they are.
func TestParseDefinitionsExport(t *testing.T) {
	file := `name: exported
topology: {
  "queues": [{"name": "q1", "vhost": "/", "durable": true, "auto_delete": false, "arguments": {"x-queue-type": "classic"}}],
  "exchanges": [{"name": "x1", "vhost": "/", "type": "topic", "durable": true, "auto_delete": false, "internal": false, "arguments": {}}],
  "bindings": [{"source": "x1", "vhost": "/", "destination": "q1", "destination_type": "queue", "routing_key": "a.#", "arguments": {}}]
}
steps:
  - publish: {exchange: x1, routing_key: a.b}
    expect: [q1]
`
	sc, err := Parse("exported.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	b := sc.Topology.Bindings[0]
	if b.Source != "x1" || b.Destination != "q1" || b.RoutingKey != "a.#" || sc.Topology.Exchanges[0].Type != routing.Topic {
		t.Fatalf("topology %+v", sc.Topology)
	}
}

func TestParseRestartStep(t *testing.T) {
	sc, err := Parse("r.yaml", []byte(minimal+"  - say: restart\n    restart_broker: true\n    expect_ready: {q: 0}\n    expect_gone: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	st := sc.Steps[1]
	if !st.RestartBroker || st.ExpectReady["q"] != 0 || len(st.ExpectReady) != 1 || st.Expect != nil || !sc.RestartsBroker() {
		t.Fatalf("restart step parsed as %+v", st)
	}
}

// A non-string x-match is named in the notation (with its AMQP type),
// not by its Go type.
func TestXMatchOfAnotherTypeIsShownTyped(t *testing.T) {
	if got := xMatchValue(routing.Table{"x-match": int32(1)}); got != ":int=1 (not a string)" {
		t.Errorf("xMatchValue = %q", got)
	}
}
