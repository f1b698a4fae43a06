package broker

import (
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/sandbox/broker/wire"
)

type amqp091Error = amqp.Error

// BenchmarkTopicRoute shows the cost of routing one message through a topic
// exchange with 10 and with 100,000 bindings: the trie keeps them close.
//
//	go test ./sandbox/broker/ -run '^$' -bench TopicRoute
func BenchmarkTopicRoute(b *testing.B) {
	for _, n := range []int{10, 100_000} {
		b.Run(fmt.Sprintf("bindings=%d", n), func(b *testing.B) {
			s, _ := New(Options{})
			v := s.lookupVHost("/")
			v.exchangeDeclare(&wire.ExchangeDeclare{Exchange: "t", Type: "topic"})
			v.queueDeclare(nil, "hit", false, false, false, false, false, nil)
			v.queueDeclare(nil, "other", false, false, false, false, false, nil)
			v.bind(nil, "t", "hit", false, "stock.*.nyse", nil, false)
			for i := range n - 1 {
				v.bind(nil, "t", "other", false, fmt.Sprintf("stock.s%d.#", i), nil, false)
			}
			x := v.exchanges["t"]
			keys := []string{"stock.ibm.nyse"}
			b.ResetTimer()
			for range b.N {
				if qs := v.route(x, keys, nil, nil); len(qs) != 1 {
					b.Fatalf("routed to %d queues", len(qs))
				}
			}
		})
	}
}

func TestShutdownClosesClientsWithConnectionForced(t *testing.T) {
	s := startBroker(t, Options{})
	c := dial(t, s.URL())
	closed := c.NotifyClose(make(chan *amqp091Error, 1))
	s.Shutdown()
	s.Shutdown() // idempotent
	e := <-closed
	if e == nil || e.Code != 320 || e.Reason != "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'" {
		t.Fatalf("client saw %v", e)
	}
	if s.ReadyForConnections(10 * time.Millisecond) {
		t.Fatal("ready after Shutdown")
	}
}
