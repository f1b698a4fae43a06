package broker

import (
	"strings"
	"time"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// queueDeclare declares (or, passive, checks) a queue for connection c and
// returns it with its ready-message and consumer counts.
func (v *vhost) queueDeclare(c *conn, name string, serverNamed, passive, durable, exclusive, autoDelete bool, args routing.Table) (*queue, int, int, *wire.Error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	q := v.queues[name]
	if passive {
		if q == nil {
			return nil, 0, 0, v.noQueue(name)
		}
		if err := q.checkExclusive(c); err != nil {
			return nil, 0, 0, err
		}
		q.mu.Lock()
		q.touchExpires()
		q.mu.Unlock()
		msgs, cons := q.counts()
		return q, msgs, cons, nil
	}
	if q != nil {
		if err := q.checkExclusive(c); err != nil {
			return nil, 0, 0, err
		}
		what := v.queueRes(name)
		switch {
		case q.durable != durable:
			return nil, 0, 0, inequivalent("durable", what, durable, q.durable)
		case q.exclusive != exclusive:
			return nil, 0, 0, v.locked(name)
		case q.autoDelete != autoDelete:
			return nil, 0, 0, inequivalent("auto_delete", what, autoDelete, q.autoDelete)
		}
		if err := checkArgEquivalence(queueEquivalenceArgs, q.args, args, what); err != nil {
			return nil, 0, 0, err
		}
		q.mu.Lock()
		q.touchExpires()
		q.mu.Unlock()
		msgs, cons := q.counts()
		return q, msgs, cons, nil
	}
	if strings.HasPrefix(name, "amq.") && !serverNamed {
		return nil, 0, 0, wire.Errorf(wire.AccessRefused, "queue name '%s' contains reserved prefix 'amq.*'", name)
	}
	qa, err := parseQueueArgs(args, v.queueRes(name))
	if err != nil {
		return nil, 0, 0, err
	}
	q = newQueue(v, name, durable, exclusive, autoDelete, c, args, qa)
	v.queues[name] = q
	q.mu.Lock()
	q.touchExpires()
	q.mu.Unlock()
	return q, 0, 0, nil
}

// checkExclusive refuses access to another connection's exclusive queue.
func (q *queue) checkExclusive(c *conn) *wire.Error {
	if q.exclusive && q.owner != c {
		return q.v.locked(q.name)
	}
	return nil
}

// lookupQueue finds a queue c may use.
func (v *vhost) lookupQueue(c *conn, name string) (*queue, *wire.Error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	q := v.queues[name]
	if q == nil {
		return nil, v.noQueue(name)
	}
	if err := q.checkExclusive(c); err != nil {
		return nil, err
	}
	return q, nil
}

func (v *vhost) queueDelete(c *conn, name string, ifUnused, ifEmpty bool) (int, *wire.Error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	q := v.queues[name]
	if q == nil {
		return 0, nil // RabbitMQ: deleting what does not exist succeeds
	}
	if err := q.checkExclusive(c); err != nil {
		return 0, err
	}
	msgs, cons := q.counts()
	if ifUnused && cons > 0 {
		return 0, wire.Errorf(wire.PreconditionFailed, "%s in use", v.queueRes(name))
	}
	if ifEmpty && msgs > 0 {
		return 0, wire.Errorf(wire.PreconditionFailed, "%s not empty", v.queueRes(name))
	}
	return v.deleteQueueLocked(q), nil
}

// deleteQueueLocked removes q, its bindings (auto-deleting exchanges that
// lose their last one) and its consumers. v.mu must be held for writing.
func (v *vhost) deleteQueueLocked(q *queue) int {
	if v.queues[q.name] != q {
		return 0
	}
	delete(v.queues, q.name)
	ref := destRef{q.name, false}
	for _, b := range v.bindingsTo[ref] {
		v.removeBindingLocked(b)
	}
	delete(v.bindingsTo, ref)
	return q.markDeleted()
}

// expireQueue deletes a queue whose x-expires passed unused.
func (v *vhost) expireQueue(q *queue, gen uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	q.mu.Lock()
	stale := q.expiresGen != gen || len(q.consumers) > 0 || q.deleted
	q.mu.Unlock()
	if !stale {
		v.deleteQueueLocked(q)
	}
}

// maybeAutoDelete deletes an auto-delete queue whose last consumer is gone.
func (v *vhost) maybeAutoDelete(q *queue) {
	if !q.autoDelete {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	q.mu.Lock()
	gone := q.hadConsumer && len(q.consumers) == 0 && !q.deleted
	q.mu.Unlock()
	if gone {
		v.deleteQueueLocked(q)
	}
}

// deleteExclusive deletes the exclusive queues owned by a closing connection.
func (v *vhost) deleteExclusive(c *conn) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, q := range v.queues {
		if q.exclusive && q.owner == c {
			v.deleteQueueLocked(q)
		}
	}
}

// addConsumer subscribes c to q.
func (q *queue) addConsumer(cons *consumer) *wire.Error {
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return q.v.noQueue(q.name)
	}
	if q.exclusiveConsumer || (cons.exclusive && len(q.consumers) > 0) {
		q.mu.Unlock()
		return wire.Errorf(wire.AccessRefused, "%s in exclusive use", q.v.queueRes(q.name))
	}
	q.consumers = append(q.consumers, cons)
	if cons.priority != 0 {
		q.prioritised = true
	}
	q.hadConsumer = true
	q.exclusiveConsumer = cons.exclusive
	q.touchExpires()
	q.mu.Unlock()
	return nil
}

// removeConsumer unsubscribes; the caller then calls maybeAutoDelete.
func (q *queue) removeConsumer(cons *consumer) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, c := range q.consumers {
		if c == cons {
			q.consumers = append(q.consumers[:i:i], q.consumers[i+1:]...)
			if q.rr > i {
				q.rr--
			}
			if q.rr >= len(q.consumers) {
				q.rr = 0
			}
			if cons.exclusive {
				q.exclusiveConsumer = false
			}
			break
		}
	}
	if len(q.consumers) == 0 {
		q.touchExpires()
		q.flowReleaseLocked() // nothing drains the queue now
	}
}

// publish routes m from exchange and enqueues it. It reports whether any
// queue received it (routed), and whether a queue refused it
// (x-overflow reject-publish: a confirm nack). hold is set when the
// publishing connection from should now wait for a queue to drain.
func (v *vhost) publish(exchange string, m *message, from *conn) (routed, rejected bool, hold flowHold, err *wire.Error) {
	ttl, err := parseExpiration(m.props.Expiration)
	if err != nil {
		return false, false, hold, err
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	x := v.exchanges[exchange]
	if x == nil {
		return false, false, hold, v.noExchange(exchange)
	}
	if x.internal {
		return false, false, hold, wire.Errorf(wire.AccessRefused, "cannot publish to internal %s", v.exchangeRes(exchange))
	}
	var keyBuf [1]string
	keys := routingKeys(m, keyBuf[:0])
	var buf [8]*queue
	queues := v.route(x, keys, m.props.Headers, buf[:0])
	if len(queues) == 0 {
		return false, false, hold, nil
	}
	now := time.Now().UnixNano()
	var dls []deadLetter
	for _, q := range queues {
		ok, d, gate := q.enqueue(m, ttl, now, from)
		if !ok {
			rejected = true
		}
		if gate != nil && hold.gate == nil {
			// one queue at a time: the next publish finds the others
			hold = flowHold{q: q, gate: gate}
		}
		dls = append(dls, d...)
	}
	v.deadLetterLocked(dls)
	return true, rejected, hold, nil
}

// flowHold is a queue a publisher should wait for, and the channel to wait
// on (flow.go).
type flowHold struct {
	q    *queue
	gate chan struct{}
}

// routingKeys are the message's routing key plus the CC and BCC headers
// (sender-selected distribution); BCC is removed from what is delivered.
// buf is where to put them (the caller's stack: no allocation for the
// usual single key).
func routingKeys(m *message, buf []string) []string {
	keys := append(buf, m.routingKey)
	h := m.props.Headers
	if h == nil {
		return keys
	}
	_, hasCC := h["CC"]
	_, hasBCC := h["BCC"]
	if !hasCC && !hasBCC {
		return keys
	}
	for _, k := range []string{"CC", "BCC"} {
		if arr, ok := h[k].([]any); ok {
			for _, e := range arr {
				if s, ok := text(e); ok {
					keys = append(keys, s)
				}
			}
		}
	}
	if hasBCC {
		nh := make(routing.Table, len(h))
		for k, val := range h {
			if k != "BCC" {
				nh[k] = val
			}
		}
		m.props.Headers = nh
	}
	return keys
}

// checkPublishable reports the error publishing to exchange would raise.
func (v *vhost) checkPublishable(exchange string) *wire.Error {
	v.mu.RLock()
	defer v.mu.RUnlock()
	x := v.exchanges[exchange]
	if x == nil {
		return v.noExchange(exchange)
	}
	if x.internal {
		return wire.Errorf(wire.AccessRefused, "cannot publish to internal %s", v.exchangeRes(exchange))
	}
	return nil
}
