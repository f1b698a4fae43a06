package tui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
)

// verdictsOnScreen says what of step r's verdicts the routing pane on
// screen lacks ("" = nothing): every binding of the scenario with its
// mark and the model's reason, and every queue with its ready and unacked
// counts, with nothing scrolled off.
func verdictsOnScreen(screen string, sc *scenarios.Scenario, r *scenarios.StepResult) string {
	rp := routingPane(screen)
	rule, _, _ := strings.Cut(rp, "\n")
	if strings.Contains(rule, "more ↓") || strings.Contains(rule, "↑") {
		return "the routing pane scrolls: " + rule
	}
	if !strings.Contains(rule, fmt.Sprintf("step %d ", r.Index)) {
		return "the routing pane does not show step " + fmt.Sprint(r.Index) + " yet"
	}
	flat := strings.Join(strings.Fields(rp), " ")
	types := map[string]routing.ExchangeType{}
	for _, x := range sc.Topology.Exchanges {
		types[x.Name] = x.Type
	}
	verdicts := map[string]routing.Verdict{}
	for _, v := range r.Model.Verdicts {
		verdicts[bindingID(v.Binding)] = v
	}
	single := len(sc.Topology.Exchanges) == 1 && sc.Topology.Exchanges[0].AlternateExchange() == ""
	for _, bd := range sc.Topology.Bindings {
		label := bindingLabel(bd, types[bd.Source])
		if !single {
			label = bd.Source + ": " + label
		}
		want, reason := "·", ""
		if v, ok := verdicts[bindingID(bd)]; ok {
			want, reason = "✗", shortReason(v.Reason, types[bd.Source])
			if v.Matched {
				want = "✓"
			}
		}
		if got := bindingMark(rp, bd.Destination, label); got != want {
			return fmt.Sprintf("binding %s -> %s: mark %s, want %s", label, bd.Destination, got, want)
		}
		if reason != "" && !strings.Contains(flat, strings.Join(strings.Fields(reason), " ")) {
			return fmt.Sprintf("binding %s -> %s: reason %q not on screen", label, bd.Destination, reason)
		}
	}
	for _, q := range sc.Topology.Queues {
		row := regexp.MustCompile(`(?m)^[ !]` + regexp.QuoteMeta(q.Name) + `\s+\d+\s+\d+ `)
		if !row.MatchString(rp) {
			return fmt.Sprintf("queue %s: no row with its ready and unacked counts", q.Name)
		}
	}
	return ""
}

// restartOnScreen says what is missing from the screen after a restart
// step (or a step skipped after one): its verdict at the foot of the log,
// and every queue's row with its counts in the routing pane.
func restartOnScreen(screen string, sc *scenarios.Scenario, r *scenarios.StepResult) string {
	flat := strings.Join(strings.Fields(screen), " ")
	want := fmt.Sprintf("step %d as expected: the broker restarted", r.Index)
	if r.Skipped {
		want = fmt.Sprintf("step %d skipped:", r.Index)
	}
	if !strings.Contains(flat, want) {
		return fmt.Sprintf("the log does not say %q", want)
	}
	rp := routingPane(screen)
	for _, q := range sc.Topology.Queues {
		row := regexp.MustCompile(`(?m)^[ !]` + regexp.QuoteMeta(q.Name) + `\s+\d+\s+\d+ `)
		if !row.MatchString(rp) {
			return fmt.Sprintf("queue %s: no row with its ready and unacked counts", q.Name)
		}
	}
	return ""
}

// At 80x24, after every step of every built-in scenario, every binding's
// verdict and reason and every queue's counts are on screen, unscrolled.
func TestEveryVerdictFitsAt80x24(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		for _, sc := range scenarios.Builtins() {
			t.Run(b.Name+"/"+sc.Name, func(t *testing.T) {
				hs := start(t, b, 80, 24, scenarios.Builtins(), func(c *Config) {
					c.Initial, c.NameSuffix = sc.Name, "-"+suffix()
					c.RestartBroker = b.Restart
				})
				hs.waitModel("the scenario declared", func(m *model) bool { return m.declared && len(m.consumers) > 0 })
				if sc.Name == flowScenario {
					hs.waitText("Path of the event")
					hs.key(tcell.KeyEscape)
					hs.key(tcell.KeyEscape)
				}
				for i := range sc.Steps {
					hs.typeText("s")
					hs.waitModel(fmt.Sprintf("step %d judged", i+1), func(m *model) bool { return m.results[i] != nil })
					hs.app.m.mu.Lock()
					r := hs.app.m.results[i]
					hs.app.m.mu.Unlock()
					problem := ""
					deadline := time.Now().Add(10 * time.Second)
					hs.waitFor(fmt.Sprintf("step %d's verdicts on screen", i+1), func(s string) bool {
						problem = verdictsOnScreen(s, &sc, r)
						if r.Step.RestartBroker || r.Skipped {
							problem = restartOnScreen(s, &sc, r)
						}
						return problem == "" || time.Now().After(deadline)
					})
					if problem != "" {
						t.Fatalf("after step %d: %s:\n%s", i+1, problem, hs.text())
					}
				}
			})
		}
	}
}

// At 80x24 about half of the built-ins fit in the scenario list: its title
// says where the cursor is and how many there are, so the rest are found.
func TestScenarioListCountsAt80x24(t *testing.T) {
	t.Parallel()
	all := scenarios.Builtins()
	hs := start(t, testbrokers.Embedded(t), 80, 24, all)
	n := len(all)
	hs.waitText(fmt.Sprintf("Scenarios 1 of %d:", n))
	hs.key(tcell.KeyDown)
	hs.waitText(fmt.Sprintf("Scenarios 2 of %d:", n))
	hs.key(tcell.KeyEnd)
	s := hs.waitText(fmt.Sprintf("Scenarios %d of %d:", n, n))
	if !strings.Contains(s, all[n-1].Name) {
		t.Errorf("the last scenario, %s, is not on screen after End:\n%s", all[n-1].Name, s)
	}
}
