package emulator_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"
)

func TestUserLifecycle(t *testing.T) {
	e := newEnv(t, unlimited())
	root := e.srv.RootOrgID()
	a, b, c := e.newOrg("A", root), e.newOrg("B", root), e.newOrg("C", root)

	// A generated password is returned once; a given one never.
	r := e.mustStatus(200, "POST", "/users", map[string]any{"name": "生成", "mail": "gen@example.com", "license": "basic",
		"role": "read", "hasAiKnowledgeLicense": 1})
	pw, _ := r.body["password"].(string)
	if !regexp.MustCompile(`^[A-Za-z0-9]{8}$`).MatchString(pw) {
		t.Errorf("generated password %q", pw)
	}
	gen := r.data()
	if !regexp.MustCompile(`^usr_[A-Za-z0-9]{16}$`).MatchString(gen["id"].(string)) {
		t.Errorf("id %v", gen["id"])
	}
	if gen["hasAiKnowledgeLicense"] != float64(0) {
		t.Errorf("AI licence without stock: %v", gen["hasAiKnowledgeLicense"])
	}
	if !equal(strs(gen["memberOrganizationIds"]), []string{root}) || len(strs(gen["adminOrganizationIds"])) != 0 {
		t.Errorf("no orgs given: member %v admin %v", gen["memberOrganizationIds"], gen["adminOrganizationIds"])
	}
	if gen["status"] != float64(1) || gen["license"] != "basic" || gen["role"] != "read" {
		t.Errorf("user %v", gen)
	}

	r = e.mustStatus(200, "POST", "/users", map[string]any{"name": "山田太郎", "loginId": "yamada", "password": "pw",
		"license": "free", "role": "user", "department": "営業部", "gender": 1, "birthday": "1981-01-01",
		"memberOrganizationIds": []string{a, b}, "adminOrganizationIds": []string{b}})
	if _, ok := r.body["password"]; ok {
		t.Error("password echoed although given")
	}
	id := r.data()["id"].(string)
	if m, ad := strs(r.data()["memberOrganizationIds"]), strs(r.data()["adminOrganizationIds"]); !equal(m, []string{a}) || !equal(ad, []string{b}) {
		t.Errorf("member %v admin %v", m, ad)
	}
	if admins := strs(e.mustStatus(200, "GET", "/organizations/"+b, nil).data()["adminUserIds"]); !equal(admins, []string{id}) {
		t.Errorf("B adminUserIds %v", admins)
	}

	// Absent fields are left alone.
	u := e.mustStatus(200, "PUT", "/users/"+id, map[string]any{"name": "山田花子"}).data()
	if u["name"] != "山田花子" || u["department"] != "営業部" || u["gender"] != float64(1) || u["loginId"] != "yamada" {
		t.Errorf("after name update %v", u)
	}
	// Each list replaces its own set.
	u = e.mustStatus(200, "PUT", "/users/"+id, map[string]any{"memberOrganizationIds": []string{c}}).data()
	if !equal(strs(u["memberOrganizationIds"]), []string{c}) || !equal(strs(u["adminOrganizationIds"]), []string{b}) {
		t.Errorf("after member update %v %v", u["memberOrganizationIds"], u["adminOrganizationIds"])
	}
	u = e.mustStatus(200, "PUT", "/users/"+id, map[string]any{"memberOrganizationIds": []string{}, "adminOrganizationIds": []string{}}).data()
	if !equal(strs(u["memberOrganizationIds"]), []string{root}) || len(strs(u["adminOrganizationIds"])) != 0 {
		t.Errorf("emptied lists: %v %v", u["memberOrganizationIds"], u["adminOrganizationIds"])
	}
	// "" clears gender (and other optional strings); suspension is status 2.
	e.clk.Add(time.Minute)
	u = e.mustStatus(200, "PUT", "/users/"+id, map[string]any{"gender": "", "department": "", "isSuspended": true,
		"notification": []string{"slack"}, "hasAiKnowledgeLicense": 1}).data()
	if u["gender"] != nil || u["department"] != nil || u["status"] != float64(2) || u["isSuspended"] != true ||
		!equal(strs(u["notification"]), []string{"slack"}) || u["hasAiKnowledgeLicense"] != float64(0) {
		t.Errorf("after clear/suspend %v", u)
	}
	if u["updatedAt"] == u["createdAt"] {
		t.Errorf("updatedAt not bumped: %v", u["updatedAt"])
	}
	if got := e.mustStatus(200, "GET", "/users?status=2", nil).list(); len(got) != 1 || got[0]["id"] != id {
		t.Errorf("status=2: %v", got)
	}
	u = e.mustStatus(200, "PUT", "/users/"+id, map[string]any{"isSuspended": false}).data()
	if u["status"] != float64(1) {
		t.Errorf("unsuspended status %v", u["status"])
	}
	if _, ok := e.mustStatus(200, "GET", "/users/"+id, nil).data()["password"]; ok {
		t.Error("GET shows the password")
	}

	// Deleting a user takes it out of organizations and groups.
	e.mustStatus(200, "PUT", "/users/"+id, map[string]any{"adminOrganizationIds": []string{b}})
	g := e.create("/groups", map[string]any{"name": "g", "organizationId": a, "isViewableMember": true, "isEnableDiscussion": true})
	e.mustStatus(204, "POST", "/groups/"+g+"/users", map[string]any{"userId": id, "role": "admin"})
	e.mustStatus(204, "DELETE", "/users/"+id, nil)
	e.mustStatus(404, "GET", "/users/"+id, nil)
	e.mustStatus(404, "DELETE", "/users/"+id, nil)
	if admins := strs(e.mustStatus(200, "GET", "/organizations/"+b, nil).data()["adminUserIds"]); len(admins) != 0 {
		t.Errorf("deleted user still admin of B: %v", admins)
	}
	if m := e.mustStatus(200, "GET", "/groups/"+g+"/users", nil).list(); len(m) != 0 {
		t.Errorf("deleted user still in group: %v", m)
	}
	if m := e.mustStatus(200, "GET", "/groups/"+e.srv.EveryoneGroupID()+"/users", nil).list(); len(m) != 1 {
		t.Errorf("everyone: %v", m)
	}
}

func TestOrgDates(t *testing.T) {
	e := newEnv(t, unlimited())
	parent := e.create("/organizations", map[string]any{"name": "P", "parentId": e.srv.RootOrgID(), "adminUserIds": []string{},
		"isPublic": false, "startDate": "2022-04-01", "endDate": "2030-03-31", "isEnableKnowledge": true})
	p := e.mustStatus(200, "GET", "/organizations/"+parent, nil).data()
	if p["isEnableDiscussion"] != true || p["isPublic"] != false {
		t.Errorf("parent %v", p)
	}
	child := e.newOrg("C", parent)
	c := e.mustStatus(200, "GET", "/organizations/"+child, nil).data()
	if c["startDate"] != "2022-04-01" || c["endDate"] != "2030-03-31" {
		t.Errorf("child did not inherit dates: %v", c)
	}
	c = e.mustStatus(200, "PUT", "/organizations/"+child, map[string]any{"startDate": "2023-01-01", "endDate": "2024-01-01"}).data()
	if c["startDate"] != "2023-01-01" || c["endDate"] != "2024-01-01" {
		t.Errorf("set dates %v", c)
	}
	c = e.mustStatus(200, "PUT", "/organizations/"+child, map[string]any{"startDate": ""}).data()
	if c["startDate"] != "2022-04-01" || c["endDate"] != "2024-01-01" {
		t.Errorf("cleared start should take the parent's: %v", c)
	}
	top := e.newOrg("T", e.srv.RootOrgID())
	tp := e.mustStatus(200, "PUT", "/organizations/"+top, map[string]any{"endDate": "2024-01-01"}).data()
	if tp["endDate"] != "2024-01-01" {
		t.Errorf("set end on a top-level org: %v", tp["endDate"])
	}
	tp = e.mustStatus(200, "PUT", "/organizations/"+top, map[string]any{"endDate": ""}).data()
	if tp["endDate"] != nil {
		t.Errorf("cleared end under a parent without one: %v", tp["endDate"])
	}
}

func TestOrgDeleteCascade(t *testing.T) {
	e := newEnv(t, unlimited())
	root := e.srv.RootOrgID()
	a := e.newOrg("A", root)
	b := e.newOrg("B", a)
	c := e.newOrg("C", b)
	other := e.newOrg("O", root)
	u1 := e.newUser("u1", "u1", map[string]any{"memberOrganizationIds": []string{b}})
	u2 := e.newUser("u2", "u2", map[string]any{"adminOrganizationIds": []string{c}, "memberOrganizationIds": []string{other}})
	u3 := e.newUser("u3", "u3", map[string]any{"adminOrganizationIds": []string{a}, "memberOrganizationIds": []string{b}})
	g := e.create("/groups", map[string]any{"name": "g", "organizationId": c, "isViewableMember": true, "isEnableDiscussion": true})

	e.mustStatus(204, "DELETE", "/organizations/"+b, nil)
	e.mustStatus(404, "GET", "/organizations/"+b, nil)
	e.mustStatus(404, "GET", "/organizations/"+c, nil)
	e.mustStatus(200, "GET", "/organizations/"+a, nil)

	check := func(id string, member, admin []string) {
		t.Helper()
		u := e.mustStatus(200, "GET", "/users/"+id, nil).data()
		if m, ad := strs(u["memberOrganizationIds"]), strs(u["adminOrganizationIds"]); !equal(m, member) || !equal(ad, admin) {
			t.Errorf("%s: member %v admin %v, want %v %v", id, m, ad, member, admin)
		}
	}
	check(u1, []string{a}, []string{})        // moved up as a member
	check(u2, []string{a, other}, []string{}) // admin of C becomes member of A
	check(u3, []string{}, []string{a})        // already admin of A: stays so
	if got := e.mustStatus(200, "GET", "/groups/"+g, nil).data()["organizationId"]; got != a {
		t.Errorf("group moved to %v, want %s", got, a)
	}
	st := e.srv.State()
	if len(st.Orgs) != 3 {
		t.Errorf("%d orgs left", len(st.Orgs))
	}
	users := e.mustStatus(200, "GET", "/organizations/"+a+"/users?role=member", nil).list()
	if len(users) != 2 || users[0]["id"] != u1 || users[1]["id"] != u2 {
		t.Errorf("A members %v", users)
	}
	// Deleting a top organization moves its users into the root.
	e.mustStatus(204, "DELETE", "/organizations/"+a, nil)
	check(u1, []string{root}, []string{})
	check(u3, []string{root}, []string{})
	check(u2, []string{root, other}, []string{})
}

func TestMembershipEndpoints(t *testing.T) {
	e := newEnv(t, unlimited())
	root := e.srv.RootOrgID()
	a := e.newOrg("A", root)
	u := e.newUser("u", "u", map[string]any{"memberOrganizationIds": []string{a}})
	v := e.newUser("v", "v", nil)

	e.mustStatus(204, "POST", "/organizations/"+a+"/users", map[string]any{"userId": v, "role": "admin"})
	got := e.mustStatus(200, "GET", "/organizations/"+a+"/users", nil).list()
	if len(got) != 2 || got[0]["id"] != u || got[0]["role"] != "member" || got[1]["id"] != v || got[1]["role"] != "admin" ||
		got[0]["loginId"] != "u" || got[0]["name"] != "u" {
		t.Errorf("A users %v", got)
	}
	if adm := e.mustStatus(200, "GET", "/organizations/"+a+"/users?role=admin", nil).list(); len(adm) != 1 || adm[0]["id"] != v {
		t.Errorf("role=admin %v", adm)
	}
	e.mustStatus(422, "GET", "/organizations/"+a+"/users?role=owner", nil)
	vu := e.mustStatus(200, "GET", "/users/"+v, nil).data()
	if !equal(strs(vu["memberOrganizationIds"]), []string{root}) || !equal(strs(vu["adminOrganizationIds"]), []string{a}) {
		t.Errorf("v %v %v", vu["memberOrganizationIds"], vu["adminOrganizationIds"])
	}
	// Removing the last organization puts the user back in the root.
	e.mustStatus(204, "DELETE", "/organizations/"+a+"/users", map[string]any{"userId": u})
	uu := e.mustStatus(200, "GET", "/users/"+u, nil).data()
	if !equal(strs(uu["memberOrganizationIds"]), []string{root}) {
		t.Errorf("u after removal %v", uu["memberOrganizationIds"])
	}
	// Leaving the root is fine while another organization remains.
	e.mustStatus(204, "DELETE", "/organizations/"+root+"/users", map[string]any{"userId": v})

	// Groups: the everyone group holds every user as a member.
	every := e.mustStatus(200, "GET", "/groups/"+e.srv.EveryoneGroupID()+"/users", nil).list()
	if len(every) != 2 || every[0]["role"] != "member" {
		t.Errorf("everyone %v", every)
	}
	if adm := e.mustStatus(200, "GET", "/groups/"+e.srv.EveryoneGroupID()+"/users?role=admin", nil).list(); len(adm) != 0 {
		t.Errorf("everyone admins %v", adm)
	}
	g := e.create("/groups", map[string]any{"name": "g", "organizationId": a, "isViewableMember": true, "isEnableDiscussion": true})
	e.mustStatus(204, "POST", "/groups/"+g+"/users", map[string]any{"userId": u, "role": "member"})
	e.mustStatus(204, "PUT", "/groups/"+g+"/users", map[string]any{"userId": u, "role": "admin"})
	st := e.srv.State()
	if st.GroupMembers[g][u] != "admin" || len(st.GroupMembers[g]) != 1 || len(st.GroupMembers[e.srv.EveryoneGroupID()]) != 2 {
		t.Errorf("group members %v", st.GroupMembers)
	}
	e.mustStatus(204, "DELETE", "/groups/"+g, nil)
	e.mustStatus(404, "GET", "/groups/"+g+"/users", nil)
}

func TestPagination(t *testing.T) {
	e := newEnv(t, unlimited())
	var ids []string
	for i := 0; i < 25; i++ {
		ids = append(ids, e.newUser(fmt.Sprintf("user%02d", i), fmt.Sprintf("login%02d", i), nil))
	}
	var seen []string
	for page := 1; page <= 4; page++ {
		r := e.mustStatus(200, "GET", fmt.Sprintf("/users?limit=10&page=%d", page), nil)
		m := r.meta()
		if m["currentPage"] != float64(page) || m["lastPage"] != float64(3) || m["perPage"] != float64(10) || m["total"] != float64(25) {
			t.Errorf("page %d meta %v", page, m)
		}
		want := map[int]int{1: 10, 2: 10, 3: 5, 4: 0}[page]
		if got := len(r.list()); got != want {
			t.Errorf("page %d: %d items, want %d", page, got, want)
		}
		for _, u := range r.list() {
			seen = append(seen, u["id"].(string))
		}
	}
	if !equal(seen, ids) {
		t.Errorf("pages are not the creation order")
	}
	// A filtered list is paged over its matches (user10 to user19), and the
	// last page the document allows is empty.
	r := e.mustStatus(200, "GET", "/users?name=user1&limit=4&page=3", nil)
	if m := r.meta(); m["lastPage"] != float64(3) || m["total"] != float64(10) || len(r.list()) != 2 ||
		r.list()[0]["id"] != ids[18] || r.list()[1]["id"] != ids[19] {
		t.Errorf("name=user1, page 3 of 4: meta %v, %d items", m, len(r.list()))
	}
	r = e.mustStatus(200, "GET", "/users?limit=1&page=2147483647", nil)
	if m := r.meta(); m["total"] != float64(25) || m["lastPage"] != float64(25) || len(r.list()) != 0 {
		t.Errorf("page 2147483647: meta %v, %d items", m, len(r.list()))
	}
	if m := e.mustStatus(200, "GET", "/users", nil).meta(); m["perPage"] != float64(100) || m["lastPage"] != float64(1) {
		t.Errorf("default meta %v", m)
	}
	if m := e.mustStatus(200, "GET", "/users?name=nobody", nil).meta(); m["lastPage"] != float64(1) || m["total"] != float64(0) {
		t.Errorf("empty meta %v", m)
	}
	e.mustStatus(200, "GET", "/users?limit=1000", nil)
	bad := []struct{ query, key, msg string }{
		{"limit=0", "limit", "limitには、1以上の数字を指定してください。"},
		{"limit=1001", "limit", "limitには、1000以下の数字を指定してください。"},
		{"limit=ten", "limit", "limitは整数で指定してください。"},
		{"page=0", "page", "pageには、1以上の数字を指定してください。"},
		{"page=1.5", "page", "pageは整数で指定してください。"},
	}
	for _, path := range []string{"/users", "/organizations", "/groups", "/organizations/" + e.srv.RootOrgID() + "/users",
		"/groups/" + e.srv.EveryoneGroupID() + "/users"} {
		for _, b := range bad {
			r := e.mustStatus(422, "GET", path+"?"+b.query, nil)
			if msg, _ := r.errMsg(b.key); msg != b.msg {
				t.Errorf("%s?%s: %q, want %q", path, b.query, msg, b.msg)
			}
		}
	}
}

func TestUserFilters(t *testing.T) {
	e := newEnv(t, unlimited())
	u1 := e.newUser("山田太郎", "yamada", map[string]any{"mail": "yamada@example.com", "license": "basic", "role": "admin"})
	u2 := e.newUser("山本花子", "yamamoto", map[string]any{"license": "contents", "role": "manager"})
	u3 := e.newUser("John Smith", "smith", map[string]any{"mail": "smith@example.com"})
	e.mustStatus(200, "PUT", "/users/"+u2, map[string]any{"isSuspended": true})
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{u1, u2, u3}},
		{"status=1", []string{u1, u3}},
		{"status=2,3", []string{u2}},
		{"license=free,basic", []string{u1, u3}},
		{"hasAiKnowledgeLicense=0", []string{u1, u2, u3}},
		{"hasAiKnowledgeLicense=1", []string{}},
		{"name=山", []string{u1, u2}},
		{"name=smith", []string{u3}},
		{"mail=yamada@example.com", []string{u1}},
		{"mail=yamada", []string{}},
		{"loginId=yamamoto", []string{u2}},
		{"loginId=yama", []string{}},
		{"role=manager,admin", []string{u1, u2}},
		{"role=user&status=1", []string{u3}},
		{"status=", []string{u1, u2, u3}},
	}
	for _, tt := range tests {
		r := e.mustStatus(200, "GET", "/users?"+tt.query, nil)
		var got []string
		for _, u := range r.list() {
			got = append(got, u["id"].(string))
		}
		if got == nil {
			got = []string{}
		}
		if !equal(got, tt.want) {
			t.Errorf("?%s: %v, want %v", tt.query, got, tt.want)
		}
	}
	bad := []struct{ query, key, msg string }{
		{"status=1,5", "status.1", "選択されたstatus.1は、有効ではありません。"},
		{"status=x", "status.0", "選択されたstatus.0は、有効ではありません。"},
		{"license=free,gold,x", "license.1", "選択されたlicense.1は、有効ではありません。"},
		{"role=user,owner", "role.1", "選択されたrole.1は、有効ではありません。"},
		{"hasAiKnowledgeLicense=2", "hasAiKnowledgeLicense", "選択されたhasAiKnowledgeLicenseは、有効ではありません。"},
	}
	for _, b := range bad {
		r := e.mustStatus(422, "GET", "/users?"+b.query, nil)
		if msg, _ := r.errMsg(b.key); msg != b.msg || r.body["message"] != b.msg {
			t.Errorf("?%s: %s", b.query, r.raw)
		}
	}
	if r := e.mustStatus(422, "GET", "/users?license=free,gold,x", nil); len(r.body["errors"].(map[string]any)) != 2 {
		t.Errorf("want license.1 and license.2: %s", r.raw)
	}
}

func TestOrgAndGroupFilters(t *testing.T) {
	e := newEnv(t, unlimited()) // clock: 2025-04-01 18:00 JST
	root := e.srv.RootOrgID()
	mk := func(name, code string, public bool, start, end any) string {
		return e.create("/organizations", map[string]any{"name": name, "code": code, "parentId": root, "adminUserIds": []string{},
			"isPublic": public, "startDate": start, "endDate": end, "isEnableDiscussion": true})
	}
	cur := mk("営業部", "sales", true, "2025-04-01", "2025-04-01")
	past := mk("旧営業部", "old", false, "2020-01-01", "2025-03-31")
	future := mk("新部署", "new", true, "2025-04-02", nil)
	tests := []struct {
		query string
		want  []string
	}{
		{"name=営業", []string{cur, past}},
		{"code=sales", []string{cur}},
		{"code=sal", []string{}},
		{"isPublic=0", []string{past}},
		{"isPublic=1", []string{root, cur, future}},
		{"period=1", []string{root, cur}},
		{"period=0", []string{past, future}},
		{"period=1&isPublic=1&name=営", []string{cur}},
	}
	for _, tt := range tests {
		var got []string
		for _, o := range e.mustStatus(200, "GET", "/organizations?"+tt.query, nil).list() {
			got = append(got, o["id"].(string))
		}
		if got == nil {
			got = []string{}
		}
		if !equal(got, tt.want) {
			t.Errorf("?%s: %v, want %v", tt.query, got, tt.want)
		}
	}
	for _, q := range []string{"isPublic=true", "period=2"} {
		e.mustStatus(422, "GET", "/organizations?"+q, nil)
	}
	// The period follows the clock (a day later "future" has begun).
	e.clk.Add(24 * time.Hour)
	e.tok = e.token("") // the old one has expired
	if got := e.mustStatus(200, "GET", "/organizations?period=1", nil).list(); len(got) != 2 || got[1]["id"] != future {
		t.Errorf("period=1 next day: %v", got)
	}

	g1 := e.create("/groups", map[string]any{"name": "推進グループ", "code": "push", "organizationId": cur, "isViewableMember": true, "isEnableDiscussion": true})
	e.create("/groups", map[string]any{"name": "その他", "organizationId": cur, "isViewableMember": true, "isEnableDiscussion": true})
	if got := e.mustStatus(200, "GET", "/groups?name=推進", nil).list(); len(got) != 1 || got[0]["id"] != g1 {
		t.Errorf("groups name: %v", got)
	}
	if got := e.mustStatus(200, "GET", "/groups?code=everyone", nil).list(); len(got) != 1 || got[0]["id"] != e.srv.EveryoneGroupID() {
		t.Errorf("groups code: %v", got)
	}
}

func TestUniquenessFollowsChanges(t *testing.T) {
	e := newEnv(t, unlimited())
	u := e.newUser("a", "alpha", map[string]any{"mail": "a@example.com"})
	body := map[string]any{"name": "b", "loginId": "alpha", "mail": "a@example.com", "license": "free", "role": "user"}
	r := e.mustStatus(422, "POST", "/users", body)
	if _, ok := r.errMsg("mail"); !ok {
		t.Errorf("mail not reported: %s", r.raw)
	}
	if _, ok := r.errMsg("loginId"); !ok {
		t.Errorf("loginId not reported: %s", r.raw)
	}
	e.mustStatus(200, "PUT", "/users/"+u, map[string]any{"mail": "A2@example.com", "loginId": "Alpha2"})
	v := e.create("/users", body) // the old values are free again
	e.mustStatus(422, "PUT", "/users/"+v, map[string]any{"mail": "a2@EXAMPLE.com"})
	e.mustStatus(204, "DELETE", "/users/"+u, nil)
	e.mustStatus(200, "PUT", "/users/"+v, map[string]any{"mail": "a2@example.com", "loginId": "alpha2"})
}

// TestListsFollowWrites reads each list, writes, and reads it again: a
// list's matches are kept from one page to the next (listPage), never past
// a write, nor past the day an organization's period filter was answered
// on.
func TestListsFollowWrites(t *testing.T) {
	e := newEnv(t, unlimited())
	root := e.srv.RootOrgID()
	ids := func(path string) []string {
		t.Helper()
		var out []string
		for _, it := range e.mustStatus(200, "GET", path, nil).list() {
			id, _ := it["id"].(string)
			out = append(out, id)
		}
		return out
	}
	want := func(path string, exp ...string) {
		t.Helper()
		if got := ids(path); !equal(got, exp) {
			t.Errorf("GET %s: %v, want %v", path, got, exp)
		}
	}

	a := e.newOrg("A", root)
	u := e.newUser("alice", "alice", map[string]any{"memberOrganizationIds": []string{a}})
	want("/users?name=ali&limit=1&page=1", u)
	want("/users?role=admin")
	v := e.newUser("alfred", "alfred", nil) // a create
	want("/users?name=al&limit=1&page=2", v)
	want("/users?name=al&limit=1&page=1", u)
	e.mustStatus(200, "PUT", "/users/"+u, map[string]any{"name": "bob", "role": "admin"}) // an update in place
	want("/users?name=al&limit=1&page=1", v)
	want("/users?role=admin", u)
	e.mustStatus(204, "DELETE", "/users/"+v, nil) // a delete
	want("/users?name=al")
	want("/users", u)

	want("/organizations/"+a+"/users", u)
	w := e.newUser("carol", "carol", nil)
	e.mustStatus(204, "POST", "/organizations/"+a+"/users", map[string]any{"userId": w, "role": "admin"})
	want("/organizations/"+a+"/users", u, w)
	want("/organizations/"+a+"/users?role=admin", w)
	want("/groups/"+e.srv.EveryoneGroupID()+"/users", u, w)

	g := e.create("/groups", map[string]any{"name": "g", "organizationId": a, "isViewableMember": true, "isEnableDiscussion": true})
	want("/groups?name=g", g)
	want("/groups/" + g + "/users")
	e.mustStatus(204, "POST", "/groups/"+g+"/users", map[string]any{"userId": w, "role": "member"})
	want("/groups/"+g+"/users", w)
	e.mustStatus(200, "PUT", "/groups/"+g, map[string]any{"name": "h"})
	want("/groups?name=g")

	// The clock starts on 2025-04-01 (18:00 in JST); an org that ends that
	// day is in its period until the next day, with no write between.
	o := e.create("/organizations", map[string]any{"name": "O", "parentId": root, "adminUserIds": []string{},
		"isPublic": true, "isEnableDiscussion": true, "endDate": "2025-04-01"})
	want("/organizations?period=0")
	e.clk.Add(24 * time.Hour)
	e.tok = e.token("") // the old one expired
	want("/organizations?period=0", o)
}
