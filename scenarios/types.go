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
	// Unobserved are queues that get no observer: with no consumer of
	// the scenario's either, messages wait there (a retry queue whose
	// TTL dead-letters them elsewhere).
	Unobserved []string `yaml:"unobserved,omitempty"`
	Steps      []Step   `yaml:"steps"`
}

// Consumer is a consumer the scenario starts on a queue. A queue that no
// consumer is named for gets an observer: an auto-ack consumer named after
// the queue.
type Consumer struct {
	Name     string `yaml:"name"`
	Queue    string `yaml:"queue"`
	Prefetch int    `yaml:"prefetch,omitempty"`
	// Ack is "auto" (default), "manual", "nack-requeue" (a worker that
	// fails every message and hands it back: basic.nack requeue=true) or
	// "hold" (AckHold: a slow worker).
	Ack string `yaml:"ack,omitempty"`
	// Arguments go with basic.consume: x-stream-offset, x-priority.
	Arguments routing.Table `yaml:"arguments,omitempty"`
	// Reply makes the consumer an RPC server: it answers each request
	// (a message with reply_to) with a message of this body.
	Reply string `yaml:"reply,omitempty"`
	// Paused consumers are started and paused at once (basic.cancel):
	// messages wait, ready, until a step resumes them.
	Paused bool `yaml:"paused,omitempty"`
}

// AckHold is the ack mode of a slow worker: it acks by hand, but a
// headless run (Player.AckManual) never acks for it, so it holds what it
// was given; with prefetch 1 the broker sends it nothing more and its
// fellow workers take the rest.
const AckHold = "hold"

// Step publishes one message and says what should happen to it. Before
// publishing, it may stop, pause or resume consumers.
type Step struct {
	// Say narrates the step. In a quiz it is shown after the reveal, as
	// it often gives the answer away.
	Say string `yaml:"say"`
	// Quiz is the question a quiz asks before publishing ("" asks where
	// the message goes, showing it); Hint is help given on request.
	Quiz    string   `yaml:"quiz,omitempty"`
	Hint    string   `yaml:"hint,omitempty"`
	Stop    []string `yaml:"stop,omitempty"`   // consumers to cancel for good
	Pause   []string `yaml:"pause,omitempty"`  // consumers to pause (basic.cancel)
	Resume  []string `yaml:"resume,omitempty"` // paused consumers to start again (basic.consume)
	Publish Publish  `yaml:"publish"`
	// Expect lists the queues that should receive the message ([] = none);
	// a queue listed n times should deliver it n times (redeliveries, or
	// several consumers reading a stream). Required: a step without
	// expectations is refused.
	Expect []string `yaml:"expect"`
	// ExpectReturned, when set, says whether the broker should return the
	// message (mandatory and unroutable: 312 NO_ROUTE).
	ExpectReturned *bool `yaml:"expect_returned,omitempty"`
	// ExpectConsumers maps a queue to the consumer that should get the
	// message from it (round-robin among workers).
	ExpectConsumers map[string]string `yaml:"expect_consumers,omitempty"`
	// ExpectWaiting lists queues where the message should wait, ready,
	// undelivered: their consumers are paused, or there are none.
	ExpectWaiting []string `yaml:"expect_waiting,omitempty"`
	// ExpectReceived maps a consumer to the bodies of every message of the
	// scenario it has received so far, in arrival order (a priority
	// queue's order, a stream replayed from an offset).
	ExpectReceived map[string][]string `yaml:"expect_received,omitempty"`
	// ExpectBefore replaces Expect on servers older than a version: on
	// RabbitMQ before 3.13, say, headers compared 1 == 1.0. The key is a
	// RabbitMQ version ("3.13"); of several, the oldest the server is
	// older than applies. A server that is not RabbitMQ (Warren's own
	// broker) counts as the newest.
	ExpectBefore map[string][]string `yaml:"expect_before,omitempty"`
	// RestartBroker makes the step a broker restart instead of a publish:
	// the embedded broker restarts in place (Player.RestartBroker), and
	// the step reports, per queue of the scenario, what it held before
	// and after. On another broker the step, and every step after it, is
	// skipped with a note (StepResult.Skipped).
	RestartBroker bool `yaml:"restart_broker,omitempty"`
	// ExpectReady maps a queue to the number of messages it should hold
	// ready right after a restart (restart_broker steps only), before
	// Warren declares anything again or its consumers are back.
	ExpectReady map[string]int `yaml:"expect_ready,omitempty"`
	// ExpectGone lists the queues a restart should have lost
	// (restart_broker steps only), looked at before anything declares
	// them again.
	ExpectGone []string `yaml:"expect_gone,omitempty"`
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
	Priority   int           `yaml:"priority,omitempty"` // 0-255; a priority queue delivers higher first
	// ReplyTo and CorrelationID make the message an RPC request; reply_to
	// amq.rabbitmq.reply-to is direct reply-to (a consumer of that
	// pseudo-queue gets the replies).
	ReplyTo       string `yaml:"reply_to,omitempty"`
	CorrelationID string `yaml:"correlation_id,omitempty"`
}

// RestartsBroker says whether a step of the scenario restarts the broker:
// its Session must then reconnect (sandbox.Options.Reconnect).
func (sc *Scenario) RestartsBroker() bool {
	for _, st := range sc.Steps {
		if st.RestartBroker {
			return true
		}
	}
	return false
}
