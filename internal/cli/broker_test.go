package cli

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
)

// warren broker serves real clients on the address it prints, with the
// users given, shows its URL without the password, and stops with exit 0
// when its context ends (SIGINT/SIGTERM in Main).
func TestBrokerServesUntilCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stdout := &signalWriter{ready: make(chan struct{}), until: "Ctrl-C stops it\n"}
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		noEnv := func(string) string { return "" }
		done <- run(ctx, []string{"broker", "--listen", "127.0.0.1:0", "--user", "alice:s3cret"}, strings.NewReader(""), stdout, &stderr, noEnv)
	}()
	select {
	case <-stdout.ready:
	case code := <-done:
		t.Fatalf("warren broker exited %d before listening\nstdout:\n%s\nstderr:\n%s", code, stdout, &stderr)
	case <-time.After(10 * time.Second):
		t.Fatalf("warren broker printed no listening line within 10s\nstdout:\n%s", stdout)
	}
	line := stdout.String()
	m := regexp.MustCompile(`^no --data-dir: everything is in memory and gone when the broker stops\nwarren broker listening on (127\.0\.0\.1:\d+) \(amqp://alice:\*\*\*\*\*@127\.0\.0\.1:\d+/\); Ctrl-C stops it\n$`).FindStringSubmatch(line)
	if m == nil || strings.Contains(line, "s3cret") {
		t.Fatalf("listening line %q: want the address and the URL with its password masked", line)
	}

	dialCtx, cancelDial := context.WithTimeout(ctx, 10*time.Second)
	s, err := sandbox.Dial(dialCtx, "amqp://alice:s3cret@"+m[1]+"/", sandbox.Options{})
	cancelDial()
	if err != nil {
		t.Fatalf("dial the broker on %s as alice: %v", m[1], err)
	}
	if got := s.ServerProduct(); got != "Warren" {
		t.Errorf("server product %q, want Warren", got)
	}
	s.Close()

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d after cancel, want 0\nstderr:\n%s", code, &stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("warren broker did not stop within 10s of its context ending")
	}
}

// signalWriter collects what is written and closes ready once the text
// ends with until.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	until string
	ready chan struct{}
	once  sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.HasSuffix(w.buf.String(), w.until) {
		w.once.Do(func() { close(w.ready) })
	}
	return n, err
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// warren broker --data-dir says where it keeps what survives, and a queue
// declared durable on one run is there on the next.
func TestBrokerDataDirKeepsDurableQueues(t *testing.T) {
	dir := t.TempDir()
	noEnv := func(string) string { return "" }
	for round := range 2 {
		ctx, cancel := context.WithCancel(t.Context())
		stdout := &signalWriter{ready: make(chan struct{}), until: "Ctrl-C stops it\n"}
		var stderr bytes.Buffer
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"broker", "--listen", "127.0.0.1:0", "--data-dir", dir}, strings.NewReader(""), stdout, &stderr, noEnv)
		}()
		select {
		case <-stdout.ready:
		case code := <-done:
			cancel()
			t.Fatalf("warren broker --data-dir exited %d\nstderr:\n%s", code, &stderr)
		case <-time.After(10 * time.Second):
			cancel()
			t.Fatal("no listening line within 10s")
		}
		m := regexp.MustCompile(`^data dir (.+): durable exchanges, queues and persistent messages survive a restart\nwarren broker listening on (127\.0\.0\.1:\d+) `).FindStringSubmatch(stdout.String())
		if m == nil || m[1] != dir {
			cancel()
			t.Fatalf("output %q: want the data dir line, then the listening line", stdout)
		}
		s, err := sandbox.Dial(ctx, "amqp://guest:guest@"+m[2]+"/", sandbox.Options{})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if round == 0 {
			err = s.Declare(ctx, routing.Topology{Queues: []routing.Queue{{Name: "kept", Durable: true}}})
		} else {
			_, err = s.QueueStats(ctx, "kept")
		}
		if err != nil {
			t.Errorf("round %d: %v (round 1: the durable queue must be back after a restart on the same --data-dir)", round, err)
		}
		s.Close()
		cancel()
		if code := <-done; code != exitOK {
			t.Fatalf("exit %d\nstderr:\n%s", code, &stderr)
		}
	}
}

func TestDataDirWithALiveBrokerIsBadInput(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"run", "direct", "--url", "amqp://guest:guest@127.0.0.1:1/", "--data-dir", t.TempDir()}, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
	if code != exitBadInput || !strings.Contains(stderr.String(), "--data-dir is for the embedded broker") {
		t.Fatalf("exit %d, stderr %q: want exit 2 saying --data-dir is for the embedded broker", code, &stderr)
	}
}
