package emulator_test

import (
	"strconv"
	"strings"
	"testing"
)

// step is one request of a scenario table: its status and, for a 200 with a
// user, the field to check.
type step struct {
	name   string
	method string
	path   string // "$1", "$2" … (up to $9) are the ids of the users created so far
	body   map[string]any
	status int
	field  string // user field to check in the answer ("" none)
	want   any
	key    string // 422: the error key the answer must name
}

// runSteps runs steps in order on one emulator; every 200 POST /users
// remembers the new user's id as $1, $2 ….
func runSteps(t *testing.T, e *env, steps []step) {
	t.Helper()
	var ids []string
	expand := func(s string) string {
		for i := len(ids); i > 0; i-- {
			s = strings.ReplaceAll(s, "$"+strconv.Itoa(i), ids[i-1])
		}
		return s
	}
	for _, st := range steps {
		var body any
		if st.body != nil {
			body = st.body
		}
		r := e.do(st.method, expand(st.path), body)
		if r.status != st.status {
			t.Fatalf("%s: status %d, want %d: %s", st.name, r.status, st.status, r.raw)
		}
		if st.status == 200 && st.method == "POST" && st.path == "/users" {
			ids = append(ids, r.data()["id"].(string))
		}
		if st.field != "" {
			if got := r.data()[st.field]; got != st.want {
				t.Errorf("%s: %s = %v, want %v", st.name, st.field, got, st.want)
			}
		}
		if st.key != "" {
			if _, ok := r.errMsg(st.key); !ok {
				t.Errorf("%s: no error for %q: %s", st.name, st.key, r.raw)
			}
		}
	}
}

func userBody(login string, kv ...any) map[string]any {
	b := map[string]any{"name": login, "loginId": login, "license": "free", "role": "user"}
	for i := 0; i < len(kv); i += 2 {
		b[kv[i].(string)] = kv[i+1]
	}
	return b
}

// 使用できないライセンスが指定された場合、フリーとして設定されます: a licence
// the contract has no seat of is stored as free, not refused; a value outside
// the enum is still 422.
func TestUnusableLicenseIsFree(t *testing.T) {
	opts := unlimited()
	opts.LicenseSeats = map[string]int{"basic": 1, "contents": 0}
	e := newEnv(t, opts)
	runSteps(t, e, []step{
		{"basic with a seat", "POST", "/users", userBody("a", "license", "basic"), 200, "license", "basic", ""},
		{"basic without a seat", "POST", "/users", userBody("b", "license", "basic"), 200, "license", "free", ""},
		{"contents never usable", "POST", "/users", userBody("c", "license", "contents"), 200, "license", "free", ""},
		{"free always", "POST", "/users", userBody("d", "license", "free"), 200, "license", "free", ""},
		{"unknown licence is 422 on create", "POST", "/users", userBody("e", "license", "gold"), 422, "", nil, "license"},
		{"unknown licence is 422 on update", "PUT", "/users/$2", map[string]any{"license": "premium"}, 422, "", nil, "license"},
		{"update to unusable contents", "PUT", "/users/$1", map[string]any{"license": "contents"}, 200, "license", "free", ""},
		{"the seat is free again", "PUT", "/users/$2", map[string]any{"license": "basic"}, 200, "license", "basic", ""},
		{"holder keeps its licence", "PUT", "/users/$2", map[string]any{"license": "basic"}, 200, "license", "basic", ""},
		{"absent licence is left", "PUT", "/users/$2", map[string]any{"name": "x"}, 200, "license", "basic", ""},
		{"no seat for another", "PUT", "/users/$3", map[string]any{"license": "basic"}, 200, "license", "free", ""},
		{"deleting frees the seat", "DELETE", "/users/$2", nil, 204, "", nil, ""},
		{"seat taken after delete", "PUT", "/users/$3", map[string]any{"license": "basic"}, 200, "license", "basic", ""},
	})

	// The default contract: every licence is usable.
	e = newEnv(t, unlimited())
	runSteps(t, e, []step{
		{"default contents", "POST", "/users", userBody("a", "license", "contents"), 200, "license", "contents", ""},
		{"default basic", "POST", "/users", userBody("b", "license", "basic"), 200, "license", "basic", ""},
	})
}

// AIナレッジライセンスが未指定の場合、または不足している状況で「割当済み」が指定
// された場合、「なし」として設定されます.
func TestAIKnowledgeSeats(t *testing.T) {
	opts := unlimited()
	opts.AIKnowledgeSeats = 1
	e := newEnv(t, opts)
	runSteps(t, e, []step{
		{"unspecified is none", "POST", "/users", userBody("a"), 200, "hasAiKnowledgeLicense", float64(0), ""},
		{"1 with a seat", "POST", "/users", userBody("b", "hasAiKnowledgeLicense", 1), 200, "hasAiKnowledgeLicense", float64(1), ""},
		{"1 without a seat", "POST", "/users", userBody("c", "hasAiKnowledgeLicense", 1), 200, "hasAiKnowledgeLicense", float64(0), ""},
		{"update without a seat", "PUT", "/users/$1", map[string]any{"hasAiKnowledgeLicense": 1}, 200, "hasAiKnowledgeLicense", float64(0), ""},
		{"holder keeps it", "PUT", "/users/$2", map[string]any{"hasAiKnowledgeLicense": 1}, 200, "hasAiKnowledgeLicense", float64(1), ""},
		{"absent is left", "PUT", "/users/$2", map[string]any{"name": "x"}, 200, "hasAiKnowledgeLicense", float64(1), ""},
		{"0 releases", "PUT", "/users/$2", map[string]any{"hasAiKnowledgeLicense": 0}, 200, "hasAiKnowledgeLicense", float64(0), ""},
		{"released seat is usable", "PUT", "/users/$1", map[string]any{"hasAiKnowledgeLicense": 1}, 200, "hasAiKnowledgeLicense", float64(1), ""},
		{"2 is 422", "PUT", "/users/$1", map[string]any{"hasAiKnowledgeLicense": 2}, 422, "", nil, "hasAiKnowledgeLicense"},
	})
	if got := e.mustStatus(200, "GET", "/users?hasAiKnowledgeLicense=1", nil).list(); len(got) != 1 || got[0]["loginId"] != "a" {
		t.Errorf("hasAiKnowledgeLicense=1: %v", got)
	}

	// The default: no seat at all.
	e = newEnv(t, unlimited())
	runSteps(t, e, []step{
		{"default: 1 is none", "POST", "/users", userBody("a", "hasAiKnowledgeLicense", 1), 200, "hasAiKnowledgeLicense", float64(0), ""},
	})
}

// isEnabledPasswordLogin: 「SAML認証を有効にする」が有効かつ、「特定のユーザのみ
// パスワード認証を使用可能にする」が有効の場合は必須 (on create only).
func TestPasswordLoginRequiredWithSAML(t *testing.T) {
	opts := unlimited()
	opts.SAMLPerUserPasswordLogin = true
	saml := newEnv(t, opts)
	plain := newEnv(t, unlimited())
	tests := []struct {
		name   string
		e      *env
		method string
		body   map[string]any
		status int
		msg    string
	}{
		{"saml: absent", saml, "POST", userBody("a"), 422, "isEnabledPasswordLoginは必須項目です。"},
		{"saml: null", saml, "POST", userBody("a", "isEnabledPasswordLogin", nil), 422, "isEnabledPasswordLoginは必須項目です。"},
		{"saml: not bool", saml, "POST", userBody("a", "isEnabledPasswordLogin", "true"), 422, "isEnabledPasswordLoginは、trueかfalseを指定してください。"},
		{"saml: false", saml, "POST", userBody("a", "isEnabledPasswordLogin", false), 200, ""},
		{"saml: true", saml, "POST", userBody("b", "isEnabledPasswordLogin", true), 200, ""},
		{"no saml: absent", plain, "POST", userBody("a"), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.e.do(tt.method, "/users", tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
			}
			if tt.msg != "" {
				if got, _ := r.errMsg("isEnabledPasswordLogin"); got != tt.msg {
					t.Errorf("error %q, want %q", got, tt.msg)
				}
			}
		})
	}
	// The update has no such rule.
	id := saml.mustStatus(200, "GET", "/users?loginId=a", nil).list()[0]["id"].(string)
	saml.mustStatus(200, "PUT", "/users/"+id, map[string]any{"name": "x"})
}

// memberOrganizationIds: 未指定の場合、ルート組織に所属します — even when
// adminOrganizationIds is given; an empty list is specified, not absent.
func TestCreateUserRootWhenMemberOrgsUnspecified(t *testing.T) {
	e := newEnv(t, unlimited())
	root := e.srv.RootOrgID()
	a := e.newOrg("A", root)
	b := e.newOrg("B", root)
	tests := []struct {
		name          string
		extra         map[string]any
		member, admin []string
	}{
		{"neither", nil, []string{root}, []string{}},
		{"admin only", map[string]any{"adminOrganizationIds": []string{a}}, []string{root}, []string{a}},
		{"admin of root only", map[string]any{"adminOrganizationIds": []string{root}}, []string{}, []string{root}},
		{"empty members, admin", map[string]any{"memberOrganizationIds": []string{}, "adminOrganizationIds": []string{a}}, []string{}, []string{a}},
		{"empty both", map[string]any{"memberOrganizationIds": []string{}, "adminOrganizationIds": []string{}}, []string{root}, []string{}},
		{"members given", map[string]any{"memberOrganizationIds": []string{b}, "adminOrganizationIds": []string{a}}, []string{b}, []string{a}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := e.newUser(tt.name, "u"+strconv.Itoa(i), tt.extra)
			u := e.mustStatus(200, "GET", "/users/"+id, nil).data()
			if m, ad := strs(u["memberOrganizationIds"]), strs(u["adminOrganizationIds"]); !equal(m, tt.member) || !equal(ad, tt.admin) {
				t.Errorf("member %v admin %v, want %v %v", m, ad, tt.member, tt.admin)
			}
		})
	}
}

// mail, loginId (users) and code (organizations, groups) filter by 完全一致:
// the whole value, case included.
func TestExactFilters(t *testing.T) {
	e := newEnv(t, unlimited())
	u := e.newUser("山田", "Yamada", map[string]any{"mail": "Yamada@example.com"})
	o := e.create("/organizations", map[string]any{"name": "営業", "code": "Sales", "parentId": e.srv.RootOrgID(),
		"adminUserIds": []string{}, "isPublic": true, "isEnableDiscussion": true})
	g := e.create("/groups", map[string]any{"name": "推進", "code": "Push", "organizationId": o,
		"isViewableMember": true, "isEnableDiscussion": true})
	tests := []struct {
		path string
		want string // "" none
	}{
		{"/users?mail=Yamada@example.com", u},
		{"/users?mail=yamada@example.com", ""},
		{"/users?mail=Yamada", ""},
		{"/users?loginId=Yamada", u},
		{"/users?loginId=yamada", ""},
		{"/users?name=山", u}, // 部分一致
		{"/organizations?code=Sales", o},
		{"/organizations?code=sales", ""},
		{"/organizations?code=Sal", ""},
		{"/groups?code=Push", g},
		{"/groups?code=PUSH", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got := e.mustStatus(200, "GET", tt.path, nil).list()
			switch {
			case tt.want == "" && len(got) != 0:
				t.Errorf("got %v, want none", got)
			case tt.want != "" && (len(got) != 1 || got[0]["id"] != tt.want):
				t.Errorf("got %v, want %s", got, tt.want)
			}
		})
	}
}

// page is <int32> >= 1 and limit <int32> [1 .. 1000].
func TestPagingBounds(t *testing.T) {
	e := newEnv(t, unlimited())
	tests := []struct {
		query  string
		status int
		key    string
		msg    string
	}{
		{"page=2147483647", 200, "", ""},
		{"page=2147483648", 422, "page", "pageには、2147483647以下の数字を指定してください。"},
		{"page=99999999999999999999", 422, "page", "pageは整数で指定してください。"},
		{"page=-1", 422, "page", "pageには、1以上の数字を指定してください。"},
		{"limit=1", 200, "", ""},
		{"limit=1000", 200, "", ""},
		{"limit=-5", 422, "limit", "limitには、1以上の数字を指定してください。"},
		{"limit=", 200, "", ""}, // an empty parameter is absent: the default 100
	}
	for _, tt := range tests {
		for _, path := range []string{"/users", "/organizations", "/groups",
			"/organizations/" + e.srv.RootOrgID() + "/users", "/groups/" + e.srv.EveryoneGroupID() + "/users"} {
			t.Run(path+"?"+tt.query, func(t *testing.T) {
				r := e.do("GET", path+"?"+tt.query, nil)
				if r.status != tt.status {
					t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
				}
				if tt.key != "" {
					if got, _ := r.errMsg(tt.key); got != tt.msg {
						t.Errorf("%q, want %q", got, tt.msg)
					}
				}
			})
		}
	}
}

// The organization samples send isViewableMember, which is not in the field
// list: it is accepted (and ignored) on create and update, never required.
// The either-required discussion rule holds on create only.
func TestOrgSampleBodies(t *testing.T) {
	base := map[string]any{"name": "システム統括部", "code": "system", "parentId": "$ROOT", "adminUserIds": []string{},
		"isPublic": true, "startDate": "2022-04-01", "endDate": "2023-04-01", "isEnableDiscussion": true,
		"description": "システム統括部のメンバーが所属する組織"}
	c := func(name string, status int, key, msg string, kv ...any) vcase {
		return vcase{name, "POST", "/organizations", with(base, kv...), status, key, msg}
	}
	u := func(name, body string, status int, key, msg string) vcase {
		return vcase{name, "PUT", "/organizations/$ORG", body, status, key, msg}
	}
	runCases(t, []vcase{
		c("document sample", 200, "", "", "isViewableMember", true),
		c("without isViewableMember", 200, "", ""),
		c("isViewableMember not checked", 200, "", "", "isViewableMember", "yes"),
		c("knowledge only", 200, "", "", "isEnableDiscussion", absent, "isEnableKnowledge", true),
		c("discussion null, knowledge given", 200, "", "", "isEnableDiscussion", nil, "isEnableKnowledge", false),
		c("neither", 422, "isEnableDiscussion", "isEnableKnowledgeを指定しない場合は、isEnableDiscussionを指定してください。",
			"isEnableDiscussion", absent),
		c("knowledge null only", 422, "isEnableDiscussion", "", "isEnableDiscussion", absent, "isEnableKnowledge", nil),
		u("update sample", `{"name":"システム統括部","code":"system","parentId":"$ROOT","isPublic":true,"startDate":"2022-04-01",`+
			`"endDate":"2023-04-01","isViewableMember":true,"isEnableDiscussion":true,"description":"x"}`, 200, "", ""),
		u("update needs no discussion", `{"name":"改名"}`, 200, "", ""),
		u("update knowledge only", `{"isEnableKnowledge":false}`, 200, "", ""),
		u("update knowledge ignored beside discussion", `{"isEnableDiscussion":true,"isEnableKnowledge":"no"}`, 200, "", ""),
		u("update discussion null", `{"isEnableDiscussion":null}`, 422, "isEnableDiscussion", ""),
	})
}

// The options are copied: changing the caller's map later changes nothing.
func TestLicenseSeatsCopied(t *testing.T) {
	seats := map[string]int{"basic": 0}
	opts := unlimited()
	opts.LicenseSeats = seats
	e := newEnv(t, opts)
	seats["basic"] = 10
	r := e.mustStatus(200, "POST", "/users", userBody("a", "license", "basic"))
	if r.data()["license"] != "free" {
		t.Errorf("license %v", r.data()["license"])
	}
}
