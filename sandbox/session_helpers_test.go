package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/testbrokers"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// unique returns prefix plus a random suffix, so tests sharing a broker
// never meet.
func unique(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "warren-test-" + prefix + "-" + hex.EncodeToString(b[:])
}

func dial(t *testing.T, b testbrokers.Broker, opt Options) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Dial(ctx, b.URL, opt)
	if err != nil {
		t.Fatalf("Dial %s: %v", b.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Reset(ctx)
		_ = s.Close()
	})
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitEvent reads events until one satisfies ok, failing after 10s.
func waitEvent(t *testing.T, s *Session, what string, ok func(Event) bool) Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, open := <-s.Events():
			if !open {
				t.Fatalf("events closed while waiting for %s", what)
			}
			if ok(e) {
				return e
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
