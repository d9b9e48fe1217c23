package scimtarget

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/scimtarget/stricttest"
)

// recorder is a front to a SCIM server that records every request
// ("GET /Groups?attributes=members") and, with noSchemas, answers
// /Schemas 404 as a server that serves none.
type recorder struct {
	next      http.Handler
	noSchemas bool
	mu        sync.Mutex
	seen      []string
}

func (f *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sub := strings.TrimPrefix(r.URL.Path, "/scim/v2")
	line := r.Method + " " + sub
	if a := r.URL.Query().Get("attributes"); a != "" {
		line += "?attributes=" + a
	}
	f.mu.Lock()
	f.seen = append(f.seen, line)
	f.mu.Unlock()
	if f.noSchemas && sub == "/Schemas" {
		http.NotFound(w, r)
		return
	}
	f.next.ServeHTTP(w, r)
}

func (f *recorder) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

// Read lists Groups a second time with attributes=members only when no
// Group carried members and the server's /Schemas say members are
// returned on request, or say nothing; /Schemas is read once, and only
// when no Group carried members.
func TestReadAsksMembersOnlyWhenSchemasSayRequest(t *testing.T) {
	const (
		spc     = "GET /ServiceProviderConfig"
		users   = "GET /Users"
		groups  = "GET /Groups"
		schemas = "GET /Schemas"
		again   = "GET /Groups?attributes=members"
	)
	for _, tc := range []struct {
		name      string
		opts      stricttest.Options
		noSchemas bool
		member    bool // the Group has a member
		// want counts the requests of two Reads by one adapter.
		want map[string]int
	}{
		{name: "members by default, a Group with one", member: true,
			want: map[string]int{spc: 1, users: 2, groups: 2}},
		{name: "members by default, no Group has any",
			want: map[string]int{spc: 1, users: 2, groups: 2, schemas: 1}},
		{name: "members on request", opts: stricttest.Options{MembersNotReturned: true}, member: true,
			want: map[string]int{spc: 1, users: 2, groups: 2, schemas: 1, again: 2}},
		{name: "no /Schemas", noSchemas: true,
			want: map[string]int{spc: 1, users: 2, groups: 2, schemas: 1, again: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Token = unitToken
			strict := stricttest.New(t, tc.opts)
			uid := strict.SeedUser(t, `{"userName":"tanaka"}`)
			var members []string
			if tc.member {
				members = append(members, uid)
			}
			strict.SeedGroup(t, "team", members...)
			front := &recorder{next: strict, noSchemas: tc.noSchemas}
			ts := httptest.NewServer(front)
			t.Cleanup(ts.Close)
			a := newTestAdapter(t, ts.URL+"/scim/v2", nil)
			for i := range 2 {
				snap, err := a.Read(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if n := len(snap.Memberships); tc.member && n != 1 || !tc.member && n != 0 {
					t.Errorf("read %d: %d memberships: %+v", i+1, n, snap.Memberships)
				}
			}
			got := map[string]int{}
			for _, r := range front.requests() {
				got[r]++
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("requests %v, want %v", got, tc.want)
			}
		})
	}
}
