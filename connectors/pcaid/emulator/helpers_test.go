package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
)

const (
	testClientID = "test-client"
	testSecret   = "test-secret/with+chars"
)

// env is an emulator on loopback with a fake clock and a token of the
// default organization's client.
type env struct {
	t     testing.TB
	emu   *emulator.Server
	srv   *httptest.Server
	clock *httpkittest.FakeClock
	token string
	// formAuth: the token endpoint reads the client from the form only
	// (token-auth-body).
	formAuth bool
}

func newEnv(t testing.TB, opts emulator.Options) *env {
	t.Helper()
	clock := httpkittest.NewFakeClock(time.Time{})
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	emu := emulator.New(opts)
	emu.AddClient(testClientID, testSecret)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	e := &env{t: t, emu: emu, srv: srv, clock: clock, formAuth: opts.Readings.Has(emulator.ReadingTokenAuthBody)}
	e.token = e.fetchToken(testClientID, testSecret, "")
	return e
}

// fetchToken gets a token by HTTP Basic (in the form where the server
// reads only that); it fails the test on an error.
func (e *env) fetchToken(id, secret, scope string) string {
	e.t.Helper()
	r := e.tokenRequest(id, secret, !e.formAuth, url.Values{"grant_type": {"client_credentials"}, "scope": {scope}})
	if r.status != 200 {
		e.t.Fatalf("token: %d %s", r.status, r.raw)
	}
	return r.json()["access_token"].(string)
}

func (e *env) tokenRequest(id, secret string, basic bool, form url.Values) result {
	e.t.Helper()
	if !basic {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+emulator.TokenPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	return e.send(req)
}

// result is one answer.
type result struct {
	status int
	header http.Header
	raw    string
}

func (r result) json() map[string]any {
	var m map[string]any
	_ = json.Unmarshal([]byte(r.raw), &m)
	return m
}

// errKey reports whether a 422 names key.
func (r result) errKey(key string) bool {
	errs, _ := r.json()["errors"].(map[string]any)
	_, ok := errs[key]
	return ok
}

func (r result) str(key string) string { s, _ := r.json()[key].(string); return s }

func (e *env) send(req *http.Request) result {
	e.t.Helper()
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, raw: string(b)}
}

// do calls the API with the env's token; body nil sends none.
func (e *env) do(method, path string, body any) result {
	e.t.Helper()
	return e.doAs(e.token, method, path, body)
}

func (e *env) doAs(token, method, path string, body any) result {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+emulator.Prefix+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(req)
}

// must checks the status and returns the JSON answer.
func (e *env) must(status int, method, path string, body any) map[string]any {
	e.t.Helper()
	r := e.do(method, path, body)
	if r.status != status {
		e.t.Fatalf("%s %s: %d, want %d: %s", method, path, r.status, status, r.raw)
	}
	return r.json()
}

func (e *env) createUser(email, name string, kv ...any) string {
	e.t.Helper()
	b := map[string]any{"email": email, "name": name}
	for i := 0; i < len(kv); i += 2 {
		b[kv[i].(string)] = kv[i+1]
	}
	return e.must(201, "POST", "/users", b)["account_id"].(string)
}

func (e *env) createPartition(name string) string {
	e.t.Helper()
	return e.must(201, "POST", "/organizations/service_partition", map[string]any{"name": name})["service_partition_id"].(string)
}

// listAll pages through a list with the given limit and returns every item
// and the number of pages.
func (e *env) listAll(path string, query url.Values, limit int) ([]map[string]any, int) {
	e.t.Helper()
	var all []map[string]any
	cursor := ""
	for pages := 1; ; pages++ {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("limit", itoa(limit))
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		r := e.must(200, "GET", path+"?"+q.Encode(), nil)
		for _, u := range r["users"].([]any) {
			all = append(all, u.(map[string]any))
		}
		next, _ := r["next_cursor"].(string)
		if next == "" {
			return all, pages
		}
		if pages > 100 {
			e.t.Fatal("no end of pages")
		}
		cursor = next
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// sendRaw sends a raw body with a content type ("" sends none).
func (e *env) sendRaw(method, path, ctype, body string) result {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+emulator.Prefix+path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	return e.send(req)
}
