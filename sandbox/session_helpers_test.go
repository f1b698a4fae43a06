package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testBroker is a broker the Session tests run against.
type testBroker struct {
	name string
	url  string
}

// liveURL is the RabbitMQ the tests use: $AMQP_URL or the local one.
func liveURL() string {
	if u := os.Getenv("AMQP_URL"); u != "" {
		return u
	}
	return "amqp://guest:guest@127.0.0.1:5672/"
}

// brokers lists the brokers to run a test against: the live RabbitMQ when
// it answers (skipped with a message otherwise, failed when
// WARREN_REQUIRE_RABBITMQ=1). The embedded broker joins the table once
// sandbox.StartEmbedded exists.
func brokers(t *testing.T) []testBroker {
	t.Helper()
	var out []testBroker
	u := liveURL()
	if reachable(u) {
		out = append(out, testBroker{"rabbitmq", u})
	} else if os.Getenv("WARREN_REQUIRE_RABBITMQ") == "1" {
		t.Fatalf("RabbitMQ at %s is unreachable and WARREN_REQUIRE_RABBITMQ=1", MaskURL(u))
	} else {
		t.Logf("skipping RabbitMQ: %s is unreachable (start it, or set AMQP_URL)", MaskURL(u))
	}
	out = append(out, embeddedBrokers(t)...)
	if len(out) == 0 {
		t.Skip("no broker to test against")
	}
	return out
}

func reachable(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5672")
	}
	c, err := net.DialTimeout("tcp", host, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// unique returns prefix plus a random suffix, so tests sharing a broker
// never meet.
func unique(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "warren-test-" + prefix + "-" + hex.EncodeToString(b[:])
}

func dial(t *testing.T, b testBroker, opt Options) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Dial(ctx, b.url, opt)
	if err != nil {
		t.Fatalf("Dial %s: %v", b.name, err)
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
