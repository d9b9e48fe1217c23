package admin

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scheduler"
)

const token = "admin-test-token"

func newHandler(t *testing.T, now time.Time) (*Handler, *store.SQLite) {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d := scheduler.NewDaemon(nil, scheduler.DaemonOptions{Store: st})
	h, err := New(Options{Store: st, Daemon: d, Token: token, ReadyMaxFailedAge: time.Hour, Replica: "r1",
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("metrics\n")) }),
		Now:     func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return h, st
}

func do(h http.Handler, method, path string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestAuth(t *testing.T) {
	h, _ := newHandler(t, time.Now())
	basic := func(pass string) string {
		req := httptest.NewRequest("GET", "/", nil)
		req.SetBasicAuth("anyone", pass)
		return req.Header.Get("Authorization")
	}
	tests := []struct {
		name, path, auth string
		want             int
	}{
		{"health needs nothing", "/healthz", "", 200},
		{"readiness needs nothing", "/readyz", "", 200},
		{"runs without a token", "/api/runs", "", 401},
		{"runs with the bearer token", "/api/runs", "Bearer " + token, 200},
		{"runs with a wrong token", "/api/runs", "Bearer nope", 401},
		{"page with basic auth", "/", basic(token), 200},
		{"page with a wrong basic password", "/", basic("nope"), 401},
		{"metrics need the token", "/metrics", "", 401},
		{"metrics with the token", "/metrics", "Bearer " + token, 200},
		{"unknown path", "/nope", "Bearer " + token, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(h, "GET", tt.path, map[string]string{"Authorization": tt.auth})
			if rec.Code != tt.want {
				t.Errorf("GET %s: %d, want %d: %s", tt.path, rec.Code, tt.want, rec.Body)
			}
			if rec.Code == 401 && !strings.Contains(rec.Header().Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 without a Basic challenge")
			}
		})
	}
}

func TestReadyzFailsOnAJobFailingTooLong(t *testing.T) {
	now := time.Now()
	h, st := newHandler(t, now.Add(2*time.Hour))
	ctx := context.Background()
	// Readiness asks stale() of each of the daemon's jobs; ask it directly.
	id, err := st.StartRun(ctx, "hr", store.ModeFull)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, id, store.RunFailed, "", errors.New("target down")); err != nil {
		t.Fatal(err)
	}
	if p := h.stale(ctx, "hr"); !strings.Contains(p, "job hr: failing since") {
		t.Errorf("stale = %q; want the failing job named", p)
	}
	id, _ = st.StartRun(ctx, "hr", store.ModeFull)
	_ = st.FinishRun(ctx, id, store.RunSucceeded, "", nil)
	if p := h.stale(ctx, "hr"); p != "" {
		t.Errorf("after a success stale = %q", p)
	}
	if p := h.stale(ctx, "never-ran"); p != "" {
		t.Errorf("a job without runs is stale: %q", p)
	}
}

func TestCrossSitePostsAreRefused(t *testing.T) {
	h, _ := newHandler(t, time.Now())
	auth := "Bearer " + token
	tests := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"a client without browser headers", map[string]string{"Authorization": auth}, http.StatusNotFound},
		{"same origin", map[string]string{"Authorization": auth, "Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}, http.StatusNotFound},
		{"another site", map[string]string{"Authorization": auth, "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"another origin", map[string]string{"Authorization": auth, "Origin": "http://evil.example"}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// No plan waits, so an allowed request ends in 404.
			rec := do(h, "POST", "http://example.com/api/approvals/7/approve", tt.header)
			if rec.Code != tt.want {
				t.Errorf("%d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
		})
	}
}

func TestRunsAPI(t *testing.T) {
	h, st := newHandler(t, time.Now())
	ctx := context.Background()
	id, _ := st.StartRun(ctx, "hr", store.ModeFull)
	_ = st.FinishRun(ctx, id, store.RunSucceeded, "Plan: nothing", nil)
	auth := map[string]string{"Authorization": "Bearer " + token}
	if rec := do(h, "GET", "/api/runs?job=hr", auth); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"status": "succeeded"`) {
		t.Errorf("/api/runs: %d %s", rec.Code, rec.Body)
	}
	if rec := do(h, "GET", "/api/runs?limit=x", auth); rec.Code != 400 {
		t.Errorf("bad limit: %d", rec.Code)
	}
	if rec := do(h, "GET", "/api/runs/1", auth); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"changes": []`) {
		t.Errorf("/api/runs/1: %d %s", rec.Code, rec.Body)
	}
	if rec := do(h, "GET", "/api/runs/abc", auth); rec.Code != 400 {
		t.Errorf("bad id: %d", rec.Code)
	}
	if rec := do(h, "POST", "/api/jobs/hr/run", auth); rec.Code != 404 {
		t.Errorf("trigger of an unknown job: %d", rec.Code)
	}
	if rec := do(h, "POST", "/api/approvals/1/maybe", auth); rec.Code != 404 {
		t.Errorf("an unknown decision: %d", rec.Code)
	}
}
