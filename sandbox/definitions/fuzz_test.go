package definitions

import (
	"encoding/json"
	"testing"
)

// Parse never panics, and what it accepts it writes out in a form it
// accepts again with the same topology.
func FuzzParse(f *testing.F) {
	f.Add([]byte(export310))
	f.Add([]byte(`{"queues":[{"name":"q","vhost":"/","arguments":{"x-max-length":1e3,"n":[1,"a",{"b":null}]}}]}`))
	f.Add([]byte(`{"users":[{"name":"u","tags":"a,b","password_hash":"AAAAAAAAAAA="}]}`))
	f.Add([]byte(`{"bindings":[{"source":"amq.headers","destination":"amq.fanout","destination_type":"exchange","arguments":{"x-match":"any"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("f.json", data)
		if err != nil {
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("accepted definitions do not marshal: %v", err)
		}
		back, err := Parse("again.json", out)
		if err != nil {
			t.Fatalf("written definitions are refused: %v\n%s", err, out)
		}
		for _, v := range d.VHostNames() {
			a, _ := json.Marshal(d.Topology(v))
			b, _ := json.Marshal(back.Topology(v))
			if string(a) != string(b) {
				t.Fatalf("vhost %q changed:\n%s\n%s", v, a, b)
			}
		}
	})
}
