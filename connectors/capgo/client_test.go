package capgo_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/capgo"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// seen is one request as a server received it.
type seen struct {
	method, path, query, auth, contentType string
	body                                   map[string]any
}

// scripted answers every request with status and body, and records it.
type scripted struct {
	mu     sync.Mutex
	status int
	body   string
	got    []seen
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	req := seen{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, auth: r.Header.Get("Authorization"), contentType: r.Header.Get("Content-Type")}
	_ = json.Unmarshal(raw, &req.body)
	s.mu.Lock()
	s.got = append(s.got, req)
	status, body := s.status, s.body
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (s *scripted) last(t *testing.T) seen {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.got) == 0 {
		t.Fatal("no request")
	}
	return s.got[len(s.got)-1]
}

func newScriptedClient(t *testing.T, status int, body string) (*capgo.Client, *scripted) {
	t.Helper()
	s := &scripted{status: status, body: body}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	c, err := capgo.NewClient(capgo.ClientOptions{
		BaseURL: ts.URL + "/",
		HTTP:    httpkit.NewClient(httpkit.Options{MaxRetries: 1, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond}),
		APIKey:  testKey,
		KeyName: "capgo.api_key",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// TestRequests checks that every call is written as the document says.
func TestRequests(t *testing.T) {
	ctx := t.Context()
	c, s := newScriptedClient(t, 200, `{"status":"ok","id":"org_456","data":{"id":"org_123"}}`)

	if _, err := c.CreateOrg(ctx, capgo.Fields{"name": "New Organization"}); err != nil {
		t.Fatal(err)
	}
	r := s.last(t)
	if r.method != "POST" || r.path != "/organization/" || r.query != "" || r.auth != testKey || r.contentType != "application/json" ||
		len(r.body) != 1 || r.body["name"] != "New Organization" {
		t.Errorf("create sent %+v", r)
	}

	if _, err := c.UpdateOrg(ctx, "org_123", capgo.Fields{"name": "New Company Name", "management_email": "newemail@example.com"}); err != nil {
		t.Fatal(err)
	}
	r = s.last(t)
	if r.method != "PUT" || r.path != "/organization/" || r.query != "" || r.body["orgId"] != "org_123" ||
		r.body["name"] != "New Company Name" || r.body["management_email"] != "newemail@example.com" || len(r.body) != 3 {
		t.Errorf("update sent %+v", r)
	}

	if err := c.DeleteOrg(ctx, "org 1&2"); err != nil {
		t.Fatal(err)
	}
	r = s.last(t)
	if r.method != "DELETE" || r.path != "/organization/" || r.query != "orgId=org+1%262" || r.body != nil || r.contentType != "" {
		t.Errorf("delete sent %+v", r)
	}

	if _, err := c.GetOrg(ctx, "org_123"); err != nil {
		t.Fatal(err)
	}
	if r = s.last(t); r.method != "GET" || r.query != "orgId=org_123" {
		t.Errorf("get sent %+v", r)
	}
	s.body = `{"data":[]}`
	if _, err := c.ListOrgs(ctx); err != nil {
		t.Fatal(err)
	}
	if r = s.last(t); r.method != "GET" || r.path != "/organization/" || r.query != "page=0" || r.auth != testKey {
		t.Errorf("list sent %+v", r)
	}
}

// TestLenientReading reads the shapes a server may answer in.
func TestLenientReading(t *testing.T) {
	ctx := t.Context()
	t.Run("lists", func(t *testing.T) {
		for _, body := range []string{
			`{"data":[{"id":"a","name":"A"},{"id":7,"name":"B","logo":null,"customer_id":null}]}`,
			`[{"id":"a","name":"A"},{"id":7,"name":"B"}]`,
		} {
			c, _ := newScriptedClient(t, 200, body)
			orgs, err := c.ListOrgs(ctx)
			if err != nil || len(orgs) != 2 || orgs[0].ID != "a" || orgs[1].ID != "7" || orgs[1].Name != "B" {
				t.Errorf("%s: %+v, %v", body, orgs, err)
			}
		}
		for _, body := range []string{`{"data":[]}`, `[]`, `{"data":null}`, ``} {
			c, _ := newScriptedClient(t, 200, body)
			if orgs, err := c.ListOrgs(ctx); err != nil || len(orgs) != 0 {
				t.Errorf("%q: %+v, %v", body, orgs, err)
			}
		}
		c, _ := newScriptedClient(t, 200, `{"orgs":[]}`)
		if _, err := c.ListOrgs(ctx); err == nil {
			t.Error(`{"orgs":[]} read as a list`)
		}
	})
	t.Run("one", func(t *testing.T) {
		full := `{"id":"org_123","created_by":"u","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-02T00:00:00Z",` +
			`"logo":"https://example.com/logo.png","name":"My Company","management_email":"admin@example.com","customer_id":"cus_123"}`
		for _, body := range []string{`{"data":` + full + `}`, full} {
			c, _ := newScriptedClient(t, 200, body)
			o, err := c.GetOrg(ctx, "org_123")
			want := capgo.Organization{ID: "org_123", CreatedBy: "u", CreatedAt: "2024-01-01T00:00:00Z", UpdatedAt: "2024-01-02T00:00:00Z",
				Logo: "https://example.com/logo.png", Name: "My Company", ManagementEmail: "admin@example.com", CustomerID: "cus_123"}
			if err != nil || o != want {
				t.Errorf("%s: %+v, %v", body, o, err)
			}
		}
	})
	t.Run("created id", func(t *testing.T) {
		for body, want := range map[string]string{
			`{"status":"Organization created","id":"org_456"}`: "org_456",
			`{"id":"org_456"}`:                         "org_456",
			`{"data":{"id":"org_456","name":"x"}}`:     "org_456",
			`{"status":"Organization created","id":1}`: "1",
		} {
			c, _ := newScriptedClient(t, 201, body)
			if id, err := c.CreateOrg(ctx, capgo.Fields{"name": "x"}); err != nil || id != want {
				t.Errorf("%s: %q, %v; want %q", body, id, err, want)
			}
		}
		c, _ := newScriptedClient(t, 200, `{"status":"Organization created"}`)
		if _, err := c.CreateOrg(ctx, capgo.Fields{"name": "x"}); err == nil || !strings.Contains(err.Error(), "no id") {
			t.Errorf("a create without id: %v", err)
		}
	})
	t.Run("a 2xx in the error shape", func(t *testing.T) {
		c, _ := newScriptedClient(t, 200, `{"error":"Cannot create org","status":"KO"}`)
		if _, err := c.CreateOrg(ctx, capgo.Fields{"name": "x"}); err == nil || !strings.Contains(err.Error(), "Cannot create org") {
			t.Errorf("KO body: %v", err)
		}
	})
	t.Run("an update answer without the organization", func(t *testing.T) {
		c, _ := newScriptedClient(t, 200, `{"status":"Organization updated"}`)
		if o, err := c.UpdateOrg(ctx, "org_1", capgo.Fields{"name": "x"}); err != nil || o.ID != "org_1" {
			t.Errorf("%+v, %v", o, err)
		}
	})
}

// TestErrorStatuses checks what each error status becomes.
func TestErrorStatuses(t *testing.T) {
	tests := []struct {
		status    int
		body      string
		is        error
		field     string
		transient bool
		attempts  int
	}{
		{400, `{"error":"Name is required","status":"KO"}`, nil, "name", false, 1},
		{400, `{"error":"Invalid management_email","status":"KO"}`, nil, "management_email", false, 1},
		{400, `{"error":"logo must be an https URL","status":"KO"}`, nil, "logo", false, 1},
		{400, `{"error":"orgId is required","status":"KO"}`, nil, "orgId", false, 1},
		{400, `{"error":"Invalid body","status":"KO"}`, nil, "-", false, 1},
		{401, `{"error":"Invalid API key","status":"KO"}`, capgo.ErrInvalidAPIKey, "", false, 1},
		{403, `{"error":"Admin role required","status":"KO"}`, capgo.ErrAdminRoleRequired, "", false, 1},
		{404, `{"error":"Organization not found","status":"KO"}`, connectors.ErrNotFound, "", false, 1},
		// The document's messages come with no status: the message says
		// what the error is, whatever status carries it.
		{403, `{"error":"Invalid API key","status":"KO"}`, capgo.ErrInvalidAPIKey, "", false, 1},
		{401, `{"error":"Admin role required","status":"KO"}`, capgo.ErrAdminRoleRequired, "", false, 1},
		{401, `{"error":"Unauthorized","status":"KO"}`, capgo.ErrInvalidAPIKey, "", false, 1},
		{403, `{"error":"Forbidden","status":"KO"}`, capgo.ErrAdminRoleRequired, "", false, 1},
		{429, `{"error":"Too many requests","status":"KO"}`, nil, "", true, 2},
		{500, `{"error":"Internal server error","status":"KO"}`, nil, "", true, 2}, // PUT: idempotent, retried
		{503, `{"error":"Service unavailable","status":"KO"}`, nil, "", true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			c, s := newScriptedClient(t, tt.status, tt.body)
			_, err := c.UpdateOrg(t.Context(), "org_1", capgo.Fields{"name": "x"})
			if err == nil {
				t.Fatal("no error")
			}
			var msg map[string]string
			_ = json.Unmarshal([]byte(tt.body), &msg)
			if !strings.Contains(err.Error(), msg["error"]) || !strings.Contains(err.Error(), "PUT /organization/") {
				t.Errorf("%q does not carry the call and the API's message", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("%v does not wrap %v", err, tt.is)
			}
			if connectors.IsTransient(err) != tt.transient {
				t.Errorf("transient = %v, want %v", !tt.transient, tt.transient)
			}
			if tt.field != "" {
				var fe *connectors.FieldError
				if !errors.As(err, &fe) || fe.Status != 400 {
					t.Fatalf("%v is not a 400 FieldError", err)
				}
				if tt.field == "-" && len(fe.Fields) != 0 || tt.field != "-" && len(fe.Fields[tt.field]) != 1 {
					t.Errorf("Fields = %v, want %s", fe.Fields, tt.field)
				}
			}
			if n := len(s.got); n != tt.attempts {
				t.Errorf("%d attempts, want %d", n, tt.attempts)
			}
		})
	}
}

func TestNewClientChecks(t *testing.T) {
	hc := httpkit.NewClient(httpkit.Options{})
	for _, o := range []capgo.ClientOptions{
		{BaseURL: "api.capgo.app", HTTP: hc, APIKey: "k"},
		{BaseURL: "https://api.capgo.app?x", HTTP: hc, APIKey: "k"},
		{BaseURL: "https://api.capgo.app", APIKey: "k"},
		{BaseURL: "https://api.capgo.app", HTTP: hc},
	} {
		if _, err := capgo.NewClient(o); err == nil {
			t.Errorf("NewClient(%+v) accepted", o)
		}
	}
}

// TestKeyEchoedByServerIsRedacted: a careless server that echoes the key
// does not put it in an error.
func TestKeyEchoedByServerIsRedacted(t *testing.T) {
	c, _ := newScriptedClient(t, 401, `{"error":"Invalid API key `+testKey+`","status":"KO"}`)
	_, err := c.ListOrgs(t.Context())
	if err == nil || strings.Contains(err.Error(), testKey) || !errors.Is(err, capgo.ErrInvalidAPIKey) {
		t.Errorf("err = %v", err)
	}
}
