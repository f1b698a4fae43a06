package broker

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// testBroker is a broker a test runs against: the embedded one, and the
// live RabbitMQ at AMQP_URL when it is reachable.
type testBroker struct {
	name    string
	url     string
	version string // the server's "version" property
}

// is3x reports whether the broker answers as RabbitMQ 3.x does (where 4.x
// changed a code, each version is expected to give its own answer).
func (b testBroker) is3x() bool { return strings.HasPrefix(b.version, "3.") }

func liveURL() string {
	if u := os.Getenv("AMQP_URL"); u != "" {
		return u
	}
	return "amqp://guest:guest@127.0.0.1:5672/"
}

// bothBrokers returns the embedded broker and, when reachable, the live
// RabbitMQ. Unreachable: skipped with a message, or a failure when
// WARREN_REQUIRE_RABBITMQ=1.
func bothBrokers(t *testing.T) []testBroker {
	t.Helper()
	s := startBroker(t, Options{})
	out := []testBroker{{name: "embedded", url: s.URL(), version: Version}}
	c, err := amqp.DialConfig(liveURL(), amqp.Config{Dial: amqp.DefaultDial(2 * time.Second)})
	if err != nil {
		if os.Getenv("WARREN_REQUIRE_RABBITMQ") == "1" {
			t.Fatalf("RabbitMQ at %s is required (WARREN_REQUIRE_RABBITMQ=1) but unreachable: %v", liveURL(), err)
		}
		t.Logf("RabbitMQ at %s unreachable (%v): testing the embedded broker only", liveURL(), err)
		return out
	}
	v, _ := c.Properties["version"].(string)
	c.Close()
	return append(out, testBroker{name: "rabbitmq-" + v, url: liveURL(), version: v})
}

// uniq returns a name unique to this run, so that tests on the live broker
// never collide with anything else there.
func uniq(prefix string) string {
	var b [4]byte
	rand.Read(b[:])
	return "warren-test-" + prefix + "-" + hex.EncodeToString(b[:])
}
