package userupdate

import (
	"fmt"
	"strings"
	"time"
)

// EventKind tells what an Event reports.
type EventKind string

const (
	EventState        EventKind = "state"        // connecting, connected, disconnected, closed (Note)
	EventDeclared     EventKind = "declared"     // an exchange, queue or binding was declared (Note)
	EventRequest      EventKind = "request"      // an HTTP request was answered (Note: method, path, status)
	EventStored       EventKind = "stored"       // a local transaction committed (user + outbox row)
	EventPublished    EventKind = "published"    // the relay published an outbox row
	EventConfirmed    EventKind = "confirmed"    // the broker acked it; the outbox row is marked sent
	EventReturned     EventKind = "returned"     // basic.return: no queue bound for the routing key
	EventDelivered    EventKind = "delivered"    // a consumer received a message (Redelivered set)
	EventApplied      EventKind = "applied"      // the event changed the profile store
	EventDuplicate    EventKind = "duplicate"    // an already applied message id: acked, not applied again
	EventAcked        EventKind = "acked"        // basic.ack sent
	EventRefused      EventKind = "refused"      // basic.nack requeue=false: dead-lettered (Note: the reason)
	EventCompensation EventKind = "compensation" // user.profile.update.failed published
	EventRolledBack   EventKind = "rolled-back"  // the user service undid a refused change
	EventCrashed      EventKind = "crashed"      // a crash switch closed the consumer's channel
	EventConsumer     EventKind = "consumer"     // a consumer started or stopped (Consumer, ConsumerTag; Note)
	EventError        EventKind = "error"        // something failed (Err); the service carries on
)

// ConsumerState is what an EventConsumer says of a consumer.
type ConsumerState string

const (
	ConsumerStarted ConsumerState = "started"
	ConsumerStopped ConsumerState = "stopped"
)

// Event is one thing a service did, for logs and for the TUI.
type Event struct {
	Time        time.Time
	Service     string // "user-service" or "profile-service"
	Kind        EventKind
	Exchange    string
	RoutingKey  string
	Queue       string
	MessageID   string
	DeliveryTag uint64
	Redelivered bool
	UserID      int64
	FullName    string
	// Typed facts, so that nobody reads meaning out of Note:
	Consumer    ConsumerState // EventConsumer about a consumer: started or stopped
	ConsumerTag string        // EventConsumer: the consumer's tag, when it has one
	Version     int64         // EventApplied: the profile's version after it
	Reason      string        // EventRefused: why the profile service refused the event
	Restored    string        // EventRolledBack: what the rollback restored
	Note        string        // human text for the log
	Err         error
}

// String is the event as one log line.
func (e Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-15s %-12s", e.Time.Format("15:04:05.000"), e.Service, e.Kind)
	if e.UserID != 0 {
		fmt.Fprintf(&b, " user=%d", e.UserID)
	}
	if e.Kind != EventState && e.Kind != EventDeclared && e.FullName != "" {
		fmt.Fprintf(&b, " full_name=%q", truncate(e.FullName, 40))
	}
	if e.Exchange != "" {
		fmt.Fprintf(&b, " exchange=%s", e.Exchange)
	}
	if e.RoutingKey != "" {
		fmt.Fprintf(&b, " routing_key=%s", e.RoutingKey)
	}
	if e.Queue != "" {
		fmt.Fprintf(&b, " queue=%s", e.Queue)
	}
	if e.MessageID != "" {
		fmt.Fprintf(&b, " message_id=%s", e.MessageID)
	}
	if e.DeliveryTag != 0 {
		fmt.Fprintf(&b, " delivery_tag=%d", e.DeliveryTag)
	}
	if e.Redelivered {
		b.WriteString(" redelivered=true")
	}
	if e.Note != "" {
		b.WriteString(": " + e.Note)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + fmt.Sprintf("…(%d chars)", len(r))
}

// emitter stamps and forwards events to the callback given to a constructor.
type emitter struct {
	service string
	fn      func(Event)
}

func (em emitter) emit(e Event) {
	if em.fn == nil {
		return
	}
	e.Time = time.Now()
	e.Service = em.service
	em.fn(e)
}
