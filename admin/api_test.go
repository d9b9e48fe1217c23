package admin

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/internal/store"
)

var (
	// rfc3339RE matches a JSON string holding an RFC 3339 time in UTC.
	rfc3339RE = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"`)
	// pascalRE matches a JSON key that is not snake_case.
	pascalRE = regexp.MustCompile(`"[A-Za-z_]*[A-Z][A-Za-z_]*":`)
)

// The admin API's JSON answers, as golden files (times, which the store
// stamps with the clock, read "<time>"): one dialect, snake_case keys,
// RFC 3339 UTC times, null for never; never Go's zero time. go test
// ./admin -run TestAPIGolden -update rewrites them.
func TestAPIGolden(t *testing.T) {
	h, _, held := apiFixture(t)
	auth := map[string]string{"Authorization": "Bearer " + token}
	for _, tc := range []struct{ name, method, path string }{
		{"jobs", "GET", "/api/jobs"},
		{"approvals", "GET", "/api/approvals"},
		{"runs", "GET", "/api/runs"},
		{"run_failed", "GET", "/api/runs/3"},
		{"run_held", "GET", "/api/runs/" + itoa(held)},
		{"validate", "POST", "/api/validate"},
		{"health_verbose", "GET", "/healthz?verbose"},
		{"not_found", "GET", "/api/runs/999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(h, tc.method, tc.path, auth)
			body := rec.Body.String()
			if strings.Contains(body, "0001-01-01") {
				t.Errorf("Go's zero time in the answer:\n%s", body)
			}
			if m := pascalRE.FindAllString(body, -1); m != nil {
				t.Errorf("keys not in snake_case: %v", m)
			}
			got := rfc3339RE.ReplaceAllString(body, `"<time>"`)
			path := filepath.Join("testdata", "api_"+tc.name+".golden.json")
			if updateGolden() {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./admin -run TestAPIGolden -update)", err)
			}
			if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
				t.Errorf("%s %s differs from %s (-want +got):\n%s", tc.method, tc.path, path, diff)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A rejection over HTTP records who (the Basic user name; "api" for a
// bearer token) and when on the refused run, which /api/runs, the run's
// page and the status page then show (issue 20 item 5).
func TestDecisionRecordsWhoAndWhen(t *testing.T) {
	h, st, held := apiFixture(t)
	req := httptest.NewRequest("POST", "/api/approvals/"+itoa(held)+"/reject", nil)
	req.SetBasicAuth("yamada@example.jp", token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"by": "yamada@example.jp"`) {
		t.Fatalf("reject: %d %s", rec.Code, rec.Body)
	}
	r, _, err := st.Run(t.Context(), held)
	if err != nil || r.Decision.Verdict != store.DecisionRejected || r.Decision.By != "yamada@example.jp" || r.Decision.At.IsZero() {
		t.Fatalf("run %d decision = %+v, %v", held, r.Decision, err)
	}
	auth := map[string]string{"Authorization": "Bearer " + token}
	runs := do(h, "GET", "/api/runs?job=hr&limit=1", auth).Body.String()
	mustContain(t, runs, `"verdict": "rejected"`, `"by": "yamada@example.jp"`)
	// The fixture's clock says 2026-11-22 16:57 UTC; the store stamps
	// the decision with the real one, shown in Tokyo's time on the pages.
	at := r.Decision.At.In(mustZone(t, "Asia/Tokyo")).Format("2006-01-02 15:04")
	mustContain(t, do(h, "GET", "/runs/"+itoa(held), auth).Body.String(), `<dt>Approval</dt><dd>rejected by yamada@example.jp at `+at+`</dd>`)
	mustContain(t, do(h, "GET", "/", auth).Body.String(), `rejected by yamada@example.jp at `+at)
	if rec := do(h, "POST", "/api/approvals/"+itoa(held)+"/reject", auth); rec.Code != 404 {
		t.Errorf("rejecting twice: %d", rec.Code)
	}
	// A bearer token has no user: recorded as api; so is Basic without a
	// name.
	for _, tc := range []struct{ user, bearer, want string }{
		{user: "yamada", want: "yamada"},
		{user: " ", want: "api"},
		{bearer: token, want: "api"},
	} {
		req := httptest.NewRequest("POST", "/", nil)
		if tc.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+tc.bearer)
		} else {
			req.SetBasicAuth(tc.user, token)
		}
		if got := who(req); got != tc.want {
			t.Errorf("who(%+v) = %q, want %q", tc, got, tc.want)
		}
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
