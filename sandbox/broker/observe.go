package broker

import (
	"time"

	"github.com/warrenmq/warren/sandbox/broker/wire"
)

// Message events (Options.OnMessage): what became of each message, for a
// test library to show a message's history. The broker calls the hook
// synchronously, under the locks of the queue and channel concerned, in
// the order things happen to one message; it must return quickly and
// never call back into the broker. Without a hook nothing is recorded and
// the only cost is a nil check.

// EventKind is what happened to a message.
type EventKind string

const (
	// EventPublished: routed from Exchange with RoutingKey to Queues
	// (none: unroutable).
	EventPublished EventKind = "published"
	// EventReturned: unroutable and mandatory, sent back (312 NO_ROUTE).
	EventReturned EventKind = "returned"
	// EventRefused: Queue refused it (x-overflow reject-publish); a
	// confirm channel gets a nack.
	EventRefused EventKind = "refused"
	// EventDelivered: Queue delivered it to ConsumerTag ("" for
	// basic.get) with DeliveryTag.
	EventDelivered EventKind = "delivered"
	EventAcked     EventKind = "acked"
	// EventNacked: basic.nack or basic.reject; Requeue says whether it
	// went back to Queue.
	EventNacked EventKind = "nacked"
	// EventRequeued: back to Queue because its channel closed (Reason),
	// basic.recover, or the consumer timeout closed the channel.
	EventRequeued EventKind = "requeued"
	// EventExpired: its TTL passed in Queue.
	EventExpired EventKind = "expired"
	// EventDeadLettered: Queue dead-lettered it for Reason (expired,
	// maxlen, rejected, delivery_limit) to Exchange, reaching Queues.
	EventDeadLettered EventKind = "dead-lettered"
	// EventDropped: Queue let it go for Reason with no dead-letter
	// exchange (maxlen, delivery_limit, rejected, expired).
	EventDropped EventKind = "dropped"
)

// MessageEvent is one thing that happened to a message.
type MessageEvent struct {
	Kind EventKind
	At   time.Time // the broker's clock (Options.Clock)
	// MessageID tells messages apart; a dead-lettered copy keeps the
	// ID of the message it was made from.
	MessageID   uint64
	VHost       string
	Queue       string
	Exchange    string
	RoutingKey  string
	Queues      []string
	Reason      string
	ConsumerTag string
	DeliveryTag uint64
	Redelivered bool
	Requeue     bool
	Properties  wire.Properties
	Body        []byte
}

// observe calls the hook, when there is one, with m's fields filled in.
func (s *Server) observe(e MessageEvent, m *message) {
	if s.onMessage == nil {
		return
	}
	e.At = s.now()
	if m != nil {
		e.MessageID = m.id
		if e.Exchange == "" && e.RoutingKey == "" {
			e.Exchange, e.RoutingKey = m.exchange, m.routingKey
		}
		e.Properties, e.Body = m.props, m.body
	}
	s.onMessage(e)
}

func queueNames(qs []*queue) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.name
	}
	return out
}

// settleAs is settle, telling the hook how each delivery was settled:
// kind is EventAcked, EventNacked or EventRequeued (with why).
func settleAs(ps []*pending, ack, requeue bool, kind EventKind, why string) {
	if len(ps) > 0 {
		if s := ps[0].q.v.s; s.onMessage != nil {
			for _, p := range ps {
				s.observe(MessageEvent{Kind: kind, VHost: p.q.v.name, Queue: p.q.name, ConsumerTag: consumerTagOf(p),
					DeliveryTag: p.tag, Requeue: requeue, Reason: why}, p.e.msg)
			}
		}
	}
	settle(ps, ack, requeue)
}

func consumerTagOf(p *pending) string {
	if p.cons == nil {
		return ""
	}
	return p.cons.tag
}

func settledKind(ack bool) EventKind {
	if ack {
		return EventAcked
	}
	return EventNacked
}

// observeDeath tells the hook that a queue let a message go: expired, or
// dropped without a dead-letter exchange (dead-lettering itself is told
// where it happens, with the queues the copy reached).
func (v *vhost) observeDeath(d deadLetter) {
	q := d.q
	if d.reason == "expired" {
		v.s.observe(MessageEvent{Kind: EventExpired, VHost: v.name, Queue: q.name, Reason: "expired"}, d.e.msg)
	}
	if q.qa.dlx == nil && d.reason != "expired" && d.reason != "rejected" {
		v.s.observe(MessageEvent{Kind: EventDropped, VHost: v.name, Queue: q.name, Reason: d.reason}, d.e.msg)
	}
}
