package scimtarget

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/scimtarget/stricttest"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scim"
)

// lookups counts the lists (after a Read, the natural-key lookups) a
// server answered.
func lookups(reqs []stricttest.Request) int {
	n := 0
	for _, r := range reqs {
		if r.Method == http.MethodGet && (r.Path == usersPath || r.Path == groupsPath) {
			n++
		}
	}
	return n
}

// shortPages fronts a SCIM server and answers every list page after the
// first, unfiltered, empty (its totalResults kept): a listing short of
// totalResults, which Read returns as it is.
func shortPages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.Method == http.MethodGet && q.Get("filter") == "" && q.Get("startIndex") != "" && q.Get("startIndex") != "1" {
			w.Header().Set("Content-Type", mediaType)
			_, _ = w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":3,"Resources":[]}`))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// A create after a Read that listed the whole collection is answered from
// the listing: no lookup request for what is not there, and what is there
// (a userName in another case, a Group of the same name) is adopted
// without one. A listing that is not whole (a server that lists only with
// a filter, pages short of totalResults) leaves the lookups to the server,
// as do Find and a second attempt at the same create.
func TestCreateLookupsFromRead(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  stricttest.Options
		front func(http.Handler) http.Handler
		// want are the lookups of the four creates after Read: on the
		// server, two for a new user (userName, externalId), one for a
		// user found by userName, two for a Group found by displayName
		// and for a new one.
		want int
	}{
		{name: "whole listing", want: 0},
		{name: "pages capped, followed to totalResults", opts: stricttest.Options{PageCap: 1}, want: 0},
		{name: "a filter required", opts: stricttest.Options{FilterRequired: true}, want: 7},
		// The Groups' one page is whole: only the users are looked up.
		{name: "Users short of totalResults", front: shortPages, want: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Token = unitToken
			srv := stricttest.New(t, tc.opts)
			tanaka := srv.SeedUser(t, `{"userName":"Tanaka","externalId":"e1"}`)
			srv.SeedUser(t, `{"userName":"suzuki","externalId":"e2"}`)
			srv.SeedUser(t, `{"userName":"kato","externalId":"e3"}`)
			team := srv.SeedGroup(t, "team")
			base := srv.URL
			if tc.front != nil {
				ts := httptest.NewServer(tc.front(srv))
				t.Cleanup(ts.Close)
				base = ts.URL + "/scim/v2"
			}
			a := newTestAdapter(t, base, nil)
			if _, err := a.Read(t.Context()); err != nil {
				t.Fatal(err)
			}
			before := len(srv.Requests())
			sato := change.CreateUser(mapping.User{Key: "e9", LoginID: "sato", Name: "佐藤"}, nil)
			for _, c := range []struct {
				c    connectors.Change
				want string // "" a new one
			}{
				{sato, ""},
				{change.CreateUser(mapping.User{Key: "e1", LoginID: "tanaka", Name: "田中"}, nil), tanaka},
				{change.CreateGroup(mapping.Group{Key: "g1", Code: "g1", Name: "team"}), team},
				{change.CreateGroup(mapping.Group{Key: "g2", Code: "g2", Name: "sales"}), ""},
			} {
				res, err := a.Apply(t.Context(), c.c, nil)
				if err != nil {
					t.Fatalf("%s %s: %v", c.c.Kind, c.c.Key, err)
				}
				if c.want != "" && res.TargetID != c.want {
					t.Errorf("%s %s: adopted %q, want %q", c.c.Kind, c.c.Key, res.TargetID, c.want)
				}
			}
			if got := lookups(srv.Requests()[before:]); got != tc.want {
				t.Errorf("%d lookups by the creates, want %d", got, tc.want)
			}
			if n := len(srv.Users()); n != 4 {
				t.Errorf("%d users, want 4", n)
			}
			if n := len(srv.Groups()); n != 2 {
				t.Errorf("%d groups, want 2", n)
			}

			// Made again (a retry of a create that may have landed), or
			// looked up by Find: asked of the server, which has it.
			before = len(srv.Requests())
			found := a.Find(t.Context(), []connectors.Change{sato}, nil)
			if found[0].Err != nil || found[0].TargetID == "" {
				t.Errorf("Find: %+v, want the user made", found[0])
			}
			res, err := a.Apply(t.Context(), sato, nil)
			if err != nil || res.TargetID != found[0].TargetID {
				t.Errorf("the create again: %+v %v, want the user made (%s)", res, err, found[0].TargetID)
			}
			if got := lookups(srv.Requests()[before:]); got != 2 {
				t.Errorf("%d lookups by Find and a second attempt, want 2", got)
			}
			if n := len(srv.Users()); n != 4 {
				t.Errorf("%d users after the create again, want 4", n)
			}
		})
	}
}

// foldKey keys together exactly what strings.EqualFold holds equal.
func TestFoldKey(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"Tanaka", "tANAKA"}, {"straße", "STRASSE"}, {"ſ", "S"}, {"K", "k"}, {"Σίσυφος", "ΣΊΣΥΦΟΣ"}, {"ǅ", "ǆ"}, {"a", "b"}, {"山田", "山田"},
	} {
		if got, want := foldKey(tc.a) == foldKey(tc.b), strings.EqualFold(tc.a, tc.b); got != want {
			t.Errorf("%q ~ %q: same key %v, EqualFold %v", tc.a, tc.b, got, want)
		}
	}
}

// stripETag fronts a SCIM server and drops the ETag header of PATCH
// answers: the version is then only the returned resource's meta.version.
func stripETag(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPatch {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			if k != "Etag" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// A PATCH takes the version its answer gives (the ETag header of a 204
// or a 200, else a 200's meta.version), so that the next write to the
// same resource sends it as If-Match without a GET for it.
func TestPatchTakesItsVersion(t *testing.T) {
	ownEndpoint := func(t *testing.T) http.Handler {
		st, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "state.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		h, err := scim.New(scim.Options{Store: st, Tokens: []string{unitToken}})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	strict := func(t *testing.T) http.Handler {
		return stricttest.New(t, stricttest.Options{Token: unitToken, ETags: true, RequireIfMatch: true})
	}
	for _, tc := range []struct {
		name   string
		server func(*testing.T) http.Handler
		front  func(http.Handler) http.Handler
		status int // of each PATCH
	}{
		{name: "204 with an ETag header (orgbridge's endpoint)", server: ownEndpoint, status: http.StatusNoContent},
		{name: "200 with an ETag header", server: strict, status: http.StatusOK},
		{name: "200 with meta.version only", server: strict, front: stripETag, status: http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var next http.Handler = tc.server(t)
			if tc.front != nil {
				next = tc.front(next)
			}
			rec := &requestLog{next: next}
			ts := httptest.NewServer(rec)
			t.Cleanup(ts.Close)
			a := newTestAdapter(t, ts.URL+"/scim/v2", nil)
			was := mapping.User{Key: "e1", LoginID: "ito", Name: "伊藤"}
			res, err := a.Apply(t.Context(), change.CreateUser(was, nil), nil)
			if err != nil {
				t.Fatal(err)
			}
			id := res.TargetID
			if _, err := a.Read(t.Context()); err != nil {
				t.Fatal(err)
			}
			before := len(rec.lines())
			was.Key = id
			for _, name := range []string{"伊藤 美咲", "伊藤 美咲子", "伊藤"} {
				now := was
				now.Name = name
				if _, err := a.Apply(t.Context(), change.UpdateUser(id, was, now), nil); err != nil {
					t.Fatalf("update to %s: %v", name, err)
				}
				was = now
			}
			want := fmt.Sprintf("PATCH /Users/%[1]s %[2]d (If-Match), PATCH /Users/%[1]s %[2]d (If-Match), PATCH /Users/%[1]s %[2]d (If-Match)", id, tc.status)
			if got := strings.Join(rec.lines()[before:], ", "); got != want {
				t.Errorf("requests\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// requestLog fronts a SCIM server and logs each request as "METHOD
// /path status", with "(If-Match)" when it carried one.
type requestLog struct {
	next http.Handler
	mu   sync.Mutex
	seen []string
}

func (l *requestLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	l.next.ServeHTTP(rec, r)
	line := fmt.Sprintf("%s %s %d", r.Method, strings.TrimPrefix(r.URL.Path, "/scim/v2"), rec.Code)
	if r.Header.Get("If-Match") != "" {
		line += " (If-Match)"
	}
	l.mu.Lock()
	l.seen = append(l.seen, line)
	l.mu.Unlock()
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (l *requestLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.seen)
}
