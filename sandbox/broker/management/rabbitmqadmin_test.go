package management

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/brokertest"
	"github.com/warrenmq/warren/sandbox/definitions"
)

// rabbitmqadmin finds RabbitMQ's rabbitmqadmin: on PATH, or inside the
// management plugin that Debian's rabbitmq-server ships.
func rabbitmqadmin(t *testing.T) []string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if brokertest.Required() {
			t.Fatal("python3 is needed to run rabbitmqadmin")
		}
		t.Skip("no python3 for rabbitmqadmin")
	}
	if p, err := exec.LookPath("rabbitmqadmin"); err == nil {
		return []string{py, p}
	}
	found, _ := filepath.Glob("/usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins/rabbitmq_management-*/priv/www/cli/rabbitmqadmin")
	if len(found) == 0 {
		if brokertest.Required() {
			t.Fatal("rabbitmqadmin not found: install rabbitmq-server (its management plugin ships it)")
		}
		t.Skip("rabbitmqadmin not found (Debian's rabbitmq-server ships it in the management plugin)")
	}
	return []string{py, found[len(found)-1]}
}

func runAdmin(t *testing.T, cmd []string, a api, args ...string) string {
	t.Helper()
	u, _ := url.Parse(a.m.URL)
	full := append(append([]string{}, cmd[1:]...), "-H", u.Hostname(), "-P", u.Port(), "-u", a.m.User, "-p", a.m.Pass)
	out, err := exec.Command(cmd[0], append(full, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("rabbitmqadmin %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// The "done when": rabbitmqadmin's list queues, list exchanges
// and export against warren's API, with the live RabbitMQ's output for
// the same vhost to compare.
func TestRabbitmqadmin(t *testing.T) {
	cmd := rabbitmqadmin(t)
	var mu sync.Mutex
	outputs := map[string][]string{}
	// python3 takes seconds to start on a loaded machine: the two brokers
	// in parallel, and the set-up through the API
	t.Run("brokers", func(t *testing.T) {
		for _, a := range bothAPIs(t) {
			t.Run(a.name, func(t *testing.T) {
				t.Parallel()
				adminSession(t, cmd, a, func(name string, out []string) {
					mu.Lock()
					defer mu.Unlock()
					outputs[name] = out
				})
			})
		}
	})
	var names []string
	for n := range outputs {
		names = append(names, n)
	}
	if len(names) == 2 && !slices.Equal(outputs[names[0]], outputs[names[1]]) {
		t.Errorf("rabbitmqadmin's lists differ:\n%s: %q\n%s: %q", names[0], outputs[names[0]], names[1], outputs[names[1]])
	}
}

func adminSession(t *testing.T, cmd []string, a api, record func(string, []string)) {
	vh := tempVHost(t, a)
	v := url.PathEscape(vh)
	a.m.Must(t, "PUT", "/api/exchanges/"+v+"/events", map[string]any{"type": "topic", "durable": true})
	a.m.Must(t, "PUT", "/api/queues/"+v+"/orders", map[string]any{"durable": true})
	a.m.Must(t, "POST", "/api/bindings/"+v+"/e/events/q/orders", map[string]any{"routing_key": "order.*"})
	a.m.Must(t, "POST", "/api/exchanges/"+v+"/events/publish", map[string]any{"routing_key": "order.created", "payload": "o1", "payload_encoding": "string", "properties": map[string]any{}})
	{
		// the live broker counts messages from its statistics, late
		queues := ""
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); <-time.After(250 * time.Millisecond) {
			if queues = runAdmin(t, cmd, a, "-V", vh, "-f", "tsv", "list", "queues"); queues == "name\tmessages\norders\t1\n" {
				break
			}
		}
		if queues != "name\tmessages\norders\t1\n" {
			t.Errorf("list queues:\n%s", queues)
		}
		exchanges := runAdmin(t, cmd, a, "-V", vh, "-f", "tsv", "list", "exchanges")
		bindings := runAdmin(t, cmd, a, "-V", vh, "-f", "tsv", "list", "bindings")
		record(a.name, []string{queues, exchanges, bindings})
		if !strings.Contains(exchanges, "events\ttopic\n") || !strings.HasPrefix(exchanges, "name\ttype\n\tdirect\n") {
			t.Errorf("list exchanges:\n%s", exchanges)
		}
		file := filepath.Join(t.TempDir(), "defs.json")
		runAdmin(t, cmd, a, "export", file)
		d, err := definitions.ParseFile(file)
		if err != nil {
			t.Fatalf("the export does not parse: %v", err)
		}
		if !slices.ContainsFunc(d.Queues, func(q definitions.Queue) bool { return q.Name == "orders" && q.VHost == vh && q.Durable }) ||
			!slices.ContainsFunc(d.Bindings, func(b definitions.Binding) bool {
				return b.Source == "events" && b.RoutingKey == "order.*" && b.VHost == vh
			}) {
			t.Errorf("the export lacks the queue or binding: %+v %+v", d.Queues, d.Bindings)
		}
		vfile := filepath.Join(t.TempDir(), "vhost.json")
		runAdmin(t, cmd, a, "-V", vh, "export", vfile)
		raw, _ := os.ReadFile(vfile)
		if strings.Contains(string(raw), `"users"`) || !strings.Contains(string(raw), `"orders"`) {
			t.Errorf("one vhost's export: %s", raw)
		}
		// import it into a second vhost, as a class would copy a topology
		vh2 := tempVHost(t, a)
		runAdmin(t, cmd, a, "-V", vh2, "import", vfile)
		if got := string(a.m.Must(t, "GET", "/api/bindings/"+url.PathEscape(vh2)+"/e/events/q/orders", nil)); !strings.Contains(got, `"routing_key":"order.*"`) {
			t.Errorf("after import, the bindings of %s: %s", vh2, got)
		}
	}
}
