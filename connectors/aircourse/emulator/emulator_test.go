package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
)

const (
	clientID = "9f1c2b7e-3a4d-4e5f-8a9b-0c1d2e3f4a5b"
	secret   = "s3cret-value"
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
	tok string
}

// unlimited is the options of most tests: no rate limit.
func unlimited() emulator.Options { return emulator.Options{Options: emukit.Options{RateLimit: -1}} }

func newEnv(t *testing.T, opts emulator.Options) *env {
	t.Helper()
	clk := newClock()
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	if opts.Logger == nil {
		opts.Logger = zaptest.NewLogger(t, zaptest.Level(zapcore.InfoLevel))
	}
	srv := emulator.New(opts)
	srv.AddClient(clientID, secret)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	e := &env{t: t, srv: srv, ts: ts, clk: clk}
	e.tok = e.token("")
	return e
}

type result struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// errKey reports whether a 422 body names key, and its first message.
func (r result) errMsg(key string) (string, bool) {
	errs, _ := r.body["errors"].(map[string]any)
	msgs, ok := errs[key].([]any)
	if !ok || len(msgs) == 0 {
		return "", false
	}
	s, _ := msgs[0].(string)
	return s, true
}

func (r result) data() map[string]any {
	d, _ := r.body["data"].(map[string]any)
	return d
}

func (r result) list() []map[string]any {
	items, _ := r.body["data"].([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		out = append(out, it.(map[string]any))
	}
	return out
}

func (r result) meta() map[string]any {
	m, _ := r.body["meta"].(map[string]any)
	return m
}

// send performs a request. body: nil (none), a string (raw JSON) or a value
// to marshal.
func (e *env) send(method, path string, body any, tok string, hdr map[string]string) result {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			e.t.Fatalf("%s %s: body is not a JSON object: %q", method, path, raw)
		}
	}
	return r
}

func (e *env) do(method, path string, body any) result {
	e.t.Helper()
	return e.send(method, path, body, e.tok, nil)
}

// tokenResp asks for a token with form values.
func (e *env) tokenResp(form url.Values) result {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (e *env) token(scope string) string {
	e.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
	if scope != "" {
		form.Set("scope", scope)
	}
	r := e.tokenResp(form)
	if r.status != http.StatusOK {
		e.t.Fatalf("token: %d %s", r.status, r.raw)
	}
	return r.body["access_token"].(string)
}

// create POSTs body and returns the new id.
func (e *env) create(path string, body any) string {
	e.t.Helper()
	r := e.do(http.MethodPost, path, body)
	if r.status != http.StatusOK {
		e.t.Fatalf("POST %s: %d %s", path, r.status, r.raw)
	}
	return r.data()["id"].(string)
}

func (e *env) mustStatus(want int, method, path string, body any) result {
	e.t.Helper()
	r := e.do(method, path, body)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.raw)
	}
	return r
}

func (e *env) newUser(name, loginID string, extra map[string]any) string {
	e.t.Helper()
	b := map[string]any{"name": name, "loginId": loginID, "license": "free", "role": "user"}
	for k, v := range extra {
		b[k] = v
	}
	return e.create("/users", b)
}

func (e *env) newOrg(name, parent string, admins ...string) string {
	e.t.Helper()
	if admins == nil {
		admins = []string{}
	}
	return e.create("/organizations", map[string]any{
		"name": name, "parentId": parent, "adminUserIds": admins, "isPublic": true, "isEnableDiscussion": true,
	})
}

func strs(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.(string))
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTokenIssue(t *testing.T) {
	e := newEnv(t, unlimited())
	ok := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range ok {
			f[kk] = vv
		}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		error  string
	}{
		{"ok", ok, 200, ""},
		{"scope comma", with("scope", "read,write"), 200, ""},
		{"scope read", with("scope", "read"), 200, ""},
		// The document's separator is "," only.
		{"scope space separated", with("scope", "read write"), 400, "invalid_scope"},
		{"scope space after comma", with("scope", "read, write"), 400, "invalid_scope"},
		{"scope padded", with("scope", " read,write "), 200, ""},
		{"scope empty part", with("scope", "read,,write"), 200, ""},
		{"scope upper case", with("scope", "READ"), 400, "invalid_scope"},
		{"no grant type", with("grant_type", ""), 400, "unsupported_grant_type"},
		{"password grant", with("grant_type", "password"), 400, "unsupported_grant_type"},
		{"no client id", with("client_id", ""), 400, "invalid_request"},
		{"client id not uuid", with("client_id", "client-1"), 401, "invalid_client"},
		{"unknown client", with("client_id", "00000000-0000-4000-8000-000000000000"), 401, "invalid_client"},
		{"client id upper case", with("client_id", strings.ToUpper(clientID)), 200, ""},
		{"wrong secret", with("client_secret", "nope"), 401, "invalid_client"},
		{"no secret", with("client_secret", ""), 401, "invalid_client"},
		{"unknown scope", with("scope", "read,admin"), 400, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.tokenResp(tt.form)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
			}
			if tt.status == 200 {
				if r.body["token_type"] != "Bearer" || r.body["expires_in"] != float64(3600) || r.body["access_token"] == "" {
					t.Errorf("body %s", r.raw)
				}
				return
			}
			if r.body["error"] != tt.error {
				t.Errorf("error %v, want %s", r.body["error"], tt.error)
			}
			if tt.status == 401 && r.body["message"] != "Client authentication failed" {
				t.Errorf("message %v", r.body["message"])
			}
		})
	}

	t.Run("json body is not a form", func(t *testing.T) {
		r := e.send(http.MethodPost, "/oauth/token",
			`{"grant_type":"client_credentials","client_id":"`+clientID+`","client_secret":"`+secret+`"}`, "", nil)
		if r.status != 400 {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
	})
	t.Run("GET is 405", func(t *testing.T) {
		r := e.send(http.MethodGet, "/oauth/token", nil, "", nil)
		if r.status != 405 {
			t.Fatalf("status %d", r.status)
		}
	})
	if got := e.srv.Stats().Writes; got != 0 {
		t.Errorf("token calls counted as writes: %d", got)
	}
}

func TestTokenExpiry(t *testing.T) {
	e := newEnv(t, unlimited())
	e.mustStatus(200, "GET", "/users", nil)
	e.clk.Add(60*time.Minute - time.Second)
	e.mustStatus(200, "GET", "/users", nil)
	e.clk.Add(time.Second)
	r := e.mustStatus(401, "GET", "/users", nil)
	if r.body["message"] != "Unauthenticated." {
		t.Errorf("message %v", r.body["message"])
	}

	t.Run("custom ttl", func(t *testing.T) {
		opts := unlimited()
		opts.TokenTTL = 5 * time.Minute
		e := newEnv(t, opts)
		r := e.tokenResp(url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}})
		if r.body["expires_in"] != float64(300) {
			t.Errorf("expires_in %v", r.body["expires_in"])
		}
		e.clk.Add(5 * time.Minute)
		e.mustStatus(401, "GET", "/users", nil)
	})
	t.Run("ExpireTokens", func(t *testing.T) {
		e := newEnv(t, unlimited())
		e.mustStatus(200, "GET", "/groups", nil)
		e.srv.ExpireTokens()
		e.mustStatus(401, "GET", "/groups", nil)
		e.tok = e.token("")
		e.mustStatus(200, "GET", "/groups", nil)
	})
	t.Run("authorization header", func(t *testing.T) {
		e := newEnv(t, unlimited())
		// The scheme is "Bearer" as the document writes it (Passport's
		// /^\s*Bearer\s/): another case is not a bearer token.
		tests := []struct {
			name, header string
			status       int
		}{
			{"absent", "", 401},
			{"scheme only", "Bearer", 401},
			{"scheme and space", "Bearer ", 401},
			{"unknown token", "Bearer nope", 401},
			{"basic", "Basic " + e.tok, 401},
			{"no scheme", e.tok, 401},
			{"no space", "Bearer" + e.tok, 401},
			{"lower-case scheme", "bearer " + e.tok, 401},
			{"upper-case scheme", "BEARER " + e.tok, 401},
			{"ok", "Bearer " + e.tok, 200},
			{"two spaces", "Bearer  " + e.tok, 200},
			{"tab", "Bearer\t" + e.tok, 200},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				hdr := map[string]string{"Authorization": tt.header}
				r := e.send("GET", "/users", nil, "", hdr)
				if r.status != tt.status {
					t.Fatalf("Authorization %q: %d %s", tt.header, r.status, r.raw)
				}
				if tt.status == 401 && r.body["message"] != "Unauthenticated." {
					t.Errorf("message %v", r.body["message"])
				}
			})
		}
	})
}

func TestScopes(t *testing.T) {
	e := newEnv(t, unlimited())
	read, write := e.token("read"), e.token("write")
	body := map[string]any{"name": "a", "loginId": "a", "license": "free", "role": "user"}
	tests := []struct {
		name   string
		tok    string
		method string
		body   any
		status int
	}{
		{"read GET", read, "GET", nil, 200},
		{"read POST", read, "POST", body, 403},
		{"write GET", write, "GET", nil, 403},
		{"write POST", write, "POST", body, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.send(tt.method, "/users", tt.body, tt.tok, nil)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
			}
			if tt.status == 403 && r.body["message"] != "Invalid scope(s) provided." {
				t.Errorf("message %v", r.body["message"])
			}
		})
	}
}

func TestProtocolErrors(t *testing.T) {
	e := newEnv(t, unlimited())
	u := e.newUser("a", "a", nil)
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		hdr    map[string]string
		status int
	}{
		{"unknown path", "GET", "/nope", nil, nil, 404},
		{"unknown nested path", "GET", "/users/" + u + "/groups", nil, nil, 404},
		{"trailing slash", "GET", "/users/", nil, nil, 404},
		{"user id without prefix", "GET", "/users/org_AAAAAAAAAAAAAAAA", nil, nil, 404},
		{"org id without prefix", "GET", "/organizations/" + u, nil, nil, 404},
		{"group id without prefix", "DELETE", "/groups/org_x", nil, nil, 404},
		{"unknown user", "GET", "/users/usr_AAAAAAAAAAAAAAAA", nil, nil, 404},
		{"unknown org users", "GET", "/organizations/org_AAAAAAAAAAAAAAAA/users", nil, nil, 404},
		{"wrong method", "DELETE", "/users", nil, nil, 405},
		{"wrong method on item", "POST", "/users/" + u, "{}", nil, 405},
		{"patch on members", "PATCH", "/groups/grp_x/users", "{}", nil, 405},
		{"accept html", "GET", "/users", nil, map[string]string{"Accept": "text/html"}, 400},
		{"accept json q=0", "GET", "/users", nil, map[string]string{"Accept": "application/json;q=0, text/html"}, 400},
		{"accept any", "GET", "/users", nil, map[string]string{"Accept": "*/*"}, 200},
		{"accept list", "GET", "/users", nil, map[string]string{"Accept": "text/html, application/json;q=0.9"}, 200},
		{"accept absent", "GET", "/users", nil, map[string]string{"Accept": ""}, 200},
		{"malformed json", "POST", "/users", `{"name":`, nil, 400},
		{"json array", "POST", "/users", `[]`, nil, 400},
		{"trailing data", "POST", "/users", `{} {}`, nil, 400},
		{"form content type", "POST", "/users", `{"name":"x"}`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 400},
		{"empty body validates", "POST", "/users", nil, nil, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.send(tt.method, tt.path, tt.body, e.tok, tt.hdr)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if _, ok := r.body["message"].(string); tt.status != 200 && !ok {
				t.Errorf("no message: %s", r.raw)
			}
			if tt.status == 405 && r.header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
	// Routing comes before authentication: an unknown route is 404 even
	// without a token.
	if r := e.send("GET", "/nope", nil, "", nil); r.status != 404 {
		t.Errorf("unknown path without token: %d", r.status)
	}
}

func TestInitialState(t *testing.T) {
	e := newEnv(t, unlimited())
	root, every := e.srv.RootOrgID(), e.srv.EveryoneGroupID()
	if !strings.HasPrefix(root, "org_") || len(root) != 20 || !strings.HasPrefix(every, "grp_") || len(every) != 20 {
		t.Fatalf("ids %q %q", root, every)
	}
	orgs := e.mustStatus(200, "GET", "/organizations", nil).list()
	if len(orgs) != 1 || orgs[0]["id"] != root || orgs[0]["parentId"] != nil || orgs[0]["name"] != "ルート組織" {
		t.Errorf("orgs %v", orgs)
	}
	g := e.mustStatus(200, "GET", "/groups/"+every, nil).data()
	if g["name"] != "全員" || g["code"] != "everyone" || g["organizationId"] != root {
		t.Errorf("everyone %v", g)
	}
	st := e.srv.State()
	if len(st.Users) != 0 || len(st.Orgs) != 1 || len(st.Groups) != 1 {
		t.Errorf("dump %+v", st)
	}
}

func TestStats(t *testing.T) {
	e := newEnv(t, unlimited())
	e.srv.ResetStats()
	u := e.newUser("a", "a", nil)
	e.mustStatus(200, "GET", "/users/"+u, nil)
	e.mustStatus(200, "PUT", "/users/"+u, map[string]any{"name": "b"})
	e.mustStatus(422, "POST", "/users", map[string]any{})
	e.mustStatus(204, "DELETE", "/users/"+u, nil)
	e.token("read")
	st := e.srv.Stats()
	if st.Requests != 6 || st.Writes != 4 || st.RateLimited != 0 || st.Faulted != 0 {
		t.Errorf("stats %+v", st)
	}
	want := map[string]int{"POST /users": 2, "GET /users/{userId}": 1, "PUT /users/{userId}": 1,
		"DELETE /users/{userId}": 1, "POST /oauth/token": 1}
	for k, v := range want {
		if st.ByRoute[k] != v {
			t.Errorf("ByRoute[%q] = %d, want %d (%v)", k, st.ByRoute[k], v, st.ByRoute)
		}
	}
	st.ByRoute["POST /users"] = 99 // a copy
	if e.srv.Stats().ByRoute["POST /users"] != 2 {
		t.Error("Stats shares its map")
	}
	e.srv.ResetStats()
	if st := e.srv.Stats(); st.Requests != 0 || len(st.ByRoute) != 0 {
		t.Errorf("after reset %+v", st)
	}
}

func TestDumpIsACopy(t *testing.T) {
	e := newEnv(t, unlimited())
	u := e.newUser("a", "a", map[string]any{"department": "営業"})
	st := e.srv.State()
	*st.Users[0].Department = "changed"
	st.Users[0].MemberOrganizationIDs[0] = "x"
	st.GroupMembers[e.srv.EveryoneGroupID()][u] = "admin"
	again := e.srv.State()
	if *again.Users[0].Department != "営業" || again.Users[0].MemberOrganizationIDs[0] != e.srv.RootOrgID() ||
		again.GroupMembers[e.srv.EveryoneGroupID()][u] != "member" {
		t.Errorf("Dump shares state: %+v", again.Users[0])
	}
}

func TestLogsNoSecrets(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	opts := unlimited()
	opts.Logger = zap.New(core)
	e := newEnv(t, opts)
	e.newUser("a", "a", map[string]any{"password": "pw-secret"})
	if logs.Len() < 2 {
		t.Fatalf("%d log entries", logs.Len())
	}
	for _, entry := range logs.All() {
		m := entry.ContextMap()
		for _, k := range []string{"method", "path", "status"} {
			if _, ok := m[k]; !ok {
				t.Errorf("entry %q lacks %s: %v", entry.Message, k, m)
			}
		}
		all := entry.Message
		for _, v := range m {
			if s, ok := v.(string); ok {
				all += " " + s
			}
		}
		for _, secretValue := range []string{e.tok, secret, "pw-secret"} {
			if strings.Contains(all, secretValue) {
				t.Errorf("log leaks a secret: %v", m)
			}
		}
	}
}

func TestConcurrentWrites(t *testing.T) {
	e := newEnv(t, unlimited())
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				req, _ := http.NewRequest("POST", e.ts.URL+"/users", strings.NewReader(
					`{"name":"u","license":"free","role":"user","loginId":"u`+strconv.Itoa(g)+`-`+strconv.Itoa(i)+`"}`))
				req.Header.Set("Authorization", "Bearer "+e.tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := e.ts.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("status %d", resp.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(e.srv.State().Users); n != 80 {
		t.Errorf("%d users", n)
	}
}

func TestLatencyHonoursCancel(t *testing.T) {
	opts := unlimited()
	opts.Faults.Latency = time.Hour
	srv := emulator.New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("GET", "/users", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req) // returns at once: the context is done
	if rec.Body.Len() != 0 {
		t.Errorf("wrote %q", rec.Body.String())
	}
	if st := srv.Stats(); st.Requests != 1 || len(st.ByRoute) != 0 {
		t.Errorf("stats %+v", st)
	}
}
