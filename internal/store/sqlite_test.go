package store_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/internal/store/storetest"
	"github.com/orgbridge/orgbridge/mapping"
)

// openSQLite opens the store in the file at path; the caller closes it.
func openSQLite(t *testing.T, path string) *store.SQLite {
	t.Helper()
	s, err := store.OpenSQLite(t.Context(), path, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	return s
}

// sqliteOpener returns an open function for storetest.Run: one database file
// per test, opened again on each call with the same test.
func sqliteOpener() func(t *testing.T) store.Store {
	var mu sync.Mutex
	paths := map[*testing.T]string{}
	return func(t *testing.T) store.Store {
		t.Helper()
		mu.Lock()
		path, ok := paths[t]
		if !ok {
			path = filepath.Join(t.TempDir(), "state.db")
			paths[t] = path
		}
		mu.Unlock()
		return openSQLite(t, path)
	}
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, sqliteOpener())
}

func TestSQLiteMemory(t *testing.T) {
	ctx := t.Context()
	s := openSQLite(t, ":memory:")
	defer s.Close()
	run, err := s.StartRun(ctx, "hr", store.ModeFull)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Plan(ctx, run, []connectors.Change{{Action: connectors.ActionCreate, Kind: mapping.KindUser, Key: "u1"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Applied(ctx, run, 0, "U1"); err != nil {
		t.Fatal(err)
	}
	l, err := s.Links(ctx, "hr")
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := l.TargetID(mapping.KindUser, "u1"); id != "U1" {
		t.Fatalf("link u1 = %q, want U1", id)
	}
}

// rawDB opens the store's file directly, to look at what the store wrote.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// wantNewerRefused checks that open, on a database whose schema_version
// holds 99, fails and says so.
func wantNewerRefused(t *testing.T, what string, open func() (store.Store, error)) {
	t.Helper()
	s, err := open()
	if err == nil {
		s.Close()
		t.Fatalf("%s of a newer schema: got no error", what)
	}
	if !strings.Contains(err.Error(), "schema version 99") {
		t.Fatalf("%s of a newer schema: %v", what, err)
	}
}

func TestSQLiteSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "state.db")
	s := openSQLite(t, path)
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != store.SQLiteSchemaVersion {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, store.SQLiteSchemaVersion)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopening applies nothing twice.
	s = openSQLite(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	db := rawDB(t, path)
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	var versions int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_version`).Scan(&versions); err != nil || versions != store.SQLiteSchemaVersion {
		t.Fatalf("schema_version rows = %d, %v; want %d", versions, err, store.SQLiteSchemaVersion)
	}
	var idx string
	if err := db.QueryRowContext(ctx, `SELECT group_concat(name) FROM pragma_index_list('links')`).Scan(&idx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(idx, "links_target") {
		t.Fatalf("links indexes = %q, want links_target", idx)
	}
	if err := db.QueryRowContext(ctx, `SELECT group_concat(name) FROM pragma_index_list('scim_resources')`).Scan(&idx); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"scim_user_name", "scim_live", "scim_seq", "scim_external", "scim_name"} {
		if !strings.Contains(idx, want) {
			t.Fatalf("scim_resources indexes = %q, want %s", idx, want)
		}
	}
	var seq int64
	if err := db.QueryRowContext(ctx, `SELECT seq FROM scim_sequence WHERE id = 1`).Scan(&seq); err != nil || seq != 0 {
		t.Fatalf("scim_sequence = %d, %v; want 0", seq, err)
	}

	// A file from a newer orgbridge is refused.
	if _, err := db.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (99, 0)`); err != nil {
		t.Fatal(err)
	}
	wantNewerRefused(t, "OpenSQLite", func() (store.Store, error) { return store.OpenSQLite(ctx, path, zaptest.NewLogger(t)) })
}

func TestSQLitePragmas(t *testing.T) {
	ctx := t.Context()
	s := openSQLite(t, filepath.Join(t.TempDir(), "state.db"))
	defer s.Close()
	got, err := store.SQLitePragmas(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"writer journal_mode": "wal", "writer foreign_keys": "1", "writer busy_timeout": "5000", "writer synchronous": "1",
		"reader journal_mode": "wal", "reader foreign_keys": "1", "reader busy_timeout": "5000", "reader query_only": "1",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestSQLiteAwkwardPath(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "odd 100% ?name#1.db")
	s := openSQLite(t, path)
	if _, err := s.StartRun(ctx, "hr", store.ModeFull); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	matches, err := filepath.Glob(filepath.Join(filepath.Dir(path), "*"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range matches {
		found = found || m == path
	}
	if !found {
		t.Fatalf("store file not at %q; directory holds %v", path, matches)
	}
}

func TestLinks(t *testing.T) {
	var nilLinks store.Links
	if id, ok := nilLinks.TargetID(mapping.KindUser, "u1"); ok || id != "" {
		t.Fatalf("nil Links TargetID = %q, %v", id, ok)
	}
	if nilLinks.Len() != 0 {
		t.Fatal("nil Links has links")
	}
	l := make(store.Links)
	l.Set(mapping.KindUser, "u1", "U1")
	l.Set(mapping.KindUser, "u1", "U2")
	l.Set(mapping.KindOrg, "o1", "O1")
	if id, ok := l.TargetID(mapping.KindUser, "u1"); !ok || id != "U2" {
		t.Fatalf("TargetID(user u1) = %q, %v; want U2", id, ok)
	}
	if _, ok := l.TargetID(mapping.KindGroup, "u1"); ok {
		t.Fatal("TargetID of an absent kind found a link")
	}
	if l.Len() != 2 {
		t.Fatalf("Len = %d, want 2", l.Len())
	}
	var _ connectors.IDs = l
}
