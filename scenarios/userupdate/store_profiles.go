package userupdate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const profilesSchema = `
CREATE TABLE IF NOT EXISTS profiles (
	id              INTEGER PRIMARY KEY,
	full_name       TEXT    NOT NULL,
	version         INTEGER NOT NULL,  -- how many events changed it
	updated_at      INTEGER NOT NULL,  -- unix nanoseconds
	last_message_id TEXT
);
-- Message ids already applied, written in the same transaction as the
-- change: a redelivered event finds its id here and is acked, not applied.
CREATE TABLE IF NOT EXISTS processed_messages (
	message_id   TEXT    PRIMARY KEY,
	processed_at INTEGER NOT NULL
);
`

// Profile is a row of the profile service's store: its copy of a user.
type Profile struct {
	ID            int64     `json:"id"`
	FullName      string    `json:"full_name"`
	Version       int64     `json:"version"`
	UpdatedAt     time.Time `json:"updated_at"`
	LastMessageID string    `json:"last_message_id,omitempty"`
}

type profileStore struct{ db *sql.DB }

func openProfileStore(ctx context.Context, path string) (*profileStore, error) {
	db, err := openDB(ctx, path, profilesSchema)
	if err != nil {
		return nil, err
	}
	return &profileStore{db: db}, nil
}

func (s *profileStore) close() error { return s.db.Close() }

// apply writes an update event in ONE transaction with the record of its
// message id. dedupe is false for an event without a message id (a state
// assignment, idempotent by itself; see the package doc). applied is false
// when the id had been processed already: the caller acks without applying.
func (s *profileStore) apply(ctx context.Context, messageID string, dedupe bool, ev UpdateEvent) (p Profile, applied bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Profile{}, false, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	now := time.Now()
	if dedupe {
		res, err := tx.ExecContext(ctx, `INSERT INTO processed_messages (message_id, processed_at) VALUES (?, ?) ON CONFLICT DO NOTHING`, messageID, now.UnixNano())
		if err != nil {
			return Profile{}, false, fmt.Errorf("record message %s: %w", messageID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return Profile{}, false, err
		} else if n == 0 {
			return Profile{}, false, nil
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO profiles (id, full_name, version, updated_at, last_message_id) VALUES (?, ?, 1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name, version = profiles.version + 1,
			updated_at = excluded.updated_at, last_message_id = excluded.last_message_id`,
		ev.ID, ev.FullName, now.UnixNano(), messageID); err != nil {
		return Profile{}, false, fmt.Errorf("write profile %d: %w", ev.ID, err)
	}
	p, _, err = scanProfile(tx.QueryRowContext(ctx, `SELECT id, full_name, version, updated_at, last_message_id FROM profiles WHERE id = ?`, ev.ID))
	if err != nil {
		return Profile{}, false, err
	}
	if err := tx.Commit(); err != nil {
		return Profile{}, false, fmt.Errorf("commit profile %d: %w", ev.ID, err)
	}
	return p, true, nil
}

func scanProfile(row *sql.Row) (Profile, bool, error) {
	var p Profile
	var at int64
	var last sql.NullString
	err := row.Scan(&p.ID, &p.FullName, &p.Version, &at, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return Profile{}, false, nil
	}
	if err != nil {
		return Profile{}, false, err
	}
	p.UpdatedAt, p.LastMessageID = time.Unix(0, at), last.String
	return p, true, nil
}

func (s *profileStore) profile(ctx context.Context, id int64) (Profile, bool, error) {
	p, ok, err := scanProfile(s.db.QueryRowContext(ctx, `SELECT id, full_name, version, updated_at, last_message_id FROM profiles WHERE id = ?`, id))
	if err != nil {
		return Profile{}, false, fmt.Errorf("read profile %d: %w", id, err)
	}
	return p, ok, nil
}

func (s *profileStore) profiles(ctx context.Context) ([]Profile, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, full_name, version, updated_at, last_message_id FROM profiles ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list profiles: %w", err)
	}
	defer rows.Close()
	var out []Profile
	for rows.Next() {
		var p Profile
		var at int64
		var last sql.NullString
		if err := rows.Scan(&p.ID, &p.FullName, &p.Version, &at, &last); err != nil {
			return nil, err
		}
		p.UpdatedAt, p.LastMessageID = time.Unix(0, at), last.String
		out = append(out, p)
	}
	return out, rows.Err()
}

func (s *profileStore) processedCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM processed_messages`).Scan(&n)
	return n, err
}
