package scenarios

import "github.com/warrenmq/warren/sandbox/routing"

// Scenario is a topology, the consumers on it, and the steps to play.
type Scenario struct {
	Name  string `yaml:"name"`
	Title string `yaml:"title"`
	About string `yaml:"about"`
	// File is where the scenario came from: "builtin/topic.yaml" or a path.
	File      string           `yaml:"-"`
	Topology  routing.Topology `yaml:"topology"`
	Consumers []Consumer       `yaml:"consumers,omitempty"`
	Steps     []Step           `yaml:"steps"`
}

// Consumer is a consumer the scenario starts on a queue. A queue that no
// consumer is named for gets an observer: an auto-ack consumer named after
// the queue.
type Consumer struct {
	Name     string `yaml:"name"`
	Queue    string `yaml:"queue"`
	Prefetch int    `yaml:"prefetch,omitempty"`
	Ack      string `yaml:"ack,omitempty"` // "auto" (default) or "manual"
}

// Step publishes one message and says what should happen to it.
type Step struct {
	Say     string  `yaml:"say"`
	Publish Publish `yaml:"publish"`
	// Expect lists the queues that should receive the message ([] = none).
	// Required: a step without expectations is refused.
	Expect []string `yaml:"expect"`
	// ExpectReturned, when set, says whether the broker should return the
	// message (mandatory and unroutable: 312 NO_ROUTE).
	ExpectReturned *bool `yaml:"expect_returned,omitempty"`
	// ExpectConsumers maps a queue to the consumer that should get the
	// message from it (round-robin among workers).
	ExpectConsumers map[string]string `yaml:"expect_consumers,omitempty"`
	// Line is the step's line in its file, for error messages.
	Line int `yaml:"-"`
}

// Publish is the message a step publishes.
type Publish struct {
	Exchange   string        `yaml:"exchange"`
	RoutingKey string        `yaml:"routing_key"`
	Headers    routing.Table `yaml:"headers,omitempty"`
	Body       string        `yaml:"body,omitempty"`
	Mandatory  bool          `yaml:"mandatory,omitempty"`
	Persistent bool          `yaml:"persistent,omitempty"`
}
