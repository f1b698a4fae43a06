package userupdate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	amqp "github.com/rabbitmq/amqp091-go"
)

// consumer is the profile service's consumer on one connection.
type consumer struct {
	p          *ProfileService
	pub        *amqp.Channel // confirm mode: compensating events
	pubReturns <-chan amqp.Return
}

// consumerEnd says why a consumer's channel ended.
type consumerEnd int

const (
	endCtx     consumerEnd = iota // the service is closing
	endStopped                    // StopConsumer
	endCrashed                    // a crash switch fired
	endFailed                     // the channel or connection failed
)

// outcome of handling one delivery.
type outcome int

const (
	handled outcome = iota
	crashed
	channelFailed
)

// run opens a channel, consumes until it ends, and says why.
func (c *consumer) run(ctx context.Context, conn *amqp.Connection) (consumerEnd, error) {
	p, n := c.p, c.p.opts.names
	ch, err := conn.Channel()
	if err != nil {
		return endFailed, fmt.Errorf("open the consumer's channel: %w", err)
	}
	stop := closeWhenDone(ctx, ch)
	defer stop()
	defer ch.Close()
	if err := ch.Qos(p.opts.prefetch, 0, false); err != nil {
		return endFailed, fmt.Errorf("basic.qos prefetch %d: %w", p.opts.prefetch, err)
	}
	tag := "profile-service." + randomHex(4)
	deliveries, err := ch.Consume(n.ProfileQueue, tag, false, false, false, false, nil)
	if err != nil {
		return endFailed, fmt.Errorf("consume from %s: %w", n.ProfileQueue, err)
	}
	p.consuming.Store(true)
	defer p.consuming.Store(false)
	p.em.emit(Event{Kind: EventConsumer, Queue: n.ProfileQueue, Consumer: ConsumerStarted, ConsumerTag: tag,
		Note: fmt.Sprintf("consumer %s started (manual ack, prefetch %d)", tag, p.opts.prefetch)})

	for {
		select {
		case <-ctx.Done():
			return endCtx, nil
		case <-p.ctl:
			if !p.stopped.Load() {
				continue
			}
			// basic.cancel: the broker sends nothing more; what it already
			// sent still arrives on deliveries, which then closes. Those are
			// handled (and acked) so that they do not come back redelivered.
			if err := ch.Cancel(tag, false); err != nil {
				return endFailed, fmt.Errorf("basic.cancel %s: %w", tag, err)
			}
			for d := range deliveries {
				switch c.handle(ctx, ch, d) {
				case crashed:
					return endCrashed, nil
				case channelFailed:
					return endFailed, fmt.Errorf("the consumer's %w", errClosed)
				}
			}
			return endStopped, nil
		case d, ok := <-deliveries:
			if !ok {
				if ctx.Err() != nil {
					return endCtx, nil
				}
				return endFailed, fmt.Errorf("the consumer's %w", errClosed)
			}
			switch c.handle(ctx, ch, d) {
			case crashed:
				return endCrashed, nil
			case channelFailed:
				if ctx.Err() != nil {
					return endCtx, nil
				}
				return endFailed, fmt.Errorf("the consumer's %w", errClosed)
			}
		}
	}
}

// bodyID names an event that came without a message id (the article's pika
// publisher sets none): a hash of its body. It is a name for logs and for
// the compensating event, NOT a deduplication key (see the package doc).
func bodyID(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:12])
}

// incoming is an update event as received: pointers tell a missing field
// from a zero one.
type incoming struct {
	ID       *int64  `json:"id"`
	FullName *string `json:"full_name"`
}

// validate returns the event, or why it must be refused.
func (c *consumer) validate(d amqp.Delivery) (UpdateEvent, string) {
	n := c.p.opts.names
	var in incoming
	if err := json.Unmarshal(d.Body, &in); err != nil {
		return UpdateEvent{}, fmt.Sprintf("the body is not the JSON object {\"id\": N, \"full_name\": \"...\"} (%v)", err)
	}
	var ev UpdateEvent
	if in.ID != nil {
		ev.ID = *in.ID
	}
	if in.FullName != nil {
		ev.FullName = *in.FullName
	}
	switch {
	case d.RoutingKey != n.UpdateKey:
		return ev, fmt.Sprintf("no handler for routing key %q (this service applies %q)", d.RoutingKey, n.UpdateKey)
	case in.ID == nil || *in.ID <= 0:
		return ev, "id is missing or not a positive integer"
	case in.FullName == nil:
		return ev, "full_name is missing"
	case strings.TrimSpace(ev.FullName) == "":
		return ev, "full_name is empty"
	case utf8.RuneCountInString(ev.FullName) > c.p.opts.maxName:
		return ev, fmt.Sprintf("full_name is %d characters long; at most %d are allowed", utf8.RuneCountInString(ev.FullName), c.p.opts.maxName)
	case take(&c.p.refuseNext):
		return ev, "refused by the RefuseNext switch (a demo of the compensation)"
	}
	return ev, ""
}

// handle applies one delivery and acks it, or refuses it.
func (c *consumer) handle(ctx context.Context, ch *amqp.Channel, d amqp.Delivery) outcome {
	p, n := c.p, c.p.opts.names
	msgID, dedupe := d.MessageId, true
	if msgID == "" {
		msgID, dedupe = bodyID(d.Body), false
	}
	p.em.emit(Event{Kind: EventDelivered, Exchange: d.Exchange, RoutingKey: d.RoutingKey, Queue: n.ProfileQueue,
		MessageID: msgID, DeliveryTag: d.DeliveryTag, Redelivered: d.Redelivered, Note: string(d.Body)})

	if take(&p.crashBeforeApply) {
		p.em.emit(Event{Kind: EventCrashed, Queue: n.ProfileQueue, MessageID: msgID, DeliveryTag: d.DeliveryTag,
			Note: "crash before apply: the consumer's channel is closed; the broker requeues the unacked message"})
		_ = ch.Close()
		return crashed
	}

	ev, reason := c.validate(d)
	if reason != "" {
		return c.refuse(ctx, d, msgID, ev, reason)
	}
	prof, applied, err := p.store.apply(ctx, msgID, dedupe, ev)
	if err != nil {
		if ctx.Err() != nil {
			return channelFailed // closing; unacked, so the broker keeps it
		}
		p.em.emit(Event{Kind: EventError, MessageID: msgID, UserID: ev.ID, Err: fmt.Errorf("%w; nacked with requeue", err)})
		if err := d.Nack(false, true); err != nil {
			return channelFailed
		}
		return handled
	}
	if applied {
		note := fmt.Sprintf("profile version %d; message id recorded in the same transaction", prof.Version)
		if !dedupe {
			note = fmt.Sprintf("profile version %d; no message id: applied as a state assignment (idempotent)", prof.Version)
		}
		p.em.emit(Event{Kind: EventApplied, UserID: ev.ID, FullName: ev.FullName, MessageID: msgID, Redelivered: d.Redelivered, Version: prof.Version, Note: note})
	} else {
		p.em.emit(Event{Kind: EventDuplicate, UserID: ev.ID, FullName: ev.FullName, MessageID: msgID, Redelivered: d.Redelivered,
			Note: "message id already processed: acked without applying it again"})
	}

	if take(&p.crashBeforeAck) {
		p.em.emit(Event{Kind: EventCrashed, Queue: n.ProfileQueue, MessageID: msgID, DeliveryTag: d.DeliveryTag,
			Note: "crash after the commit, before the ack: the channel is closed; the broker redelivers the message"})
		_ = ch.Close()
		return crashed
	}
	if err := d.Ack(false); err != nil {
		return channelFailed
	}
	p.em.emit(Event{Kind: EventAcked, Queue: n.ProfileQueue, MessageID: msgID, DeliveryTag: d.DeliveryTag, UserID: ev.ID})
	return handled
}

// refuse publishes the compensating event (confirmed) and then nacks the
// delivery without requeue, so the broker dead-letters it. In that order: a
// crash in between redelivers the event, which is refused again and
// compensated twice, and a compensation is idempotent; the other order
// could lose the compensation.
func (c *consumer) refuse(ctx context.Context, d amqp.Delivery, msgID string, ev UpdateEvent, reason string) outcome {
	p, n := c.p, c.p.opts.names
	if ev.ID > 0 && d.RoutingKey == n.UpdateKey {
		body, _ := json.Marshal(FailedEvent{ID: ev.ID, FullName: ev.FullName, Reason: reason, MessageID: msgID})
		dc, err := c.pub.PublishWithDeferredConfirmWithContext(ctx, n.Exchange, n.FailedKey, true, false, amqp.Publishing{
			ContentType:   "application/json",
			DeliveryMode:  amqp.Persistent,
			MessageId:     "failed:" + msgID,
			CorrelationId: msgID,
			AppId:         "warren-profile-service",
			Body:          body,
		})
		if err != nil {
			return channelFailed
		}
		acked, err := dc.WaitContext(ctx)
		if err != nil || !acked {
			if err == nil {
				p.em.emit(Event{Kind: EventError, MessageID: msgID, Err: fmt.Errorf("the broker nacked the compensating event; the refused event stays unacked and comes back")})
			}
			return channelFailed
		}
		ret, returned := amqp.Return{}, false
		select {
		case ret, returned = <-c.pubReturns: // false when the channel closed
		default:
		}
		switch {
		case returned:
			p.em.emit(Event{Kind: EventError, Exchange: n.Exchange, RoutingKey: n.FailedKey, MessageID: ret.MessageId,
				Err: fmt.Errorf("%d %s: no queue is bound for %s (is the user service running?); the compensation was not delivered, the refused event is kept in %s",
					ret.ReplyCode, ret.ReplyText, n.FailedKey, n.DeadLetterQueue)})
		default:
			p.em.emit(Event{Kind: EventCompensation, Exchange: n.Exchange, RoutingKey: n.FailedKey, MessageID: "failed:" + msgID,
				UserID: ev.ID, FullName: ev.FullName, Note: reason})
		}
	}
	if err := d.Nack(false, false); err != nil {
		return channelFailed
	}
	p.em.emit(Event{Kind: EventRefused, Queue: n.ProfileQueue, MessageID: msgID, DeliveryTag: d.DeliveryTag, UserID: ev.ID, FullName: ev.FullName, Reason: reason,
		Note: reason + "; basic.nack requeue=false: dead-lettered via " + n.DeadLetterExchange + " to " + n.DeadLetterQueue})
	return handled
}
