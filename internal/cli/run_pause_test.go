package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox"
)

// notifyBuffer is a buffer that says when it was written to.
type notifyBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{}
}

func (n *notifyBuffer) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	select {
	case n.written <- struct{}{}:
	default:
	}
	return n.b.Write(p)
}

func (n *notifyBuffer) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.b.String()
}

// Ctrl-C at a --pause prompt cleans up and exits at once, without waiting
// for an Enter that never comes.
func TestPauseInterruptedAtThePrompt(t *testing.T) {
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			sfx := "-pause-" + strings.ReplaceAll(t.Name(), "/", "-")
			stdin, typing := io.Pipe()
			defer typing.Close() // ends the line reader after the run
			stdout := &notifyBuffer{written: make(chan struct{}, 1)}
			var stderr bytes.Buffer
			ctx, interrupt := context.WithCancel(context.Background())
			defer interrupt()
			code := make(chan int, 1)
			go func() {
				code <- run(ctx, []string{"run", "topic", "--pause", "--url", b.URL, "--name-suffix", sfx},
					stdin, stdout, &stderr, func(string) string { return "" })
			}()

			timeout := time.NewTimer(30 * time.Second)
			defer timeout.Stop()
			entered := false
			for !strings.Contains(stdout.String(), "[Enter: step 2 of 9]") {
				if !entered && strings.Contains(stdout.String(), "[Enter: step 1 of 9]") {
					entered = true
					go typing.Write([]byte("\n")) // one Enter: step 1 plays, then the prompt for step 2
				}
				select {
				case <-stdout.written:
				case c := <-code:
					t.Fatalf("the run ended (exit %d) before its second prompt:\n%s\n%s", c, stdout, &stderr)
				case <-timeout.C:
					t.Fatalf("no second prompt:\n%s", stdout)
				}
			}
			interrupt() // what SIGINT does to Main's context
			select {
			case c := <-code:
				if c != exitFailed {
					t.Errorf("exit %d, want %d", c, exitFailed)
				}
			case <-timeout.C:
				t.Fatalf("Ctrl-C at the prompt: the run did not return\n%s", stdout)
			}
			if !strings.Contains(stderr.String(), "interrupted; what the run declared was deleted") {
				t.Errorf("stderr does not say the clean-up worked:\n%s", &stderr)
			}
			if strings.Contains(stdout.String(), "Step 2.") {
				t.Errorf("step 2 was played after Ctrl-C:\n%s", stdout)
			}

			cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			check, err := sandbox.Dial(cctx, b.URL, sandbox.Options{Label: b.Label})
			if err != nil {
				t.Fatal(err)
			}
			defer check.Close()
			for _, q := range []string{"Q1", "Q2"} {
				if _, err := check.QueueStats(cctx, q+sfx); err == nil || !strings.Contains(err.Error(), "404") {
					t.Errorf("queue %s after Ctrl-C: err = %v, want 404 NOT_FOUND", q+sfx, err)
				}
			}
		})
	}
}
