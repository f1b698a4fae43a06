package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
)

// chooseTopic opens the app with direct and topic listed, and chooses
// topic with the keys a person would press.
func chooseTopic(t *testing.T, b testbrokers.Broker, w, h int, opts ...harnessOpt) (*harness, scenarios.Scenario) {
	sfx := suffix()
	topic := topicScenario(sfx)
	hs := start(t, b, w, h, []scenarios.Scenario{directScenario(sfx), topic}, opts...)
	hs.waitText("Scenarios")
	hs.key(tcell.KeyDown)
	hs.key(tcell.KeyEnter)
	hs.waitText("About topic")
	hs.key(tcell.KeyEscape)
	q1, q2 := topic.Topology.Queues[0].Name, topic.Topology.Queues[1].Name
	hs.waitFor("the queue panes of topic", func(s string) bool {
		return strings.Contains(s, q1+" r:0") && strings.Contains(s, q2+" r:0")
	})
	hs.waitText(topic.Topology.Exchanges[0].Name + " (topic) bindings")
	return hs, topic
}

func TestPublishExplainsEveryBinding(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs, topic := chooseTopic(t, b, 120, 40)
			q1, q2 := topic.Topology.Queues[0].Name, topic.Topology.Queues[1].Name

			hs.typeText("p")
			hs.typeText("quick.orange.rabbit")
			hs.key(tcell.KeyEnter)

			s := hs.waitFor("quick.orange.rabbit in Q1 and Q2 and the verdicts", func(s string) bool {
				return strings.Contains(pane(s, q1), "quick.orange.rabbit") &&
					strings.Contains(pane(s, q2), "quick.orange.rabbit") &&
					strings.Contains(s, "✗ lazy.#")
			})
			topo := routingPane(s)
			for _, want := range [][3]string{{q1, "*.orange.*", "✓"}, {q2, "*.*.rabbit", "✓"}, {q2, "lazy.#", "✗"}} {
				if got := bindingMark(topo, want[0], want[1]); got != want[2] {
					t.Errorf("binding %s -> %s marked %q, want %q:\n%s", want[1], want[0], got, want[2], topo)
				}
			}
			if strings.Contains(s, "DISAGREE") || strings.Contains(topo, "! ") {
				t.Errorf("model and broker disagree on a plain topic publish:\n%s", s)
			}
		})
	}
}

func TestBadFormInputPublishesNothing(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs, topic := chooseTopic(t, b, 120, 40)
			q1 := topic.Topology.Queues[0].Name
			tests := []struct {
				name, key, headers, want string
			}{
				{"key too long", strings.Repeat("k", 256), "", "routing key is 256 bytes; AMQP allows at most 255"},
				{"header without =", "quick.orange.x", "format", `headers: "format": write key=value`},
				{"bad int", "quick.orange.x", "n:int=five", `n: "five" is not an int`},
			}
			for _, tc := range tests {
				hs.typeText("p")
				hs.typeText(tc.key)
				hs.key(tcell.KeyDown) // to the headers field
				for range 40 {
					hs.key(tcell.KeyBackspace2)
				}
				hs.typeText(tc.headers)
				hs.key(tcell.KeyEnter)
				hs.waitText(tc.want)
				hs.key(tcell.KeyEscape)
			}
			// A valid publish afterwards is the only one that arrives.
			hs.typeText("p")
			hs.typeText("ok.orange.ok")
			hs.key(tcell.KeyDown)
			for range 40 {
				hs.key(tcell.KeyBackspace2)
			}
			hs.key(tcell.KeyEnter)
			s := hs.waitFor("the valid message in Q1", func(s string) bool {
				return strings.Contains(pane(s, q1), "ok.orange.ok")
			})
			if strings.Contains(pane(s, q1), "quick.orange.x") {
				t.Errorf("a refused message was published:\n%s", pane(s, q1))
			}
		})
	}
}

func TestCrashedConsumerRedelivers(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs, topic := chooseTopic(t, b, 120, 40)
			q1 := topic.Topology.Queues[0].Name

			hs.focusQueue(q1)
			hs.typeText("m")
			hs.waitText(" " + q1 + " r:0 u:0 [manual]")

			hs.typeText("p")
			hs.typeText("crash.orange.test")
			hs.key(tcell.KeyEnter)
			hs.waitFor("the message held unacked in Q1", func(s string) bool {
				return strings.Contains(s, " "+q1+" r:0 u:1 [manual]") && rowFlag(pane(s, q1), "crash.orange.test") == "H"
			})

			hs.focusQueue(q1)
			hs.typeText("c")
			s := hs.waitFor("the message redelivered in Q1", func(s string) bool {
				return rowFlag(pane(s, q1), "crash.orange.test") == "RH"
			})
			if !strings.Contains(s, "crashed") {
				t.Errorf("the log does not say the consumer crashed:\n%s", s)
			}
		})
	}
}

// rowFlag is the flag column of the newest row showing key in a queue pane.
func rowFlag(paneText, key string) string {
	for _, line := range strings.Split(paneText, "\n") {
		if strings.Contains(line, key) {
			return strings.TrimSpace(line[:strings.Index(line, key)])
		}
	}
	return "(no row)"
}

func TestResetDeletesTheQueues(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs, topic := chooseTopic(t, b, 120, 40)
			hs.typeText("r")
			hs.waitText("not declared on the broker")

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			check, err := sandbox.Dial(ctx, b.URL, sandbox.Options{Label: b.Label})
			if err != nil {
				t.Fatal(err)
			}
			defer check.Close()
			for _, q := range topic.Topology.Queues {
				if _, err := check.QueueStats(ctx, q.Name); err == nil || !strings.Contains(err.Error(), "404") {
					t.Errorf("queue %s after reset: err = %v, want 404 NOT_FOUND", q.Name, err)
				}
			}
		})
	}
}

func TestStepsNarrateAndCheck(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs, topic := chooseTopic(t, b, 120, 40)
			hs.typeText("s")
			hs.waitText("Step 1/2: Both patterns match")
			hs.waitText("step 1 as expected")
			hs.typeText("S")
			hs.waitText("Step 2/2: Nothing matches")
			s := hs.waitText("step 2 as expected: none")
			if !strings.Contains(s, "dropped") {
				t.Errorf("an unroutable step should say the message was dropped:\n%s", s)
			}
			_ = topic
		})
	}
}

// A broker that goes away shows "disconnected"; quitting still works.
func TestBrokerGoneShowsDisconnected(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		if b.Server == nil {
			continue // a live RabbitMQ is not ours to stop
		}
		t.Run(b.Name, func(t *testing.T) {
			hs, _ := chooseTopic(t, b, 100, 30)
			hs.waitText("embedded connected")
			b.Server.Shutdown()
			hs.waitText("embedded disconnected")
			// Publishing now fails with a message, not a hang.
			hs.typeText("p")
			hs.typeText("quick.orange.rabbit")
			hs.key(tcell.KeyEnter)
			hs.waitText(`publish "quick.orange.rabbit" to exchange`)
		})
	}
}

// When the model and the broker disagree, the log and the binding say so.
// The broker is right here: the test gives the App a model that forgets Q2.
func TestDisagreementIsFlagged(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			wrong := func(top *routing.Topology, m routing.Message) routing.Result {
				r := routing.Route(top, m)
				var qs []string
				for _, q := range r.Queues {
					if !strings.HasPrefix(q, "Q2-") {
						qs = append(qs, q)
					}
				}
				r.Queues = qs
				return r
			}
			hs, topic := chooseTopic(t, b, 140, 40, func(c *Config) { c.Predict = wrong })
			q2 := topic.Topology.Queues[1].Name
			hs.typeText("p")
			hs.typeText("quick.orange.rabbit")
			hs.key(tcell.KeyEnter)
			s := hs.waitText("DISAGREE " + q2)
			topo := routingPane(s)
			if !strings.Contains(topo, "!"+q2) || !strings.Contains(topo, "! the broker delivered here") {
				t.Errorf("the queue %s is not flagged:\n%s", q2, topo)
			}
		})
	}
}

// Manual ack with prefetch 1: the second message waits, ready, until the
// first is acked; then it is delivered and held in turn.
func TestManualAckWithPrefetch(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs, topic := chooseTopic(t, b, 140, 40)
			q1 := topic.Topology.Queues[0].Name
			toQ1 := func() { hs.focusQueue(q1) }
			publish := func(key string) {
				hs.typeText("p")
				hs.typeText(key)
				hs.key(tcell.KeyEnter)
			}
			toQ1()
			hs.typeText("m")
			hs.waitText(q1 + " r:0 u:0 [manual]")
			hs.typeText("+")
			hs.waitText(q1 + " r:0 u:0 [manual pf1]")

			publish("first.orange.one")
			hs.waitFor("the first message held", func(s string) bool {
				return rowFlag(pane(s, q1), "first.orange.one") == "H"
			})
			publish("second.orange.two")
			s := hs.waitText(q1 + " r:1 u:1 [manual pf1]")
			if rowFlag(pane(s, q1), "second.orange.two") != "(no row)" {
				t.Fatalf("prefetch 1 let a second unacked message through:\n%s", pane(s, q1))
			}
			if strings.Contains(s, "DISAGREE") {
				t.Errorf("a message waiting behind prefetch was called a disagreement:\n%s", s)
			}

			toQ1()
			hs.typeText("a") // ack the oldest held message
			hs.waitFor("the first acked and the second delivered", func(s string) bool {
				p := pane(s, q1)
				return rowFlag(p, "first.orange.one") == "✓" && rowFlag(p, "second.orange.two") == "H"
			})
		})
	}
}

// The mouse works: clicking a scenario in the list chooses it.
func TestMouseChoosesScenario(t *testing.T) {
	t.Parallel()
	b := testbrokers.Both(t)[0]
	sfx := suffix()
	topic := topicScenario(sfx)
	hs := start(t, b, 120, 40, []scenarios.Scenario{directScenario(sfx), topic})
	s := hs.waitText("Scenarios")
	// Find the "topic" item on screen and click it.
	clicked := false
	for y, line := range strings.Split(s, "\n") {
		if x := strings.Index(line, "topic "); x >= 0 && strings.HasPrefix(strings.TrimLeft(line, "║│ "), "topic") {
			col := len([]rune(line[:x]))
			hs.screen.InjectMouse(col, y, tcell.Button1, tcell.ModNone)
			hs.screen.InjectMouse(col, y, tcell.ButtonNone, tcell.ModNone)
			clicked = true
			break
		}
	}
	if !clicked {
		t.Fatalf("no \"topic\" item in the scenario list:\n%s", s)
	}
	q1 := topic.Topology.Queues[0].Name
	hs.waitText(q1 + " r:0")
}

// A second consumer on a queue: the broker hands messages out round-robin,
// and the pane says which consumer got each.
func TestSecondConsumerRoundRobin(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs, topic := chooseTopic(t, b, 140, 40)
			q1 := topic.Topology.Queues[0].Name
			hs.focusQueue(q1)
			hs.typeText("w")
			hs.waitText(q1 + " r:0 u:0 [auto|auto]")
			for _, key := range []string{"one.orange.a", "two.orange.b"} {
				hs.typeText("p")
				hs.typeText(key)
				hs.key(tcell.KeyEnter)
			}
			s := hs.waitFor("both messages in Q1", func(s string) bool {
				p := pane(s, q1)
				return strings.Contains(p, "one.orange.a") && strings.Contains(p, "two.orange.b")
			})
			p := pane(s, q1)
			byAdded := 0
			for _, line := range strings.Split(p, "\n") {
				if strings.Contains(line, ".orange.") && strings.Contains(line, "+w2") {
					byAdded++
				}
			}
			if byAdded != 1 {
				t.Errorf("want exactly one of the two messages delivered to the added consumer %s+w2:\n%s", q1, p)
			}
		})
	}
}
