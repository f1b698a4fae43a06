package userupdate

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The user service's buckets.
const (
	bucketUsers = "users" // i64key(id) -> userRow
	// The transactional outbox: an event is committed with the change it
	// announces, and the relay publishes it later. The key, the bucket's
	// own sequence, gives the publish order.
	bucketOutbox    = "outbox"         // u64key(seq) -> outboxRow
	bucketOutboxIDs = "outbox_ids"     // message id -> u64key(seq)
	bucketPending   = "outbox_pending" // u64key(seq) -> nothing: not yet confirmed by the broker
	// Sent rows a newer update has superseded, in that order: a retention
	// index (see indexAdd) whose payload is u64key(seq).
	bucketOutboxDone = "outbox_done"
)

type userRow struct {
	FullName      string `json:"full_name"`
	UpdatedAt     int64  `json:"updated_at"`                // unix nanoseconds
	LastMessageID string `json:"last_message_id,omitempty"` // the outbox event that set full_name
}

type outboxRow struct {
	MessageID         string  `json:"message_id"`
	RoutingKey        string  `json:"routing_key"`
	UserID            int64   `json:"user_id"`
	FullName          string  `json:"full_name"`
	Body              []byte  `json:"body"`
	PreviousFullName  *string `json:"previous_full_name"` // nil: the user did not exist
	PreviousMessageID string  `json:"previous_message_id,omitempty"`
	CreatedAt         int64   `json:"created_at"`
	SentAt            int64   `json:"sent_at,omitempty"` // 0 until the broker confirmed it
}

// User is a row of the user service's store.
type User struct {
	ID            int64     `json:"id"`
	FullName      string    `json:"full_name"`
	UpdatedAt     time.Time `json:"updated_at"`
	LastMessageID string    `json:"last_message_id,omitempty"`
}

// OutboxEntry is an event waiting in (or already sent from) the outbox.
type OutboxEntry struct {
	Seq               int64
	MessageID         string
	RoutingKey        string
	UserID            int64
	FullName          string
	Body              []byte
	PreviousFullName  *string // nil: the update created the user
	PreviousMessageID string
	CreatedAt         time.Time
	Sent              bool
	SentAt            time.Time
}

func (r outboxRow) entry(seq uint64) OutboxEntry {
	e := OutboxEntry{Seq: int64(seq), MessageID: r.MessageID, RoutingKey: r.RoutingKey, UserID: r.UserID, FullName: r.FullName,
		Body: r.Body, PreviousFullName: r.PreviousFullName, PreviousMessageID: r.PreviousMessageID, CreatedAt: time.Unix(0, r.CreatedAt)}
	if r.SentAt != 0 {
		e.Sent, e.SentAt = true, time.Unix(0, r.SentAt)
	}
	return e
}

func (r userRow) user(id int64) User {
	return User{ID: id, FullName: r.FullName, UpdatedAt: time.Unix(0, r.UpdatedAt), LastMessageID: r.LastMessageID}
}

// userStore is the user service's own database.
//
// The outbox keeps every row the broker has not confirmed, and every row
// that is still its user's latest change, however old: a compensation
// (rollback) can only act on such a row, so it always finds it. A sent row
// that a newer update superseded is dropped under the Retention (by
// default once it is a day old and 10 000 newer ones are kept); a
// user.profile.update.failed for it after that is logged as "nothing to
// roll back". That loses something only in a chain: B superseded A, B was
// refused and rolled back to A, and A's own refusal came after A had aged
// out.
type userStore struct {
	db  *bolt.DB
	ret Retention
}

func openUserStore(ctx context.Context, path string, ret Retention) (*userStore, error) {
	db, err := openDB(ctx, path, bucketUsers, bucketOutbox, bucketOutboxIDs, bucketPending, bucketOutboxDone)
	if err != nil {
		return nil, err
	}
	return &userStore{db: db, ret: ret}, nil
}

func (s *userStore) close() error { return s.db.Close() }

// update sets a user's full name and queues its event in ONE transaction:
// either both happen or neither does, so no accepted change goes
// unannounced and no event announces a change that was not made.
func (s *userStore) update(ctx context.Context, id int64, fullName, routingKey string) (OutboxEntry, error) {
	if err := ctx.Err(); err != nil {
		return OutboxEntry{}, err
	}
	body, err := json.Marshal(UpdateEvent{ID: id, FullName: fullName})
	if err != nil {
		return OutboxEntry{}, err
	}
	now := time.Now()
	var e OutboxEntry
	err = s.db.Update(func(tx *bolt.Tx) error {
		users, out := tx.Bucket([]byte(bucketUsers)), tx.Bucket([]byte(bucketOutbox))
		var prev userRow
		existed, err := getJSON(users, i64key(id), &prev)
		if err != nil {
			return fmt.Errorf("read user %d: %w", id, err)
		}
		seq, err := out.NextSequence()
		if err != nil {
			return err
		}
		row := outboxRow{MessageID: newMessageID(), RoutingKey: routingKey, UserID: id, FullName: fullName, Body: body, CreatedAt: now.UnixNano()}
		if existed {
			row.PreviousFullName, row.PreviousMessageID = &prev.FullName, prev.LastMessageID
		}
		if err := putJSON(users, i64key(id), userRow{FullName: fullName, UpdatedAt: now.UnixNano(), LastMessageID: row.MessageID}); err != nil {
			return fmt.Errorf("write user %d: %w", id, err)
		}
		if err := s.putOutbox(tx, seq, row); err != nil {
			return fmt.Errorf("queue the event of user %d in the outbox: %w", id, err)
		}
		if err := tx.Bucket([]byte(bucketPending)).Put(u64key(seq), nil); err != nil {
			return err
		}
		// The user's previous event is no longer the latest: once sent, it
		// may be dropped.
		if err := s.superseded(tx, prev.LastMessageID, now); err != nil {
			return err
		}
		e = row.entry(seq)
		return s.prune(tx, now)
	})
	if err != nil {
		return OutboxEntry{}, fmt.Errorf("commit the update of user %d: %w", id, err)
	}
	return e, nil
}

func (s *userStore) putOutbox(tx *bolt.Tx, seq uint64, row outboxRow) error {
	if err := putJSON(tx.Bucket([]byte(bucketOutbox)), u64key(seq), row); err != nil {
		return err
	}
	return tx.Bucket([]byte(bucketOutboxIDs)).Put([]byte(row.MessageID), u64key(seq))
}

// outboxRow reads the row of an event; ok is false when there is none.
func (s *userStore) outboxRow(tx *bolt.Tx, messageID string) (seq uint64, row outboxRow, ok bool, err error) {
	k := tx.Bucket([]byte(bucketOutboxIDs)).Get([]byte(messageID))
	if k == nil {
		return 0, outboxRow{}, false, nil
	}
	ok, err = getJSON(tx.Bucket([]byte(bucketOutbox)), k, &row)
	return binary.BigEndian.Uint64(k), row, ok, err
}

// superseded lists the event messageID in the retention index if it has
// been sent; a row still pending is listed when markSent finds it is no
// longer its user's latest.
func (s *userStore) superseded(tx *bolt.Tx, messageID string, now time.Time) error {
	if messageID == "" {
		return nil
	}
	seq, row, ok, err := s.outboxRow(tx, messageID)
	if err != nil || !ok || row.SentAt == 0 {
		return err
	}
	return indexAdd(tx.Bucket([]byte(bucketOutboxDone)), now, u64key(seq))
}

// prune drops a few superseded sent rows that the retention no longer
// keeps. A row that has become its user's latest again (a rollback
// restored it) is only taken off the index; the next update lists it again.
func (s *userStore) prune(tx *bolt.Tx, now time.Time) error {
	out, ids, users := tx.Bucket([]byte(bucketOutbox)), tx.Bucket([]byte(bucketOutboxIDs)), tx.Bucket([]byte(bucketUsers))
	return indexPrune(tx.Bucket([]byte(bucketOutboxDone)), s.ret, now, func(key []byte) error {
		var row outboxRow
		if ok, err := getJSON(out, key, &row); err != nil || !ok || row.SentAt == 0 {
			return err
		}
		var u userRow
		if ok, err := getJSON(users, i64key(row.UserID), &u); err != nil {
			return err
		} else if ok && u.LastMessageID == row.MessageID {
			return nil
		}
		if err := ids.Delete([]byte(row.MessageID)); err != nil {
			return err
		}
		return out.Delete(key)
	})
}

// user returns one user; ok is false when there is none.
func (s *userStore) user(ctx context.Context, id int64) (u User, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return User{}, false, err
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		var row userRow
		ok, err = getJSON(tx.Bucket([]byte(bucketUsers)), i64key(id), &row)
		u = row.user(id)
		return err
	})
	if err != nil {
		return User{}, false, fmt.Errorf("read user %d: %w", id, err)
	}
	if !ok {
		return User{}, false, nil
	}
	return u, true, nil
}

func (s *userStore) users(ctx context.Context) ([]User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []User
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketUsers)).ForEach(func(k, v []byte) error {
			var row userRow
			if err := json.Unmarshal(v, &row); err != nil {
				return err
			}
			out = append(out, row.user(keyI64(k)))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// pending returns up to limit unsent outbox rows after seq, oldest first.
func (s *userStore) pending(ctx context.Context, after int64, limit int) ([]OutboxEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rows []OutboxEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		out := tx.Bucket([]byte(bucketOutbox))
		c := tx.Bucket([]byte(bucketPending)).Cursor()
		for k, _ := c.Seek(u64key(uint64(max(after, 0)) + 1)); k != nil && len(rows) < limit; k, _ = c.Next() {
			var row outboxRow
			if ok, err := getJSON(out, k, &row); err != nil {
				return err
			} else if !ok {
				return fmt.Errorf("outbox row %d is pending but missing", binary.BigEndian.Uint64(k))
			}
			rows = append(rows, row.entry(binary.BigEndian.Uint64(k)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	return rows, nil
}

func (s *userStore) pendingCount(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte(bucketPending)).Stats().KeyN
		return nil
	})
	return n, err
}

// outbox returns the last limit rows of the outbox, oldest first.
func (s *userStore) outbox(ctx context.Context, limit int) ([]OutboxEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rows []OutboxEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte(bucketOutbox)).Cursor()
		for k, v := c.Last(); k != nil && len(rows) < limit; k, v = c.Prev() {
			var row outboxRow
			if err := json.Unmarshal(v, &row); err != nil {
				return err
			}
			rows = append(rows, row.entry(binary.BigEndian.Uint64(k)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	slices.Reverse(rows)
	return rows, nil
}

// markSent records the broker's confirm of outbox row seq. A row already
// marked (or gone) is left as it is.
func (s *userStore) markSent(ctx context.Context, seq int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := time.Now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		key := u64key(uint64(seq))
		var row outboxRow
		if ok, err := getJSON(tx.Bucket([]byte(bucketOutbox)), key, &row); err != nil || !ok || row.SentAt != 0 {
			return err
		}
		row.SentAt = now.UnixNano()
		if err := putJSON(tx.Bucket([]byte(bucketOutbox)), key, row); err != nil {
			return err
		}
		if err := tx.Bucket([]byte(bucketPending)).Delete(key); err != nil {
			return err
		}
		var u userRow
		if ok, err := getJSON(tx.Bucket([]byte(bucketUsers)), i64key(row.UserID), &u); err != nil {
			return err
		} else if !ok || u.LastMessageID != row.MessageID {
			if err := indexAdd(tx.Bucket([]byte(bucketOutboxDone)), now, key); err != nil {
				return err
			}
		}
		return s.prune(tx, now)
	})
	if err != nil {
		return fmt.Errorf("mark outbox row %d sent: %w", seq, err)
	}
	return nil
}

// rollbackResult says what a compensation did.
type rollbackResult struct {
	RolledBack bool
	User       User   // the user after the rollback (zero if deleted)
	Deleted    bool   // the refused update had created the user
	Note       string // why nothing was done, or what was restored
}

// rollback undoes the change announced by the event messageID, restoring
// the previous full name recorded in its outbox row. It does so only while
// that event is still the user's latest change: a newer update supersedes
// the refused one, and a second copy of the failed event finds the user
// already restored. Both make a repeat harmless.
func (s *userStore) rollback(ctx context.Context, messageID string, userID int64) (rollbackResult, error) {
	if err := ctx.Err(); err != nil {
		return rollbackResult{}, err
	}
	var res rollbackResult
	err := s.db.Update(func(tx *bolt.Tx) error {
		seq, row, ok, err := s.outboxRow(tx, messageID)
		if err != nil {
			return fmt.Errorf("read outbox event %s: %w", messageID, err)
		}
		if !ok {
			res.Note = fmt.Sprintf("no outbox event %q here (not published by this user service, or dropped long since): nothing to roll back", messageID)
			return nil
		}
		if userID != 0 && row.UserID != userID {
			res.Note = fmt.Sprintf("event %s was for user %d, not %d: nothing rolled back", messageID, row.UserID, userID)
			return nil
		}
		users := tx.Bucket([]byte(bucketUsers))
		var u userRow
		if ok, err := getJSON(users, i64key(row.UserID), &u); err != nil {
			return err
		} else if !ok {
			res.Note = fmt.Sprintf("user %d no longer exists: nothing to roll back", row.UserID)
			return nil
		}
		if u.LastMessageID != messageID {
			res.Note = fmt.Sprintf("user %d has changed since (or was already rolled back): kept as is", row.UserID)
			return nil
		}
		now := time.Now()
		res.RolledBack = true
		if row.PreviousFullName == nil {
			if err := users.Delete(i64key(row.UserID)); err != nil {
				return err
			}
			res.Deleted, res.Note = true, fmt.Sprintf("user %d did not exist before the refused update: removed", row.UserID)
		} else {
			restored := userRow{FullName: *row.PreviousFullName, UpdatedAt: now.UnixNano(), LastMessageID: row.PreviousMessageID}
			if err := putJSON(users, i64key(row.UserID), restored); err != nil {
				return err
			}
			res.User = restored.user(row.UserID)
			res.Note = fmt.Sprintf("restored full_name %q", *row.PreviousFullName)
		}
		// The refused event is no longer the user's latest.
		if row.SentAt != 0 {
			if err := indexAdd(tx.Bucket([]byte(bucketOutboxDone)), now, u64key(seq)); err != nil {
				return err
			}
		}
		return s.prune(tx, now)
	})
	if err != nil {
		return rollbackResult{}, err
	}
	return res, nil
}
