package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
)

const (
	testClient = "test-client"
	testSecret = "s3cret/with+chars&="
	testOrg    = "org-1"
	accounts   = "/directory/orgs/org-1/accounts/users"
)

type fixture struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	clock *httpkittest.FakeClock
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	clock := httpkittest.NewFakeClock(time.Time{})
	opts.Now = clock.Now
	srv := New(opts)
	srv.AddClient(testClient, testSecret)
	srv.AddOrganization(testOrg, AccountType{Code: "standard", Name: "一般利用者"}, AccountType{Code: "admin", Name: "管理者"})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &fixture{t: t, srv: srv, ts: ts, clock: clock}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (f *fixture) send(req *http.Request) reply {
	f.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &r.body); err != nil {
			f.t.Fatalf("%s %s: body %q is not a JSON object", req.Method, req.URL.Path, b)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			f.t.Errorf("%s %s: Content-Type %q", req.Method, req.URL.Path, ct)
		}
	}
	return r
}

// tokenRequest posts a form to the token endpoint, with Basic credentials
// when user is not empty.
func (f *fixture) tokenRequest(form url.Values, user, pass string) reply {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.ts.URL+TokenPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	return f.send(req)
}

func (f *fixture) token() string {
	f.t.Helper()
	r := f.tokenRequest(url.Values{"grant_type": {"client_credentials"}}, testClient, testSecret)
	if f.srv.readings.Has(ReadingTokenClientSecretPost) {
		r = f.tokenRequest(url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient}, "client_secret": {testSecret}}, "", "")
	}
	if r.status != http.StatusOK {
		f.t.Fatalf("token: %d %s", r.status, r.raw)
	}
	return r.body["access_token"].(string)
}

// call sends an API request with the token (none when empty) and a JSON
// body (none when empty).
func (f *fixture) call(method, path, tok, body string) reply {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, f.ts.URL+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return f.send(req)
}

func errorsOf(t *testing.T, r reply) map[string]any {
	t.Helper()
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d (%s), want 422", r.status, r.raw)
	}
	errs, ok := r.body["errors"].(map[string]any)
	if !ok || r.body["message"] == "" {
		t.Fatalf("422 body %s has no message or errors", r.raw)
	}
	return errs
}

func TestTokenEndpoint(t *testing.T) {
	f := newFixture(t, Options{})
	cc := url.Values{"grant_type": {"client_credentials"}}
	withCreds := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient}, "client_secret": {testSecret}, "scope": {"accounts.read accounts.write"}}
	tests := []struct {
		name       string
		form       url.Values
		user, pass string
		status     int
		errCode    string
	}{
		{"basic", cc, testClient, testSecret, 200, ""},
		{"in the form, scope echoed", withCreds, "", "", 200, ""},
		{"both ways", withCreds, testClient, testSecret, 400, "invalid_request"},
		{"wrong secret", cc, testClient, "nope", 401, "invalid_client"},
		{"unknown client", cc, "someone", testSecret, 401, "invalid_client"},
		{"no client", cc, "", "", 400, "invalid_request"},
		{"no grant type", url.Values{}, testClient, testSecret, 400, "invalid_request"},
		{"password grant", url.Values{"grant_type": {"password"}}, testClient, testSecret, 400, "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.tokenRequest(tt.form, tt.user, tt.pass)
			if r.status != tt.status {
				t.Fatalf("status %d (%s), want %d", r.status, r.raw, tt.status)
			}
			if tt.status == 200 {
				if r.body["token_type"] != "Bearer" || r.body["expires_in"] != float64(3600) || r.body["access_token"] == "" {
					t.Errorf("token body %s", r.raw)
				}
				if got := r.header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control %q", got)
				}
				if sc, ok := tt.form["scope"]; ok && r.body["scope"] != sc[0] {
					t.Errorf("scope %v, want %q echoed", r.body["scope"], sc[0])
				}
				return
			}
			if r.body["error"] != tt.errCode {
				t.Errorf("error %v, want %s", r.body["error"], tt.errCode)
			}
			if tt.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			httpkittest.AssertNoSecret(t, testSecret, r.raw)
		})
	}
	t.Run("json body", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, f.ts.URL+TokenPath, strings.NewReader(`{"grant_type":"client_credentials"}`))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(testClient, url.QueryEscape(testSecret))
		if r := f.send(req); r.status != 400 || r.body["error"] != "invalid_request" {
			t.Errorf("%d %s, want 400 invalid_request", r.status, r.raw)
		}
	})
	t.Run("GET", func(t *testing.T) {
		if r := f.call(http.MethodGet, TokenPath, "", ""); r.status != 405 || r.header.Get("Allow") != "POST" {
			t.Errorf("%d Allow %q, want 405 POST", r.status, r.header.Get("Allow"))
		}
	})
}

func TestBearerToken(t *testing.T) {
	f := newFixture(t, Options{TokenTTL: 10 * time.Minute})
	tok := f.token()
	if r := f.call(http.MethodGet, accounts, tok, ""); r.status != 200 {
		t.Fatalf("with a token: %d %s", r.status, r.raw)
	}
	req, _ := http.NewRequest(http.MethodGet, f.ts.URL+accounts, nil)
	req.Header.Set("Authorization", "bearer "+tok)
	if r := f.send(req); r.status != 200 {
		t.Errorf("scheme in lower case: %d, want 200 (RFC 6750: case-insensitive)", r.status)
	}

	r := f.call(http.MethodGet, accounts, "", "")
	if r.status != 401 || r.header.Get("WWW-Authenticate") != `Bearer realm="directory"` {
		t.Errorf("no token: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	if r := f.call(http.MethodGet, accounts, "made-up", ""); r.status != 401 || r.body["error"] != "invalid_token" {
		t.Errorf("unknown token: %d %s", r.status, r.raw)
	}
	// No token is needed to learn that a route does not exist; one is
	// needed to learn that an organization does not.
	if r := f.call(http.MethodGet, "/directory/orgs/nope/accounts/users", "", ""); r.status != 401 {
		t.Errorf("unknown org without a token: %d, want 401", r.status)
	}

	f.clock.Advance(10*time.Minute - time.Second)
	if r := f.call(http.MethodGet, accounts, tok, ""); r.status != 200 {
		t.Errorf("a second before expiry: %d", r.status)
	}
	f.clock.Advance(time.Second)
	if r := f.call(http.MethodGet, accounts, tok, ""); r.status != 401 || r.body["error"] != "invalid_token" {
		t.Errorf("at expiry: %d %s", r.status, r.raw)
	}

	tok = f.token()
	f.srv.ExpireTokens()
	if r := f.call(http.MethodGet, accounts, tok, ""); r.status != 401 {
		t.Errorf("after ExpireTokens: %d", r.status)
	}
}

func TestRoutes(t *testing.T) {
	f := newFixture(t, Options{})
	tok := f.token()
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/directory/orgs/org-1/accounts/users/", 404, ""},
		{"GET", "/directory/orgs/org-1/accounts", 404, ""},
		{"GET", "/directory/orgs/org-1/accounts/users/a/standard/x", 404, ""},
		{"POST", accounts, 405, "GET"},
		{"GET", accounts + "/a@example.com/standard", 405, "POST, PUT, DELETE"},
		{"PATCH", accounts + "/a@example.com/standard", 405, "POST, PUT, DELETE"},
		{"GET", "/directory/orgs/nope/accounts/users", 404, ""},
		{"POST", "/directory/orgs/nope/accounts/users/a/standard", 404, ""},
	}
	for _, tt := range tests {
		r := f.call(tt.method, tt.path, tok, "")
		if r.status != tt.status || r.header.Get("Allow") != tt.allow {
			t.Errorf("%s %s: %d Allow %q, want %d %q", tt.method, tt.path, r.status, r.header.Get("Allow"), tt.status, tt.allow)
		}
		if msg, _ := r.body["message"].(string); msg == "" {
			t.Errorf("%s %s: no message in %s", tt.method, tt.path, r.raw)
		}
	}
	if r := f.call("GET", "/directory/orgs/nope/accounts/users", tok, ""); !strings.Contains(r.raw, "nope") {
		t.Errorf("unknown org: %s does not name it", r.raw)
	}
}

func TestAssign(t *testing.T) {
	f := newFixture(t, Options{})
	tok := f.token()
	r := f.call(http.MethodPost, accounts+"/taro@example.com/admin", tok, "")
	if r.status != http.StatusCreated {
		t.Fatalf("POST: %d %s", r.status, r.raw)
	}
	want := map[string]any{
		"organizationId": testOrg, "subjectId": "taro@example.com", "code": "admin", "status": "active",
		"createdAt": "2025-04-01T00:00:00Z", "updatedAt": "2025-04-01T00:00:00Z",
	}
	for k, v := range want {
		if r.body[k] != v {
			t.Errorf("%s = %v, want %v", k, r.body[k], v)
		}
	}
	if r := f.call(http.MethodPost, accounts+"/taro@example.com/admin", tok, ""); r.status != http.StatusConflict {
		t.Errorf("again: %d, want 409", r.status)
	}
	// A subject may hold several account types.
	if r := f.call(http.MethodPost, accounts+"/taro@example.com/standard", tok, `{"ignored":true}`); r.status != http.StatusCreated {
		t.Errorf("a second code: %d %s", r.status, r.raw)
	}
	// An escaped slash stays inside the subject id.
	if r := f.call(http.MethodPost, accounts+"/"+url.PathEscape("dept/42")+"/standard", tok, ""); r.status != http.StatusCreated || r.body["subjectId"] != "dept/42" {
		t.Errorf("escaped slash: %d %s", r.status, r.raw)
	}

	invalid := []struct {
		name, path string
		fields     []string
	}{
		{"unknown code", accounts + "/hanako@example.com/owner", []string{"code"}},
		{"empty subject", accounts + "//standard", []string{"subjectId"}},
		{"blank subject", accounts + "/%20%20/standard", []string{"subjectId"}},
		{"long subject", accounts + "/" + strings.Repeat("あ", 256) + "/standard", []string{"subjectId"}},
		{"control character", accounts + "/a%0Ab/standard", []string{"subjectId"}},
		{"both", accounts + "//owner", []string{"subjectId", "code"}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			errs := errorsOf(t, f.call(http.MethodPost, tt.path, tok, ""))
			if len(errs) != len(tt.fields) {
				t.Errorf("errors %v, want exactly %v", errs, tt.fields)
			}
			for _, fld := range tt.fields {
				if _, ok := errs[fld]; !ok {
					t.Errorf("errors %v do not name %s", errs, fld)
				}
			}
		})
	}
	if r := f.call(http.MethodPost, accounts+"/"+strings.Repeat("あ", 255)+"/standard", tok, ""); r.status != http.StatusCreated {
		t.Errorf("255 characters: %d, want 201 (characters, not bytes)", r.status)
	}
	r = f.call(http.MethodPost, accounts+"/hanako@example.com/owner", tok, "")
	if msg := r.body["message"].(string); !strings.Contains(msg, "standard, admin") {
		t.Errorf("unknown code message %q does not name the known ones", msg)
	}
}

func TestList(t *testing.T) {
	f := newFixture(t, Options{})
	tok := f.token()
	for _, p := range []string{"/zed/standard", "/amy/standard", "/amy/admin"} {
		f.call(http.MethodPost, accounts+p, tok, "")
	}
	r := f.call(http.MethodGet, accounts, tok, "")
	if r.status != 200 {
		t.Fatalf("GET: %d", r.status)
	}
	var got struct {
		OrganizationID string        `json:"organizationId"`
		AccountTypes   []AccountType `json:"accountTypes"`
		Items          []Assignment  `json:"items"`
	}
	if err := json.Unmarshal([]byte(r.raw), &got); err != nil {
		t.Fatal(err)
	}
	if got.OrganizationID != testOrg || len(got.AccountTypes) != 2 || got.AccountTypes[0].Code != "standard" || got.AccountTypes[1].Name != "管理者" {
		t.Errorf("organization and types: %s", r.raw)
	}
	var order []string
	for _, a := range got.Items {
		order = append(order, a.SubjectID+"/"+a.Code)
	}
	if strings.Join(order, " ") != "amy/admin amy/standard zed/standard" {
		t.Errorf("items in order %v, want by subject then code", order)
	}
	// An empty organization lists no items, as [] rather than null.
	f.srv.AddOrganization("empty", AccountType{Code: "standard"})
	if r := f.call(http.MethodGet, "/directory/orgs/empty/accounts/users", tok, ""); !strings.Contains(r.raw, `"items":[]`) {
		t.Errorf("empty organization: %s", r.raw)
	}
}

func TestUpdateStatus(t *testing.T) {
	f := newFixture(t, Options{})
	tok := f.token()
	path := accounts + "/taro@example.com/standard"
	f.call(http.MethodPost, path, tok, "")
	f.clock.Advance(10 * time.Minute)

	r := f.call(http.MethodPut, path, tok, `{"status":"suspended"}`)
	if r.status != 200 || r.body["status"] != "suspended" || r.body["updatedAt"] != "2025-04-01T00:10:00Z" {
		t.Fatalf("suspend: %d %s", r.status, r.raw)
	}
	f.clock.Advance(10 * time.Minute)
	for _, body := range []string{"", "{}", `{"status":null}`, `{"status":"suspended","other":1}`} {
		r := f.call(http.MethodPut, path, tok, body)
		if r.status != 200 || r.body["status"] != "suspended" || r.body["updatedAt"] != "2025-04-01T00:10:00Z" {
			t.Errorf("PUT %q: %d %s, want 200 and no change", body, r.status, r.raw)
		}
	}
	for _, body := range []string{`{"status":"Suspended"}`, `{"status":"deleted"}`, `{"status":1}`, `{"status":true}`} {
		errs := errorsOf(t, f.call(http.MethodPut, path, tok, body))
		if _, ok := errs["status"]; !ok || len(errs) != 1 {
			t.Errorf("PUT %s: errors %v, want status only", body, errs)
		}
	}
	if r := f.call(http.MethodPut, path, tok, `[1]`); r.status != 400 {
		t.Errorf("an array: %d, want 400", r.status)
	}
	if r := f.call(http.MethodPut, path, tok, `{"status":"active"} {}`); r.status != 400 {
		t.Errorf("trailing data: %d, want 400", r.status)
	}
	req, _ := http.NewRequest(http.MethodPut, f.ts.URL+path, strings.NewReader(`status=active`))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+tok)
	if r := f.send(req); r.status != http.StatusUnsupportedMediaType {
		t.Errorf("a form: %d, want 415", r.status)
	}
	if r := f.call(http.MethodPut, path, tok, `{"status":"active"}`); r.status != 200 || r.body["status"] != "active" {
		t.Errorf("reactivate: %d %s", r.status, r.raw)
	}
	// 404 for an assignment that does not exist comes before the body.
	if r := f.call(http.MethodPut, accounts+"/taro@example.com/admin", tok, `{"status":"deleted"}`); r.status != 404 {
		t.Errorf("unassigned code: %d, want 404", r.status)
	}
}

func TestUnassign(t *testing.T) {
	f := newFixture(t, Options{})
	tok := f.token()
	path := accounts + "/taro@example.com/standard"
	f.call(http.MethodPost, path, tok, "")
	r := f.call(http.MethodDelete, path, tok, `"a reason"`)
	if r.status != http.StatusNoContent || r.raw != "" {
		t.Errorf("DELETE: %d %q, want 204 and no body", r.status, r.raw)
	}
	if r := f.call(http.MethodDelete, path, tok, ""); r.status != 404 {
		t.Errorf("again: %d, want 404", r.status)
	}
	if org := f.srv.State().Organization(testOrg); len(org.Assignments) != 0 {
		t.Errorf("left: %v", org.Assignments)
	}
}

func TestStatsAndDump(t *testing.T) {
	f := newFixture(t, Options{})
	tok := f.token()
	f.call(http.MethodPost, accounts+"/a/standard", tok, "")
	f.call(http.MethodPost, accounts+"/a/standard", tok, "") // 409, still a write
	f.call(http.MethodPut, accounts+"/a/standard", "", `{}`) // 401, still a write
	f.call(http.MethodGet, accounts, tok, "")
	st := f.srv.Stats()
	if st.Requests != 5 || st.Writes != 3 {
		t.Errorf("stats %+v, want 5 requests and 3 writes", st)
	}
	if st.ByRoute["POST "+RouteAssignment] != 2 || st.ByRoute["POST "+RouteToken] != 1 || st.ByRoute["GET "+RouteAccounts] != 1 {
		t.Errorf("by route %v", st.ByRoute)
	}
	d := f.srv.State()
	d.Organizations[0].Assignments[0].Status = "changed"
	if f.srv.State().Organization(testOrg).Assignments[0].Status != "active" {
		t.Error("Dump is not a copy")
	}
	f.srv.ResetStats()
	if st := f.srv.Stats(); st.Requests != 0 || len(st.ByRoute) != 0 {
		t.Errorf("after ResetStats: %+v", st)
	}
	if err := f.srv.Assign(testOrg, "b", "owner", ""); err == nil {
		t.Error("Assign accepted an unknown code")
	}
	if err := f.srv.Assign(testOrg, "b", "admin", StatusSuspended); err != nil {
		t.Fatal(err)
	}
	if got := f.srv.State().Organization(testOrg).Assignments[1]; got.SubjectID != "b" || got.Status != StatusSuspended {
		t.Errorf("seeded %+v", got)
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, Options{Options: emukit.Options{RateLimit: 3}})
	tok := f.token() // counts
	for i, want := range []string{"1", "0"} {
		r := f.call(http.MethodGet, accounts, tok, "")
		if r.status != 200 || r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != want {
			t.Fatalf("request %d: %d limit %q remaining %q", i+2, r.status, r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"))
		}
	}
	f.clock.Advance(20 * time.Second)
	r := f.call(http.MethodPost, accounts+"/a/standard", tok, "")
	if r.status != 429 || r.header.Get("Retry-After") != "40" || r.header.Get("X-RateLimit-Remaining") != "0" || r.header.Get("X-RateLimit-Reset") == "" {
		t.Fatalf("over the limit: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	if len(f.srv.State().Organization(testOrg).Assignments) != 0 {
		t.Error("a refused request had an effect")
	}
	f.clock.Advance(40 * time.Second)
	if r := f.call(http.MethodGet, accounts, tok, ""); r.status != 200 || r.header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("new window: %d remaining %q", r.status, r.header.Get("X-RateLimit-Remaining"))
	}
	if st := f.srv.Stats(); st.RateLimited != 1 {
		t.Errorf("RateLimited %d", st.RateLimited)
	}

	// The document has no limit: none by default, and no header.
	g := newFixture(t, Options{})
	tok = g.token()
	for range 100 {
		g.call(http.MethodGet, accounts, tok, "")
	}
	if r := g.call(http.MethodGet, accounts, tok, ""); r.status != 200 || r.header.Get("X-RateLimit-Limit") != "" {
		t.Errorf("default: %d limit header %q", r.status, r.header.Get("X-RateLimit-Limit"))
	}
}

func TestFaults(t *testing.T) {
	f := newFixture(t, Options{})
	tok := f.token()
	f.srv.SetFaults(Faults{Rate5xx: 1, Seed: 7})
	seen := map[int]bool{}
	for range 30 {
		r := f.call(http.MethodPost, accounts+"/a/standard", tok, "")
		seen[r.status] = true
	}
	if len(seen) != 3 || !seen[500] || !seen[502] || !seen[503] {
		t.Errorf("statuses %v, want 500, 502 and 503", seen)
	}
	if len(f.srv.State().Organization(testOrg).Assignments) != 0 {
		t.Error("a faulted request had an effect")
	}
	f.srv.SetFaults(Faults{Rate429: 1})
	if r := f.call(http.MethodGet, accounts, tok, ""); r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Errorf("429 fault: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	if st := f.srv.Stats(); st.Faulted != 31 {
		t.Errorf("Faulted %d, want 31", st.Faulted)
	}

	// The same seed, the same faults.
	draw := func() []int {
		g := newFixture(t, Options{Options: emukit.Options{Faults: Faults{Rate429: 0.3, Rate5xx: 0.3, Seed: 42}}})
		var out []int
		for range 20 {
			out = append(out, g.call(http.MethodGet, "/nowhere", "", "").status)
		}
		return out
	}
	a, b := draw(), draw()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: %d then %d with the same seed", i, a[i], b[i])
		}
	}
}

func TestNewDemo(t *testing.T) {
	srv := NewDemo(nil)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	f := &fixture{t: t, srv: srv, ts: ts}
	r := f.tokenRequest(url.Values{"grant_type": {"client_credentials"}}, DemoClientID, DemoClientSecret)
	if r.status != 200 {
		t.Fatalf("demo token: %d %s", r.status, r.raw)
	}
	tok := r.body["access_token"].(string)
	r = f.call(http.MethodGet, "/directory/orgs/"+DemoOrganizationID+"/accounts/users", tok, "")
	if r.status != 200 || !strings.Contains(r.raw, `"code":"standard"`) || !strings.Contains(r.raw, `"code":"admin"`) {
		t.Errorf("demo organization: %d %s", r.status, r.raw)
	}
}
