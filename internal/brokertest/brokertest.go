package brokertest

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/warrenmq/warren/sandbox/amqpuri"
)

// Required reports whether the live RabbitMQ must be there
// (WARREN_REQUIRE_RABBITMQ=1).
func Required() bool { return os.Getenv("WARREN_REQUIRE_RABBITMQ") == "1" }

// URL is the live RabbitMQ's URL, reachable or not: $AMQP_URL, else
// amqpuri.Default.
func URL() string { return amqpuri.Resolve("", os.Getenv, amqpuri.Default) }

// Live returns the live RabbitMQ's URL and true when it accepts TCP
// connections. When it does not, it fails the test under
// WARREN_REQUIRE_RABBITMQ=1, and otherwise logs why and returns false, so
// that a test table can go on with the embedded broker alone.
func Live(t testing.TB) (string, bool) {
	t.Helper()
	u := URL()
	if err := reachable(u); err != nil {
		if Required() {
			t.Fatalf("RabbitMQ at %s is unreachable (%v) and WARREN_REQUIRE_RABBITMQ=1: start it (rabbitmq-server -detached) or set AMQP_URL", amqpuri.Mask(u), err)
		}
		t.Logf("not testing against RabbitMQ: %s is unreachable (%v); start it or set AMQP_URL", amqpuri.Mask(u), err)
		return "", false
	}
	return u, true
}

// LiveOrSkip returns the live RabbitMQ's URL, or skips the test (fails it
// under WARREN_REQUIRE_RABBITMQ=1) when it is unreachable.
func LiveOrSkip(t testing.TB) string {
	t.Helper()
	u, ok := Live(t)
	if !ok {
		t.Skip("this test needs the live RabbitMQ")
	}
	return u
}

// Unique returns prefix and a random suffix, so tests that share a broker
// never meet.
func Unique(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

func reachable(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5672")
	}
	c, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}
