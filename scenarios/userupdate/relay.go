package userupdate

import (
	"context"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

const (
	// relayWindow is how many outbox rows may be published and not yet
	// confirmed. A window, not publish-then-wait: a persistent message's
	// confirm waits for RabbitMQ's disk sync (tens to hundreds of
	// milliseconds on a busy disk), and the next update should not queue
	// behind it.
	relayWindow = 64
	// relayPoll is how often the relay looks at the outbox without being
	// kicked (a safety net; Update kicks it).
	relayPoll = 2 * time.Second
)

// published is an outbox row on its way: published, not yet confirmed.
type published struct {
	row OutboxEntry
	dc  *amqp.DeferredConfirmation
}

// relay publishes the outbox in order, each row persistent, mandatory and
// confirmed, and marks a row sent only after the broker's ack, settling
// confirms in publish order. A row the broker returned (312 NO_ROUTE: no
// queue is bound for its routing key yet, e.g. the profile service has never
// run) or nacked stays pending: the relay backs off and publishes again from
// that row on, so an event published before its consumer's queue exists is
// not lost. Rows after it that were already routed go out twice; the
// profile service drops the copies by message id. It returns when ctx ends
// (nil) or the channel fails.
func (s *UserService) relay(ctx context.Context, ch *amqp.Channel) error {
	n := s.opts.names
	// Buffered beyond the most messages in flight: amqp091-go hands over a
	// return synchronously before it processes the matching ack, so once
	// an ack is seen every return that preceded it is in this buffer.
	returns := ch.NotifyReturn(make(chan amqp.Return, 4*relayWindow))
	chClosed := ch.NotifyClose(make(chan *amqp.Error, 1))
	stop := closeWhenDone(ctx, ch)
	defer stop()
	poll := time.NewTicker(relayPoll)
	defer poll.Stop()

	var (
		window   []published
		after    int64 // the last seq published on this channel
		returned = map[string]amqp.Return{}
		delay    = s.opts.backoffMin
		// One row at a time at first and after a failure, so that a binding
		// appearing mid-window cannot let a later row overtake a returned one.
		careful = true
		retry   *time.Timer
		retryC  <-chan time.Time
	)
	defer func() {
		if retry != nil {
			retry.Stop()
		}
	}()
	backoff := func() {
		window, careful = nil, true
		retry = time.NewTimer(delay)
		retryC = retry.C
		delay = min(delay*2, s.opts.backoffMax)
	}

	for {
		limit := relayWindow - len(window)
		if careful {
			limit = 1 - len(window)
		}
		if retryC == nil && limit > 0 {
			rows, err := s.store.pending(ctx, after, limit)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				s.em.emit(Event{Kind: EventError, Err: err})
			}
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
				window = append(window, published{row: r, dc: dc})
				after = r.Seq
				s.em.emit(Event{Kind: EventPublished, Exchange: n.Exchange, RoutingKey: r.RoutingKey, MessageID: r.MessageID,
					UserID: r.UserID, FullName: r.FullName, Note: "persistent, mandatory; waiting for the confirm"})
			}
		}

		var head <-chan struct{}
		if len(window) > 0 {
			head = window[0].dc.Done()
		}
		select {
		case <-ctx.Done():
			return nil
		case e := <-chClosed:
			return fmt.Errorf("the relay's channel closed: %v", e)
		case <-s.kick:
		case <-poll.C:
		case <-retryC:
			retryC = nil
		case <-head:
			if err := s.settle(ctx, ch, &window, &after, returned, returns, delay); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				if ch.IsClosed() {
					return fmt.Errorf("the relay's %w: %v", errClosed, err)
				}
				backoff()
				continue
			}
			// The head was confirmed and routed: the route works.
			careful, delay = false, s.opts.backoffMin
		}
	}
}

// settle marks sent, in order, every row at the head of the window whose
// confirm has come. It stops at the first row that was nacked or returned
// (or could not be marked), resets *after so that row is published again,
// and returns why.
func (s *UserService) settle(ctx context.Context, ch *amqp.Channel, window *[]published, after *int64,
	returned map[string]amqp.Return, returns <-chan amqp.Return, delay time.Duration) error {
	n := s.opts.names
	for len(*window) > 0 {
		w := (*window)[0]
		select {
		case <-w.dc.Done():
		default:
			return nil // the rest is still in flight
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
		r := w.row
		ret, wasReturned := returned[r.MessageID]
		delete(returned, r.MessageID)
		var why error
		switch {
		case !w.dc.Acked():
			if ch.IsClosed() {
				why = fmt.Errorf("closed before the broker confirmed outbox row %d", r.Seq)
				break
			}
			why = fmt.Errorf("the broker nacked outbox row %d (basic.nack)", r.Seq)
			s.em.emit(Event{Kind: EventError, MessageID: r.MessageID, UserID: r.UserID, Err: fmt.Errorf("%w; retrying in %v", why, delay)})
		case wasReturned:
			why = fmt.Errorf("outbox row %d returned: %d %s", r.Seq, ret.ReplyCode, ret.ReplyText)
			s.em.emit(Event{Kind: EventReturned, Exchange: n.Exchange, RoutingKey: r.RoutingKey, MessageID: r.MessageID, UserID: r.UserID,
				Note: fmt.Sprintf("%d %s: no queue is bound for it yet (is the profile service running?); kept in the outbox, retrying in %v",
					ret.ReplyCode, ret.ReplyText, delay)})
		default:
			if err := s.store.markSent(ctx, r.Seq); err != nil {
				// Published but not marked: it goes out again and the
				// profile service drops the copy by its message id.
				if ctx.Err() == nil {
					s.em.emit(Event{Kind: EventError, MessageID: r.MessageID, Err: err})
				}
				why = err
				break
			}
			s.em.emit(Event{Kind: EventConfirmed, Exchange: n.Exchange, RoutingKey: r.RoutingKey, MessageID: r.MessageID,
				UserID: r.UserID, FullName: r.FullName, Note: "broker ack (publisher confirm); outbox row marked sent"})
			*window = (*window)[1:]
			continue
		}
		*after = r.Seq - 1
		return why
	}
	return nil
}
