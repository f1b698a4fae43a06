package management

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/brokertest"
)

// step is one request of a script played on both APIs, and what
// RabbitMQ answers: the status, the JSON type of each field tools read,
// and values where they are the same on every broker.
type step struct {
	what   string
	method string
	path   string // {vh} stands for the test's vhost, escaped
	body   any
	status int
	// find picks, in a list answer, the element whose fields equal these
	find map[string]any
	// types are dotted field paths and the JSON type they must have
	types map[string]string
	// values are dotted field paths and their value
	values map[string]any
	// names, for a list answer, is the sorted set of the elements' "name"
	names []string
	// location is the Location header a 201 must carry
	location string
	// await: RabbitMQ fills a queue's counts in from its statistics, a few
	// seconds late; repeat the request until the values hold (or 20s)
	await bool
}

// queueFields are what rabbitmqadmin, rabbit-hole and warren ctl read of
// a queue.
var queueFields = map[string]string{
	"name": "string", "vhost": "string", "durable": "bool", "auto_delete": "bool", "exclusive": "bool",
	"arguments": "object", "type": "string", "state": "string", "node": "string", "policy": "null",
	"messages": "number", "messages_ready": "number", "messages_unacknowledged": "number",
	"messages_details.rate": "number", "message_bytes": "number", "consumers": "number",
	"exclusive_consumer_tag": "null", "memory": "number",
}

var exchangeFields = map[string]string{
	"name": "string", "vhost": "string", "type": "string", "durable": "bool", "auto_delete": "bool",
	"internal": "bool", "arguments": "object",
}

var bindingFields = map[string]string{
	"source": "string", "vhost": "string", "destination": "string", "destination_type": "string",
	"routing_key": "string", "arguments": "object", "properties_key": "string",
}

func TestManagementAPIAnswersAsRabbitMQ(t *testing.T) {
	notFound := map[string]any{"error": "Object Not Found", "reason": "Not Found"}
	script := []step{
		{what: "create the exchange", method: "PUT", path: "/api/exchanges/{vh}/events", body: map[string]any{"type": "topic", "durable": true}, status: 201},
		{what: "declare it again", method: "PUT", path: "/api/exchanges/{vh}/events", body: map[string]any{"type": "topic", "durable": true}, status: 204},
		{what: "declare it as another type", method: "PUT", path: "/api/exchanges/{vh}/events", body: map[string]any{"type": "direct", "durable": true}, status: 400,
			values: map[string]any{"error": "bad_request", "reason": "inequivalent arg 'type' for exchange 'events' in vhost '{vhname}': received 'direct' but current is 'topic'"}},
		{what: "an unknown type", method: "PUT", path: "/api/exchanges/{vh}/other", body: map[string]any{"type": "nosuch"}, status: 400,
			values: map[string]any{"error": "bad_request", "reason": "unknown exchange type 'nosuch'"}},
		{what: "a reserved name", method: "PUT", path: "/api/exchanges/{vh}/amq.mine", body: map[string]any{"type": "direct"}, status: 401,
			values: map[string]any{"error": "not_authorised", "reason": "Access refused."}},
		{what: "not JSON", method: "PUT", path: "/api/exchanges/{vh}/other", body: []byte("garbage"), status: 400,
			values: map[string]any{"error": "bad_request", "reason": "not_json"}},
		{what: "the exchange", method: "GET", path: "/api/exchanges/{vh}/events", status: 200, types: exchangeFields,
			values: map[string]any{"name": "events", "type": "topic", "durable": true, "auto_delete": false, "internal": false}},
		{what: "the vhost's exchanges", method: "GET", path: "/api/exchanges/{vh}", status: 200,
			names: []string{"", "amq.direct", "amq.fanout", "amq.headers", "amq.match", "amq.rabbitmq.trace", "amq.topic", "events"}},
		{what: "create the queue", method: "PUT", path: "/api/queues/{vh}/orders", body: map[string]any{"durable": true, "arguments": map[string]any{"x-max-length": 10}}, status: 201},
		{what: "declare it again", method: "PUT", path: "/api/queues/{vh}/orders", body: map[string]any{"durable": true, "arguments": map[string]any{"x-max-length": 10}}, status: 204},
		{what: "declare it not durable", method: "PUT", path: "/api/queues/{vh}/orders", body: map[string]any{"durable": false, "arguments": map[string]any{"x-max-length": 10}}, status: 400,
			values: map[string]any{"error": "bad_request", "reason": "inequivalent arg 'durable' for queue 'orders' in vhost '{vhname}': received 'false' but current is 'true'"}},
		{what: "bind it", method: "POST", path: "/api/bindings/{vh}/e/events/q/orders", body: map[string]any{"routing_key": "order.*"}, status: 201, location: "orders/order.%252A"},
		{what: "bind with an odd key", method: "POST", path: "/api/bindings/{vh}/e/events/q/orders", body: map[string]any{"routing_key": "a b/c~#"}, status: 201, location: "orders/a%2Bb%252Fc%257E%2523"},
		{what: "bind to no queue", method: "POST", path: "/api/bindings/{vh}/e/events/q/nosuch", body: map[string]any{"routing_key": "k"}, status: 404,
			values: map[string]any{"error": "not_found", "reason": "no queue 'nosuch' in vhost '{vhname}'"}},
		{what: "publish to the binding", method: "POST", path: "/api/exchanges/{vh}/events/publish", status: 200,
			body:   map[string]any{"routing_key": "order.created", "payload": "o1", "payload_encoding": "string", "properties": map[string]any{"headers": map[string]any{"n": 1}, "delivery_mode": 2}},
			values: map[string]any{"routed": true}},
		{what: "publish unroutable", method: "POST", path: "/api/exchanges/{vh}/events/publish", status: 200,
			body: map[string]any{"routing_key": "nothing", "payload": "x", "payload_encoding": "string", "properties": map[string]any{}}, values: map[string]any{"routed": false}},
		{what: "publish through the default exchange", method: "POST", path: "/api/exchanges/{vh}/amq.default/publish", status: 200,
			body: map[string]any{"routing_key": "orders", "payload": "aGk=", "payload_encoding": "base64", "properties": map[string]any{}}, values: map[string]any{"routed": true}},
		{what: "publish to no exchange", method: "POST", path: "/api/exchanges/{vh}/nosuch/publish", status: 400,
			body:   map[string]any{"routing_key": "k", "payload": "x", "payload_encoding": "string", "properties": map[string]any{}},
			values: map[string]any{"error": "bad_request", "reason": "404 NOT_FOUND - no exchange 'nosuch' in vhost '{vhname}'"}},
		{await: true, what: "the queue", method: "GET", path: "/api/queues/{vh}/orders", status: 200, types: queueFields,
			values: map[string]any{"name": "orders", "durable": true, "messages": 2.0, "messages_ready": 2.0, "consumers": 0.0, "arguments.x-max-length": 10.0, "type": "classic"}},
		{await: true, what: "the vhost's queues", method: "GET", path: "/api/queues/{vh}", status: 200, names: []string{"orders"},
			find: map[string]any{"name": "orders"}, types: queueFields},
		{await: true, what: "columns", method: "GET", path: "/api/queues/{vh}?columns=name,messages", status: 200, find: map[string]any{"name": "orders"},
			values: map[string]any{"messages": 2.0, "durable": nil}},
		{what: "the bindings", method: "GET", path: "/api/bindings/{vh}", status: 200, find: map[string]any{"routing_key": "order.*"}, types: bindingFields,
			values: map[string]any{"source": "events", "destination": "orders", "properties_key": "order.%2A"}},
		{what: "the default exchange's binding", method: "GET", path: "/api/bindings/{vh}", status: 200, find: map[string]any{"source": ""}, types: bindingFields,
			values: map[string]any{"destination": "orders", "routing_key": "orders", "properties_key": "orders"}},
		{what: "the exchange's bindings", method: "GET", path: "/api/exchanges/{vh}/events/bindings/source", status: 200, find: map[string]any{"routing_key": "order.*"}, types: bindingFields},
		{what: "the queue's bindings", method: "GET", path: "/api/queues/{vh}/orders/bindings", status: 200, find: map[string]any{"source": ""}, types: bindingFields},
		{what: "between", method: "GET", path: "/api/bindings/{vh}/e/events/q/orders/order.%252A", status: 200, types: bindingFields},
		{what: "get and requeue", method: "POST", path: "/api/queues/{vh}/orders/get", status: 200,
			body: map[string]any{"count": 1, "ackmode": "ack_requeue_true", "encoding": "auto", "truncate": 50000},
			find: map[string]any{"routing_key": "order.created"},
			types: map[string]string{"payload_bytes": "number", "redelivered": "bool", "exchange": "string", "routing_key": "string",
				"message_count": "number", "properties": "object", "payload": "string", "payload_encoding": "string"},
			values: map[string]any{"payload": "o1", "payload_encoding": "string", "redelivered": false, "message_count": 1.0,
				"properties.delivery_mode": 2.0, "properties.headers.n": 1.0, "exchange": "events"}},
		{what: "get it again: redelivered", method: "POST", path: "/api/queues/{vh}/orders/get", status: 200,
			body: map[string]any{"count": 2, "ackmode": "ack_requeue_false", "encoding": "auto"},
			find: map[string]any{"routing_key": "order.created"}, values: map[string]any{"redelivered": true}},
		{await: true, what: "now empty", method: "GET", path: "/api/queues/{vh}/orders", status: 200, values: map[string]any{"messages": 0.0}},
		{what: "get from no queue", method: "POST", path: "/api/queues/{vh}/nosuch/get", status: 404,
			body:   map[string]any{"count": 1, "ackmode": "ack_requeue_true", "encoding": "auto"},
			values: map[string]any{"error": "not_found", "reason": "NOT_FOUND - no queue 'nosuch' in vhost '{vhname}'"}},
		{what: "the vhost's definitions", method: "GET", path: "/api/definitions/{vh}", status: 200,
			types: map[string]string{"queues": "array", "exchanges": "array", "bindings": "array", "policies": "array", "parameters": "array", "rabbit_version": "string"}},
		{what: "unbind", method: "DELETE", path: "/api/bindings/{vh}/e/events/q/orders/order.%252A", status: 204},
		{what: "unbind again", method: "DELETE", path: "/api/bindings/{vh}/e/events/q/orders/order.%252A", status: 404, values: notFound},
		{what: "purge", method: "DELETE", path: "/api/queues/{vh}/orders/contents", status: 204},
		{what: "delete the queue", method: "DELETE", path: "/api/queues/{vh}/orders", status: 204},
		{what: "delete it again", method: "DELETE", path: "/api/queues/{vh}/orders", status: 404, values: notFound},
		{what: "no queue", method: "GET", path: "/api/queues/{vh}/orders", status: 404, values: notFound},
		{what: "delete the exchange", method: "DELETE", path: "/api/exchanges/{vh}/events", status: 204},
		{what: "no exchange", method: "DELETE", path: "/api/exchanges/{vh}/events", status: 404, values: notFound},
		{what: "no vhost", method: "GET", path: "/api/queues/no-such-vhost-zz", status: 404, values: notFound},
		{what: "no such path", method: "GET", path: "/api/nosuch", status: 404, values: notFound},
		{what: "a method the path does not take", method: "PATCH", path: "/api/overview", status: 405},
		{what: "whoami", method: "GET", path: "/api/whoami", status: 200, values: map[string]any{"name": "guest", "tags": []any{"administrator"}}},
		{what: "the overview", method: "GET", path: "/api/overview", status: 200,
			types: map[string]string{"rabbitmq_version": "string", "management_version": "string", "cluster_name": "string", "node": "string",
				"object_totals.queues": "number", "object_totals.connections": "number", "queue_totals.messages": "number",
				"listeners": "array", "exchange_types": "array", "message_stats": "object"}},
		{what: "the users", method: "GET", path: "/api/users", status: 200, find: map[string]any{"name": "guest"},
			types: map[string]string{"name": "string", "password_hash": "string", "hashing_algorithm": "string", "tags": "array", "limits": "object"}},
		{what: "the permissions", method: "GET", path: "/api/permissions/{vh}/guest", status: 200,
			values: map[string]any{"user": "guest", "configure": ".*", "write": ".*", "read": ".*"}},
		{await: true, what: "a vhost", method: "GET", path: "/api/vhosts/{vh}", status: 200,
			types: map[string]string{"name": "string", "tracing": "bool", "messages": "number", "cluster_state": "object"}},
	}
	forBoth(t, func(t *testing.T, a api) {
		vh := tempVHost(t, a)
		for i, st := range script {
			path := strings.ReplaceAll(st.path, "{vh}", url.PathEscape(vh))
			status, body := a.m.Do(t, st.method, path, st.body)
			for deadline := time.Now().Add(20 * time.Second); st.await && status == 200 && time.Now().Before(deadline) && !holds(t, body, st, vh); {
				<-time.After(250 * time.Millisecond) // poll the statistics
				status, body = a.m.Do(t, st.method, path, st.body)
			}
			where := fmt.Sprintf("step %d (%s): %s %s", i+1, st.what, st.method, st.path)
			if status != st.status {
				t.Errorf("%s: status %d, want %d\n%s", where, status, st.status, body)
				continue
			}
			if st.location != "" {
				if got := a.m.LastLocation(); got != st.location {
					t.Errorf("%s: Location %q, want %q", where, got, st.location)
				}
			}
			if len(body) == 0 {
				if st.types != nil || st.values != nil || st.names != nil {
					t.Errorf("%s: empty body", where)
				}
				continue
			}
			v := decode(t, body)
			if st.names != nil {
				var names []string
				for _, e := range v.([]any) {
					names = append(names, e.(map[string]any)["name"].(string))
				}
				sort.Strings(names)
				if !reflect.DeepEqual(names, st.names) {
					t.Errorf("%s: names %q, want %q", where, names, st.names)
				}
			}
			if st.find != nil {
				v = findIn(v, st.find)
				if v == nil {
					t.Errorf("%s: no element with %v in\n%s", where, st.find, body)
					continue
				}
			}
			for path, typ := range st.types {
				got, _ := field(v, path)
				if jsonType(got) != typ {
					t.Errorf("%s: %s is %s (%v), want %s", where, path, jsonType(got), got, typ)
				}
			}
			for path, want := range st.values {
				if s, ok := want.(string); ok {
					want = strings.ReplaceAll(s, "{vhname}", vh)
				}
				got, _ := field(v, path)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: %s = %#v, want %#v", where, path, got, want)
				}
			}
		}
	})
}

// holds reports whether an answer has a step's values (and types).
func holds(t *testing.T, body []byte, st step, vh string) bool {
	v := decode(t, body)
	if st.find != nil {
		if v = findIn(v, st.find); v == nil {
			return false
		}
	}
	for path, typ := range st.types {
		if got, _ := field(v, path); jsonType(got) != typ {
			return false
		}
	}
	for path, want := range st.values {
		if s, ok := want.(string); ok {
			want = strings.ReplaceAll(s, "{vhname}", vh)
		}
		if got, _ := field(v, path); !reflect.DeepEqual(got, want) {
			return false
		}
	}
	return true
}

func findIn(v any, want map[string]any) any {
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	for _, e := range l {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		all := true
		for k, w := range want {
			if !reflect.DeepEqual(m[k], w) {
				all = false
			}
		}
		if all {
			return m
		}
	}
	return nil
}

func field(v any, path string) (any, bool) {
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[p]; !ok {
			return nil, false
		}
	}
	return v, true
}

func TestLoginAndRolesAsRabbitMQ(t *testing.T) {
	forBoth(t, func(t *testing.T, a api) {
		vh := tempVHost(t, a)
		bad := *a.m
		bad.Pass = "wrong"
		st, body := bad.Do(t, "GET", "/api/overview", nil)
		if st != 401 || !reflect.DeepEqual(decode(t, body), map[string]any{"error": "not_authorized", "reason": "Login failed"}) {
			t.Errorf("a wrong password: %d %s", st, body)
		}
		if got := bad.LastHeader("WWW-Authenticate"); got != `Basic realm="RabbitMQ Management"` {
			t.Errorf("WWW-Authenticate %q", got)
		}
		user := "warren-mgmt-u-" + strings.TrimPrefix(vh, "warren-mgmt-")
		a.m.Must(t, "PUT", "/api/users/"+user, map[string]any{"password": "pw", "tags": "management"})
		t.Cleanup(func() { a.m.Do(t, "DELETE", "/api/users/"+user, nil) })
		u := *a.m
		u.User, u.Pass = user, "pw"
		for _, tc := range []struct {
			method, path string
			body         any
			status       int
			want         any
		}{
			{"GET", "/api/overview", nil, 200, nil},
			{"GET", "/api/users", nil, 401, map[string]any{"error": "not_authorised", "reason": "Not administrator user"}},
			{"GET", "/api/queues/" + url.PathEscape(vh), nil, 401, map[string]any{"error": "not_authorised", "reason": "User not authorised to access virtual host"}},
			{"PUT", "/api/queues/" + url.PathEscape(vh) + "/q", map[string]any{}, 401, map[string]any{"error": "not_authorised", "reason": "User not authorised to access virtual host"}},
			{"PUT", "/api/vhosts/" + url.PathEscape(vh) + "-x", map[string]any{}, 401, map[string]any{"error": "not_authorised", "reason": "Not administrator user"}},
		} {
			st, body := u.Do(t, tc.method, tc.path, tc.body)
			if st != tc.status || (tc.want != nil && !reflect.DeepEqual(decode(t, body), tc.want)) {
				t.Errorf("management user, %s %s: %d %s; want %d %v", tc.method, tc.path, st, body, tc.status, tc.want)
			}
		}
		// the vhosts and queues lists hold only what the user may see
		if st, body := u.Do(t, "GET", "/api/vhosts", nil); st != 200 || strings.Contains(string(body), vh) {
			t.Errorf("the user sees a vhost it has no permission on: %d %s", st, body)
		}
		a.m.SetPermissions(t, vh, user, "^mine$", "", "")
		if st, body := u.Do(t, "PUT", "/api/queues/"+url.PathEscape(vh)+"/mine", map[string]any{}); st != 201 {
			t.Errorf("declaring a queue its permissions allow: %d %s", st, body)
		}
		st, body = u.Do(t, "PUT", "/api/queues/"+url.PathEscape(vh)+"/theirs", map[string]any{})
		if st != 401 || !reflect.DeepEqual(decode(t, body), map[string]any{"error": "not_authorised", "reason": "Access refused."}) {
			t.Errorf("declaring a queue its permissions do not allow: %d %s", st, body)
		}
		if st, body := u.Do(t, "GET", "/api/vhosts", nil); st != 200 || !strings.Contains(string(body), vh) {
			t.Errorf("the user does not see its vhost: %d %s", st, body)
		}
		a.m.Must(t, "PUT", "/api/users/"+user, map[string]any{"password": "pw", "tags": ""})
		st, body = u.Do(t, "GET", "/api/overview", nil)
		if st != 401 || !reflect.DeepEqual(decode(t, body), map[string]any{"error": "not_authorised", "reason": "Not management user"}) {
			t.Errorf("a user without a management tag: %d %s", st, body)
		}
	})
}

func TestAccessModelThroughTheAPI(t *testing.T) {
	forBoth(t, func(t *testing.T, a api) {
		vh := brokertest.Unique("warren-mgmt-v")
		path := "/api/vhosts/" + url.PathEscape(vh)
		for _, tc := range []struct {
			method, path string
			body         any
			status       int
			want         any
		}{
			{"PUT", path, map[string]any{}, 201, nil},
			{"PUT", path, map[string]any{}, 204, nil},
			{"PUT", "/api/users/" + vh, map[string]any{}, 400, map[string]any{"error": "bad_request", "reason": "tags_not_present"}},
			{"PUT", "/api/users/" + vh, map[string]any{"password": "p", "tags": "monitoring"}, 201, nil},
			{"PUT", "/api/users/" + vh, map[string]any{"password": "p", "tags": []string{"monitoring", "management"}}, 204, nil},
			{"GET", "/api/users/" + vh, nil, 200, nil},
			{"PUT", "/api/permissions/" + url.PathEscape(vh) + "/nosuchuser-zz", map[string]any{"configure": ".*", "write": ".*", "read": ".*"}, 400,
				map[string]any{"error": "bad_request", "reason": "vhost_or_user_not_found"}},
			{"PUT", "/api/permissions/" + url.PathEscape(vh) + "/" + vh, map[string]any{"configure": ".*", "write": ".*", "read": ".*"}, 201, nil},
			{"PUT", "/api/permissions/" + url.PathEscape(vh) + "/" + vh, map[string]any{"configure": "", "write": ".*", "read": ".*"}, 204, nil},
			{"GET", "/api/permissions/" + url.PathEscape(vh) + "/" + vh, nil, 200,
				map[string]any{"user": vh, "vhost": vh, "configure": "", "write": ".*", "read": ".*"}},
			// who created the vhost got every permission on it
			{"GET", path + "/permissions", nil, 200, []any{
				map[string]any{"user": "guest", "vhost": vh, "configure": ".*", "write": ".*", "read": ".*"},
				map[string]any{"user": vh, "vhost": vh, "configure": "", "write": ".*", "read": ".*"}}},
			{"DELETE", "/api/permissions/" + url.PathEscape(vh) + "/" + vh, nil, 204, nil},
			{"DELETE", "/api/permissions/" + url.PathEscape(vh) + "/" + vh, nil, 404, map[string]any{"error": "Object Not Found", "reason": "Not Found"}},
			{"DELETE", "/api/users/" + vh, nil, 204, nil},
			{"DELETE", "/api/users/" + vh, nil, 404, map[string]any{"error": "Object Not Found", "reason": "Not Found"}},
			{"DELETE", path, nil, 204, nil},
			{"DELETE", path, nil, 404, map[string]any{"error": "Object Not Found", "reason": "Not Found"}},
		} {
			st, body := a.m.Do(t, tc.method, tc.path, tc.body)
			if st != tc.status || (tc.want != nil && !reflect.DeepEqual(decode(t, body), tc.want)) {
				t.Errorf("%s %s: %d %s; want %d %v", tc.method, tc.path, st, body, tc.status, tc.want)
			}
		}
	})
}

func TestCloseConnectionAsRabbitMQ(t *testing.T) {
	forBoth(t, func(t *testing.T, a api) {
		name := brokertest.Unique("warren-conn")
		c, err := amqp.DialConfig(a.amqpURL, amqp.Config{Properties: amqp.Table{"connection_name": name}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		closed := c.NotifyClose(make(chan *amqp.Error, 1))
		var target string
		deadline := time.Now().Add(15 * time.Second) // RabbitMQ lists a connection once its stats are in
		for target == "" && time.Now().Before(deadline) {
			var conns []struct {
				Name             string         `json:"name"`
				ClientProperties map[string]any `json:"client_properties"`
				User             string         `json:"user"`
				PeerPort         float64        `json:"peer_port"`
			}
			if err := json.Unmarshal(a.m.Must(t, "GET", "/api/connections/", nil), &conns); err != nil {
				t.Fatal(err)
			}
			for _, cn := range conns {
				if cn.ClientProperties["connection_name"] == name {
					target = cn.Name
				}
			}
			if target == "" {
				<-time.After(200 * time.Millisecond) // poll: RabbitMQ lists it once its first stats are in
			}
		}
		if target == "" {
			t.Fatalf("connection %s is not listed", name)
		}
		if st, body := a.m.Do(t, "DELETE", "/api/connections/"+url.PathEscape(target), nil); st != 204 {
			t.Fatalf("DELETE: %d %s", st, body)
		}
		select {
		case e := <-closed:
			if e == nil || e.Code != 320 || e.Reason != "CONNECTION_FORCED - Closed via management plugin" {
				t.Errorf("closed with %v", e)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the connection was not closed")
		}
	})
}
