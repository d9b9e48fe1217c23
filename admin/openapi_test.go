package admin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/robfig/cron/v3"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

func init() {
	// The document's other media types: a page is a string; a JSON lines
	// answer is the array of its lines.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		lines := []any{}
		sc := bufio.NewScanner(body)
		for sc.Scan() {
			var v any
			if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
				return nil, fmt.Errorf("line %d: %w", len(lines)+1, err)
			}
			lines = append(lines, v)
		}
		return lines, sc.Err()
	})
}

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDoc)
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3.0 document: %v", err)
	}
	return doc
}

// apiFixture is a handler over a real SQLite store whose answers have
// every shape the document describes: a job in Tokyo on a schedule whose
// plan the guard refused and holds (and an earlier refusal someone
// rejected), a run of another job with an applied and a failed change,
// and connector checks that pass and fail.
func apiFixture(t *testing.T) (*Handler, *store.SQLite, int64) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var links []store.Link
	var users []mapping.User
	for i := range 4 {
		k := fmt.Sprint(1001 + i)
		links = append(links, store.Link{Kind: mapping.KindUser, Key: k, TargetID: "T-" + k})
		users = append(users, mapping.User{Key: "T-" + k, LoginID: "e" + k, Name: "user " + k})
	}
	if err := st.Adopt(ctx, "hr", links); err != nil {
		t.Fatal(err)
	}
	rules, err := mapping.Compile(config.Mapping{Users: config.UserMapping{LoginID: "e{{.id}}", Name: "{{.name}}"}}, "jobs[0].mapping")
	if err != nil {
		t.Fatal(err)
	}
	// Only one of the four linked users is left in the source: three
	// suspends, which the guard refuses.
	src := recordsSource{{Kind: mapping.KindUser, Key: "1001", Origin: "users.csv:2", Attrs: map[string][]string{"id": {"1001"}, "name": {"user 1001"}}}}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	full, err := cron.ParseStandard("0 2 * * *")
	if err != nil {
		t.Fatal(err)
	}
	job := &scheduler.Job{Name: "hr", SourceType: "csv", TargetType: "aircourse", Source: src, Rules: rules,
		Target: snapshotTarget{mapping.Snapshot{Users: users}}, Guard: scheduler.Guard{MaxDeleteRatio: 0.1, MaxDeleteCount: 1},
		Schedule: &scheduler.JobSchedule{FullSpec: "0 2 * * *", Full: full, Location: tokyo}}
	d := scheduler.NewDaemon([]*scheduler.Job{job}, scheduler.DaemonOptions{Store: st})
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop(context.Background()) })
	var refused [2]int64
	for i := range refused {
		res, err := d.RunJob(ctx, "hr", scheduler.RunOptions{}, scheduler.TriggerManual)
		if !errors.Is(err, scheduler.ErrRefused) || res == nil {
			t.Fatalf("run %d of hr: %v, want a refusal", i, err)
		}
		refused[i] = res.RunID
		if i == 0 {
			if _, err := d.Reject(ctx, res.RunID, "ops@example.jp"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Another job's run with an applied and a failed change.
	id, err := st.StartRun(ctx, "crm", store.ModeFull)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Plan(ctx, id, []change.Change{
		change.CreateUser(mapping.User{Key: "C1", Name: "a"}, nil),
		change.CreateUser(mapping.User{Key: "C2", Name: "b"}, nil),
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Applied(ctx, id, 0, "t-1"); err != nil {
		t.Fatal(err)
	}
	if err := st.Failed(ctx, id, 1, errors.New("409 taken")); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, id, store.RunFailed, "1 applied, 1 failed", errors.New("1 change failed")); err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Store: st, Daemon: d, Token: token, Replica: "r1", ReadyMaxFailedAge: time.Hour,
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("orgbridge_up 1\n")) }),
		Now:     func() time.Time { return time.Date(2026, 11, 22, 16, 57, 0, 0, time.UTC) },
		Check: func(context.Context) []connectors.Line {
			return []connectors.Line{
				{Job: "hr", JobKey: "jobs[0]", Part: "source csv", CheckResult: connectors.CheckResult{Check: "read users.csv", Detail: "4 rows"}},
				{Job: "hr", JobKey: "jobs[0]", Part: "target aircourse", CheckResult: connectors.CheckResult{Check: "get a token", Key: "target.aircourse.client_secret", Err: errors.New("401: bad credentials")}},
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	return h, st, refused[1]
}

// apiCall is one request of the conformance test.
type apiCall struct {
	method, path string
	ctype, body  string
	basicUser    string // "" for the bearer token
	noAuth       bool
	// invalid: the request breaks the document on purpose (the answer
	// is still checked).
	invalid bool
	want    int
}

// TestOpenAPI: openapi.json is a valid OpenAPI 3.0 document; every route
// the mux serves is documented and every documented operation is served;
// each documented operation is called on a test server and both the
// request and the answer (status, content type, body against the
// schema) are validated against the document.
func TestOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	h, _, held := apiFixture(t)

	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, pattern := range h.routes {
		route := strings.Replace(pattern, "{$}", "", 1)
		served[route] = true
		if !documented[route] {
			t.Errorf("the mux serves %q, which openapi.json does not document", pattern)
		}
	}
	for route := range documented {
		if !served[route] {
			t.Errorf("openapi.json documents %q, which the mux does not serve", route)
		}
	}

	srv := httptest.NewServer(h)
	defer srv.Close()
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	heldID := fmt.Sprint(held)
	calls := []apiCall{
		{method: "GET", path: "/healthz", noAuth: true, want: 200},
		{method: "GET", path: "/healthz?verbose", noAuth: true, want: 200},
		{method: "GET", path: "/readyz", noAuth: true, want: 200},
		{method: "GET", path: "/metrics", want: 200},
		{method: "GET", path: "/metrics", noAuth: true, want: 401},
		{method: "GET", path: "/api/openapi.json", noAuth: true, want: 200},
		{method: "GET", path: "/api/jobs", want: 200},
		{method: "GET", path: "/api/jobs", noAuth: true, want: 401},
		{method: "POST", path: "/api/jobs/nope/run?dry_run=true", want: 404},
		{method: "POST", path: "/api/jobs/hr/run?dry_run=true", want: 202},
		{method: "GET", path: "/api/runs", want: 200},
		{method: "GET", path: "/api/runs?job=hr&limit=2", want: 200},
		{method: "GET", path: "/api/runs?limit=0", invalid: true, want: 400},
		{method: "GET", path: "/api/runs/1", want: 200},
		{method: "GET", path: "/api/runs/" + heldID, want: 200},
		{method: "GET", path: "/api/runs/999", want: 404},
		{method: "GET", path: "/api/approvals", want: 200},
		{method: "POST", path: "/api/approvals/" + heldID + "/approve", ctype: "application/json", body: `{"seqs": [99]}`, want: 400},
		{method: "POST", path: "/api/approvals/999/reject", want: 404},
		{method: "POST", path: "/api/validate", want: 200},
		{method: "GET", path: "/explain?job=hr&key=1001&format=json", want: 200},
		{method: "GET", path: "/explain?job=hr&key=1001", want: 200},
		{method: "GET", path: "/explain?job=hr&key=nobody&format=json", want: 404},
		{method: "GET", path: "/runs/" + heldID, want: 200},
		{method: "GET", path: "/runs/3?outcome=failed", want: 200},
		{method: "GET", path: "/runs/999", want: 404},
		{method: "GET", path: "/", want: 200},
		{method: "GET", path: "/", basicUser: "ops", want: 200},
		// Last: the rejection changes what the routes above answer.
		{method: "POST", path: "/api/approvals/" + heldID + "/reject", basicUser: "ops@example.jp", want: 200},
	}
	called := map[string]bool{}
	for _, c := range calls {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			req, err := http.NewRequest(c.method, srv.URL+c.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			switch {
			case c.noAuth:
			case c.basicUser != "":
				req.SetBasicAuth(c.basicUser, token)
			default:
				req.Header.Set("Authorization", "Bearer "+token)
			}
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("no documented route: %v", err)
			}
			called[c.method+" "+route.Path] = true
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
			if c.body != "" {
				// ValidateRequest reads the body: give it a copy.
				req2 := req.Clone(req.Context())
				req2.Body = io.NopCloser(strings.NewReader(c.body))
				in.Request = req2
			}
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && !c.invalid {
				t.Fatalf("the request does not match the document: %v", err)
			}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.want, raw)
			}
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
				Body: io.NopCloser(bytes.NewReader(raw)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
			if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
				t.Errorf("the answer does not match the document: %v\n%s", err, raw)
			}
		})
	}
	var missed []string
	for route := range documented {
		if !called[route] {
			missed = append(missed, route)
		}
	}
	sort.Strings(missed)
	if len(missed) > 0 {
		t.Errorf("documented operations the test never calls: %v", missed)
	}
}

// The document is served as it is embedded, without the token.
func TestOpenAPIServed(t *testing.T) {
	h, _ := newHandler(t, time.Now())
	rec := do(h, "GET", "/api/openapi.json", nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || !bytes.Equal(rec.Body.Bytes(), openAPIDoc) {
		t.Fatalf("GET /api/openapi.json: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !slices.Contains(h.routes, "GET /api/openapi.json") {
		t.Errorf("routes = %v", h.routes)
	}
}
