package difftest

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves amqp091-go's connection goroutines
// running.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rabbitURL is the live RabbitMQ the differential tests compare with.
func rabbitURL() string {
	if u := os.Getenv("AMQP_URL"); u != "" {
		return u
	}
	return "amqp://guest:guest@127.0.0.1:5672/"
}

// dialRabbitMQ connects to the live RabbitMQ, or skips the test with the
// reason (fails instead when WARREN_REQUIRE_RABBITMQ=1).
func dialRabbitMQ(t *testing.T) *Observer {
	t.Helper()
	o, err := Dial(rabbitURL())
	if err == nil && o.Product() != "RabbitMQ" {
		o.Close()
		err = errNotRabbitMQ(o.Product())
	}
	if err != nil {
		if os.Getenv("WARREN_REQUIRE_RABBITMQ") == "1" {
			t.Fatalf("RabbitMQ is required (WARREN_REQUIRE_RABBITMQ=1) but: %v", err)
		}
		t.Skipf("no RabbitMQ to compare with (%v); start it or set AMQP_URL; WARREN_REQUIRE_RABBITMQ=1 makes this a failure", err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

type errNotRabbitMQ string

func (e errNotRabbitMQ) Error() string {
	return "the broker at the URL says its product is " + string(e) + ", not RabbitMQ"
}
