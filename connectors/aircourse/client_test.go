package aircourse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
)

const (
	testClientID = "95e0936f-2635-44c5-9c98-c7b85d650795"
	testSecret   = "cl13nt-s3cret-for-tests"
)

// miniAPI is a small hand-written server for client tests: a token
// endpoint issuing tok-1, tok-2, … and whatever routes a test adds.
type miniAPI struct {
	*httptest.Server
	mux *http.ServeMux

	mu       sync.Mutex
	tokens   int
	valid    map[string]bool
	requests []string // "METHOD /path?query"
	bodies   []string
}

func newMiniAPI(t *testing.T) *miniAPI {
	t.Helper()
	m := &miniAPI{mux: http.NewServeMux(), valid: map[string]bool{}}
	m.mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("client_secret") != testSecret || r.PostForm.Get("client_id") != testClientID {
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"message":"Client authentication failed"}`)
			return
		}
		if r.PostForm.Get("scope") != "read,write" {
			w.WriteHeader(400)
			return
		}
		m.mu.Lock()
		m.tokens++
		tok := "tok-" + strconv.Itoa(m.tokens)
		m.valid[tok] = true
		m.mu.Unlock()
		fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":3600,"access_token":%q}`, tok)
	})
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		if r.URL.Path != "/oauth/token" {
			m.mu.Lock()
			m.requests = append(m.requests, r.Method+" "+r.URL.RequestURI())
			m.bodies = append(m.bodies, string(body))
			ok := m.valid[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
			m.mu.Unlock()
			if !ok {
				w.WriteHeader(401)
				_, _ = io.WriteString(w, `{"message":"Unauthenticated."}`)
				return
			}
			if r.Header.Get("Accept") != "application/json" {
				w.WriteHeader(400)
				return
			}
			if len(body) > 0 && r.Header.Get("Content-Type") != "application/json" {
				w.WriteHeader(400)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		m.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *miniAPI) revokeAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.valid = map[string]bool{}
}

func (m *miniAPI) log() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.requests...)
}

func testConfig(t *testing.T, baseURL string) Config {
	t.Helper()
	t.Setenv("AIRCOURSE_TEST_SECRET", testSecret)
	retries := 2
	return Config{
		OAuthConfig:  httpkit.OAuthConfig{BaseURL: baseURL, ClientID: testClientID, ClientSecret: config.Secret{Env: "AIRCOURSE_TEST_SECRET"}},
		ClientConfig: httpkit.ClientConfig{MaxRetries: &retries},
	}
}

func newTestAdapter(t *testing.T, cfg Config, logger *zap.Logger) *Adapter {
	t.Helper()
	a, err := New(context.Background(), cfg, logger,
		connectors.WithClock(httpkittest.NewFakeClock(time.Time{})),
		connectors.WithRetryWait(time.Millisecond, 2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestClientDecodesLeniently(t *testing.T) {
	api := newMiniAPI(t)
	api.mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"data":{"id":"usr_AAAAAAAAAAAAAAAA","name":"山田太郎","userNumber":123,
			"mail":null,"loginId":"yamada","status":"2","isSuspended":1,"gender":"1",
			"hasAiKnowledgeLicense":true,"memberOrganizationIds":["org_1",null],"adminOrganizationIds":null,
			"birthday":"1981-01-01","unknownField":{"x":1}}}`)
	})
	api.mux.HandleFunc("GET /groups/{id}/users", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"data":[{"userId":"usr_B","role":"admin"},{"id":"usr_C","name":"C"}]}`)
	})
	c := newTestAdapter(t, testConfig(t, api.URL), nil).Client()
	ctx := context.Background()

	u, err := c.Users().Get(ctx, "usr_AAAAAAAAAAAAAAAA")
	if err != nil {
		t.Fatal(err)
	}
	one := 1
	want := User{
		ID: "usr_AAAAAAAAAAAAAAAA", Name: "山田太郎", UserNumber: "123", LoginID: "yamada",
		Status: 2, IsSuspended: true, Gender: &one, HasAiKnowledgeLicense: 1,
		MemberOrganizationIDs: []string{"org_1"}, Birthday: "1981-01-01", HasOrgLists: true,
	}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("user (-want +got):\n%s", diff)
	}
	ms, err := c.Groups().Members("grp_X").List(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Member{{UserID: "usr_B", Role: "admin"}, {UserID: "usr_C", Name: "C"}}, ms); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

func TestClientPagination(t *testing.T) {
	api := newMiniAPI(t)
	const total = 5
	// Pages of two with meta; the server caps a page at two whatever the
	// limit asked, so only meta.lastPage tells the end.
	api.mux.HandleFunc("GET /groups", func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		var data []string
		for i := (page - 1) * 2; i < min(page*2, total); i++ {
			data = append(data, fmt.Sprintf(`{"id":"grp_%d","name":"g%d"}`, i, i))
		}
		fmt.Fprintf(w, `{"data":[%s],"meta":{"currentPage":%d,"lastPage":3,"perPage":2,"total":%d}}`, strings.Join(data, ","), page, total)
	})
	// No meta: a short page is the last.
	api.mux.HandleFunc("GET /organizations", func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		var data []string
		for i := (page - 1) * limit; i < min(page*limit, total); i++ {
			data = append(data, fmt.Sprintf(`{"id":"org_%d"}`, i))
		}
		fmt.Fprintf(w, `{"data":[%s]}`, strings.Join(data, ","))
	})
	// Laravel's paginator meta, in snake case, capping a page at two too.
	api.mux.HandleFunc("GET /users", func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		var data []string
		for i := (page - 1) * 2; i < min(page*2, total); i++ {
			data = append(data, fmt.Sprintf(`{"id":"usr_%d","name":"u%d"}`, i, i))
		}
		fmt.Fprintf(w, `{"data":[%s],"meta":{"current_page":%d,"from":1,"last_page":"3","per_page":2,"to":2,"total":%d}}`, strings.Join(data, ","), page, total)
	})
	// Meta by the query's own names, no last page, a page capped at two:
	// only the total tells the end.
	api.mux.HandleFunc("GET /groups/grp_1/users", func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		var data []string
		for i := (page - 1) * 2; i < min(page*2, total); i++ {
			data = append(data, fmt.Sprintf(`{"userId":"usr_%d","role":"member"}`, i))
		}
		fmt.Fprintf(w, `{"data":[%s],"meta":{"page":%d,"limit":2,"total":%d}}`, strings.Join(data, ","), page, total)
	})
	c := newTestAdapter(t, testConfig(t, api.URL), nil).Client()
	ctx := context.Background()

	members, err := c.Groups().Members("grp_1").List(ctx, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != total || members[4].UserID != "usr_4" {
		t.Errorf("members = %+v", members)
	}
	users, err := c.ListUsers(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != total || users[4].ID != "usr_4" {
		t.Errorf("users = %+v", users)
	}
	groups, err := c.ListGroups(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != total || groups[4].ID != "grp_4" {
		t.Errorf("groups = %+v", groups)
	}
	orgs, err := c.ListOrgs(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != total {
		t.Errorf("orgs = %+v", orgs)
	}
	want := []string{
		"GET /groups/grp_1/users?limit=1000&page=1", "GET /groups/grp_1/users?limit=1000&page=2", "GET /groups/grp_1/users?limit=1000&page=3",
		// Every status, named: a list without status may hold active users only.
		"GET /users?limit=1000&page=1&status=1%2C2%2C3", "GET /users?limit=1000&page=2&status=1%2C2%2C3", "GET /users?limit=1000&page=3&status=1%2C2%2C3",
		"GET /groups?limit=1000&page=1", "GET /groups?limit=1000&page=2", "GET /groups?limit=1000&page=3",
		"GET /organizations?limit=2&page=1", "GET /organizations?limit=2&page=2", "GET /organizations?limit=2&page=3",
	}
	// The pages after the first of a list with a last page are read at
	// once (TestClientPaginationConcurrent), in any order.
	if diff := cmp.Diff(want, api.log(), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestClientPaginationConcurrent: once the first page gives the last page,
// the others are read listConcurrency at a time and joined in page order;
// a list whose count of pages is not known (page, limit and total; no
// meta) is read one page after another; an empty page before the last ends
// the list there, as it did read in order; a failed page fails the list.
func TestClientPaginationConcurrent(t *testing.T) {
	const pages, per = 12, 3
	var (
		mu               sync.Mutex
		inFlight, most   map[string]int
		arrived          = make(chan struct{}, listConcurrency)
		barrier          = make(chan struct{})
		barrierOnce      sync.Once
		emptyPage, fails int
	)
	inFlight, most = map[string]int{}, map[string]int{}
	// serve answers page of a list of pages*per items, per a page, with
	// meta as metaFor writes it. The first listConcurrency requests for a
	// page after the first of /users wait until that many are in flight:
	// read one after another, the list would never get past them.
	serve := func(kind string, metaFor func(page int) string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			mu.Lock()
			inFlight[kind]++
			most[kind] = max(most[kind], inFlight[kind])
			empty, fail := page == emptyPage, page == fails
			mu.Unlock()
			defer func() { mu.Lock(); inFlight[kind]--; mu.Unlock() }()
			if kind == "users" && page > 1 {
				select {
				case arrived <- struct{}{}:
					if len(arrived) == listConcurrency {
						barrierOnce.Do(func() { close(barrier) })
					}
					select {
					case <-barrier:
					case <-r.Context().Done():
						return
					}
				default: // the barrier is behind us
				}
			}
			if fail {
				w.WriteHeader(http.StatusNotFound)
				_, _ = io.WriteString(w, `{"message":"Not Found"}`)
				return
			}
			var data []string
			for i := (page - 1) * per; i < min(page*per, pages*per) && !empty; i++ {
				data = append(data, fmt.Sprintf(`{"id":"%s_%d"}`, kind, i))
			}
			fmt.Fprintf(w, `{"data":[%s],"meta":%s}`, strings.Join(data, ","), metaFor(page))
		}
	}
	api := newMiniAPI(t)
	api.mux.HandleFunc("GET /users", serve("users", func(page int) string {
		return fmt.Sprintf(`{"currentPage":%d,"lastPage":%d,"perPage":%d,"total":%d}`, page, pages, per, pages*per)
	}))
	api.mux.HandleFunc("GET /groups", serve("groups", func(page int) string {
		return fmt.Sprintf(`{"page":%d,"limit":%d,"total":%d}`, page, per, pages*per)
	}))
	api.mux.HandleFunc("GET /organizations", serve("organizations", func(page int) string {
		return fmt.Sprintf(`{"current_page":%d,"last_page":%d,"per_page":%d,"total":%d}`, page, pages, per, pages*per)
	}))
	c := newTestAdapter(t, testConfig(t, api.URL), nil).Client()
	ctx := context.Background()

	ids := func(n int, kind string) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("%s_%d", kind, i))
		}
		return out
	}
	users, err := c.ListUsers(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range users {
		got = append(got, u.ID)
	}
	if diff := cmp.Diff(ids(pages*per, "users"), got); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	groups, err := c.ListGroups(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != pages*per || groups[pages*per-1].ID != fmt.Sprintf("groups_%d", pages*per-1) {
		t.Errorf("groups: %d, want %d in order", len(groups), pages*per)
	}
	mu.Lock()
	emptyPage = 7
	mu.Unlock()
	orgs, err := c.ListOrgs(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, o := range orgs {
		got = append(got, o.ID)
	}
	if diff := cmp.Diff(ids(6*per, "organizations"), got); diff != "" {
		t.Errorf("organizations with page 7 empty (-want +got):\n%s", diff)
	}
	mu.Lock()
	emptyPage, fails = 0, 9
	mu.Unlock()
	if _, err := c.ListOrgs(ctx, 1000); err == nil {
		t.Error("a list with a page answered 404: no error")
	}
	mu.Lock()
	defer mu.Unlock()
	if most["users"] != listConcurrency || most["organizations"] > listConcurrency {
		t.Errorf("most requests in flight: users %d, organizations %d; want %d and at most %d",
			most["users"], most["organizations"], listConcurrency, listConcurrency)
	}
	if most["groups"] != 1 {
		t.Errorf("most requests in flight for a list with no last page: %d, want 1", most["groups"])
	}
}

func TestClientRenewsTokenAfter401(t *testing.T) {
	api := newMiniAPI(t)
	api.mux.HandleFunc("DELETE /groups/{id}/users", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(204)
	})
	a := newTestAdapter(t, testConfig(t, api.URL), nil)
	c := a.Client()
	ctx := context.Background()
	if err := c.Groups().Members("grp_X").Remove(ctx, "usr_Y"); err != nil {
		t.Fatal(err)
	}
	api.revokeAll()
	if err := c.Groups().Members("grp_X").Remove(ctx, "usr_Y"); err != nil {
		t.Fatalf("after a revoked token: %v", err)
	}
	if api.tokens != 2 {
		t.Errorf("tokens issued = %d, want 2", api.tokens)
	}
	if got := api.bodies[len(api.bodies)-1]; got != `{"userId":"usr_Y"}` {
		t.Errorf("DELETE body = %s", got)
	}

	// A server that refuses every token: one renewal, then the 401.
	api.mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		api.revokeAll()
		w.WriteHeader(401)
		_, _ = io.WriteString(w, `{"message":"Unauthenticated."}`)
	})
	before := len(api.log())
	_, err := c.Users().Get(ctx, "usr_Y")
	if err == nil || !strings.Contains(err.Error(), "GET /users/usr_Y: 401") || !strings.Contains(err.Error(), "Unauthenticated.") {
		t.Fatalf("err = %v", err)
	}
	if n := len(api.log()) - before; n != 2 {
		t.Errorf("requests = %d, want 2 (one renewal)", n)
	}
}

func TestClientErrors(t *testing.T) {
	api := newMiniAPI(t)
	api.mux.HandleFunc("POST /organizations", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(422)
		_, _ = io.WriteString(w, `{"message":"adminUserIds.1には、usr_で始まる値を指定してください。","errors":{"adminUserIds.1":["adminUserIds.1には、usr_で始まる値を指定してください。"]}}`)
	})
	api.mux.HandleFunc("GET /organizations/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		_, _ = io.WriteString(w, `{"message":"指定したリソースが見つかりません。"}`)
	})
	api.mux.HandleFunc("POST /groups", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		_, _ = io.WriteString(w, `{"message":"予期せぬエラーが発生しました。"}`)
	})
	c := newTestAdapter(t, testConfig(t, api.URL), nil).Client()
	ctx := context.Background()

	_, err := c.Orgs().Create(ctx, Fields{"name": "x", "adminUserIds": []string{"usr_AAAAAAAAAAAAAAAA", "bad"}})
	var fe *connectors.FieldError
	if !errors.As(err, &fe) || len(fe.Fields["adminUserIds.1"]) == 0 {
		t.Errorf("422: %v", err)
	}
	if _, err := c.Orgs().Get(ctx, "org_X"); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("404: %v", err)
	}
	before := len(api.log())
	_, err = c.Groups().Create(ctx, Fields{"name": "g"})
	if !connectors.IsTransient(err) || !strings.Contains(err.Error(), "POST /groups: 500") {
		t.Errorf("500: %v", err)
	}
	if n := len(api.log()) - before; n != 1 {
		t.Errorf("a POST that got a 500 was sent %d times", n)
	}
}

func TestCreateUserNeverLeaksPassword(t *testing.T) {
	api := newMiniAPI(t)
	const generated = "R6wtkHfX-generated"
	api.mux.HandleFunc("POST /users", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		fmt.Fprintf(w, `{"data":{"id":"usr_AAAAAAAAAAAAAAAA","name":%q},"password":%q}`, in["name"], generated)
	})
	logger, logs := httpkittest.ObservedLogger()
	a := newTestAdapter(t, testConfig(t, api.URL), logger)
	res, err := a.Apply(context.Background(), connectors.Change{
		Action: connectors.ActionCreate, Kind: "user", Key: "emp-1",
		User: &userFixture, OrgMemberships: nil,
	}, nil)
	if err != nil || res.TargetID != "usr_AAAAAAAAAAAAAAAA" {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	text := httpkittest.LogText(logs)
	httpkittest.AssertNoSecret(t, generated, text, fmt.Sprintf("%+v", res))
	httpkittest.AssertNoSecret(t, testSecret, text)
	if !strings.Contains(text, "action=create") || !strings.Contains(text, "key=emp-1") || !strings.Contains(text, "result_id=usr_AAAAAAAAAAAAAAAA") {
		t.Errorf("apply log lacks its fields:\n%s", text)
	}
}

// An update goes by PUT; after a 405 by PATCH, and by PATCH from then on
// for that kind of update only. A server that takes neither fails the call
// naming both.
func TestClientUpdateMethod(t *testing.T) {
	api := newMiniAPI(t)
	patchOnly := func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPatch {
			w.Header().Set("Allow", "GET, PATCH, DELETE")
			w.WriteHeader(http.StatusMethodNotAllowed)
			_, _ = io.WriteString(w, `{"message":"サポートされていないHTTPリクエストメソッドです。"}`)
			return
		}
		_, _ = io.WriteString(w, `{"data":{"id":"usr_1"}}`)
	}
	api.mux.HandleFunc("/users/usr_1", patchOnly)
	api.mux.HandleFunc("PUT /organizations/org_1", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"data":{"id":"org_1"}}`)
	})
	api.mux.HandleFunc("/groups/grp_1", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = io.WriteString(w, `{"message":"サポートされていないHTTPリクエストメソッドです。"}`)
	})
	c := newTestAdapter(t, testConfig(t, api.URL), nil).Client()
	ctx := context.Background()
	for range 2 {
		if _, err := c.Users().Update(ctx, "usr_1", Fields{"name": "n"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Orgs().Update(ctx, "org_1", Fields{"name": "n"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.Groups().Update(ctx, "grp_1", Fields{"name": "n"})
	if err == nil || !strings.Contains(err.Error(), "PATCH /groups/grp_1: 405") || !strings.Contains(err.Error(), "PUT was 405 too") {
		t.Errorf("err = %v, want both methods named", err)
	}
	want := []string{
		"PUT /users/usr_1", "PATCH /users/usr_1", "PUT /organizations/org_1",
		"PATCH /users/usr_1", "PUT /organizations/org_1",
		"PUT /groups/grp_1", "PATCH /groups/grp_1",
	}
	if diff := cmp.Diff(want, api.log()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}
