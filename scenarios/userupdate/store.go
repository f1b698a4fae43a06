package userupdate

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver ("sqlite"): no cgo
)

// openDB opens a service's own SQLite database: the file at path, or a
// private in-memory database when path is "" or ":memory:".
//
// The pool is held to ONE connection. For an in-memory database that is what
// makes it correct: every connection to ":memory:" is a different, empty
// database, so a second pooled connection would see no tables. For a file it
// serialises writers inside the process, so a transaction never meets
// SQLITE_BUSY from its own service (busy_timeout covers another process).
// The cost: a transaction must never query through db while it is open (it
// would wait for the one connection forever), so every store method uses its
// tx throughout.
func openDB(ctx context.Context, path, schema string) (*sql.DB, error) {
	var dsn string
	switch {
	case path == "" || path == ":memory:":
		// A unique name, so two services (or two tests) in one process never
		// share a database even if a DSN with cache=shared were ever used.
		dsn = "file:warren-" + randomHex(6) + "?mode=memory"
	case strings.HasPrefix(path, "file:"):
		dsn = path
	default:
		dsn = "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open the store %q: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		if path == "" {
			path = "in memory"
		}
		return nil, fmt.Errorf("create the tables of the store (%s): %w", path, err)
	}
	return db, nil
}

func nullString(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	v := s.String
	return &v
}
