package admin

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
