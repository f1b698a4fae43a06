package broker

import (
	"fmt"
	"sync"
	"time"

	"github.com/warrenmq/warren/sandbox/broker/store"
	"github.com/warrenmq/warren/sandbox/broker/wire"
)

// Persistence (Options.DataDir): durable exchanges, queues and bindings go
// to definitions.json (persist_defs.go); persistent messages (delivery
// mode 2, and every message of a quorum queue) routed to durable queues go
// to the store's log, and their publisher confirm waits for the fsync
// (persist_confirm.go). What a queue stops holding (ack, expiry, drop,
// dead-letter, purge) is acked in the store; a delivery moves the queue's
// delivery mark, so that after a restart what may have been delivered
// comes back redelivered. Streams keep their messages in memory only.

// diskState is a server's data directory. Its mu guards the definitions
// and queue ids; it is taken under vhost.mu.
type diskState struct {
	st  *store.Store
	dir string

	mu          sync.Mutex
	nextQueueID uint64
	defs        map[string]vhostDefs
	recovering  bool
}

// openDisk opens the data directory and brings back what it holds. It runs
// in Start, before the listener opens, so no client sees a half-recovered
// broker.
func (s *Server) openDisk() error {
	if s.opts.DataDir == "" {
		s.log.Info("no data directory: exchanges, queues and messages live in memory only and are gone when the broker stops (give it a data dir to keep them)")
		return nil
	}
	began := time.Now()
	st, rec, err := store.Open(s.opts.DataDir, store.Options{Logger: s.log})
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	d := &diskState{st: st, dir: s.opts.DataDir, defs: map[string]vhostDefs{}, recovering: true}
	s.disk = d
	n, err := s.recoverDisk(rec)
	d.recovering = false
	if err != nil {
		st.Close()
		s.disk = nil
		return fmt.Errorf("broker: data dir %s: %w", s.opts.DataDir, err)
	}
	// save what was recovered at once: a queue id the log names but the
	// definitions do not (a queue deleted before the crash) is forgotten
	known := map[uint64]bool{}
	d.mu.Lock()
	for _, v := range s.access.Load().vhosts {
		v.mu.RLock()
		snap := v.snapshotLocked()
		v.mu.RUnlock()
		d.defs[v.name] = snap
		for _, q := range snap.queues {
			known[q.ID] = true
		}
	}
	err = d.saveLocked(s)
	d.mu.Unlock()
	if err != nil {
		st.Close()
		s.disk = nil
		return fmt.Errorf("broker: data dir %s: %w", s.opts.DataDir, err)
	}
	for qid := range rec.Queues {
		if !known[qid] {
			st.Forget(qid)
		}
	}
	s.log.Info("recovered the data directory", "dir", s.opts.DataDir, "messages", n,
		"segments", rec.Segments, "bytes", rec.Bytes, "took", time.Since(began).Round(time.Millisecond), "torn_tail_cut", rec.Truncated)
	return nil
}

// recoverDisk declares the saved topology and refills the durable queues.
func (s *Server) recoverDisk(rec *store.Recovered) (int, error) {
	if rec.Definitions == nil {
		return 0, nil
	}
	defs, err := parseDefinitions(rec.Definitions)
	if err != nil {
		return 0, err
	}
	s.disk.nextQueueID = defs.NextQueueID
	for _, vd := range defs.VHosts {
		if err := s.PutVHost(vd.Name); err != nil {
			return 0, fmt.Errorf("vhost %q: %w", vd.Name, err)
		}
	}
	// users and permissions given at start (Options) win over saved ones
	for _, u := range defs.Users {
		if _, ok := s.LookupUser(u.Name); ok {
			continue
		}
		u.Password = ""
		if err := s.PutUser(u); err != nil {
			return 0, err
		}
	}
	for _, p := range defs.Permissions {
		if _, ok := s.LookupPermission(p.User, p.VHost); ok {
			continue
		}
		if err := s.SetPermission(p); err != nil {
			return 0, fmt.Errorf("permission of %q on %q: %w", p.User, p.VHost, err)
		}
	}
	vh := func(name string) (*vhost, error) {
		if v := s.lookupVHost(name); v != nil {
			return v, nil
		}
		return nil, fmt.Errorf("definitions.json names vhost %q, which it does not list", name)
	}
	for _, x := range defs.Exchanges {
		v, err := vh(x.VHost)
		if err != nil {
			return 0, err
		}
		args, err := decodeArgs(x.Arguments)
		if err != nil {
			return 0, fmt.Errorf("exchange %q: arguments: %w", x.Name, err)
		}
		if werr := v.exchangeDeclare(&wire.ExchangeDeclare{Exchange: x.Name, Type: x.Type, Durable: true,
			AutoDelete: x.AutoDelete, Internal: x.Internal, Arguments: args}); werr != nil {
			return 0, fmt.Errorf("exchange %q: %s", x.Name, werr.Text)
		}
	}
	n := 0
	for _, qd := range defs.Queues {
		v, err := vh(qd.VHost)
		if err != nil {
			return 0, err
		}
		args, err := decodeArgs(qd.Arguments)
		if err != nil {
			return 0, fmt.Errorf("queue %q: arguments: %w", qd.Name, err)
		}
		q, _, _, werr := v.queueDeclare(nil, qd.Name, false, false, true, false, qd.AutoDelete, args)
		if werr != nil {
			return 0, fmt.Errorf("queue %q: %s", qd.Name, werr.Text)
		}
		q.storeID = qd.ID
		s.disk.nextQueueID = max(s.disk.nextQueueID, qd.ID)
		k, err := q.restore(rec.Queues[qd.ID])
		if err != nil {
			return 0, fmt.Errorf("queue %q: %w", qd.Name, err)
		}
		n += k
	}
	for _, b := range defs.Bindings {
		v, err := vh(b.VHost)
		if err != nil {
			return 0, err
		}
		args, err := decodeArgs(b.Arguments)
		if err != nil {
			return 0, fmt.Errorf("binding of %q to %q: arguments: %w", b.Source, b.Destination, err)
		}
		if werr := v.bind(nil, b.Source, b.Destination, b.DestinationType == "exchange", b.RoutingKey, args, false); werr != nil {
			return 0, fmt.Errorf("binding of %q to %q: %s", b.Source, b.Destination, werr.Text)
		}
	}
	return n, nil
}

// restore puts recovered messages back in the queue, in their order, as
// ready messages; those that may have been delivered are redelivered.
func (q *queue) restore(ms []store.Message) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.v.s.nowNano()
	for _, sm := range ms {
		m, published, err := decodePayload(sm.Data)
		if err != nil {
			return 0, fmt.Errorf("message %d: %w", sm.ID, err)
		}
		m.pid = sm.ID
		e := &entry{msg: m, seq: q.nextSeq, redelivered: sm.Delivered}
		q.nextSeq++
		if q.qa.maxPriority >= 0 {
			e.prio = uint8(min(int64(m.props.Priority), q.qa.maxPriority))
		}
		ttl := q.qa.messageTTL
		if perMsg, perr := parseExpiration(m.props.Expiration); perr == nil && perMsg >= 0 && (ttl < 0 || perMsg < ttl) {
			ttl = perMsg
		}
		if ttl >= 0 {
			e.expiresAt = max(published+ttl*int64(time.Millisecond), 1)
		}
		q.ready.push(e)
		q.readyBytes += int64(len(m.body))
		q.v.s.memAdd(int64(len(m.body)))
	}
	q.armTTL(now)
	return len(ms), nil
}

// persistent reports whether m is stored for q: a durable queue's
// persistent message, or any message of a quorum queue (RabbitMQ's quorum
// queues keep every message on disk).
func (q *queue) persistent(m *message) bool {
	return q.storeID != 0 && q.stream == nil && (m.props.DeliveryMode == 2 || q.qa.kind == quorumQueue)
}

// storeLocked appends m to the log when some of queues keeps it on disk,
// before any of them can deliver it (an ack must never precede its
// publish in the log). v.mu must be held (read).
func (v *vhost) storeLocked(m *message, queues []*queue) {
	d := v.s.disk
	if d == nil {
		return
	}
	var buf [8]uint64
	ids := buf[:0]
	for _, q := range queues {
		if q.persistent(m) && !containsID(ids, q.storeID) {
			ids = append(ids, q.storeID)
		}
	}
	if len(ids) == 0 {
		return
	}
	payload, err := encodePayload(m, v.s.nowNano())
	if err == nil {
		m.pid, err = d.st.Append(ids, payload, nil)
	}
	if err != nil {
		v.s.log.Error("a persistent message could not be stored: it is held in memory only", "err", err)
		m.pid = 0
	}
}

func containsID(ids []uint64, id uint64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// unstore tells the store that q no longer holds m: acked, expired,
// dropped, dead-lettered, purged or refused.
func (q *queue) unstore(m *message) {
	if m.pid != 0 && q.storeID != 0 {
		q.v.s.disk.st.Ack(q.storeID, m.pid)
	}
}

// delivered moves q's delivery mark over m: after a restart it comes back
// redelivered unless it was acked.
func (q *queue) delivered(m *message) {
	if m.pid != 0 && q.storeID != 0 {
		q.v.s.disk.st.Delivered(q.storeID, m.pid)
	}
}

// closeDisk writes what is queued and closes the data directory; it runs
// once every connection is gone.
func (s *Server) closeDisk() {
	if s.disk == nil {
		return
	}
	if err := s.disk.st.Close(); err != nil {
		s.log.Error("closing the data directory", "err", err)
	}
}
