package broker

import (
	"slices"
	"time"
)

// At-least-once dead-lettering, as quorum queues have it
// (x-dead-letter-strategy: at-least-once, with x-overflow: reject-publish
// and a dead-letter exchange; rabbit_fifo_dlx and its worker): a dead
// letter stays in its queue, counted against x-max-length and
// x-max-length-bytes but never delivered, until every queue the
// dead-letter exchange routes it to has taken it. One that cannot be
// placed (no such exchange, no route, a target that refuses it with its
// own reject-publish, or only targets that would close a cycle) is tried
// again every deadLetterRetry on the broker's clock, as RabbitMQ's worker
// does every dead_letter_worker_publisher_confirm_timeout. With a data
// directory it stays on disk in its queue until then; after a crash it
// comes back as a ready message of that queue (at least once: it may be
// dead-lettered again). Deleting the queue drops what it holds.

// deadLetterRetry is RabbitMQ's dead_letter_worker_publisher_confirm_timeout.
const deadLetterRetry = 3 * time.Minute

// heldDeadLetter is a dead letter waiting to be taken by its targets.
type heldDeadLetter struct {
	src     *entry   // the message as it was in its queue
	m       *message // the dead-lettered copy, x-death recorded once
	keys    []string // the routing keys to route it with
	settled []*queue // the targets that took it
	reason  string
}

// deadLetterHeld forwards a dead letter of an at-least-once queue, and
// holds it in its queue when not every target took it. It returns the
// dead letters the targets made (their own overflow). v.mu is held (read).
func (v *vhost) deadLetterHeld(d deadLetter, now time.Time) []deadLetter {
	q := d.q
	h := &heldDeadLetter{src: d.e, reason: d.reason}
	h.m, h.keys = deadLettered(d.e.msg, q, d.reason, now)
	more, done := v.forwardHeld(q, h, now.UnixNano())
	if done {
		q.unstore(d.e.msg)
		return more
	}
	size := int64(len(h.src.msg.body))
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		q.unstore(d.e.msg)
		return more
	}
	q.held = append(q.held, h)
	q.heldBytes += size
	q.v.s.memAdd(size)
	if q.heldRetry == nil {
		q.heldRetry = v.s.goTimer(deadLetterRetry, q.retryHeld)
	}
	return more
}

// forwardHeld routes h from q's dead-letter exchange to the targets that
// have not taken it yet, and reports whether it is now placed. v.mu is
// held (read); no queue lock.
func (v *vhost) forwardHeld(q *queue, h *heldDeadLetter, now int64) (dls []deadLetter, done bool) {
	x := v.exchanges[*q.qa.dlx]
	if x == nil {
		return nil, false
	}
	var targets []*queue
	for _, t := range v.route(x, h.keys, h.m.props.Headers, nil) {
		if isDeadLetterCycle(h.m.props.Headers, t.name) || slices.Contains(h.settled, t) {
			continue
		}
		targets = append(targets, t)
	}
	if len(targets) == 0 {
		if len(h.settled) == 0 {
			v.s.observe(MessageEvent{Kind: EventDeadLettered, VHost: v.name, Queue: q.name, Reason: h.reason + "; held: nothing to route it to",
				Exchange: h.m.exchange, RoutingKey: h.m.routingKey}, h.m)
		}
		return nil, len(h.settled) > 0
	}
	// a copy for each attempt: the store gives each its own id, and the
	// targets that took an earlier one keep theirs
	m := *h.m
	m.pid = 0
	v.s.observe(MessageEvent{Kind: EventDeadLettered, VHost: v.name, Queue: q.name, Reason: h.reason,
		Exchange: m.exchange, RoutingKey: m.routingKey, Queues: queueNames(targets)}, &m)
	v.storeLocked(&m, targets)
	done = true
	for _, t := range targets {
		ok, more, _ := t.enqueue(&m, -1, now, nil)
		dls = append(dls, more...)
		if ok {
			h.settled = append(h.settled, t)
		} else {
			t.unstore(&m)
			done = false
		}
	}
	return dls, done
}

// retryHeld tries the queue's held dead letters again (the retry timer).
func (q *queue) retryHeld() {
	v := q.v
	v.mu.RLock()
	defer v.mu.RUnlock()
	q.mu.Lock()
	q.heldRetry = nil
	if q.deleted {
		q.mu.Unlock()
		return
	}
	// they stay in q.held meanwhile: still counted against the limits
	held := slices.Clone(q.held)
	q.mu.Unlock()
	now := v.s.nowNano()
	var dls []deadLetter
	var placed []*heldDeadLetter
	for _, h := range held {
		more, done := v.forwardHeld(q, h, now)
		dls = append(dls, more...)
		if done {
			placed = append(placed, h)
		}
	}
	q.mu.Lock()
	if !q.deleted {
		q.held = slices.DeleteFunc(q.held, func(h *heldDeadLetter) bool {
			if !slices.Contains(placed, h) {
				return false
			}
			size := int64(len(h.src.msg.body))
			q.heldBytes -= size
			q.v.s.memAdd(-size)
			q.unstore(h.src.msg)
			return true
		})
		if len(q.held) > 0 && q.heldRetry == nil {
			q.heldRetry = v.s.goTimer(deadLetterRetry, q.retryHeld)
		}
		if len(placed) > 0 {
			// room under x-max-length again: publishers may go on
			q.flowReleaseLocked()
		}
	}
	q.mu.Unlock()
	v.deadLetterLocked(dls)
}

// dropHeldLocked forgets the held dead letters of a deleted queue.
// Called under q.mu.
func (q *queue) dropHeldLocked() {
	q.v.s.memAdd(-q.heldBytes)
	q.held, q.heldBytes = nil, 0
	if q.heldRetry != nil {
		q.heldRetry.Stop()
		q.heldRetry = nil
	}
}

// unstoreDead is unstore for a message leaving q by dead-lettering: an
// at-least-once queue keeps it on disk until its targets took it.
func (q *queue) unstoreDead(m *message) {
	if !q.qa.atLeastOnce {
		q.unstore(m)
	}
}
