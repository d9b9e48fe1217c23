package store_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

// TestOpenSQLiteReadOnly: a read-only open creates no file where there is
// none (it reads an empty store), refuses a database at an older schema
// with ErrNeedsMigration and leaves it byte for byte as it was, reads a
// current one, and refuses to write to it.
func TestOpenSQLiteReadOnly(t *testing.T) {
	ctx := t.Context()
	log := zaptest.NewLogger(t)

	t.Run("missing file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "state.db")
		st, err := store.Open(ctx, store.Config{Path: path, ReadOnly: true}, log)
		if err != nil {
			t.Fatal(err)
		}
		links, err := st.Links(ctx, "hr")
		if err != nil {
			t.Fatal(err)
		}
		if len(links) != 0 {
			t.Errorf("%d links in a store with no file, want 0", len(links))
		}
		must(t, st.Close())
		assertEmptyDir(t, dir)
	})

	t.Run("older schema", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "v4.db")
		orig, err := os.ReadFile(filepath.Join("testdata", "sqlite-v4.db"))
		must(t, err)
		must(t, os.WriteFile(path, orig, 0o600))
		_, err = store.Open(ctx, store.Config{Path: path, ReadOnly: true}, log)
		if !errors.Is(err, store.ErrNeedsMigration) || !strings.Contains(err.Error(), "run sync once to migrate") {
			t.Fatalf("read-only open of a v4 database: %v, want ErrNeedsMigration saying to run sync", err)
		}
		now, err := os.ReadFile(path)
		must(t, err)
		if !bytes.Equal(now, orig) {
			t.Error("the read-only open changed the v4 database")
		}
	})

	t.Run("current schema", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "state.db")
		rw, err := store.Open(ctx, store.Config{Path: path}, log)
		must(t, err)
		must(t, rw.Adopt(ctx, "hr", []store.Link{{Kind: mapping.KindUser, Key: "u1", TargetID: "U1"}}))
		must(t, rw.Close())

		st, err := store.Open(ctx, store.Config{Path: path, ReadOnly: true}, log)
		must(t, err)
		links, err := st.Links(ctx, "hr")
		must(t, err)
		if len(links) != 1 {
			t.Errorf("%d links read only, want the 1 written", len(links))
		}
		if err := st.Adopt(ctx, "hr", []store.Link{{Kind: mapping.KindUser, Key: "u2", TargetID: "U2"}}); err == nil {
			t.Error("a write through a read-only store succeeded")
		}
		must(t, st.Close())
		// Nothing beside the file: no -wal or -shm left behind.
		ents, err := os.ReadDir(dir)
		must(t, err)
		if len(ents) != 1 {
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Errorf("files after a read-only open: %v, want only state.db", names)
		}
	})
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	must(t, err)
	for _, e := range ents {
		t.Errorf("read-only open left %s on disk", e.Name())
	}
}
