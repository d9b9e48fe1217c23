package emulator_test

import (
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
)

// documentTable is the seed document's endpoint table (# 1–49): scope,
// path, method. {account_id} and {task_id} are filled in by the test.
var documentTable = []struct {
	scope, path, method string
}{
	{"organizations", "/organizations", "GET"},
	{"organizations", "/organizations", "PUT"},
	{"organizations", "/organizations/rename", "PUT"},
	{"organizations", "/organizations/images/logo", "GET"},
	{"organizations", "/organizations/images/logo", "PUT"},
	{"organizations", "/organizations/customer-id", "GET"},
	{"organizations", "/organizations/customer-id", "POST"},
	{"organizations", "/auth/url", "GET"},
	{"organizations", "/connect_code", "POST"},
	{"organizations", "/contracts/update", "POST"},
	{"service_partitions", "/organizations/service_partition", "GET"},
	{"service_partitions", "/organizations/service_partition", "POST"},
	{"service_partitions", "/organizations/service_partition/remove", "POST"},
	{"service_partitions", "/organizations/service_partition/connect_code", "POST"},
	{"service_partitions", "/organizations/service_partition/users", "GET"},
	{"service_partitions", "/organizations/service_partition/users", "POST"},
	{"service_partitions", "/organizations/service_partition/{task_id}", "GET"},
	{"organization_merges", "/organizations/service_partition/move", "GET"},
	{"organization_merges", "/organizations/service_partition/move", "POST"},
	{"organization_merges", "/organizations/service_partition/move/approval", "POST"},
	{"organization_merges", "/organizations/service_partition/move/{task_id}", "POST"},
	{"users", "/users", "GET"},
	{"users", "/users", "POST"},
	{"users", "/users/query", "GET"},
	{"users", "/users/permitted", "POST"},
	{"users", "/users/{account_id}", "GET"},
	{"users", "/users/{account_id}", "PUT"},
	{"users", "/users/{account_id}/iamges/profile", "GET"},
	{"users", "/users/{account_id}/iamges/profile", "PUT"},
	{"users", "/users/{account_id}/init", "GET"},
	{"users", "/users/{account_id}/invite", "POST"},
	{"users", "/users/{account_id}/verify", "POST"},
	{"users", "/users/{account_id}/password/reset", "POST"},
	{"users", "/users/{account_id}/sessions/reset", "POST"},
	{"users", "/users/{account_id}/admin_roles", "POST"},
	{"users", "/users/{account_id}/admin_roles/unassign", "POST"},
	{"users", "/users/{account_id}/lifecycle/suspend", "POST"},
	{"users", "/users/{account_id}/lifecycle/unsuspend", "POST"},
	{"users", "/users/{account_id}/remove", "POST"},
	{"users", "/users/import", "POST"},
	{"users", "/users/import/tasks/{task_id}", "POST"},
	{"users", "/users/export", "POST"},
	{"services", "/users/{account_id}/service_partitions", "POST"},
	{"services", "/users/{account_id}/service_partitions/remove", "POST"},
	{"services", "/users/{account_id}/sp_manager_roles", "POST"},
	{"service_usage", "/service_usage", "GET"},
	{"service_usage", "/service_usage/login_time", "POST"},
	{"service_usage", "/service_usage/tasks", "POST"},
	{"service_usage", "/service_usage/tasks/{task_id}", "POST"},
}

// TestEveryDocumentedEndpointIsRouted: each row of the table is served at
// its path and method (never 404 or 405 as a route), needs a token, and
// needs the scope of its row.
func TestEveryDocumentedEndpointIsRouted(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	if len(documentTable) != 49 {
		t.Fatalf("the table has %d rows, the document 49", len(documentTable))
	}
	for _, row := range documentTable {
		path := strings.NewReplacer("{account_id}", "acc_unknown", "{task_id}", "task_unknown").Replace(row.path)
		name := row.method + " " + row.path
		r := e.do(row.method, path, map[string]any{})
		if r.status == 405 || (r.status == 404 && !strings.Contains(row.path, "{")) {
			t.Errorf("%s: %d %s; want the route served", name, r.status, r.raw)
		}
		if r := e.doAs("", row.method, path, map[string]any{}); r.status != 401 {
			t.Errorf("%s without a token: %d, want 401", name, r.status)
		}
		// A client allowed every scope but this row's.
		var others []string
		for _, s := range emulator.AllScopes {
			if s != row.scope {
				others = append(others, s)
			}
		}
		tok := e.fetchToken(testClientID, testSecret, strings.Join(others, " "))
		if r := e.doAs(tok, row.method, path, map[string]any{}); r.status != 403 {
			t.Errorf("%s without scope %s: %d, want 403", name, row.scope, r.status)
		}
	}
}

func TestRoutingErrors(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	tests := []struct {
		name, method, path string
		status             int
		allow              string
	}{
		{"unknown path", "GET", "/groups", 404, ""},
		{"trailing slash", "GET", "/users/", 404, ""},
		{"wrong method on a literal path", "DELETE", "/users", 405, "GET, POST"},
		{"import is not an account id", "GET", "/users/import", 405, "POST"},
		{"query is not an account id", "POST", "/users/query", 405, "GET"},
		{"delete is not in the document", "DELETE", "/users/acc_x", 405, "GET, PUT"},
		{"unknown account", "GET", "/users/acc_aaaaaaaaaaaaaaaaaaaa", 404, ""},
		{"outside the prefix", "GET", "/../users", 404, ""},
	}
	for _, tt := range tests {
		r := e.do(tt.method, tt.path, nil)
		if r.status != tt.status {
			t.Errorf("%s: %d, want %d: %s", tt.name, r.status, tt.status, r.raw)
		}
		if got := r.header.Get("Allow"); got != tt.allow {
			t.Errorf("%s: Allow %q, want %q", tt.name, got, tt.allow)
		}
		if tt.status >= 400 && r.str("code") == "" {
			t.Errorf("%s: error body %s has no code", tt.name, r.raw)
		}
	}
	// A path outside the API is 404 even without a token.
	if r := e.doAs("", "GET", "/nothing/here", nil); r.status != 404 {
		t.Errorf("unknown path without a token: %d, want 404", r.status)
	}
}

func TestNotImplementedEndpointsSay501(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	r := e.do("POST", "/users/export", nil)
	if r.status != 501 || r.str("code") != "NOT_IMPLEMENTED" {
		t.Errorf("POST /users/export: %d %s, want 501 NOT_IMPLEMENTED", r.status, r.raw)
	}
	if e.emu.Stats().ByRoute["POST /users/export"] != 1 {
		t.Errorf("ByRoute: %v", e.emu.Stats().ByRoute)
	}
}

func TestBadBodies(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	send := func(ctype, body string) int {
		r := e.sendRaw("POST", "/users", ctype, body)
		return r.status
	}
	for _, tt := range []struct {
		name, ctype, body string
		status            int
	}{
		{"not JSON", "application/json", "{", 400},
		{"an array", "application/json", "[]", 400},
		{"two objects", "application/json", "{}{}", 400},
		{"form", "application/x-www-form-urlencoded", "email=a", 400},
		{"empty is {}", "", "", 422},
	} {
		if got := send(tt.ctype, tt.body); got != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.status)
		}
	}
}
