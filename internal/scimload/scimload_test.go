package scimload_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/internal/scimload"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scim"
)

const token = "load-test-token"

// endpoint is the SCIM handler over a real SQLite store, served on
// loopback, with users seeded users.
func endpoint(t *testing.T, users int) (*httptest.Server, *store.SQLite) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if n, err := scimload.Seed(ctx, st, users, nil); err != nil || n != users {
		t.Fatalf("Seed: stored %d, %v; want %d", n, err, users)
	}
	h, err := scim.New(scim.Options{Store: st, Tokens: []string{token}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(scim.BasePath+"/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, st
}

func TestRunServesEachPhase(t *testing.T) {
	const users, requests = 40, 30
	srv, st := endpoint(t, users)
	ctx := context.Background()
	results, err := scimload.Run(ctx, scimload.Config{BaseURL: srv.URL + scim.BasePath, Token: token, Users: users,
		Concurrency: 3, Requests: requests, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(scimload.Ops) {
		t.Fatalf("%d results, want one per op %v", len(results), scimload.Ops)
	}
	for i, r := range results {
		if r.Op != scimload.Ops[i] || r.Requests != requests || r.Errors != 0 || r.FirstError != "" {
			t.Errorf("%s: %d requests, %d errors (%q); want %s, %d, none", r.Op, r.Requests, r.Errors, r.FirstError, scimload.Ops[i], requests)
		}
		if r.P50 <= 0 || r.P50 > r.P99 || r.P99 > r.Max || r.PerSecond() <= 0 {
			t.Errorf("%s: p50 %v, p99 %v, max %v, %.1f/s: want 0 < p50 <= p99 <= max", r.Op, r.P50, r.P99, r.Max, r.PerSecond())
		}
	}
	// The posts were stored, and the patches changed seeded users.
	if n, err := scimload.Seeded(ctx, st); err != nil || n != users+requests {
		t.Errorf("after the run the store holds %d users (%v), want %d", n, err, users+requests)
	}
	patched := 0
	for i := range users {
		res, err := st.SCIMGet(ctx, store.SCIMUser, scimload.UserID(i))
		if err != nil {
			t.Fatal(err)
		}
		if res.Version > 1 {
			patched++
			if !strings.Contains(string(res.Doc), "社員 ") || !strings.Contains(string(res.Doc), "(") {
				t.Errorf("user %d patched to %s, want its displayName replaced", i, res.Doc)
			}
		}
	}
	if patched == 0 {
		t.Error("no seeded user was patched")
	}
}

func TestRunCountsUnexpectedAnswers(t *testing.T) {
	srv, _ := endpoint(t, 5)
	results, err := scimload.Run(context.Background(), scimload.Config{BaseURL: srv.URL + scim.BasePath, Token: "wrong",
		Users: 5, Ops: []string{scimload.OpGet}, Concurrency: 2, Requests: 6, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Errors != 6 || !strings.Contains(results[0].FirstError, "401") {
		t.Fatalf("results %+v, want 6 errors, the first a 401", results)
	}
	if results[0].PerSecond() != 0 {
		t.Errorf("%.1f requests/s answered as expected, want 0", results[0].PerSecond())
	}
}

func TestSeedStoresOnlyWhatIsMissing(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, step := range []struct{ n, want, total int }{{7, 7, 7}, {7, 0, 7}, {10, 3, 10}} {
		stored, err := scimload.Seed(ctx, st, step.n, nil)
		if err != nil || stored != step.want {
			t.Fatalf("Seed(%d): stored %d, %v; want %d", step.n, stored, err, step.want)
		}
		if total, err := scimload.Seeded(ctx, st); err != nil || total != step.total {
			t.Fatalf("after Seed(%d): %d users, %v; want %d", step.n, total, err, step.total)
		}
	}
	res, err := st.SCIMFind(ctx, store.SCIMUser, store.SCIMByName, scimload.UserName(9))
	if err != nil || len(res) != 1 || res[0].ID != scimload.UserID(9) {
		t.Fatalf("SCIMFind(%s): %+v, %v", scimload.UserName(9), res, err)
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, tc := range []struct {
		url    string
		remote bool
		ok     bool
	}{
		{"http://127.0.0.1:8443/scim/v2", false, true},
		{"http://127.9.0.1/scim/v2", false, true},
		{"https://[::1]:8443/scim/v2", false, true},
		{"http://localhost:8443/scim/v2", false, true},
		{"http://LOCALHOST/scim/v2", false, true},
		{"http://10.0.0.5:8443/scim/v2", false, false},
		{"https://scim.example.org/scim/v2", false, false},
		{"https://scim.example.org/scim/v2", true, true},
		{"http://0.0.0.0:8443/scim/v2", false, false},
		{"ftp://127.0.0.1/scim/v2", true, false},
		{"127.0.0.1:8443", false, false},
	} {
		err := scimload.CheckLoopback(tc.url, tc.remote)
		if (err == nil) != tc.ok {
			t.Errorf("CheckLoopback(%q, remote %v): %v, want ok %v", tc.url, tc.remote, err, tc.ok)
		}
	}
	// Run refuses before sending anything.
	if _, err := scimload.Run(context.Background(), scimload.Config{BaseURL: "http://192.0.2.1/scim/v2", Users: 1}); err == nil || !strings.Contains(err.Error(), "not loopback") {
		t.Errorf("Run against 192.0.2.1: %v, want refused as not loopback", err)
	}
}
