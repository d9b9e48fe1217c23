package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// openSQLite opens a store in a new file and closes it when t ends.
func openSQLite(t *testing.T) *SQLite {
	t.Helper()
	s, err := OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "state.db"), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSCIMConstraint checks that the constraint failures the SCIM writes
// guard against map to the store's sentinels, should a write ever reach
// them: the writes check first, so this drives the table directly.
func TestSCIMConstraint(t *testing.T) {
	ctx := t.Context()
	s := openSQLite(t)
	insert := func(typ, id, nameKey string, deleted int) error {
		_, err := s.w.ExecContext(ctx, `INSERT INTO scim_resources (`+scimColumns+`, name_key) VALUES ($1, $2, '', $3, x'', 1, 1, $4, 0, 0, $5)`,
			typ, id, nameKey, deleted, nameKey)
		return sqliteConstraint(err)
	}
	if err := insert(SCIMUser, "u1", "alice", 0); err != nil {
		t.Fatal(err)
	}
	if err := insert(SCIMUser, "u2", "alice", 0); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("second live User named alice: %v, want ErrDuplicate", err)
	}
	if err := insert(SCIMUser, "u1", "bob", 0); !errors.Is(err, ErrConflict) {
		t.Fatalf("second User u1: %v, want ErrConflict", err)
	}
	for _, ok := range []struct {
		typ, id string
		deleted int
	}{{SCIMUser, "u3", 1}, {SCIMUser, "u4", 1}, {SCIMGroup, "g1", 0}, {SCIMGroup, "g2", 0}} {
		if err := insert(ok.typ, ok.id, "alice", ok.deleted); err != nil {
			t.Fatalf("%s %s named alice (deleted %d): %v", ok.typ, ok.id, ok.deleted, err)
		}
	}
	if err := sqliteConstraint(nil); err != nil {
		t.Fatalf("sqliteConstraint(nil) = %v", err)
	}
	plain := errors.New("disk on fire")
	if err := sqliteConstraint(plain); err != plain {
		t.Fatalf("sqliteConstraint(%v) = %v, want it unchanged", plain, err)
	}
}

// TestWritePanic: a write transaction whose function panics is rolled
// back and its connection freed, so that SQLite's one writer goes on.
func TestWritePanic(t *testing.T) {
	ctx := t.Context()
	s := openSQLite(t)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		_ = s.write(ctx, func(tx *txn) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO marks (job, mark, updated_at) VALUES ('hr', 'x', 0)`); err != nil {
				return err
			}
			panic("bug")
		})
	}()
	done := make(chan error, 1)
	go func() {
		_, err := s.StartRun(ctx, "hr", ModeFull)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the writer is still held by the panicked transaction")
	}
	if m, err := s.Mark(ctx, "hr"); err != nil || m != "" {
		t.Fatalf("Mark after the panicked transaction = %q, %v; want it rolled back", m, err)
	}
}
