package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/internal/store/pgtest"
	"github.com/orgbridge/orgbridge/mapping"
)

// The compatibility fixtures are databases that an earlier orgbridge
// wrote (testdata/sqlite-v4.db, and testdata/postgres-v2.sql, a pg_dump of
// one), with what that orgbridge read back from them
// (testdata/*.view.json). Each release must open them, read the same
// state, and keep working on them; so the fixtures are made once, by the
// code whose databases they stand for, and never again:
//
//	go test ./internal/store -run Compat -update-fixtures
//
// rewrites them from the code in the tree, which is right only when the
// schema gains a migration (add a fixture for the new version then,
// rather than replacing the old one).
var updateFixtures = flag.Bool("update-fixtures", false, "write the compatibility fixtures in testdata from this code")

// fillFixture writes, through the store's API, some of every kind of state
// the store keeps: finished, refused, dry and still running runs with
// entries in each state, adopted and applied links, marks, and SCIM
// Users and Groups, updated, touched and deleted.
func fillFixture(t *testing.T, s store.Store) {
	ctx := t.Context()
	user := func(key string) connectors.Change {
		return connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindUser, Key: key,
			User: &mapping.User{Key: key, LoginID: key, Email: key + "@example.com", Name: "User " + key,
				Attributes: map[string]string{"department": "本社/営業部/第一課"}}}
	}
	org := connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: "o1",
		Org: &mapping.Org{Key: "o1", Name: "Org o1"}}

	must(t, s.Adopt(ctx, "hr", []store.Link{{Kind: mapping.KindGroup, Key: "g1", TargetID: "G1"}, {Kind: mapping.KindUser, Key: "u0", TargetID: "U0"}}))
	r1, err := s.StartRun(ctx, "hr", store.ModeFull)
	must(t, err)
	must(t, s.Plan(ctx, r1, []connectors.Change{org, user("u1"), user("u2"), user("u3"),
		{Action: connectors.ActionDelete, Kind: mapping.KindUser, Key: "u0", TargetID: "U0"}}))
	must(t, s.Applied(ctx, r1, 0, "O1"))
	must(t, s.Applied(ctx, r1, 1, "U1"))
	must(t, s.Failed(ctx, r1, 2, errors.New("422 email taken")))
	must(t, s.Applied(ctx, r1, 4, ""))
	must(t, s.FinishRun(ctx, r1, store.RunFailed, "+2 -1, 1 failed", errors.New("1 of 5 changes failed")))
	must(t, s.SetMark(ctx, "hr", "20260101000000Z"))

	r2, err := s.StartRun(ctx, "crm", store.ModeDryRun)
	must(t, err)
	must(t, s.Plan(ctx, r2, []connectors.Change{user("c1")}))
	must(t, s.FinishRun(ctx, r2, store.RunDryRun, "+1", nil))
	r3, err := s.StartRun(ctx, "hr", store.ModeIncremental)
	must(t, err)
	must(t, s.FinishRun(ctx, r3, store.RunRefused, "would delete 80% of users", errors.New("deletion threshold")))
	// A run the process never finished: Interrupted finds it.
	r4, err := s.StartRun(ctx, "hr", store.ModeIncremental)
	must(t, err)
	must(t, s.Plan(ctx, r4, []connectors.Change{user("u4"), user("u5")}))
	must(t, s.Applied(ctx, r4, 0, "U4"))

	for i, name := range []string{"Alice@example.com", "bob@example.com", "carol@example.com"} {
		id := fmt.Sprintf("00000000-0000-0000-0000-00000000000%d", i+1)
		_, err := s.SCIMCreate(ctx, store.SCIMResource{Type: store.SCIMUser, ID: id, ExternalID: "ext-" + id, Name: name,
			Doc: []byte(`{"userName":"` + name + `","active":true}`)})
		must(t, err)
	}
	g, err := s.SCIMCreate(ctx, store.SCIMResource{Type: store.SCIMGroup, ID: "10000000-0000-0000-0000-000000000001", Name: "Sales", Doc: []byte(`{}`)})
	must(t, err)
	g.Doc = []byte(`{"members":["00000000-0000-0000-0000-000000000001","00000000-0000-0000-0000-000000000002"]}`)
	_, err = s.SCIMUpdate(ctx, g, g.Version, []string{"00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"})
	must(t, err)
	must(t, s.SCIMDelete(ctx, store.SCIMUser, "00000000-0000-0000-0000-000000000003", nil))
}

// storeView is what a store returns of its whole state.
type storeView struct {
	Runs    []store.Run
	Entries map[int64][]store.JournalEntry
	Links   map[string]store.Links
	Marks   map[string]string
	SCIM    []store.SCIMResource
	SCIMHi  int64
}

func viewOf(t *testing.T, s store.Store) []byte {
	t.Helper()
	ctx := t.Context()
	v := storeView{Entries: map[int64][]store.JournalEntry{}, Links: map[string]store.Links{}, Marks: map[string]string{}}
	var err error
	v.Runs, err = s.Runs(ctx, "", 0)
	must(t, err)
	for _, r := range v.Runs {
		_, v.Entries[r.ID], err = s.Run(ctx, r.ID)
		must(t, err)
	}
	for _, job := range []string{"hr", "crm"} {
		v.Links[job], err = s.Links(ctx, job)
		must(t, err)
		v.Marks[job], err = s.Mark(ctx, job)
		must(t, err)
	}
	v.SCIM, v.SCIMHi, err = s.SCIMChanged(ctx, 0)
	must(t, err)
	js, err := json.MarshalIndent(v, "", "\t")
	must(t, err)
	return append(js, '\n')
}

// checkFixture compares the store's view of a fixture with the one the
// fixture's writer recorded, then goes on working on it.
func checkFixture(t *testing.T, s store.Store, viewFile string) {
	t.Helper()
	ctx := t.Context()
	want, err := os.ReadFile(viewFile)
	must(t, err)
	if got := viewOf(t, s); !bytes.Equal(got, want) {
		t.Fatalf("the store reads the fixture differently from its writer\ngot:\n%s\nwant (%s):\n%s", got, viewFile, want)
	}

	runs, entries, err := s.Interrupted(ctx, "")
	must(t, err)
	if len(runs) != 1 || runs[0].Job != "hr" || len(entries) != 1 || entries[0].Change.Key != "u5" {
		t.Fatalf("Interrupted on the fixture = %+v, %+v; want the hr run with u5 pending", runs, entries)
	}
	run, err := s.StartRun(ctx, "hr", store.ModeFull)
	must(t, err)
	if run <= runs[0].ID {
		t.Fatalf("new run id %d, want more than the fixture's %d", run, runs[0].ID)
	}
	must(t, s.Plan(ctx, run, []connectors.Change{{Action: connectors.ActionUpdate, Kind: mapping.KindUser, Key: "u1", TargetID: "U1",
		User: &mapping.User{Key: "u1", Name: "Renamed"}}}))
	must(t, s.Applied(ctx, run, 0, "U1b"))
	must(t, s.FinishRun(ctx, run, store.RunSucceeded, "~1", nil))
	l, err := s.Links(ctx, "hr")
	must(t, err)
	if id, _ := l.TargetID(mapping.KindUser, "u1"); id != "U1b" {
		t.Fatalf("link u1 after a run on the fixture = %q", id)
	}

	// The userName index still holds: alice is taken (case-insensitively),
	// carol's tombstone frees hers, and sequences go on from the fixture's.
	_, hi, err := s.SCIMChanged(ctx, 0)
	must(t, err)
	if _, err := s.SCIMCreate(ctx, store.SCIMResource{Type: store.SCIMUser, ID: "u-new", Name: "alice@EXAMPLE.com"}); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("SCIMCreate of a taken userName on the fixture: %v, want ErrDuplicate", err)
	}
	c, err := s.SCIMCreate(ctx, store.SCIMResource{Type: store.SCIMUser, ID: "u-new", Name: "carol@example.com"})
	must(t, err)
	if c.Seq != hi+1 {
		t.Fatalf("SCIMCreate on the fixture took Seq %d, want %d", c.Seq, hi+1)
	}
	found, err := s.SCIMFind(ctx, store.SCIMUser, store.SCIMByExternalID, "ext-00000000-0000-0000-0000-000000000002")
	must(t, err)
	if len(found) != 1 || found[0].Name != "bob@example.com" {
		t.Fatalf("SCIMFind by externalId on the fixture = %+v", found)
	}

	// The index of SCIM attributes, which the fixture's writer did not
	// have, was filled from its documents by the migration: the live
	// users are found by it, the deleted one is not, and the user created
	// since is.
	for _, tt := range []struct {
		where *store.SCIMFilter
		want  []string
	}{
		{&store.SCIMFilter{Op: store.SCIMEq, Attr: store.SCIMAttrUserName, Value: "ALICE@example.com"}, []string{"alice@example.com"}},
		{&store.SCIMFilter{Op: store.SCIMCo, Attr: store.SCIMAttrUserName, Value: "@EXAMPLE."}, []string{"alice@example.com", "bob@example.com"}},
		{&store.SCIMFilter{Op: store.SCIMSw, Attr: store.SCIMAttrUserName, Value: "carol"}, []string{}},
		// Every live user, its total from the counts the migration took.
		{nil, []string{"alice@example.com", "bob@example.com", "carol@example.com"}},
	} {
		list, total, err := s.SCIMQuery(ctx, store.SCIMUser, tt.where, 0, 10)
		must(t, err)
		names := []string{}
		for _, r := range list {
			names = append(names, strings.ToLower(r.Name))
		}
		if !slices.Equal(names, tt.want) || total != len(tt.want) {
			t.Fatalf("SCIMQuery(%+v) on the fixture = %v (total %d), want %v", tt.where, names, total, tt.want)
		}
	}
}

func TestSQLiteCompat(t *testing.T) {
	const fixture, viewFile = "testdata/sqlite-v4.db", "testdata/sqlite-v4.view.json"
	ctx := t.Context()
	if *updateFixtures {
		must(t, os.MkdirAll("testdata", 0o755))
		for _, p := range []string{fixture, fixture + "-wal", fixture + "-shm"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
		}
		s, err := store.OpenSQLite(ctx, fixture, zaptest.NewLogger(t))
		must(t, err)
		fillFixture(t, s)
		must(t, os.WriteFile(viewFile, viewOf(t, s), 0o644))
		must(t, s.Close()) // checkpoints the WAL into the file
		// Closing leaves a WAL-mode file with no -wal beside it.
		if _, err := os.Stat(fixture + "-wal"); err == nil {
			t.Fatalf("%s-wal left behind", fixture)
		}
		return
	}

	path := filepath.Join(t.TempDir(), "state.db")
	copyFile(t, fixture, path)
	s, err := store.OpenSQLite(ctx, path, zaptest.NewLogger(t))
	must(t, err)
	defer s.Close()
	// Opened, the fixture is migrated to the current schema.
	if v, err := s.SchemaVersion(ctx); err != nil || v != store.SQLiteSchemaVersion {
		t.Fatalf("SchemaVersion of the fixture = %d, %v; want %d", v, err, store.SQLiteSchemaVersion)
	}
	checkFixture(t, s, viewFile)

	// A new file gets the schema the fixture migrated to.
	fresh := filepath.Join(t.TempDir(), "fresh.db")
	s2, err := store.OpenSQLite(ctx, fresh, zaptest.NewLogger(t))
	must(t, err)
	must(t, s2.Close())
	if got, want := sqliteSchema(t, fresh), sqliteSchema(t, path); got != want {
		t.Fatalf("schema of a new file:\n%s\nwant the fixture's:\n%s", got, want)
	}
}

// sqliteSchema lists the file's tables and indexes as created, and the
// schema versions recorded.
func sqliteSchema(t *testing.T, path string) string {
	t.Helper()
	db := rawDB(t, path)
	rows, err := db.QueryContext(t.Context(), `SELECT type, name, COALESCE(sql, '') FROM sqlite_schema ORDER BY type, name`)
	must(t, err)
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var typ, name, sql string
		must(t, rows.Scan(&typ, &name, &sql))
		fmt.Fprintf(&b, "%s %s: %s\n", typ, name, sql)
	}
	must(t, rows.Err())
	var versions string
	must(t, db.QueryRowContext(t.Context(), `SELECT group_concat(version) FROM (SELECT version FROM schema_version ORDER BY version)`).Scan(&versions))
	fmt.Fprintf(&b, "versions %s\n", versions)
	return b.String()
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	must(t, err)
	defer in.Close()
	out, err := os.Create(to)
	must(t, err)
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	must(t, out.Close())
}

func TestPostgresCompat(t *testing.T) {
	const fixture, viewFile = "testdata/postgres-v2.sql", "testdata/postgres-v2.view.json"
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	if *updateFixtures {
		s := openPostgres(t, dsn)
		fillFixture(t, s)
		must(t, os.WriteFile(viewFile, viewOf(t, s), 0o644))
		must(t, s.Close())
		must(t, os.WriteFile(fixture, pgDump(t, dsn), 0o644))
		return
	}

	sqlText, err := os.ReadFile(fixture)
	must(t, err)
	db := rawPG(t, dsn)
	if _, err := db.Exec(ctx, string(sqlText)); err != nil {
		t.Fatalf("load %s: %v", fixture, err)
	}
	must(t, db.Close(ctx))
	s := openPostgresCleanup(t, dsn)
	if v, err := s.SchemaVersion(ctx); err != nil || v != store.PostgresSchemaVersion {
		t.Fatalf("SchemaVersion of the fixture = %d, %v; want %d", v, err, store.PostgresSchemaVersion)
	}
	checkFixture(t, s, viewFile)

	// A new database gets the schema the fixture migrated to.
	fresh := pgtest.NewDatabase(t)
	must(t, openPostgres(t, fresh).Close())
	if got, want := pgSchema(t, fresh), pgSchema(t, dsn); got != want {
		t.Fatalf("schema of a new database:\n%s\nwant the fixture's:\n%s", got, want)
	}
}

// pgSchema lists the database's columns, constraints and indexes, and the
// schema versions recorded.
func pgSchema(t *testing.T, dsn string) string {
	t.Helper()
	ctx := t.Context()
	db := rawPG(t, dsn)
	var b strings.Builder
	for _, q := range []string{
		`SELECT table_name || '.' || column_name || ' ' || data_type || COALESCE(' collate ' || collation_name, '') ||
	' null=' || is_nullable || ' default=' || COALESCE(column_default, '') || ' identity=' || is_identity || COALESCE(' ' || identity_generation, '')
FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
		`SELECT conrelid::regclass::text || ' ' || conname || ': ' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY conrelid::regclass::text, conname`,
		`SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`,
		`SELECT 'versions ' || string_agg(version::text, ',' ORDER BY version) FROM schema_version`,
	} {
		rows, err := db.Query(ctx, q)
		must(t, err)
		for rows.Next() {
			var line string
			must(t, rows.Scan(&line))
			b.WriteString(line + "\n")
		}
		must(t, rows.Err())
	}
	return b.String()
}

// pgDump dumps the database as SQL that one simple-protocol Exec loads:
// data as INSERTs, no owners or grants, and without the psql
// meta-commands (\restrict) newer pg_dump versions write.
func pgDump(t *testing.T, dsn string) []byte {
	t.Helper()
	bin := "pg_dump"
	if dir := os.Getenv("ORGBRIDGE_PG_BINDIR"); dir != "" {
		bin = filepath.Join(dir, "pg_dump")
	} else if _, err := exec.LookPath(bin); err != nil {
		dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
		if len(dirs) == 0 {
			t.Fatal("pg_dump not found")
		}
		slices.Sort(dirs)
		bin = dirs[len(dirs)-1]
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--inserts", "--no-owner", "--no-privileges", "--no-comments", "-d", dsn).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("pg_dump: %v: %s", err, ee.Stderr)
		}
		t.Fatalf("pg_dump: %v", err)
	}
	var b bytes.Buffer
	for line := range strings.Lines(string(out)) {
		if strings.HasPrefix(line, `\`) || strings.HasPrefix(line, "-- Dumped by") || strings.HasPrefix(line, "-- Dumped from") {
			continue
		}
		b.WriteString(line)
	}
	return b.Bytes()
}
