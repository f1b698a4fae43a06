package diagram

import "github.com/warrenmq/warren/sandbox/routing"

// Input is what a diagram shows: a topology, optionally with what is known
// about it now (queue counts, consumers) and the explanation of one message.
type Input struct {
	Topology routing.Topology
	// Publishes lists where the publisher sends messages (a scenario's
	// steps, the TUI's latest publishes). An exchange listed here gets an
	// edge from the publisher; the default exchange ("") is drawn only when
	// it is published to, with an edge for each routing key that names a
	// declared queue (its implicit binding). When Publishes is empty, every
	// exchange that is not internal and that no binding, alternate-exchange
	// or dead-letter argument leads to is taken as published to.
	Publishes []Publish
	// Counts, when not nil, are shown in each queue's box; a queue missing
	// from the map shows no counts.
	Counts map[string]QueueCounts
	// Consumers are drawn to the right of their queues.
	Consumers []Consumer
	// Route, when set, marks the path of one message.
	Route *Route
}

// Publish is one place the publisher sends messages to.
type Publish struct {
	Exchange   string // "" is the default exchange
	RoutingKey string
}

// QueueCounts are a queue's message counts as the broker reports them, and
// under a flood its delivery rate.
type QueueCounts struct {
	Ready   int
	Unacked int
	// PerSecond, when above zero, is shown instead of animating each
	// delivery: messages routed to the queue per second, lately.
	PerSecond float64
}

// Consumer is a consumer on a queue, as the diagram shows it.
type Consumer struct {
	Name      string
	Queue     string
	ManualAck bool
	Prefetch  int // 0: unlimited
	Paused    bool
	Crashed   bool
}

// Route is the routing model's explanation of one message, and what the
// broker was seen to do with it.
type Route struct {
	Message routing.Message
	Result  routing.Result
	// Delivered, when not nil, lists the queues deliveries were observed
	// on; a queue where it and the model differ is marked with '!'.
	Delivered []string
	// DeadLettered lists the queues the message was dead-lettered from
	// (rejected without requeue, expired): their dead-letter edges light.
	DeadLettered []string
}
