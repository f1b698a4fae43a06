package userupdate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The stores' own behaviour, without a broker: what a restart keeps, what
// the retention drops and what it must never drop.

func openUsers(t *testing.T, path string, ret Retention) *userStore {
	t.Helper()
	s, err := openUserStore(context.Background(), path, ret)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.close() })
	return s
}

func openProfiles(t *testing.T, path string, ret Retention) *profileStore {
	t.Helper()
	s, err := openProfileStore(context.Background(), path, ret)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.close() })
	return s
}

// updateSent updates a user and marks its outbox row sent, as the relay
// does after the broker's confirm.
func updateSent(t *testing.T, s *userStore, id int64, name string) OutboxEntry {
	t.Helper()
	ctx := context.Background()
	e, err := s.update(ctx, id, name, "user.profile.update")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.markSent(ctx, e.Seq); err != nil {
		t.Fatal(err)
	}
	return e
}

func outboxIDs(t *testing.T, s *userStore) []string {
	t.Helper()
	rows, err := s.outbox(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.FullName)
	}
	return ids
}

func TestFileStoresSurviveARestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()

	users := openUsers(t, filepath.Join(dir, "users.db"), DefaultRetention)
	sent := updateSent(t, users, 1, "usama")
	waiting, err := users.update(ctx, 2, "ada", "user.profile.update")
	if err != nil {
		t.Fatal(err)
	}
	users.close()
	users = openUsers(t, filepath.Join(dir, "users.db"), DefaultRetention)
	rows, err := users.outbox(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].MessageID != sent.MessageID || !rows[0].Sent || rows[1].MessageID != waiting.MessageID || rows[1].Sent {
		t.Fatalf("outbox after a restart: %+v; want %s sent, then %s pending", rows, sent.MessageID, waiting.MessageID)
	}
	if p, err := users.pending(ctx, 0, 10); err != nil || len(p) != 1 || p[0].Seq != waiting.Seq {
		t.Fatalf("pending after a restart: %+v, %v; want row %d", p, err, waiting.Seq)
	}
	// The sequence goes on: a new row is published after the old ones.
	next, err := users.update(ctx, 3, "grace", "user.profile.update")
	if err != nil {
		t.Fatal(err)
	}
	if next.Seq <= waiting.Seq {
		t.Fatalf("a row after the restart has seq %d, not after %d", next.Seq, waiting.Seq)
	}

	profiles := openProfiles(t, filepath.Join(dir, "profiles.db"), DefaultRetention)
	if _, applied, err := profiles.apply(ctx, "m-1", true, UpdateEvent{ID: 1, FullName: "usama"}); err != nil || !applied {
		t.Fatalf("first apply: applied=%v, %v", applied, err)
	}
	profiles.close()
	profiles = openProfiles(t, filepath.Join(dir, "profiles.db"), DefaultRetention)
	if _, applied, err := profiles.apply(ctx, "m-1", true, UpdateEvent{ID: 1, FullName: "usama"}); err != nil || applied {
		t.Fatalf("a redelivery after a restart: applied=%v, %v; want a duplicate", applied, err)
	}
	if p, ok, err := profiles.profile(ctx, 1); err != nil || !ok || p.Version != 1 || p.FullName != "usama" {
		t.Fatalf("profile after a restart: %+v %v %v; want usama at version 1", p, ok, err)
	}
}

func TestInMemoryStoresArePrivate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := openUsers(t, "", DefaultRetention), openUsers(t, ":memory:", DefaultRetention)
	if _, err := a.update(ctx, 1, "usama", "k"); err != nil {
		t.Fatal(err)
	}
	if us, err := b.users(ctx); err != nil || len(us) != 0 {
		t.Fatalf("a second in-memory store sees %+v, %v; want nothing", us, err)
	}
	if us, err := a.users(ctx); err != nil || len(us) != 1 || us[0].FullName != "usama" {
		t.Fatalf("users: %+v, %v", us, err)
	}
}

// The retention drops superseded sent rows, and never a pending row or the
// row a compensation would need (the user's latest change).
func TestOutboxRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("superseded sent rows go, the latest and the pending stay", func(t *testing.T) {
		t.Parallel()
		s := openUsers(t, "", Retention{Age: 0, Count: 0})
		for _, name := range []string{"a1", "a2", "a3", "a4"} {
			updateSent(t, s, 1, name)
		}
		updateSent(t, s, 2, "b1")
		if _, err := s.update(ctx, 3, "c1", "k"); err != nil { // never confirmed
			t.Fatal(err)
		}
		updateSent(t, s, 3, "c2") // confirmed after c1 would have been; c1 stays pending
		got := strings.Join(outboxIDs(t, s), " ")
		if got != "a4 b1 c1 c2" {
			t.Fatalf("outbox: %s; want a4 b1 c1 c2 (the latest of each user, and c1, still pending)", got)
		}
		// The user's latest change can still be compensated.
		us, _ := s.users(ctx)
		res, err := s.rollback(ctx, us[0].LastMessageID, 1)
		if err != nil || !res.RolledBack || res.User.FullName != "a3" {
			t.Fatalf("rollback of a4: %+v, %v; want a3 restored", res, err)
		}
	})

	t.Run("Count keeps the newest superseded rows", func(t *testing.T) {
		t.Parallel()
		s := openUsers(t, "", Retention{Age: 0, Count: 2})
		for i := range 10 {
			updateSent(t, s, 1, string(rune('a'+i)))
		}
		if got := strings.Join(outboxIDs(t, s), " "); got != "h i j" {
			t.Fatalf("outbox: %s; want h i j (2 superseded and the latest)", got)
		}
	})

	t.Run("Age keeps young rows whatever their count", func(t *testing.T) {
		t.Parallel()
		s := openUsers(t, "", Retention{Age: time.Hour, Count: 0})
		for i := range 5 {
			updateSent(t, s, 1, string(rune('a'+i)))
		}
		if got := strings.Join(outboxIDs(t, s), " "); got != "a b c d e" {
			t.Fatalf("outbox: %s; want all five (none is an hour old)", got)
		}
	})

	t.Run("a rollback makes the previous row the latest again: kept", func(t *testing.T) {
		t.Parallel()
		s := openUsers(t, "", Retention{Age: 0, Count: 0})
		updateSent(t, s, 1, "a")
		b := updateSent(t, s, 1, "b")
		c := updateSent(t, s, 1, "c") // b superseded: dropped
		if got := strings.Join(outboxIDs(t, s), " "); got != "c" {
			t.Fatalf("outbox: %s; want c", got)
		}
		res, err := s.rollback(ctx, c.MessageID, 1)
		if err != nil || !res.RolledBack || res.User.FullName != "b" || res.User.LastMessageID != b.MessageID {
			t.Fatalf("rollback of c: %+v, %v; want b restored", res, err)
		}
		// b's row is gone, so its refusal finds nothing to undo and says so.
		res, err = s.rollback(ctx, b.MessageID, 1)
		if err != nil || res.RolledBack || !strings.Contains(res.Note, "nothing to roll back") {
			t.Fatalf("rollback of the dropped b: %+v, %v", res, err)
		}

		// With a row still there (Count 1 keeps d listed until e is): d
		// superseded by e, e rolled back, so d is the latest again; later
		// writes prune past d's entry, but keep d's row.
		s2 := openUsers(t, "", Retention{Age: 0, Count: 1})
		d := updateSent(t, s2, 1, "d")
		e := updateSent(t, s2, 1, "e") // d listed as superseded
		if res, err := s2.rollback(ctx, e.MessageID, 1); err != nil || !res.RolledBack {
			t.Fatalf("rollback of e: %+v, %v", res, err)
		}
		for _, n := range []string{"x1", "x2", "x3"} {
			updateSent(t, s2, 2, n) // other users' writes run the pruning
		}
		res, err = s2.rollback(ctx, d.MessageID, 1)
		if err != nil || !res.RolledBack || !res.Deleted {
			t.Fatalf("rollback of d, the latest again: %+v, %v; want the user removed (d created it)", res, err)
		}
	})
}

// Applied ids are remembered within the retention: a copy inside it is a
// duplicate; the table does not grow past it.
func TestProcessedIDRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openProfiles(t, "", Retention{Age: 0, Count: 3})
	ids := []string{"m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"}
	for _, id := range ids {
		if _, applied, err := s.apply(ctx, id, true, UpdateEvent{ID: 1, FullName: id}); err != nil || !applied {
			t.Fatalf("apply %s: applied=%v, %v", id, applied, err)
		}
	}
	if n, err := s.processedCount(ctx); err != nil || n != 3 {
		t.Fatalf("processed ids kept: %d, %v; want 3", n, err)
	}
	for _, id := range ids[len(ids)-3:] {
		if _, applied, err := s.apply(ctx, id, true, UpdateEvent{ID: 1, FullName: "again"}); err != nil || applied {
			t.Fatalf("a copy of %s, within the retention: applied=%v, %v; want a duplicate", id, applied, err)
		}
	}
	if p, _, _ := s.profile(ctx, 1); p.Version != 8 || p.FullName != "m8" {
		t.Fatalf("profile: %+v; want m8 at version 8", p)
	}

	young := openProfiles(t, "", Retention{Age: time.Hour, Count: 0})
	for _, id := range ids {
		if _, _, err := young.apply(ctx, id, true, UpdateEvent{ID: 1, FullName: id}); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := young.processedCount(ctx); n != len(ids) {
		t.Fatalf("processed ids kept under Age 1h: %d; want all %d", n, len(ids))
	}
}

func TestStoreFilesRefusedWithWhatToDo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old := filepath.Join(dir, "users.db")
	if err := os.WriteFile(old, append([]byte("SQLite format 3\x00"), make([]byte, 4096)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewUserService("amqp://guest:guest@127.0.0.1:1/", old, nil); err == nil || !strings.Contains(err.Error(), "SQLite database from an older Warren") {
		t.Fatalf("an old SQLite store: %v; want it named as such", err)
	}
	if _, err := NewUserService("amqp://guest:guest@127.0.0.1:1/", "file:users.db?mode=rwc", nil); err == nil || !strings.Contains(err.Error(), "plain file path") {
		t.Fatalf("a SQLite URI: %v; want a plain path asked for", err)
	}
	inUse := filepath.Join(dir, "profiles.db")
	openProfiles(t, inUse, DefaultRetention)
	if _, err := NewProfileService("amqp://guest:guest@127.0.0.1:1/", inUse, nil); err == nil || !strings.Contains(err.Error(), "in use: another service holds its lock") {
		t.Fatalf("a store already open: %v; want 'in use'", err)
	}
}
