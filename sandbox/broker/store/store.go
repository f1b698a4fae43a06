package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// Options tune a Store; the zero value is what the broker uses.
type Options struct {
	// SegmentSize is the size past which the log starts a new segment
	// file; 64 MiB by default.
	SegmentSize int64
	// MaxPending is how many bytes of records may wait for the disk
	// before Throttle holds the caller; 64 MiB by default.
	MaxPending int64
	// Logger hears about recovery and write errors.
	Logger *slog.Logger
}

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("store: closed")

// Store is a data directory's message log and definitions. See the package
// documentation for the design.
type Store struct {
	dir  string
	opts Options
	log  *slog.Logger
	lock *os.File // held (flock) while the store is open

	mu   sync.Mutex
	work *sync.Cond // the writer waits on it for something to do
	room *sync.Cond // Throttle waits on it for the backlog to shrink

	nextID   uint64
	headSeg  uint64 // the segment new records go to
	headSize int64  // its size once everything queued is written
	batch    []byte // records for headSeg not yet handed to the writer
	sealed   []chunk
	acks     []ref // acks not yet encoded into batch (one record for a run)
	waiters  []func(error)
	pending  int64 // bytes queued and not yet written
	marks    map[uint64]uint64
	dirty    map[uint64]struct{} // queues whose mark changed since written
	live     map[uint64]liveMsg
	segs     map[uint64]*segInfo
	err      error // sticky: the first write error
	closing  bool
	closed   bool
	done     chan struct{}

	// the writer's own state
	file    *os.File
	fileSeg uint64
}

// chunk is records for one segment, handed to the writer.
type chunk struct {
	seg  uint64
	data []byte
}

// liveMsg is a message some queue still holds (a value in Store.live: a
// million of them are a million fewer objects for the GC to scan).
type liveMsg struct {
	seg     uint64
	size    int64    // its record's size
	queues  []uint64 // the queues still holding it
	payload []byte   // only while Open recovers: a slice of the segment read
}

type segInfo struct {
	live      int   // messages in it still held
	liveBytes int64 // their records' size
	bytes     int64 // the file's size
}

// Message is a persistent message found by Open.
type Message struct {
	ID   uint64
	Data []byte // the payload given to Append (shared by the queues holding it)
	// Delivered is set when the message may have been delivered before
	// the restart: it comes back redelivered.
	Delivered bool
}

// Recovered is what Open found in the data directory.
type Recovered struct {
	// Definitions are the bytes last given to SaveDefinitions; nil when
	// there are none.
	Definitions []byte
	// Queues holds each queue's messages in publish order, by queue id.
	Queues map[uint64][]Message
	// Segments and Bytes describe the log as found.
	Segments int
	Bytes    int64
	// Truncated is set when a torn tail (a crash mid-write) was cut off.
	Truncated bool
}

// Stats describe the log now.
type Stats struct {
	Messages  int   // messages held by some queue
	Segments  int   // segment files
	Bytes     int64 // their size on disk
	LiveBytes int64 // the size of the records of held messages
}

func (o *Options) setDefaults() {
	if o.SegmentSize <= 0 {
		o.SegmentSize = 64 << 20
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 64 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Open opens (creating it if needed) the data directory dir, reads back
// what it holds and starts the writer. Only one Store may have a directory
// open at a time; a second Open fails saying so.
func Open(dir string, opts Options) (*Store, *Recovered, error) {
	opts.setDefaults()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("data dir: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, nil, err
	}
	s := &Store{
		dir: dir, opts: opts, log: opts.Logger, lock: lock,
		marks: map[uint64]uint64{}, dirty: map[uint64]struct{}{},
		live: map[uint64]liveMsg{}, segs: map[uint64]*segInfo{},
		done: make(chan struct{}),
	}
	s.work = sync.NewCond(&s.mu)
	s.room = sync.NewCond(&s.mu)
	rec, err := s.recover()
	if err != nil {
		lock.Close()
		return nil, nil, err
	}
	s.nextID++
	s.headSize = int64(len(segMagic))
	s.writeMarksLocked()
	go s.writer()
	return s, rec, nil
}

func (s *Store) segPath(seg uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%016x.seg", seg))
}

// Append queues a message held by the given queues (at least one) and
// returns its id. done is called once, from the writer goroutine, when the
// record is on disk (err nil) or cannot be written. Append never waits for
// the disk; see Throttle.
func (s *Store) Append(queues []uint64, payload []byte, done func(error)) (uint64, error) {
	if len(queues) == 0 || len(queues) > 1<<16-1 {
		return 0, fmt.Errorf("store: a message must be held by 1 to 65535 queues, not %d", len(queues))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return 0, ErrClosed
	}
	if s.err != nil {
		return 0, s.err
	}
	s.flushAcksLocked()
	id := s.nextID
	s.nextID++
	size := s.encodeLocked(func(b []byte) []byte { return appendPublish(b, id, queues, payload) })
	s.live[id] = liveMsg{seg: s.headSeg, size: size, queues: slices.Clone(queues)}
	si := s.segLocked(s.headSeg)
	si.live++
	si.liveBytes += size
	if done != nil {
		s.waiters = append(s.waiters, done)
	}
	s.work.Signal()
	return id, nil
}

// After calls done, from the writer goroutine, once everything queued
// before it is on disk: a publisher confirm that must not overtake an
// earlier one waits here.
func (s *Store) After(done func(error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return ErrClosed
	}
	if s.err != nil {
		return s.err
	}
	s.waiters = append(s.waiters, done)
	s.work.Signal()
	return nil
}

// encodeLocked appends a record to the batch, starting a new segment
// first when the head one is full, and returns the record's size.
func (s *Store) encodeLocked(enc func([]byte) []byte) int64 {
	before := len(s.batch)
	s.batch = enc(s.batch)
	size := int64(len(s.batch) - before)
	if s.headSize+size > s.opts.SegmentSize && s.headSize > int64(len(segMagic)) {
		rec := slices.Clone(s.batch[before:])
		s.batch = s.batch[:before]
		s.rotateLocked()
		s.batch = append(s.batch, rec...)
	}
	s.headSize += size
	s.pending += size
	s.segLocked(s.headSeg).bytes += size
	return size
}

// rotateLocked seals the head segment's batch and starts the next segment,
// which begins with every queue's delivery mark so that older segments can
// be deleted without losing one.
func (s *Store) rotateLocked() {
	s.sealed = append(s.sealed, chunk{seg: s.headSeg, data: s.batch})
	s.batch = nil
	s.headSeg++
	s.headSize = int64(len(segMagic))
	s.segLocked(s.headSeg).bytes = int64(len(segMagic))
	s.writeMarksLocked()
}

func (s *Store) writeMarksLocked() {
	qs := make([]uint64, 0, len(s.marks))
	for q := range s.marks {
		qs = append(qs, q)
	}
	slices.Sort(qs)
	for _, q := range qs {
		id := s.marks[q]
		// encoded directly: a mark record never triggers a rotation
		before := len(s.batch)
		s.batch = appendMark(s.batch, q, id)
		size := int64(len(s.batch) - before)
		s.headSize += size
		s.pending += size
		s.segLocked(s.headSeg).bytes += size
	}
	clear(s.dirty)
}

func (s *Store) segLocked(seg uint64) *segInfo {
	si := s.segs[seg]
	if si == nil {
		si = &segInfo{}
		s.segs[seg] = si
	}
	return si
}

// Ack records that queue no longer holds message id (acked, dropped,
// expired, dead-lettered, purged). It is written with the next batch but
// waits for no fsync. An id the store does not hold is ignored.
func (s *Store) Ack(queue, id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ackLocked(queue, id) {
		s.work.Signal()
	}
}

// AckAll is Ack for many messages at once.
func (s *Store) AckAll(queue uint64, ids []uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	any := false
	for _, id := range ids {
		any = s.ackLocked(queue, id) || any
	}
	if any {
		s.work.Signal()
	}
}

func (s *Store) ackLocked(queue, id uint64) bool {
	m, ok := s.live[id]
	if !ok || s.closing {
		return false
	}
	i := slices.Index(m.queues, queue)
	if i < 0 {
		return false
	}
	m.queues = slices.Delete(m.queues, i, i+1)
	if len(m.queues) == 0 {
		s.dropLocked(id, m)
	} else {
		s.live[id] = m
	}
	s.acks = append(s.acks, ref{queue: queue, id: id})
	return true
}

func (s *Store) dropLocked(id uint64, m liveMsg) {
	delete(s.live, id)
	si := s.segs[m.seg]
	si.live--
	si.liveBytes -= m.size
}

// flushAcksLocked encodes the acks gathered so far as one record: it runs
// before any other record is encoded, so records stay in call order.
func (s *Store) flushAcksLocked() {
	if len(s.acks) == 0 {
		return
	}
	acks := s.acks
	s.encodeLocked(func(b []byte) []byte { return appendAcks(b, acks) })
	s.acks = s.acks[:0]
}

// Delivered records that queue has delivered messages up to id: after a
// restart they come back redelivered. Cheap: only the highest id per queue
// is written, with the next batch.
func (s *Store) Delivered(queue, id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id > s.marks[queue] {
		s.marks[queue] = id
		s.dirty[queue] = struct{}{}
	}
}

// Forget drops every message of a deleted queue. No record is written:
// the broker's definitions, saved before, no longer name the queue, and
// Open only returns the messages the broker asks for by queue id.
func (s *Store) Forget(queue uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, m := range s.live {
		if i := slices.Index(m.queues, queue); i >= 0 {
			m.queues = slices.Delete(m.queues, i, i+1)
			if len(m.queues) == 0 {
				s.dropLocked(id, m)
			} else {
				s.live[id] = m
			}
		}
	}
	delete(s.marks, queue)
	delete(s.dirty, queue)
	s.work.Signal() // reclaim what is dead now
}

// Throttle waits while more than Options.MaxPending bytes wait for the
// disk: a publisher that calls it after each Append is slowed to the
// disk's pace instead of filling memory. Call it without locks held.
func (s *Store) Throttle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.pending > s.opts.MaxPending && s.err == nil && !s.closed {
		s.room.Wait()
	}
}

// Stats reports the log's size now.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Messages: len(s.live), Segments: len(s.segs)}
	for _, si := range s.segs {
		st.Bytes += si.bytes
		st.LiveBytes += si.liveBytes
	}
	return st
}

// Close writes and fsyncs everything queued, stops the writer and
// releases the directory. It may be called more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return s.err
	}
	s.closing = true
	s.work.Signal()
	s.mu.Unlock()
	<-s.done
	s.mu.Lock()
	s.closed = true
	s.room.Broadcast()
	err := s.err
	s.mu.Unlock()
	if s.file != nil {
		if cerr := s.file.Close(); err == nil {
			err = cerr
		}
	}
	s.lock.Close()
	return err
}
