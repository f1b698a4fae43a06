package userupdate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

const usersSchema = `
CREATE TABLE IF NOT EXISTS users (
	id              INTEGER PRIMARY KEY,
	full_name       TEXT    NOT NULL,
	updated_at      INTEGER NOT NULL,  -- unix nanoseconds
	last_message_id TEXT               -- the outbox event that set full_name
);
-- The transactional outbox: an event is committed with the change it
-- announces, and the relay publishes it later. seq gives the publish order.
CREATE TABLE IF NOT EXISTS outbox (
	seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
	message_id           TEXT    NOT NULL UNIQUE,
	routing_key          TEXT    NOT NULL,
	user_id              INTEGER NOT NULL,
	full_name            TEXT    NOT NULL,
	body                 BLOB    NOT NULL,
	previous_full_name   TEXT,             -- NULL: the user did not exist
	previous_message_id  TEXT,
	created_at           INTEGER NOT NULL,
	sent_at              INTEGER           -- NULL until the broker confirmed it
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (seq) WHERE sent_at IS NULL;
`

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

// userStore is the user service's own database.
type userStore struct{ db *sql.DB }

func openUserStore(ctx context.Context, path string) (*userStore, error) {
	db, err := openDB(ctx, path, usersSchema)
	if err != nil {
		return nil, err
	}
	return &userStore{db: db}, nil
}

func (s *userStore) close() error { return s.db.Close() }

// update sets a user's full name and queues its event in ONE transaction:
// either both happen or neither does, so no accepted change goes
// unannounced and no event announces a change that was not made.
func (s *userStore) update(ctx context.Context, id int64, fullName, routingKey string) (OutboxEntry, error) {
	body, err := json.Marshal(UpdateEvent{ID: id, FullName: fullName})
	if err != nil {
		return OutboxEntry{}, err
	}
	now := time.Now()
	e := OutboxEntry{MessageID: newMessageID(), RoutingKey: routingKey, UserID: id, FullName: fullName, Body: body, CreatedAt: now}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return OutboxEntry{}, fmt.Errorf("begin the update of user %d: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	var prevName, prevMsg sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT full_name, last_message_id FROM users WHERE id = ?`, id).Scan(&prevName, &prevMsg)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return OutboxEntry{}, fmt.Errorf("read user %d: %w", id, err)
	}
	e.PreviousFullName = nullString(prevName)
	e.PreviousMessageID = prevMsg.String
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, full_name, updated_at, last_message_id) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name, updated_at = excluded.updated_at, last_message_id = excluded.last_message_id`,
		id, fullName, now.UnixNano(), e.MessageID); err != nil {
		return OutboxEntry{}, fmt.Errorf("write user %d: %w", id, err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO outbox (message_id, routing_key, user_id, full_name, body, previous_full_name, previous_message_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.MessageID, routingKey, id, fullName, body, prevName, prevMsg, now.UnixNano())
	if err != nil {
		return OutboxEntry{}, fmt.Errorf("queue the event of user %d in the outbox: %w", id, err)
	}
	if e.Seq, err = res.LastInsertId(); err != nil {
		return OutboxEntry{}, err
	}
	if err := tx.Commit(); err != nil {
		return OutboxEntry{}, fmt.Errorf("commit the update of user %d: %w", id, err)
	}
	return e, nil
}

// user returns one user; ok is false when there is none.
func (s *userStore) user(ctx context.Context, id int64) (u User, ok bool, err error) {
	var at int64
	var last sql.NullString
	err = s.db.QueryRowContext(ctx, `SELECT id, full_name, updated_at, last_message_id FROM users WHERE id = ?`, id).
		Scan(&u.ID, &u.FullName, &at, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, false, nil
	}
	if err != nil {
		return User{}, false, fmt.Errorf("read user %d: %w", id, err)
	}
	u.UpdatedAt, u.LastMessageID = time.Unix(0, at), last.String
	return u, true, nil
}

func (s *userStore) users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, full_name, updated_at, last_message_id FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var at int64
		var last sql.NullString
		if err := rows.Scan(&u.ID, &u.FullName, &at, &last); err != nil {
			return nil, err
		}
		u.UpdatedAt, u.LastMessageID = time.Unix(0, at), last.String
		out = append(out, u)
	}
	return out, rows.Err()
}

const outboxColumns = `seq, message_id, routing_key, user_id, full_name, body, previous_full_name, previous_message_id, created_at, sent_at`

func scanOutbox(rows *sql.Rows) ([]OutboxEntry, error) {
	defer rows.Close()
	var out []OutboxEntry
	for rows.Next() {
		var e OutboxEntry
		var prevName, prevMsg sql.NullString
		var created int64
		var sent sql.NullInt64
		if err := rows.Scan(&e.Seq, &e.MessageID, &e.RoutingKey, &e.UserID, &e.FullName, &e.Body, &prevName, &prevMsg, &created, &sent); err != nil {
			return nil, err
		}
		e.PreviousFullName, e.PreviousMessageID = nullString(prevName), prevMsg.String
		e.CreatedAt = time.Unix(0, created)
		if sent.Valid {
			e.Sent, e.SentAt = true, time.Unix(0, sent.Int64)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// pending returns up to limit unsent outbox rows after seq, oldest first.
func (s *userStore) pending(ctx context.Context, after int64, limit int) ([]OutboxEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE sent_at IS NULL AND seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	return scanOutbox(rows)
}

func (s *userStore) pendingCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`).Scan(&n)
	return n, err
}

// outbox returns the last limit rows of the outbox, oldest first.
func (s *userStore) outbox(ctx context.Context, limit int) ([]OutboxEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT * FROM (SELECT `+outboxColumns+` FROM outbox ORDER BY seq DESC LIMIT ?) ORDER BY seq`, limit)
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	return scanOutbox(rows)
}

func (s *userStore) markSent(ctx context.Context, seq int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE outbox SET sent_at = ? WHERE seq = ? AND sent_at IS NULL`, time.Now().UnixNano(), seq)
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
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return rollbackResult{}, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	var outUser int64
	var prevName, prevMsg sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT user_id, previous_full_name, previous_message_id FROM outbox WHERE message_id = ?`, messageID).
		Scan(&outUser, &prevName, &prevMsg)
	if errors.Is(err, sql.ErrNoRows) {
		return rollbackResult{Note: fmt.Sprintf("no outbox event %q here (not published by this user service): nothing to roll back", messageID)}, nil
	}
	if err != nil {
		return rollbackResult{}, fmt.Errorf("read outbox event %s: %w", messageID, err)
	}
	if userID != 0 && outUser != userID {
		return rollbackResult{Note: fmt.Sprintf("event %s was for user %d, not %d: nothing rolled back", messageID, outUser, userID)}, nil
	}
	var last sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT last_message_id FROM users WHERE id = ?`, outUser).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return rollbackResult{Note: fmt.Sprintf("user %d no longer exists: nothing to roll back", outUser)}, nil
	}
	if err != nil {
		return rollbackResult{}, err
	}
	if last.String != messageID {
		return rollbackResult{Note: fmt.Sprintf("user %d has changed since (or was already rolled back): kept as is", outUser)}, nil
	}
	res := rollbackResult{RolledBack: true}
	if !prevName.Valid {
		if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, outUser); err != nil {
			return rollbackResult{}, err
		}
		res.Deleted, res.Note = true, fmt.Sprintf("user %d did not exist before the refused update: removed", outUser)
	} else {
		now := time.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET full_name = ?, updated_at = ?, last_message_id = ? WHERE id = ?`,
			prevName.String, now.UnixNano(), prevMsg, outUser); err != nil {
			return rollbackResult{}, err
		}
		res.User = User{ID: outUser, FullName: prevName.String, UpdatedAt: now, LastMessageID: prevMsg.String}
		res.Note = fmt.Sprintf("restored full_name %q", prevName.String)
	}
	if err := tx.Commit(); err != nil {
		return rollbackResult{}, err
	}
	return res, nil
}
