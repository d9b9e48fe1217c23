package store_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/cputime"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/internal/store/pgtest"
	"github.com/orgbridge/orgbridge/mapping"
)

// benchSQLite opens a store in a new SQLite file.
func benchSQLite(b *testing.B) store.Store {
	s, err := store.OpenSQLite(b.Context(), filepath.Join(b.TempDir(), "state.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchPostgres opens a store on a new PostgreSQL database (pgtest's
// server runs without fsync: the figures compare code, not disks).
func benchPostgres(b *testing.B) store.Store {
	s, err := store.OpenPostgres(b.Context(), pgtest.NewDatabase(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// cpuPerOp starts measuring the process's CPU time and returns the func
// that reports it per op as cpu-ns/op: on a shared machine the load of
// others moves wall time much more than the CPU time the code itself
// takes. (It is the client's: PostgreSQL's server is another process.)
func cpuPerOp(b *testing.B) func() {
	start := cputime.Process()
	return func() { b.ReportMetric(float64(cputime.Process()-start)/float64(b.N), "cpu-ns/op") }
}

// benchStores are the databases BenchmarkPlan and BenchmarkSCIM run on.
var benchStores = []struct {
	name string
	open func(*testing.B) store.Store
}{{"sqlite", benchSQLite}, {"postgres", benchPostgres}}

// benchChanges returns n user creates.
func benchChanges(n int) []connectors.Change {
	changes := make([]connectors.Change, n)
	for i := range changes {
		key := fmt.Sprintf("u%07d", i)
		changes[i] = connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindUser, Key: key,
			User: &mapping.User{Key: key, Name: "User " + key, Email: key + "@example.com"}}
	}
	return changes
}

// BenchmarkApplied measures Applied throughput on a planned run in SQLite,
// one caller (serial) and eight (parallel): each Applied is one write
// transaction (entry, counts and link).
func BenchmarkApplied(b *testing.B) { benchApplied(b, benchSQLite) }

// BenchmarkPostgresApplied is BenchmarkApplied on PostgreSQL.
func BenchmarkPostgresApplied(b *testing.B) { benchApplied(b, benchPostgres) }

func benchApplied(b *testing.B, open func(*testing.B) store.Store) {
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("callers=%d", workers), func(b *testing.B) {
			ctx := b.Context()
			s := open(b)
			defer s.Close()
			run, err := s.StartRun(ctx, "bench", store.ModeFull)
			if err != nil {
				b.Fatal(err)
			}
			changes := benchChanges(b.N)
			if err := s.Plan(ctx, run, changes); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			report := cpuPerOp(b)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for seq := w; seq < b.N; seq += workers {
						if err := s.Applied(ctx, run, seq, "T"+changes[seq].Key); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			report()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// BenchmarkPlan measures Plan of 10,000 changes (one transaction) and
// Adopt of 10,000 links, in SQLite and PostgreSQL.
func BenchmarkPlan(b *testing.B) {
	for _, db := range benchStores {
		changes := benchChanges(10000)
		links := make([]store.Link, len(changes))
		for i, c := range changes {
			links[i] = store.Link{Kind: c.Kind, Key: c.Key, TargetID: "T" + c.Key}
		}
		b.Run(db.name+"/plan", func(b *testing.B) {
			ctx := b.Context()
			s := db.open(b)
			defer s.Close()
			defer cpuPerOp(b)()
			for b.Loop() {
				run, err := s.StartRun(ctx, "bench", store.ModeFull)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Plan(ctx, run, changes); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(db.name+"/adopt", func(b *testing.B) {
			ctx := b.Context()
			s := db.open(b)
			defer s.Close()
			defer cpuPerOp(b)()
			for b.Loop() {
				if err := s.Adopt(ctx, "bench", links); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSCIM measures SCIM writes in SQLite and PostgreSQL: a User's
// create, and a Group's update that touches its 100 members.
func BenchmarkSCIM(b *testing.B) {
	for _, db := range benchStores {
		b.Run(db.name+"/create", func(b *testing.B) {
			ctx := b.Context()
			s := db.open(b)
			defer s.Close()
			i := 0
			defer cpuPerOp(b)()
			for b.Loop() {
				id := fmt.Sprintf("u%07d", i)
				i++
				if _, err := s.SCIMCreate(ctx, store.SCIMResource{Type: store.SCIMUser, ID: id, ExternalID: "ext-" + id,
					Name: id + "@example.com", Doc: []byte(`{"userName":"` + id + `@example.com"}`)}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(db.name+"/touch100", func(b *testing.B) {
			ctx := b.Context()
			s := db.open(b)
			defer s.Close()
			members := make([]string, 100)
			for i := range members {
				members[i] = fmt.Sprintf("u%03d", i)
				if _, err := s.SCIMCreate(ctx, store.SCIMResource{Type: store.SCIMUser, ID: members[i], Name: members[i], Doc: []byte(`{}`)}); err != nil {
					b.Fatal(err)
				}
			}
			g, err := s.SCIMCreate(ctx, store.SCIMResource{Type: store.SCIMGroup, ID: "g1", Name: "Group", Doc: []byte(`{}`)})
			if err != nil {
				b.Fatal(err)
			}
			defer cpuPerOp(b)()
			for b.Loop() {
				if g, err = s.SCIMUpdate(ctx, g, g.Version, members); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLinks measures Links of a job with 100,000 user links, 7 org
// and 2 group links (memberships have none), what a no-change run of
// 100,000 users reads before it plans (issue 13), in SQLite and
// PostgreSQL. The target ids are random, as AirCourse's are (usr_ and 16
// random alphanumerics), so that their order is not the keys'.
func BenchmarkLinks(b *testing.B) {
	var links []store.Link
	rng := rand.New(rand.NewPCG(13, 13))
	for i := range 100000 {
		links = append(links, store.Link{Kind: mapping.KindUser, Key: fmt.Sprintf("%d", 100001+i), TargetID: fmt.Sprintf("usr_%016x", rng.Uint64())})
	}
	for i := range 7 {
		links = append(links, store.Link{Kind: mapping.KindOrg, Key: fmt.Sprintf("本社/部%d", i), TargetID: fmt.Sprintf("org_%016d", i)})
	}
	for i := range 2 {
		links = append(links, store.Link{Kind: mapping.KindGroup, Key: fmt.Sprintf("group%d", i), TargetID: fmt.Sprintf("grp_%016d", i)})
	}
	for _, db := range benchStores {
		b.Run(db.name, func(b *testing.B) {
			ctx := b.Context()
			s := db.open(b)
			defer s.Close()
			if err := s.Adopt(ctx, "bench", links); err != nil {
				b.Fatal(err)
			}
			defer cpuPerOp(b)()
			for b.Loop() {
				l, err := s.Links(ctx, "bench")
				if err != nil || l.Len() != len(links) {
					b.Fatalf("Links: %d, %v", l.Len(), err)
				}
			}
		})
	}
}
