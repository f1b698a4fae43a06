package broker

import (
	"sort"
	"sync"
	"sync/atomic"

	"github.com/warrenmq/warren/sandbox/broker/clock"
	"github.com/warrenmq/warren/sandbox/broker/wire"
)

// channel is an AMQP channel. The reader goroutine runs its methods; queues
// deliver to it from publishers' and ackers' goroutines, under ch.mu.
type channel struct {
	id   uint16
	conn *conn

	closed       atomic.Bool // closing or closed: no more deliveries
	unackedTotal atomic.Int32
	// globalPrefetch is basic.qos with global=true: a limit shared by the
	// channel's consumers (RabbitMQ 4 keeps this 3.x meaning for classic
	// queues, deprecated but permitted).
	globalPrefetch atomic.Int32

	mu        sync.Mutex
	nextTag   uint64
	unacked   []*pending // in delivery-tag order; settled ones are nil'ed out lazily
	settled   int
	consumers map[string]*consumer
	reply     *replyConsumer // direct reply-to (replyto.go)
	tick      clock.Timer    // the consumer timeout's check (consumer_timeout.go)

	// reader goroutine only
	prefetch    int32 // per-consumer prefetch for new consumers
	confirm     bool
	publishSeq  uint64
	nacked      bool // a confirm nack was sent: no more multiple acks
	tx          bool
	txPublishes []txPublish
	txAcks      []txAck
	closeSent   bool   // channel.close sent; waiting for close-ok
	lastQueue   string // most recently declared queue: what "" means
	publish     *wire.BasicPublish
	content     *message
	bodySize    uint64
	disk        channelDisk // confirms waiting for the disk (persist_confirm.go)
	// state is what the reader's own fields above say, for others to read
	// (the management API): set by publishState (inspect.go)
	state atomic.Pointer[channelState]
}

// pending is a delivered, not yet acknowledged message.
type pending struct {
	tag  uint64
	q    *queue
	e    *entry
	cons *consumer // nil for basic.get
	done bool
	at   int64 // when it was delivered (the broker's clock, unix ns)
}

func newChannel(c *conn, id uint16) *channel {
	return &channel{id: id, conn: c, consumers: map[string]*consumer{}}
}

// deliver hands e to consumer cons (basic.deliver); called under the queue's
// lock. It reports false when the channel is closing.
func (ch *channel) deliver(cons *consumer, e *entry) bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.closed.Load() {
		return false
	}
	if _, ok := ch.consumers[cons.tag]; !ok {
		return false
	}
	ch.nextTag++
	tag := ch.nextTag
	if !cons.noAck {
		ch.unacked = append(ch.unacked, &pending{tag: tag, q: cons.q, e: e, cons: cons, at: ch.conn.s.nowNano()})
		cons.unacked.Add(1)
		ch.unackedTotal.Add(1)
		ch.armTickLocked()
	}
	ch.conn.s.observe(MessageEvent{Kind: EventDelivered, VHost: cons.q.v.name, Queue: cons.q.name, ConsumerTag: cons.tag,
		DeliveryTag: tag, Redelivered: e.redelivered}, e.msg)
	ch.conn.send(outFrame{ch: ch.id, method: &wire.BasicDeliver{ConsumerTag: cons.tag, DeliveryTag: tag,
		Redelivered: e.redelivered, Exchange: e.msg.exchange, RoutingKey: e.msg.routingKey}, msg: deliveryCounted(e)})
	ch.traceDelivered(cons.q.name, e)
	return true
}

// deliverGet answers basic.get with get-ok.
func (ch *channel) deliverGet(q *queue, e *entry, remaining int, noAck bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.nextTag++
	tag := ch.nextTag
	if !noAck {
		ch.unacked = append(ch.unacked, &pending{tag: tag, q: q, e: e, at: ch.conn.s.nowNano()})
		ch.unackedTotal.Add(1)
		ch.armTickLocked()
	}
	ch.conn.s.observe(MessageEvent{Kind: EventDelivered, VHost: q.v.name, Queue: q.name, DeliveryTag: tag, Redelivered: e.redelivered}, e.msg)
	ch.conn.send(outFrame{ch: ch.id, method: &wire.BasicGetOk{DeliveryTag: tag, Redelivered: e.redelivered,
		Exchange: e.msg.exchange, RoutingKey: e.msg.routingKey, MessageCount: uint32(remaining)}, msg: deliveryCounted(e)})
	ch.traceDelivered(q.name, e)
}

// take removes and returns the unacked deliveries a basic.ack/nack/reject
// names: one tag, or (multiple) every tag up to it (0: all). ok is false
// for an unknown tag. keepRoom (a transaction's acks) leaves them counted
// against the prefetch limits until releaseRoom.
func (ch *channel) take(tag uint64, multiple, keepRoom bool) ([]*pending, bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	var out []*pending
	if multiple && tag == 0 {
		// multiple with tag 0: everything outstanding (RabbitMQ's
		// collect_acks(Q, 0, true))
		for _, p := range ch.unacked {
			if !p.done {
				out = append(out, p)
			}
		}
	} else {
		// the tag must name an outstanding delivery, with multiple too:
		// RabbitMQ closes the channel with "unknown delivery tag N" for a
		// multiple ack whose tag was already settled or never made, and
		// settles nothing (the older deliveries are requeued with the
		// channel)
		i := ch.findUnacked(tag)
		if i < 0 {
			return nil, false
		}
		if multiple {
			for _, p := range ch.unacked[:i] {
				if !p.done {
					out = append(out, p)
				}
			}
		}
		out = append(out, ch.unacked[i])
	}
	for _, p := range out {
		p.done = true
		ch.settled++
	}
	if !keepRoom {
		releaseRoom(ch, out)
	}
	ch.compact()
	return out, true
}

// releaseRoom gives the prefetch room of taken deliveries back to their
// consumers and channel.
func releaseRoom(ch *channel, ps []*pending) {
	for _, p := range ps {
		if p.cons != nil {
			p.cons.unacked.Add(-1)
		}
	}
	ch.unackedTotal.Add(-int32(len(ps)))
}

// untake puts deliveries taken with keepRoom back in the unacked list
// (tx.rollback: they are the client's to settle again).
func (ch *channel) untake(ps []*pending) {
	if len(ps) == 0 {
		return
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	live := make([]*pending, 0, len(ch.unacked)-ch.settled+len(ps))
	for _, p := range ch.unacked {
		if !p.done {
			live = append(live, p)
		}
	}
	for _, p := range ps {
		p.done = false
		live = append(live, p)
	}
	sort.Slice(live, func(i, j int) bool { return live[i].tag < live[j].tag })
	ch.unacked, ch.settled = live, 0
}

// findUnacked returns the index in ch.unacked of the outstanding delivery
// tag, or -1. Called under ch.mu.
func (ch *channel) findUnacked(tag uint64) int {
	i := sort.Search(len(ch.unacked), func(i int) bool { return ch.unacked[i].tag >= tag })
	if i == len(ch.unacked) || ch.unacked[i].tag != tag || ch.unacked[i].done {
		return -1
	}
	return i
}

// compact drops settled entries from the front, and everywhere when they
// are the majority.
func (ch *channel) compact() {
	i := 0
	for i < len(ch.unacked) && ch.unacked[i].done {
		i++
	}
	if i > 0 {
		// drop the settled head by reslicing (a deque): acks come mostly
		// in order, and shifting the rest down on each one costs a copy
		// of the whole window (with write barriers) per ack. append
		// moves the live window to a fresh array when the tail runs out
		// of room, which amortises to a pointer copy or so per delivery.
		ch.settled -= i
		clear(ch.unacked[:i])
		ch.unacked = ch.unacked[i:]
		if len(ch.unacked) == 0 {
			ch.unacked = ch.unacked[:0:0] // let the old array go
		}
	}
	if ch.settled > 64 && ch.settled*2 > len(ch.unacked) {
		live := ch.unacked[:0]
		for _, p := range ch.unacked {
			if !p.done {
				live = append(live, p)
			}
		}
		clear(ch.unacked[len(live):])
		ch.unacked = live
		ch.settled = 0
	}
}

// takeAll removes every unacked delivery (channel close, basic.recover).
func (ch *channel) takeAll() []*pending {
	out, _ := ch.take(0, true, false)
	return out
}

// settle finishes deliveries: acked (gone), or nacked/rejected with or
// without requeue. Queues whose consumers got room are re-dispatched.
func settle(ps []*pending, ack, requeue bool) {
	if ack && sameQueue(ps) {
		// the common case (one basic.ack, or a multiple ack of one
		// consumer's deliveries): no grouping needed
		var n int64
		for _, p := range ps {
			n += int64(len(p.e.msg.body))
			p.q.unstore(p.e.msg)
		}
		q := ps[0].q
		if q.stream == nil { // a stream keeps what was acked
			q.v.s.memAdd(-n)
		}
		q.kick()
		return
	}
	byQueue := map[*queue][]*entry{}
	var order []*queue
	for _, p := range ps {
		if _, ok := byQueue[p.q]; !ok {
			order = append(order, p.q)
		}
		byQueue[p.q] = append(byQueue[p.q], p.e)
	}
	for _, q := range order {
		es := byQueue[q]
		if ack {
			var n int64
			for _, e := range es {
				n += int64(len(e.msg.body))
				q.unstore(e.msg)
			}
			if q.stream == nil {
				q.v.s.memAdd(-n)
			}
			q.kick()
			continue
		}
		q.requeue(es, requeue)
	}
}

// sameQueue reports whether ps is not empty and all from one queue.
func sameQueue(ps []*pending) bool {
	if len(ps) == 0 {
		return false
	}
	for _, p := range ps[1:] {
		if p.q != ps[0].q {
			return false
		}
	}
	return true
}

// cancelConsumers cancels the consumers of a deleted queue.
func cancelConsumers(cs []*consumer) {
	for _, c := range cs {
		c.ch.cancelByServer(c)
	}
}

// cancelByServer drops a consumer whose queue was deleted and tells the
// client (basic.cancel) when it supports consumer_cancel_notify.
func (ch *channel) cancelByServer(cons *consumer) {
	ch.mu.Lock()
	_, ok := ch.consumers[cons.tag]
	delete(ch.consumers, cons.tag)
	ch.mu.Unlock()
	if ok && ch.conn.capCancel && !ch.closed.Load() {
		ch.conn.sendMethod(ch.id, &wire.BasicCancel{ConsumerTag: cons.tag, NoWait: true})
	}
}

// release ends the channel: consumers are cancelled, unacked messages go
// back to their queues (redelivered), auto-delete queues may go.
func (ch *channel) release() {
	ch.mu.Lock()
	ch.closed.Store(true)
	if ch.tick != nil {
		ch.tick.Stop()
		ch.tick = nil
	}
	cons := make([]*consumer, 0, len(ch.consumers))
	for _, c := range ch.consumers {
		cons = append(cons, c)
	}
	ch.consumers = map[string]*consumer{}
	ch.mu.Unlock()
	for _, c := range cons {
		c.q.removeConsumer(c)
	}
	ch.cancelReplyTo("")
	// requeue after cancelling, so the messages do not come straight back
	// to this channel
	settleAs(ch.takeAll(), false, true, EventRequeued, "channel closed")
	// so do the deliveries an uncommitted transaction had acked
	for _, a := range ch.txAcks {
		releaseRoom(ch, a.ps)
		settleAs(a.ps, false, true, EventRequeued, "channel closed")
	}
	for _, c := range cons {
		c.q.v.maybeAutoDelete(c.q)
	}
	ch.txPublishes, ch.txAcks = nil, nil
}

// channelError closes the channel with a soft error (channel.close), or
// the connection for a hard one.
func (c *conn) channelError(ch *channel, e *wire.Error, m wire.Method) {
	var classID, methodID uint16
	if m != nil {
		classID, methodID = m.ClassID(), m.MethodID()
	}
	if wire.IsHardError(e.Code) {
		c.connectionError(e, classID, methodID)
		return
	}
	c.s.log.Debug("channel error", "conn", c.id, "channel", ch.id, "code", e.Code, "text", e.Text)
	ch.closeSent = true
	ch.publish, ch.content = nil, nil
	c.sendMethod(ch.id, &wire.ChannelClose{ReplyCode: e.Code, ReplyText: e.Text, FailingClassID: classID, FailingMethodID: methodID})
	ch.release()
}

// handleChannelMethod runs a method received on a channel other than 0.
func (c *conn) handleChannelMethod(id uint16, m wire.Method) {
	c.mu.Lock()
	ch := c.channels[id]
	c.mu.Unlock()
	if ch == nil {
		if _, ok := m.(*wire.ChannelOpen); ok {
			// as in RabbitMQ, channel_max bounds how many channels are
			// open at once (those closing included), not their numbers
			c.mu.Lock()
			n := len(c.channels)
			if n >= int(c.channelMax) {
				c.mu.Unlock()
				c.connectionError(wire.Errorf(wire.NotAllowed, "number of channels opened (%d) has reached the negotiated channel_max (%d)", n, c.channelMax), 0, 0)
				return
			}
			ch = newChannel(c, id)
			c.channels[id] = ch
			c.mu.Unlock()
			c.sendMethod(id, &wire.ChannelOpenOk{})
			return
		}
		c.connectionError(wire.Errorf(wire.ChannelError, "expected 'channel.open'"), m.ClassID(), m.MethodID())
		return
	}
	if ch.closeSent {
		// after channel.close, RabbitMQ discards everything but close/close-ok.
		// A client's channel.close that crossed ours is answered, but the
		// channel stays "closing" until the client's close-ok for ours
		// comes: forgetting it now would make that close-ok a frame on an
		// unopened channel, and the whole connection would go (504).
		switch m.(type) {
		case *wire.ChannelCloseOk:
			c.removeChannel(id)
		case *wire.ChannelClose:
			c.sendMethod(id, &wire.ChannelCloseOk{})
		}
		return
	}
	if ch.publish != nil {
		if ch.content != nil {
			// the header came: RabbitMQ's assembler now wants body frames
			c.connectionError(wire.Errorf(wire.UnexpectedFrame, "expected content body, got non content body frame instead"), m.ClassID(), m.MethodID())
			return
		}
		c.connectionError(wire.Errorf(wire.UnexpectedFrame, "expected content header for class 60, got non content header frame instead"), m.ClassID(), m.MethodID())
		return
	}
	if err := ch.handle(m); err != nil {
		c.channelError(ch, err, m)
	}
}

func (c *conn) removeChannel(id uint16) {
	c.mu.Lock()
	delete(c.channels, id)
	c.mu.Unlock()
}

// handle dispatches a method to its class's handler.
func (ch *channel) handle(m wire.Method) *wire.Error {
	switch m.ClassID() {
	case 20:
		return ch.handleChannelClass(m)
	case 40:
		return ch.handleExchange(m)
	case 50:
		return ch.handleQueue(m)
	case 60:
		return ch.handleBasic(m)
	case 85:
		return ch.handleConfirm(m)
	case 90:
		return ch.handleTx(m)
	}
	return wire.Errorf(wire.CommandInvalid, "unknown method %s", m.Name())
}

func (ch *channel) kickConsumers() {
	ch.mu.Lock()
	var qs []*queue
	for _, cons := range ch.consumers {
		qs = appendQueue(qs, cons.q)
	}
	ch.mu.Unlock()
	for _, q := range qs {
		q.kick()
	}
}
