package cli

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/warrenmq/warren/internal/brokertest"
)

func liveRabbitMQ(t *testing.T) string {
	t.Helper()
	return brokertest.LiveOrSkip(t)
}

func randomSuffix() string { return brokertest.Unique("-clitest") }

func TestRunTopicJSONOnRabbitMQ(t *testing.T) {
	t.Parallel()
	live := liveRabbitMQ(t)

	stdout, stderr, code := warren(t, "run", "topic", "--url", live, "--json", "--name-suffix", randomSuffix())
	if code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var rep struct {
		Scenario string `json:"scenario"`
		Broker   string `json:"broker"`
		OK       bool   `json:"ok"`
		Steps    []struct {
			Index      int            `json:"index"`
			Exchange   string         `json:"exchange"`
			RoutingKey string         `json:"routing_key"`
			Headers    map[string]any `json:"headers"`
			Expected   []string       `json:"expected"`
			Delivered  []string       `json:"delivered"`
			Returned   bool           `json:"returned"`
			OK         bool           `json:"ok"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, stdout)
	}
	if rep.Scenario != "topic" || !rep.OK || strings.Contains(rep.Broker, "guest:guest") || !strings.Contains(rep.Broker, ":*****@") {
		t.Fatalf("scenario %q ok %v broker %q; want topic, true, the URL with its password masked", rep.Scenario, rep.OK, rep.Broker)
	}
	// Issue 2's table.
	want := []struct {
		key       string
		delivered []string
	}{
		{"quick.orange.rabbit", []string{"Q1", "Q2"}},
		{"lazy.orange.elephant", []string{"Q1", "Q2"}},
		{"quick.orange.fox", []string{"Q1"}},
		{"lazy.brown.fox", []string{"Q2"}},
		{"lazy.pink.rabbit", []string{"Q2"}},
		{"quick.brown.fox", []string{}},
		{"orange", []string{}},
		{"quick.orange.new.rabbit", []string{}},
		{"lazy.orange.new.rabbit", []string{"Q2"}},
	}
	if len(rep.Steps) != len(want) {
		t.Fatalf("%d steps, want %d", len(rep.Steps), len(want))
	}
	for i, w := range want {
		st := rep.Steps[i]
		if st.Index != i+1 || st.Exchange != "animals" || st.RoutingKey != w.key || st.Headers == nil ||
			!reflect.DeepEqual(st.Delivered, w.delivered) || !reflect.DeepEqual(st.Expected, w.delivered) || st.Returned || !st.OK {
			t.Errorf("step %d: %+v, want %s delivered to %v", i+1, st, w.key, w.delivered)
		}
	}
}

func TestRunExitCodes(t *testing.T) {
	t.Parallel()
	live := liveRabbitMQ(t)
	dir := t.TempDir()
	write := func(name, body string) string { return writeFile(t, dir, name, body) }
	wrong := write("wrong.yaml", `name: wrong
topology:
  exchanges: [{name: animals, type: topic}]
  queues: [{name: Q1}, {name: Q2}]
  bindings: [{source: animals, destination: Q1, routing_key: "*.orange.*"}]
steps:
  - publish: {exchange: animals, routing_key: quick.orange.rabbit}
    expect: [Q1, Q2]
`)
	bad := write("bad.yaml", `name: bad
topology:
  queues: [{name: Q1}]
  bindings: [{source: animals, destination: Q1}]
steps: []
`)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"all held", []string{"run", "fanout", "--url", live}, 0, "3 of 3 steps passed", ""},
		{"an expectation failed", []string{"run", wrong, "--url", live}, 1, "FAIL", ""},
		{"failed, JSON", []string{"run", wrong, "--url", live, "--json"}, 1, `"ok": false`, ""},
		{"unknown scenario", []string{"run", "no-such", "--url", live}, 2, "", "the built-in scenarios are: direct, fanout, topic, headers, user-update, unroutable"},
		{"bad file", []string{"run", bad, "--url", live}, 2, "", "bad.yaml:4: binding source \"animals\" is not a declared exchange"},
		{"no argument", []string{"run"}, 2, "", "warren run takes one scenario name or file"},
		{"bad flag", []string{"run", "topic", "--jsn"}, 2, "", "unknown flag"},
		{"list", []string{"list"}, 0, "Topic exchange - routing by pattern", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := tc.args
			if strings.HasPrefix(strings.Join(args, " "), "run") && tc.code != 2 {
				args = append(args, "--name-suffix", randomSuffix())
			}
			stdout, stderr, code := warren(t, args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwant stdout containing %q and stderr containing %q",
					code, tc.code, stdout, stderr, tc.stdout, tc.stderr)
			}
		})
	}
}
