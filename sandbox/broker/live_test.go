package broker

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/brokertest"
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

// bothBrokers returns the embedded broker and, when reachable, the live
// RabbitMQ. Unreachable: skipped with a message, or a failure when
// WARREN_REQUIRE_RABBITMQ=1.
func bothBrokers(t *testing.T) []testBroker {
	t.Helper()
	s := startBroker(t, Options{})
	out := []testBroker{{name: "embedded", url: s.URL(), version: Version}}
	live, ok := brokertest.Live(t)
	if !ok {
		return out // the embedded broker alone
	}
	c, err := amqp.DialConfig(live, amqp.Config{Dial: amqp.DefaultDial(2 * time.Second)})
	if err != nil {
		t.Fatalf("RabbitMQ at %s accepts TCP but not AMQP: %v", live, err)
	}
	v, _ := c.Properties["version"].(string)
	c.Close()
	return append(out, testBroker{name: "rabbitmq-" + v, url: live, version: v})
}

// uniq returns a name unique to this run, so that tests on the live broker
// never collide with anything else there.
func uniq(prefix string) string {
	var b [4]byte
	rand.Read(b[:])
	return "warren-test-" + prefix + "-" + hex.EncodeToString(b[:])
}
