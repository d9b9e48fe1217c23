package scimtarget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/scimtarget/stricttest"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
	"github.com/orgbridge/orgbridge/mapping"
)

const unitToken = "scim-target-unit-token-3f8a61d2"

// newTestAdapter is an adapter for the server at base, page size 2, no
// retries.
func newTestAdapter(t *testing.T, base string, mutate func(*Config)) *Adapter {
	t.Helper()
	t.Setenv("SCIM_TARGET_UNIT_TOKEN", unitToken)
	retries := 0
	cfg := Config{OAuthConfig: httpkit.OAuthConfig{BaseURL: base}, Token: config.Secret{Env: "SCIM_TARGET_UNIT_TOKEN"},
		PageSize: 2, ClientConfig: httpkit.ClientConfig{MaxRetries: &retries}}
	if mutate != nil {
		mutate(&cfg)
	}
	logger, _ := httpkittest.ObservedLogger()
	a, err := New(context.Background(), cfg, logger, connectors.WithClock(httpkittest.NewFakeClock(time.Time{})), connectors.WithRetryWait(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// pagingServer serves n Users by a page function of (startIndex, count)
// → (first index, how many, totalResults; -1 for none); no
// ServiceProviderConfig, no Groups. It counts the list requests.
func pagingServer(t *testing.T, n int, page func(start, count int) (from, size, total int)) (*httptest.Server, *atomic.Int32) {
	var lists atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/Users" {
			if r.URL.Path == "/Groups" {
				_, _ = w.Write([]byte(`{"totalResults":0,"Resources":[]}`))
				return
			}
			http.NotFound(w, r)
			return
		}
		if lists.Add(1) > 50 {
			t.Error("more than 50 list requests: the adapter loops")
			http.Error(w, "loop", http.StatusInternalServerError)
			return
		}
		start, _ := strconv.Atoi(r.URL.Query().Get("startIndex"))
		count, _ := strconv.Atoi(r.URL.Query().Get("count"))
		from, size, total := page(start, count)
		doc := map[string]any{}
		var res []any
		for i := from; i < from+size && i <= n; i++ {
			res = append(res, map[string]any{"id": fmt.Sprintf("u%d", i), "userName": fmt.Sprintf("user%d", i)})
		}
		doc["Resources"] = res
		if total >= 0 {
			doc["totalResults"] = total
		}
		_ = json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(srv.Close)
	return srv, &lists
}

func TestReadPaging(t *testing.T) {
	for _, tc := range []struct {
		name      string
		page      func(start, count int) (int, int, int)
		wantUsers int
		wantLists int
		wantErr   string
	}{
		{name: "pages of count with totalResults", page: func(s, c int) (int, int, int) { return s, c, 5 }, wantUsers: 5, wantLists: 3},
		{name: "server ignores count and sends all", page: func(s, c int) (int, int, int) { return s, 5, 5 }, wantUsers: 5, wantLists: 1},
		{name: "server caps pages at one", page: func(s, c int) (int, int, int) { return s, 1, 5 }, wantUsers: 5, wantLists: 5},
		{name: "no totalResults: a short page ends", page: func(s, c int) (int, int, int) { return s, c, -1 }, wantUsers: 5, wantLists: 3},
		{name: "an empty page ends", page: func(s, c int) (int, int, int) {
			if s > 2 {
				return s, 0, 9
			}
			return s, c, 9
		}, wantUsers: 2, wantLists: 2},
		{name: "one page only, a larger total", page: func(s, c int) (int, int, int) { return 1, 2, 5 }, wantLists: 2,
			wantErr: "it does not page"},
		{name: "one page of everything, no total", page: func(s, c int) (int, int, int) { return 1, 5, -1 }, wantUsers: 5, wantLists: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, lists := pagingServer(t, 5, tc.page)
			a := newTestAdapter(t, srv.URL, nil)
			snap, err := a.Read(t.Context())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if len(snap.Users) != tc.wantUsers {
				t.Errorf("%d users, want %d", len(snap.Users), tc.wantUsers)
			}
			if got := int(lists.Load()); got != tc.wantLists {
				t.Errorf("%d list requests, want %d", got, tc.wantLists)
			}
		})
	}
}

// A create finds the user another client made and adopts it; where PATCH
// is not supported the adoption goes by PUT of the whole resource, which
// keeps what orgbridge does not map (a home e-mail, profileUrl).
func TestCreateAdoptsByPUTKeepingForeignAttributes(t *testing.T) {
	srv := stricttest.New(t, stricttest.Options{Token: unitToken, PatchUnsupported: true, ETags: true, RequireIfMatch: true})
	id := srv.SeedUser(t, `{"userName":"Yamada","profileUrl":"https://example.com/yamada","emails":[{"type":"home","value":"home@example.com"}]}`)
	a := newTestAdapter(t, srv.URL, nil)
	u := mapping.User{Key: "e1001", LoginID: "yamada", Email: "yamada@example.com", Name: "山田 太郎", Attributes: map[string]string{"department": "営業部"}}
	res, err := a.Apply(t.Context(), change.CreateUser(u, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.TargetID != id {
		t.Fatalf("TargetID = %q, want the seeded %q", res.TargetID, id)
	}
	users := srv.Users()
	if len(users) != 1 {
		t.Fatalf("%d users, want 1", len(users))
	}
	got, _ := json.Marshal(users[0].Attributes)
	for _, want := range []string{`"profileUrl":"https://example.com/yamada"`, `"home@example.com"`, `"yamada@example.com"`, `"displayName":"山田 太郎"`, `"department":"営業部"`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("stored user %s lacks %s", got, want)
		}
	}
	if users[0].ExternalID != "e1001" {
		t.Errorf("externalId = %q", users[0].ExternalID)
	}
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost {
			t.Errorf("a POST was sent: %+v", r)
		}
	}
}

// A 409 uniqueness on create (the lookup missed: the server filters
// otherwise) is answered by the lookup and an adoption.
func TestCreateConflictAdopts(t *testing.T) {
	strict := stricttest.New(t, stricttest.Options{Token: unitToken})
	id := strict.SeedUser(t, `{"userName":"sato"}`)
	var lookups atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Query().Get("filter") != "" && lookups.Add(1) <= 2 {
			_, _ = w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}`))
			return
		}
		strict.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	a := newTestAdapter(t, front.URL+"/scim/v2", nil)
	res, err := a.Apply(t.Context(), change.CreateUser(mapping.User{Key: "e2", LoginID: "sato", Name: "佐藤"}, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.TargetID != id {
		t.Errorf("TargetID = %q, want %q", res.TargetID, id)
	}
	if n := len(strict.Users()); n != 1 {
		t.Errorf("%d users", n)
	}
}

// A write whose If-Match is stale (another client changed the resource
// since Read) is 412: the adapter reads the version again and succeeds.
func TestStaleETagRetriedOnce(t *testing.T) {
	srv := stricttest.New(t, stricttest.Options{Token: unitToken, ETags: true, RequireIfMatch: true})
	id := srv.SeedUser(t, `{"userName":"ito","displayName":"伊藤"}`)
	a := newTestAdapter(t, srv.URL, nil)
	if _, err := a.Read(t.Context()); err != nil {
		t.Fatal(err)
	}
	gid := srv.SeedGroup(t, "foreign")
	srv.SeedMember(t, gid, id) // the user's version does not move; the group's does
	a.noteVersion(usersPath+"/"+id, `W/"999"`)
	was := mapping.User{Key: id, LoginID: "ito", Name: "伊藤"}
	now := was
	now.Name = "伊藤 美咲"
	if _, err := a.Apply(t.Context(), change.UpdateUser(id, was, now), nil); err != nil {
		t.Fatal(err)
	}
	var saw412 bool
	for _, r := range srv.Requests() {
		saw412 = saw412 || r.Status == http.StatusPreconditionFailed
	}
	if !saw412 {
		t.Error("no 412 was met")
	}
	if got := srv.Users()[0].Attributes["displayName"]; got != "伊藤 美咲" {
		t.Errorf("displayName = %v", got)
	}
}

// Member changes sent together go in PATCHes of at most the server's
// maxOperations; when one member is refused, the others still land and
// only its change fails.
func TestMembersBatched(t *testing.T) {
	srv := stricttest.New(t, stricttest.Options{Token: unitToken, MaxOperations: 2})
	gid := srv.SeedGroup(t, "team")
	var users []string
	for i := range 5 {
		users = append(users, srv.SeedUser(t, fmt.Sprintf(`{"userName":"m%d"}`, i)))
	}
	a := newTestAdapter(t, srv.URL, nil)
	var batch []*memberOp
	for _, u := range append(users, "no-such-user") {
		batch = append(batch, &memberOp{add: true, user: u, done: make(chan error, 1)})
	}
	// the first change finds the others queued, and sends them all
	a.members.queues = map[string]*memberQueue{gid: {pending: batch[1:]}}
	if err := a.member(t.Context(), gid, batch[0]); err != nil {
		t.Fatalf("first member: %v", err)
	}
	for i, op := range batch[1:] {
		err := <-op.done
		if op.user == "no-such-user" {
			var fe *connectors.FieldError
			if !errors.As(err, &fe) {
				t.Errorf("unknown member: err = %v, want a FieldError", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("member %d: %v", i+1, err)
		}
	}
	members, _ := srv.Groups()[0].Attributes["members"].([]any)
	if len(members) != 5 {
		t.Errorf("%d members, want 5: %v", len(members), members)
	}
	patches := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPatch {
			patches++
		}
	}
	// 6 changes in batches of 2 (3 PATCHes), the failed batch then sent
	// one change at a time (2 more)
	if patches != 5 {
		t.Errorf("%d PATCHes, want 5", patches)
	}
}
