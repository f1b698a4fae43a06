package userupdate

import (
	"context"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

const (
	// relayBatch is how many outbox rows the relay publishes before it
	// waits for their confirms (in order).
	relayBatch = 64
	// relayPoll is how often the relay looks at the outbox without being
	// kicked (a safety net; Update kicks it).
	relayPoll = 2 * time.Second
)

// relay publishes the outbox in order, each row persistent, mandatory and
// confirmed, and marks a row sent only after the broker's ack. A row the
// broker returned (312 NO_ROUTE: no queue is bound for its routing key yet,
// e.g. the profile service has never run) stays pending and is retried with
// backoff, so an event published before its consumer's queue exists is not
// lost. It returns when ctx ends (nil) or the channel fails.
func (s *UserService) relay(ctx context.Context, ch *amqp.Channel) error {
	n := s.opts.names
	// Buffered beyond the most messages in flight: amqp091-go delivers a
	// return synchronously before it processes the matching ack, so after
	// an ack every return that preceded it is already in this buffer.
	returns := ch.NotifyReturn(make(chan amqp.Return, 2*relayBatch))
	chClosed := ch.NotifyClose(make(chan *amqp.Error, 1))
	stop := closeWhenDone(ctx, ch)
	defer stop()

	delay := s.opts.backoffMin
	// One row at a time at first and after a return, so that a binding
	// appearing mid-batch cannot let a later row overtake a returned one.
	batch := 1
	for {
		rows, err := s.store.pending(ctx, batch)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.em.emit(Event{Kind: EventError, Err: err})
			rows = nil
		}
		if len(rows) == 0 {
			t := time.NewTimer(relayPoll)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case e := <-chClosed:
				t.Stop()
				return fmt.Errorf("the relay's channel closed: %v", e)
			case <-s.kick:
			case <-t.C:
			}
			t.Stop()
			continue
		}

		confirms := make([]*amqp.DeferredConfirmation, 0, len(rows))
		for _, r := range rows {
			dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, n.Exchange, r.RoutingKey, true, false, amqp.Publishing{
				ContentType:  "application/json",
				DeliveryMode: amqp.Persistent,
				MessageId:    r.MessageID,
				Timestamp:    r.CreatedAt,
				AppId:        "warren-user-service",
				Body:         r.Body,
			})
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("publish outbox row %d: %w", r.Seq, err)
			}
			confirms = append(confirms, dc)
			s.em.emit(Event{Kind: EventPublished, Exchange: n.Exchange, RoutingKey: r.RoutingKey, MessageID: r.MessageID,
				UserID: r.UserID, FullName: r.FullName, Note: "persistent, mandatory; waiting for the confirm"})
		}

		returned := map[string]amqp.Return{}
		retry := false
		for i, dc := range confirms {
			r := rows[i]
			acked, err := dc.WaitContext(ctx)
			if err != nil {
				return nil // ctx ended; the rows stay pending
			}
		drain:
			for {
				select {
				case ret, ok := <-returns:
					if !ok { // the channel closed: returns is closed too
						break drain
					}
					returned[ret.MessageId] = ret
				default:
					break drain
				}
			}
			if !acked {
				if ch.IsClosed() {
					return fmt.Errorf("the relay's %w before the broker confirmed outbox row %d", errClosed, r.Seq)
				}
				s.em.emit(Event{Kind: EventError, MessageID: r.MessageID, UserID: r.UserID,
					Err: fmt.Errorf("the broker nacked the publish (basic.nack); retrying in %v", delay)})
				retry = true
				break
			}
			if ret, ok := returned[r.MessageID]; ok {
				s.em.emit(Event{Kind: EventReturned, Exchange: n.Exchange, RoutingKey: r.RoutingKey, MessageID: r.MessageID, UserID: r.UserID,
					Note: fmt.Sprintf("%d %s: no queue is bound for it yet (is the profile service running?); kept in the outbox, retrying in %v",
						ret.ReplyCode, ret.ReplyText, delay)})
				retry = true
				break
			}
			if err := s.store.markSent(ctx, r.Seq); err != nil {
				// Published but not marked: it is published again later and
				// the profile service drops the copy by its message id.
				if ctx.Err() != nil {
					return nil
				}
				s.em.emit(Event{Kind: EventError, MessageID: r.MessageID, Err: err})
				retry = true
				break
			}
			s.em.emit(Event{Kind: EventConfirmed, Exchange: n.Exchange, RoutingKey: r.RoutingKey, MessageID: r.MessageID,
				UserID: r.UserID, FullName: r.FullName, Note: "broker ack (publisher confirm); outbox row marked sent"})
		}
		if !retry {
			delay = s.opts.backoffMin
			batch = relayBatch
			continue
		}
		batch = 1
		t := time.NewTimer(delay)
		delay = min(delay*2, s.opts.backoffMax)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case e := <-chClosed:
			t.Stop()
			return fmt.Errorf("the relay's channel closed: %v", e)
		case <-t.C:
		}
	}
}
