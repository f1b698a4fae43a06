package diagram

import (
	"github.com/warrenmq/warren/scenarios"
)

// ScenarioInput is the diagram of a scenario before anything is played:
// its topology, where its steps publish, and the consumers it names.
func ScenarioInput(sc *scenarios.Scenario) Input {
	in := Input{Topology: sc.Topology}
	for _, st := range sc.Steps {
		in.Publishes = append(in.Publishes, Publish{Exchange: st.Publish.Exchange, RoutingKey: st.Publish.RoutingKey})
	}
	for _, c := range sc.Consumers {
		in.Consumers = append(in.Consumers, Consumer{Name: c.Name, Queue: c.Queue, ManualAck: c.Ack != "" && c.Ack != "auto", Prefetch: c.Prefetch})
	}
	return in
}
