package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/orgbridge/orgbridge/connectors/capgo/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
)

const (
	ownerKey   = "owner-key-0f3e"
	ownerID    = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	ownerEmail = "owner@example.com"
	otherKey   = "other-key-7a21"
	otherID    = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
	otherEmail = "other@example.com"
)

// clock is the injectable clock of every test: no test reads the wall clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	t   *testing.T
	srv *emulator.Server
	ts  *httptest.Server
	clk *clock
}

func newEnv(t *testing.T, opts emulator.Options) *env {
	t.Helper()
	clk := newClock()
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	opts.Logger = zaptest.NewLogger(t)
	srv := emulator.New(opts)
	srv.AddAPIKey(ownerKey, ownerID, ownerEmail)
	srv.AddAPIKey(otherKey, otherID, otherEmail)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &env{t: t, srv: srv, ts: ts, clk: clk}
}

type result struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r result) errorMsg() string {
	s, _ := r.body["error"].(string)
	return s
}

// do sends a request with the key (none when key is ""); body is sent as
// application/json unless it is "" (no body).
func (e *env) do(method, path, key, body string) result {
	e.t.Helper()
	return e.doType(method, path, key, body, "application/json")
}

func (e *env) doType(method, path, key, body, contentType string) result {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("authorization", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header, raw: raw}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		e.t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, raw, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		e.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return r
}

// create creates an org with the key and returns its id.
func (e *env) create(key, name string) string {
	e.t.Helper()
	b, _ := json.Marshal(map[string]string{"name": name})
	r := e.do("POST", "/organization/", key, string(b))
	if r.status != 200 {
		e.t.Fatalf("create %q: %d %s", name, r.status, r.raw)
	}
	id, _ := r.body["id"].(string)
	return id
}

// wantError checks a response in the document's error shape.
func wantError(t *testing.T, r result, status int, msg string) {
	t.Helper()
	if r.status != status || r.errorMsg() != msg || r.body["status"] != "KO" || len(r.body) != 2 {
		t.Errorf("got %d %s; want %d {\"error\":%q,\"status\":\"KO\"}", r.status, r.raw, status, msg)
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestAPIKey(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	tests := []struct {
		name   string
		header string
		status int
	}{
		{"missing", "", 401},
		{"unknown", "not-a-key", 401},
		{"with a Bearer scheme", "Bearer " + ownerKey, 401},
		{"raw key, as the document sends it", ownerKey, 200},
		{"raw key with surrounding spaces", "  " + ownerKey + " ", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", "/organization/", tt.header, "")
			if tt.status == 401 {
				wantError(t, r, 401, "Invalid API key")
			} else if r.status != tt.status {
				t.Errorf("status %d, want %d", r.status, tt.status)
			}
		})
	}
	e.srv.RevokeAPIKey(ownerKey)
	wantError(t, e.do("GET", "/organization/", ownerKey, ""), 401, "Invalid API key")
	if r := e.do("GET", "/organization/", otherKey, ""); r.status != 200 {
		t.Errorf("revoking one key refused another: %d", r.status)
	}
	e.srv.RevokeAPIKeys()
	wantError(t, e.do("POST", "/organization/", otherKey, `{"name":"x"}`), 401, "Invalid API key")
	if n := len(e.srv.State().Orgs); n != 0 {
		t.Errorf("a refused create created %d orgs", n)
	}
}

func TestCreateAndGet(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	r := e.do("POST", "/organization/", ownerKey, `{"name":"New Organization"}`)
	if r.status != 200 || r.body["status"] != "Organization created" || len(r.body) != 2 {
		t.Fatalf("create: %d %s; want 200 {\"status\":\"Organization created\",\"id\":…}", r.status, r.raw)
	}
	id, _ := r.body["id"].(string)
	if !uuidRE.MatchString(id) {
		t.Errorf("id %q is not a lower-case version-4 UUID", id)
	}

	e.clk.Add(time.Hour)
	got := e.do("GET", "/organization/?orgId="+url.QueryEscape(id), ownerKey, "")
	if got.status != 200 {
		t.Fatalf("get: %d %s", got.status, got.raw)
	}
	org, _ := got.body["data"].(map[string]any)
	want := map[string]any{
		"id": id, "created_by": ownerID, "created_at": "2025-04-01T09:00:00Z", "updated_at": "2025-04-01T09:00:00Z",
		"logo": nil, "name": "New Organization", "management_email": ownerEmail, "customer_id": nil,
	}
	if len(got.body) != 1 || len(org) != len(want) {
		t.Errorf("get: %s; want {\"data\": the document's 8 Organization fields}", got.raw)
	}
	for k, v := range want {
		if org[k] != v {
			t.Errorf("%s = %#v, want %#v", k, org[k], v)
		}
	}
	if m := e.srv.State().Members[id]; m[ownerID] != emulator.RoleAdmin || len(m) != 1 {
		t.Errorf("members of a new org: %v; want its creator as admin", m)
	}
}

func TestCreateIgnoresOtherKeys(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	r := e.do("POST", "/organization/", ownerKey, `{"name":"y","management_email":"team@example.com","logo":"http://nope"}`)
	if r.status != 200 {
		t.Fatalf("create with extra keys: %d %s", r.status, r.raw)
	}
	for _, o := range e.srv.State().Orgs {
		if o.ManagementEmail != ownerEmail || o.Logo != nil {
			t.Errorf("org %s: management_email %q, logo %v; the create call takes only name", o.ID, o.ManagementEmail, o.Logo)
		}
	}
}

func TestList(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	r := e.do("GET", "/organization/", ownerKey, "")
	if r.status != 200 || string(r.raw) != `{"data":[]}` {
		t.Errorf("empty list: %d %s; want {\"data\":[]}", r.status, r.raw)
	}
	a := e.create(ownerKey, "A")
	other := e.create(otherKey, "Other's")
	b := e.create(ownerKey, "B")
	shared := e.create(otherKey, "Shared")
	e.srv.SetRole(shared, ownerID, emulator.RoleMember)

	for _, path := range []string{"/organization/", "/organization/?orgId=", "/organization/?page=1"} {
		r = e.do("GET", path, ownerKey, "")
		data, _ := r.body["data"].([]any)
		var ids []string
		for _, d := range data {
			ids = append(ids, d.(map[string]any)["id"].(string))
		}
		if strings.Join(ids, ",") != strings.Join([]string{a, b, shared}, ",") {
			t.Errorf("GET %s lists %v; want the owner's orgs in creation order %v (not %s)", path, ids, []string{a, b, shared}, other)
		}
	}
	wantError(t, e.do("GET", "/organization/?orgId="+other, ownerKey, ""), 404, "Organization not found")
	if r := e.do("GET", "/organization/?orgId="+shared, ownerKey, ""); r.status != 200 {
		t.Errorf("a member cannot read its org: %d", r.status)
	}
	wantError(t, e.do("GET", "/organization/?orgId=4d3c2b1a-0000-4000-8000-000000000000", ownerKey, ""), 404, "Organization not found")
}

func TestValidation(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	id := e.create(ownerKey, "Acme")
	orgID := `"orgId":"` + id + `"`
	tests := []struct {
		name, method, body, contentType string
		msg                             string
	}{
		{"POST no name", "POST", `{}`, "", "Name is required"},
		{"POST empty body", "POST", ``, "", "Name is required"},
		{"POST null name", "POST", `{"name":null}`, "", "Name is required"},
		{"POST empty name", "POST", `{"name":""}`, "", "Name is required"},
		{"POST blank name", "POST", `{"name":" 　"}`, "", "Name is required"},
		{"POST number name", "POST", `{"name":12}`, "", "name must be a string"},
		{"POST not JSON", "POST", `name=x`, "", "Invalid body"},
		{"POST an array", "POST", `[{"name":"x"}]`, "", "Invalid body"},
		{"POST trailing data", "POST", `{"name":"x"} {}`, "", "Invalid body"},
		{"POST form content type", "POST", `{"name":"x"}`, "application/x-www-form-urlencoded", "Invalid body"},
		{"PUT no orgId", "PUT", `{"name":"x"}`, "", "orgId is required"},
		{"PUT empty orgId", "PUT", `{"orgId":"","name":"x"}`, "", "orgId is required"},
		{"PUT number orgId", "PUT", `{"orgId":12}`, "", "orgId is required"},
		{"PUT http logo", "PUT", `{` + orgID + `,"logo":"http://cdn.example.com/l.png"}`, "", "logo must be an https URL"},
		{"PUT relative logo", "PUT", `{` + orgID + `,"logo":"cdn.example.com/l.png"}`, "", "logo must be an https URL"},
		{"PUT number logo", "PUT", `{` + orgID + `,"logo":1}`, "", "logo must be an https URL"},
		{"PUT empty name", "PUT", `{` + orgID + `,"name":""}`, "", "Name must not be empty"},
		{"PUT null name", "PUT", `{` + orgID + `,"name":null}`, "", "name must be a string"},
		{"PUT bad email", "PUT", `{` + orgID + `,"management_email":"not-an-email"}`, "", "Invalid management_email"},
		{"PUT email with a display name", "PUT", `{` + orgID + `,"management_email":"Admin <admin@example.com>"}`, "", "Invalid management_email"},
		{"PUT empty email", "PUT", `{` + orgID + `,"management_email":""}`, "", "Invalid management_email"},
		{"PUT null email", "PUT", `{` + orgID + `,"management_email":null}`, "", "Invalid management_email"},
		{"PUT first problem in the document's order", "PUT", `{` + orgID + `,"name":"","logo":"ftp://x"}`, "", "logo must be an https URL"},
		{"PUT bad field on an unknown org", "PUT", `{"orgId":"nope","name":""}`, "", "Name must not be empty"},
		{"DELETE no orgId", "DELETE", ``, "", "orgId is required"},
	}
	before := e.srv.State()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.contentType
			if ct == "" {
				ct = "application/json"
			}
			path := "/organization/"
			wantError(t, e.doType(tt.method, path, ownerKey, tt.body, ct), 400, tt.msg)
		})
	}
	after := e.srv.State()
	if len(after.Orgs) != 1 || after.Orgs[0] != before.Orgs[0] {
		t.Errorf("refused requests changed the state: %+v → %+v", before.Orgs, after.Orgs)
	}
}

func TestUpdate(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	id := e.create(ownerKey, "Acme")
	e.clk.Add(time.Minute)
	r := e.do("PUT", "/organization/", ownerKey,
		`{"orgId":"`+id+`","name":"New Company Name","management_email":"newemail@example.com","logo":"https://cdn.example.com/logo.png","unknown":1}`)
	if r.status != 200 || r.body["status"] != "Organization updated" {
		t.Fatalf("update: %d %s", r.status, r.raw)
	}
	data, _ := r.body["data"].(map[string]any)
	for k, v := range map[string]any{"id": id, "name": "New Company Name", "management_email": "newemail@example.com",
		"logo": "https://cdn.example.com/logo.png", "updated_at": "2025-04-01T09:01:00Z", "created_at": "2025-04-01T09:00:00Z"} {
		if data[k] != v {
			t.Errorf("data.%s = %#v, want %#v", k, data[k], v)
		}
	}

	// A PUT that changes nothing leaves updated_at alone.
	e.clk.Add(time.Minute)
	r = e.do("PUT", "/organization/", ownerKey, `{"orgId":"`+id+`","name":"New Company Name"}`)
	if d := r.body["data"].(map[string]any); r.status != 200 || d["updated_at"] != "2025-04-01T09:01:00Z" {
		t.Errorf("no-op update: %d %s", r.status, r.raw)
	}
	// "" and null clear the logo.
	for _, clear := range []string{`""`, `null`} {
		e.do("PUT", "/organization/", ownerKey, `{"orgId":"`+id+`","logo":"https://cdn.example.com/l.png"}`)
		r = e.do("PUT", "/organization/", ownerKey, `{"orgId":"`+id+`","logo":`+clear+`}`)
		if d := r.body["data"].(map[string]any); r.status != 200 || d["logo"] != nil {
			t.Errorf("logo %s: %d %s; want logo null", clear, r.status, r.raw)
		}
	}
	if o := e.srv.State().Orgs[0]; o.Name != "New Company Name" || o.ManagementEmail != "newemail@example.com" || o.Logo != nil {
		t.Errorf("stored: %+v", o)
	}
}

func TestRolesAndVisibility(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	mine := e.create(otherKey, "Other's")
	shared := e.create(otherKey, "Shared")
	e.srv.SetRole(shared, ownerID, emulator.RoleMember)

	// Outside the key's reach: 404, as if it did not exist.
	wantError(t, e.do("PUT", "/organization/", ownerKey, `{"orgId":"`+mine+`","name":"x"}`), 404, "Organization not found")
	wantError(t, e.do("DELETE", "/organization/?orgId="+mine, ownerKey, ""), 404, "Organization not found")
	// A member: reads, but needs the admin role to write.
	wantError(t, e.do("PUT", "/organization/", ownerKey, `{"orgId":"`+shared+`","name":"x"}`), 403, "Admin role required")
	wantError(t, e.do("DELETE", "/organization/?orgId="+shared, ownerKey, ""), 403, "Admin role required")
	if n := len(e.srv.State().Orgs); n != 2 {
		t.Fatalf("refused deletes removed orgs: %d left", n)
	}
	// Made an admin, it may.
	e.srv.SetRole(shared, ownerID, emulator.RoleAdmin)
	if r := e.do("PUT", "/organization/", ownerKey, `{"orgId":"`+shared+`","name":"x"}`); r.status != 200 {
		t.Errorf("admin update: %d %s", r.status, r.raw)
	}
	if r := e.do("DELETE", "/organization/?orgId="+shared, ownerKey, ""); r.status != 200 {
		t.Errorf("admin delete: %d %s", r.status, r.raw)
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	id := e.create(ownerKey, "Acme")
	keep := e.create(ownerKey, "Keep")
	r := e.do("DELETE", "/organization/?orgId="+id, ownerKey, "")
	if r.status != 200 || r.body["status"] != "Organization deleted" || r.body["id"] != id || len(r.body) != 2 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	wantError(t, e.do("GET", "/organization/?orgId="+id, ownerKey, ""), 404, "Organization not found")
	wantError(t, e.do("DELETE", "/organization/?orgId="+id, ownerKey, ""), 404, "Organization not found")
	st := e.srv.State()
	if len(st.Orgs) != 1 || st.Orgs[0].ID != keep || st.Members[id] != nil {
		t.Errorf("after delete: %+v", st)
	}
}

func TestRoutes(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	wantError(t, e.do("GET", "/organizations", "", ""), 404, "Not found")
	wantError(t, e.do("GET", "/organization/members", ownerKey, ""), 404, "Not found")
	r := e.do("PATCH", "/organization/", ownerKey, `{}`)
	wantError(t, r, 405, "Method not allowed")
	if got := r.header.Get("Allow"); got != "GET, POST, PUT, DELETE" {
		t.Errorf("Allow = %q", got)
	}
	// The document's URL has its slash; without it is another path.
	wantError(t, e.do("POST", "/organization", ownerKey, `{"name":"no slash"}`), 404, "Not found")
	if n := len(e.srv.State().Orgs); n != 0 {
		t.Errorf("POST /organization created %d orgs", n)
	}
}

func TestStats(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	id := e.create(ownerKey, "Acme")
	e.do("GET", "/organization/", ownerKey, "")
	e.do("PUT", "/organization/", ownerKey, `{"orgId":"`+id+`","name":"B"}`)
	e.do("PUT", "/organization/", "", `{"orgId":"`+id+`","name":"C"}`) // 401, still a write request
	e.do("DELETE", "/organization/?orgId="+id, ownerKey, "")
	e.do("GET", "/elsewhere", ownerKey, "")
	st := e.srv.Stats()
	if st.Requests != 6 || st.Writes != 4 {
		t.Errorf("Requests %d, Writes %d; want 6, 4", st.Requests, st.Writes)
	}
	if st.ByRoute["PUT /organization/"] != 2 || st.ByRoute["GET /organization/"] != 1 {
		t.Errorf("ByRoute %v", st.ByRoute)
	}
	e.srv.ResetStats()
	if st := e.srv.Stats(); st.Requests != 0 || st.Writes != 0 || len(st.ByRoute) != 0 {
		t.Errorf("after ResetStats: %+v", st)
	}
}

func TestNoRateLimitByDefault(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	for i := range 200 {
		r := e.do("GET", "/organization/", ownerKey, "")
		if r.status != 200 || r.header.Get("X-RateLimit-Limit") != "" {
			t.Fatalf("request %d: %d, X-RateLimit-Limit %q; the document has no rate limit", i, r.status, r.header.Get("X-RateLimit-Limit"))
		}
	}
}

func TestRateLimitOption(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{RateLimit: 3}})
	for i := range 3 {
		r := e.do("GET", "/organization/", ownerKey, "")
		if r.status != 200 || r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != string(rune('2'-i)) {
			t.Fatalf("request %d: %d, headers %v", i, r.status, r.header)
		}
	}
	e.clk.Add(20 * time.Second)
	r := e.do("POST", "/organization/", ownerKey, `{"name":"x"}`)
	wantError(t, r, 429, "Too many requests")
	if r.header.Get("Retry-After") != "40" || r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("429 headers: %v", r.header)
	}
	if st := e.srv.Stats(); st.RateLimited != 1 || st.Writes != 0 || len(e.srv.State().Orgs) != 0 {
		t.Errorf("a rate-limited create: %+v, %d orgs", st, len(e.srv.State().Orgs))
	}
	e.clk.Add(40 * time.Second)
	if r := e.do("GET", "/organization/", ownerKey, ""); r.status != 200 {
		t.Errorf("after the window: %d", r.status)
	}
}

func TestFaults(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{Faults: emulator.Faults{Rate429: 1, Seed: 1}}})
	r := e.do("POST", "/organization/", ownerKey, `{"name":"x"}`)
	wantError(t, r, 429, "Too many requests")
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("faulted 429 without Retry-After 1: %v", r.header)
	}
	e.srv.SetFaults(emulator.Faults{Rate5xx: 1, Seed: 1})
	seen := map[int]bool{}
	for range 40 {
		r := e.do("POST", "/organization/", ownerKey, `{"name":"x"}`)
		seen[r.status] = true
		if r.body["status"] != "KO" {
			t.Errorf("faulted body %s", r.raw)
		}
	}
	if len(seen) != 2 || !seen[500] || !seen[503] {
		t.Errorf("5xx faults gave %v; want 500 and 503", seen)
	}
	if st := e.srv.Stats(); st.Faulted != 41 || st.Writes != 0 || len(e.srv.State().Orgs) != 0 {
		t.Errorf("faults had effects: %+v, %d orgs", st, len(e.srv.State().Orgs))
	}

	// Same seed, same sequence.
	sequence := func() string {
		e.srv.SetFaults(emulator.Faults{Rate429: 0.3, Rate5xx: 0.3, Seed: 7})
		var out []string
		for range 20 {
			out = append(out, http.StatusText(e.do("GET", "/organization/", ownerKey, "").status))
		}
		return strings.Join(out, ",")
	}
	if a, b := sequence(), sequence(); a != b {
		t.Errorf("the same seed gave different faults:\n%s\n%s", a, b)
	}
	e.srv.SetFaults(emulator.Faults{})
	if r := e.do("GET", "/organization/", ownerKey, ""); r.status != 200 {
		t.Errorf("faults off: %d", r.status)
	}
}

func TestDroppedConnection(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{Faults: emulator.Faults{RateDrop: 1}}})
	req, _ := http.NewRequest("GET", e.ts.URL+"/organization/", nil)
	req.Header.Set("authorization", ownerKey)
	if resp, err := e.ts.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a dropped connection answered %d", resp.StatusCode)
	}
}

func TestNewDemo(t *testing.T) {
	srv := emulator.NewDemo(zaptest.NewLogger(t))
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	e := &env{t: t, srv: srv, ts: ts}
	id := e.create(emulator.DemoAPIKey, "本社 / 営業部")
	st := srv.State()
	if len(st.Orgs) != 1 || st.Orgs[0].ID != id || st.Orgs[0].CreatedBy != emulator.DemoUserID || st.Orgs[0].ManagementEmail != emulator.DemoEmail {
		t.Errorf("demo: %+v", st.Orgs)
	}
}

func TestAddOrgAndDumpIsACopy(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	o := e.srv.AddOrg(otherID, "Pre-existing")
	if !uuidRE.MatchString(o.ID) || o.CreatedBy != otherID || o.ManagementEmail != otherEmail {
		t.Errorf("AddOrg: %+v", o)
	}
	st := e.srv.State()
	st.Orgs[0].Name = "changed"
	st.Members[o.ID][ownerID] = emulator.RoleAdmin
	if again := e.srv.State(); again.Orgs[0].Name != "Pre-existing" || len(again.Members[o.ID]) != 1 {
		t.Errorf("Dump shares state: %+v", again)
	}
	if e.srv.SetRole("no-such-org", ownerID, emulator.RoleAdmin) {
		t.Error("SetRole on an unknown org reported success")
	}
	defer func() {
		if recover() == nil {
			t.Error("AddOrg with an unregistered owner did not panic")
		}
	}()
	e.srv.AddOrg("2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", "x")
}

func TestAddAPIKeyPanics(t *testing.T) {
	for _, args := range [][3]string{{"", ownerID, ownerEmail}, {" k", ownerID, ownerEmail}, {"k", "usr_1", ownerEmail}, {"k", ownerID, ""}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AddAPIKey%q did not panic", args)
				}
			}()
			emulator.New(emulator.Options{}).AddAPIKey(args[0], args[1], args[2])
		}()
	}
}

func TestConcurrentCreates(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() { e.create(ownerKey, "org "+string(rune('a'+i))) })
	}
	wg.Wait()
	st := e.srv.State()
	ids := make([]string, 0, len(st.Orgs))
	for _, o := range st.Orgs {
		ids = append(ids, o.ID)
	}
	sort.Strings(ids)
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			t.Errorf("duplicate id %s", ids[i])
		}
	}
	if len(ids) != 16 {
		t.Errorf("%d orgs, want 16", len(ids))
	}
}
