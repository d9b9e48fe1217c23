package store_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/internal/store/pgtest"
)

// TestSCIMQueryPaths: a page is the same whichever way SCIMQuery reads
// it (the matches looked up and sorted, or the collection walked in order
// from the nearer end) and is what a filter in Go over SCIMList finds, at
// every offset, on SQLite and PostgreSQL; totalResults too, with no
// condition read from the count the writes keep. Not parallel: it sets
// the package's thresholds.
func TestSCIMQueryPaths(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			var s store.Store
			if db == "sqlite" {
				s = openSQLite(t, filepath.Join(t.TempDir(), "state.db"))
			} else {
				s = openPostgres(t, pgtest.NewDatabase(t))
			}
			t.Cleanup(func() { _ = s.Close() })
			testSCIMQueryPaths(t, s)
		})
	}
}

func testSCIMQueryPaths(t *testing.T, s store.Store) {
	ctx := t.Context()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// 30 users, created in threes with one time (ties broken by id, the
	// ids against the order of creation), then every third updated,
	// newest first, so that modification and creation orders differ; two
	// deleted; a group, which no User page counts.
	for i := range 30 {
		id := fmt.Sprintf("u%02d", 29-i)
		doc := fmt.Sprintf(`{"userName":"user%02d","emails":[{"value":"user%02d@example.com","type":"work"}]}`, i, i)
		if _, err := s.SCIMCreate(ctx, store.SCIMResource{Type: store.SCIMUser, ID: id, ExternalID: fmt.Sprintf("ext-%d", i%4),
			Name: fmt.Sprintf("user%02d", i), Doc: []byte(doc), Created: base.Add(time.Duration(i/3) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	var mid time.Time
	for i := 29; i >= 0; i -= 3 {
		cur, err := s.SCIMGet(ctx, store.SCIMUser, fmt.Sprintf("u%02d", i))
		if err != nil {
			t.Fatal(err)
		}
		cur.Doc = []byte(strings.Replace(string(cur.Doc), "example.com", "example.org", 1))
		up, err := s.SCIMUpdate(ctx, cur, cur.Version, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 14 {
			mid = up.Modified
		}
	}
	for _, id := range []string{"u07", "u20"} {
		if err := s.SCIMDelete(ctx, store.SCIMUser, id, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SCIMCreate(ctx, store.SCIMResource{Type: store.SCIMGroup, ID: "g1", Name: "G", Doc: []byte(`{"displayName":"G"}`)}); err != nil {
		t.Fatal(err)
	}
	users, err := s.SCIMList(ctx, store.SCIMUser)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 28 {
		t.Fatalf("SCIMList: %d users, want 28", len(users))
	}

	at := func(op store.SCIMOp, attr store.SCIMAttr, tm time.Time) *store.SCIMFilter {
		return &store.SCIMFilter{Op: op, Attr: attr, Time: tm}
	}
	value := func(op store.SCIMOp, attr store.SCIMAttr, v string) *store.SCIMFilter {
		return &store.SCIMFilter{Op: op, Attr: attr, Value: v}
	}
	created, late := base.Add(4*time.Second), base.Add(7*time.Second)
	for _, tt := range []struct {
		name  string
		where *store.SCIMFilter
		match func(r store.SCIMResource) bool
	}{
		{"all", nil, func(store.SCIMResource) bool { return true }},
		{"modified ge", at(store.SCIMGe, store.SCIMAttrModified, mid), func(r store.SCIMResource) bool { return !r.Modified.Before(mid) }},
		{"modified lt", at(store.SCIMLt, store.SCIMAttrModified, mid), func(r store.SCIMResource) bool { return r.Modified.Before(mid) }},
		{"created gt", at(store.SCIMGt, store.SCIMAttrCreated, created), func(r store.SCIMResource) bool { return r.Created.After(created) }},
		{"created and modified", &store.SCIMFilter{Op: store.SCIMAnd, Args: []*store.SCIMFilter{
			at(store.SCIMGt, store.SCIMAttrCreated, late), at(store.SCIMGe, store.SCIMAttrModified, mid)}},
			func(r store.SCIMResource) bool { return r.Created.After(late) && !r.Modified.Before(mid) }},
		{"externalId eq", value(store.SCIMEq, store.SCIMAttrExternalID, "ext-1"), func(r store.SCIMResource) bool { return r.ExternalID == "ext-1" }},
		{"id ge", value(store.SCIMGe, store.SCIMAttrID, "u10"), func(r store.SCIMResource) bool { return r.ID >= "u10" }},
		{"userName sw", value(store.SCIMSw, store.SCIMAttrUserName, "USER1"), func(r store.SCIMResource) bool { return strings.HasPrefix(r.Name, "user1") }},
		{"emails co", value(store.SCIMCo, store.SCIMAttrEmails, "example.org"), func(r store.SCIMResource) bool { return strings.Contains(string(r.Doc), "example.org") }},
		{"userName or modified", &store.SCIMFilter{Op: store.SCIMOr, Args: []*store.SCIMFilter{
			value(store.SCIMSw, store.SCIMAttrUserName, "user2"), at(store.SCIMGe, store.SCIMAttrModified, mid)}},
			func(r store.SCIMResource) bool { return strings.HasPrefix(r.Name, "user2") || !r.Modified.Before(mid) }},
	} {
		var want []string
		for _, r := range users {
			if tt.match(r) {
				want = append(want, r.ID)
			}
		}
		if len(want) == 0 || len(want) == len(users) && tt.where != nil {
			t.Fatalf("%s: the fixture matches %d of %d: no test", tt.name, len(want), len(users))
		}
		for _, mode := range []struct {
			name        string
			most, ratio int
		}{{"default", 5000, 5}, {"sorted", 1 << 30, 1}, {"walked", 0, 1 << 30}} {
			restore := store.SetSCIMSort(mode.most, mode.ratio)
			for _, limit := range []int{1, 4, 100} {
				for offset := 0; offset <= len(want)+1; offset++ {
					list, total, err := s.SCIMQuery(ctx, store.SCIMUser, tt.where, offset, limit)
					if err != nil {
						restore()
						t.Fatalf("%s (%s, offset %d, limit %d): %v", tt.name, mode.name, offset, limit, err)
					}
					got := []string{}
					for _, r := range list {
						got = append(got, r.ID)
					}
					w := want[min(offset, len(want)):min(offset+limit, len(want))]
					if !slices.Equal(got, w) || total != len(want) {
						t.Errorf("%s (%s, offset %d, limit %d) = %v (total %d), want %v (total %d)",
							tt.name, mode.name, offset, limit, got, total, w, len(want))
					}
				}
			}
			restore()
		}
	}
}

// TestSCIMCountConcurrent: creates and deletes from many goroutines keep
// the count of live resources (an unfiltered page's totalResults) equal
// to what SCIMList finds, on SQLite and on PostgreSQL, where they run in
// transactions beside each other.
func TestSCIMCountConcurrent(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			var s store.Store
			if db == "sqlite" {
				s = openSQLite(t, filepath.Join(t.TempDir(), "state.db"))
			} else {
				s = openPostgres(t, pgtest.NewDatabase(t))
			}
			t.Cleanup(func() { _ = s.Close() })
			ctx := t.Context()
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for w := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 10 {
						id := fmt.Sprintf("w%d-%d", w, i)
						if _, err := s.SCIMCreate(ctx, store.SCIMResource{Type: store.SCIMUser, ID: id, Name: id}); err != nil {
							errs <- err
							return
						}
						// The same id again: refused, and not counted.
						if _, err := s.SCIMCreate(ctx, store.SCIMResource{Type: store.SCIMUser, ID: id, Name: id + "b"}); !errors.Is(err, store.ErrConflict) {
							errs <- fmt.Errorf("second create of %s: %v, want ErrConflict", id, err)
							return
						}
						if i%3 == 0 {
							if err := s.SCIMDelete(ctx, store.SCIMUser, id, nil); err != nil {
								errs <- err
								return
							}
							// Deleting the tombstone: refused, and not counted.
							if err := s.SCIMDelete(ctx, store.SCIMUser, id, nil); !errors.Is(err, store.ErrNotFound) {
								errs <- fmt.Errorf("second delete of %s: %v, want ErrNotFound", id, err)
								return
							}
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			users, err := s.SCIMList(ctx, store.SCIMUser)
			if err != nil {
				t.Fatal(err)
			}
			_, total, err := s.SCIMQuery(ctx, store.SCIMUser, nil, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(users) != 8*6 || total != len(users) {
				t.Fatalf("totalResults %d, SCIMList %d users; want both %d", total, len(users), 8*6)
			}
			if _, total, err := s.SCIMQuery(ctx, store.SCIMGroup, nil, 0, 10); err != nil || total != 0 {
				t.Fatalf("Groups: totalResults %d, %v; want 0", total, err)
			}
		})
	}
}
