package sandbox

import (
	"context"
	"fmt"
	"sync"
	"time"
)

var timeNow = time.Now

// Knowing, without sleeping, that every delivery of a message has arrived.
//
// Settle(ctx, queues) works per queue. For a queue on which this Session has
// exactly one running auto-ack consumer, and the broker counts exactly one
// consumer, it publishes a sentinel to the queue through the default
// exchange (routing key = the queue's name, type "warren.settle", never
// shown as an Event) and waits until that consumer has received it. A queue
// is FIFO and one consumer receives in order on its channel, so everything
// published (and confirmed) before the sentinel has been received by then.
//
// Other queues (several consumers, a paused or manual-ack one, consumers of
// other connections) cannot be settled that way: a sentinel could be
// dispatched to another consumer, or wait behind unacked messages. For
// those, WaitDelivered waits for the deliveries the caller expects, bounded
// by the caller's context. Settleable tells the two kinds apart.

// seenLog remembers the last deliveries per message id, for the player.
type seenLog struct {
	mu      sync.Mutex
	limit   int
	ids     []string // oldest first
	byID    map[string][]Delivery
	changed chan struct{} // closed and replaced on every add
	seq     uint64        // the last Delivery.Seq given
}

func newSeenLog(limit int) *seenLog {
	return &seenLog{limit: limit, byID: map[string][]Delivery{}, changed: make(chan struct{})}
}

// add records d, giving it its Seq.
func (l *seenLog) add(dp *Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	dp.Seq = l.seq
	d := *dp
	if d.MessageID == "" {
		return
	}
	if _, ok := l.byID[d.MessageID]; !ok {
		l.ids = append(l.ids, d.MessageID)
		if len(l.ids) > l.limit {
			delete(l.byID, l.ids[0])
			l.ids = l.ids[1:]
		}
	}
	l.byID[d.MessageID] = append(l.byID[d.MessageID], d)
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *seenLog) get(id string) ([]Delivery, chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Delivery(nil), l.byID[id]...), l.changed
}

// Seen returns the deliveries this Session's consumers received of the
// message with that id (the last 4096 message ids are remembered), in
// arrival order. Redeliveries appear again.
func (s *Session) Seen(messageID string) []Delivery {
	d, _ := s.seen.get(messageID)
	return d
}

// WaitDelivered waits until the message has been received at least once
// from each of the queues, by any consumer of this Session; a queue listed
// n times, n times (redeliveries, or several consumers of one queue). It returns ctx's
// error (give it a timeout) if that does not happen, or ErrDisconnected.
func (s *Session) WaitDelivered(ctx context.Context, messageID string, queues []string) error {
	for {
		got, changed := s.seen.get(messageID)
		missing := missingQueues(got, queues)
		if len(missing) == 0 {
			return nil
		}
		l, err := s.current()
		if err != nil {
			return err
		}
		select {
		case <-changed:
		case <-l.dead:
			return ErrDisconnected
		case <-ctx.Done():
			return fmt.Errorf("message %s not received from %v: %w", messageID, missing, ctx.Err())
		}
	}
}

func missingQueues(got []Delivery, want []string) []string {
	var missing []string
	used := make([]bool, len(got))
	for _, q := range want {
		found := false
		for i, d := range got {
			if d.Queue == q && !used[i] {
				used[i], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, q)
		}
	}
	return missing
}

// Settleable reports whether Settle can settle the queue: this Session has
// exactly one consumer on it, running, with auto ack.
func (s *Session) Settleable(queue string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settleableLocked(queue)
}

func (s *Session) settleableLocked(queue string) bool {
	n := 0
	ok := false
	for _, c := range s.consumers {
		if c.spec.Queue == queue {
			n++
			ok = c.state == ConsumerRunning && c.spec.Ack == AutoAck
		}
	}
	return n == 1 && ok
}

// Settle waits until everything published and confirmed before the call
// has been received by this Session's consumer on each settleable queue
// (see Settleable); other queues are skipped. Sentinels go out on all the
// queues first, then Settle waits for them all.
func (s *Session) Settle(ctx context.Context, queues []string) error {
	_, err := s.SettleQueues(ctx, queues)
	return err
}

// SettleQueues is Settle, and also returns the queues it could not settle
// (in the order given): wait for those with WaitDelivered.
func (s *Session) SettleQueues(ctx context.Context, queues []string) (unsettled []string, err error) {
	l, err := s.current()
	if err != nil {
		return queues, err
	}
	type pending struct {
		queue string
		seen  chan struct{}
		conf  chan confirmResult
		pub   *publisher
		id    string
	}
	var waits []pending
	defer func() {
		for _, w := range waits {
			s.sentinels.Delete(w.id)
		}
	}()
	for _, q := range queues {
		if !s.Settleable(q) {
			unsettled = append(unsettled, q)
			continue
		}
		// Another connection's consumer (or one of ours the broker has not
		// yet forgotten after a reconnect) could take the sentinel.
		st, err := s.QueueStats(ctx, q)
		if err != nil {
			return queues, err
		}
		if st.Consumers != 1 {
			unsettled = append(unsettled, q)
			continue
		}
		id := fmt.Sprintf("warren-settle-%d", s.sentSeq.Add(1))
		seen := make(chan struct{})
		s.sentinels.Store(id, seen)
		conf, pub, err := l.send(ctx, Publishing{RoutingKey: q, MessageID: id, Mandatory: true}, sentinelType)
		if err != nil {
			s.sentinels.Delete(id)
			return queues, fmt.Errorf("settle queue %s: %w", q, err)
		}
		waits = append(waits, pending{q, seen, conf, pub, id})
	}
	for _, w := range waits {
		r, err := l.await(ctx, w.pub, w.conf)
		if err != nil {
			return queues, fmt.Errorf("settle queue %s: %w", w.queue, err)
		}
		if r.returned != nil {
			return queues, fmt.Errorf("settle queue %s: the sentinel was returned (%d %s): the queue does not exist", w.queue, r.returned.ReplyCode, r.returned.ReplyText)
		}
	}
	for _, w := range waits {
		select {
		case <-w.seen:
		case <-l.dead:
			return queues, ErrDisconnected
		case <-ctx.Done():
			return queues, fmt.Errorf("settle queue %s: sentinel not received: %w", w.queue, ctx.Err())
		}
	}
	return unsettled, nil
}

func (s *Session) sentinelSeen(id string) {
	if v, ok := s.sentinels.LoadAndDelete(id); ok {
		close(v.(chan struct{}))
	}
}
