package definitions

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/warrenmq/warren/sandbox/routing"
)

// export310 is shaped as RabbitMQ 3.10.8's GET /api/definitions answers
// (the guest hash is of the password "guest").
const export310 = `{"rabbit_version":"3.10.8","rabbitmq_version":"3.10.8","product_name":"RabbitMQ","product_version":"3.10.8",
"users":[{"name":"guest","password_hash":"BP966VUkfBOW01yAZIYAxbpHigPn+lk4y+0T4n7nPzvUkRxn","hashing_algorithm":"rabbit_password_hashing_sha256","tags":["administrator"],"limits":{}}],
"vhosts":[{"name":"/"},{"name":"shop"}],
"permissions":[{"user":"guest","vhost":"/","configure":".*","write":".*","read":".*"}],
"topic_permissions":[],"parameters":[],
"global_parameters":[{"name":"internal_cluster_id","value":"rabbitmq-cluster-id-x"}],
"policies":[{"vhost":"shop","name":"ttl","pattern":"^orders","apply-to":"queues","definition":{"message-ttl":60000},"priority":0}],
"queues":[{"name":"orders","vhost":"shop","durable":true,"auto_delete":false,"arguments":{"x-queue-type":"quorum","x-delivery-limit":2,"x-ratio":0.5}}],
"exchanges":[{"name":"events","vhost":"shop","type":"topic","durable":true,"auto_delete":false,"internal":false,"arguments":{"alternate-exchange":"amq.fanout"}}],
"bindings":[{"source":"events","vhost":"shop","destination":"orders","destination_type":"queue","routing_key":"order.*","arguments":{}}]}`

func TestParseRabbitMQExport(t *testing.T) {
	d, err := Parse("defs.json", []byte(export310))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.VHostNames(); !reflect.DeepEqual(got, []string{"/", "shop"}) {
		t.Errorf("vhosts %v", got)
	}
	q := d.Queues[0]
	if v, ok := q.Arguments["x-delivery-limit"].(int64); !ok || v != 2 {
		t.Errorf("x-delivery-limit = %#v, want int64 2", q.Arguments["x-delivery-limit"])
	}
	if v, ok := q.Arguments["x-ratio"].(float64); !ok || v != 0.5 {
		t.Errorf("x-ratio = %#v, want 0.5", q.Arguments["x-ratio"])
	}
	if d.Bindings[0].Arguments != nil {
		t.Errorf("empty binding arguments = %#v, want nil", d.Bindings[0].Arguments)
	}
	if !CheckPassword(d.Users[0].PasswordHash, d.Users[0].HashingAlgorithm, "guest") {
		t.Error("RabbitMQ's hash of guest's password does not check out")
	}
	if CheckPassword(d.Users[0].PasswordHash, d.Users[0].HashingAlgorithm, "Guest") {
		t.Error("a wrong password checks out")
	}
	vh, err := d.PickVHost("")
	if err != nil || vh != "shop" {
		t.Fatalf("PickVHost = %q, %v; want shop (the only vhost with entities)", vh, err)
	}
	res := routing.Route(ptr(d.Topology(vh)), routing.Message{Exchange: "events", RoutingKey: "order.created"})
	if !reflect.DeepEqual(res.Queues, []string{"orders"}) {
		t.Errorf("routed to %v, want [orders]", res.Queues)
	}
}

func ptr[T any](v T) *T { return &v }

func TestRoundTripKeepsWhatItDoesNotModel(t *testing.T) {
	d, err := Parse("defs.json", []byte(export310))
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("again.json", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(normRaw(t, d), normRaw(t, back)) {
		t.Errorf("round trip changed the definitions:\n%s", out)
	}
	if !strings.Contains(string(out), `"message-ttl":60000`) {
		t.Errorf("the policy was lost: %s", out)
	}
	vd := d.ForVHost("shop")
	vout, _ := json.Marshal(vd)
	if strings.Contains(string(vout), `"vhost"`) {
		t.Errorf("one vhost's definitions name a vhost: %s", vout)
	}
	if len(vd.Policies) != 1 || len(vd.Queues) != 1 {
		t.Errorf("vhost definitions %s", vout)
	}
}

// normRaw compacts the raw sections so that whitespace does not count.
func normRaw(t *testing.T, d *Definitions) string {
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	json.Unmarshal(b, &v)
	b, _ = json.Marshal(v)
	return string(b)
}

func TestTopologyRoundTrip(t *testing.T) {
	top := routing.Topology{
		Exchanges: []routing.Exchange{{Name: "h", Type: routing.Headers, Durable: true, Arguments: routing.Table{"alternate-exchange": "ae"}}, {Name: "ae", Type: routing.Fanout}},
		Queues:    []routing.Queue{{Name: "q1", Durable: true, Arguments: routing.Table{"x-max-length": int64(5)}}, {Name: "q2", Exclusive: true}},
		Bindings: []routing.Binding{
			{Source: "h", Destination: "q1", DestinationType: routing.ToQueue, Arguments: routing.Table{"x-match": "any", "n": int64(1)}},
			{Source: "ae", Destination: "q2", DestinationType: routing.ToQueue, RoutingKey: "k"},
		},
	}
	d := Empty()
	d.Exchanges, d.Queues, d.Bindings = FromTopology("/", top)
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("t.json", b)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Topology("/"); !reflect.DeepEqual(got, top) {
		t.Errorf("topology came back as\n%#v\nwant\n%#v", got, top)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", ``, "f.json: the file is empty"},
		{"not an object", `[1]`, "f.json:1: a definitions file is one JSON object"},
		{"syntax", "{\n\"queues\": [,]}", "f.json:2: not valid JSON"},
		{"cut", "{\"queues\": [", "the JSON ends early"},
		{"wrong type", `{"queues": [{"name": 1}]}`, "f.json:1: queues.name: a number where a string was expected"},
		{"tags", `{"users": [{"name":"u","tags":1}]}`, "tags must be a list of strings"},
		{"binding source", `{"queues":[{"name":"q","vhost":"/"}],"bindings":[{"source":"x","vhost":"/","destination":"q","destination_type":"queue"}]}`,
			`f.json: bindings[0]: source exchange "x" is not among the exchanges of vhost "/"`},
		{"binding dest", `{"bindings":[{"source":"amq.topic","vhost":"/","destination":"q","destination_type":"queue"}]}`,
			`destination queue "q" is not among the queues`},
		{"dest type", `{"bindings":[{"source":"amq.topic","destination":"amq.fanout","destination_type":"exchnage"}]}`, `destination_type "exchnage": use queue or exchange`},
		{"x-match", `{"queues":[{"name":"q"}],"bindings":[{"source":"amq.headers","destination":"q","destination_type":"queue","arguments":{"x-match":"some"}}]}`, "x-match"},
		{"duplicate queue", `{"queues":[{"name":"q"},{"name":"q"}]}`, `queues[1]: queue "q" is listed twice`},
		{"regexp", `{"permissions":[{"user":"u","vhost":"/","configure":"(?=a)","write":"","read":""}]}`, "Go's RE2 syntax"},
		{"algorithm", `{"users":[{"name":"u","password_hash":"AAAAAAAA","hashing_algorithm":"bcrypt"}]}`, `hashing_algorithm "bcrypt"`},
		{"two objects", `{} {}`, "more JSON after the definitions object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("f.json", []byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLooks(t *testing.T) {
	if !Looks([]byte(export310)) || !Looks([]byte(` {"queues": []}`)) {
		t.Error("a definitions file does not look like one")
	}
	if Looks([]byte("name: topic\n")) || Looks([]byte(`{"name": "topic", "steps": []}`)) {
		t.Error("a scenario looks like definitions")
	}
}

func TestTags(t *testing.T) {
	var u User
	if err := json.Unmarshal([]byte(`{"name":"a","tags":"administrator, monitoring"}`), &u); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(u.Tags, Tags{"administrator", "monitoring"}) {
		t.Errorf("tags %v", u.Tags)
	}
	b, _ := json.Marshal(User{Name: "b"})
	if !strings.Contains(string(b), `"tags":[]`) {
		t.Errorf("no tags marshal as %s, want []", b)
	}
}

func TestHashPassword(t *testing.T) {
	h := HashPassword("s3cret")
	if !CheckPassword(h, SHA256, "s3cret") || CheckPassword(h, SHA256, "other") {
		t.Error("a fresh hash does not check")
	}
	if HashPassword("s3cret") == h {
		t.Error("two hashes of one password are equal: no salt")
	}
}
