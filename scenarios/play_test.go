package scenarios

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

	"github.com/warrenmq/warren/sandbox"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type testBroker struct {
	name, url, label string
}

func liveURL() string {
	if u := os.Getenv("AMQP_URL"); u != "" {
		return u
	}
	return "amqp://guest:guest@127.0.0.1:5672/"
}

// brokers: the live RabbitMQ (skipped when unreachable unless
// WARREN_REQUIRE_RABBITMQ=1) and the embedded broker once it exists.
func brokers(t *testing.T) []testBroker {
	t.Helper()
	var out []testBroker
	u := liveURL()
	if reachable(u) {
		out = append(out, testBroker{"rabbitmq", u, ""})
	} else if os.Getenv("WARREN_REQUIRE_RABBITMQ") == "1" {
		t.Fatalf("RabbitMQ at %s is unreachable and WARREN_REQUIRE_RABBITMQ=1", sandbox.MaskURL(u))
	} else {
		t.Logf("skipping RabbitMQ: %s is unreachable (start it, or set AMQP_URL)", sandbox.MaskURL(u))
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

func suffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "-test-" + hex.EncodeToString(b[:])
}

func TestBuiltinsPlayGreen(t *testing.T) {
	for _, b := range brokers(t) {
		for _, sc := range Builtins() {
			t.Run(b.name+"/"+sc.Name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				s, err := sandbox.Dial(ctx, b.url, sandbox.Options{Label: b.label, ConnectionName: "warren test " + sc.Name})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				p := NewPlayer(s, &sc)
				p.Suffix = suffix()
				p.AckManual = true
				defer func() {
					if err := p.Teardown(context.WithoutCancel(ctx)); err != nil {
						t.Errorf("teardown: %v", err)
					}
				}()
				if err := p.Setup(ctx); err != nil {
					t.Fatal(err)
				}
				results, err := p.Run(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(results) != len(sc.Steps) {
					t.Fatalf("%d results for %d steps", len(results), len(sc.Steps))
				}
				for _, r := range results {
					if !r.OK || !r.ModelAgrees {
						t.Errorf("step %d (%s %q): ok=%v model agrees=%v: %s", r.Index, r.Step.Publish.Exchange, r.Step.Publish.RoutingKey, r.OK, r.ModelAgrees, r.Why)
					}
				}
			})
		}
	}
}
