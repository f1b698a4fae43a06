package tui

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/warrenmq/warren/internal/brokertest"
	"github.com/warrenmq/warren/internal/testbrokers"
)

// Two learners run the TUI on one RabbitMQ with the same scenario, names
// and all: each App declares the names with its own suffix, so their
// consumers never compete for a queue (each sees exactly its own copies),
// and when the first quits it deletes only what it declared: the second
// plays on without a 404.
func TestTwoTUIsShareARabbitMQ(t *testing.T) {
	t.Parallel()
	b := testbrokers.Broker{Name: "rabbitmq", URL: brokertest.LiveOrSkip(t)}
	shared := topicScenario("shared-" + suffix()) // the same names for both
	q1 := shared.Topology.Queues[0].Name
	open := func() *harness {
		sfx := "-" + suffix()
		hs := start(t, b, 120, 40, nil, func(c *Config) {
			c.Scenarios = append(c.Scenarios, shared)
			c.Initial, c.NameSuffix = shared.Name, sfx
		})
		hs.waitText("About topic")
		hs.key(tcell.KeyEscape)
		hs.waitText(q1 + " r:0")
		return hs
	}
	a, c := open(), open()
	for _, hs := range []*harness{a, c} {
		hs.typeText("S")
	}
	for name, hs := range map[string]*harness{"first": a, "second": c} {
		s := hs.waitFor("the steps played and step 1's message in "+q1, func(s string) bool {
			hs.app.m.mu.Lock()
			l := logText(hs.app.m)
			hs.app.m.mu.Unlock()
			return strings.Contains(l, "steps as expected") && strings.Contains(pane(s, q1), "quick.orange.rabbit")
		})
		if got := strings.Count(pane(s, q1), "quick.orange.rabbit"); got != 1 {
			t.Errorf("the %s TUI's %s shows %d copies of step 1's message, want exactly its own one:\n%s", name, q1, got, s)
		}
		hs.app.m.mu.Lock()
		l := logText(hs.app.m)
		hs.app.m.mu.Unlock()
		if !strings.Contains(l, "all 2 steps as expected") {
			t.Errorf("the %s TUI:\n%s", name, l)
		}
	}

	a.stop() // the first learner quits: it deletes what it declared
	c.typeText("p")
	c.typeText("after.orange.quit")
	c.key(tcell.KeyEnter)
	s := c.waitFor("the second TUI's message after the first quit", func(s string) bool {
		return strings.Contains(pane(s, q1), "after.orange.quit")
	})
	c.app.m.mu.Lock()
	l := logText(c.app.m)
	c.app.m.mu.Unlock()
	if strings.Contains(l, "NOT_FOUND") || strings.Contains(l, "404") {
		t.Errorf("the second TUI lost its names when the first quit:\n%s\n%s", l, s)
	}
}
