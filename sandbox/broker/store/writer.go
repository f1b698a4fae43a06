package store

import (
	"fmt"
	"os"
	"slices"
)

// writer is the one goroutine that writes the log: it takes everything
// queued, writes it, fsyncs once when someone waits for it (group
// commit), runs the callbacks, then reclaims dead segments.
func (s *Store) writer() {
	defer close(s.done)
	for {
		s.mu.Lock()
		for !s.closing && len(s.batch) == 0 && len(s.waiters) == 0 && len(s.sealed) == 0 && len(s.acks) == 0 && len(s.dirty) == 0 && !s.reclaimableLocked() {
			s.work.Wait()
		}
		closing := s.closing
		s.mu.Unlock()
		s.cycle(closing)
		s.reclaim()
		if closing {
			s.cycle(true)
			return
		}
	}
}

// cycle writes what is queued; it fsyncs when a callback waits or when
// force is set.
func (s *Store) cycle(force bool) {
	s.mu.Lock()
	s.flushAcksLocked()
	s.flushMarksLocked()
	chunks := s.sealed
	if len(s.batch) > 0 {
		chunks = append(chunks, chunk{seg: s.headSeg, data: s.batch})
	}
	s.sealed, s.batch = nil, nil
	waiters := s.waiters
	s.waiters = nil
	failed := s.err
	s.mu.Unlock()

	var n int64
	err := failed
	if err == nil {
		for _, c := range chunks {
			if err = s.writeChunk(c); err != nil {
				break
			}
			n += int64(len(c.data))
		}
		if err == nil && (len(waiters) > 0 || force) && s.file != nil {
			if err = s.file.Sync(); err != nil {
				err = fmt.Errorf("store: fsync %s: %w", s.file.Name(), err)
			}
		}
	}
	if err != nil && failed == nil {
		s.log.Error("persistent messages can no longer be written", "err", err)
	}
	for _, w := range waiters {
		w(err)
	}
	s.mu.Lock()
	if err != nil && s.err == nil {
		s.err = err
	}
	for _, c := range chunks {
		s.pending -= int64(len(c.data))
	}
	s.room.Broadcast()
	s.mu.Unlock()
}

func (s *Store) flushMarksLocked() {
	if len(s.dirty) == 0 {
		return
	}
	qs := make([]uint64, 0, len(s.dirty))
	for q := range s.dirty {
		qs = append(qs, q)
	}
	slices.Sort(qs)
	for _, q := range qs {
		id := s.marks[q]
		s.encodeLocked(func(b []byte) []byte { return appendMark(b, q, id) })
	}
	clear(s.dirty)
}

// writeChunk writes records to their segment, opening it (and fsyncing
// and closing the previous one) when it is a new one.
func (s *Store) writeChunk(c chunk) error {
	if s.file == nil || s.fileSeg != c.seg {
		if s.file != nil {
			if err := s.file.Sync(); err != nil {
				return fmt.Errorf("store: fsync %s: %w", s.file.Name(), err)
			}
			s.file.Close()
			s.file = nil
		}
		f, err := os.OpenFile(s.segPath(c.seg), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if _, err := f.WriteString(segMagic); err != nil {
			f.Close()
			return fmt.Errorf("store: write %s: %w", f.Name(), err)
		}
		// the new file's name must survive a crash as much as its records
		if err := syncDir(s.dir); err != nil {
			f.Close()
			return err
		}
		s.file, s.fileSeg = f, c.seg
	}
	if _, err := s.file.Write(c.data); err != nil {
		return fmt.Errorf("store: write %s: %w", s.file.Name(), err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: fsync %s: %w", dir, err)
	}
	return nil
}

// oldestLocked is the oldest segment that is not the head.
func (s *Store) oldestLocked() (uint64, bool) {
	var oldest uint64
	found := false
	for seg := range s.segs {
		if seg != s.headSeg && (!found || seg < oldest) {
			oldest, found = seg, true
		}
	}
	return oldest, found
}

// reclaimableLocked reports whether the oldest segment can go now: none
// of its messages is held any more, or the log is more than twice what it
// holds (plus two segments of slack), and copying the oldest one's live
// messages to the head is what lets the dead segments behind it go.
func (s *Store) reclaimableLocked() bool {
	if s.err != nil || s.closing {
		return false
	}
	seg, ok := s.oldestLocked()
	if !ok {
		return false
	}
	if s.segs[seg].live == 0 {
		return true
	}
	var bytes, live int64
	for _, si := range s.segs {
		bytes += si.bytes
		live += si.liveBytes
	}
	return len(s.segs) >= 3 && bytes > 2*live+2*s.opts.SegmentSize
}

// reclaim deletes the oldest segments while nothing in them is held; a
// mostly dead one first has its live messages copied to the head.
func (s *Store) reclaim() {
	for {
		s.mu.Lock()
		if !s.reclaimableLocked() {
			s.mu.Unlock()
			return
		}
		seg, _ := s.oldestLocked()
		live := s.segs[seg].live
		s.mu.Unlock()
		if live > 0 {
			if err := s.compact(seg); err != nil {
				s.log.Error("compacting the message log failed", "segment", s.segPath(seg), "err", err)
				s.mu.Lock()
				if s.err == nil {
					s.err = err
				}
				s.mu.Unlock()
				return
			}
			// the copies must be on disk before the originals go
			s.cycle(true)
		}
		if s.fileSeg == seg && s.file != nil {
			s.file.Close()
			s.file = nil
		}
		if err := os.Remove(s.segPath(seg)); err != nil && !os.IsNotExist(err) {
			s.log.Error("deleting a spent segment failed", "segment", s.segPath(seg), "err", err)
			return
		}
		s.mu.Lock()
		delete(s.segs, seg)
		s.mu.Unlock()
	}
}

// compact copies the messages of segment seg that are still held to the
// head of the log. Each copy is queued under mu after checking the message
// is still live, so an ack queued before it has already killed it and one
// queued after lands after the copy.
func (s *Store) compact(seg uint64) error {
	data, err := os.ReadFile(s.segPath(seg))
	if err != nil {
		return err
	}
	if len(data) < len(segMagic) || string(data[:len(segMagic)]) != segMagic {
		return fmt.Errorf("%s is not a segment file", s.segPath(seg))
	}
	rest := data[len(segMagic):]
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(rest) > 0 {
		body, next, err := nextRecord(rest)
		if err != nil {
			return fmt.Errorf("%s at byte %d: %w", s.segPath(seg), len(data)-len(rest), err)
		}
		rest = next
		if body[0] != recPublish {
			continue
		}
		p, err := parsePublish(body)
		if err != nil {
			return err
		}
		m, ok := s.live[p.id]
		if !ok || m.seg != seg {
			continue
		}
		s.flushAcksLocked()
		queues := m.queues
		size := s.encodeLocked(func(b []byte) []byte { return appendPublish(b, p.id, queues, p.payload) })
		old := s.segs[seg]
		old.live--
		old.liveBytes -= m.size
		m.seg, m.size = s.headSeg, size
		s.live[p.id] = m
		si := s.segLocked(s.headSeg)
		si.live++
		si.liveBytes += size
	}
	if s.segs[seg].live != 0 {
		return fmt.Errorf("%s: %d held messages were not found in it", s.segPath(seg), s.segs[seg].live)
	}
	return nil
}
