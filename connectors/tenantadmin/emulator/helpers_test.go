package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/orgbridge/orgbridge/connectors/tenantadmin/emulator"
)

const token = "t0ken-for-tests"

// clock is the injected clock of every test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

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

// users of most tests: the demo's.
func newEnv(t *testing.T, opts emulator.Options) *env {
	t.Helper()
	clk := &clock{t: time.Date(2024, 1, 22, 9, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	if opts.Users == nil {
		opts.Users = emulator.DemoUsers()
	}
	if opts.Tokens == nil {
		opts.Tokens = []string{token}
	}
	opts.Logger = zaptest.NewLogger(t, zaptest.Level(zapcore.InfoLevel))
	srv := emulator.New(opts)
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

// str returns a top-level string field ("" for null or absent).
func (r result) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

// items returns the items of a list.
func (r result) items() []map[string]any {
	var out []map[string]any
	for _, it := range r.body["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// fieldErrors returns the "errors" object of an error body.
func (r result) fieldErrors() map[string]any {
	m, _ := r.body["errors"].(map[string]any)
	return m
}

// call sends a request with the test token; body is JSON-encoded unless
// it is a string (sent as is). headers are name, value pairs; an
// Authorization header replaces the token's.
func (e *env) call(method, path string, body any, headers ...string) result {
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
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			e.t.Fatalf("%s %s: body is not a JSON object: %s", method, path, raw)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			e.t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
		}
	}
	return r
}

// want fails the test unless r has the status.
func (e *env) want(r result, status int) result {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

const orgs = "/api/admin/organizations"

// createOrg creates an org and returns its id.
func (e *env) createOrg(name, display, parent string) string {
	e.t.Helper()
	body := map[string]any{"name": name, "display_name": display}
	if parent != "" {
		body["parent_id"] = parent
	}
	return e.want(e.call("POST", orgs, body), http.StatusCreated).str("id")
}

func (e *env) addMember(org, user, role string) {
	e.t.Helper()
	e.want(e.call("POST", orgs+"/"+org+"/members", map[string]any{"user_id": user, "role": role}), http.StatusCreated)
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
