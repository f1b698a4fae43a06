package sandbox

// This file is the Session's public contract, agreed before the
// implementation: the TUI, the scenario player and the CLI are written
// against it. Bodies live in the other files of the package.

import (
	"time"

	"github.com/warrenmq/warren/sandbox/routing"
)

// ConnState is the state of a Session's connection to its broker.
type ConnState string

const (
	Connecting   ConnState = "connecting"
	Connected    ConnState = "connected"
	Disconnected ConnState = "disconnected" // lost; a reconnect with backoff is under way
	Closed       ConnState = "closed"       // Close was called
)

// EventKind tells what an Event carries.
type EventKind string

const (
	EventDelivery EventKind = "delivery" // a consumer received a message (Delivery set)
	EventReturn   EventKind = "return"   // basic.return: a mandatory message was unroutable (Return set)
	EventAck      EventKind = "ack"      // a consumer acked, nacked or rejected (Delivery, Ack and Requeue set)
	EventConsumer EventKind = "consumer" // a consumer started, paused, crashed, was cancelled (Note)
	EventState    EventKind = "state"    // the connection changed state (State set)
	EventError    EventKind = "error"    // something failed (Err set); never fatal to the process
	EventDeclared EventKind = "declared" // a topology was declared (Note)
	EventDeleted  EventKind = "deleted"  // what the Session declared was deleted (Note)
)

// AckKind is how a consumer settled a delivery.
type AckKind string

const (
	Acked    AckKind = "ack"
	Nacked   AckKind = "nack"
	Rejected AckKind = "reject"
)

// Event is one thing that happened, in the order the Session saw it.
type Event struct {
	Kind     EventKind
	Time     time.Time
	State    ConnState
	Delivery *Delivery
	Return   *Return
	Consumer string  // consumer name, for consumer-related events
	Ack      AckKind // for EventAck: which of ack, nack, reject
	Requeue  bool    // for EventAck: a nack or reject that put the message back in its queue
	Note     string  // human text for the log
	Err      error
}

// Delivery is a message a consumer received.
type Delivery struct {
	Queue       string
	Consumer    string // the consumer's name (ConsumerSpec.Name)
	DeliveryTag uint64
	Redelivered bool
	Exchange    string
	RoutingKey  string
	Headers     routing.Table
	Body        []byte
	MessageID   string
	ContentType string
	// ReplyTo and CorrelationID are the message's RPC properties.
	ReplyTo       string
	CorrelationID string
	Persistent    bool
	Time          time.Time
	// Seq orders the deliveries this Session's consumers received, across
	// consumers and messages: arrival order.
	Seq uint64
}

// Return is a message the broker handed back (basic.return).
type Return struct {
	ReplyCode  uint16 // 312 NO_ROUTE
	ReplyText  string
	Exchange   string
	RoutingKey string
	MessageID  string
	Headers    routing.Table
	Body       []byte
}

// Publishing is a message to publish.
type Publishing struct {
	Exchange    string
	RoutingKey  string
	Headers     routing.Table
	Body        []byte
	Mandatory   bool
	Persistent  bool
	ContentType string
	MessageID   string // set by Publish when empty
	Expiration  string
	Priority    uint8 // 0-9 by convention; a priority queue delivers higher first
	// ReplyTo and CorrelationID are an RPC request's. With ReplyTo
	// DirectReplyTo the message goes out on the channel of this Session's
	// consumer of that pseudo-queue, as direct reply-to requires (no
	// publisher confirm then: Published.Acked is true once it is sent).
	ReplyTo       string
	CorrelationID string
}

// DirectReplyTo is RabbitMQ's pseudo-queue for RPC replies without a reply
// queue: consume from it (auto ack) and publish requests with it as
// reply_to on the same channel.
const DirectReplyTo = "amq.rabbitmq.reply-to"

// Published is what the broker said about one publish.
type Published struct {
	MessageID string
	Acked     bool    // publisher confirm: ack (true) or nack (false)
	Returned  *Return // set when the broker returned the message (mandatory, unroutable)
}

// AckMode is how a consumer acknowledges.
type AckMode string

const (
	AutoAck   AckMode = "auto"   // no-ack consume: the broker forgets a message once sent
	ManualAck AckMode = "manual" // the consumer holds messages until Ack, Nack or Reject
	// NackRequeue is a consumer that fails every message: it nacks each
	// delivery with requeue=true at once (a poison message comes back to
	// it until the queue gives up on it: a quorum queue's delivery limit).
	NackRequeue AckMode = "nack-requeue"
)

// ConsumerSpec describes a consumer to start on a queue.
type ConsumerSpec struct {
	Name     string // unique within the Session; also used as the consumer tag
	Queue    string
	Prefetch int // basic.qos prefetch count; 0 = unlimited
	Ack      AckMode
	// Arguments go with basic.consume (x-stream-offset, x-priority).
	Arguments routing.Table
	// Reply makes the consumer an RPC server: it answers every delivery
	// that has a reply_to with a message of this body, published to the
	// default exchange with the reply_to as routing key and the request's
	// correlation and message ids.
	Reply string
}

// ConsumerState is what a consumer is doing.
type ConsumerState string

const (
	ConsumerRunning ConsumerState = "running"
	ConsumerPaused  ConsumerState = "paused"  // basic.cancel sent; messages wait, ready, in the queue
	ConsumerCrashed ConsumerState = "crashed" // its channel was closed with messages unacked
)

// QueueStats are a queue's counts as the broker reports them.
type QueueStats struct {
	Name      string
	Ready     int // messages ready, from queue.declare-ok (passive)
	Consumers int // from queue.declare-ok (passive)
	Unacked   int // messages this Session's consumers hold unacked
}
