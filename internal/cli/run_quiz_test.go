package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/scenarios"
)

// topicAnswers are the nine right answers to `warren run topic --quiz`,
// as a learner would type them.
const topicAnswers = "Q1 Q2\nQ1, Q2\nQ1\nQ2\nQ2\n\nnone\n\nQ2\n"

// rightAnswers are the answers to every step of sc on the broker at url,
// one line each, made from the steps' expectations for that server's
// version (expect_before): the queues, the consumer where the step asks
// who, "returned" where it expects a return.
func rightAnswers(t *testing.T, url string, sc *scenarios.Scenario) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	s, err := sandbox.Dial(ctx, url, sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := scenarios.NewPlayer(s, sc)
	s.Close()
	var b strings.Builder
	for _, st := range sc.Steps {
		st = p.ForServer(st)
		var words []string
		if r := st.ExpectReturned; r != nil && *r {
			words = append(words, "returned")
		}
		for _, q := range st.Expect {
			if c := st.ExpectConsumers[q]; c != "" {
				q = c
			}
			words = append(words, q)
		}
		b.WriteString(strings.Join(words, " ") + "\n")
	}
	return b.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestQuizRightAnswers pipes the right answers into every quiz scenario,
// and topic, on both brokers: each ends "score: N/N" and exits 0.
func TestQuizRightAnswers(t *testing.T) {
	t.Parallel()
	names := []string{"topic"}
	for _, n := range scenarios.BuiltinNames() {
		if strings.HasPrefix(n, "quiz-") {
			names = append(names, n)
		}
	}
	if len(names) < 6 {
		t.Fatalf("built-in quiz scenarios: %v; want five besides topic", names)
	}
	for _, b := range testbrokers.Both(t) {
		for _, name := range names {
			t.Run(b.Name+"/"+name, func(t *testing.T) {
				sc, err := scenarios.Lookup(name)
				if err != nil {
					t.Fatal(err)
				}
				answers := rightAnswers(t, b.URL, sc)
				if name == "topic" && answers != "Q1 Q2\nQ1 Q2\nQ1\nQ2\nQ2\n\n\n\nQ2\n" {
					t.Fatalf("topic's right answers are %q; the Done-when of issue 10 pipes nine of them", answers)
				}
				out, stderr, code := warrenWithStdin(t, answers, "run", name, "--quiz", "--url", b.URL, "--name-suffix", randomSuffix())
				want := fmt.Sprintf("score: %d/%d", len(sc.Steps), len(sc.Steps))
				if code != exitOK || lastLine(out) != want || strings.Contains(out, "✗ wrong") || strings.Contains(out, "not go as the scenario expects") {
					t.Fatalf("exit %d, last line %q; want 0 and %q\n%s\nstderr:\n%s", code, lastLine(out), want, out, stderr)
				}
			})
		}
	}
}

func TestQuizTopic(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			run := func(stdin string) (string, string, int) {
				return warrenWithStdin(t, stdin, "run", "topic", "--quiz", "--url", b.URL, "--name-suffix", randomSuffix())
			}

			out, stderr, code := run(topicAnswers)
			if code != exitOK || lastLine(out) != "score: 9/9" {
				t.Fatalf("nine right answers: exit %d, last line %q\n%s\n%s", code, lastLine(out), out, stderr)
			}
			// The question comes before the publish, the narration after
			// the reveal, with every binding's reason.
			q := strings.Index(out, `Step 5 of 9. A message is published to exchange animals (topic) with routing key "lazy.pink.rabbit". Which queues get a copy?`)
			reveal := strings.Index(out, "✓ right: Q2\n    ✗ animals -[\"*.orange.*\"]-> Q1: 'orange' != 'pink' at word 2")
			say := strings.Index(out, "A lazy pink rabbit matches both of Q2's bindings")
			if q < 0 || reveal < q || say < reveal || !strings.Contains(out, "right so far: 9 of 9") {
				t.Errorf("step 5: want the question, then the reveal with each binding's reason, then the narration:\n%s", out)
			}

			// One wrong answer: exit 1, and the reveal says what was wrong.
			out, _, code = run(strings.Replace(topicAnswers, "Q1\n", "Q1 Q2\n", 1))
			if code != exitFailed || lastLine(out) != "score: 8/9" ||
				!strings.Contains(out, "✗ wrong: you said Q1 and Q2; Q2 got no copy. It went to Q1") {
				t.Errorf("one wrong answer: exit %d, last line %q; want 1, score: 8/9 and the wrong answer explained\n%s", code, lastLine(out), out)
			}

			// The input ends after two answers (no newline after the
			// second): the rest are played, revealed and unanswered.
			out, _, code = run("Q1 Q2\nQ1 Q2")
			if code != exitFailed || lastLine(out) != "score: 2/9" || strings.Count(out, "- unanswered: it went to") != 7 ||
				!strings.Contains(out, "Step 9 of 9") || !strings.Contains(out, "(no more answers: the remaining steps are played unanswered)") {
				t.Errorf("a pipe that ends early: exit %d, last line %q; want 1, score: 2/9, seven steps unanswered\n%s", code, lastLine(out), out)
			}

			// A name that is no queue of the scenario is bad input (2), and
			// the message says which names are.
			out, stderr, code = run("Q1 Q2\nQ3\n")
			if code != exitBadInput || !strings.Contains(stderr, `step 2: "Q3" is not a queue of scenario topic; its queues are Q1, Q2; or say none, returned, alternate`) {
				t.Errorf("a wrong name: exit %d; want 2 and the scenario's queue names\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
			}
			if strings.Contains(out, "Step 3 of 9") {
				t.Errorf("played on after bad input:\n%s", out)
			}
		})
	}
}

func TestQuizHint(t *testing.T) {
	t.Parallel()
	out, stderr, code := warrenWithStdin(t, "?\neverything one_word orders_any\n", "run", "quiz-topic", "--quiz", "--url", testbrokers.Embedded(t).URL)
	if code != exitFailed || !strings.Contains(out, "> ?\n  hint: How many words can '#' stand for? Zero is a number.\n> everything one_word orders_any\n  ✓ right") {
		t.Errorf("exit %d; want the hint after ?, then the answer read (and exit 1: the other steps unanswered)\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, `"returned" when the broker hands it back to the publisher`) {
		t.Errorf("the prompt does not say how to answer:\n%s", out)
	}
}

func TestQuizRefusesJSON(t *testing.T) {
	t.Parallel()
	_, stderr, code := warren(t, "run", "topic", "--quiz", "--json")
	if code != exitBadInput || !strings.Contains(stderr, "cannot be combined with --json") {
		t.Errorf("exit %d, stderr %q; want 2", code, stderr)
	}
}

// TestQuizInterruptedAtThePrompt: Ctrl-C while the quiz waits for an
// answer ends the run at once, deleting what it declared.
func TestQuizInterruptedAtThePrompt(t *testing.T) {
	t.Parallel()
	b := testbrokers.Embedded(t)
	stdinR, stdinW := io.Pipe()
	defer stdinW.Close() // ends the abandoned read, so no goroutine is left
	out := &signalWriter{until: "\"lazy.orange.elephant\". Which queues get a copy?\n> ", ready: make(chan struct{})}
	var stderr bytes.Buffer
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"run", "topic", "--quiz", "--url", b.URL}, stdinR, out, &stderr, func(string) string { return "" })
	}()
	if _, err := io.WriteString(stdinW, "Q1 Q2\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-out.ready:
	case <-time.After(30 * time.Second):
		t.Fatalf("no second question:\n%s", out)
	}
	cancel() // as SIGINT does
	select {
	case code := <-done:
		if code != exitFailed || !strings.Contains(stderr.String(), "interrupted; what the run declared was deleted") {
			t.Errorf("exit %d, stderr %q; want 1 and the clean-up confirmed", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("still waiting for an answer 15s after Ctrl-C")
	}
}
