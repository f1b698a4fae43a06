package userupdate

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The profile service's buckets.
const (
	bucketProfiles = "profiles" // i64key(id) -> profileRow
	// Message ids already applied, written in the same transaction as the
	// change: a redelivered event finds its id here and is acked, not
	// applied.
	bucketProcessed = "processed_messages" // message id -> processed at (unix nanoseconds, 8 bytes)
	// The same ids in the order they were applied: a retention index (see
	// indexAdd) whose payload is the message id.
	bucketProcessedOrder = "processed_order"
)

type profileRow struct {
	FullName      string `json:"full_name"`
	Version       int64  `json:"version"`    // how many events changed it
	UpdatedAt     int64  `json:"updated_at"` // unix nanoseconds
	LastMessageID string `json:"last_message_id,omitempty"`
}

func (r profileRow) profile(id int64) Profile {
	return Profile{ID: id, FullName: r.FullName, Version: r.Version, UpdatedAt: time.Unix(0, r.UpdatedAt), LastMessageID: r.LastMessageID}
}

// Profile is a row of the profile service's store: its copy of a user.
type Profile struct {
	ID            int64     `json:"id"`
	FullName      string    `json:"full_name"`
	Version       int64     `json:"version"`
	UpdatedAt     time.Time `json:"updated_at"`
	LastMessageID string    `json:"last_message_id,omitempty"`
}

// profileStore is the profile service's own database.
//
// It remembers applied message ids under the Retention: an id is forgotten
// once it is older than Age AND Count newer ids are recorded (by default a
// day and 10 000). A copy that comes back later than both (the broker only
// redelivers what is unacked, and the relay republishes only what it had
// not marked sent, so copies follow their original closely) would be
// applied again.
type profileStore struct {
	db  *bolt.DB
	ret Retention
}

func openProfileStore(ctx context.Context, path string, ret Retention) (*profileStore, error) {
	db, err := openDB(ctx, path, bucketProfiles, bucketProcessed, bucketProcessedOrder)
	if err != nil {
		return nil, err
	}
	return &profileStore{db: db, ret: ret}, nil
}

func (s *profileStore) close() error { return s.db.Close() }

// apply writes an update event in ONE transaction with the record of its
// message id. dedupe is false for an event without a message id (a state
// assignment, idempotent by itself; see the package doc). applied is false
// when the id had been processed already: the caller acks without applying.
func (s *profileStore) apply(ctx context.Context, messageID string, dedupe bool, ev UpdateEvent) (p Profile, applied bool, err error) {
	if err := ctx.Err(); err != nil {
		return Profile{}, false, err
	}
	now := time.Now()
	err = s.db.Update(func(tx *bolt.Tx) error {
		if dedupe {
			processed := tx.Bucket([]byte(bucketProcessed))
			if processed.Get([]byte(messageID)) != nil {
				return nil
			}
			if err := processed.Put([]byte(messageID), u64key(uint64(now.UnixNano()))); err != nil {
				return fmt.Errorf("record message %s: %w", messageID, err)
			}
			if err := indexAdd(tx.Bucket([]byte(bucketProcessedOrder)), now, []byte(messageID)); err != nil {
				return fmt.Errorf("record message %s: %w", messageID, err)
			}
		}
		profiles := tx.Bucket([]byte(bucketProfiles))
		var row profileRow
		if _, err := getJSON(profiles, i64key(ev.ID), &row); err != nil {
			return fmt.Errorf("read profile %d: %w", ev.ID, err)
		}
		row = profileRow{FullName: ev.FullName, Version: row.Version + 1, UpdatedAt: now.UnixNano(), LastMessageID: messageID}
		if err := putJSON(profiles, i64key(ev.ID), row); err != nil {
			return fmt.Errorf("write profile %d: %w", ev.ID, err)
		}
		p, applied = row.profile(ev.ID), true
		return s.prune(tx, now)
	})
	if err != nil {
		return Profile{}, false, fmt.Errorf("commit profile %d: %w", ev.ID, err)
	}
	return p, applied, nil
}

// prune forgets a few message ids that the retention no longer keeps.
func (s *profileStore) prune(tx *bolt.Tx, now time.Time) error {
	processed := tx.Bucket([]byte(bucketProcessed))
	return indexPrune(tx.Bucket([]byte(bucketProcessedOrder)), s.ret, now, func(id []byte) error {
		return processed.Delete(id)
	})
}

func (s *profileStore) profile(ctx context.Context, id int64) (Profile, bool, error) {
	if err := ctx.Err(); err != nil {
		return Profile{}, false, err
	}
	var row profileRow
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		ok, err = getJSON(tx.Bucket([]byte(bucketProfiles)), i64key(id), &row)
		return err
	})
	if err != nil {
		return Profile{}, false, fmt.Errorf("read profile %d: %w", id, err)
	}
	if !ok {
		return Profile{}, false, nil
	}
	return row.profile(id), true, nil
}

func (s *profileStore) profiles(ctx context.Context) ([]Profile, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Profile
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketProfiles)).ForEach(func(k, v []byte) error {
			var row profileRow
			if err := json.Unmarshal(v, &row); err != nil {
				return err
			}
			out = append(out, row.profile(keyI64(k)))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list profiles: %w", err)
	}
	return out, nil
}

// processedCount counts the message ids the store remembers.
func (s *profileStore) processedCount(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte(bucketProcessed)).Stats().KeyN
		return nil
	})
	return n, err
}
