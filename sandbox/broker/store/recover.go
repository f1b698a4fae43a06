package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// recover reads the definitions and replays every segment, oldest first,
// into the live set. The torn tail of the newest segment is cut off;
// anything wrong elsewhere is an error naming the file and byte.
func (s *Store) recover() (*Recovered, error) {
	rec := &Recovered{Queues: map[uint64][]Message{}}
	defs, err := os.ReadFile(filepath.Join(s.dir, definitionsFile))
	switch {
	case err == nil:
		rec.Definitions = defs
	case !os.IsNotExist(err):
		return nil, fmt.Errorf("data dir: %w", err)
	}
	segs, err := s.listSegments()
	if err != nil {
		return nil, err
	}
	for i, seg := range segs {
		last := i == len(segs)-1
		path := s.segPath(seg)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		if len(data) < len(segMagic) || string(data[:len(segMagic)]) != segMagic {
			if last && len(data) < len(segMagic) && bytes.HasPrefix([]byte(segMagic), data) {
				// created, and the crash came before its first write
				if err := os.Remove(path); err != nil {
					return nil, fmt.Errorf("data dir: %w", err)
				}
				rec.Truncated = true
				continue
			}
			return nil, fmt.Errorf("data dir: %s is not a Warren segment file (it does not start with %q); move it out of the data directory", path, strings.TrimSpace(segMagic))
		}
		s.segLocked(seg).bytes = int64(len(data))
		rest := data[len(segMagic):]
		for len(rest) > 0 {
			off := len(data) - len(rest)
			body, next, err := nextRecord(rest)
			if err == nil {
				err = s.replay(seg, body)
			}
			if err != nil {
				if !last {
					return nil, fmt.Errorf("data dir: %s is corrupt at byte %d (%v): it was complete when written, so the disk or another program changed it", path, off, err)
				}
				// the newest segment ends where a crash cut a write short
				if err := os.Truncate(path, int64(off)); err != nil {
					return nil, fmt.Errorf("data dir: cutting the torn end off %s: %w", path, err)
				}
				s.log.Warn("cut off the end of the message log that a crash left half-written", "segment", path, "at", off, "bytes", len(data)-off)
				s.segs[seg].bytes = int64(off)
				rec.Truncated = true
				break
			}
			rest = next
		}
		s.headSeg = seg + 1
	}
	for id, m := range s.live {
		for _, q := range m.queues {
			rec.Queues[q] = append(rec.Queues[q], Message{ID: id, Data: m.payload, Delivered: id <= s.marks[q]})
		}
		m.payload = nil
		s.live[id] = m
	}
	for _, ms := range rec.Queues {
		slices.SortFunc(ms, func(a, b Message) int {
			switch {
			case a.ID < b.ID:
				return -1
			case a.ID > b.ID:
				return 1
			}
			return 0
		})
	}
	for _, si := range s.segs {
		rec.Bytes += si.bytes
	}
	rec.Segments = len(s.segs)
	s.segLocked(s.headSeg).bytes = int64(len(segMagic))
	return rec, nil
}

// replay applies one record found in segment seg.
func (s *Store) replay(seg uint64, body []byte) error {
	switch body[0] {
	case recPublish:
		p, err := parsePublish(body)
		if err != nil {
			return err
		}
		size := int64(recHeaderSize + len(body))
		if old, ok := s.live[p.id]; ok {
			// a copy made by compaction: it holds the queues of its time
			s.dropLocked(p.id, old)
		}
		// the payload stays a slice of the segment's bytes: no copy per
		// message (compaction keeps the dead part of segments small)
		s.live[p.id] = liveMsg{seg: seg, size: size, queues: p.queues, payload: p.payload}
		si := s.segLocked(seg)
		si.live++
		si.liveBytes += size
		s.nextID = max(s.nextID, p.id)
	case recAck:
		return parseAcks(body, func(r ref) {
			m, ok := s.live[r.id]
			if !ok {
				return
			}
			if i := slices.Index(m.queues, r.queue); i >= 0 {
				m.queues = slices.Delete(m.queues, i, i+1)
				if len(m.queues) == 0 {
					s.dropLocked(r.id, m)
				} else {
					s.live[r.id] = m
				}
			}
		})
	case recMark:
		q, id, err := parseMark(body)
		if err != nil {
			return err
		}
		s.marks[q] = max(s.marks[q], id)
	default:
		return fmt.Errorf("unknown record kind %d", body[0])
	}
	return nil
}

func (s *Store) listSegments() ([]uint64, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	var segs []uint64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".seg")
		if !ok || len(name) != 16 {
			continue
		}
		seg, err := strconv.ParseUint(name, 16, 64)
		if err != nil {
			continue
		}
		segs = append(segs, seg)
	}
	slices.Sort(segs)
	return segs, nil
}
