package broker

import (
	"github.com/warrenmq/warren/sandbox/broker/wire"
)

// message is a published message. It is shared, read-only, by every queue
// it was routed to; dead-lettering makes a modified copy.
type message struct {
	exchange   string
	routingKey string
	props      wire.Properties
	body       []byte
	pid        uint64       // its id in the data directory's log; 0: in memory only (persist.go)
	trace      *traceSource // who published it, while its vhost is traced (trace.go)
	id         uint64       // its id for Options.OnMessage (observe.go); 0 without
}

// entry is one message's place in one queue.
type entry struct {
	msg         *message
	seq         uint64 // position in the queue: a requeued message goes back here
	redelivered bool
	expiresAt   int64 // unix nanoseconds; 0 never
	zeroTTL     bool  // TTL 0: delivered at once to a consumer or expired
	prio        uint8 // effective priority in a priority queue (x-max-priority)
	deliveries  int32 // quorum queues: times returned (x-delivery-count)
}

// before reports whether a goes ahead of b: higher priority first, then
// publish order.
func (a *entry) before(b *entry) bool {
	if a.prio != b.prio {
		return a.prio > b.prio
	}
	return a.seq < b.seq
}

// readyList is a queue's ready messages in delivery order (priority, then
// seq): appends at the tail, pops at the head, and requeues insert back at
// their original position.
type readyList struct {
	items    []*entry
	head     int
	priority bool // a priority queue: push inserts by priority
}

func (r *readyList) len() int { return len(r.items) - r.head }

func (r *readyList) front() *entry { return r.items[r.head] }

func (r *readyList) push(e *entry) {
	if r.priority && r.len() > 0 && e.before(r.items[len(r.items)-1]) {
		r.insert(e)
		return
	}
	r.items = append(r.items, e)
}

func (r *readyList) pop() *entry {
	e := r.items[r.head]
	r.items[r.head] = nil
	r.head++
	if r.head == len(r.items) {
		r.items = r.items[:0]
		r.head = 0
	} else if r.head > 1024 && r.head*2 > len(r.items) {
		n := copy(r.items, r.items[r.head:])
		clear(r.items[n:])
		r.items = r.items[:n]
		r.head = 0
	}
	return e
}

// insert puts e back at its seq position.
func (r *readyList) insert(e *entry) {
	live := r.items[r.head:]
	// requeues usually go to the front: search from there
	lo, hi := 0, len(live)
	for lo < hi {
		mid := (lo + hi) / 2
		if live[mid].before(e) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == 0 && r.head > 0 {
		r.head--
		r.items[r.head] = e
		return
	}
	pos := r.head + lo
	r.items = append(r.items, nil)
	copy(r.items[pos+1:], r.items[pos:])
	r.items[pos] = e
}

func (r *readyList) clear() []*entry {
	out := r.items[r.head:]
	r.items = nil
	r.head = 0
	return out
}
