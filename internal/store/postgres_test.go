package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zaptest"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/internal/store/pgtest"
	"github.com/orgbridge/orgbridge/internal/store/storetest"
)

// TestMain stops the PostgreSQL server pgtest starts for this binary.
func TestMain(m *testing.M) { pgtest.Main(m) }

// postgresOpener returns an open function for storetest.Run: one fresh
// database per test, opened again on each call with the same test.
func postgresOpener() func(t *testing.T) store.Store {
	var mu sync.Mutex
	dsns := map[*testing.T]string{}
	return func(t *testing.T) store.Store {
		t.Helper()
		mu.Lock()
		dsn, ok := dsns[t]
		mu.Unlock()
		if !ok {
			dsn = pgtest.NewDatabase(t) // may skip: not under the lock
			mu.Lock()
			dsns[t] = dsn
			mu.Unlock()
		}
		return openPostgres(t, dsn)
	}
}

// openPostgres opens a store on dsn; the caller closes it.
func openPostgres(t *testing.T, dsn string) *store.Postgres {
	t.Helper()
	s, err := store.OpenPostgres(t.Context(), dsn, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	return s
}

// openPostgresCleanup opens a store on dsn and closes it when t ends.
func openPostgresCleanup(t *testing.T, dsn string) *store.Postgres {
	t.Helper()
	s := openPostgres(t, dsn)
	t.Cleanup(func() { s.Close() })
	return s
}

// rawPG connects to dsn directly, to look at or change what the store
// wrote.
func rawPG(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, postgresOpener())
}

func TestPostgresSchema(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	s := openPostgres(t, dsn)
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != store.PostgresSchemaVersion {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, store.PostgresSchemaVersion)
	}
	must(t, s.Close())
	must(t, s.Close()) // twice is harmless
	// Reopening applies nothing twice.
	s = openPostgres(t, dsn)
	must(t, s.Close())

	db := rawPG(t, dsn)
	var versions int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM schema_version`).Scan(&versions); err != nil || versions != store.PostgresSchemaVersion {
		t.Fatalf("schema_version rows = %d, %v; want %d", versions, err, store.PostgresSchemaVersion)
	}
	var idx []string
	if err := db.QueryRow(ctx, `SELECT array_agg(indexname::text ORDER BY indexname) FROM pg_indexes WHERE schemaname = current_schema()`).Scan(&idx); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"links_target", "runs_job", "runs_running", "journal_pending", "scim_user_name", "scim_live", "scim_seq", "scim_external", "scim_name", "scim_resources_pkey"} {
		if !slices.Contains(idx, want) {
			t.Fatalf("indexes = %v, want %s", idx, want)
		}
	}
	var seq int64
	if err := db.QueryRow(ctx, `SELECT seq FROM scim_sequence WHERE id = 1`).Scan(&seq); err != nil || seq != 0 {
		t.Fatalf("scim_sequence = %d, %v; want 0", seq, err)
	}

	// A database from a newer orgbridge is refused.
	if _, err := db.Exec(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (99, now())`); err != nil {
		t.Fatal(err)
	}
	wantNewerRefused(t, "OpenPostgres", func() (store.Store, error) { return store.OpenPostgres(ctx, dsn, zaptest.NewLogger(t)) })
}

func TestPostgresBadDSN(t *testing.T) {
	ctx := t.Context()
	if _, err := store.OpenPostgres(ctx, "", nil); err == nil {
		t.Fatal("OpenPostgres(\"\"): got no error")
	}
	const secret = "s3cr3t-pa55"
	_, err := store.OpenPostgres(ctx, "postgres://u:"+secret+"@127.0.0.1:1/db?sslmode=bogus", nil)
	if err == nil {
		t.Fatal("OpenPostgres of a bad DSN: got no error")
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("error quotes the password: %v", err)
	}
	// Nothing listens on port 1: the error names the database, not the
	// password.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = store.OpenPostgres(ctx, "postgres://u:"+secret+"@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", nil)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1/db") || strings.Contains(err.Error(), secret) {
		t.Fatalf("OpenPostgres of an unreachable server: %v", err)
	}
}

// TestPostgresPoolParams: the DSN's pool_* parameters size the pool (the
// server, which would refuse them as settings, never sees them), and
// sessions are named orgbridge unless the DSN names them.
func TestPostgresPoolParams(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	s := openPostgresCleanup(t, dsn+"&pool_max_conns=3&pool_max_conn_lifetime=1h&pool_max_conn_idle_time=10m")
	if _, err := s.Runs(ctx, "", 0); err != nil {
		t.Fatal(err)
	}
	if got := store.PoolStats(s).MaxOpenConnections; got != 3 {
		t.Fatalf("MaxOpenConnections = %d, want pool_max_conns 3", got)
	}
	var names []string
	if err := rawPG(t, dsn).QueryRow(ctx, `SELECT array_agg(DISTINCT application_name) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&names); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, []string{"orgbridge"}) {
		t.Fatalf("application names of the store's sessions = %q, want orgbridge", names)
	}
	named := openPostgresCleanup(t, dsn+"&application_name=hr-sync")
	if _, err := named.Runs(ctx, "", 0); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rawPG(t, dsn).QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'hr-sync'`).Scan(&n); err != nil || n == 0 {
		t.Fatalf("sessions named by the DSN: %d, %v", n, err)
	}
}

// TestPostgresConcurrentOpen starts several replicas at once on a new
// database: the migration lock lets one create the schema, once.
func TestPostgresConcurrentOpen(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const replicas = 6
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Go(func() {
			s, err := store.OpenPostgres(t.Context(), dsn, zaptest.NewLogger(t))
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	must(t, errors.Join(errs...))
	var versions int
	if err := rawPG(t, dsn).QueryRow(t.Context(), `SELECT count(*) FROM schema_version`).Scan(&versions); err != nil || versions != store.PostgresSchemaVersion {
		t.Fatalf("schema_version rows = %d, %v; want %d", versions, err, store.PostgresSchemaVersion)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPostgresReplicasSCIM runs two stores on one database, as two
// replicas: concurrent read-modify-write updates of one resource from both
// lose nothing, and a reader following SCIMChanged while both create
// resources misses none (writes commit in Seq order across processes).
func TestPostgresReplicasSCIM(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	replicas := []*store.Postgres{openPostgresCleanup(t, dsn), openPostgresCleanup(t, dsn)}

	type counter struct {
		N     int      `json:"n"`
		Marks []string `json:"marks"`
	}
	doc, _ := json.Marshal(counter{})
	if _, err := replicas[0].SCIMCreate(ctx, store.SCIMResource{Type: store.SCIMGroup, ID: "g1", Name: "Counter", Doc: doc}); err != nil {
		t.Fatal(err)
	}

	const workers, each, creates = 8, 10, 60
	readCtx, stopReader := context.WithCancel(ctx)
	seen := map[string]int64{}
	var hi int64
	read := func(s store.Store) error {
		list, next, err := s.SCIMChanged(ctx, hi)
		if err != nil {
			return err
		}
		for i, r := range list {
			if r.Seq <= hi || (i > 0 && r.Seq < list[i-1].Seq) {
				return fmt.Errorf("SCIMChanged(%d) returned %s/%s with Seq %d out of order", hi, r.Type, r.ID, r.Seq)
			}
			seen[r.Type+"/"+r.ID] = r.Seq
		}
		hi = next
		return nil
	}
	readerDone := make(chan error, 1)
	go func() {
		for readCtx.Err() == nil {
			if err := read(replicas[1]); err != nil {
				readerDone <- err
				return
			}
		}
		readerDone <- nil
	}()

	var wg sync.WaitGroup
	var mu sync.Mutex
	stale := 0
	for w := range workers {
		s := replicas[w%2]
		wg.Go(func() {
			for i := range each {
				for attempt := 0; ; attempt++ {
					if attempt > 1000 {
						t.Errorf("worker %d: no update landed", w)
						return
					}
					cur, err := s.SCIMGet(ctx, store.SCIMGroup, "g1")
					if err != nil {
						t.Errorf("worker %d: SCIMGet: %v", w, err)
						return
					}
					var c counter
					if err := json.Unmarshal(cur.Doc, &c); err != nil {
						t.Errorf("worker %d: %v", w, err)
						return
					}
					c.N++
					c.Marks = append(c.Marks, fmt.Sprintf("w%d-%d", w, i))
					next := cur
					next.Doc, _ = json.Marshal(c)
					_, err = s.SCIMUpdate(ctx, next, cur.Version, nil)
					if errors.Is(err, store.ErrStale) {
						mu.Lock()
						stale++
						mu.Unlock()
						continue
					}
					if err != nil {
						t.Errorf("worker %d: SCIMUpdate: %v", w, err)
						return
					}
					break
				}
			}
		})
	}
	for w := range 2 {
		s := replicas[w]
		wg.Go(func() {
			for i := range creates {
				id := fmt.Sprintf("u%d-%03d", w, i)
				if _, err := s.SCIMCreate(ctx, store.SCIMResource{Type: store.SCIMUser, ID: id, Name: id + "@example.com", Doc: []byte(`{}`)}); err != nil {
					t.Errorf("SCIMCreate(%s): %v", id, err)
					return
				}
			}
		})
	}
	wg.Wait()
	stopReader()
	if err := <-readerDone; err != nil {
		t.Fatal(err)
	}
	if t.Failed() {
		return
	}

	got, err := replicas[1].SCIMGet(ctx, store.SCIMGroup, "g1")
	must(t, err)
	var c counter
	must(t, json.Unmarshal(got.Doc, &c))
	if got.Version != 1+workers*each || c.N != workers*each || len(c.Marks) != workers*each {
		t.Fatalf("after %d increments from two replicas: Version %d, n %d, %d marks", workers*each, got.Version, c.N, len(c.Marks))
	}
	marks := map[string]bool{}
	for _, m := range c.Marks {
		if marks[m] {
			t.Fatalf("mark %s recorded twice", m)
		}
		marks[m] = true
	}

	// Every create was seen by the reader while it followed the changes,
	// or is seen now, past its mark: a create committed after a higher
	// Seq the reader had seen would be missing.
	missed := 0
	for w := range 2 {
		for i := range creates {
			if _, ok := seen[fmt.Sprintf("User/u%d-%03d", w, i)]; !ok {
				missed++
			}
		}
	}
	before := len(seen)
	must(t, read(replicas[0]))
	for w := range 2 {
		for i := range creates {
			id := fmt.Sprintf("User/u%d-%03d", w, i)
			if _, ok := seen[id]; !ok {
				t.Fatalf("%s never seen by a reader following SCIMChanged", id)
			}
		}
	}
	if want := 2*creates + 1; len(seen) != want {
		t.Fatalf("reader saw %d resources, want %d", len(seen), want)
	}
	t.Logf("%d stale updates retried; the reader saw %d resources while writes ran, %d after (%d creates not yet seen then)",
		stale, before, len(seen)-before, missed)
}

// TestPostgresInterruptedReplicas: replicas that call Interrupted at once
// each claim different runs, and together all of them.
func TestPostgresInterruptedReplicas(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	a, b := openPostgresCleanup(t, dsn), openPostgresCleanup(t, dsn)
	var want []int64
	for i := range 30 {
		id, err := a.StartRun(ctx, fmt.Sprintf("job%d", i%3), store.ModeFull)
		must(t, err)
		want = append(want, id)
	}
	var got [2][]store.Run
	var wg sync.WaitGroup
	for i, s := range []*store.Postgres{a, b} {
		wg.Go(func() {
			runs, _, err := s.Interrupted(ctx, "")
			if err != nil {
				t.Error(err)
			}
			got[i] = runs
		})
	}
	wg.Wait()
	var ids []int64
	for _, runs := range got {
		for _, r := range runs {
			ids = append(ids, r.ID)
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, want) {
		t.Fatalf("runs claimed by two concurrent Interrupted calls = %v, want each of %v once", ids, want)
	}
}

// waitBlocked waits until a session of the database waits for a lock.
func waitBlocked(t *testing.T, db *pgx.Conn) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		if err := db.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no session blocked on a lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPostgresUniqueViolation drives the store's insert into a unique
// violation (SQLSTATE 23505) that its checks cannot see: another session
// inserts the same userName, or the same type and id, without taking the
// sequence lock and commits while the store's insert waits on it. The
// store maps the violation as SQLite does: the userName index to
// ErrDuplicate, the primary key to ErrConflict.
func TestPostgresUniqueViolation(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	s := openPostgresCleanup(t, dsn)
	db, watcher := rawPG(t, dsn), rawPG(t, dsn)

	for _, c := range []struct {
		name    string
		typ, id string
		nameKey string
		res     store.SCIMResource
		want    error
	}{
		{"userName", store.SCIMUser, "x1", "alice", store.SCIMResource{Type: store.SCIMUser, ID: "u1", Name: "Alice"}, store.ErrDuplicate},
		{"id", store.SCIMGroup, "g1", "sales", store.SCIMResource{Type: store.SCIMGroup, ID: "g1", Name: "Sales"}, store.ErrConflict},
	} {
		t.Run(c.name, func(t *testing.T) {
			tx, err := db.Begin(ctx)
			must(t, err)
			defer tx.Rollback(context.Background())
			if _, err := tx.Exec(ctx, `INSERT INTO scim_resources (type, id, name, name_key, doc, version, seq, created_at, modified_at)
VALUES ($1, $2, $3, $3, '', 1, 0, now(), now())`, c.typ, c.id, c.nameKey); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := s.SCIMCreate(ctx, c.res)
				done <- err
			}()
			waitBlocked(t, watcher)
			must(t, tx.Commit(ctx))
			err = <-done
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), "23505") {
				t.Fatalf("SCIMCreate racing a committed %s: %v, want %v from SQLSTATE 23505", c.name, err, c.want)
			}
			// The refused create took no sequence.
			if _, hi, err := s.SCIMChanged(ctx, 0); err != nil || hi != 0 {
				t.Fatalf("SCIMChanged highest Seq = %d, %v; want 0", hi, err)
			}
		})
	}
}

// TestPostgresText: free-form messages that a text column refuses (NUL,
// invalid UTF-8) are stored cleaned rather than failing the write.
func TestPostgresText(t *testing.T) {
	ctx := t.Context()
	s := openPostgresCleanup(t, pgtest.NewDatabase(t))
	run, err := s.StartRun(ctx, "hr", store.ModeFull)
	must(t, err)
	must(t, s.Plan(ctx, run, nil))
	must(t, s.FinishRun(ctx, run, store.RunFailed, "bad\x00summary", errors.New("body: \xff\xfe\x00end")))
	r, _, err := s.Run(ctx, run)
	must(t, err)
	if r.Summary != "badsummary" || r.Error != "body: \uFFFDend" {
		t.Fatalf("run summary %q error %q", r.Summary, r.Error)
	}
}
