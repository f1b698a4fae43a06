package scenarios

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox"
)

const restartFile = `name: r
topology:
  queues: [{name: kept}, {name: lost, durable: false}, {name: also}]
unobserved: [kept, lost, also]
steps:
  - {publish: {exchange: "", routing_key: kept, body: a, persistent: true}, expect: [], expect_waiting: [kept]}
  - {publish: {exchange: "", routing_key: lost, body: b, persistent: true}, expect: [], expect_waiting: [lost]}
  - {restart_broker: true, expect_ready: {kept: 2, lost: 1}, expect_gone: [also]}
  - {publish: {exchange: "", routing_key: kept, body: c}, expect: [], expect_waiting: [kept]}
`

func playRestartFile(t *testing.T, restart func(context.Context) error, reconnect bool) []StepResult {
	t.Helper()
	sc, err := Parse("r.yaml", []byte(restartFile))
	if err != nil {
		t.Fatal(err)
	}
	b := testbrokers.Embedded(t) // not restarted: RabbitMQ's case
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := sandbox.Dial(ctx, b.URL, sandbox.Options{Label: b.Label, Reconnect: reconnect})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := NewPlayer(s, sc)
	p.RestartBroker = restart
	if err := p.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Teardown(context.WithoutCancel(ctx))
	results, err := p.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return results
}

// Without a restart hook (a live RabbitMQ) the restart step and every step
// after it are skipped, with their notes, and nothing fails.
func TestRestartStepSkippedWithoutAHook(t *testing.T) {
	results := playRestartFile(t, nil, false)
	if r := results[2]; !r.Skipped || r.Note != SkipRestartNote || !r.OK {
		t.Fatalf("restart without a hook: %+v", r)
	}
	if r := results[3]; !r.Skipped || r.Note != SkipAfterRestartNote || !r.OK {
		t.Fatalf("step after a skipped restart: %+v", r)
	}
}

// A restart whose expectations do not hold fails with sentences that say
// what survived.
func TestRestartStepJudged(t *testing.T) {
	sc, err := Parse("r.yaml", []byte(restartFile))
	if err != nil {
		t.Fatal(err)
	}
	b := testbrokers.Embedded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := sandbox.Dial(ctx, b.URL, sandbox.Options{Label: b.Label, Reconnect: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := NewPlayer(s, sc)
	p.RestartBroker = b.Restart
	if err := p.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Teardown(context.WithoutCancel(ctx))
	results, err := p.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := results[2]
	want := []string{
		"queue also: expected gone after the restart, it is there with 0 ready",
		"queue kept: expected 2 ready after the restart, 1 (only persistent messages of durable queues survive)",
		"queue lost: expected 1 ready after the restart; it is gone",
	}
	if r.OK || r.Skipped || len(r.Failures) != len(want) {
		t.Fatalf("restart step: ok=%v skipped=%v failures %q", r.OK, r.Skipped, r.Failures)
	}
	for i, w := range want {
		if !strings.HasPrefix(r.Failures[i], w) {
			t.Errorf("failure %d: %q, want it to start %q", i, r.Failures[i], w)
		}
	}
	if got := r.Survivors[0].String() + "; " + r.Survivors[1].String(); got != "1 ready -> 1 ready; 1 ready -> gone" {
		t.Errorf("survivors: %s", got)
	}
	if r := results[3]; !r.OK || r.Skipped {
		t.Errorf("the step after the restart: ok=%v skipped=%v %s", r.OK, r.Skipped, r.Why)
	}
}
