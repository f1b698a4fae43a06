package cli

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/warrenmq/warren/internal/brokertest"
	"github.com/warrenmq/warren/scenarios"
)

const explainDefs = `{"rabbit_version":"3.10.8","product_name":"RabbitMQ","product_version":"3.10.8","users":[],"vhosts":[{"name":"/"}],
"permissions":[],"topic_permissions":[],"parameters":[],"global_parameters":[],"policies":[],
"queues":[{"name":"orders","vhost":"/","durable":true,"auto_delete":false,"arguments":{}},{"name":"audit","vhost":"/","durable":true,"auto_delete":false,"arguments":{}},{"name":"pdfs","vhost":"/","durable":true,"auto_delete":false,"arguments":{}}],
"exchanges":[{"name":"shop","vhost":"/","type":"topic","durable":true,"auto_delete":false,"internal":false,"arguments":{"alternate-exchange":"unrouted"}},
{"name":"unrouted","vhost":"/","type":"fanout","durable":true,"auto_delete":false,"internal":false,"arguments":{}},
{"name":"docs","vhost":"/","type":"headers","durable":true,"auto_delete":false,"internal":false,"arguments":{}}],
"bindings":[{"source":"shop","vhost":"/","destination":"orders","destination_type":"queue","routing_key":"order.*","arguments":{}},
{"source":"unrouted","vhost":"/","destination":"audit","destination_type":"queue","routing_key":"","arguments":{}},
{"source":"shop","vhost":"/","destination":"docs","destination_type":"exchange","routing_key":"doc.#","arguments":{}},
{"source":"docs","vhost":"/","destination":"pdfs","destination_type":"queue","routing_key":"","arguments":{"x-match":"all","format":"pdf"}}]}`

func TestExplain(t *testing.T) {
	file := writeFile(t, t.TempDir(), "defs.json", explainDefs)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--exchange", "shop", "--routing-key", "order.created"}, "vhost / of " + file + " (RabbitMQ 3.10.8): 3 exchanges, 3 queues, 4 bindings\n" +
			"published to exchange shop with routing key order.created\n" +
			"  ✓ shop → orders [order.*]: '*' matched 'created'\n" +
			"  ✗ shop → exchange docs [doc.#]: 'doc' != 'order' at word 1\n" +
			"→ orders\n"},
		{[]string{"--exchange", "shop", "--routing-key", "doc.x", "--header", "format=pdf"}, "  ✓ docs → pdfs [x-match=all, format=pdf]: x-match=all: 'format' = 'pdf'\n→ pdfs\n"},
		{[]string{"--exchange", "shop", "--routing-key", "doc.x", "--header", "format=csv"},
			"  ✗ docs → pdfs [x-match=all, format=pdf]: x-match=all: header 'format' is 'csv', binding wants 'pdf'\n"},
		{[]string{"--exchange", "shop", "--routing-key", "nothing"}, "  exchange 'shop' routed nowhere: on to its alternate exchange 'unrouted'\n→ audit (through the alternate exchange unrouted)\n"},
		{[]string{"--exchange", "amq.direct", "--routing-key", "x", "--mandatory"}, "returned"},
		{[]string{"--exchange", "", "--routing-key", "orders"}, "default exchange: routing key 'orders' names queue 'orders'"},
	} {
		stdout, stderr, code := warren(t, append([]string{"explain", "--definitions", file}, tc.args...)...)
		if code != 0 || !strings.Contains(stdout, tc.want) {
			t.Errorf("explain %v: exit %d\n%s%s\nwant it to contain\n%s", tc.args, code, stdout, stderr, tc.want)
		}
	}
	stdout, _, code := warren(t, "explain", "--definitions", file, "--exchange", "shop", "--routing-key", "nothing", "--json")
	var res struct {
		Queues   []string `json:"queues"`
		Fate     string   `json:"fate"`
		Bindings []struct {
			Source, Destination, Reason string
			Matched                     bool
		} `json:"bindings"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || code != 0 {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, stdout)
	}
	if !reflect.DeepEqual(res.Queues, []string{"audit"}) || res.Fate != "alternate" || len(res.Bindings) != 3 || res.Bindings[0].Reason != "'order' != 'nothing' at word 1" {
		t.Errorf("--json: %+v", res)
	}
}

func TestExplainBadInput(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "defs.json", explainDefs)
	two := writeFile(t, dir, "two.json", `{"queues":[{"name":"a","vhost":"v1"},{"name":"b","vhost":"v2"}]}`)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--definitions", file, "--exchange", "shp", "--routing-key", "a"}, `no exchange "shp" in vhost "/" of ` + file + "; it has exchanges docs, shop, unrouted"},
		{[]string{"--definitions", file, "--routing-key", "a"}, "--exchange: say which exchange"},
		{[]string{"--definitions", file, "--exchange", "shop", "--header", "n:int=x"}, `--header "n:int=x": n: "x" is not an int`},
		{[]string{"--definitions", two, "--exchange", "", "--routing-key", "a"}, `entities in 2 vhosts ("v1", "v2"): say which with --vhost`},
		{[]string{"--definitions", two, "--vhost", "v3", "--exchange", ""}, `no vhost "v3" in these definitions`},
		{[]string{"--definitions", filepath.Join(dir, "none.json"), "--exchange", ""}, "no such file"},
		{[]string{"--exchange", "x"}, "--definitions FILE: give the definitions to route through"},
		{[]string{"--definitions", file, "--exchange", "shop", "--routing-key", strings.Repeat("k", 256)}, "the routing key: \"kkkkkkkkkkkkkkkkkkkk\"... is 256 bytes long; AMQP 0-9-1 names and routing keys are at most 255 bytes"},
	} {
		_, stderr, code := warren(t, append([]string{"explain"}, tc.args...)...)
		if code != exitBadInput || !strings.Contains(stderr, tc.want) {
			t.Errorf("explain %v: exit %d %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// The "done when": a definitions export from the live RabbitMQ
// (its own GET /api/definitions) opens in Warren as a scenario, and
// warren explain routes a message through it.
func TestExplainRoutesThroughALiveRabbitMQExport(t *testing.T) {
	m := brokertest.LiveManagementOrSkip(t)
	vh, _ := m.TempVHostUser(t, "unused")
	m.SetPermissions(t, vh, m.User, ".*", ".*", ".*")
	v := url.PathEscape(vh)
	m.Must(t, "PUT", "/api/exchanges/"+v+"/animals", map[string]any{"type": "topic", "durable": true})
	m.Must(t, "PUT", "/api/exchanges/"+v+"/reports", map[string]any{"type": "headers", "durable": true})
	for _, q := range []string{"Q1", "Q2", "pdf"} {
		m.Must(t, "PUT", "/api/queues/"+v+"/"+q, map[string]any{"durable": true})
	}
	m.Must(t, "POST", "/api/bindings/"+v+"/e/animals/q/Q1", map[string]any{"routing_key": "*.orange.*"})
	m.Must(t, "POST", "/api/bindings/"+v+"/e/animals/q/Q2", map[string]any{"routing_key": "lazy.#"})
	m.Must(t, "POST", "/api/bindings/"+v+"/e/reports/q/pdf", map[string]any{"arguments": map[string]any{"x-match": "all", "format": "pdf", "n": 5}})
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.json")
	if err := os.WriteFile(whole, m.Must(t, "GET", "/api/definitions", nil), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := warren(t, "explain", "--definitions", whole, "--vhost", vh, "--exchange", "animals", "--routing-key", "lazy.orange.fox")
	if code != 0 || !strings.Contains(stdout, "  ✓ animals → Q1 [*.orange.*]: '*' matched 'lazy'") ||
		!strings.Contains(stdout, "  ✓ animals → Q2 [lazy.#]: '#' matched 'orange.fox'") || !strings.Contains(stdout, "→ Q1, Q2") {
		t.Errorf("explain on RabbitMQ's export: exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, _, _ = warren(t, "explain", "--definitions", whole, "--vhost", vh, "--exchange", "reports", "--header", "format=pdf", "--header", "n:byte=5")
	if !regexp.MustCompile(`✓ reports → pdf \[.*\]: x-match=all`).MatchString(stdout) || !strings.Contains(stdout, "→ pdf") {
		t.Errorf("explain headers on RabbitMQ's export:\n%s", stdout)
	}
	// one vhost's export opens as a scenario (the TUI's and warren
	// diagram's loader)
	one := filepath.Join(dir, "vhost.json")
	if err := os.WriteFile(one, m.Must(t, "GET", "/api/definitions/"+v, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.LoadFile(one)
	if err != nil {
		t.Fatalf("RabbitMQ's vhost export does not open as a scenario: %v", err)
	}
	if len(sc.Topology.Exchanges) != 2 || len(sc.Topology.Queues) != 3 || len(sc.Topology.Bindings) != 3 {
		t.Errorf("the scenario's topology: %+v", sc.Topology)
	}
	stdout, stderr, code = warren(t, "diagram", one, "--publish", "quick.orange.rabbit", "--exchange", "animals")
	if code != 0 || !strings.Contains(stdout, "→ Q1") {
		t.Errorf("warren diagram of RabbitMQ's export: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestDefinitionsExportImport(t *testing.T) {
	_, out1 := startBrokerCmd(t, nil, "--listen", "127.0.0.1:0", "--management", ":0")
	_, out2 := startBrokerCmd(t, nil, "--listen", "127.0.0.1:0", "--management", ":0")
	mgmtRE := regexp.MustCompile(`management API on http://(\S+) `)
	m1 := "http://guest:guest@" + mgmtRE.FindStringSubmatch(out1.String())[1]
	m2 := "http://guest:guest@" + mgmtRE.FindStringSubmatch(out2.String())[1]
	dir := t.TempDir()
	topic := filepath.Join(dir, "topic.json")
	if _, stderr, code := warren(t, "definitions", "export", topic, "--scenario", "topic"); code != 0 {
		t.Fatalf("export --scenario: %d %s", code, stderr)
	}
	if _, stderr, code := warren(t, "definitions", "import", topic, "--vhost", "/", "--management-url", m1); code != 0 {
		t.Fatalf("import into broker 1: %d %s", code, stderr)
	}
	whole := filepath.Join(dir, "whole.json")
	if _, stderr, code := warren(t, "definitions", "export", whole, "--management-url", m1); code != 0 {
		t.Fatalf("export broker 1: %d %s", code, stderr)
	}
	if _, stderr, code := warren(t, "definitions", "import", whole, "--management-url", m2); code != 0 {
		t.Fatalf("import into broker 2: %d %s", code, stderr)
	}
	got := warrenCtl(t, "-q", "list_bindings", "source_name", "destination_name", "routing_key", "--management-url", m2)
	for _, want := range []string{"animals\tQ1\t*.orange.*\n", "animals\tQ2\t*.*.rabbit\n", "animals\tQ2\tlazy.#\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("broker 2's bindings lack %q:\n%s", want, got)
		}
	}
	stdout, _, code := warren(t, "definitions", "export", "-", "--vhost", "/", "--management-url", m2)
	if code != 0 || strings.Contains(stdout, `"users"`) || !strings.Contains(stdout, `"animals"`) {
		t.Errorf("one vhost's export: %d\n%s", code, stdout)
	}
	_, stderr, code := warren(t, "definitions", "import", writeFile(t, dir, "bad.json", `{"queues": [{"name": 1}]}`), "--management-url", m2)
	if code != exitBadInput || !strings.Contains(stderr, "bad.json:1: queues.name") {
		t.Errorf("a broken file: %d %s", code, stderr)
	}
	_, stderr, code = warren(t, "definitions", "import", writeFile(t, dir, "nosource.json", `{"bindings":[{"source":"nosuch","vhost":"/","destination":"q","destination_type":"queue"}]}`), "--management-url", m2)
	if code != exitBadInput || !strings.Contains(stderr, `source exchange "nosuch"`) {
		t.Errorf("a binding from nothing: %d %s", code, stderr)
	}
}
