package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func open(t *testing.T, dir string, opts Options) (*Store, *Recovered) {
	t.Helper()
	s, rec, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s, rec
}

// appendSync appends and waits for the record to be on disk.
func appendSync(t *testing.T, s *Store, payload string, queues ...uint64) uint64 {
	t.Helper()
	done := make(chan error, 1)
	id, err := s.Append(queues, []byte(payload), func(err error) { done <- err })
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Append's callback: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Append's callback never came")
	}
	return id
}

func payloads(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, string(m.Data))
	}
	return out
}

func TestRoundTripKeepsWhatIsHeldInOrder(t *testing.T) {
	dir := t.TempDir()
	s, rec := open(t, dir, Options{})
	if len(rec.Queues) != 0 || rec.Definitions != nil {
		t.Fatalf("a new directory recovered %+v", rec)
	}
	var ids []uint64
	for i := range 6 {
		ids = append(ids, appendSync(t, s, fmt.Sprintf("m%d", i), 1))
	}
	both := appendSync(t, s, "both", 1, 2)
	s.Ack(1, ids[0])
	s.AckAll(1, []uint64{ids[2], ids[3]})
	s.Ack(2, both)
	s.Ack(1, 999) // unknown: ignored
	s.Delivered(1, ids[4])
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, rec := open(t, dir, Options{})
	got := payloads(rec.Queues[1])
	want := []string{"m1", "m4", "m5", "both"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("queue 1 came back with %v, want %v", got, want)
	}
	if len(rec.Queues[2]) != 0 {
		t.Fatalf("queue 2 acked its copy but came back with %v", payloads(rec.Queues[2]))
	}
	for _, m := range rec.Queues[1] {
		if wantDelivered := m.ID <= ids[4]; m.Delivered != wantDelivered {
			t.Errorf("%s: Delivered=%v, want %v (delivered through m4)", m.Data, m.Delivered, wantDelivered)
		}
	}
	// new ids continue after the recovered ones
	if id := appendSync(t, s2, "after", 1); id <= both {
		t.Fatalf("id %d after a restart is not above %d", id, both)
	}
}

// TestConfirmedIsOnDiskWithoutClose copies the data directory while the
// store is still open, as a kill -9 would leave it: every record whose
// callback ran is in the copy.
func TestConfirmedIsOnDiskWithoutClose(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, dir, Options{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	confirmed := map[string]bool{}
	for p := range 4 {
		wg.Go(func() {
			for i := range 200 {
				name := fmt.Sprintf("p%d-%d", p, i)
				done := make(chan error, 1)
				if _, err := s.Append([]uint64{7}, []byte(name), func(err error) { done <- err }); err != nil {
					t.Error(err)
					return
				}
				if err := <-done; err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				confirmed[name] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	crash := t.TempDir()
	copyDir(t, dir, crash)
	_, rec := open(t, crash, Options{})
	found := map[string]bool{}
	for _, m := range rec.Queues[7] {
		found[string(m.Data)] = true
	}
	for name := range confirmed {
		if !found[name] {
			t.Fatalf("confirmed message %s is not in the copy", name)
		}
	}
	if len(found) != 800 {
		t.Fatalf("found %d messages, want 800", len(found))
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() == "LOCK" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

func lastSegment(t *testing.T, dir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(m) == 0 {
		t.Fatal("no segment file")
	}
	return m[len(m)-1]
}

func TestTornTailIsCutOff(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, dir, Options{})
	appendSync(t, s, "kept", 1)
	s.Close()
	seg := lastSegment(t, dir)
	f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// half a record: a length that promises more than follows
	f.Write([]byte{0, 0, 1, 0, 1, 2, 3, 4, recPublish, 9})
	f.Close()
	_, rec := open(t, dir, Options{})
	if !rec.Truncated {
		t.Fatal("a torn tail was not reported")
	}
	if got := payloads(rec.Queues[1]); len(got) != 1 || got[0] != "kept" {
		t.Fatalf("recovered %v, want [kept]", got)
	}
}

func TestCorruptOlderSegmentIsAnError(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, dir, Options{})
	appendSync(t, s, "one", 1)
	s.Close()
	seg := lastSegment(t, dir)
	// a newer segment makes this one an older, complete one
	s, _ = open(t, dir, Options{})
	appendSync(t, s, "two", 1)
	s.Close()
	b, _ := os.ReadFile(seg)
	b[len(b)-1] ^= 0xff // flip a payload byte: the CRC no longer matches
	os.WriteFile(seg, b, 0o640)
	_, _, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "corrupt at byte") || !strings.Contains(err.Error(), filepath.Base(seg)) {
		t.Fatalf("Open of a corrupt segment: %v, want an error naming the file and byte", err)
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	dir := t.TempDir()
	open(t, dir, Options{})
	_, _, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "in use by another broker") {
		t.Fatalf("second Open: %v", err)
	}
}

func TestSpentSegmentsAreDeletedAndCompacted(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, dir, Options{SegmentSize: 4 << 10})
	body := strings.Repeat("x", 500)
	var keep []uint64
	for i := range 400 {
		id := appendSync(t, s, fmt.Sprintf("%03d%s", i, body), 3)
		if i%50 == 0 {
			keep = append(keep, id) // a lagging few stay in old segments
		} else {
			s.Ack(3, id)
		}
	}
	// a last synced publish writes the acks and lets the writer reclaim
	keep = append(keep, appendSync(t, s, "last", 3))
	if st := s.Stats(); st.Messages != len(keep) {
		t.Fatalf("stats say %d messages held, want %d", st.Messages, len(keep))
	}
	s.Close() // the writer reclaims once more before it stops
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) > 6 {
		t.Fatalf("%d segments left for %d held messages of 500 bytes in 4 KiB segments", len(segs), len(keep))
	}
	_, rec := open(t, dir, Options{SegmentSize: 4 << 10})
	var got []uint64
	for _, m := range rec.Queues[3] {
		got = append(got, m.ID)
	}
	if fmt.Sprint(got) != fmt.Sprint(keep) {
		t.Fatalf("after compaction recovered ids %v, want %v", got, keep)
	}
}

func TestForgetDropsAQueuesMessages(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, dir, Options{})
	appendSync(t, s, "a", 1)
	appendSync(t, s, "shared", 1, 2)
	s.Forget(1)
	if got := s.Stats().Messages; got != 1 {
		t.Fatalf("%d messages held after forgetting queue 1, want 1 (shared, held by 2)", got)
	}
	s.Close()
	_, rec := open(t, dir, Options{})
	// the log still names queue 1: the broker forgets it again at start
	if got := payloads(rec.Queues[2]); len(got) != 1 || got[0] != "shared" {
		t.Fatalf("queue 2 recovered %v", got)
	}
}

func TestDefinitionsAreReplacedWhole(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, dir, Options{})
	for _, d := range []string{`{"v":1}`, `{"v":2}`} {
		if err := s.SaveDefinitions([]byte(d)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	_, rec := open(t, dir, Options{})
	if string(rec.Definitions) != `{"v":2}` {
		t.Fatalf("definitions %q", rec.Definitions)
	}
}

func TestAppendAfterCloseFails(t *testing.T) {
	s, _ := open(t, t.TempDir(), Options{})
	s.Close()
	if _, err := s.Append([]uint64{1}, []byte("late"), nil); err != ErrClosed {
		t.Fatalf("Append after Close: %v", err)
	}
	s.Throttle() // returns at once
}
