package broker

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// vhost holds one virtual host's exchanges, queues and bindings. Its
// RWMutex guards the topology: publishing routes under the read lock,
// declarations and deletions take the write lock.
type vhost struct {
	s    *Server
	name string

	mu        sync.RWMutex
	exchanges map[string]*exchange
	queues    map[string]*queue
	// bindingsTo indexes bindings by destination, so that deleting a queue or
	// an exchange removes the bindings pointing at it.
	bindingsTo map[destRef]map[bindingID]*binding
	replies    replyTargets           // direct reply-to consumers (replyto.go)
	tracer     atomic.Pointer[tracer] // the firehose, while tracing is on (trace.go)
}

type destRef struct {
	name       string
	toExchange bool
}

func newVHost(s *Server, name string) *vhost {
	v := &vhost{s: s, name: name, exchanges: map[string]*exchange{}, queues: map[string]*queue{}, bindingsTo: map[destRef]map[bindingID]*binding{}}
	for _, x := range []struct{ name, kind string }{
		{"", "direct"}, {"amq.direct", "direct"}, {"amq.fanout", "fanout"}, {"amq.topic", "topic"},
		{"amq.headers", "headers"}, {"amq.match", "headers"}, {"amq.rabbitmq.trace", "topic"},
	} {
		v.exchanges[x.name] = &exchange{name: x.name, kind: x.kind, durable: true, internal: x.name == "amq.rabbitmq.trace",
			router: newRouter(x.kind), bindings: map[bindingID]*binding{}, system: true}
	}
	return v
}

func (v *vhost) queueRes(name string) string {
	return fmt.Sprintf("queue '%s' in vhost '%s'", name, v.name)
}
func (v *vhost) exchangeRes(name string) string {
	return fmt.Sprintf("exchange '%s' in vhost '%s'", name, v.name)
}

func (v *vhost) noQueue(name string) *wire.Error {
	return wire.Errorf(wire.NotFound, "no queue '%s' in vhost '%s'", name, v.name)
}
func (v *vhost) noExchange(name string) *wire.Error {
	return wire.Errorf(wire.NotFound, "no exchange '%s' in vhost '%s'", name, v.name)
}
func (v *vhost) locked(name string) *wire.Error {
	return wire.Errorf(wire.ResourceLocked, "cannot obtain exclusive access to locked queue '%s' in vhost '%s'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.", name, v.name)
}

func (v *vhost) stopTimers() {
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, q := range v.queues {
		q.stopTimers()
	}
}

// queueDeclare declares (or, passive, checks) a queue for connection c and
// returns it with its ready-message and consumer counts.
func (v *vhost) queueDeclare(c *conn, name string, serverNamed, passive, durable, exclusive, autoDelete bool, args routing.Table) (*queue, int, int, *wire.Error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	defer v.persistTopologyLocked()
	q := v.queues[name]
	if q == nil && passive {
		return nil, 0, 0, v.noQueue(name)
	}
	if q != nil {
		if err := q.checkExclusive(c); err != nil {
			return nil, 0, 0, err
		}
		if !passive {
			if err := q.checkEquivalent(durable, exclusive, autoDelete, args); err != nil {
				return nil, 0, 0, err
			}
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
	qa, err := parseTypedQueueArgs(args, v.queueRes(name), serverNamed, durable, exclusive, autoDelete, v.s.v3)
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

// queueDelete deletes a queue for queue.delete. Its consumers are returned
// to be cancelled after queue.delete-ok, as RabbitMQ's channel sends the
// basic.cancel of a consumer on the deleting channel after the reply.
func (v *vhost) queueDelete(c *conn, name string, ifUnused, ifEmpty bool) (int, []*consumer, *wire.Error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	defer v.persistTopologyLocked()
	q := v.queues[name]
	if q == nil {
		return 0, nil, nil // RabbitMQ: deleting what does not exist succeeds
	}
	if err := q.checkExclusive(c); err != nil {
		return 0, nil, err
	}
	msgs, cons := q.counts()
	if ifUnused && cons > 0 {
		return 0, nil, wire.Errorf(wire.PreconditionFailed, "%s in use", v.queueRes(name))
	}
	if ifEmpty && msgs > 0 {
		return 0, nil, wire.Errorf(wire.PreconditionFailed, "%s not empty", v.queueRes(name))
	}
	n, cancelled := v.deleteQueueLocked(q)
	return n, cancelled, nil
}

// deleteQueueLocked removes q, its bindings (auto-deleting exchanges that
// lose their last one) and its consumers, which it returns for the caller
// to cancel. v.mu must be held for writing.
func (v *vhost) deleteQueueLocked(q *queue) (int, []*consumer) {
	if v.queues[q.name] != q {
		return 0, nil
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
	defer v.persistTopologyLocked()
	q.mu.Lock()
	stale := q.expiresGen != gen || len(q.consumers) > 0 || q.deleted
	q.mu.Unlock()
	if !stale {
		_, cancelled := v.deleteQueueLocked(q)
		cancelConsumers(cancelled)
	}
}

// maybeAutoDelete deletes an auto-delete queue whose last consumer is gone.
func (v *vhost) maybeAutoDelete(q *queue) {
	if !q.autoDelete {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	defer v.persistTopologyLocked()
	q.mu.Lock()
	gone := q.hadConsumer && len(q.consumers) == 0 && !q.deleted
	q.mu.Unlock()
	if gone {
		_, cancelled := v.deleteQueueLocked(q)
		cancelConsumers(cancelled)
	}
}

// deleteExclusive deletes the exclusive queues owned by a closing connection.
func (v *vhost) deleteExclusive(c *conn) {
	v.mu.Lock()
	defer v.mu.Unlock()
	defer v.persistTopologyLocked()
	for _, q := range v.queues {
		if q.exclusive && q.owner == c {
			_, cancelled := v.deleteQueueLocked(q)
			cancelConsumers(cancelled)
		}
	}
}
