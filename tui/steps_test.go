package tui

import (
	"maps"
	"regexp"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/scenarios"
)

// uniqueNames is sc with sfx appended to every exchange and queue name
// (and to the steps that name them), so that runs never collide on a
// shared RabbitMQ. Consumer names stay: they are the Session's own.
func uniqueNames(t *testing.T, sc scenarios.Scenario, sfx string) scenarios.Scenario {
	t.Helper()
	names := map[string]bool{}
	real := func(n string) string {
		if names[n] {
			return n + "-" + sfx
		}
		return n
	}
	top := sc.Topology
	for _, x := range top.Exchanges {
		if x.AlternateExchange() != "" {
			t.Fatalf("uniqueNames does not rename alternate exchanges (scenario %s)", sc.Name)
		}
		names[x.Name] = true
	}
	for _, q := range top.Queues {
		names[q.Name] = true
	}
	out := sc
	out.Topology.Exchanges = nil
	for _, x := range top.Exchanges {
		x.Name = real(x.Name)
		out.Topology.Exchanges = append(out.Topology.Exchanges, x)
	}
	out.Topology.Queues = nil
	for _, q := range top.Queues {
		q.Name = real(q.Name)
		out.Topology.Queues = append(out.Topology.Queues, q)
	}
	out.Topology.Bindings = nil
	for _, b := range top.Bindings {
		b.Source, b.Destination = real(b.Source), real(b.Destination)
		out.Topology.Bindings = append(out.Topology.Bindings, b)
	}
	out.Consumers = nil
	for _, c := range sc.Consumers {
		c.Queue = real(c.Queue)
		out.Consumers = append(out.Consumers, c)
	}
	out.Steps = nil
	for _, st := range sc.Steps {
		st.Publish.Exchange = real(st.Publish.Exchange)
		if st.Publish.Exchange == "" {
			st.Publish.RoutingKey = real(st.Publish.RoutingKey) // the default exchange: the key names a queue
		}
		var expect []string
		for _, q := range st.Expect {
			expect = append(expect, real(q))
		}
		if st.Expect != nil && expect == nil {
			expect = []string{}
		}
		st.Expect = expect
		if st.ExpectConsumers != nil {
			ec := map[string]string{}
			for q, c := range st.ExpectConsumers {
				ec[real(q)] = c
			}
			st.ExpectConsumers = ec
		}
		out.Steps = append(out.Steps, st)
	}
	return out
}

// The TUI's s judges a step as `warren run` does: the direct scenario's
// work-queue steps check which worker got the task (expect_consumers),
// and say so.
func TestStepsCheckExpectedConsumers(t *testing.T) {
	t.Parallel()
	builtin, err := scenarios.Lookup("direct")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		// change alters the scenario's steps before the run.
		change func(steps []scenarios.Step, tasks string)
		// want are the log lines steps 5 to 8 end with, in order ("%s"
		// is the tasks queue).
		want []string
	}{
		{name: "as in the scenario", change: func([]scenarios.Step, string) {},
			want: []string{
				"step 5 as expected: %s (worker-1)", "step 6 as expected: %s (worker-2)",
				"step 7 as expected: %s (worker-1)", "step 8 as expected: %s (worker-2)",
			}},
		{name: "the wrong worker expected", change: func(steps []scenarios.Step, tasks string) {
			steps[5].ExpectConsumers = map[string]string{tasks: "worker-1"}
		}, want: []string{
			"step 5 as expected: %s (worker-1)", "step 6: queue %s: expected consumer worker-1, got worker-2",
			"step 7 as expected: %s (worker-1)", "step 8 as expected: %s (worker-2)",
		}},
	}
	for _, b := range testbrokers.Both(t) {
		for _, tc := range tests {
			t.Run(b.Name+"/"+tc.name, func(t *testing.T) {
				sc := uniqueNames(t, *builtin, suffix())
				tasks := sc.Topology.Queues[2].Name
				if !strings.HasPrefix(tasks, "tasks-") {
					t.Fatalf("the direct scenario's third queue is %s, want tasks", tasks)
				}
				sc.Steps = append([]scenarios.Step(nil), sc.Steps...)
				for i := range sc.Steps {
					sc.Steps[i].ExpectConsumers = maps.Clone(sc.Steps[i].ExpectConsumers)
				}
				tc.change(sc.Steps, tasks)
				hs := start(t, b, 160, 50, []scenarios.Scenario{sc})
				hs.waitText("Scenarios")
				hs.key(tcell.KeyEnter)
				hs.waitText(tasks + " r:")

				for i := 1; i <= 4; i++ {
					hs.typeText("s")
					hs.waitFor("step "+string(rune('0'+i))+" judged", func(s string) bool {
						return strings.Contains(s, "step "+string(rune('0'+i))+" as expected")
					})
				}
				step := func(i int) {
					t.Helper()
					hs.typeText("s")
					want := strings.ReplaceAll(tc.want[i-5], "%s", tasks)
					s := hs.waitText(want)
					if strings.Contains(s, "DISAGREE") {
						t.Errorf("step %d: model and broker disagree:\n%s", i, s)
					}
				}
				step(5)
				step(6)
				// Each worker holds its task (manual ack, prefetch 1): ack
				// both, oldest first, so that both take turns again.
				held := func(n int) *regexp.Regexp {
					return regexp.MustCompile(regexp.QuoteMeta(tasks) + ` r:\S+ u:` + string(rune('0'+n)) + ` `)
				}
				hs.waitFor("two tasks held", func(s string) bool { return held(2).MatchString(s) })
				hs.focusQueue(tasks)
				hs.typeText("a")
				hs.waitFor("one task held", func(s string) bool { return held(1).MatchString(s) })
				hs.typeText("a")
				hs.waitFor("no task held", func(s string) bool { return held(0).MatchString(s) })
				step(7)
				hs.waitFor("task 3 held", func(s string) bool { return held(1).MatchString(s) })
				step(8)
			})
		}
	}
}
