package emulator_test

import (
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/capgo/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// raw sends a request and returns status and body, whatever the body is.
func (e *env) raw(method, path, key, body string) (int, string) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("authorization", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func readings(t *testing.T, names ...string) emukit.Set {
	t.Helper()
	set, err := emulator.Readings.Parse(names)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// The catalogue is well formed: every reading names its seed line (002 and
// a line number), says what it does, and excludes only known readings,
// both ways.
func TestReadingsCatalogue(t *testing.T) {
	if len(emulator.Readings) == 0 {
		t.Fatal("no readings")
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range emulator.Readings {
		if !strings.HasPrefix(r.Seed, "002:") || r.Doc == "" {
			t.Errorf("%s: seed %q, doc %q", r.Name, r.Seed, r.Doc)
		}
		if !strings.Contains(string(doc), "//   - "+r.Name+" (002:") {
			t.Errorf("%s is not listed with its seed line under # Readings in doc.go", r.Name)
		}
		for _, x := range r.Excludes {
			other, ok := emulator.Readings.Lookup(x)
			if !ok || !slices.Contains(other.Excludes, r.Name) {
				t.Errorf("%s excludes %s, which does not exclude it back", r.Name, x)
			}
		}
	}
	if _, err := emulator.Readings.Parse([]string{emulator.ReadingErrorsHTTP200, emulator.ReadingErrorsHTTP400}); err == nil {
		t.Error("two answers to one question parsed together")
	}
}

func TestReadingLists(t *testing.T) {
	tests := []struct {
		name     string
		readings []string
		pageSize int
		// want lists, per GET path, the body wanted (names only).
		want map[string]string
	}{
		{"default: the key user's orgs, wrapped", nil, 0, map[string]string{
			"/organization/": `data:A,B,Shared`, "/organization/?page=1": `data:A,B,Shared`,
		}},
		{"bare array", []string{emulator.ReadingListBareArray}, 0, map[string]string{
			"/organization/": `bare:A,B,Shared`,
		}},
		{"paged by 2 from page 0", []string{emulator.ReadingListPaged}, 2, map[string]string{
			"/organization/": `data:A,B`, "/organization/?page=0": `data:A,B`, "/organization/?page=1": `data:Shared`,
			"/organization/?page=2": `data:`, "/organization/?page=x": `data:A,B`, "/organization/?page=-1": `data:A,B`,
		}},
		{"paged by the default 50", []string{emulator.ReadingListPaged}, 0, map[string]string{
			"/organization/": `data:A,B,Shared`, "/organization/?page=1": `data:`,
		}},
		{"every org of the server", []string{emulator.ReadingListAllOrgs}, 0, map[string]string{
			"/organization/": `data:A,Other's,B,Shared`,
		}},
		{"paged by 2 from page 1", []string{emulator.ReadingListPagedFrom1}, 2, map[string]string{
			"/organization/": `data:A,B`, "/organization/?page=0": `data:A,B`, "/organization/?page=1": `data:A,B`,
			"/organization/?page=2": `data:Shared`, "/organization/?page=3": `data:`, "/organization/?page=x": `data:A,B`,
			"/organization/?page=-1": `data:A,B`,
		}},
		{"all three", []string{emulator.ReadingListAllOrgs, emulator.ReadingListPaged, emulator.ReadingListBareArray}, 3, map[string]string{
			"/organization/?page=1": `bare:Shared`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, emulator.Options{Options: emukit.Options{Readings: readings(t, tt.readings...)}, PageSize: tt.pageSize})
			e.create(ownerKey, "A")
			e.create(otherKey, "Other's")
			e.create(ownerKey, "B")
			shared := e.create(otherKey, "Shared")
			e.srv.SetRole(shared, ownerID, emulator.RoleMember)
			for path, want := range tt.want {
				status, body := e.raw("GET", path, ownerKey, "")
				if status != 200 {
					t.Fatalf("GET %s: %d %s", path, status, body)
				}
				if got := listNames(t, body); got != want {
					t.Errorf("GET %s = %s, want %s", path, got, want)
				}
			}
		})
	}
}

// listNames renders a list answer as "data:" or "bare:" and the names.
func listNames(t *testing.T, body string) string {
	t.Helper()
	var orgs []map[string]any
	kind := "bare"
	if strings.HasPrefix(body, "{") {
		var doc struct{ Data []map[string]any }
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		kind, orgs = "data", doc.Data
	} else if err := json.Unmarshal([]byte(body), &orgs); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range orgs {
		names = append(names, o["name"].(string))
	}
	return kind + ":" + strings.Join(names, ",")
}

// Under list-all-orgs another user's organization is readable but not
// writable: 403, never 404, and nothing changes.
func TestReadingListAllOrgsWrites(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{Readings: readings(t, emulator.ReadingListAllOrgs)}})
	other := e.create(otherKey, "Other's")
	if status, body := e.raw("GET", "/organization/?orgId="+other, ownerKey, ""); status != 200 || !strings.Contains(body, `"Other's"`) {
		t.Errorf("GET another's org: %d %s", status, body)
	}
	wantError(t, e.do("PUT", "/organization/", ownerKey, `{"orgId":"`+other+`","name":"mine"}`), 403, "Admin role required")
	wantError(t, e.do("DELETE", "/organization/?orgId="+other, ownerKey, ""), 403, "Admin role required")
	wantError(t, e.do("DELETE", "/organization/?orgId=4d3c2b1a-0000-4000-8000-000000000000", ownerKey, ""), 404, "Organization not found")
	if st := e.srv.State(); len(st.Orgs) != 1 || st.Orgs[0].Name != "Other's" {
		t.Errorf("state %+v", st.Orgs)
	}
}

func TestReadingCreateBody(t *testing.T) {
	const body = `{"name":"Acme","management_email":"team@example.com"}`
	tests := []struct {
		name     string
		readings []string
		body     string
		status   int
		errMsg   string // a refused create: nothing is created
		email    string // the created org's management_email
	}{
		{"default ignores management_email", nil, body, 200, "", ownerEmail},
		{"new-org-email-empty", []string{emulator.ReadingNewOrgEmailEmpty}, body, 200, "", ""},
		{"create-management-email sets it", []string{emulator.ReadingCreateManagementEmail}, body, 200, "", "team@example.com"},
		{"create-management-email without one", []string{emulator.ReadingCreateManagementEmail}, `{"name":"Acme"}`, 200, "", ownerEmail},
		{"create-management-email with new-org-email-empty", []string{emulator.ReadingCreateManagementEmail, emulator.ReadingNewOrgEmailEmpty}, `{"name":"Acme"}`, 200, "", ""},
		{"create-management-email checks it", []string{emulator.ReadingCreateManagementEmail}, `{"name":"Acme","management_email":"Team <team@example.com>"}`, 400, "Invalid management_email", ""},
		{"create-strict-body refuses it", []string{emulator.ReadingCreateStrictBody}, body, 400, "Invalid body", ""},
		{"create-strict-body takes name alone", []string{emulator.ReadingCreateStrictBody}, `{"name":"Acme"}`, 200, "", ownerEmail},
		{"create-strict-body checks the keys before the name", []string{emulator.ReadingCreateStrictBody}, `{"logo":null}`, 400, "Invalid body", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, emulator.Options{Options: emukit.Options{Readings: readings(t, tt.readings...)}})
			r := e.do("POST", "/organization/", ownerKey, tt.body)
			st := e.srv.State()
			if tt.errMsg != "" {
				wantError(t, r, tt.status, tt.errMsg)
				if len(st.Orgs) != 0 {
					t.Errorf("a refused create left %+v", st.Orgs)
				}
				return
			}
			if r.status != tt.status || len(st.Orgs) != 1 {
				t.Fatalf("status %d %s, %d orgs; want %d and one org", r.status, r.raw, len(st.Orgs), tt.status)
			}
			if got := st.Orgs[0].ManagementEmail; got != tt.email {
				t.Errorf("management_email %q, want %q", got, tt.email)
			}
		})
	}
}

func TestReadingErrorStatuses(t *testing.T) {
	calls := []struct {
		method, path, key, body, msg string
		status                       int
	}{
		{"GET", "/organization/", "", "", "Invalid API key", 401},
		{"POST", "/organization/", ownerKey, `{}`, "Name is required", 400},
		{"GET", "/organization/?orgId=4d3c2b1a-0000-4000-8000-000000000000", ownerKey, "", "Organization not found", 404},
		{"PUT", "/organization/", ownerKey, `{"orgId":"SHARED","name":"x"}`, "Admin role required", 403},
		{"PATCH", "/organization/", ownerKey, `{}`, "Method not allowed", 405},
		{"GET", "/elsewhere", ownerKey, "", "Not found", 404},
	}
	for _, tt := range []struct {
		name     string
		readings []string
		status   func(int) int
	}{
		{"default", nil, func(s int) int { return s }},
		{"errors-http-200", []string{emulator.ReadingErrorsHTTP200}, func(int) int { return 200 }},
		{"errors-http-400", []string{emulator.ReadingErrorsHTTP400}, func(int) int { return 400 }},
		{"invalid-key-403", []string{emulator.ReadingInvalidKey403}, func(s int) int {
			if s == 401 {
				return 403
			}
			return s
		}},
		{"invalid-key-403 under errors-http-400", []string{emulator.ReadingInvalidKey403, emulator.ReadingErrorsHTTP400}, func(int) int { return 400 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, emulator.Options{Options: emukit.Options{Readings: readings(t, tt.readings...), RateLimit: 100}})
			shared := e.create(otherKey, "Shared")
			e.srv.SetRole(shared, ownerID, emulator.RoleMember)
			for _, c := range calls {
				r := e.do(c.method, strings.ReplaceAll(c.path, "SHARED", shared), c.key, strings.ReplaceAll(c.body, "SHARED", shared))
				wantError(t, r, tt.status(c.status), c.msg)
			}
			// An injected fault keeps its own status.
			e.srv.SetFaults(emulator.Faults{Rate5xx: 1, Seed: 1})
			if r := e.do("GET", "/organization/", ownerKey, ""); r.status < 500 {
				t.Errorf("an injected fault answered %d", r.status)
			}
		})
	}
}

// Under role-checked-first a PUT or DELETE of an organization that does
// not exist, or no longer does, is 403 Admin role required; a GET of it
// is still 404. By default both are 404.
func TestReadingRoleCheckedFirst(t *testing.T) {
	for _, tt := range []struct {
		name     string
		readings []string
		status   int
		msg      string
	}{
		{"default", nil, 404, "Organization not found"},
		{"role-checked-first", []string{emulator.ReadingRoleCheckedFirst}, 403, "Admin role required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, emulator.Options{Options: emukit.Options{Readings: readings(t, tt.readings...)}})
			id := e.create(ownerKey, "Acme")
			if r := e.do("DELETE", "/organization/?orgId="+id, ownerKey, ""); r.status != 200 {
				t.Fatalf("first delete: %d %s", r.status, r.raw)
			}
			wantError(t, e.do("DELETE", "/organization/?orgId="+id, ownerKey, ""), tt.status, tt.msg)
			wantError(t, e.do("PUT", "/organization/", ownerKey, `{"orgId":"`+id+`","name":"x"}`), tt.status, tt.msg)
			wantError(t, e.do("GET", "/organization/?orgId="+id, ownerKey, ""), 404, "Organization not found")
			// Validation still comes first.
			wantError(t, e.do("PUT", "/organization/", ownerKey, `{"orgId":"`+id+`","name":" "}`), 400, "Name must not be empty")
		})
	}
}

// Under put-absent-logo-cleared a PUT without logo clears it; name and
// management_email, absent, are kept. By default an absent logo is kept.
func TestReadingPutAbsentLogoCleared(t *testing.T) {
	for _, tt := range []struct {
		name     string
		readings []string
		logo     any
	}{
		{"default", nil, "https://cdn.example.com/l.png"},
		{"put-absent-logo-cleared", []string{emulator.ReadingPutAbsentLogoCleared}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, emulator.Options{Options: emukit.Options{Readings: readings(t, tt.readings...)}})
			id := e.create(ownerKey, "Acme")
			e.do("PUT", "/organization/", ownerKey, `{"orgId":"`+id+`","logo":"https://cdn.example.com/l.png","management_email":"team@example.com"}`)
			r := e.do("PUT", "/organization/", ownerKey, `{"orgId":"`+id+`","name":"Acme 2"}`)
			d, _ := r.body["data"].(map[string]any)
			if r.status != 200 || d["logo"] != tt.logo || d["name"] != "Acme 2" || d["management_email"] != "team@example.com" {
				t.Errorf("PUT without logo: %d %s; want logo %v, the rest kept", r.status, r.raw, tt.logo)
			}
		})
	}
}

func TestReadingPutPartialData(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{Readings: readings(t, emulator.ReadingPutPartialData)}})
	id := e.create(ownerKey, "Acme")
	_, body := e.raw("PUT", "/organization/", ownerKey, `{"orgId":"`+id+`","management_email":"team@example.com"}`)
	want := `{"status":"Organization updated","data":{"id":"` + id + `","name":"Acme","management_email":"team@example.com"}}`
	if body != want {
		t.Errorf("PUT answered %s, want %s", body, want)
	}
}

// Dump names objects by name and email, holds no id or time, and is
// compared with a golden file.
func TestDump(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	if d := e.srv.Dump(); d != "" {
		t.Errorf("empty emulator dumps %q", d)
	}
	a := e.create(ownerKey, "本社")
	e.create(ownerKey, "本社") // the same name twice shows as two lines
	e.do("PUT", "/organization/", ownerKey, `{"orgId":"`+a+`","management_email":"it@example.com","logo":"https://cdn.example.com/l.png"}`)
	shared := e.create(otherKey, "本社 / 営業部")
	e.srv.SetRole(shared, ownerID, emulator.RoleMember)
	got := e.srv.Dump()
	for _, id := range []string{a, shared, ownerID} {
		if strings.Contains(got, id) {
			t.Errorf("Dump holds the id %s:\n%s", id, got)
		}
	}
	golden.Check(t, filepath.Join("testdata", "dump.golden"), got, *update)
}
