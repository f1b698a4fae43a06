package broker

import (
	"os"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// startBroker starts an embedded broker on an ephemeral loopback port and
// stops it when the test ends.
func startBroker(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func dial(t testing.TB, url string) *amqp.Connection {
	t.Helper()
	c, err := amqp.Dial(url)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func openChannel(t testing.TB, c *amqp.Connection) *amqp.Channel {
	t.Helper()
	ch, err := c.Channel()
	if err != nil {
		t.Fatalf("channel: %v", err)
	}
	return ch
}

// recv waits for one delivery.
func recv(t testing.TB, ds <-chan amqp.Delivery) amqp.Delivery {
	t.Helper()
	select {
	case d, ok := <-ds:
		if !ok {
			t.Fatal("deliveries channel closed")
		}
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("no delivery within 5s")
	}
	return amqp.Delivery{}
}

// noDelivery asserts nothing arrives: it waits for a round trip on the
// channel ch (a passive declare) so that anything already sent would be
// there.
func noDelivery(t testing.TB, ch *amqp.Channel, ds <-chan amqp.Delivery) {
	t.Helper()
	if err := ch.ExchangeDeclarePassive("amq.direct", "direct", true, false, false, false, nil); err != nil {
		t.Fatalf("round trip: %v", err)
	}
	// amqp091-go hands deliveries over through a buffer goroutine: allow it
	// a moment after the round trip proved the broker sent nothing later
	select {
	case d := <-ds:
		t.Fatalf("unexpected delivery %q", d.Body)
	case <-time.After(50 * time.Millisecond):
	}
}

var _ = os.Getenv

func amqpPublishing() amqp.Publishing { return amqp.Publishing{} }
