package emulator_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// fixture is the data every validation case starts from:
//
//	root ─ org (code "taken", admin u1) ─ child
//	u1: mail taken@example.com, loginId taken; u2: loginId other (root only)
//	grp (code "taken", in org, u1 admin)
type fixture struct{ root, every, org, child, u1, u2, grp string }

func setup(t *testing.T) (*env, fixture) {
	t.Helper()
	e := newEnv(t, unlimited())
	f := fixture{root: e.srv.RootOrgID(), every: e.srv.EveryoneGroupID()}
	f.u1 = e.newUser("既存", "taken", map[string]any{"mail": "taken@example.com"})
	f.u2 = e.newUser("二人目", "other", nil)
	f.org = e.create("/organizations", map[string]any{"name": "営業部", "code": "taken", "parentId": f.root,
		"adminUserIds": []string{f.u1}, "isPublic": true, "isEnableDiscussion": true})
	f.child = e.newOrg("一課", f.org)
	f.grp = e.create("/groups", map[string]any{"name": "g", "code": "taken", "organizationId": f.org,
		"isViewableMember": true, "isEnableDiscussion": false})
	e.mustStatus(204, "POST", "/groups/"+f.grp+"/users", map[string]any{"userId": f.u1, "role": "admin"})
	return e, f
}

func (f fixture) expand(s string) string {
	return strings.NewReplacer("$ROOT", f.root, "$EVERY", f.every, "$ORG", f.org, "$CHILD", f.child,
		"$U1", f.u1, "$U2", f.u2, "$GRP", f.grp).Replace(s)
}

// absent removes a key in with.
type absentT struct{}

var absent absentT

// with returns base's JSON with the given key, value pairs set (or removed
// with absent).
func with(base map[string]any, kv ...any) string {
	m := map[string]any{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if _, del := kv[i+1].(absentT); del {
			delete(m, k)
		} else {
			m[k] = kv[i+1]
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

type vcase struct {
	name   string
	method string
	path   string
	body   string
	status int
	key    string // an error key the 422 must name
	msg    string // its message (and, when set, the top-level message)
}

func runCases(t *testing.T, cases []vcase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			e, f := setup(t)
			var body any
			if tt.body != "" {
				body = f.expand(tt.body)
			}
			r := e.do(tt.method, f.expand(tt.path), body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
			}
			if tt.key == "" {
				return
			}
			got, ok := r.errMsg(tt.key)
			if !ok {
				t.Fatalf("no error for %q: %s", tt.key, r.raw)
			}
			if tt.msg != "" {
				if got != tt.msg {
					t.Errorf("errors[%q] = %q, want %q", tt.key, got, tt.msg)
				}
				if r.body["message"] != tt.msg {
					t.Errorf("message = %q, want %q", r.body["message"], tt.msg)
				}
			}
		})
	}
}

var (
	a40   = strings.Repeat("あ", 40)
	a41   = strings.Repeat("あ", 41)
	x100  = strings.Repeat("x", 100)
	x101  = strings.Repeat("x", 101)
	x1000 = strings.Repeat("x", 1000)
	x1001 = strings.Repeat("x", 1001)
)

func TestUserCreateValidation(t *testing.T) {
	base := map[string]any{"name": "山田", "loginId": "yamada", "license": "free", "role": "user"}
	c := func(name string, status int, key, msg string, kv ...any) vcase {
		return vcase{name, "POST", "/users", with(base, kv...), status, key, msg}
	}
	runCases(t, []vcase{
		c("ok", 200, "", ""),
		c("everything", 200, "", "", "userNumber", "000123", "mail", "sample@example.com", "password", "password000123",
			"slackMemberId", "UDX00XXXX", "hasAiKnowledgeLicense", 0, "memberOrganizationIds", []string{"$ORG"},
			"adminOrganizationIds", []string{"$CHILD"}, "department", "営業部", "position", "部長", "gender", 0,
			"birthday", "1981-01-01", "profile", "よろしく\n", "isEnabledPasswordLogin", false),
		c("name missing", 422, "name", "nameは必須項目です。", "name", absent),
		c("name empty", 422, "name", "nameは必須項目です。", "name", ""),
		c("name null", 422, "name", "nameは必須項目です。", "name", nil),
		c("name 40 chars", 200, "", "", "name", a40),
		c("name 41 chars", 422, "name", "nameは、40文字以下で指定してください。", "name", a41),
		c("name number", 422, "name", "nameは文字列を指定してください。", "name", 7),
		c("userNumber 41", 422, "userNumber", "userNumberは、40文字以下で指定してください。", "userNumber", a41),
		c("mail invalid", 422, "mail", "mailには、有効なメールアドレスを指定してください。", "mail", "not-an-email"),
		c("mail with name", 422, "mail", "", "mail", "Yamada <y@example.com>"),
		c("mail 101", 422, "mail", "mailは、100文字以下で指定してください。", "mail", x101+"@x.jp"),
		c("mail taken", 422, "mail", "mailの値は既に存在しています。", "mail", "taken@example.com"),
		c("mail taken other case", 422, "mail", "", "mail", "TAKEN@example.com"),
		c("mail only", 200, "", "", "loginId", absent, "mail", "new@example.com"),
		c("loginId taken", 422, "loginId", "loginIdの値は既に存在しています。", "loginId", "taken"),
		c("loginId 100", 200, "", "", "loginId", x100),
		c("loginId 101", 422, "loginId", "loginIdは、100文字以下で指定してください。", "loginId", x101),
		c("neither mail nor loginId", 422, "mail", "loginIdを指定しない場合は、mailを指定してください。", "loginId", absent),
		c("neither: loginId named too", 422, "loginId", "", "loginId", ""),
		c("password 101", 422, "password", "passwordは、100文字以下で指定してください。", "password", x101),
		c("slackMemberId 15", 200, "", "", "slackMemberId", strings.Repeat("U", 15)),
		c("slackMemberId 16", 422, "slackMemberId", "slackMemberIdは、15文字以下で指定してください。", "slackMemberId", strings.Repeat("U", 16)),
		c("license missing", 422, "license", "licenseは必須項目です。", "license", absent),
		c("license unknown", 422, "license", "選択されたlicenseは、有効ではありません。", "license", "gold"),
		c("license contents", 200, "", "", "license", "contents"),
		c("ai licence 2", 422, "hasAiKnowledgeLicense", "選択されたhasAiKnowledgeLicenseは、有効ではありません。", "hasAiKnowledgeLicense", 2),
		c("ai licence string", 422, "hasAiKnowledgeLicense", "hasAiKnowledgeLicenseは整数で指定してください。", "hasAiKnowledgeLicense", "1"),
		c("ai licence 1", 200, "", "", "hasAiKnowledgeLicense", 1),
		c("role missing", 422, "role", "roleは必須項目です。", "role", absent),
		c("role unknown", 422, "role", "選択されたroleは、有効ではありません。", "role", "owner"),
		c("role admin", 200, "", "", "role", "admin"),
		c("member orgs not array", 422, "memberOrganizationIds", "memberOrganizationIdsは配列で指定してください。", "memberOrganizationIds", "$ORG"),
		c("member orgs bad prefix", 422, "memberOrganizationIds.1", "memberOrganizationIds.1には、org_で始まる値を指定してください。",
			"memberOrganizationIds", []string{"$ORG", "grp_x"}),
		c("member orgs unknown", 422, "memberOrganizationIds.0", "選択されたmemberOrganizationIds.0は正しくありません。",
			"memberOrganizationIds", []string{"org_AAAAAAAAAAAAAAAA"}),
		c("admin orgs element not string", 422, "adminOrganizationIds.0", "adminOrganizationIds.0は文字列を指定してください。",
			"adminOrganizationIds", []any{1}),
		c("department 101", 422, "department", "departmentは、100文字以下で指定してください。", "department", x101),
		c("position 101", 422, "position", "positionは、100文字以下で指定してください。", "position", x101),
		c("gender 2", 422, "gender", "選択されたgenderは、有効ではありません。", "gender", 2),
		c("gender string", 422, "gender", "genderは整数で指定してください。", "gender", "男"),
		c("gender null", 200, "", "", "gender", nil),
		c("gender 1", 200, "", "", "gender", 1),
		c("birthday slashes", 422, "birthday", "birthdayはY-m-d形式で指定してください。", "birthday", "1981/01/01"),
		c("birthday impossible", 422, "birthday", "birthdayはY-m-d形式で指定してください。", "birthday", "1981-02-30"),
		c("profile 1000", 200, "", "", "profile", x1000),
		c("profile 1001", 422, "profile", "profileは、1000文字以下で指定してください。", "profile", x1001),
		c("password login not bool", 422, "isEnabledPasswordLogin", "isEnabledPasswordLoginは、trueかfalseを指定してください。",
			"isEnabledPasswordLogin", "yes"),
		c("first error is the message", 422, "name", "nameは必須項目です。", "name", absent, "role", absent),
	})
}

func TestUserUpdateValidation(t *testing.T) {
	c := func(name, path, body string, status int, key, msg string) vcase {
		return vcase{name, "PUT", path, body, status, key, msg}
	}
	runCases(t, []vcase{
		c("empty body", "/users/$U2", `{}`, 200, "", ""),
		c("name empty", "/users/$U2", `{"name":""}`, 422, "name", "nameは必須項目です。"),
		c("name 41", "/users/$U2", `{"name":"`+a41+`"}`, 422, "name", "nameは、40文字以下で指定してください。"),
		c("mail taken", "/users/$U2", `{"mail":"taken@example.com"}`, 422, "mail", "mailの値は既に存在しています。"),
		c("own mail", "/users/$U1", `{"mail":"taken@example.com"}`, 200, "", ""),
		c("loginId taken", "/users/$U1", `{"loginId":"other"}`, 422, "loginId", "loginIdの値は既に存在しています。"),
		c("clearing the only login", "/users/$U2", `{"loginId":""}`, 422, "loginId", ""),
		c("clearing the only login names mail", "/users/$U2", `{"loginId":""}`, 422, "mail", "loginIdを指定しない場合は、mailを指定してください。"),
		c("clearing loginId with mail kept", "/users/$U1", `{"loginId":""}`, 200, "", ""),
		c("notification bad item", "/users/$U2", `{"notification":["mail","fax"]}`, 422, "notification.1", "選択されたnotification.1は、有効ではありません。"),
		c("notification not array", "/users/$U2", `{"notification":"mail"}`, 422, "notification", "notificationは配列で指定してください。"),
		c("notification ok", "/users/$U2", `{"notification":["mail","slack"]}`, 200, "", ""),
		c("isSuspended string", "/users/$U2", `{"isSuspended":"true"}`, 422, "isSuspended", "isSuspendedは、trueかfalseを指定してください。"),
		c("lock account", "/users/$U2", `{"isAccountLocked":true}`, 422, "isAccountLocked", "選択されたisAccountLockedは、有効ではありません。"),
		c("unlock account", "/users/$U2", `{"isAccountLocked":false}`, 200, "", ""),
		c("license unknown", "/users/$U2", `{"license":"gold"}`, 422, "license", "選択されたlicenseは、有効ではありません。"),
		c("license null", "/users/$U2", `{"license":null}`, 422, "license", "licenseは必須項目です。"),
		c("role empty", "/users/$U2", `{"role":""}`, 422, "role", "roleは必須項目です。"),
		c("gender cleared", "/users/$U2", `{"gender":""}`, 200, "", ""),
		c("gender 3", "/users/$U2", `{"gender":3}`, 422, "gender", "選択されたgenderは、有効ではありません。"),
		c("member orgs bad prefix", "/users/$U2", `{"memberOrganizationIds":["$ORG","grp_x"]}`, 422, "memberOrganizationIds.1",
			"memberOrganizationIds.1には、org_で始まる値を指定してください。"),
		c("admin orgs unknown", "/users/$U2", `{"adminOrganizationIds":["org_AAAAAAAAAAAAAAAA"]}`, 422, "adminOrganizationIds.0",
			"選択されたadminOrganizationIds.0は正しくありません。"),
		c("slack 16", "/users/$U2", `{"slackMemberId":"UUUUUUUUUUUUUUUU"}`, 422, "slackMemberId", ""),
		c("birthday bad", "/users/$U2", `{"birthday":"19810101"}`, 422, "birthday", "birthdayはY-m-d形式で指定してください。"),
		c("unknown user", "/users/usr_AAAAAAAAAAAAAAAA", `{}`, 404, "", ""),
		{"patch", "PATCH", "/users/$U2", `{"name":"x"}`, 200, "", ""},
	})
}

func TestOrgValidation(t *testing.T) {
	base := map[string]any{"name": "新組織", "parentId": "$ROOT", "adminUserIds": []string{}, "isPublic": true, "isEnableDiscussion": true}
	c := func(name string, status int, key, msg string, kv ...any) vcase {
		return vcase{name, "POST", "/organizations", with(base, kv...), status, key, msg}
	}
	u := func(name, path, body string, status int, key, msg string) vcase {
		return vcase{name, "PUT", path, body, status, key, msg}
	}
	runCases(t, []vcase{
		c("ok", 200, "", ""),
		c("name missing", 422, "name", "nameは必須項目です。", "name", absent),
		c("name 41", 422, "name", "nameは、40文字以下で指定してください。", "name", a41),
		c("code 10", 200, "", "", "code", "abcdefghij"),
		c("code 11", 422, "code", "codeは、10文字以下で指定してください。", "code", "abcdefghijk"),
		c("code taken", 422, "code", "codeの値は既に存在しています。", "code", "taken"),
		c("parent missing", 422, "parentId", "parentIdは必須項目です。", "parentId", absent),
		c("parent bad prefix", 422, "parentId", "parentIdには、org_で始まる値を指定してください。", "parentId", "$GRP"),
		c("parent unknown", 422, "parentId", "選択されたparentIdは正しくありません。", "parentId", "org_AAAAAAAAAAAAAAAA"),
		c("admins missing", 422, "adminUserIds", "adminUserIdsは必須項目です。", "adminUserIds", absent),
		c("admins not array", 422, "adminUserIds", "adminUserIdsは配列で指定してください。", "adminUserIds", "$U1"),
		c("admins second not usr_", 422, "adminUserIds.1", "adminUserIds.1には、usr_で始まる値を指定してください。",
			"adminUserIds", []string{"$U1", "org_x"}),
		c("admins second unknown", 422, "adminUserIds.1", "選択されたadminUserIds.1は正しくありません。",
			"adminUserIds", []string{"$U1", "usr_AAAAAAAAAAAAAAAA"}),
		c("admins ok", 200, "", "", "adminUserIds", []string{"$U1", "$U2"}),
		c("isPublic missing", 422, "isPublic", "isPublicは必須項目です。", "isPublic", absent),
		c("isPublic string", 422, "isPublic", "isPublicは、trueかfalseを指定してください。", "isPublic", "true"),
		c("isPublic number", 422, "isPublic", "isPublicは、trueかfalseを指定してください。", "isPublic", 1),
		c("startDate bad", 422, "startDate", "startDateはY-m-d形式で指定してください。", "startDate", "2022-4-1"),
		c("endDate bad", 422, "endDate", "endDateはY-m-d形式で指定してください。", "endDate", "2023-13-01"),
		c("endDate before startDate", 422, "endDate", "endDateには、startDate以降の日付を指定してください。",
			"startDate", "2023-04-01", "endDate", "2022-04-01"),
		c("dates ok", 200, "", "", "startDate", "2022-04-01", "endDate", "2023-04-01"),
		c("no discussion setting", 422, "isEnableDiscussion", "isEnableKnowledgeを指定しない場合は、isEnableDiscussionを指定してください。",
			"isEnableDiscussion", absent),
		c("deprecated knowledge only", 200, "", "", "isEnableDiscussion", absent, "isEnableKnowledge", false),
		c("knowledge not bool", 422, "isEnableKnowledge", "isEnableKnowledgeは、trueかfalseを指定してください。",
			"isEnableDiscussion", absent, "isEnableKnowledge", "no"),
		c("knowledge ignored beside discussion", 200, "", "", "isEnableKnowledge", "no"),
		c("discussion not bool", 422, "isEnableDiscussion", "isEnableDiscussionは、trueかfalseを指定してください。",
			"isEnableDiscussion", "yes", "isEnableKnowledge", true),
		c("description 1001", 422, "description", "descriptionは、1000文字以下で指定してください。", "description", x1001),

		u("update empty", "/organizations/$ORG", `{}`, 200, "", ""),
		u("update name empty", "/organizations/$ORG", `{"name":""}`, 422, "name", "nameは必須項目です。"),
		u("update own code", "/organizations/$ORG", `{"code":"taken"}`, 200, "", ""),
		u("update code taken", "/organizations/$CHILD", `{"code":"taken"}`, 422, "code", "codeの値は既に存在しています。"),
		u("move under itself", "/organizations/$ORG", `{"parentId":"$ORG"}`, 422, "parentId", "parentIdには、自身または配下の組織を指定できません。"),
		u("move under descendant", "/organizations/$ORG", `{"parentId":"$CHILD"}`, 422, "parentId", "parentIdには、自身または配下の組織を指定できません。"),
		u("move to root", "/organizations/$CHILD", `{"parentId":"$ROOT"}`, 200, "", ""),
		u("parent empty", "/organizations/$CHILD", `{"parentId":""}`, 422, "parentId", "parentIdは必須項目です。"),
		u("parent unknown", "/organizations/$CHILD", `{"parentId":"org_AAAAAAAAAAAAAAAA"}`, 422, "parentId", "選択されたparentIdは正しくありません。"),
		u("isPublic null", "/organizations/$ORG", `{"isPublic":null}`, 422, "isPublic", "isPublicは必須項目です。"),
		u("dates cleared", "/organizations/$ORG", `{"startDate":"","endDate":""}`, 200, "", ""),
		u("unknown org", "/organizations/org_AAAAAAAAAAAAAAAA", `{}`, 404, "", ""),

		u("root name", "/organizations/$ROOT", `{"name":"本社","code":"hq","description":"全社"}`, 200, "", ""),
		u("root parent", "/organizations/$ROOT", `{"parentId":"$ORG"}`, 422, "parentId", "ルート組織のparentIdは変更できません。"),
		u("root parent null", "/organizations/$ROOT", `{"parentId":null}`, 422, "parentId", "ルート組織のparentIdは変更できません。"),
		u("root isPublic", "/organizations/$ROOT", `{"isPublic":true}`, 422, "isPublic", "ルート組織のisPublicは変更できません。"),
		u("root startDate", "/organizations/$ROOT", `{"startDate":"2022-04-01"}`, 422, "startDate", "ルート組織のstartDateは変更できません。"),
		u("root endDate", "/organizations/$ROOT", `{"endDate":""}`, 422, "endDate", "ルート組織のendDateは変更できません。"),
		u("root discussion", "/organizations/$ROOT", `{"isEnableDiscussion":false}`, 422, "isEnableDiscussion", "ルート組織のisEnableDiscussionは変更できません。"),
		u("root knowledge", "/organizations/$ROOT", `{"isEnableKnowledge":false}`, 422, "isEnableKnowledge", "ルート組織のisEnableKnowledgeは変更できません。"),
		{"root delete", "DELETE", "/organizations/$ROOT", "", 422, "organizationId", "ルート組織は削除できません。"},
		{"delete unknown", "DELETE", "/organizations/org_AAAAAAAAAAAAAAAA", "", 404, "", ""},
	})
}

func TestGroupValidation(t *testing.T) {
	base := map[string]any{"name": "新グループ", "organizationId": "$ORG", "isViewableMember": true, "isEnableDiscussion": true}
	c := func(name string, status int, key, msg string, kv ...any) vcase {
		return vcase{name, "POST", "/groups", with(base, kv...), status, key, msg}
	}
	u := func(name, path, body string, status int, key, msg string) vcase {
		return vcase{name, "PUT", path, body, status, key, msg}
	}
	runCases(t, []vcase{
		c("ok", 200, "", ""),
		c("name missing", 422, "name", "nameは必須項目です。", "name", absent),
		c("name 41", 422, "name", "nameは、40文字以下で指定してください。", "name", a41),
		c("code 11", 422, "code", "codeは、10文字以下で指定してください。", "code", "abcdefghijk"),
		c("code taken", 422, "code", "codeの値は既に存在しています。", "code", "taken"),
		c("code everyone", 422, "code", "codeの値は既に存在しています。", "code", "everyone"),
		c("org code is not a group code", 200, "", "", "code", "hq"),
		c("org missing", 422, "organizationId", "organizationIdは必須項目です。", "organizationId", absent),
		c("org bad prefix", 422, "organizationId", "organizationIdには、org_で始まる値を指定してください。", "organizationId", "$U1"),
		c("org unknown", 422, "organizationId", "選択されたorganizationIdは正しくありません。", "organizationId", "org_AAAAAAAAAAAAAAAA"),
		c("viewable missing", 422, "isViewableMember", "isViewableMemberは必須項目です。", "isViewableMember", absent),
		c("viewable not bool", 422, "isViewableMember", "isViewableMemberは、trueかfalseを指定してください。", "isViewableMember", "1"),
		c("no discussion setting", 422, "isEnableDiscussion", "isEnableKnowledgeを指定しない場合は、isEnableDiscussionを指定してください。",
			"isEnableDiscussion", absent),
		c("deprecated knowledge only", 200, "", "", "isEnableDiscussion", absent, "isEnableKnowledge", true),
		c("description 1001", 422, "description", "descriptionは、1000文字以下で指定してください。", "description", x1001),

		u("update name empty", "/groups/$GRP", `{"name":""}`, 422, "name", "nameは必須項目です。"),
		u("update own code", "/groups/$GRP", `{"code":"taken"}`, 200, "", ""),
		u("update org unknown", "/groups/$GRP", `{"organizationId":"org_AAAAAAAAAAAAAAAA"}`, 422, "organizationId", ""),
		u("update move", "/groups/$GRP", `{"organizationId":"$CHILD","isViewableMember":false}`, 200, "", ""),

		u("everyone viewable", "/groups/$EVERY", `{"isViewableMember":false}`, 200, "", ""),
		u("everyone name", "/groups/$EVERY", `{"name":"皆"}`, 422, "name", "全員グループのnameは変更できません。"),
		u("everyone code", "/groups/$EVERY", `{"code":"all"}`, 422, "code", "全員グループのcodeは変更できません。"),
		u("everyone org", "/groups/$EVERY", `{"organizationId":"$ORG"}`, 422, "organizationId", "全員グループのorganizationIdは変更できません。"),
		u("everyone discussion", "/groups/$EVERY", `{"isEnableDiscussion":true}`, 422, "isEnableDiscussion", "全員グループのisEnableDiscussionは変更できません。"),
		u("everyone knowledge", "/groups/$EVERY", `{"isEnableKnowledge":true}`, 422, "isEnableKnowledge", "全員グループのisEnableKnowledgeは変更できません。"),
		u("everyone description", "/groups/$EVERY", `{"description":"x"}`, 422, "description", "全員グループのdescriptionは変更できません。"),
		{"everyone delete", "DELETE", "/groups/$EVERY", "", 422, "groupId", "全員グループは削除できません。"},
		{"delete", "DELETE", "/groups/$GRP", "", 204, "", ""},
	})
}

func TestMemberValidation(t *testing.T) {
	c := func(name, method, path, body string, status int, key, msg string) vcase {
		return vcase{name, method, path, body, status, key, msg}
	}
	const ou, gu = "/organizations/$ORG/users", "/groups/$GRP/users"
	runCases(t, []vcase{
		c("org add", "POST", ou, `{"userId":"$U2","role":"member"}`, 204, "", ""),
		c("org add no user", "POST", ou, `{"role":"member"}`, 422, "userId", "userIdは必須項目です。"),
		c("org add no role", "POST", ou, `{"userId":"$U2"}`, 422, "role", "roleは必須項目です。"),
		c("org add bad role", "POST", ou, `{"userId":"$U2","role":"owner"}`, 422, "role", "選択されたroleは、有効ではありません。"),
		c("org add bad prefix", "POST", ou, `{"userId":"$ORG","role":"member"}`, 422, "userId", "userIdには、usr_で始まる値を指定してください。"),
		c("org add unknown user", "POST", ou, `{"userId":"usr_AAAAAAAAAAAAAAAA","role":"member"}`, 422, "userId", "選択されたuserIdは正しくありません。"),
		c("org add existing member", "POST", ou, `{"userId":"$U1","role":"member"}`, 422, "userId", "userIdの値は既に存在しています。"),
		c("org add unknown org", "POST", "/organizations/org_AAAAAAAAAAAAAAAA/users", `{"userId":"$U2","role":"member"}`, 404, "", ""),
		c("org update", "PUT", ou, `{"userId":"$U1","role":"member"}`, 204, "", ""),
		c("org update non-member", "PUT", ou, `{"userId":"$U2","role":"admin"}`, 404, "", ""),
		c("org update bad role", "PUT", ou, `{"userId":"$U1","role":"x"}`, 422, "role", ""),
		c("org remove", "DELETE", ou, `{"userId":"$U1"}`, 204, "", ""),
		c("org remove non-member", "DELETE", ou, `{"userId":"$U2"}`, 404, "", ""),
		c("org remove no user", "DELETE", ou, `{}`, 422, "userId", "userIdは必須項目です。"),
		c("root remove last org", "DELETE", "/organizations/$ROOT/users", `{"userId":"$U2"}`, 422, "userId", "userIdは少なくとも1つの組織に所属している必要があります。"),

		c("group add", "POST", gu, `{"userId":"$U2","role":"member"}`, 204, "", ""),
		c("group add existing", "POST", gu, `{"userId":"$U1","role":"member"}`, 422, "userId", "userIdの値は既に存在しています。"),
		c("group add bad role", "POST", gu, `{"userId":"$U2","role":"owner"}`, 422, "role", ""),
		c("group update", "PUT", gu, `{"userId":"$U1","role":"member"}`, 204, "", ""),
		c("group update non-member", "PUT", gu, `{"userId":"$U2","role":"member"}`, 404, "", ""),
		c("group remove", "DELETE", gu, `{"userId":"$U1"}`, 204, "", ""),
		c("group remove non-member", "DELETE", gu, `{"userId":"$U2"}`, 404, "", ""),
		c("everyone add", "POST", "/groups/$EVERY/users", `{"userId":"$U2","role":"member"}`, 422, "userId", "userIdの値は既に存在しています。"),
		c("everyone update", "PUT", "/groups/$EVERY/users", `{"userId":"$U2","role":"admin"}`, 422, "groupId", "全員グループのユーザは変更できません。"),
		c("everyone remove", "DELETE", "/groups/$EVERY/users", `{"userId":"$U2"}`, 422, "groupId", "全員グループのユーザは変更できません。"),
	})
}
