package management

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/warrenmq/warren/internal/brokertest"
	"github.com/warrenmq/warren/sandbox/broker"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// api is a management API under test and the AMQP URL of its broker.
type api struct {
	name    string
	m       *brokertest.Management
	amqpURL string // amqp://guest:guest@host:port/ (vhost appended by tests)
	live    bool
	version string
}

// startWarren starts an embedded broker with its management API on
// ephemeral loopback ports, both stopped when the test ends.
func startWarren(t *testing.T, opts broker.Options) (*broker.Server, *Server, api) {
	t.Helper()
	b, err := broker.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Shutdown)
	m := New(b, Options{Listen: "127.0.0.1:0"})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Shutdown)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return b, m, api{name: "warren", m: &brokertest.Management{URL: m.URL(), User: "guest", Pass: "guest",
		Client: &http.Client{Timeout: 10 * time.Second, Transport: tr}}, amqpURL: b.URL(), version: broker.Version}
}

// bothAPIs is Warren's API and, when it answers, the live RabbitMQ's.
func bothAPIs(t *testing.T) []api {
	t.Helper()
	_, _, w := startWarren(t, broker.Options{})
	out := []api{w}
	lm, ok := brokertest.LiveManagement(t)
	if !ok {
		return out
	}
	var ov struct {
		Version string `json:"rabbitmq_version"`
	}
	json.Unmarshal(lm.Must(t, "GET", "/api/overview", nil), &ov)
	u, _ := url.Parse(brokertest.URL())
	u.Path = "/"
	return append(out, api{name: "rabbitmq-" + ov.Version, m: lm, amqpURL: u.String(), live: true, version: ov.Version})
}

func forBoth(t *testing.T, f func(t *testing.T, a api)) {
	for _, a := range bothAPIs(t) {
		t.Run(a.name, func(t *testing.T) { f(t, a) })
	}
}

// tempVHost makes a vhost of a unique name that guest may use, deleted
// when the test ends.
func tempVHost(t *testing.T, a api) string {
	t.Helper()
	vh := brokertest.Unique("warren-mgmt")
	if st, body := a.m.Do(t, "PUT", "/api/vhosts/"+url.PathEscape(vh), map[string]any{}); st != 201 {
		t.Fatalf("PUT vhost: %d %s", st, body)
	}
	t.Cleanup(func() { a.m.Do(t, "DELETE", "/api/vhosts/"+url.PathEscape(vh), nil) })
	a.m.SetPermissions(t, vh, "guest", ".*", ".*", ".*")
	return vh
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "?"
}
