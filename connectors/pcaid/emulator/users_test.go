package emulator_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
)

var accountIDRE = regexp.MustCompile(`^acc_[a-z0-9]{20}$`)

func TestCreateUser(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	u := e.must(201, "POST", "/users", map[string]any{
		"email": "Taro.Yamada@example.co.jp", "name": "山田 太郎", "employee_number": "1001",
		"department": "本社/営業部", "position": "", "unknown": "ignored",
	})
	if id, _ := u["account_id"].(string); !accountIDRE.MatchString(id) {
		t.Errorf("account_id %q", id)
	}
	want := map[string]any{
		"organization_id": e.emu.DefaultOrganizationID(), "email": "Taro.Yamada@example.co.jp", "name": "山田 太郎",
		"employee_number": "1001", "department": "本社/営業部", "position": nil, "status": "uninvited", "suspended": false,
		"created_at": "2025-04-01T00:00:00Z",
	}
	for k, v := range want {
		if u[k] != v {
			t.Errorf("%s = %v, want %v", k, u[k], v)
		}
	}
	if roles := u["admin_roles"].([]any); len(roles) != 0 {
		t.Errorf("admin_roles %v", roles)
	}
	if _, ok := u["unknown"]; ok {
		t.Error("an unknown key was stored")
	}
}

func TestUserValidation(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	first := e.createUser("taken@example.com", "既存", "employee_number", "E1")
	long := func(n int) string { return strings.Repeat("あ", n) }
	tests := []struct {
		name string
		body map[string]any
		key  string
		msg  string
	}{
		{"email required", map[string]any{"name": "x"}, "email", "emailは必須です。"},
		{"email empty", map[string]any{"email": "", "name": "x"}, "email", "emailは必須です。"},
		{"email null", map[string]any{"email": nil, "name": "x"}, "email", "emailは必須です。"},
		{"email not a string", map[string]any{"email": 1, "name": "x"}, "email", "emailは文字列で指定してください。"},
		{"email with a display name", map[string]any{"email": "A <a@example.com>", "name": "x"}, "email", "emailはメールアドレスの形式で指定してください。"},
		{"email without a dot", map[string]any{"email": "a@localhost", "name": "x"}, "email", "emailはメールアドレスの形式で指定してください。"},
		{"email taken, case aside", map[string]any{"email": "TAKEN@example.com", "name": "x"}, "email", "emailは既に使用されています。"},
		{"name required", map[string]any{"email": "n@example.com"}, "name", "nameは必須です。"},
		{"name 101 characters", map[string]any{"email": "n@example.com", "name": long(101)}, "name", "nameは100文字以内で指定してください。"},
		{"employee_number 21", map[string]any{"email": "n@example.com", "name": "x", "employee_number": strings.Repeat("1", 21)}, "employee_number", "employee_numberは20文字以内で指定してください。"},
		{"employee_number taken", map[string]any{"email": "n@example.com", "name": "x", "employee_number": "e1"}, "employee_number", "employee_numberは既に使用されています。"},
		{"department 101", map[string]any{"email": "n@example.com", "name": "x", "department": long(101)}, "department", "departmentは100文字以内で指定してください。"},
		{"position not a string", map[string]any{"email": "n@example.com", "name": "x", "position": true}, "position", "positionは文字列で指定してください。"},
	}
	for _, tt := range tests {
		r := e.do("POST", "/users", tt.body)
		if r.status != 422 || r.str("code") != "VALIDATION_ERROR" {
			t.Errorf("%s: %d %s, want 422", tt.name, r.status, r.raw)
			continue
		}
		errs := r.json()["errors"].(map[string]any)
		if got, _ := errs[tt.key].([]any); len(got) != 1 || got[0] != tt.msg {
			t.Errorf("%s: errors[%s] = %v, want [%s]", tt.name, tt.key, errs[tt.key], tt.msg)
		}
		if r.str("message") != tt.msg {
			t.Errorf("%s: message %q, want the first error", tt.name, r.str("message"))
		}
	}
	// Exactly 100 characters is fine; the limits count characters.
	e.createUser("ok@example.com", long(100), "department", long(100))
	// Several errors at once, in the order of the fields.
	r := e.do("POST", "/users", map[string]any{"name": long(101), "email": "bad"})
	if !r.errKey("email") || !r.errKey("name") || r.str("message") != "emailはメールアドレスの形式で指定してください。" {
		t.Errorf("two errors: %s", r.raw)
	}
	if n := len(e.emu.State().Users); n != 2 {
		t.Errorf("%d users after refused creates, want 2 (%s and ok)", n, first)
	}
}

func TestUpdateUser(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	id := e.createUser("a@example.com", "A", "department", "営業部", "position", "課長")
	e.createUser("b@example.com", "B")
	u := e.must(200, "PUT", "/users/"+id, map[string]any{"name": "A2", "department": "", "position": nil})
	if u["name"] != "A2" || u["department"] != nil || u["position"] != nil || u["email"] != "a@example.com" {
		t.Errorf("after PUT: %v", u)
	}
	// Its own email again, in another case, is not a conflict.
	e.must(200, "PUT", "/users/"+id, map[string]any{"email": "A@example.com"})
	for _, tt := range []struct {
		body map[string]any
		key  string
	}{
		{map[string]any{"email": ""}, "email"},
		{map[string]any{"name": nil}, "name"},
		{map[string]any{"email": "b@EXAMPLE.com"}, "email"},
	} {
		if r := e.do("PUT", "/users/"+id, tt.body); r.status != 422 || !r.errKey(tt.key) {
			t.Errorf("PUT %v: %d %s, want 422 on %s", tt.body, r.status, r.raw, tt.key)
		}
	}
	// Suspension is not a PUT field: it is ignored.
	if u := e.must(200, "PUT", "/users/"+id, map[string]any{"suspended": true}); u["suspended"] != false {
		t.Errorf("PUT suspended changed the user: %v", u)
	}
	if r := e.do("PUT", "/users/acc_aaaaaaaaaaaaaaaaaaaa", map[string]any{"name": "x"}); r.status != 404 {
		t.Errorf("PUT unknown: %d", r.status)
	}
}

func TestLifecycleRolesAndRemove(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	id := e.createUser("a@example.com", "A")
	steps := []struct {
		path  string
		field string
		want  any
	}{
		{"/lifecycle/suspend", "suspended", true},
		{"/lifecycle/suspend", "suspended", true}, // idempotent
		{"/lifecycle/unsuspend", "suspended", false},
		{"/lifecycle/unsuspend", "suspended", false},
		{"/admin_roles", "admin_roles", "organization_admin"},
		{"/admin_roles", "admin_roles", "organization_admin"},
		{"/admin_roles/unassign", "admin_roles", ""},
		{"/invite", "status", "invited"},
	}
	for _, st := range steps {
		u := e.must(200, "POST", "/users/"+id+st.path, nil)
		got := u[st.field]
		if roles, ok := got.([]any); ok {
			got = ""
			if len(roles) > 0 {
				got = roles[0]
			}
		}
		if got != st.want {
			t.Errorf("POST %s: %s = %v, want %v", st.path, st.field, got, st.want)
		}
	}
	e.must(200, "POST", "/users/"+id+"/lifecycle/suspend", nil)
	if r := e.do("POST", "/users/"+id+"/invite", nil); r.status != 422 || !r.errKey("account_id") {
		t.Errorf("inviting a suspended user: %d %s", r.status, r.raw)
	}
	if u := e.must(200, "GET", "/users/"+id, nil); u["status"] != "invited" || u["suspended"] != true {
		t.Errorf("suspension changed status: %v", u)
	}
	if r := e.do("POST", "/users/"+id+"/remove", nil); r.status != 204 || r.raw != "" {
		t.Errorf("remove: %d %q", r.status, r.raw)
	}
	for _, path := range []string{"/remove", "/lifecycle/suspend", "/admin_roles"} {
		if r := e.do("POST", "/users/"+id+path, nil); r.status != 404 {
			t.Errorf("POST %s of a removed user: %d, want 404", path, r.status)
		}
	}
}

func TestUserPagination(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	var ids []string
	for i := range 7 {
		ids = append(ids, e.createUser("u"+itoa(i)+"@example.com", "U"+itoa(i)))
	}
	all, pages := e.listAll("/users", nil, 3)
	if len(all) != 7 || pages != 3 {
		t.Fatalf("%d users in %d pages, want 7 in 3", len(all), pages)
	}
	for i, u := range all {
		if u["account_id"] != ids[i] {
			t.Errorf("item %d is %v, want %s (creation order)", i, u["account_id"], ids[i])
		}
	}
	// A page ends with a cursor; removing items before it does not shift
	// what comes next.
	first := e.must(200, "GET", "/users?limit=3", nil)
	cursor := first["next_cursor"].(string)
	e.must(204, "POST", "/users/"+ids[0]+"/remove", nil)
	next := e.must(200, "GET", "/users?limit=3&cursor="+url.QueryEscape(cursor), nil)
	if got := next["users"].([]any)[0].(map[string]any)["account_id"]; got != ids[3] {
		t.Errorf("after a removal the next page starts at %v, want %s", got, ids[3])
	}
	last := e.must(200, "GET", "/users?limit=100", nil)
	if last["next_cursor"] != nil {
		t.Errorf("last page next_cursor %v, want null", last["next_cursor"])
	}
	if d := e.must(200, "GET", "/users", nil); len(d["users"].([]any)) != 6 {
		t.Errorf("default limit: %d users", len(d["users"].([]any)))
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "cursor=nope", "cursor=" + url.QueryEscape("YWZ0ZXI6eA")} {
		r := e.do("GET", "/users?"+q, nil)
		key := strings.SplitN(q, "=", 2)[0]
		if r.status != 422 || !r.errKey(key) {
			t.Errorf("GET /users?%s: %d %s, want 422 on %s", q, r.status, r.raw, key)
		}
	}
}

func TestQueryUsers(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	a := e.createUser("taro@example.com", "山田 太郎", "employee_number", "1001")
	b := e.createUser("hanako@example.com", "佐藤 花子")
	e.must(200, "POST", "/users/"+b+"/lifecycle/suspend", nil)
	tests := []struct {
		q    string
		want []string
	}{
		{"email=TARO@example.com", []string{a}},
		{"employee_number=1001", []string{a}},
		{"name=" + url.QueryEscape("花子"), []string{b}},
		{"suspended=true", []string{b}},
		{"status=uninvited", []string{a, b}},
		{"email=taro@example.com&suspended=true", nil},
	}
	for _, tt := range tests {
		r := e.must(200, "GET", "/users/query?"+tt.q, nil)
		var got []string
		for _, u := range r["users"].([]any) {
			got = append(got, u.(map[string]any)["account_id"].(string))
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("query %s: %v, want %v", tt.q, got, tt.want)
		}
	}
	if r := e.do("GET", "/users/query?status=gone", nil); r.status != 422 || !r.errKey("status") {
		t.Errorf("bad status: %d %s", r.status, r.raw)
	}
}
