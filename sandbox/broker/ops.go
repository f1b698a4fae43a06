package broker

import (
	"fmt"

	"github.com/warrenmq/warren/sandbox/broker/wire"
)

// What the management API (and `warren ctl`) does to the broker without
// an AMQP connection: declare and delete exchanges, queues and bindings,
// publish, get. Each runs the same code a client's method runs, with the
// same errors (*wire.Error, RabbitMQ's code and text), after the same
// permission checks for user; user "" is the broker's operator, whom no
// permission limits. An operation on a vhost, exchange or queue that does
// not exist fails with an error wrapping ErrNotFound.

// check is the permission check of an operation by user ("" passes).
func (s *Server) check(user, vhost, kind, name string, a Access) error {
	if user == "" {
		return nil
	}
	return asError(s.allowed(user, vhost, kind, name, a))
}

func (s *Server) vhostNamed(name string) (*vhost, error) {
	v := s.lookupVHost(name)
	if v == nil {
		return nil, fmt.Errorf("%w: no vhost '%s'", ErrNotFound, name)
	}
	return v, nil
}

// DeclareExchange declares x (as exchange.declare would) and reports
// whether it was created (false: it existed, equivalent).
func (s *Server) DeclareExchange(user string, x ExchangeInfo) (created bool, err error) {
	v, err := s.vhostNamed(x.VHost)
	if err != nil {
		return false, err
	}
	if x.Name != "" {
		if err := s.check(user, x.VHost, "exchange", x.Name, Configure); err != nil {
			return false, err
		}
	}
	existed := v.hasExchange(x.Name)
	if err := asError(v.exchangeDeclare(&wire.ExchangeDeclare{Exchange: x.Name, Type: x.Type, Durable: x.Durable,
		AutoDelete: x.AutoDelete, Internal: x.Internal, Arguments: x.Arguments})); err != nil {
		return false, err
	}
	return !existed, nil
}

// DeleteExchange deletes an exchange that exists.
func (s *Server) DeleteExchange(user, vhost, name string, ifUnused bool) error {
	v, err := s.vhostNamed(vhost)
	if err != nil {
		return err
	}
	if name != "" {
		if err := s.check(user, vhost, "exchange", name, Configure); err != nil {
			return err
		}
	}
	if name != "" && !v.hasExchange(name) {
		return fmt.Errorf("%w: no exchange '%s' in vhost '%s'", ErrNotFound, name, vhost)
	}
	return asError(v.exchangeDelete(name, ifUnused))
}

// owner returns the connection that owns an exclusive queue (nil for
// others): what the operator acts as to reach it.
func (v *vhost) owner(name string) *conn {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if q := v.queues[name]; q != nil {
		return q.owner
	}
	return nil
}

// DeclareQueue declares q (not exclusive: an exclusive queue needs a
// connection to own it) and reports whether it was created.
func (s *Server) DeclareQueue(user string, q QueueInfo) (created bool, err error) {
	v, err := s.vhostNamed(q.VHost)
	if err != nil {
		return false, err
	}
	if err := s.check(user, q.VHost, "queue", q.Name, Configure); err != nil {
		return false, err
	}
	existed := v.hasQueue(q.Name)
	args := q.Arguments
	if q.Type != "" && q.Type != "classic" && args["x-queue-type"] == nil {
		args = cloneArgs(args)
		args["x-queue-type"] = q.Type
	}
	_, _, _, werr := v.queueDeclare(v.owner(q.Name), q.Name, false, false, q.Durable, false, q.AutoDelete, args)
	if werr != nil {
		return false, werr
	}
	return !existed, nil
}

func cloneArgs(t map[string]any) map[string]any {
	out := make(map[string]any, len(t)+1)
	for k, v := range t {
		out[k] = v
	}
	return out
}

// DeleteQueue deletes a queue that exists; its consumers are cancelled.
func (s *Server) DeleteQueue(user, vhost, name string, ifUnused, ifEmpty bool) error {
	v, err := s.vhostNamed(vhost)
	if err != nil {
		return err
	}
	if err := s.check(user, vhost, "queue", name, Configure); err != nil {
		return err
	}
	if !v.hasQueue(name) {
		return fmt.Errorf("%w: no queue '%s' in vhost '%s'", ErrNotFound, name, vhost)
	}
	_, cancelled, werr := v.queueDelete(v.owner(name), name, ifUnused, ifEmpty)
	if werr != nil {
		return werr
	}
	cancelConsumers(cancelled)
	return nil
}

// PurgeQueue drops a queue's ready messages and says how many.
func (s *Server) PurgeQueue(user, vhost, name string) (int, error) {
	v, err := s.vhostNamed(vhost)
	if err != nil {
		return 0, err
	}
	if err := s.check(user, vhost, "queue", name, Read); err != nil {
		return 0, err
	}
	q, werr := v.lookupQueue(v.owner(name), name)
	if werr != nil {
		if werr.Code == wire.NotFound {
			return 0, fmt.Errorf("%w: %s", ErrNotFound, ReplyText(werr))
		}
		return 0, werr
	}
	return q.purge(), nil
}

// Bind adds a binding (b.DestinationType "exchange" for one to an
// exchange).
func (s *Server) Bind(user string, b BindingInfo) error { return s.bindOp(user, b, false) }

// Unbind removes a binding; removing one that does not exist succeeds,
// as queue.unbind does.
func (s *Server) Unbind(user string, b BindingInfo) error { return s.bindOp(user, b, true) }

func (s *Server) bindOp(user string, b BindingInfo, unbind bool) error {
	v, err := s.vhostNamed(b.VHost)
	if err != nil {
		return err
	}
	toExchange := b.DestinationType == "exchange"
	kind := "queue"
	if toExchange {
		kind = "exchange"
	}
	if err := s.check(user, b.VHost, kind, b.Destination, Write); err != nil {
		return err
	}
	if err := s.check(user, b.VHost, "exchange", b.Source, Read); err != nil {
		return err
	}
	var owner *conn
	if !toExchange {
		owner = v.owner(b.Destination)
	}
	return asError(v.bind(owner, b.Source, b.Destination, toExchange, b.RoutingKey, b.Arguments, unbind))
}

// Message is a message to publish, or one got from a queue.
type Message struct {
	Exchange, RoutingKey string
	Properties           wire.Properties
	Body                 []byte
	Redelivered          bool
	// MessageCount is, for a got message, how many were left after it.
	MessageCount int
}

// Publish routes a message from exchange as basic.publish does and
// reports whether any queue got it. The user_id property must name user,
// as on a connection.
func (s *Server) Publish(user, vhost string, m Message) (routed bool, err error) {
	v, err := s.vhostNamed(vhost)
	if err != nil {
		return false, err
	}
	if err := s.check(user, vhost, "exchange", m.Exchange, Write); err != nil {
		return false, err
	}
	if id := m.Properties.UserID; id != "" && user != "" && id != user && !s.HasTag(user, TagImpersonator) {
		return false, wire.Errorf(wire.PreconditionFailed, "user_id property set to '%s' but authenticated user was '%s'", id, user)
	}
	if len(m.Body) > maxMessageSize {
		return false, wire.Errorf(wire.PreconditionFailed, "message size %d is larger than configured max size %d", len(m.Body), maxMessageSize)
	}
	msg := &message{exchange: m.Exchange, routingKey: m.RoutingKey, props: m.Properties, body: m.Body}
	routed, _, _, werr := v.publish(m.Exchange, msg, nil)
	if werr != nil {
		return false, werr
	}
	return routed, nil
}

// AckMode says what Get does with the messages it takes, in the
// management API's words.
type AckMode string

const (
	AckRequeueTrue     AckMode = "ack_requeue_true"     // shown, then back in the queue, redelivered
	AckRequeueFalse    AckMode = "ack_requeue_false"    // taken out for good
	RejectRequeueTrue  AckMode = "reject_requeue_true"  // as ack_requeue_true
	RejectRequeueFalse AckMode = "reject_requeue_false" // rejected: dead-lettered when the queue has a DLX
)

// Get takes up to count messages from the head of a queue, as basic.get
// does, and settles them as mode says.
func (s *Server) Get(user, vhost, queueName string, count int, mode AckMode) ([]Message, error) {
	v, err := s.vhostNamed(vhost)
	if err != nil {
		return nil, err
	}
	switch mode {
	case AckRequeueTrue, AckRequeueFalse, RejectRequeueTrue, RejectRequeueFalse:
	default:
		return nil, fmt.Errorf("ackmode %q: use ack_requeue_true, ack_requeue_false, reject_requeue_true or reject_requeue_false", mode)
	}
	if err := s.check(user, vhost, "queue", queueName, Read); err != nil {
		return nil, err
	}
	q, werr := v.lookupQueue(v.owner(queueName), queueName)
	if werr != nil {
		if werr.Code == wire.NotFound {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, ReplyText(werr))
		}
		return nil, werr
	}
	if q.stream != nil {
		return nil, streamRefusal("basic.get", v.queueRes(q.name))
	}
	var out []Message
	var taken []*pending
	v.mu.RLock()
	for range max(count, 0) {
		e, remaining, dls := q.get(s.nowNano())
		v.deadLetterLocked(dls)
		if e == nil {
			break
		}
		m := deliveryCounted(e)
		out = append(out, Message{Exchange: m.exchange, RoutingKey: m.routingKey, Properties: m.props, Body: m.body,
			Redelivered: e.redelivered, MessageCount: remaining})
		taken = append(taken, &pending{q: q, e: e})
	}
	v.mu.RUnlock()
	if len(taken) > 0 {
		switch mode {
		case AckRequeueFalse:
			settle(taken, true, false)
		case RejectRequeueFalse:
			settle(taken, false, false)
		default:
			settle(taken, false, true)
		}
	}
	return out, nil
}
