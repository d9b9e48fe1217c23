package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/internal/store/pgtest"
	"github.com/orgbridge/orgbridge/mapping"
)

// usePostgres points the demo config's store at PostgreSQL with the DSN in
// ORGBRIDGE_PG_DSN.
func usePostgres(t *testing.T, c cli, dsn string) {
	t.Helper()
	data, err := os.ReadFile(c.config())
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "  driver: sqlite\n", "  driver: postgres\n  dsn: {env: ORGBRIDGE_PG_DSN}\n", 1)
	if s == string(data) {
		t.Fatal("demo.yaml has no sqlite store block to replace")
	}
	if err := os.WriteFile(c.config(), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ORGBRIDGE_PG_DSN", dsn)
}

// sqliteFiles lists the SQLite files in the config's directory.
func sqliteFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.db*"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// plan and sync keep their links and journal where the config says: with
// driver postgres, in PostgreSQL (the daemon's store), and no SQLite file
// appears.
func TestPlanAndSyncUsePostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	c, _ := setup(t)
	usePostgres(t, c, dsn)

	if code, out, errs := c.run("plan", "-c", c.config()); code != exitOK {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := c.run("sync", "-c", c.config()); code != exitOK {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errs)
	}
	if files := sqliteFiles(t, c.dir); len(files) > 0 {
		t.Errorf("a PostgreSQL config left SQLite files: %v", files)
	}
	pg, err := store.OpenPostgres(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	links, err := pg.Links(context.Background(), "hr-to-aircourse")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := links.TargetID(mapping.KindUser, "1001"); !ok || links.Len() < 11 {
		t.Errorf("PostgreSQL holds %d links (user 1001 linked: %v); want the sync's links there", links.Len(), ok)
	}
	code, out, errs := c.run("plan", "-c", c.config())
	if code != exitOK || !strings.Contains(out, "no changes") {
		t.Errorf("plan after the sync: exit %d, want 0 and no changes (links read from PostgreSQL)\n%s\n%s", code, out, errs)
	}
}

// A PostgreSQL store that cannot be reached fails plan and sync with exit 2
// and a message naming the store, and nothing falls back to SQLite.
func TestUnreachablePostgresFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c, _ := setup(t)
	usePostgres(t, c, "postgres://orgbridge:secret-pw@"+addr+"/orgbridge?connect_timeout=2")
	for _, cmd := range []string{"plan", "sync"} {
		code, out, errs := c.run(cmd, "-c", c.config())
		if code != exitUsage {
			t.Errorf("%s: exit %d, want %d\n%s\n%s", cmd, code, exitUsage, out, errs)
		}
		if !strings.Contains(errs, "store (driver postgres)") || !strings.Contains(errs, "cannot be opened") {
			t.Errorf("%s: the error does not name the store:\n%s", cmd, errs)
		}
		if strings.Contains(errs+out, "secret-pw") {
			t.Errorf("%s: the DSN's password was printed", cmd)
		}
	}
	if files := sqliteFiles(t, c.dir); len(files) > 0 {
		t.Errorf("an unreachable PostgreSQL store fell back to SQLite files: %v", files)
	}
}
