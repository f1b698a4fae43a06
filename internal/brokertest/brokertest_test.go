package brokertest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/warrenmq/warren/sandbox/amqpuri"
)

func TestURLPrefersAMQPURL(t *testing.T) {
	t.Setenv("AMQP_URL", "amqp://u:p@example.invalid:5999/v")
	if got := URL(); got != "amqp://u:p@example.invalid:5999/v" {
		t.Fatalf("URL() = %q", got)
	}
	t.Setenv("AMQP_URL", "")
	if got := URL(); got != amqpuri.Default {
		t.Fatalf("URL() = %q, want the default", got)
	}
}

// The message about an unreachable broker never shows its password.
func TestUnreachableBrokerHidesThePassword(t *testing.T) {
	t.Setenv("AMQP_URL", "amqp://guest:secret@127.0.0.1:1/")
	t.Setenv("WARREN_REQUIRE_RABBITMQ", "")
	rec := &recorder{TB: t}
	if _, ok := Live(rec); ok {
		t.Fatal("Live said an unreachable broker was there")
	}
	if strings.Contains(rec.logged, "secret") || !strings.Contains(rec.logged, "amqp://guest:*****@127.0.0.1:1/") {
		t.Errorf("log %q: want the URL with its password masked", rec.logged)
	}
}

// An unreachable live broker is skipped for a developer, and an error
// under WARREN_REQUIRE_RABBITMQ=1.
func TestUnreachableBrokerSkipsOrFails(t *testing.T) {
	// Port 1 on loopback: nothing listens there.
	t.Setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
	for _, required := range []string{"", "1"} {
		t.Setenv("WARREN_REQUIRE_RABBITMQ", required)
		rec := &recorder{TB: t}
		_, ok := Live(rec)
		if ok {
			t.Fatal("Live said an unreachable broker was there")
		}
		if required == "1" && !rec.failed {
			t.Error("WARREN_REQUIRE_RABBITMQ=1: want the test failed")
		}
		if required == "" && (rec.failed || !strings.Contains(rec.logged, "unreachable")) {
			t.Errorf("developer run: want a log line saying unreachable and no failure, got failed=%v log=%q", rec.failed, rec.logged)
		}
	}
}

func TestUniqueNamesDiffer(t *testing.T) {
	a, b := Unique("q"), Unique("q")
	if a == b || !strings.HasPrefix(a, "q-") {
		t.Fatalf("Unique gave %q and %q", a, b)
	}
}

// recorder catches Fatalf and Logf instead of ending the real test.
type recorder struct {
	testing.TB
	failed bool
	logged string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Fatalf(format string, a ...any) { r.failed = true }
func (r *recorder) Logf(format string, a ...any)   { r.logged += fmt.Sprintf(format, a...) }
