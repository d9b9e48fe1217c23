package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// SCIMQuery runs its statements prepared, each prepared once, without
// waiting on itself when more queries of new shapes arrive at once than
// the read pool has connections (a statement prepared inside a
// transaction would wait for a connection the others hold); and past
// scimStmtMax shapes it still answers, as text.
func TestSCIMQueryStatements(t *testing.T) {
	s := openSQLite(t)
	ctx := t.Context()
	const users = 30
	for i := range users {
		doc := fmt.Sprintf(`{"userName":"u%02d@example.jp","displayName":"社員 %02d","emails":[{"value":"u%02d@example.jp","type":"work"}]}`, i, i, i)
		if _, err := s.SCIMCreate(ctx, SCIMResource{Type: SCIMUser, ID: fmt.Sprintf("id-%02d", i), ExternalID: fmt.Sprintf("ext-%02d", i),
			Name: fmt.Sprintf("u%02d@example.jp", i), Doc: []byte(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	eq := func(attr SCIMAttr, v string) *SCIMFilter { return &SCIMFilter{Op: SCIMEq, Attr: attr, Value: v} }
	// or of n userNames: n users, a shape of its own for each n.
	orOf := func(n int) *SCIMFilter {
		if n == 1 {
			return eq(SCIMAttrUserName, "u00@example.jp")
		}
		f := &SCIMFilter{Op: SCIMOr}
		for i := range n {
			f.Args = append(f.Args, eq(SCIMAttrUserName, fmt.Sprintf("u%02d@example.jp", i)))
		}
		return f
	}
	shapes := []struct {
		where *SCIMFilter
		want  int
	}{
		{nil, users},
		{eq(SCIMAttrUserName, "U07@example.jp"), 1},
		{eq(SCIMAttrExternalID, "ext-08"), 1},
		{&SCIMFilter{Op: SCIMSw, Attr: SCIMAttrDisplayName, Value: "社員 1"}, 10},
		{&SCIMFilter{Op: SCIMCo, Attr: SCIMAttrEmails, Value: "09@exa"}, 1},
		{&SCIMFilter{Op: SCIMAnd, Args: []*SCIMFilter{eq(SCIMAttrUserName, "u03@example.jp"), eq(SCIMAttrExternalID, "ext-03")}}, 1},
		{orOf(2), 2},
		{orOf(3), 3},
	}
	// A hang guard, not a bound on the time: a wait on itself never ends.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 4*sqliteReaders*len(shapes))
	for range 4 * sqliteReaders {
		for _, sh := range shapes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				list, total, err := s.SCIMQuery(ctx, SCIMUser, sh.where, 0, 100)
				if err == nil && (total != sh.want || len(list) != sh.want) {
					err = fmt.Errorf("%+v: total %d, %d resources, want %d", sh.where, total, len(list), sh.want)
				}
				if err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s.stmtMu.Lock()
	prepared := s.scimStmtCount()
	s.stmtMu.Unlock()
	if prepared == 0 || prepared > scimStmtMax {
		t.Fatalf("%d SCIM statements prepared, want some and at most %d", prepared, scimStmtMax)
	}
	// The same shapes again prepare nothing more.
	for _, sh := range shapes {
		if _, _, err := s.SCIMQuery(ctx, SCIMUser, sh.where, 0, 100); err != nil {
			t.Fatal(err)
		}
	}
	s.stmtMu.Lock()
	again := s.scimStmtCount()
	s.stmtMu.Unlock()
	if again != prepared {
		t.Errorf("the same shapes again: %d statements prepared, then %d", prepared, again)
	}
	// More shapes than the cache keeps: all answered.
	for n := 1; n <= users; n++ {
		list, total, err := s.SCIMQuery(ctx, SCIMUser, orOf(n), 0, 100)
		if err != nil || total != n || len(list) != n {
			t.Fatalf("or of %d userNames: total %d, %d resources, %v", n, total, len(list), err)
		}
		_, total, err = s.SCIMQuery(ctx, SCIMUser, orOf(n), 1, 100) // a page from the other end: another text
		if err != nil || total != n {
			t.Fatalf("or of %d userNames, from 1: total %d, %v", n, total, err)
		}
	}
	s.stmtMu.Lock()
	full := s.scimStmtCount()
	s.stmtMu.Unlock()
	if full != scimStmtMax {
		t.Errorf("after %d shapes, %d statements kept, want the cap %d", users, full, scimStmtMax)
	}
	// Closed: the statements are closed with the store and none is kept.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.scimPrepare(context.Background(), []string{`SELECT 1`})
	if s.scimStmt(`SELECT 1`) != nil {
		t.Error("a statement was prepared after Close")
	}
}

func TestSCIMTxText(t *testing.T) {
	tx := &scimTx{typ: "User"}
	for _, tc := range []struct{ in, want string }{
		{`SELECT id FROM scim_resources WHERE type = $1 AND deleted = 0`, `SELECT id FROM scim_resources WHERE type = 'User' AND deleted = 0`},
		{`a.type = $1 AND a.attr = $2 LIMIT $10 OFFSET $11`, `a.type = 'User' AND a.attr = $2 LIMIT $10 OFFSET $11`},
		{`WHERE type = $1`, `WHERE type = 'User'`},
		{`(type = $1) UNION (type=$1)`, `(type = 'User') UNION (type='User')`},
		{`$12 $1$2`, `$12 'User'$2`},
		{`no parameters`, `no parameters`},
	} {
		if got := tx.text(tc.in); got != tc.want {
			t.Errorf("text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := (&scimTx{}).text(`type = $1`); got != `type = $1` {
		t.Errorf("without a type (PostgreSQL): %q, want $1 kept", got)
	}
}
