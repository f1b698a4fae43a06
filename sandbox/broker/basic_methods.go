package broker

import (
	"errors"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// maxMessageSize is the largest body accepted (RabbitMQ 4's default
// max_message_size, 16 MiB).
const maxMessageSize = 16 << 20

// handleBasic runs the basic class.
func (ch *channel) handleBasic(m wire.Method) *wire.Error {
	c := ch.conn
	v := c.vh
	switch m := m.(type) {
	case *wire.BasicQos:
		if m.PrefetchSize != 0 {
			return wire.Errorf(wire.NotImplemented, "prefetch_size!=0 (%d)", m.PrefetchSize)
		}
		if m.Global {
			ch.globalPrefetch.Store(int32(m.PrefetchCount))
		} else {
			ch.prefetch = int32(m.PrefetchCount)
			ch.publishState()
		}
		c.sendMethod(ch.id, &wire.BasicQosOk{})
		if m.Global {
			ch.kickConsumers() // a larger limit may let messages through
		}
	case *wire.BasicConsume:
		return ch.consume(m)
	case *wire.BasicCancel:
		if ch.cancelReplyTo(m.ConsumerTag) {
			if !m.NoWait {
				c.sendMethod(ch.id, &wire.BasicCancelOk{ConsumerTag: m.ConsumerTag})
			}
			return nil
		}
		ch.mu.Lock()
		cons := ch.consumers[m.ConsumerTag]
		if cons != nil {
			cons.active.Store(false)
		}
		delete(ch.consumers, m.ConsumerTag)
		ch.mu.Unlock()
		if cons != nil {
			cons.q.removeConsumer(cons)
			// an auto-delete queue that lost its last consumer is gone
			// before cancel-ok, as in RabbitMQ: a client that declares it
			// passively after the cancel-ok must get 404
			v.maybeAutoDelete(cons.q)
		}
		if !m.NoWait {
			c.sendMethod(ch.id, &wire.BasicCancelOk{ConsumerTag: m.ConsumerTag})
		}
	case *wire.BasicPublish:
		if m.Immediate {
			return wire.Errorf(wire.NotImplemented, "immediate=true")
		}
		ch.publish = m
	case *wire.BasicGet:
		q, err := ch.lookupNotStream(m.Queue, "basic.get")
		if err != nil {
			return err
		}
		v.mu.RLock()
		e, remaining, dls := q.get(v.s.nowNano())
		if e != nil {
			if m.NoAck {
				v.s.memAdd(-int64(len(e.msg.body)))
				q.unstore(e.msg)
			} else {
				q.delivered(e.msg)
			}
			ch.deliverGet(q, e, remaining, m.NoAck)
		} else {
			c.sendMethod(ch.id, &wire.BasicGetEmpty{})
		}
		v.deadLetterLocked(dls)
		v.mu.RUnlock()
	case *wire.BasicAck:
		return ch.ack(m.DeliveryTag, m.Multiple, true, false)
	case *wire.BasicNack:
		return ch.ack(m.DeliveryTag, m.Multiple, false, m.Requeue)
	case *wire.BasicReject:
		return ch.ack(m.DeliveryTag, false, false, m.Requeue)
	case *wire.BasicRecover:
		if !m.Requeue {
			return wire.Errorf(wire.NotImplemented, "requeue=false")
		}
		settleAs(ch.takeAll(), false, true, EventRequeued, "basic.recover")
		c.sendMethod(ch.id, &wire.BasicRecoverOk{})
	case *wire.BasicRecoverAsync:
		if !m.Requeue {
			return wire.Errorf(wire.NotImplemented, "requeue=false")
		}
		settleAs(ch.takeAll(), false, true, EventRequeued, "basic.recover")
	default:
		return wire.Errorf(wire.CommandInvalid, "unexpected method %s", m.Name())
	}
	return nil
}

func (ch *channel) consume(m *wire.BasicConsume) *wire.Error {
	c := ch.conn
	if m.Queue == replyToQueue {
		return ch.consumeReplyTo(m)
	}
	q, err := ch.lookupQueueFor(m.Queue, Read)
	if err != nil {
		return err
	}
	if q.qa.kind != classicQueue && ch.globalPrefetch.Load() > 0 {
		return noGlobalQos(c.vh.queueRes(q.name))
	}
	tag := m.ConsumerTag
	if tag == "" {
		tag = consumerTag()
	}
	ch.mu.Lock()
	_, dup := ch.consumers[tag]
	ch.mu.Unlock()
	if dup {
		return wire.Errorf(wire.NotAllowed, "attempt to reuse consumer tag '%s'", tag)
	}
	cons := &consumer{tag: tag, ch: ch, q: q, noAck: m.NoAck, exclusive: m.Exclusive, prefetch: ch.prefetch}
	if q.stream != nil {
		if cons.offset, err = ch.checkStreamConsumer(q, m); err != nil {
			return err
		}
	} else if v, ok := m.Arguments["x-priority"]; ok {
		p, isInt := intArg(v)
		if !isInt {
			return wire.Errorf(wire.PreconditionFailed, "invalid arg 'x-priority' for %s: {unacceptable_type,%s}", c.vh.queueRes(q.name), routing.TypeName(v))
		}
		cons.priority = p
	}
	if err := q.addConsumer(cons); err != nil {
		return err
	}
	// registered on the channel only after consume-ok is queued, so that no
	// delivery overtakes it
	if !m.NoWait {
		c.sendMethod(ch.id, &wire.BasicConsumeOk{ConsumerTag: tag})
	}
	// registered under the queue's lock: a queue deleted since
	// addConsumer has already tried to cancel this consumer (and found it
	// unregistered), so cancel it here, or the client would stay
	// subscribed to a queue that is gone
	q.mu.Lock()
	ch.mu.Lock()
	ch.consumers[tag] = cons
	cons.active.Store(true)
	ch.mu.Unlock()
	deleted := q.deleted
	q.mu.Unlock()
	if deleted {
		ch.cancelByServer(cons)
		return nil
	}
	q.kick()
	return nil
}

// ack settles deliveries: ack, or nack/reject with or without requeue.
func (ch *channel) ack(tag uint64, multiple, ack, requeue bool) *wire.Error {
	if ch.tx {
		// inside a transaction acks take effect at commit, but, as in
		// RabbitMQ, the deliveries leave the unacked list now: acking one
		// twice is an unknown tag at once. They keep their consumers'
		// prefetch room until the commit settles them.
		ps, ok := ch.take(tag, multiple, true)
		if !ok {
			return wire.Errorf(wire.PreconditionFailed, "unknown delivery tag %d", tag)
		}
		ch.txAcks = append(ch.txAcks, txAck{ps: ps, ack: ack, requeue: requeue})
		return nil
	}
	ps, ok := ch.take(tag, multiple, false)
	if !ok {
		return wire.Errorf(wire.PreconditionFailed, "unknown delivery tag %d", tag)
	}
	settleAs(ps, ack, requeue, settledKind(ack), "")
	if ch.globalPrefetch.Load() > 0 {
		// the room is the channel's: any of its consumers may use it
		ch.kickConsumers()
	}
	return nil
}

// handleContent assembles a published message from its header and body
// frames.
func (ch *channel) handleContent(f wire.Frame) {
	c := ch.conn
	if ch.closeSent {
		return
	}
	if ch.publish == nil {
		c.connectionError(wire.Errorf(wire.UnexpectedFrame, "expected method frame, got non method frame instead"), 0, 0)
		return
	}
	if f.Type == wire.FrameHeader {
		if ch.content != nil {
			c.connectionError(wire.Errorf(wire.UnexpectedFrame, "expected content body, got non content body frame instead"), 60, 40)
			return
		}
		classID, size, props, err := wire.ParseContentHeader(f.Payload)
		if err != nil {
			var we *wire.Error
			if !errors.As(err, &we) {
				we = wire.Errorf(wire.FrameError, "%v", err)
			}
			c.connectionError(we, 60, 40) // one reply-text prefix, not two
			return
		}
		if classID != 60 {
			c.connectionError(wire.Errorf(wire.UnexpectedFrame, "expected content header for class 60, got one for class %d instead", classID), 60, 40)
			return
		}
		if size > maxMessageSize {
			ch.publish = nil
			c.channelError(ch, wire.Errorf(wire.PreconditionFailed, "message size %d is larger than configured max size %d", size, maxMessageSize), &wire.BasicPublish{})
			return
		}
		ch.content = &message{exchange: ch.publish.Exchange, routingKey: ch.publish.RoutingKey, props: props}
		ch.bodySize = size
		if size == 0 {
			ch.completePublish()
		}
		return
	}
	if ch.content == nil {
		c.connectionError(wire.Errorf(wire.UnexpectedFrame, "expected content header for class 60, got non content header frame instead"), 60, 40)
		return
	}
	if uint64(len(ch.content.body)+len(f.Payload)) > ch.bodySize {
		c.connectionError(wire.Errorf(wire.FrameError, "content body exceeds the size of %d announced in its header", ch.bodySize), 60, 40)
		return
	}
	switch {
	case ch.content.body == nil && uint64(len(f.Payload)) == ch.bodySize:
		// the whole body in one frame (below frame_max, nearly always):
		// keep the payload, which the wire.Reader never reuses. A small
		// one lives in the Reader's slab next to the method and header
		// frames whose strings (exchange, routing key, properties) the
		// message already shares, so this pins no more memory than those.
		ch.content.body = f.Payload
	case ch.content.body == nil:
		ch.content.body = make([]byte, 0, ch.bodySize)
		fallthrough
	default:
		ch.content.body = append(ch.content.body, f.Payload...)
	}
	if uint64(len(ch.content.body)) == ch.bodySize {
		ch.completePublish()
	}
}

// completePublish routes a fully received message: basic.return when it is
// mandatory and unroutable, then the publisher confirm.
func (ch *channel) completePublish() {
	c := ch.conn
	pub, m := ch.publish, ch.content
	ch.publish, ch.content = nil, nil
	if err := c.allowed("exchange", pub.Exchange, Write); err != nil {
		c.channelError(ch, err, pub)
		return
	}
	if m.props.UserID != "" && m.props.UserID != c.user && !c.s.HasTag(c.user, TagImpersonator) {
		c.channelError(ch, wire.Errorf(wire.PreconditionFailed, "user_id property set to '%s' but authenticated user was '%s'", m.props.UserID, c.user), pub)
		return
	}
	if err := ch.rewriteReplyTo(m); err != nil {
		c.channelError(ch, err, pub)
		return
	}
	if ch.tx {
		if err := c.vh.checkPublishable(pub.Exchange); err != nil {
			c.channelError(ch, err, pub)
			return
		}
		ch.txPublishes = append(ch.txPublishes, txPublish{pub: pub, msg: m})
		return
	}
	// as RabbitMQ does, a connection that publishes while the memory alarm
	// is on stops being read (it may consume and ack until then)
	c.waitIfBlocked()
	if h := ch.route(pub, m, c); h.gate != nil {
		// flow control: the message is routed and confirmed; the next
		// frame is read once the queue has drained (flow.go)
		c.flowWait(h.q, h.gate)
	}
}

// route publishes one message and answers for it (return, confirm). from
// is the publishing connection when it may be held by flow control (nil
// for a transaction's commit); the returned hold says what to wait for.
func (ch *channel) route(pub *wire.BasicPublish, m *message, from *conn) flowHold {
	c := ch.conn
	if ch.confirm && c.s.injectedNack() {
		// a failure a test asked for (inject.go): refused, not routed
		c.s.observe(MessageEvent{Kind: EventRefused, VHost: c.vh.name, Reason: "NackPublishes"}, m)
		ch.publishSeq++
		ch.nacked = true
		c.sendMethod(ch.id, &wire.BasicNack{DeliveryTag: ch.publishSeq})
		return flowHold{}
	}
	m.trace = ch.traceSourceFor()
	routed, rejected, hold, err := c.vh.publish(pub.Exchange, m, from)
	if err != nil {
		c.channelError(ch, err, pub)
		return flowHold{}
	}
	if !routed && pub.Mandatory {
		c.s.observe(MessageEvent{Kind: EventReturned, VHost: c.vh.name, Reason: "312 NO_ROUTE"}, m)
		c.outBytes.Add(int64(len(m.body))) // the writer takes it off (waitForWriter)
		c.send(outFrame{ch: ch.id, method: &wire.BasicReturn{ReplyCode: wire.NoRoute, ReplyText: "NO_ROUTE",
			Exchange: pub.Exchange, RoutingKey: pub.RoutingKey}, msg: m})
	}
	if ch.confirm {
		ch.publishSeq++
		if ch.confirmAfterDisk(m, rejected) {
			return hold
		}
		switch {
		case rejected:
			ch.nacked = true
			c.sendMethod(ch.id, &wire.BasicNack{DeliveryTag: ch.publishSeq})
		case ch.nacked:
			c.sendMethod(ch.id, &wire.BasicAck{DeliveryTag: ch.publishSeq})
		default:
			c.sendConfirm(ch.id, ch.publishSeq)
		}
	}
	if m.pid != 0 {
		c.s.disk.st.Throttle() // at the disk's pace, not memory's
	}
	return hold
}
