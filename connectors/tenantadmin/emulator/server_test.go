package emulator_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors/tenantadmin/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/golden"
)

func TestBearerToken(t *testing.T) {
	e := newEnv(t, emulator.Options{Tokens: []string{token, "second"}})
	for _, tt := range []struct {
		name, header string
		status       int
	}{
		{"document's header", "Bearer " + token, 200},
		{"scheme in lower case", "bearer " + token, 200},
		{"no header", "", 401},
		{"unknown token", "Bearer nope", 401},
		{"no token", "Bearer ", 401},
		{"basic", "Basic " + token, 401},
	} {
		r := e.call("GET", orgs, nil, "Authorization", tt.header)
		if r.status != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, r.status, tt.status)
		}
		if r.status == 401 && (r.str("error") != "unauthorized" || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer")) {
			t.Errorf("%s: 401 %s with WWW-Authenticate %q", tt.name, r.raw, r.header.Get("WWW-Authenticate"))
		}
	}
	// An unknown path needs the token too: the admin API is behind it.
	e.want(e.call("GET", "/api/admin/users", nil, "Authorization", ""), http.StatusUnauthorized)

	e.srv.RevokeToken(token)
	e.want(e.call("GET", orgs, nil), http.StatusUnauthorized)
	e.want(e.call("GET", orgs, nil, "Authorization", "Bearer second"), http.StatusOK)
	e.srv.ExpireTokens()
	e.want(e.call("GET", orgs, nil, "Authorization", "Bearer second"), http.StatusUnauthorized)
	e.srv.AddToken(token)
	e.want(e.call("GET", orgs, nil), http.StatusOK)
	if st := e.srv.State(); len(st.Orgs) != 0 {
		t.Error("a refused request changed the state")
	}
}

func TestRoutesAndBodies(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	org := e.createOrg("A", "A", "")
	for _, tt := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/api/admin/organization", 404, ""},
		{"GET", orgs + "/", 404, ""},
		{"GET", orgs + "/" + org + "/children", 404, ""},
		{"GET", orgs + "/" + org + "/members/usr_1001", 405, "DELETE"},
		{"PATCH", orgs + "/" + org, 405, "GET, PUT, DELETE"},
		{"DELETE", orgs, 405, "GET, POST"},
		{"POST", orgs + "/" + org + "/hierarchy", 405, "GET"},
		{"GET", orgs + "/org_unknown", 404, ""},
	} {
		r := e.call(tt.method, tt.path, nil)
		if r.status != tt.status || r.header.Get("Allow") != tt.allow || r.str("message") == "" {
			t.Errorf("%s %s: %d Allow %q %s; want %d Allow %q", tt.method, tt.path, r.status, r.header.Get("Allow"), r.raw, tt.status, tt.allow)
		}
	}
	for _, tt := range []struct {
		name, body, contentType string
	}{
		{"not JSON", `{"name":`, "application/json"},
		{"an array", `[1]`, "application/json"},
		{"two values", `{} {}`, "application/json"},
		{"form", `name=A`, "application/x-www-form-urlencoded"},
	} {
		r := e.call("POST", orgs, tt.body, "Content-Type", tt.contentType)
		if r.status != 400 || r.str("error") != "invalid_request" {
			t.Errorf("%s: %d %s, want 400 invalid_request", tt.name, r.status, r.raw)
		}
	}
	big := `{"name":"` + strings.Repeat("a", 1<<20) + `"}`
	e.want(e.call("POST", orgs, big), http.StatusBadRequest)
}

func TestFaults(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{Faults: emulator.Faults{Rate429: 1, Seed: 1}}})
	r := e.want(e.call("POST", orgs, map[string]any{"name": "A", "display_name": "A"}), http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "1" || r.str("error") != "rate_limited" {
		t.Errorf("429: Retry-After %q %s", r.header.Get("Retry-After"), r.raw)
	}
	e.srv.SetFaults(emulator.Faults{Rate5xx: 1, Seed: 1})
	seen := map[int]bool{}
	for range 30 {
		r := e.call("POST", orgs, map[string]any{"name": "A", "display_name": "A"})
		seen[r.status] = true
	}
	if len(seen) != 3 || !seen[500] || !seen[502] || !seen[503] {
		t.Errorf("5xx statuses %v, want 500, 502 and 503", seen)
	}
	st := e.srv.Stats()
	if st.Faulted != 31 || st.Writes != 0 || len(e.srv.State().Orgs) != 0 {
		t.Errorf("faulted %d, writes %d, orgs %d: a fault must come before any processing", st.Faulted, st.Writes, len(e.srv.State().Orgs))
	}
	// The same seed gives the same faults.
	sequence := func() string {
		e.srv.SetFaults(emulator.Faults{Rate429: 0.3, Rate5xx: 0.3, Seed: 42})
		var b strings.Builder
		for range 20 {
			b.WriteString(strconv.Itoa(e.call("GET", orgs, nil).status) + " ")
		}
		return b.String()
	}
	if a, b := sequence(), sequence(); a != b || !strings.Contains(a, "200") {
		t.Errorf("sequences differ or never succeed:\n%s\n%s", a, b)
	}
	e.srv.SetFaults(emulator.Faults{})
	e.want(e.call("GET", orgs, nil), http.StatusOK)
}

func TestLatencyAbandonedWithTheRequest(t *testing.T) {
	srv := emulator.New(emulator.Options{Options: emukit.Options{Faults: emulator.Faults{Latency: time.Hour}}, Tokens: []string{token}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, "POST", orgs, strings.NewReader(`{"name":"A","display_name":"A"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req) // returns at once: the context has ended
	if st := srv.Stats(); st.Requests != 1 || st.Writes != 0 || len(srv.State().Orgs) != 0 {
		t.Errorf("stats %+v: an abandoned request was processed", st)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{RateLimit: 3}})
	for i := range 3 {
		r := e.want(e.call("GET", orgs, nil), http.StatusOK)
		if r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) {
			t.Errorf("request %d: limit %q remaining %q", i, r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"))
		}
	}
	e.clk.Add(20 * time.Second)
	r := e.want(e.call("GET", orgs, nil), http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "40" || r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("429: Retry-After %q, remaining %q", r.header.Get("Retry-After"), r.header.Get("X-RateLimit-Remaining"))
	}
	e.clk.Add(40 * time.Second)
	e.want(e.call("GET", orgs, nil), http.StatusOK)
	if st := e.srv.Stats(); st.RateLimited != 1 {
		t.Errorf("RateLimited %d", st.RateLimited)
	}
	// The document has none: by default, no limit and no header.
	d := newEnv(t, emulator.Options{})
	for range 100 {
		d.want(d.call("GET", orgs, nil), http.StatusOK)
	}
	if h := d.call("GET", orgs, nil).header.Get("X-RateLimit-Limit"); h != "" {
		t.Errorf("X-RateLimit-Limit %q without a limit", h)
	}
}

func TestStatsAndDump(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	org := e.createOrg("A", "A", "")
	e.addMember(org, "usr_1001", "admin")
	e.call("POST", orgs, `{}`)                  // a refused write still counts
	e.call("GET", orgs+"/"+org+"/members", nil) // a read does not
	st := e.srv.Stats()
	if st.Requests != 4 || st.Writes != 3 || st.ByRoute["POST "+orgs+"/{id}/members"] != 1 || st.ByRoute["POST "+orgs] != 2 {
		t.Errorf("stats %+v", st)
	}
	e.srv.ResetStats()
	if st := e.srv.Stats(); st.Requests != 0 || len(st.ByRoute) != 0 {
		t.Errorf("after reset %+v", st)
	}
	e.want(e.call("PUT", orgs+"/"+org, map[string]any{"metadata": map[string]any{"k": map[string]any{"deep": "v"}}}), http.StatusOK)
	d := e.srv.State()
	d.Orgs[0].Metadata["k"].(map[string]any)["deep"] = "changed"
	d.Members[org][0].Role = "member"
	again := e.srv.State()
	if again.Orgs[0].Metadata["k"].(map[string]any)["deep"] != "v" || again.Members[org][0].Role != "admin" {
		t.Error("Dump is not a deep copy")
	}
}

func TestNewDemo(t *testing.T) {
	srv := emulator.NewDemo(nil)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	e := &env{t: t, srv: srv, ts: ts}
	e.want(e.call("GET", orgs, nil, "Authorization", "Bearer "+emulator.DemoToken), http.StatusOK)
	e.want(e.call("GET", orgs, nil), http.StatusUnauthorized) // only the demo token
	st := srv.State()
	if len(st.Users) != 12 || st.Users[0].ID != "usr_1001" || st.Users[0].Name != "山田 太郎" || st.Users[11].Email != "ren.yamamoto@example.co.jp" {
		t.Errorf("demo users %+v", st.Users)
	}
	if len(st.Orgs) != 0 {
		t.Error("the demo tenant starts with organizations")
	}
}

// TestDumpGolden: Dump names organizations, parents and users by name and
// user_id, with no generated id and no timestamp, one sorted line each.
func TestDumpGolden(t *testing.T) {
	e := newEnv(t, emulator.Options{Users: emulator.DemoUsers()[:3]})
	hq := e.want(e.call("POST", orgs, map[string]any{"name": "HQ", "display_name": "本社", "description": "本社です",
		"metadata": map[string]any{"orgbridge_key": "本社", "code": "HQ", "n": 3}}), http.StatusCreated).str("id")
	sales := e.createOrg("SALES", "営業部", hq)
	e.createOrg("Other", "誰かの組織", "")
	e.addMember(hq, "usr_1001", "admin")
	e.addMember(sales, "usr_1002", "member")
	e.addMember(sales, "usr_1001", "member")
	e.clk.Add(time.Hour) // no timestamp shows
	got := e.srv.Dump()
	golden.Check(t, filepath.Join("testdata", "dump.golden"), got, *update)
	if strings.Contains(got, hq) || strings.Contains(got, sales) {
		t.Error("Dump shows a generated id")
	}
	if d := emulator.New(emulator.Options{}).Dump(); d != "" {
		t.Errorf("an empty tenant dumps %q", d)
	}
}
