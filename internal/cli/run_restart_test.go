package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// restartJSON is the part of `warren run --json` a restart_broker step adds.
type restartJSON struct {
	OK    bool `json:"ok"`
	Steps []struct {
		Index         int    `json:"index"`
		OK            bool   `json:"ok"`
		RestartBroker bool   `json:"restart_broker"`
		Skipped       bool   `json:"skipped"`
		Note          string `json:"note"`
		Survivors     []struct {
			Queue         string `json:"queue"`
			ReadyBefore   int    `json:"ready_before"`
			UnackedBefore int    `json:"unacked_before"`
			Gone          bool   `json:"gone"`
			ReadyAfter    int    `json:"ready_after"`
			Redelivered   int    `json:"redelivered"`
		} `json:"survivors"`
	} `json:"steps"`
}

func runDurabilityJSON(t *testing.T, args ...string) restartJSON {
	t.Helper()
	stdout, stderr, code := warren(t, append([]string{"run", "durability", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var rep restartJSON
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, stdout)
	}
	return rep
}

// On the embedded broker, in memory and from a data dir, the durability
// scenario's restart keeps the same survivors.
func TestRunDurabilityRestartsTheEmbeddedBroker(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"--data-dir", t.TempDir()}} {
		rep := runDurabilityJSON(t, args...)
		last := rep.Steps[len(rep.Steps)-1]
		if !rep.OK || !last.RestartBroker || last.Skipped || !last.OK {
			t.Fatalf("%v: ok=%v, last step %+v", args, rep.OK, last)
		}
		got := map[string]string{}
		for _, s := range last.Survivors {
			if s.Gone {
				got[s.Queue] = "gone"
			} else {
				got[s.Queue] = strings.Repeat("m", s.ReadyAfter) + strings.Repeat("r", s.Redelivered)
			}
		}
		want := map[string]string{"durable-orders": "m", "transient-orders": "gone", "scratch": "gone", "live-updates": "gone", "jobs": "mr"}
		for q, w := range want {
			if got[q] != w {
				t.Errorf("%v: %s after the restart: %q, want %q (m: a ready message, r: a redelivery)", args, q, got[q], w)
			}
		}
	}
}

// On RabbitMQ the restart step is skipped with its note and the run
// still ends with exit 0.
func TestRunDurabilitySkipsTheRestartOnRabbitMQ(t *testing.T) {
	t.Parallel()
	live := liveRabbitMQ(t)
	rep := runDurabilityJSON(t, "--url", live, "--name-suffix", randomSuffix())
	last := rep.Steps[len(rep.Steps)-1]
	if !rep.OK || !last.Skipped || !strings.Contains(last.Note, "rabbitmqctl stop_app && rabbitmqctl start_app") || len(last.Survivors) != 0 {
		t.Fatalf("ok=%v, last step %+v: want it skipped with the rabbitmqctl note", rep.OK, last)
	}
	stdout, _, code := warren(t, "run", "durability", "--url", live, "--name-suffix", randomSuffix())
	if code != 0 || !strings.Contains(stdout, "6 of 7 steps passed, 1 skipped") || !strings.Contains(stdout, "SKIP") {
		t.Fatalf("exit %d, table:\n%s", code, stdout)
	}
}

func TestRunDurabilityNarrated(t *testing.T) {
	t.Parallel()
	stdout, stderr, code := warren(t, "run", "durability", "--narrate")
	if code != 0 || !strings.Contains(stdout, "the broker restarts; what each queue holds before -> after:") ||
		!strings.Contains(stdout, "jobs: 0 ready + 1 unacked -> 1 ready, 1 redelivered") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestRunDurabilityHasNoQuiz(t *testing.T) {
	t.Parallel()
	_, stderr, code := warren(t, "run", "durability", "--quiz")
	if code != 2 || !strings.Contains(stderr, "it has no quiz; play it without --quiz") {
		t.Fatalf("exit %d, stderr %q: want 2 and why", code, stderr)
	}
}
