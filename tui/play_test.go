package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/scenarios"
)

// playHeadless plays sc as `warren run` does (the same calls as its
// command: a Player with AckManual, Setup, Run, Teardown) and returns the
// step results.
func playHeadless(t *testing.T, b testbrokers.Broker, sc *scenarios.Scenario, sfx string) []scenarios.StepResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := sandbox.Dial(ctx, b.URL, sandbox.Options{Label: b.Label, ConnectionName: "warren tui test (headless)"})
	if err != nil {
		t.Fatalf("dial %s: %v", b.Name, err)
	}
	defer s.Close()
	p := scenarios.NewPlayer(s, sc)
	p.Suffix, p.AckManual = sfx, true
	defer p.Teardown(context.WithoutCancel(ctx))
	if err := p.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	rs, err := p.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// waitModel waits, draw by draw, until cond holds on the App's model.
func (h *harness) waitModel(what string, cond func(m *model) bool) {
	h.t.Helper()
	h.waitFor(what, func(string) bool {
		h.app.m.mu.Lock()
		defer h.app.m.mu.Unlock()
		return cond(h.app.m)
	})
}

// lastLog is the log's newest line.
func (m *model) lastLog() string {
	if m.log.len() == 0 {
		return ""
	}
	return m.log.at(m.log.len() - 1).Text
}

// verdictOf is what a step's verdict says, for comparing two plays.
func verdictOf(r scenarios.StepResult) string {
	var by []string
	for q, c := range r.ConsumedBy {
		by = append(by, q+"="+c)
	}
	slices.Sort(by)
	return fmt.Sprintf("ok=%v delivered=%v returned=%v consumed=%v agrees=%v failures=%q",
		r.OK, r.Delivered, r.Returned, by, r.ModelAgrees, r.Failures)
}

// S in the TUI plays every built-in scenario to the same verdicts, step by
// step, as `warren run` does, and the log ends with the contract's line.
func TestAllStepsAgreeWithWarrenRun(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		for _, sc := range scenarios.Builtins() {
			t.Run(b.Name+"/"+sc.Name, func(t *testing.T) {
				want := playHeadless(t, b, &sc, "-"+suffix())
				hs := start(t, b, 80, 24, scenarios.Builtins(), func(c *Config) {
					c.Initial, c.NameSuffix = sc.Name, "-"+suffix()
				})
				hs.waitModel("the scenario declared", func(m *model) bool { return m.declared && len(m.consumers) > 0 })
				if sc.Name == flowScenario {
					hs.waitText("Path of the event")
					hs.key(tcell.KeyEscape) // out of its form
					hs.key(tcell.KeyEscape) // back from the services' page to the scenario
					hs.waitText(" ready unacked ")
				}
				hs.typeText("S")
				summary := fmt.Sprintf("all %d steps as expected", len(sc.Steps))
				hs.waitModel("the summary line", func(m *model) bool {
					return strings.HasSuffix(m.lastLog(), "steps as expected")
				})
				hs.app.m.mu.Lock()
				last := hs.app.m.lastLog()
				results := slices.Clone(hs.app.m.results)
				hs.app.m.mu.Unlock()
				if last != summary {
					t.Errorf("the log ends with %q, want %q", last, summary)
				}
				if len(results) != len(want) {
					t.Fatalf("%d results in the TUI, %d headless", len(results), len(want))
				}
				for i, r := range results {
					if r == nil {
						t.Errorf("step %d: no verdict in the TUI", i+1)
						continue
					}
					if got, w := verdictOf(*r), verdictOf(want[i]); got != w {
						t.Errorf("step %d:\n TUI: %s\n run: %s", i+1, got, w)
					}
				}
			})
		}
	}
}

// focusQueue puts the focus on a queue pane, as Tab would.
func (h *harness) focusQueue(name string) {
	h.t.Helper()
	done := make(chan bool, 1)
	h.app.app.QueueUpdateDraw(func() {
		for _, p := range h.app.ui.queues {
			if p.name == name {
				h.app.app.SetFocus(p.table)
				done <- true
				return
			}
		}
		done <- false
	})
	if !<-done {
		h.t.Fatalf("no pane for queue %s", name)
	}
}

// Played step by step, the direct scenario's task 3 waits behind the
// workers' prefetch until the user acks: the TUI says it is waiting (not
// "delivered to no queue"), and judges the step when it is delivered.
func TestWaitingStepIsJudgedWhenDelivered(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs := start(t, b, 140, 45, scenarios.Builtins(), func(c *Config) {
				c.Initial, c.NameSuffix = "direct", "-"+suffix()
			})
			hs.waitModel("the scenario declared", func(m *model) bool { return m.declared && len(m.consumers) > 0 })
			for i := range 7 {
				hs.typeText("s")
				hs.waitModel(fmt.Sprintf("step %d judged", i+1), func(m *model) bool { return m.results[i] != nil })
			}
			hs.app.m.mu.Lock()
			r := *hs.app.m.results[6]
			logged := logText(hs.app.m)
			hs.app.m.mu.Unlock()
			if r.OK || !slices.Equal(r.Waiting, []string{"tasks"}) {
				t.Fatalf("step 7 before any ack: ok=%v waiting=%v, want not ok, waiting in tasks", r.OK, r.Waiting)
			}
			for _, want := range []string{"worker-1 holds 1 unacked (prefetch 1)", "worker-2 holds 1 unacked (prefetch 1)", "it may be waiting, ready, in tasks"} {
				if !strings.Contains(logged, want) {
					t.Errorf("the log does not say %q:\n%s", want, logged)
				}
			}
			for _, line := range strings.Split(logged, "\n") {
				if strings.Contains(line, "step 7") && strings.Contains(line, "delivered to no queue") {
					t.Errorf("a message waiting in its queue is called routed nowhere: %s", line)
				}
			}
			hs.focusQueue("tasks")
			hs.typeText("a") // worker-1 acks task 1, the oldest held
			hs.waitModel("step 7 judged again", func(m *model) bool { return m.results[6].OK })
			hs.waitModel("the log saying so", func(m *model) bool {
				return strings.Contains(logText(m), "step 7 as expected: tasks (worker-1)")
			})
		})
	}
}
