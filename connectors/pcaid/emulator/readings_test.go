package emulator_test

import (
	"encoding/json"
	"flag"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func readingSet(t *testing.T, names ...string) emukit.Set {
	t.Helper()
	set, err := emulator.Readings.Parse(names)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func readingEnv(t *testing.T, names ...string) *env {
	t.Helper()
	return newEnv(t, emulator.Options{Options: emukit.Options{Readings: readingSet(t, names...)}, ImportRowsPerPoll: 100})
}

// TestReadingsCatalogue: every reading names its seed line (000 and a
// line), says what it does, is listed in doc.go, and excludes only known
// readings, both ways.
func TestReadingsCatalogue(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range emulator.Readings {
		if !strings.HasPrefix(r.Seed, "000:") || !strings.Contains(r.Seed, "「") || r.Doc == "" {
			t.Errorf("%s: seed %q, doc %q", r.Name, r.Seed, r.Doc)
		}
		if !strings.Contains(string(doc), "//   - "+r.Name+" (000:") {
			t.Errorf("%s is not listed with its seed line under # Readings in doc.go", r.Name)
		}
		for _, x := range r.Excludes {
			other, ok := emulator.Readings.Lookup(x)
			if !ok || !slices.Contains(other.Excludes, r.Name) {
				t.Errorf("%s excludes %s, which does not exclude it back", r.Name, x)
			}
		}
	}
}

// emails lists the emails of a list answer's users.
func emails(m map[string]any) []string {
	var out []string
	for _, u := range m["users"].([]any) {
		out = append(out, u.(map[string]any)["email"].(string))
	}
	return out
}

func TestReadingUsersListActive(t *testing.T) {
	for _, tt := range []struct {
		readings   []string
		list, susp string
	}{
		{nil, "a@example.com,b@example.com", "b@example.com"},
		{[]string{emulator.ReadingUsersListActive}, "a@example.com", "b@example.com"},
		{[]string{emulator.ReadingUsersListActive, emulator.ReadingSuspendedAsStatus}, "a@example.com", "b@example.com"},
	} {
		t.Run(strings.Join(tt.readings, "+"), func(t *testing.T) {
			e := readingEnv(t, tt.readings...)
			e.createUser("a@example.com", "甲")
			b := e.createUser("b@example.com", "乙")
			e.must(200, "POST", "/users/"+b+"/lifecycle/suspend", nil)
			if got := strings.Join(emails(e.must(200, "GET", "/users", nil)), ","); got != tt.list {
				t.Errorf("GET /users = %s, want %s", got, tt.list)
			}
			if got := strings.Join(emails(e.must(200, "GET", "/users/query?suspended=true", nil)), ","); got != tt.susp {
				t.Errorf("GET /users/query?suspended=true = %s, want %s", got, tt.susp)
			}
		})
	}
}

func TestReadingUsersListRemoved(t *testing.T) {
	e := readingEnv(t, emulator.ReadingUsersListRemoved)
	sp := e.createPartition("営業")
	id := e.createUser("gone@example.com", "退職者", "employee_number", "E1")
	e.must(200, "POST", "/users/"+id+"/service_partitions", map[string]any{"service_partition_ids": []string{sp}})
	if r := e.do("POST", "/users/"+id+"/remove", nil); r.status != 204 {
		t.Fatalf("remove: %d %s", r.status, r.raw)
	}
	list := e.must(200, "GET", "/users", nil)["users"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["status"] != "removed" {
		t.Errorf("GET /users after remove: %v", list)
	}
	if u := e.must(200, "GET", "/users/"+id, nil); u["status"] != "removed" || len(u["service_partition_ids"].([]any)) != 0 {
		t.Errorf("GET the removed user: %v", u)
	}
	for _, c := range []struct{ method, path string }{
		{"PUT", "/users/" + id}, {"POST", "/users/" + id + "/remove"}, {"POST", "/users/" + id + "/lifecycle/suspend"},
		{"POST", "/users/" + id + "/admin_roles"},
	} {
		if r := e.do(c.method, c.path, map[string]any{"name": "x"}); r.status != 404 {
			t.Errorf("%s %s on a removed user: %d", c.method, c.path, r.status)
		}
	}
	if r := e.must(200, "GET", "/users/query?status=removed", nil); len(emails(r)) != 1 {
		t.Errorf("query status=removed: %v", r)
	}
	// Its email and employee number are free again.
	again := e.createUser("gone@example.com", "再入社", "employee_number", "E1")
	if again == id {
		t.Error("the new user took the removed one's id")
	}
	if st := e.emu.State(); len(st.PartitionUsers[sp]) != 0 {
		t.Errorf("the removed user is still in the partition: %v", st.PartitionUsers[sp])
	}
	// Dump leaves removed users out.
	if d := e.emu.Dump(); strings.Count(d, "gone@example.com") != 1 || !strings.Contains(d, `name="再入社"`) {
		t.Errorf("Dump:\n%s", d)
	}
}

func TestReadingSuspendedAsStatus(t *testing.T) {
	e := readingEnv(t, emulator.ReadingSuspendedAsStatus)
	sp := e.createPartition("営業")
	id := e.createUser("a@example.com", "甲")
	e.must(200, "POST", "/users/"+id+"/service_partitions", map[string]any{"service_partition_ids": []string{sp}})
	u := e.must(200, "POST", "/users/"+id+"/lifecycle/suspend", nil)
	if _, has := u["suspended"]; has || u["status"] != "suspended" {
		t.Errorf("suspended user: %v", u)
	}
	row := e.must(200, "GET", "/organizations/service_partition/users?service_partition_id="+sp, nil)["users"].([]any)[0].(map[string]any)
	if _, has := row["suspended"]; has || row["status"] != "suspended" || row["role"] != "member" {
		t.Errorf("partition row: %v", row)
	}
	if r := e.must(200, "GET", "/users/query?status=suspended", nil); len(emails(r)) != 1 {
		t.Errorf("query status=suspended: %v", r)
	}
	if u := e.must(200, "POST", "/users/"+id+"/lifecycle/unsuspend", nil); u["status"] != "uninvited" {
		t.Errorf("unsuspended user: %v", u)
	}
	// Without the reading there is no such status.
	d := readingEnv(t)
	if r := d.do("GET", "/users/query?status=suspended", nil); r.status != 422 {
		t.Errorf("default: status=suspended answered %d", r.status)
	}
}

func TestReadingAdminRolesSeveral(t *testing.T) {
	tests := []struct {
		name     string
		readings []string
		calls    []any // bodies of grant ("+") and unassign ("-") in turn
		status   int   // of the last call
		want     string
	}{
		{"default: no body grants organization_admin", nil, []any{"+", nil}, 200, "organization_admin"},
		{"default: the body is not read", nil, []any{"+", map[string]any{"admin_roles": []string{"user_admin"}}}, 200, "organization_admin"},
		{"default: unassign takes it away", nil, []any{"+", nil, "-", map[string]any{"admin_roles": []string{"organization_admin"}}}, 200, ""},
		{"several: the grant needs a body", []string{emulator.ReadingAdminRolesSeveral}, []any{"+", nil}, 422, "user_admin"},
		{"several: an unknown role", []string{emulator.ReadingAdminRolesSeveral}, []any{"+", map[string]any{"admin_roles": []string{"root"}}}, 422, "user_admin"},
		{"several: grant adds", []string{emulator.ReadingAdminRolesSeveral}, []any{"+", map[string]any{"admin_roles": []string{"organization_admin"}}}, 200, "organization_admin,user_admin"},
		{"several: unassign of one keeps the others", []string{emulator.ReadingAdminRolesSeveral},
			[]any{"+", map[string]any{"admin_roles": []string{"organization_admin"}}, "-", map[string]any{"admin_roles": []string{"organization_admin"}}}, 200, "user_admin"},
		{"several: unassign without a body takes every role", []string{emulator.ReadingAdminRolesSeveral}, []any{"-", nil}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := readingEnv(t, tt.readings...)
			id := e.createUser("a@example.com", "甲")
			if tt.readings != nil {
				e.emu.SetAdminRoles(id, emulator.RoleUserAdmin) // given by hand
			}
			var r result
			for i := 0; i < len(tt.calls); i += 2 {
				path := "/users/" + id + "/admin_roles"
				if tt.calls[i] == "-" {
					path += "/unassign"
				}
				r = e.do("POST", path, tt.calls[i+1])
			}
			if r.status != tt.status {
				t.Errorf("last call: %d %s, want %d", r.status, r.raw, tt.status)
			}
			var roles []string
			for _, x := range e.must(200, "GET", "/users/"+id, nil)["admin_roles"].([]any) {
				roles = append(roles, x.(string))
			}
			slices.Sort(roles)
			if got := strings.Join(roles, ","); got != tt.want {
				t.Errorf("admin_roles %s, want %s", got, tt.want)
			}
		})
	}
}

func TestReadingPartitionIDSingle(t *testing.T) {
	e := readingEnv(t, emulator.ReadingPartitionIDSingle)
	sp := e.createPartition("営業")
	id := e.createUser("a@example.com", "甲")
	if r := e.do("POST", "/users/"+id+"/service_partitions", map[string]any{"service_partition_ids": []string{sp}}); r.status != 422 || !r.errKey("service_partition_id") {
		t.Errorf("an array: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/users/"+id+"/service_partitions", map[string]any{"service_partition_id": "sp_nope"}); r.status != 422 || !r.errKey("service_partition_id") {
		t.Errorf("an unknown partition: %d %s", r.status, r.raw)
	}
	e.must(200, "POST", "/users/"+id+"/service_partitions", map[string]any{"service_partition_id": sp})
	if m := e.emu.State().PartitionUsers[sp]; m[id] != "member" {
		t.Errorf("members %v", m)
	}
	e.must(200, "POST", "/users/"+id+"/service_partitions/remove", map[string]any{"service_partition_id": sp, "service_partition_ids": []string{"ignored"}})
	if m := e.emu.State().PartitionUsers[sp]; len(m) != 0 {
		t.Errorf("members after remove %v", m)
	}
}

func TestReadingSPManagerGrantOnly(t *testing.T) {
	for _, tt := range []struct {
		readings []string
		want     string
	}{{nil, "member"}, {[]string{emulator.ReadingSPManagerGrantOnly}, "manager"}} {
		e := readingEnv(t, tt.readings...)
		sp := e.createPartition("営業")
		id := e.createUser("a@example.com", "甲")
		e.must(200, "POST", "/users/"+id+"/service_partitions", map[string]any{"service_partition_ids": []string{sp}})
		e.must(200, "POST", "/users/"+id+"/sp_manager_roles", map[string]any{"service_partition_id": sp})
		e.must(200, "POST", "/users/"+id+"/sp_manager_roles", map[string]any{"service_partition_id": sp, "role": "member"})
		if m := e.emu.State().PartitionUsers[sp]; m[id] != tt.want {
			t.Errorf("%v: after role member the user is %s, want %s", tt.readings, m[id], tt.want)
		}
	}
}

func TestReadingPutReplaces(t *testing.T) {
	e := readingEnv(t, emulator.ReadingPutReplaces)
	id := e.createUser("a@example.com", "甲", "department", "営業部", "position", "課長", "employee_number", "E1")
	if r := e.do("PUT", "/users/"+id, map[string]any{"department": "企画部"}); r.status != 422 || !r.errKey("email") || !r.errKey("name") {
		t.Errorf("a PUT without email and name: %d %s", r.status, r.raw)
	}
	u := e.must(200, "PUT", "/users/"+id, map[string]any{"email": "a@example.com", "name": "甲", "department": "企画部"})
	if u["department"] != "企画部" || u["position"] != nil || u["employee_number"] != nil {
		t.Errorf("after a whole PUT: %v", u)
	}
	// Default: the fields not sent are kept.
	d := readingEnv(t)
	id = d.createUser("a@example.com", "甲", "position", "課長")
	if u := d.must(200, "PUT", "/users/"+id, map[string]any{"department": "企画部"}); u["position"] != "課長" {
		t.Errorf("default PUT dropped position: %v", u)
	}
}

func TestReadingPaging(t *testing.T) {
	tests := []struct {
		name     string
		readings []string
		query    string
		want     string // emails' local parts, and the paging fields
	}{
		{"cursor", nil, "limit=2", "u0,u1 next_cursor"},
		{"page 2", []string{emulator.ReadingPagingPage}, "limit=2&page=2", "u2,u3 limit=2 page=2 total=5"},
		{"page past the end", []string{emulator.ReadingPagingPage}, "limit=2&page=4", " limit=2 page=4 total=5"},
		{"cursor ignored", []string{emulator.ReadingPagingPage}, "limit=2&cursor=abc", "u0,u1 limit=2 page=1 total=5"},
		{"none", []string{emulator.ReadingPagingNone}, "limit=2&page=2&cursor=abc", "u0,u1,u2,u3,u4"},
		{"offset 3", []string{emulator.ReadingPagingOffset}, "limit=2&offset=3", "u3,u4 limit=2 offset=3 total=5"},
		{"offset past the end", []string{emulator.ReadingPagingOffset}, "limit=2&offset=9", " limit=2 offset=9 total=5"},
		{"page and cursor ignored by offset", []string{emulator.ReadingPagingOffset}, "limit=2&page=2&cursor=abc", "u0,u1 limit=2 offset=0 total=5"},
		{"next_token first page", []string{emulator.ReadingPagingNextToken}, "limit=2&page=2&cursor=abc", "u0,u1 next_token"},
		{"next_token whole", []string{emulator.ReadingPagingNextToken}, "limit=5", "u0,u1,u2,u3,u4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := readingEnv(t, tt.readings...)
			for i := range 5 {
				e.createUser("u"+itoa(i)+"@example.com", "利用者")
			}
			m := e.must(200, "GET", "/users?"+tt.query, nil)
			var parts []string
			for _, em := range emails(m) {
				parts = append(parts, strings.TrimSuffix(em, "@example.com"))
			}
			got := strings.Join(parts, ",")
			keys := []string{}
			for k := range m {
				if k != "users" {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				if k == "next_cursor" || k == "next_token" {
					got += " " + k
					continue
				}
				got += " " + k + "=" + itoa(int(m[k].(float64)))
			}
			if got != tt.want {
				t.Errorf("GET /users?%s = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
	e := readingEnv(t, emulator.ReadingPagingPage)
	for _, n := range []string{"a", "b", "c"} {
		e.createPartition(n)
	}
	if m := e.must(200, "GET", "/organizations/service_partition?limit=2&page=2", nil); len(m["service_partitions"].([]any)) != 1 || m["total"] != float64(3) {
		t.Errorf("partitions page 2: %v", m)
	}
	if r := e.do("GET", "/users?page=0", nil); r.status != 422 || !r.errKey("page") {
		t.Errorf("page 0: %d %s", r.status, r.raw)
	}

	e = readingEnv(t, emulator.ReadingPagingOffset)
	for _, n := range []string{"a", "b", "c"} {
		e.createPartition(n)
	}
	if m := e.must(200, "GET", "/organizations/service_partition?limit=2&offset=2", nil); len(m["service_partitions"].([]any)) != 1 || m["total"] != float64(3) {
		t.Errorf("partitions from offset 2: %v", m)
	}
	if r := e.do("GET", "/users?offset=-1", nil); r.status != 422 || !r.errKey("offset") {
		t.Errorf("offset -1: %d %s", r.status, r.raw)
	}

	// next_token goes back as ?next_token and the last page has none.
	e = readingEnv(t, emulator.ReadingPagingNextToken)
	for i := range 3 {
		e.createUser("t"+itoa(i)+"@example.com", "利用者")
	}
	m := e.must(200, "GET", "/users?limit=2", nil)
	tok, _ := m["next_token"].(string)
	m = e.must(200, "GET", "/users?limit=2&next_token="+url.QueryEscape(tok), nil)
	if got := emails(m); tok == "" || len(got) != 1 || got[0] != "t2@example.com" {
		t.Errorf("page after next_token %q: %v", tok, m)
	}
	if _, ok := m["next_token"]; ok {
		t.Errorf("the last page has a next_token: %v", m)
	}
	if r := e.do("GET", "/users?next_token=nope", nil); r.status != 422 || !r.errKey("next_token") {
		t.Errorf("a bad next_token: %d %s", r.status, r.raw)
	}
}

// ids-uuid: every id a UUID, no prefix.
func TestReadingIDsUUID(t *testing.T) {
	e := readingEnv(t, emulator.ReadingIDsUUID)
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for what, id := range map[string]string{
		"account_id":           e.createUser("a@example.com", "甲"),
		"service_partition_id": e.createPartition("区画"),
		"organization_id":      e.emu.DefaultOrganizationID(),
	} {
		if !uuid.MatchString(id) {
			t.Errorf("%s %q is not a UUID", what, id)
		}
	}
	m := e.must(202, "POST", "/users/import", map[string]any{"users": []map[string]any{{"email": "b@example.com", "name": "乙"}}})
	if id, _ := m["task_id"].(string); !uuid.MatchString(id) {
		t.Errorf("task_id %q is not a UUID", id)
	}
}

// expired-token-403: a token the server does not take is API Gateway's
// 403 Deny; no token at all is still 401.
func TestReadingExpiredToken403(t *testing.T) {
	for _, tt := range []struct {
		name     string
		readings []string
		status   int
		body     string
	}{
		{"default", nil, 401, `{"code":"UNAUTHORIZED","message":"Unauthorized"}`},
		{"expired-token-403", []string{emulator.ReadingExpiredToken403}, 403, `{"Message":"` + emulator.APIGatewayDeny + `"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := readingEnv(t, tt.readings...)
			e.emu.ExpireTokens()
			if r := e.do("GET", "/users", nil); r.status != tt.status || r.raw != tt.body {
				t.Errorf("revoked token: %d %s; want %d %s", r.status, r.raw, tt.status, tt.body)
			}
			if r := e.doAs("forged.token.here", "GET", "/users", nil); r.status != tt.status {
				t.Errorf("forged token: %d %s", r.status, r.raw)
			}
			if r := e.doAs("", "GET", "/users", nil); r.status != 401 {
				t.Errorf("no token: %d %s", r.status, r.raw)
			}
		})
	}
}

// validation-400: a refused body is 400, a value in use 409, with the
// 422's body.
func TestReadingValidation400(t *testing.T) {
	e := readingEnv(t, emulator.ReadingValidation400)
	r := e.do("POST", "/users", map[string]any{"email": "bad"})
	if r.status != 400 || !r.errKey("email") || !r.errKey("name") || !strings.Contains(r.raw, "VALIDATION_ERROR") {
		t.Errorf("invalid: %d %s", r.status, r.raw)
	}
	e.createUser("a@example.com", "甲")
	r = e.do("POST", "/users", map[string]any{"email": "A@example.com", "name": "乙"})
	if r.status != 409 || !r.errKey("email") || !strings.Contains(r.raw, "CONFLICT") {
		t.Errorf("email in use: %d %s", r.status, r.raw)
	}
	// A value in use beside a bad one is a bad request.
	r = e.do("POST", "/users", map[string]any{"email": "a@example.com", "name": strings.Repeat("長", 101)})
	if r.status != 400 {
		t.Errorf("in use and too long: %d %s", r.status, r.raw)
	}
}

// partition-unknown-422: an unknown partition in the body of the update
// or remove is a 422 on service_partition_id.
func TestReadingPartitionUnknown422(t *testing.T) {
	for _, tt := range []struct {
		name     string
		readings []string
		status   int
	}{
		{"default", nil, 404},
		{"partition-unknown-422", []string{emulator.ReadingPartitionUnknown422}, 422},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := readingEnv(t, tt.readings...)
			sp := e.createPartition("区画")
			if r := e.do("POST", "/organizations/service_partition/remove", map[string]any{"service_partition_id": sp}); r.status != 204 {
				t.Fatalf("remove: %d %s", r.status, r.raw)
			}
			for _, c := range []struct {
				path string
				body map[string]any
			}{
				{"/organizations/service_partition/remove", map[string]any{"service_partition_id": sp}},
				{"/organizations/service_partition", map[string]any{"service_partition_id": sp, "name": "x"}},
			} {
				r := e.do("POST", c.path, c.body)
				if r.status != tt.status || (tt.status == 422 && !r.errKey("service_partition_id")) {
					t.Errorf("POST %s of a removed partition: %d %s", c.path, r.status, r.raw)
				}
			}
		})
	}
}

// token-auth-body: the client in the form only.
func TestReadingTokenAuthBody(t *testing.T) {
	e := readingEnv(t, emulator.ReadingTokenAuthBody)
	form := func() url.Values { return url.Values{"grant_type": {"client_credentials"}} }
	if r := e.tokenRequest(testClientID, testSecret, true, form()); r.status != 401 || !strings.Contains(r.raw, "invalid_client") ||
		r.header.Get("WWW-Authenticate") != "" {
		t.Errorf("Basic: %d %s %v", r.status, r.raw, r.header)
	}
	if r := e.tokenRequest(testClientID, testSecret, false, form()); r.status != 200 {
		t.Errorf("form: %d %s", r.status, r.raw)
	}
}

func TestReadingImportShapes(t *testing.T) {
	rows := []map[string]any{
		{"email": "a@example.com", "name": "甲"},
		{"email": "bad", "name": ""},
	}
	tests := []struct {
		name     string
		readings []string
		want     string // the final task, as status and its row outcomes
	}{
		{"default", nil, `completed results:created,failed(email,name)`},
		{"words", []string{emulator.ReadingImportTaskWords}, `SUCCEEDED results:SUCCEEDED,FAILED(email,name)`},
		{"failed with rows", []string{emulator.ReadingImportFailedWithRows}, `failed results:created,failed(email,name)`},
		{"lists", []string{emulator.ReadingImportResultLists}, `completed created:1 errors:2/email,2/name`},
		{"all", []string{emulator.ReadingImportTaskWords, emulator.ReadingImportFailedWithRows, emulator.ReadingImportResultLists}, `FAILED created:1 errors:2/email,2/name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := readingEnv(t, tt.readings...)
			task := e.must(202, "POST", "/users/import", map[string]any{"users": rows})
			id := task["task_id"].(string)
			e.must(200, "POST", "/users/import/tasks/"+id, nil)
			task = e.must(200, "POST", "/users/import/tasks/"+id, nil)
			got := task["status"].(string)
			if res, ok := task["results"].([]any); ok {
				var outs []string
				for _, r := range res {
					r := r.(map[string]any)
					o := r["status"].(string)
					if errs, ok := r["errors"].(map[string]any); ok {
						o += "(" + strings.Join(slices.Sorted(maps.Keys(errs)), ",") + ")"
					}
					outs = append(outs, o)
				}
				got += " results:" + strings.Join(outs, ",")
			} else {
				var errs []string
				for _, x := range task["errors"].([]any) {
					x := x.(map[string]any)
					errs = append(errs, itoa(int(x["row"].(float64)))+"/"+x["field"].(string))
				}
				created := task["created"].([]any)
				got += " created:" + itoa(int(created[0].(map[string]any)["row"].(float64))) + " errors:" + strings.Join(errs, ",")
			}
			if got != tt.want {
				t.Errorf("task %s, want %s", got, tt.want)
			}
		})
	}
}

func TestReadingTokenNoExpiresIn(t *testing.T) {
	e := readingEnv(t, emulator.ReadingTokenNoExpiresIn)
	r := e.tokenRequest(testClientID, testSecret, true, url.Values{"grant_type": {"client_credentials"}})
	if _, has := r.json()["expires_in"]; r.status != 200 || has {
		t.Errorf("token answer: %d %s; want no expires_in", r.status, r.raw)
	}
	e.clock.Advance(emulator.NoExpiresInTTL - time.Second)
	e.must(200, "GET", "/users", nil)
	e.clock.Advance(time.Second)
	if r := e.do("GET", "/users", nil); r.status != 401 {
		t.Errorf("after 10 minutes: %d", r.status)
	}
}

func TestReadingErrorsAsList(t *testing.T) {
	e := readingEnv(t, emulator.ReadingErrorsAsList)
	r := e.do("POST", "/users", map[string]any{"email": "bad"})
	var body struct {
		Message string
		Code    *string
		Errors  []struct{ Field, Message string }
	}
	if err := json.Unmarshal([]byte(r.raw), &body); err != nil || r.status != 422 || body.Code != nil || len(body.Errors) != 2 ||
		body.Errors[0].Field != "email" || body.Errors[1].Field != "name" || body.Message != body.Errors[0].Message {
		t.Errorf("422: %d %s", r.status, r.raw)
	}
	if r := e.do("GET", "/users/acc_nope", nil); r.status != 404 || r.raw != `{"message":"指定されたリソースが見つかりません。"}` {
		t.Errorf("404: %d %s", r.status, r.raw)
	}
	e.emu.SetFaults(emulator.Faults{Rate5xx: 1, Seed: 4})
	if r := e.do("GET", "/users", nil); r.status < 500 || strings.Contains(r.raw, "code") {
		t.Errorf("a fault: %d %s", r.status, r.raw)
	}
}

// Dump: no ids, no times, the same for the same requests under every
// reading, compared with a golden file.
func TestDump(t *testing.T) {
	var first string
	for _, combo := range emulator.Readings.Combinations() {
		t.Run(strings.Join(append([]string{"default"}, combo...), "+"), func(t *testing.T) {
			e := readingEnv(t, combo...)
			sp := e.createPartition("新人研修")
			e.must(201, "POST", "/organizations/service_partition", map[string]any{"name": "営業", "code": "SALES", "description": "営業部門"})
			a := e.createUser("taro@example.co.jp", "山田 太郎", "employee_number", "1001", "department", "本社")
			b := e.createUser("kenta@example.co.jp", "高橋 健太")
			gone := e.createUser("gone@example.co.jp", "退職者")
			e.emu.SetAdminRoles(a, emulator.RoleOrganizationAdmin)
			e.must(200, "POST", "/users/"+b+"/lifecycle/suspend", nil)
			e.emu.SetPartitionMember(sp, b, emulator.RoleMember)
			e.emu.SetPartitionMember(sp, a, emulator.RoleManager)
			if r := e.do("POST", "/users/"+gone+"/remove", nil); r.status != 204 {
				t.Fatal(r.raw)
			}
			got := e.emu.Dump()
			for _, id := range []string{a, b, sp, e.emu.DefaultOrganizationID()} {
				if strings.Contains(got, id) {
					t.Errorf("Dump holds the id %s", id)
				}
			}
			if first == "" {
				first = got
				golden.Check(t, filepath.Join("testdata", "dump.golden"), got, *update)
			} else if got != first {
				t.Errorf("Dump differs from the default reading's:\n%s\nwant:\n%s", got, first)
			}
		})
	}
}
