package cli

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/brokertest"
	"github.com/warrenmq/warren/internal/testbrokers"
)

// transcript is a stdout a test can wait on: it counts what was written.
type transcript struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newTranscript() *transcript { return &transcript{changed: make(chan struct{})} }

func (w *transcript) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	close(w.changed)
	w.changed = make(chan struct{})
	return len(p), nil
}

func (w *transcript) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitCount waits until s occurs n times in what was written.
func (w *transcript) waitCount(t *testing.T, s string, n int) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		w.mu.Lock()
		got, ch := strings.Count(w.buf.String(), s), w.changed
		w.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("waited 30s for %q %d times; the output:\n%s", s, n, w)
		}
	}
}

// quizRun is `warren run topic --quiz` in-process, fed a line at a time.
type quizRun struct {
	in   *io.PipeWriter
	out  *transcript
	errs bytes.Buffer
	code chan int
}

func startQuiz(t *testing.T, args ...string) *quizRun {
	r := &quizRun{out: newTranscript(), code: make(chan int, 1)}
	stdin, w := io.Pipe()
	r.in = w
	t.Cleanup(func() { w.Close() })
	go func() {
		r.code <- run(t.Context(), append([]string{"run", "topic", "--quiz"}, args...), stdin, r.out, &r.errs, func(string) string { return "" })
	}()
	return r
}

func (r *quizRun) answer(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(r.in, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// Two people play the same scenario at once on the live RabbitMQ, with
// no --name-suffix: each run declares its own names (a random suffix), so
// their consumers do not compete for one queue, and the first to finish
// deletes only what it declared, not the exchange the other still uses.
func TestTwoRunsOfOneScenarioOnRabbitMQ(t *testing.T) {
	t.Parallel()
	live := brokertest.LiveOrSkip(t)
	answers := strings.Split(strings.TrimSuffix(topicAnswers, "\n"), "\n")
	a, b := startQuiz(t, "--url", live), startQuiz(t, "--url", live)
	// Both have declared the topology and wait for the first answer.
	a.out.waitCount(t, "\n> ", 1)
	b.out.waitCount(t, "\n> ", 1)
	// Step by step, in turn: each sees only its own messages.
	for i, line := range answers {
		a.answer(t, line)
		b.answer(t, line)
		if i+1 < len(answers) {
			a.out.waitCount(t, "\n> ", i+2)
			b.out.waitCount(t, "\n> ", i+2)
		}
		if i == 5 {
			break // a finishes first; b plays on after a has deleted its names
		}
	}
	for _, line := range answers[6:] {
		a.answer(t, line)
	}
	a.in.Close()
	if code := <-a.code; code != exitOK || lastLine(a.out.String()) != "score: 9/9" {
		t.Fatalf("first run: exit %d, last line %q\n%s\n%s", code, lastLine(a.out.String()), a.out, &a.errs)
	}
	for _, line := range answers[6:] {
		b.answer(t, line)
	}
	b.in.Close()
	if code := <-b.code; code != exitOK || lastLine(b.out.String()) != "score: 9/9" {
		t.Fatalf("second run, after the first ended: exit %d, last line %q\n%s\n%s", code, lastLine(b.out.String()), b.out, &b.errs)
	}
	suffixes := map[string]bool{}
	for _, r := range []*quizRun{a, b} {
		m := regexp.MustCompile(`names: the scenario's, each with "(-[0-9a-f]{6})" appended on the broker`).FindStringSubmatch(r.out.String())
		if m == nil {
			t.Fatalf("the run does not say which names it declared:\n%s", r.out)
		}
		suffixes[m[1]] = true
	}
	if len(suffixes) != 2 {
		t.Errorf("both runs used the suffix %v", suffixes)
	}
}

// The embedded broker of the process is nobody else's: no suffix there,
// and --name-suffix "" asks for none on a live broker too.
func TestNameSuffixDefault(t *testing.T) {
	t.Parallel()
	out, _, code := warren(t, "run", "topic")
	if code != exitOK || strings.Contains(out, "names: ") {
		t.Errorf("embedded: exit %d; want no suffix\n%s", code, out)
	}
	b := testbrokers.Embedded(t)
	out, _, code = warren(t, "run", "topic", "--url", b.URL, "--name-suffix", "")
	if code != exitOK || strings.Contains(out, "names: ") {
		t.Errorf(`--name-suffix "": exit %d; want no suffix\n%s`, code, out)
	}
	out, _, code = warren(t, "run", "topic", "--url", b.URL, "--json")
	if code != exitOK || !regexp.MustCompile(`"name_suffix": "-[0-9a-f]{6}"`).MatchString(out) {
		t.Errorf("--url: exit %d; want a random name_suffix in the JSON\n%s", code, out)
	}
}
