package tui

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
)

// startQuiz opens the built-in scenario name (its names suffixed) at w x h
// with quiz mode on, its about page closed.
func startQuiz(t *testing.T, b testbrokers.Broker, name string, w, h int) *harness {
	t.Helper()
	hs := start(t, b, w, h, scenarios.Builtins(), func(c *Config) {
		c.Initial, c.NameSuffix, c.Quiz = name, "-"+suffix(), true
	})
	hs.waitModel("the scenario declared", func(m *model) bool { return m.declared && len(m.consumers) > 0 })
	hs.key(tcell.KeyEscape) // the about page
	return hs
}

// logHas says whether the log has a line containing s.
func (h *harness) logHas(s string) bool {
	h.app.m.mu.Lock()
	defer h.app.m.mu.Unlock()
	return strings.Contains(logText(h.app.m), s)
}

// flat is a screen with its lines joined, for text that wraps.
func flat(screen string) string { return strings.Join(strings.Fields(screen), " ") }

// A right answer scores 1/1, and the step's narration is on screen only
// after the reveal: not while asking, not while publishing. Going back
// un-scores the step; at the end the log says score: K/N.
func TestQuizRightAnswerScoresAndNarratesAfterTheReveal(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Lookup("quiz-topic")
	if err != nil {
		t.Fatal(err)
	}
	say := flat(sc.Steps[0].Say)[:40] // wraps: compare the start, on the joined screen
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs := startQuiz(t, b, "quiz-topic", 80, 24)
			hs.typeText("s")
			s := hs.waitText("Quiz: step 1 of 8")
			if !strings.Contains(s, `routing key "orders"`) {
				t.Errorf("the question does not show the routing key:\n%s", s)
			}
			if strings.Contains(flat(s), say) || hs.logHas(say) {
				t.Fatalf("the narration is shown before the answer:\n%s", s)
			}
			// everything, orders_any, one_word: the right answer.
			hs.typeText("123")
			s = hs.waitFor("three queues toggled", func(s string) bool {
				return strings.Contains(s, "1 [x] everything") && strings.Contains(s, "2 [x] orders_any") &&
					strings.Contains(s, "3 [x] one_word") && strings.Contains(s, "d [ ] dropped")
			})
			if strings.Contains(flat(s), say) {
				t.Fatalf("the narration is shown while asking:\n%s", s)
			}
			hs.key(tcell.KeyEnter)
			s = hs.waitFor("the reveal", func(s string) bool {
				if !strings.Contains(s, "step 1 ✓ right · score 1/1") {
					if strings.Contains(flat(s), say) {
						t.Fatalf("the narration came before the reveal:\n%s", s)
					}
					return false
				}
				return strings.Contains(flat(s), say)
			})
			if !strings.Contains(s, "quiz score 1/1") {
				t.Errorf("the status line has no running score:\n%s", s)
			}
			// Every binding's verdict and reason, as after any step.
			hs.app.m.mu.Lock()
			r := hs.app.m.results[0]
			hs.app.m.mu.Unlock()
			if problem := verdictsOnScreen(s, sc, r); problem != "" {
				t.Errorf("the reveal: %s:\n%s", problem, s)
			}

			// Back: step 1 is not scored any more, and is asked again.
			hs.typeText("b")
			hs.waitFor("step 1 un-scored", func(s string) bool { return strings.Contains(s, "quiz score 0/0") })
			hs.waitModel("back before step 1", func(m *model) bool { return m.nextStep == 0 && m.results[0] == nil })
			hs.typeText("s")
			hs.waitText("Quiz: step 1 of 8 · score 0/0")
			hs.typeText("123")
			hs.key(tcell.KeyEnter)
			hs.waitText("step 1 ✓ right · score 1/1")
			// The other seven, answered "dropped" (wrong but for none):
			// the last one ends the quiz with the score line.
			for i := 2; i <= 8; i++ {
				hs.typeText("s")
				hs.waitText(fmt.Sprintf("Quiz: step %d of 8", i))
				hs.key(tcell.KeyEnter)
				hs.waitModel(fmt.Sprintf("step %d marked", i), func(m *model) bool {
					_, ok := m.quiz.MarkOf(i)
					return ok
				})
			}
			hs.waitFor("the score line", func(string) bool { return hs.logHas("score: 1/8") })
		})
	}
}

// A wrong answer is marked wrong, with what it got wrong; the hint comes
// on ?, and a step without one says so.
func TestQuizWrongAnswerAndHint(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs := startQuiz(t, b, "quiz-topic", 80, 24)
			hs.typeText("s")
			hs.waitText("Quiz: step 1 of 8")
			hs.typeText("?")
			hs.waitText("hint: How many words can '#' stand for?")
			// The longest name, toggled, is shown whole.
			hs.typeText("5")
			hs.waitText("5 [x] eu_or_orders ")
			hs.typeText("5")
			hs.waitText("5 [ ] eu_or_orders ")
			hs.typeText("1") // everything alone
			hs.key(tcell.KeyEnter)
			s := hs.waitText("step 1 ✗ wrong · score 0/1")
			if !strings.Contains(flat(s), "✗ wrong: it went to everything, one_word and orders_any") {
				t.Errorf("the narration does not say where it went:\n%s", s)
			}
			if !hs.logHas("you said everything; one_word got a copy too, orders_any got a copy too") {
				hs.app.m.mu.Lock()
				t.Errorf("the log does not say what was wrong:\n%s", logText(hs.app.m))
				hs.app.m.mu.Unlock()
			}
			// A prediction that cannot be true is refused in the panel.
			hs.typeText("s")
			hs.waitText("Quiz: step 2 of 8")
			hs.typeText("1")
			hs.typeText("a") // alternate: events has no alternate exchange, but Parse allows it
			hs.typeText("r") // returned: clears the queues and alternate
			s = hs.waitText("r [x] returned to the publisher")
			if strings.Contains(s, "1 [x]") || strings.Contains(s, "a [x]") {
				t.Errorf("returned left a queue or the alternate exchange toggled:\n%s", s)
			}
			hs.typeText("d")
			hs.waitText("d [x] dropped")
			hs.key(tcell.KeyEscape)
			hs.waitText("not answered yet; s asks again")
			hs.waitModel("step 2 not played", func(m *model) bool { return m.nextStep == 1 })
			// S would reveal without asking: refused.
			hs.typeText("S")
			hs.waitFor("S refused", func(string) bool { return hs.logHas("S would play them all unasked") })
			// . replays step 1: un-scored and asked again, then right.
			hs.typeText(".")
			hs.waitText("Quiz: step 1 of 8 · score 0/0")
			hs.typeText("123")
			hs.key(tcell.KeyEnter)
			hs.waitText("step 1 ✓ right · score 1/1")
		})
	}
}

// The work-queue quiz asks which consumer: toggling worker-1 says tasks,
// consumer worker-1, which is right for its first task.
func TestQuizNamesTheConsumer(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs := startQuiz(t, b, "quiz-work-queue", 80, 24)
			hs.typeText("s")
			s := hs.waitText("Quiz: step 1 of 12")
			if !strings.Contains(s, "3 [ ] worker-1 (tasks)") {
				t.Fatalf("the consumers are not offered:\n%s", s)
			}
			hs.typeText("3")
			hs.key(tcell.KeyEnter)
			hs.waitText("step 1 ✓ right · score 1/1")
		})
	}
}

// Every quiz scenario's first question fits 80x24 whole: the question,
// every queue and consumer to toggle, the three fates and the keys.
func TestQuizQuestionFitsAt80x24(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		for _, sc := range scenarios.Builtins() {
			if !strings.HasPrefix(sc.Name, "quiz-") {
				continue
			}
			t.Run(b.Name+"/"+sc.Name, func(t *testing.T) {
				hs := startQuiz(t, b, sc.Name, 80, 24)
				hs.typeText("s")
				s := hs.waitText("Enter commits")
				var missing []string
				for _, q := range sc.Topology.Queues {
					if !regexp.MustCompile(`\d \[[ x]\] ` + regexp.QuoteMeta(q.Name) + `\b`).MatchString(s) {
						missing = append(missing, q.Name)
					}
				}
				for _, c := range sc.Consumers {
					if !strings.Contains(s, "] "+c.Name+" ("+c.Queue+")") {
						missing = append(missing, c.Name)
					}
				}
				for _, f := range []string{"r [ ] returned to the publisher", "d [x] dropped", "a [ ] alternate exchange"} {
					if !strings.Contains(s, f) {
						missing = append(missing, f)
					}
				}
				q := scenarios.NewQuiz(&sc).Question(0)
				if !strings.Contains(flat(s), flat(q)) {
					missing = append(missing, "the question "+q)
				}
				if len(missing) > 0 {
					t.Errorf("not on screen: %s\n%s", strings.Join(missing, "; "), s)
				}
			})
		}
	}
}

// jobsScenario: one queue whose consumer acks by hand, prefetch 1, and
// three messages: after step 1 it holds one, after 2 one waits ready,
// after 3 two do.
func jobsScenario(sfx string) scenarios.Scenario {
	q := "jobs-" + sfx
	step := func(body string) scenarios.Step {
		return scenarios.Step{Say: "job " + body, Publish: scenarios.Publish{RoutingKey: q, Body: body}}
	}
	sc := scenarios.Scenario{Name: "jobs", Title: "Jobs", Consumers: []scenarios.Consumer{{Name: "w", Queue: q, Prefetch: 1, Ack: "manual"}},
		Steps: []scenarios.Step{step("1"), step("2"), step("3")}}
	sc.Topology.Queues = []routing.Queue{{Name: q, Durable: true}}
	return sc
}

// b goes back a step: the broker's counts are those from before it; .
// replays the step just played, and the counts are those after it again.
//
// With existing, the queue is there before Warren declares it (as in a
// class's vhost), so the reset keeps it, with its messages: going back
// purges it.
func TestStepBackAndReplay(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		for _, existing := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/existing=%v", b.Name, existing), func(t *testing.T) {
				stepBackAndReplay(t, b, existing)
			})
		}
	}
}

func stepBackAndReplay(t *testing.T, b testbrokers.Broker, existing bool) {
	sfx := suffix()
	sc := jobsScenario(sfx)
	q := sc.Topology.Queues[0].Name
	if existing {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		owner, err := sandbox.Dial(ctx, b.URL, sandbox.Options{Label: "owner"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			owner.Reset(ctx)
			owner.Close()
		})
		if err := owner.Declare(ctx, sc.Topology); err != nil {
			t.Fatal(err)
		}
	}
	hs := start(t, b, 80, 24, []scenarios.Scenario{sc}, func(c *Config) { c.Initial = "jobs" })
	hs.waitModel("the scenario declared", func(m *model) bool { return m.declared && len(m.consumers) > 0 })
	hs.key(tcell.KeyEscape)
	counts := func(ready, unacked int) *regexp.Regexp {
		return regexp.MustCompile(fmt.Sprintf(`(?m)^ %s\s+%d\s+%d `, regexp.QuoteMeta(q), ready, unacked))
	}
	pane := func(ready, unacked int) string { return fmt.Sprintf("%s r:%d u:%d ", q, ready, unacked) }
	wantCounts := func(what string, ready, unacked int) {
		t.Helper()
		hs.waitFor(what, func(s string) bool {
			return counts(ready, unacked).MatchString(routingPane(s)) && strings.Contains(s, pane(ready, unacked))
		})
	}
	for i := 1; i <= 3; i++ {
		hs.typeText("s")
		hs.waitModel(fmt.Sprintf("step %d played", i), func(m *model) bool { return m.results[i-1] != nil })
	}
	wantCounts("two ready, one held after step 3", 2, 1)

	hs.typeText("b")
	hs.waitModel("back before step 3", func(m *model) bool { return m.nextStep == 2 && m.results[2] == nil && m.results[1] != nil })
	wantCounts("one ready, one held: as after step 2", 1, 1)
	s := hs.waitText("back before step 3 of 3: declared again, steps 1-2 replayed")
	if !strings.Contains(s, "step 2 ") {
		t.Errorf("the routing pane does not show step 2's verdicts:\n%s", s)
	}

	hs.typeText("b")
	hs.waitModel("back before step 2", func(m *model) bool { return m.nextStep == 1 })
	wantCounts("nothing ready, one held: as after step 1", 0, 1)

	hs.typeText(".")
	hs.waitModel("step 1 replayed", func(m *model) bool { return m.nextStep == 1 && m.results[0] != nil })
	hs.waitFor("the replay logged", func(string) bool { return hs.logHas("back before step 1 of 3") })
	wantCounts("one held again after step 1's replay", 0, 1)
	hs.typeText("s")
	hs.waitModel("step 2 played again", func(m *model) bool { return m.nextStep == 2 && m.results[1] != nil })
	wantCounts("one ready, one held after step 2", 1, 1)
	if purged := hs.logHas("back: purged"); purged != existing {
		t.Errorf("the log says a queue was purged: %v, want %v", purged, existing)
	}
}

// In a class's vhost (warren class declares scenarios.ScoresQueue there),
// the TUI's quiz sends the score after every answer, as `warren run
// --quiz` does, and again when a step back un-scores one. The embedded
// broker only: on a shared RabbitMQ the queue would take other tests'
// scores.
func TestQuizReportsTheScoreToTheClass(t *testing.T) {
	t.Parallel()
	b := testbrokers.Embedded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	teacher, err := sandbox.Dial(ctx, b.URL, sandbox.Options{Label: "teacher"})
	if err != nil {
		t.Fatal(err)
	}
	defer teacher.Close()
	if err := teacher.Declare(ctx, routing.Topology{Queues: []routing.Queue{{Name: scenarios.ScoresQueue, Durable: true}}}); err != nil {
		t.Fatal(err)
	}
	if err := teacher.StartConsumer(ctx, sandbox.ConsumerSpec{Name: "scores", Queue: scenarios.ScoresQueue, Ack: sandbox.AutoAck}); err != nil {
		t.Fatal(err)
	}
	next := func(what string) scenarios.ScoreReport {
		t.Helper()
		for {
			select {
			case ev := <-teacher.Events():
				if ev.Kind != sandbox.EventDelivery || ev.Delivery == nil {
					continue
				}
				rep, err := scenarios.ParseScoreReport(ev.Delivery.Body)
				if err != nil {
					t.Fatalf("%s: %q is not a score report: %v", what, ev.Delivery.Body, err)
				}
				return rep
			case <-ctx.Done():
				t.Fatalf("no score report: %s", what)
			}
		}
	}

	hs := startQuiz(t, b, "quiz-topic", 80, 24)
	hs.waitFor("the class told", func(string) bool { return hs.logHas("this vhost belongs to a class") })
	hs.typeText("s")
	hs.waitText("Quiz: step 1 of 8")
	hs.typeText("123")
	hs.key(tcell.KeyEnter)
	want := scenarios.ScoreReport{Scenario: "quiz-topic", Right: 1, Answered: 1, Steps: 8}
	if got := next("after step 1"); got != want {
		t.Errorf("after step 1 the class got %+v, want %+v", got, want)
	}
	hs.typeText("b")
	want = scenarios.ScoreReport{Scenario: "quiz-topic", Right: 0, Answered: 0, Steps: 8}
	if got := next("after going back"); got != want {
		t.Errorf("after going back the class got %+v, want %+v", got, want)
	}
}

// The quiz panel is modal for the mouse too: a click on the routing pane
// while a question is open leaves the focus on the panel, so the toggles
// already made and the next key still belong to the question.
func TestQuizKeepsTheFocusOnAClickElsewhere(t *testing.T) {
	t.Parallel()
	b := testbrokers.Both(t)[0]
	hs := startQuiz(t, b, "quiz-topic", 80, 24)
	hs.typeText("s")
	hs.waitText("Quiz: step 1 of 8")
	hs.typeText("1")
	s := hs.waitText("1 [x] everything")
	clicked := false
	for y, line := range strings.Split(s, "\n") {
		if strings.Contains(line, "bindings: ✓ match") {
			hs.screen.InjectMouse(2, y+1, tcell.Button1, tcell.ModNone)
			hs.screen.InjectMouse(2, y+1, tcell.ButtonNone, tcell.ModNone)
			clicked = true
			break
		}
	}
	if !clicked {
		t.Fatalf("no routing pane to click on:\n%s", s)
	}
	// Events are handled in order: this key comes after the click.
	hs.typeText("2")
	hs.waitFor("both toggles kept", func(s string) bool {
		return strings.Contains(s, "1 [x] everything") && strings.Contains(s, "2 [x] orders_any")
	})
	hs.typeText("3") // everything, orders_any, one_word: the right answer
	hs.key(tcell.KeyEnter)
	hs.waitText("step 1 ✓ right · score 1/1")
}
