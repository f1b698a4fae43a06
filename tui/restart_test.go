package tui

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/scenarios"
)

// chooseDurability opens the TUI on b with the durability scenario chosen
// and the broker's restart hook (nil on the live RabbitMQ).
func chooseDurability(t *testing.T, b testbrokers.Broker) *harness {
	t.Helper()
	sc, err := scenarios.Lookup("durability")
	if err != nil {
		t.Fatal(err)
	}
	sfx := suffix()
	hs := start(t, b, 160, 50, []scenarios.Scenario{*sc}, func(c *Config) {
		c.RestartBroker = b.Restart
		c.NameSuffix = sfx
	})
	hs.waitText("Scenarios")
	hs.key(tcell.KeyEnter)
	hs.waitText("About durability")
	hs.key(tcell.KeyEscape)
	hs.waitFor("the queue panes of durability", func(s string) bool {
		return strings.Contains(s, "durable-orders r:0") && strings.Contains(s, "jobs r:0")
	})
	return hs
}

// S plays the durability scenario's restart step: on the embedded broker
// the broker restarts and the panes show the survivors' counts from the
// broker; on RabbitMQ the step is skipped with its note.
func TestDurabilityScenarioInTheTUI(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs := chooseDurability(t, b)
			hs.typeText("S")
			if b.Restart == nil {
				hs.waitText("step 7 skipped: restart_broker restarts only Warren's embedded broker")
				hs.waitText("1 of the 7 steps skipped")
				hs.waitText("all 7 steps as expected")
				hs.stop()
				return
			}
			hs.waitText("all 7 steps as expected")
			screen := hs.waitFor("the survivors in the panes", func(s string) bool {
				// durable-orders kept order-1; transient-orders was declared
				// again, empty; job-1 is back with the worker, unacked
				return strings.Contains(s, "durable-orders r:1") && strings.Contains(s, "transient-orders r:0")
			})
			for _, want := range []string{
				"step 7 restart: durable-orders: 2 ready -> 1 ready",
				"step 7 restart: transient-orders: 1 ready -> gone",
				"step 7 restart: jobs: 0 ready + 1 unacked -> 1 ready, 1 redelivered",
			} {
				if !strings.Contains(screen, want) {
					t.Errorf("the log does not say %q:\n%s", want, screen)
				}
			}
			hs.stop()
		})
	}
}

// R restarts the embedded broker at any time; on RabbitMQ it says it
// restarts only the embedded one.
func TestRestartKey(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs := chooseDurability(t, b)
			hs.typeText("s") // order-1, persistent, waits in durable-orders
			hs.waitText("durable-orders r:1")
			hs.typeText("s") // order-2, transient
			hs.waitText("durable-orders r:2")
			hs.typeText("R")
			if b.Restart == nil {
				hs.waitText("R restarts only Warren's embedded broker")
				hs.stop()
				return
			}
			hs.waitText("restart: durable-orders: 2 ready -> 1 ready")
			hs.waitText("broker restarted; the Session reconnected")
			hs.waitText("durable-orders r:1")
			hs.stop()
		})
	}
}

// Q on a scenario that restarts the broker says it has no quiz and stays
// out of quiz mode.
func TestDurabilityHasNoQuizMode(t *testing.T) {
	t.Parallel()
	hs := chooseDurability(t, testbrokers.Embedded(t))
	hs.typeText("Q")
	hs.waitText("durability restarts the broker in a step, which publishes nothing to predict")
	hs.waitModel("quiz mode still off", func(m *model) bool { return !m.quizOn })
	hs.stop()
}
