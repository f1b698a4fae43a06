package store

import (
	"crypto/rand"
	"fmt"
	"testing"
)

// BenchmarkConfirmedAppend is the publish side of a broker's write
// pattern: many publishers, each waiting for its 1 KiB message to be on
// disk (group commit makes one fsync serve all who wait), then the ack.
// Compare with go test -bench ConfirmedAppend -cpu 1 -benchtime 100000x.
func BenchmarkConfirmedAppend(b *testing.B) {
	s, _, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	body := make([]byte, 1024)
	rand.Read(body)
	b.SetBytes(int64(len(body)))
	b.SetParallelism(128) // publishers waiting for a confirm at once, per GOMAXPROCS
	b.RunParallel(func(pb *testing.PB) {
		done := make(chan error, 1)
		for pb.Next() {
			id, err := s.Append([]uint64{1}, body, func(err error) { done <- err })
			if err != nil {
				b.Error(err)
				return
			}
			if err := <-done; err != nil {
				b.Error(err)
				return
			}
			s.Ack(1, id)
		}
	})
}

// BenchmarkRecover times Open on a log of 100,000 held 1 KiB messages.
func BenchmarkRecover(b *testing.B) {
	dir := b.TempDir()
	s, _, err := Open(dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	body := make([]byte, 1024)
	rand.Read(body)
	const n = 100000
	for i := range n {
		var done func(error)
		if i == n-1 {
			ch := make(chan error, 1)
			done = func(err error) { ch <- err }
			defer func() { <-ch }()
		}
		if _, err := s.Append([]uint64{1}, body, done); err != nil {
			b.Fatal(err)
		}
		s.Throttle()
	}
	s.Close()
	b.ResetTimer()
	for b.Loop() {
		s, rec, err := Open(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if got := len(rec.Queues[1]); got != n {
			b.Fatal(fmt.Sprintf("recovered %d of %d", got, n))
		}
		s.Close()
	}
}
