package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Publishing with confirms, and telling returns apart deterministically.
//
// RabbitMQ sends basic.return before the basic.ack of the same message, and
// amqp091-go's reader goroutine hands the return to the NotifyReturn channel
// before it hands the ack to NotifyPublish. One goroutine (confirmLoop)
// reads both channels and, on each confirm, first drains what is pending on
// the returns channel: so when a confirm is resolved, the message's return,
// if there is one, has already been recorded. No sleeps, no guessing.

// sentinelType marks Warren's own settle messages (see Settle); they are
// never shown as events.
const sentinelType = "warren.settle"

// publisher is the confirm-mode channel Publish uses.
type publisher struct {
	ch     *amqp.Channel
	closed chan struct{} // closed when the channel is gone
	err    error         // why, set before closed is closed

	mu       sync.Mutex
	waiters  map[uint64]chan confirmResult // delivery tag -> waiter
	tagIDs   map[uint64]string             // delivery tag -> message id
	returned map[string]*Return            // message id -> its basic.return, until its confirm
}

type confirmResult struct {
	acked    bool
	returned *Return
}

// publisher returns the link's publisher channel, opening a new one when a
// channel error closed the previous one. Call with l.pubMu held or before
// the link is shared.
func (l *link) publisher() (*publisher, error) {
	if l.pub != nil && !l.pub.ch.IsClosed() {
		// IsClosed turns true as soon as the broker closes the channel
		// (404 on publish), before confirmLoop has wound down: a new
		// channel is needed from that moment.
		return l.pub, nil
	}
	ch, err := l.conn.Channel()
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		return nil, l.fail(err)
	}
	p := &publisher{ch: ch, closed: make(chan struct{}),
		waiters: map[uint64]chan confirmResult{}, tagIDs: map[uint64]string{}, returned: map[string]*Return{}}
	returns := ch.NotifyReturn(make(chan amqp.Return, 1024))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 1024))
	closes := ch.NotifyClose(make(chan *amqp.Error, 1))
	l.pub = p
	l.s.wg.Add(1)
	go l.s.confirmLoop(p, returns, confirms, closes)
	return p, nil
}

// confirmLoop drains the publisher channel's returns and confirms (so that
// amqp091-go's reader never waits on us) and resolves Publish's waiters.
func (s *Session) confirmLoop(p *publisher, returns <-chan amqp.Return, confirms <-chan amqp.Confirmation, closes <-chan *amqp.Error) {
	defer s.wg.Done()
	for returns != nil || confirms != nil {
		select {
		case r, ok := <-returns:
			if !ok {
				returns = nil
				continue
			}
			s.recordReturn(p, r)
		case c, ok := <-confirms:
			if !ok {
				confirms = nil
				continue
			}
			// The return of this message, if any, was queued before this ack.
		drain:
			for returns != nil {
				select {
				case r, ok := <-returns:
					if !ok {
						returns = nil
						break drain
					}
					s.recordReturn(p, r)
				default:
					break drain
				}
			}
			p.resolve(c)
		}
	}
	// amqp091-go sends the close reason before closing the notify channels.
	var err error = ErrDisconnected
	select {
	case e := <-closes:
		if e != nil {
			err = describe(e)
		}
	default:
	}
	p.mu.Lock()
	p.err = err
	p.waiters = map[uint64]chan confirmResult{}
	p.mu.Unlock()
	close(p.closed)
}

func (s *Session) recordReturn(p *publisher, r amqp.Return) {
	ret := &Return{ReplyCode: r.ReplyCode, ReplyText: r.ReplyText, Exchange: r.Exchange,
		RoutingKey: r.RoutingKey, MessageID: r.MessageId, Headers: fromAMQP(r.Headers), Body: r.Body}
	p.mu.Lock()
	p.returned[r.MessageId] = ret
	p.mu.Unlock()
	if r.Type != sentinelType {
		s.emit(Event{Kind: EventReturn, Return: ret,
			Note: fmt.Sprintf("returned %d %s: exchange %q, routing key %q", r.ReplyCode, r.ReplyText, r.Exchange, r.RoutingKey)})
	}
}

func (p *publisher) resolve(c amqp.Confirmation) {
	p.mu.Lock()
	id := p.tagIDs[c.DeliveryTag]
	w := p.waiters[c.DeliveryTag]
	ret := p.returned[id]
	delete(p.tagIDs, c.DeliveryTag)
	delete(p.waiters, c.DeliveryTag)
	delete(p.returned, id)
	p.mu.Unlock()
	if w != nil {
		w <- confirmResult{acked: c.Ack, returned: ret}
	}
}

// Publish publishes p and waits for the broker's publisher confirm. When
// the message was mandatory and unroutable, Published.Returned holds the
// basic.return (312 NO_ROUTE). MessageID is generated when empty. A
// Publishing that the broker refuses at channel level (404 NOT_FOUND for a
// missing exchange) returns that error; the next Publish opens a fresh
// channel.
func (s *Session) Publish(ctx context.Context, p Publishing) (Published, error) {
	if p.MessageID == "" {
		p.MessageID = newID()
	}
	if err := checkPublishing(p); err != nil {
		return Published{MessageID: p.MessageID}, err
	}
	l, err := s.current()
	if err != nil {
		return Published{MessageID: p.MessageID}, err
	}
	if p.ReplyTo == DirectReplyTo {
		return s.publishDirectReplyTo(ctx, p)
	}
	w, pub, err := l.send(ctx, p, "")
	if err != nil {
		return Published{MessageID: p.MessageID}, err
	}
	r, err := l.await(ctx, pub, w)
	if err != nil {
		return Published{MessageID: p.MessageID}, err
	}
	return Published{MessageID: p.MessageID, Acked: r.acked, Returned: r.returned}, nil
}

// publishDirectReplyTo publishes an RPC request whose replies go to direct
// reply-to: on the channel of this Session's consumer of DirectReplyTo,
// which RabbitMQ requires (406 "fast reply consumer does not exist"
// otherwise).
func (s *Session) publishDirectReplyTo(ctx context.Context, p Publishing) (Published, error) {
	s.mu.Lock()
	var ch *amqp.Channel
	for _, c := range s.consumers {
		if c.spec.Queue == DirectReplyTo && c.state == ConsumerRunning && c.ch != nil {
			ch = c.ch
		}
	}
	s.mu.Unlock()
	if ch == nil {
		return Published{MessageID: p.MessageID}, fmt.Errorf("reply_to %s needs a running consumer of %s in this session (the replies arrive there): start one", DirectReplyTo, DirectReplyTo)
	}
	if err := ch.PublishWithContext(ctx, p.Exchange, p.RoutingKey, p.Mandatory, false, amqpPublishing(p, "")); err != nil {
		return Published{MessageID: p.MessageID}, describe(err)
	}
	return Published{MessageID: p.MessageID, Acked: true}, nil
}

// amqpPublishing is p as amqp091-go sends it.
func amqpPublishing(p Publishing, msgType string) amqp.Publishing {
	msg := amqp.Publishing{
		Headers:       toAMQP(p.Headers),
		ContentType:   p.ContentType,
		MessageId:     p.MessageID,
		Expiration:    p.Expiration,
		Priority:      p.Priority,
		ReplyTo:       p.ReplyTo,
		CorrelationId: p.CorrelationID,
		Type:          msgType,
		Body:          p.Body,
	}
	if p.Persistent {
		msg.DeliveryMode = amqp.Persistent
	}
	return msg
}

// send publishes one message and returns the channel its confirm will
// arrive on.
func (l *link) send(ctx context.Context, p Publishing, msgType string) (chan confirmResult, *publisher, error) {
	l.pubMu.Lock()
	defer l.pubMu.Unlock()
	pub, err := l.publisher()
	if err != nil {
		return nil, nil, err
	}
	msg := amqpPublishing(p, msgType)
	w := make(chan confirmResult, 1)
	tag := pub.ch.GetNextPublishSeqNo()
	pub.mu.Lock()
	pub.waiters[tag] = w
	pub.tagIDs[tag] = p.MessageID
	pub.mu.Unlock()
	if err := pub.ch.PublishWithContext(ctx, p.Exchange, p.RoutingKey, p.Mandatory, false, msg); err != nil {
		pub.mu.Lock()
		delete(pub.waiters, tag)
		delete(pub.tagIDs, tag)
		pub.mu.Unlock()
		return nil, nil, l.fail(err)
	}
	return w, pub, nil
}

// await waits for a confirm, the channel's or the connection's end, or ctx.
func (l *link) await(ctx context.Context, pub *publisher, w chan confirmResult) (confirmResult, error) {
	select {
	case r := <-w:
		return r, nil
	case <-pub.closed:
		// A confirm may have been resolved just before the channel closed.
		select {
		case r := <-w:
			return r, nil
		default:
		}
		pub.mu.Lock()
		err := pub.err
		pub.mu.Unlock()
		return confirmResult{}, err
	case <-l.dead:
		return confirmResult{}, ErrDisconnected
	case <-ctx.Done():
		return confirmResult{}, ctx.Err()
	}
}

// floodWindow is how many publishes Flood keeps unconfirmed at once.
const floodWindow = 256

// Flood publishes n copies of p as fast as confirms allow (windows of
// floodWindow unconfirmed messages) and returns how many the broker
// confirmed. Each copy gets its own message id (p.MessageID + "-1", ...).
func (s *Session) Flood(ctx context.Context, p Publishing, n int) (int, error) {
	base := p.MessageID
	if base == "" {
		base = newID()
	}
	p.MessageID = base + "-1"
	if err := checkPublishing(p); err != nil {
		return 0, err
	}
	confirmed := 0
	type pending struct {
		w   chan confirmResult
		pub *publisher
	}
	window := make([]pending, 0, floodWindow)
	flush := func(l *link) error {
		for _, pd := range window {
			r, err := l.await(ctx, pd.pub, pd.w)
			if err != nil {
				return err
			}
			if r.acked {
				confirmed++
			}
		}
		window = window[:0]
		return nil
	}
	l, err := s.current()
	if err != nil {
		return 0, err
	}
	for i := 1; i <= n; i++ {
		p.MessageID = fmt.Sprintf("%s-%d", base, i)
		w, pub, err := l.send(ctx, p, "")
		if err != nil {
			_ = flush(l)
			return confirmed, err
		}
		window = append(window, pending{w, pub})
		if len(window) == floodWindow {
			if err := flush(l); err != nil {
				return confirmed, err
			}
		}
	}
	err = flush(l)
	return confirmed, err
}

// newID returns a random message id.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "warren-" + hex.EncodeToString(b[:])
}
