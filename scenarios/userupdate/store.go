package userupdate

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// openDB opens a service's own store, a bbolt database: the file at path,
// or a private in-memory one when path is "" or ":memory:". buckets are
// created if missing.
//
// bbolt gives what the services need from a store: a transaction is
// serialisable (one writer at a time, readers see a consistent snapshot),
// and a file store fsyncs every commit, so what Update or apply returned
// survives a crash of the process or the machine. An in-memory store never
// syncs and vanishes with the process.
//
// A file store is locked while it is open: a second service on the same
// file (in this process or another) waits up to a second and then gets an
// error that says so.
func openDB(ctx context.Context, path string, buckets ...string) (*bolt.DB, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opts := &bolt.Options{Timeout: time.Second}
	name := path
	switch {
	case path == "" || path == ":memory:":
		name = "warren-store-" + randomHex(6)
		opts.NoSync, opts.NoGrowSync = true, true
		opts.OpenFile = func(string, int, os.FileMode) (*os.File, error) { return memoryFile(name) }
	case strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("the store %q: give a plain file path, not a SQLite URI", path)
	default:
		if err := refuseSQLite(path); err != nil {
			return nil, err
		}
	}
	db, err := bolt.Open(name, 0o600, opts)
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("the store %s is in use: another service holds its lock; stop that one or give another file", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open the store %q: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		if path == "" {
			path = "in memory"
		}
		return nil, fmt.Errorf("create the buckets of the store (%s): %w", path, err)
	}
	return db, nil
}

// refuseSQLite turns the SQLite file an older Warren left at path into an
// error that says what to do, instead of bbolt's "invalid database".
func refuseSQLite(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // missing: bbolt creates it; unreadable: bbolt says why
	}
	defer f.Close()
	head := make([]byte, 16)
	if n, _ := f.Read(head); n == 16 && bytes.Equal(head, []byte("SQLite format 3\x00")) {
		return fmt.Errorf("the store %s is a SQLite database from an older Warren; the stores are bbolt files now: "+
			"move it away (what it holds is not carried over) or give another file", path)
	}
	return nil
}

// Retention bounds what a store keeps once it has done its job: the outbox
// rows the broker has confirmed and that a newer update has superseded,
// and the message ids the profile service has applied. An entry is dropped
// only when it is older than Age AND at least Count newer entries are kept,
// so a burst never flushes recent ones and a quiet store keeps a day.
type Retention struct {
	Age   time.Duration
	Count int
}

// DefaultRetention keeps a day and at least 10 000 entries.
var DefaultRetention = Retention{Age: 24 * time.Hour, Count: 10000}

// pruneBatch is how many entries one write transaction may drop: more than
// the one entry it can add, so a store above its bound shrinks back, and
// few enough that no write waits long for it.
const pruneBatch = 4

// A retention index is a bucket that lists entries in the order they
// became droppable: key a sequence number from the bucket's own
// NextSequence, value the time (unix nanoseconds, 8 bytes) and a payload
// naming the entry. Entries are dropped from the front only, so the count
// of newer entries is the bucket's sequence minus an entry's key.

func indexAdd(ix *bolt.Bucket, now time.Time, payload []byte) error {
	seq, err := ix.NextSequence()
	if err != nil {
		return err
	}
	v := make([]byte, 8+len(payload))
	binary.BigEndian.PutUint64(v, uint64(now.UnixNano()))
	copy(v[8:], payload)
	return ix.Put(u64key(seq), v)
}

// indexPrune drops up to pruneBatch entries from the front of ix that r no
// longer keeps, calling drop with each payload first.
func indexPrune(ix *bolt.Bucket, r Retention, now time.Time, drop func(payload []byte) error) error {
	last, keep := ix.Sequence(), uint64(max(r.Count, 0))
	c := ix.Cursor()
	for dropped, k, v := 0, []byte(nil), []byte(nil); dropped < pruneBatch; dropped++ {
		if k, v = c.First(); k == nil {
			return nil
		}
		if last-binary.BigEndian.Uint64(k) < keep {
			return nil // among the newest Count
		}
		if now.Sub(time.Unix(0, int64(binary.BigEndian.Uint64(v[:8])))) < r.Age {
			return nil // younger than Age, as is every entry after it (they are in time order)
		}
		if err := drop(v[8:]); err != nil {
			return err
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// u64key is a big-endian key, so that bbolt's byte order is numeric order.
func u64key(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// i64key orders signed ids: the sign bit flipped, then big-endian.
func i64key(n int64) []byte { return u64key(uint64(n) ^ 1<<63) }

// keyI64 reads an i64key.
func keyI64(k []byte) int64 { return int64(binary.BigEndian.Uint64(k) ^ 1<<63) }

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// getJSON reads key into v; ok is false when there is no such key.
func getJSON(b *bolt.Bucket, key []byte, v any) (ok bool, err error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	return true, json.Unmarshal(data, v)
}
