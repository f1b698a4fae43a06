package broker

import (
	"crypto/rand"
	"encoding/base64"
	"sync/atomic"

	"github.com/warrenmq/warren/sandbox/broker/wire"
)

// consumer is a basic.consume subscription.
type consumer struct {
	tag       string
	ch        *channel
	q         *queue
	noAck     bool
	exclusive bool
	prefetch  int32 // 0: unlimited
	priority  int64 // x-priority: higher goes first while it has room
	offset    int64 // a stream consumer's next offset; guarded by q.mu
	unacked   atomic.Int32
	// active is set once the consumer is registered on its channel (after
	// consume-ok was queued) and cleared when it is cancelled.
	active atomic.Bool
}

// hasRoom reports whether the consumer may be given another message now.
func (c *consumer) hasRoom() bool {
	ch := c.ch
	if !c.active.Load() || ch.closed.Load() || ch.conn.backlogged() {
		return false
	}
	if c.noAck {
		return true
	}
	if c.prefetch > 0 && c.unacked.Load() >= c.prefetch {
		return false
	}
	if g := ch.globalPrefetch.Load(); g > 0 && ch.unackedTotal.Load() >= g {
		return false
	}
	return true
}

func consumerTag() string {
	var b [16]byte
	rand.Read(b[:])
	return "amq.ctag-" + base64.RawURLEncoding.EncodeToString(b[:])
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

func (q *queue) nextConsumer() *consumer {
	if q.qa.singleActive {
		// the oldest consumer is the active one; the others wait their turn
		if len(q.consumers) > 0 && q.consumers[0].hasRoom() {
			return q.consumers[0]
		}
		return nil
	}
	n := len(q.consumers)
	if q.prioritised {
		return q.nextByPriority()
	}
	for i := 0; i < n; i++ {
		idx := (q.rr + i) % n
		if c := q.consumers[idx]; c.hasRoom() {
			q.rr = (idx + 1) % n
			return c
		}
	}
	return nil
}

// nextByPriority is nextConsumer with consumer priorities: round-robin
// among the highest-priority consumers that have room.
func (q *queue) nextByPriority() *consumer {
	n := len(q.consumers)
	best, found := int64(0), false
	for _, c := range q.consumers {
		if (!found || c.priority > best) && c.hasRoom() {
			best, found = c.priority, true
		}
	}
	if !found {
		return nil
	}
	for i := 0; i < n; i++ {
		idx := (q.rr + i) % n
		if c := q.consumers[idx]; c.priority == best && c.hasRoom() {
			q.rr = (idx + 1) % n
			return c
		}
	}
	return nil
}
