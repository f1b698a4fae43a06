package diagram

import (
	"fmt"
	"testing"

	"github.com/warrenmq/warren/sandbox/routing"
)

// bigTopology is 20 queues and 40 bindings from three exchanges, one of
// them bound to another, with a dead-letter exchange: more than 80x24 holds.
func bigTopology() routing.Topology {
	t := routing.Topology{Exchanges: []routing.Exchange{
		{Name: "orders", Type: routing.Topic},
		{Name: "billing", Type: routing.Direct},
		{Name: "audit", Type: routing.Fanout},
		{Name: "dead", Type: routing.Fanout},
	}}
	for i := 0; i < 20; i++ {
		q := routing.Queue{Name: fmt.Sprintf("queue-%02d", i)}
		if i%7 == 0 {
			q.Arguments = routing.Table{"x-dead-letter-exchange": "dead"}
		}
		t.Queues = append(t.Queues, q)
	}
	src := []string{"orders", "billing"}
	for i := 0; i < 38; i++ {
		t.Bindings = append(t.Bindings, routing.Binding{Source: src[i%2], Destination: fmt.Sprintf("queue-%02d", (i*7)%20),
			DestinationType: routing.ToQueue, RoutingKey: fmt.Sprintf("order.%d.*", i)})
	}
	t.Bindings = append(t.Bindings,
		routing.Binding{Source: "orders", Destination: "audit", DestinationType: routing.ToExchange, RoutingKey: "#"},
		routing.Binding{Source: "dead", Destination: "queue-19", DestinationType: routing.ToQueue})
	return t
}

func TestBigTopology(t *testing.T) {
	in := Input{Topology: bigTopology()}
	for _, opt := range []Options{{Width: 80, Height: 24}, {Width: 120}, {}} {
		l, c := Draw(&in, opt)
		if err := checkLayout(l, &in, c); err != nil {
			t.Fatalf("%+v: %v", opt, err)
		}
		if testing.Verbose() {
			fmt.Printf("%+v: %dx%d level %d fits %v\n%s", opt, l.Width, l.Height, l.Level, l.Fits, c)
		}
	}
}
