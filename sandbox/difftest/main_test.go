package difftest

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/warrenmq/warren/internal/brokertest"
)

// TestMain checks that no test leaves amqp091-go's connection goroutines
// (or the embedded broker's) running.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rabbitURL is the live RabbitMQ the differential tests compare with.
func rabbitURL() string { return brokertest.URL() }

// dialRabbitMQ connects to the live RabbitMQ, or skips the test when it is
// unreachable (fails it under WARREN_REQUIRE_RABBITMQ=1): the project's one
// rule, internal/brokertest.
func dialRabbitMQ(t *testing.T) *Observer {
	t.Helper()
	url := brokertest.LiveOrSkip(t)
	o, err := Dial(url)
	if err != nil {
		t.Fatalf("RabbitMQ accepts TCP connections but not AMQP ones: %v", err)
	}
	t.Cleanup(func() { o.Close() })
	if o.Product() != "RabbitMQ" {
		t.Fatalf("the broker at AMQP_URL says its product is %q, not RabbitMQ: the differential tests need the real one", o.Product())
	}
	return o
}
