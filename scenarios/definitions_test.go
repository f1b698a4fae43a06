package scenarios

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/warrenmq/warren/sandbox/routing"
)

// Every built-in scenario exported as definitions opens again as the
// same topology.
func TestScenarioToDefinitionsAndBack(t *testing.T) {
	for _, sc := range Builtins() {
		t.Run(sc.Name, func(t *testing.T) {
			b, err := json.Marshal(ToDefinitions(&sc))
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse(sc.Name+".json", b)
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if !reflect.DeepEqual(normalTopology(back.Topology), normalTopology(sc.Topology)) {
				t.Errorf("the topology came back changed:\n%#v\nwant\n%#v", back.Topology, sc.Topology)
			}
			if len(back.Steps) != 0 {
				t.Errorf("definitions have no steps, got %d", len(back.Steps))
			}
		})
	}
}

// normalTopology makes empty argument tables nil (a scenario may say
// arguments: {} where definitions say nothing) and every integer a long:
// JSON has one kind of number, RabbitMQ imports integers as longs, and
// routing never looks at an integer's width.
func normalTopology(t routing.Topology) routing.Topology {
	out := routing.Topology{}
	for _, x := range t.Exchanges {
		x.Arguments = normalArgs(x.Arguments)
		out.Exchanges = append(out.Exchanges, x)
	}
	for _, q := range t.Queues {
		q.Arguments = normalArgs(q.Arguments)
		out.Queues = append(out.Queues, q)
	}
	for _, b := range t.Bindings {
		b.Arguments = normalArgs(b.Arguments)
		out.Bindings = append(out.Bindings, b)
	}
	return out
}

func normalArgs(t routing.Table) routing.Table {
	if len(t) == 0 {
		return nil
	}
	out := routing.Table{}
	for k, v := range t {
		switch n := v.(type) {
		case int8:
			v = int64(n)
		case int16:
			v = int64(n)
		case int32:
			v = int64(n)
		case int:
			v = int64(n)
		case uint8:
			v = int64(n)
		case uint16:
			v = int64(n)
		case uint32:
			v = int64(n)
		}
		out[k] = v
	}
	return out
}

const rabbitExport = `{"rabbit_version":"3.10.8","rabbitmq_version":"3.10.8","product_name":"RabbitMQ","product_version":"3.10.8",
"users":[],"vhosts":[{"name":"/"},{"name":"empty"}],"permissions":[],"topic_permissions":[],"parameters":[],"global_parameters":[],"policies":[],
"queues":[{"name":"orders","vhost":"/","durable":true,"auto_delete":false,"arguments":{"x-queue-type":"quorum"}}],
"exchanges":[{"name":"shop","vhost":"/","type":"topic","durable":true,"auto_delete":false,"internal":false,"arguments":{}}],
"bindings":[{"source":"shop","vhost":"/","destination":"orders","destination_type":"queue","routing_key":"order.#","arguments":{}}]}`

func TestDefinitionsOpenAsAScenario(t *testing.T) {
	sc, err := Parse("export.json", []byte(rabbitExport))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "export" || !strings.Contains(sc.Title, "vhost / (RabbitMQ 3.10.8)") || len(sc.Steps) != 0 {
		t.Errorf("scenario %q %q with %d steps", sc.Name, sc.Title, len(sc.Steps))
	}
	res := routing.Route(&sc.Topology, routing.Message{Exchange: "shop", RoutingKey: "order.created"})
	if !reflect.DeepEqual(res.Queues, []string{"orders"}) {
		t.Errorf("routed to %v", res.Queues)
	}
	if got := sc.Topology.Queues[0].Arguments["x-queue-type"]; got != "quorum" {
		t.Errorf("x-queue-type %v", got)
	}
}

func TestDefinitionsThatCannotBeAScenario(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"two vhosts", `{"queues":[{"name":"a","vhost":"v1"},{"name":"b","vhost":"v2"}]}`, `entities in 2 vhosts ("v1", "v2"): say which with --vhost`},
		{"a plugin's type", `{"exchanges":[{"name":"d","vhost":"/","type":"x-delayed-message"}]}`, `exchange "d" has type "x-delayed-message", a plugin's`},
		{"server-named queue", `{"queues":[{"name":"amq.gen-x","vhost":"/"}]}`, `queue "amq.gen-x": a server-named queue`},
		{"broken", "{\"queues\": [\n{\"name\": 1}]}", "d.json:2: queues.name: a number where a string was expected"},
		{"binding", `{"bindings":[{"source":"nosuch","vhost":"/","destination":"q","destination_type":"queue"}]}`, `d.json: bindings[0]: source exchange "nosuch"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("d.json", []byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
