package sandbox

import (
	"context"
	"fmt"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

// consumer is one of the Session's consumers. Its own channel carries its
// basic.qos prefetch and its delivery tags, so that crashing it (closing the
// channel) affects nothing else.
type consumer struct {
	spec ConsumerSpec
	op   sync.Mutex // serialises Pause/Resume/Crash/Stop/SetPrefetch/acks on this consumer

	// Guarded by Session.mu:
	state   ConsumerState
	ch      *amqp.Channel // nil when crashed or after a reconnect until resumed
	unacked []Delivery
	ending  bool          // an end of its deliveries was asked for (cancel, close)
	done    chan struct{} // closed when its delivery goroutine ends
}

// StartConsumer opens a channel, sets its prefetch (basic.qos) and starts
// consuming c.Queue with consumer tag c.Name. Deliveries become
// EventDelivery; a ManualAck consumer holds them until Ack, Nack or Reject.
func (s *Session) StartConsumer(ctx context.Context, spec ConsumerSpec) error {
	if spec.Name == "" || spec.Queue == "" {
		return fmt.Errorf("a consumer needs a name and a queue")
	}
	if spec.Ack == "" {
		spec.Ack = AutoAck
	}
	if spec.Ack != AutoAck && spec.Ack != ManualAck && spec.Ack != NackRequeue {
		return fmt.Errorf("consumer %s: ack mode %q: use %q, %q or %q", spec.Name, spec.Ack, AutoAck, ManualAck, NackRequeue)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l, err := s.current()
	if err != nil {
		return err
	}
	c := &consumer{spec: spec, state: ConsumerRunning}
	s.mu.Lock()
	if _, dup := s.consumers[spec.Name]; dup {
		s.mu.Unlock()
		return fmt.Errorf("consumer %s already exists in this session", spec.Name)
	}
	s.consumers[spec.Name] = c
	s.order = append(s.order, spec.Name)
	s.mu.Unlock()
	c.op.Lock()
	defer c.op.Unlock()
	if err := s.openAndConsume(ctx, l, c); err != nil {
		s.forget(spec.Name)
		return err
	}
	s.emit(Event{Kind: EventConsumer, Consumer: spec.Name,
		Note: fmt.Sprintf("consumer %s started on queue %s (%s ack, prefetch %d)", spec.Name, spec.Queue, spec.Ack, spec.Prefetch)})
	return nil
}

func (s *Session) forget(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.consumers, name)
	for i, n := range s.order {
		if n == name {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
}

// openAndConsume gives c a channel if it has none, and starts basic.consume
// on it. Call with c.op held. amqp091-go's RPCs take no context, but they
// return when the connection dies.
func (s *Session) openAndConsume(ctx context.Context, l *link, c *consumer) error {
	s.mu.Lock()
	ch := c.ch
	s.mu.Unlock()
	if ch == nil || ch.IsClosed() {
		var err error
		if ch, err = l.conn.Channel(); err != nil {
			return l.fail(err)
		}
		if err := ch.Qos(c.spec.Prefetch, 0, false); err != nil {
			_ = ch.Close() // a channel of ours nobody will ever use
			return fmt.Errorf("consumer %s: basic.qos: %w", c.spec.Name, describe(err))
		}
	}
	// Not ConsumeWithContext: it cancels the consumer when ctx ends, and ctx
	// only bounds the call that starts the consumer.
	if err := ctx.Err(); err != nil {
		_ = ch.Close()
		return err
	}
	cancels := ch.NotifyCancel(make(chan string, 4))
	deliveries, err := ch.Consume(c.spec.Queue, c.spec.Name, c.spec.Ack == AutoAck, false, false, false, toAMQP(c.spec.Arguments))
	if err != nil {
		_ = ch.Close()
		return fmt.Errorf("consumer %s on queue %s: %w", c.spec.Name, c.spec.Queue, describe(err))
	}
	done := make(chan struct{})
	s.mu.Lock()
	c.ch = ch
	c.state = ConsumerRunning
	c.ending = false
	c.done = done
	s.mu.Unlock()
	s.wg.Add(1)
	go s.consume(c, ch, deliveries, cancels, done)
	return nil
}

// consume turns one basic.consume's deliveries into events until the
// broker or Warren ends it.
func (s *Session) consume(c *consumer, ch *amqp.Channel, deliveries <-chan amqp.Delivery, cancels <-chan string, done chan struct{}) {
	defer s.wg.Done()
	defer close(done)
	for d := range deliveries {
		if d.Type == sentinelType {
			if c.spec.Ack != AutoAck {
				_ = ch.Ack(d.DeliveryTag, false)
			}
			s.sentinelSeen(d.MessageId)
			continue
		}
		dv := Delivery{
			Queue: c.spec.Queue, Consumer: c.spec.Name, DeliveryTag: d.DeliveryTag, Redelivered: d.Redelivered,
			Exchange: d.Exchange, RoutingKey: d.RoutingKey, Headers: fromAMQP(d.Headers), Body: d.Body,
			MessageID: d.MessageId, ContentType: d.ContentType, Persistent: d.DeliveryMode == amqp.Persistent,
			ReplyTo: d.ReplyTo, CorrelationID: d.CorrelationId,
			Time: d.Timestamp,
		}
		if dv.Time.IsZero() {
			dv.Time = timeNow()
		}
		if c.spec.Ack == ManualAck {
			s.mu.Lock()
			c.unacked = append(c.unacked, dv)
			s.mu.Unlock()
		}
		s.seen.add(&dv)
		if c.spec.Reply != "" && d.ReplyTo != "" {
			// an RPC server: the reply keeps the request's ids, so that
			// whoever waits for the request sees its answer too
			_ = ch.Publish("", d.ReplyTo, false, false, amqp.Publishing{Body: []byte(c.spec.Reply),
				CorrelationId: d.CorrelationId, MessageId: d.MessageId, ContentType: "text/plain"})
		}
		if c.spec.Ack == NackRequeue {
			// recorded first, so that a wait for the redelivery (or the
			// dead letter) starts after this one counted
			_ = ch.Nack(d.DeliveryTag, false, true) // a closed channel requeues it anyway
		}
		s.emit(Event{Kind: EventDelivery, Consumer: c.spec.Name, Delivery: &dv})
	}
	// amqp091-go reports a broker's basic.cancel (the queue was deleted)
	// on the cancels channel before it closes the deliveries.
	unasked := false
	select {
	case tag := <-cancels:
		unasked = tag == c.spec.Name
	default:
	}
	s.mu.Lock()
	if unasked && c.ch == ch && c.state == ConsumerRunning {
		c.state = ConsumerPaused
	} else {
		unasked = false
	}
	s.mu.Unlock()
	if unasked {
		s.emit(Event{Kind: EventConsumer, Consumer: c.spec.Name,
			Note: fmt.Sprintf("consumer %s was cancelled by the broker (queue %s deleted?)", c.spec.Name, c.spec.Queue)})
	}
}

// lookup returns the named consumer.
func (s *Session) lookup(name string) (*consumer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.consumers[name]
	if c == nil {
		return nil, fmt.Errorf("no consumer named %q in this session", name)
	}
	return c, nil
}

// endDeliveries asks for the end of c's delivery goroutine with act
// (basic.cancel or channel.close) and waits until it has ended, so that no
// delivery is reported after the call returns.
func (s *Session) endDeliveries(c *consumer, act func(ch *amqp.Channel) error) error {
	s.mu.Lock()
	ch, done := c.ch, c.done
	running := c.state == ConsumerRunning
	c.ending = true
	s.mu.Unlock()
	if ch == nil {
		return nil
	}
	err := act(ch)
	if running && done != nil {
		<-done // the deliveries channel closes on cancel-ok, close or connection loss
	}
	if err != nil && !ch.IsClosed() {
		return describe(err)
	}
	return nil
}

// PauseConsumer cancels the consumer (basic.cancel): new messages wait,
// ready, in the queue; messages it holds unacked stay unacked.
func (s *Session) PauseConsumer(name string) error {
	c, err := s.lookup(name)
	if err != nil {
		return err
	}
	c.op.Lock()
	defer c.op.Unlock()
	if st := s.consumerState(c); st != ConsumerRunning {
		return fmt.Errorf("consumer %s is %s, not running", name, st)
	}
	if err := s.endDeliveries(c, func(ch *amqp.Channel) error { return ch.Cancel(name, false) }); err != nil {
		return fmt.Errorf("pause consumer %s: %w", name, err)
	}
	s.mu.Lock()
	c.state = ConsumerPaused
	s.mu.Unlock()
	s.emit(Event{Kind: EventConsumer, Consumer: name, Note: fmt.Sprintf("consumer %s paused (basic.cancel): messages wait in queue %s", name, c.spec.Queue)})
	return nil
}

// ResumeConsumer starts a paused or crashed consumer again (a crashed one
// on a new channel).
func (s *Session) ResumeConsumer(ctx context.Context, name string) error {
	c, err := s.lookup(name)
	if err != nil {
		return err
	}
	c.op.Lock()
	defer c.op.Unlock()
	if st := s.consumerState(c); st == ConsumerRunning {
		return nil
	}
	l, err := s.current()
	if err != nil {
		return err
	}
	if err := s.openAndConsume(ctx, l, c); err != nil {
		return err
	}
	s.emit(Event{Kind: EventConsumer, Consumer: name, Note: fmt.Sprintf("consumer %s resumed on queue %s", name, c.spec.Queue)})
	return nil
}

// CrashConsumer closes the consumer's channel as a crashing process would,
// with its messages unacked: the broker requeues them and delivers them
// again (redelivered=true) to the queue's other consumers, or to this one
// when it is resumed.
func (s *Session) CrashConsumer(name string) error {
	c, err := s.lookup(name)
	if err != nil {
		return err
	}
	c.op.Lock()
	defer c.op.Unlock()
	if err := s.endDeliveries(c, func(ch *amqp.Channel) error { return ch.Close() }); err != nil {
		return fmt.Errorf("crash consumer %s: %w", name, err)
	}
	s.mu.Lock()
	n := len(c.unacked)
	c.unacked = nil
	c.ch = nil
	c.state = ConsumerCrashed
	s.mu.Unlock()
	s.emit(Event{Kind: EventConsumer, Consumer: name,
		Note: fmt.Sprintf("consumer %s crashed: its channel closed with %d unacked message(s); the broker requeues them (redelivered)", name, n)})
	return nil
}

// StopConsumer cancels the consumer, closes its channel (requeuing what it
// held unacked) and forgets it.
func (s *Session) StopConsumer(name string) error {
	c, err := s.lookup(name)
	if err != nil {
		return err
	}
	c.op.Lock()
	defer c.op.Unlock()
	err = s.endDeliveries(c, func(ch *amqp.Channel) error { return ch.Close() })
	s.forget(name)
	s.emit(Event{Kind: EventConsumer, Consumer: name, Note: fmt.Sprintf("consumer %s stopped", name)})
	return err
}

// SetPrefetch changes the consumer's prefetch count. RabbitMQ applies
// basic.qos to consumers started after it, so a running consumer is
// re-subscribed on its channel to make the new limit bite at once.
func (s *Session) SetPrefetch(name string, n int) error {
	if n < 0 || n > 65535 {
		return fmt.Errorf("prefetch %d: use 0 (unlimited) to 65535", n)
	}
	c, err := s.lookup(name)
	if err != nil {
		return err
	}
	c.op.Lock()
	defer c.op.Unlock()
	s.mu.Lock()
	c.spec.Prefetch = n
	ch, st := c.ch, c.state
	s.mu.Unlock()
	if ch == nil || ch.IsClosed() {
		return nil // applied when it next opens a channel
	}
	if err := ch.Qos(n, 0, false); err != nil {
		return fmt.Errorf("consumer %s: basic.qos: %w", name, describe(err))
	}
	if st == ConsumerRunning {
		if err := s.endDeliveries(c, func(ch *amqp.Channel) error { return ch.Cancel(name, false) }); err != nil {
			return err
		}
		l, err := s.current()
		if err != nil {
			return err
		}
		if err := s.openAndConsume(context.Background(), l, c); err != nil {
			return err
		}
	}
	s.emit(Event{Kind: EventConsumer, Consumer: name, Note: fmt.Sprintf("consumer %s prefetch set to %d", name, n)})
	return nil
}

func (s *Session) consumerState(c *consumer) ConsumerState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return c.state
}

// settle removes what an ack/nack/reject settles from c.unacked and returns
// the settled deliveries, or an error when c holds no such delivery tag
// (which RabbitMQ would punish by closing the channel: 406 PRECONDITION_FAILED).
func (s *Session) settle(c *consumer, tag uint64, multiple bool) ([]Delivery, *amqp.Channel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var settled, kept []Delivery
	for _, d := range c.unacked {
		if d.DeliveryTag == tag || (multiple && d.DeliveryTag < tag) {
			settled = append(settled, d)
		} else {
			kept = append(kept, d)
		}
	}
	if len(settled) == 0 || settled[len(settled)-1].DeliveryTag != tag {
		return nil, nil, fmt.Errorf("consumer %s holds no unacked delivery tag %d", c.spec.Name, tag)
	}
	if c.ch == nil {
		return nil, nil, fmt.Errorf("consumer %s has no open channel", c.spec.Name)
	}
	c.unacked = kept
	return settled, c.ch, nil
}

func (s *Session) ackLike(consumerName string, tag uint64, multiple bool, kind AckKind, requeue bool, fn func(ch *amqp.Channel) error) error {
	what := string(kind)
	if requeue {
		what += " (requeue)"
	}
	c, err := s.lookup(consumerName)
	if err != nil {
		return err
	}
	c.op.Lock()
	defer c.op.Unlock()
	settled, ch, err := s.settle(c, tag, multiple)
	if err != nil {
		return err
	}
	if err := fn(ch); err != nil {
		return fmt.Errorf("consumer %s: %s delivery tag %d: %w", consumerName, what, tag, describe(err))
	}
	for i := range settled {
		d := settled[i]
		s.emit(Event{Kind: EventAck, Consumer: consumerName, Delivery: &d, Ack: kind, Requeue: requeue, Note: what})
	}
	return nil
}

// Ack acknowledges delivery tag (and, with multiple, every earlier one the
// consumer holds).
func (s *Session) Ack(consumer string, tag uint64, multiple bool) error {
	return s.ackLike(consumer, tag, multiple, Acked, false, func(ch *amqp.Channel) error { return ch.Ack(tag, multiple) })
}

// Nack negatively acknowledges: requeue puts the message back in its queue
// (delivered again with redelivered=true), otherwise it is dropped or
// dead-lettered.
func (s *Session) Nack(consumer string, tag uint64, multiple, requeue bool) error {
	return s.ackLike(consumer, tag, multiple, Nacked, requeue, func(ch *amqp.Channel) error { return ch.Nack(tag, multiple, requeue) })
}

// Reject is basic.reject: Nack of one message.
func (s *Session) Reject(consumer string, tag uint64, requeue bool) error {
	return s.ackLike(consumer, tag, false, Rejected, requeue, func(ch *amqp.Channel) error { return ch.Reject(tag, requeue) })
}

// Consumers is a snapshot of the Session's consumers, in start order.
func (s *Session) Consumers() []ConsumerInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ConsumerInfo, 0, len(s.order))
	for _, n := range s.order {
		c := s.consumers[n]
		out = append(out, ConsumerInfo{Spec: c.spec, State: c.state, Unacked: append([]Delivery(nil), c.unacked...)})
	}
	return out
}
