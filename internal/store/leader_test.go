package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zaptest"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/internal/store/pgtest"
)

func newLeader(t *testing.T, dsn, name string) *store.Leader {
	t.Helper()
	l, err := store.NewLeader(dsn, name, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func tryAcquire(t *testing.T, l *store.Leader, want bool, what string) {
	t.Helper()
	got, err := l.TryAcquire(t.Context())
	if err != nil || got != want {
		t.Fatalf("%s: TryAcquire = %v, %v; want %v", what, got, err, want)
	}
}

func wantHeld(t *testing.T, l *store.Leader, want bool, what string) {
	t.Helper()
	if got := l.Held(t.Context()); got != want {
		t.Fatalf("%s: Held = %v, want %v", what, got, want)
	}
}

// eventuallyAcquire retries TryAcquire until it succeeds: the server ends
// a terminated session, and releases its locks, shortly after
// pg_terminate_backend returns.
func eventuallyAcquire(t *testing.T, l *store.Leader, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := l.TryAcquire(t.Context())
		if err != nil {
			t.Fatalf("%s: TryAcquire: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: TryAcquire still false after 20 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// holderPID returns the backend pid holding l's lock, 0 if none.
func holderPID(t *testing.T, db *pgx.Conn, l *store.Leader) int {
	t.Helper()
	k := uint64(l.Key())
	var pids []int
	rows, err := db.Query(t.Context(), `SELECT pid FROM pg_locks
WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1`, int64(k>>32), int64(k&0xffffffff))
	if err != nil {
		t.Fatal(err)
	}
	pids, err = pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	switch len(pids) {
	case 0:
		return 0
	case 1:
		return pids[0]
	}
	t.Fatalf("lock held by %d sessions: %v", len(pids), pids)
	return 0
}

func TestLeader(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	db := rawPG(t, dsn)
	a, b := newLeader(t, dsn, "scheduler"), newLeader(t, dsn, "scheduler")
	if a.Key() != b.Key() || a.Name() != "scheduler" {
		t.Fatalf("keys %d and %d for one name", a.Key(), b.Key())
	}

	wantHeld(t, a, false, "before TryAcquire")
	tryAcquire(t, a, true, "first")
	tryAcquire(t, a, true, "holder again (idempotent)")
	tryAcquire(t, b, false, "second replica")
	wantHeld(t, a, true, "holder")
	wantHeld(t, b, false, "second replica")
	if holderPID(t, db, a) == 0 {
		t.Fatal("no session holds the lock in pg_locks")
	}

	// Another name is another lock.
	c := newLeader(t, dsn, "reports")
	if c.Key() == a.Key() {
		t.Fatal("two names, one key")
	}
	tryAcquire(t, c, true, "another name")

	// Release hands it over, once: the holder locked it only once however
	// often it asked.
	must(t, a.Release(t.Context()))
	must(t, a.Release(t.Context())) // not held: nothing to do
	wantHeld(t, a, false, "after Release")
	tryAcquire(t, b, true, "second replica after Release")
	tryAcquire(t, a, false, "former holder")

	// Close releases it.
	must(t, b.Close())
	must(t, b.Close())
	wantHeld(t, b, false, "closed")
	if _, err := b.TryAcquire(t.Context()); !errors.Is(err, store.ErrLeaderClosed) {
		t.Fatalf("TryAcquire after Close: %v, want ErrLeaderClosed", err)
	}
	tryAcquire(t, a, true, "first replica after the holder's Close")

	if _, err := store.NewLeader(dsn, "", nil); err == nil {
		t.Fatal("NewLeader with no name: got no error")
	}
	if _, err := store.NewLeader("postgres://u:pw@127.0.0.1:1/db?sslmode=bogus", "x", nil); err == nil {
		t.Fatal("NewLeader with a bad DSN: got no error")
	}
}

// TestLeaderConnectionKilled: when the holder's session ends (here
// pg_terminate_backend, as when its process dies), the lock is released:
// the holder's Held turns false and another replica acquires.
func TestLeaderConnectionKilled(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	db := rawPG(t, dsn)
	a, b := newLeader(t, dsn, "scheduler"), newLeader(t, dsn, "scheduler")
	tryAcquire(t, a, true, "first")
	tryAcquire(t, b, false, "second")
	pid := holderPID(t, db, a)
	var ok bool
	if err := db.QueryRow(t.Context(), `SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
	}
	eventuallyAcquire(t, b, "second after the holder's session was terminated")
	wantHeld(t, a, false, "holder whose session was terminated")
	// The former holder reconnects, and finds the lock taken.
	tryAcquire(t, a, false, "former holder, reconnected")
	wantHeld(t, b, true, "new holder")
	if got := holderPID(t, db, b); got == 0 || got == pid {
		t.Fatalf("lock holder pid = %d, want the new holder's session", got)
	}
}

// TestPostgresLeader: a store's Leader uses the store's database.
func TestPostgresLeader(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	s1, s2 := openPostgresCleanup(t, dsn), openPostgresCleanup(t, dsn)
	a, err := s1.Leader("sync")
	must(t, err)
	defer a.Close()
	b, err := s2.Leader("sync")
	must(t, err)
	defer b.Close()
	if _, err := s1.Leader(""); err == nil {
		t.Fatal("Leader(\"\"): got no error")
	}
	tryAcquire(t, a, true, "first replica")
	tryAcquire(t, b, false, "second replica")
	// A Leader made from the DSN competes for the same lock.
	tryAcquire(t, newLeader(t, dsn, "sync"), false, "a Leader from the DSN")
	must(t, a.Close())
	tryAcquire(t, b, true, "second replica after the first closed")
}
