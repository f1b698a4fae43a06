package broker

import (
	"sync"
	"time"

	"github.com/warrenmq/warren/sandbox/broker/clock"
	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// queue is a queue and its messages. Its mutex guards the ready messages
// and the consumers; a delivery is decided and handed to the consumer's
// connection under it, so deliveries leave in queue order.
type queue struct {
	v          *vhost
	name       string
	durable    bool
	exclusive  bool
	autoDelete bool
	owner      *conn // the declaring connection, for an exclusive queue
	args       routing.Table
	qa         queueArgs
	stream     *streamLog // a stream's log (stream.go); nil for other queues
	storeID    uint64     // its messages' queue id in the data directory; 0: not persisted (persist.go)

	mu                sync.Mutex
	ready             readyList
	readyBytes        int64
	nextSeq           uint64
	consumers         []*consumer
	rr                int // round-robin position among consumers
	hadConsumer       bool
	exclusiveConsumer bool
	prioritised       bool // some consumer has an x-priority
	deleted           bool
	// publisher flow control (flow.go)
	flow         chan struct{} // closed to let held publishers go
	progress     uint64        // messages that left the ready list to a consumer
	stalled      bool          // a held publisher saw no progress for a stall period
	ttlTimer     clock.Timer
	ttlAt        int64
	expiresTimer clock.Timer
	expiresGen   uint64
	// at-least-once dead-lettering (deadletter_held.go)
	held      []*heldDeadLetter
	heldBytes int64
	heldRetry clock.Timer
}

func newQueue(v *vhost, name string, durable, exclusive, autoDelete bool, owner *conn, args routing.Table, qa queueArgs) *queue {
	q := &queue{v: v, name: name, durable: durable, exclusive: exclusive, autoDelete: autoDelete, args: args, qa: qa}
	q.ready.priority = qa.maxPriority >= 0
	if qa.kind == streamQueue {
		q.stream = &streamLog{}
	}
	if exclusive {
		q.owner = owner
	}
	return q
}

// enqueue adds a routed message. It reports false when x-overflow
// reject-publish(-dlx) refused it. Callers hold v.mu (read).
// When from (the publishing connection; nil for dead-lettering) should
// wait for the queue to drain, gate is the channel to wait on (flow.go).
func (q *queue) enqueue(m *message, perMsgTTL int64, now int64, from *conn) (ok bool, dls []deadLetter, gate chan struct{}) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return true, nil, nil
	}
	size := int64(len(m.body))
	if q.stream != nil {
		q.v.s.memAdd(size)
		q.v.s.memAdd(-q.stream.append(m, q.v.s.nowNano(), &q.qa))
		q.dispatchStreamLocked()
		return true, nil, nil
	}
	// a classic queue refuses what would take it past its limit; a quorum
	// queue (rabbit_fifo) refuses once it is over it, so it holds one more
	over := q.overLimit(1, size)
	if q.qa.kind == quorumQueue {
		over = q.overLimit(0, 0)
	}
	if q.qa.overflow != "drop-head" && over {
		if q.qa.overflow == "reject-publish-dlx" {
			dls = append(dls, deadLetter{q: q, e: &entry{msg: m}, reason: "maxlen"})
		}
		return false, dls, nil
	}
	e := &entry{msg: m, seq: q.nextSeq}
	q.nextSeq++
	if q.qa.maxPriority >= 0 {
		e.prio = uint8(min(int64(m.props.Priority), q.qa.maxPriority))
	}
	ttl := q.qa.messageTTL
	if perMsgTTL >= 0 && (ttl < 0 || perMsgTTL < ttl) {
		ttl = perMsgTTL
	}
	if ttl == 0 {
		e.zeroTTL = true
	} else if ttl > 0 {
		e.expiresAt = now + ttl*int64(time.Millisecond)
	}
	q.ready.push(e)
	q.readyBytes += size
	q.v.s.memAdd(size)
	// drop-head: make room by dropping (dead-lettering) the oldest
	for q.qa.overflow == "drop-head" && q.overLimit(0, 0) && q.ready.len() > 0 {
		old := q.ready.pop()
		q.discard(old)
		dls = append(dls, deadLetter{q: q, e: old, reason: "maxlen"})
	}
	dls = q.dispatchLocked(now, dls)
	return true, dls, q.flowGateLocked(from)
}

// overLimit reports whether the queue would exceed x-max-length or
// x-max-length-bytes with n more messages of size more bytes.
func (q *queue) overLimit(n int, more int64) bool {
	// held dead letters count, as in rabbit_fifo's is_over_limit
	if q.qa.maxLength >= 0 && int64(q.ready.len()+len(q.held)+n) > q.qa.maxLength {
		return true
	}
	if q.qa.maxLengthBytes >= 0 && q.readyBytes+q.heldBytes+more > q.qa.maxLengthBytes {
		return true
	}
	return false
}

// removed accounts a ready message that left the queue (delivered, dropped,
// dead-lettered).
func (q *queue) removed(e *entry) {
	q.readyBytes -= int64(len(e.msg.body))
	if q.flow != nil {
		q.flowReleaseLocked()
	}
}

// discard accounts a ready message that left the broker's custody
// (dropped, expired, dead-lettered: a dead-lettered copy counts anew).
func (q *queue) discard(e *entry) {
	q.removed(e)
	q.v.s.memAdd(-int64(len(e.msg.body)))
	q.unstoreDead(e.msg)
}

// dispatchLocked hands ready messages to consumers with room, round-robin,
// and expires messages at the head whose TTL has passed.
func (q *queue) dispatchLocked(now int64, dls []deadLetter) []deadLetter {
	if q.stream != nil {
		q.dispatchStreamLocked()
		return dls
	}
	for q.ready.len() > 0 {
		e := q.ready.front()
		if e.expiresAt != 0 && e.expiresAt <= now {
			q.ready.pop()
			q.discard(e)
			dls = append(dls, deadLetter{q: q, e: e, reason: "expired"})
			continue
		}
		c := q.nextConsumer()
		if c == nil {
			break
		}
		q.ready.pop()
		if !c.ch.deliver(c, e) {
			c.active.Store(false) // cancelled meanwhile: hasRoom is now false
			q.ready.insert(e)
			continue
		}
		q.removed(e)
		q.progress++
		q.stalled = false
		if c.noAck {
			q.v.s.memAdd(-int64(len(e.msg.body)))
			q.unstore(e.msg)
		} else {
			q.delivered(e.msg)
		}
	}
	// TTL 0: what no consumer took at once expires now
	for q.ready.len() > 0 && q.ready.front().zeroTTL {
		e := q.ready.pop()
		q.discard(e)
		dls = append(dls, deadLetter{q: q, e: e, reason: "expired"})
	}
	q.armTTL(now)
	return dls
}

// armTTL makes sure a timer fires when the head message expires.
func (q *queue) armTTL(now int64) {
	var at int64
	if q.ready.len() > 0 {
		at = q.ready.front().expiresAt
	}
	if at == 0 || q.deleted {
		if q.ttlTimer != nil {
			q.ttlTimer.Stop()
			q.ttlAt = 0
		}
		return
	}
	if at == q.ttlAt {
		return
	}
	q.ttlAt = at
	d := time.Duration(at - now)
	if q.ttlTimer != nil {
		q.ttlTimer.Stop()
	}
	q.ttlTimer = q.v.s.goTimer(d, func() { q.kickAfter(true) })
}

// kick re-runs dispatch (and expiry): after an ack made room, a TTL timer
// fired, or a connection's outgoing backlog drained.
func (q *queue) kick() { q.kickAfter(false) }

func (q *queue) kickAfter(ttlFired bool) {
	v := q.v
	v.mu.RLock()
	defer v.mu.RUnlock()
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return
	}
	if ttlFired {
		q.ttlAt = 0 // a fired timer is spent
	}
	dls := q.dispatchLocked(v.s.nowNano(), nil)
	q.mu.Unlock()
	v.deadLetterLocked(dls)
}

// requeue puts unacknowledged messages back at their original positions,
// marked redelivered, or (requeue false) dead-letters or drops them.
func (q *queue) requeue(es []*entry, requeue bool) {
	v := q.v
	v.mu.RLock()
	defer v.mu.RUnlock()
	q.mu.Lock()
	if q.stream != nil {
		// a stream keeps its messages: a nack, a reject or a closed
		// channel only gives the consumer its room back
		if !q.deleted {
			q.dispatchStreamLocked()
		}
		q.mu.Unlock()
		return
	}
	var dls []deadLetter
	for _, e := range es {
		if q.deleted {
			q.v.s.memAdd(-int64(len(e.msg.body)))
			continue
		}
		if !requeue {
			q.v.s.memAdd(-int64(len(e.msg.body)))
			q.unstoreDead(e.msg)
			dls = append(dls, deadLetter{q: q, e: e, reason: "rejected"})
			continue
		}
		if q.qa.kind == quorumQueue {
			e.deliveries++
			if q.qa.deliveryLimit >= 0 && int64(e.deliveries) > q.qa.deliveryLimit {
				// a poison message: returned more often than allowed
				q.v.s.memAdd(-int64(len(e.msg.body)))
				q.unstoreDead(e.msg)
				dls = append(dls, deadLetter{q: q, e: e, reason: "delivery_limit"})
				continue
			}
		}
		e.redelivered = true
		q.ready.insert(e)
		q.readyBytes += int64(len(e.msg.body))
	}
	if !q.deleted {
		dls = q.dispatchLocked(v.s.nowNano(), dls)
	}
	q.mu.Unlock()
	v.deadLetterLocked(dls)
}

// get takes the head message for basic.get; nil when the queue is empty.
func (q *queue) get(now int64) (*entry, int, []deadLetter) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.touchExpires()
	var dls []deadLetter
	for q.ready.len() > 0 {
		e := q.ready.pop()
		q.removed(e)
		if (e.expiresAt != 0 && e.expiresAt <= now) || e.zeroTTL {
			q.v.s.memAdd(-int64(len(e.msg.body)))
			q.unstoreDead(e.msg)
			dls = append(dls, deadLetter{q: q, e: e, reason: "expired"})
			continue
		}
		q.progress++
		q.stalled = false
		q.armTTL(now)
		return e, q.ready.len(), dls
	}
	q.armTTL(now)
	return nil, 0, dls
}

func (q *queue) counts() (messages, consumers int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.ready.len(), len(q.consumers)
}

func (q *queue) purge() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.ready.len()
	for _, e := range q.ready.clear() {
		q.v.s.memAdd(-int64(len(e.msg.body)))
		q.unstore(e.msg)
	}
	q.readyBytes = 0
	q.flowReleaseLocked()
	q.armTTL(0)
	return n
}

// touchExpires restarts the x-expires countdown: the queue was used.
func (q *queue) touchExpires() {
	if q.qa.expires <= 0 || q.deleted {
		return
	}
	q.expiresGen++
	if q.expiresTimer != nil {
		q.expiresTimer.Stop()
		q.expiresTimer = nil
	}
	if len(q.consumers) > 0 {
		return // a queue with consumers is in use: no countdown
	}
	gen := q.expiresGen
	q.expiresTimer = q.v.s.goTimer(time.Duration(q.qa.expires)*time.Millisecond, func() {
		q.v.expireQueue(q, gen)
	})
}

func (q *queue) stopTimers() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.heldRetry != nil {
		q.heldRetry.Stop()
	}
	if q.ttlTimer != nil {
		q.ttlTimer.Stop()
	}
	if q.expiresTimer != nil {
		q.expiresTimer.Stop()
	}
}

// markDeleted empties a deleted queue and drops its consumers. It returns
// the number of ready messages and the consumers, for the caller to cancel
// (cancelConsumers) once it has answered the method that deleted the queue.
func (q *queue) markDeleted() (int, []*consumer) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return 0, nil
	}
	q.deleted = true
	if q.stream != nil {
		q.v.s.memAdd(-q.stream.bytes)
		q.stream = &streamLog{}
	}
	n := q.ready.len()
	for _, e := range q.ready.clear() {
		q.v.s.memAdd(-int64(len(e.msg.body)))
	}
	q.readyBytes = 0
	q.flowReleaseLocked()
	if q.ttlTimer != nil {
		q.ttlTimer.Stop()
	}
	if q.expiresTimer != nil {
		q.expiresTimer.Stop()
	}
	q.dropHeldLocked()
	cons := q.consumers
	q.consumers = nil
	return n, cons
}

// checkEquivalent compares a redeclaration with the queue as declared,
// with RabbitMQ's reply texts.
func (q *queue) checkEquivalent(durable, exclusive, autoDelete bool, args routing.Table) *wire.Error {
	what := q.v.queueRes(q.name)
	switch {
	case q.durable != durable:
		return inequivalent("durable", what, durable, q.durable)
	case q.exclusive != exclusive:
		return q.v.locked(q.name)
	case q.autoDelete != autoDelete:
		return inequivalent("auto_delete", what, autoDelete, q.autoDelete)
	}
	return checkArgEquivalence(queueEquivalenceArgs, q.args, args, what)
}

// checkExclusive refuses access to another connection's exclusive queue.
func (q *queue) checkExclusive(c *conn) *wire.Error {
	if q.exclusive && q.owner != c {
		return q.v.locked(q.name)
	}
	return nil
}
