package emulator_test

import (
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// withReadings is unlimited() serving the named readings.
func withReadings(t *testing.T, names ...string) emulator.Options {
	t.Helper()
	set, err := emulator.Readings.Parse(names)
	if err != nil {
		t.Fatal(err)
	}
	o := unlimited()
	o.Readings = set
	return o
}

func TestReadingsCatalogue(t *testing.T) {
	for _, r := range emulator.Readings {
		if !strings.HasPrefix(r.Seed, "003:") || r.Doc == "" {
			t.Errorf("reading %s: seed %q, doc %q: want a 003:LINE quote and a doc", r.Name, r.Seed, r.Doc)
		}
	}
	if _, err := emulator.Readings.Parse([]string{"no-such-reading"}); err == nil {
		t.Error("an unknown reading was accepted")
	}
	// Every reading is served together with every other but the two shapes
	// of meta: two "all" sets, each without one of them.
	combos := emulator.Readings.Combinations()
	if len(combos) != len(emulator.Readings)+3 {
		t.Fatalf("%d combinations, want the default, %d alone and two all sets", len(combos), len(emulator.Readings))
	}
	covered := map[string]bool{}
	for _, all := range combos[len(combos)-2:] {
		if len(all) != len(emulator.Readings)-1 {
			t.Errorf("an all set is %v, want all %d readings but one", all, len(emulator.Readings))
		}
		for _, n := range all {
			covered[n] = true
		}
	}
	if len(covered) != len(emulator.Readings) {
		t.Errorf("the all sets cover %v, want every reading", covered)
	}
	if _, err := emulator.Readings.Parse([]string{emulator.ReadingMetaSnakeCase, emulator.ReadingMetaPageLimit}); err == nil {
		t.Error("meta-snake-case and meta-page-limit were served together")
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range emulator.Readings {
		if !strings.Contains(string(doc), "  - "+r.Name+":") {
			t.Errorf("the package doc's Readings section does not list %s", r.Name)
		}
	}
}

// Each reading changes what its Doc says and nothing when it is off.
func TestReadings(t *testing.T) {
	tests := []struct {
		reading string
		// check runs against an emulator serving the reading (on) and one
		// serving the default (off).
		check func(t *testing.T, e *env, on bool)
	}{
		{emulator.ReadingAdminsRequired, func(t *testing.T, e *env, on bool) {
			body := map[string]any{"name": "営業部", "parentId": e.srv.RootOrgID(), "adminUserIds": []string{}, "isPublic": true, "isEnableDiscussion": true}
			r := e.do(http.MethodPost, "/organizations", body)
			msg, named := r.errMsg("adminUserIds")
			if on != (r.status == http.StatusUnprocessableEntity && named && msg == "adminUserIdsは必須項目です。") {
				t.Errorf("POST /organizations with adminUserIds []: %d %s", r.status, r.raw)
			}
			admins := e.do(http.MethodGet, "/users?role=admin", nil).list()
			if on != (len(admins) == 1 && admins[0]["loginId"] == emulator.TenantAdminLoginID && admins[0]["id"] == e.srv.TenantAdminID()) {
				t.Errorf("global administrators at the start: %v", admins)
			}
			if on {
				body["adminUserIds"] = []string{e.srv.TenantAdminID()}
				org := e.create("/organizations", body)
				if got := strs(e.do(http.MethodGet, "/organizations/"+org, nil).data()["adminUserIds"]); !equal(got, []string{e.srv.TenantAdminID()}) {
					t.Errorf("adminUserIds of the new organization = %v", got)
				}
			}
		}},
		{emulator.ReadingSlidingWindow, func(t *testing.T, e *env, on bool) {
			// Limit 2: the token call at 0 s and a request at 40 s; at 61 s
			// the fixed window (opened at 0 s) has closed, the sliding one
			// still holds the request of 40 s.
			e.clk.Add(40 * time.Second)
			e.do(http.MethodGet, "/users", nil)
			e.clk.Add(21 * time.Second)
			first := e.do(http.MethodGet, "/users", nil).status
			second := e.do(http.MethodGet, "/users", nil).status
			if on != (first == http.StatusOK && second == http.StatusTooManyRequests) {
				t.Errorf("after 61 s: %d then %d", first, second)
			}
			if !on && (first != http.StatusOK || second != http.StatusOK) {
				t.Errorf("fixed window after 61 s: %d then %d, want a fresh window", first, second)
			}
		}},
		{emulator.ReadingTokenShort, func(t *testing.T, e *env, on bool) {
			r := e.tokenResp(tokenForm())
			want := 3600.0
			if on {
				want = 20
			}
			if r.body["expires_in"] != want {
				t.Errorf("expires_in = %v, want %v", r.body["expires_in"], want)
			}
			tok := r.body["access_token"].(string)
			e.clk.Add(21 * time.Second)
			if got := e.send(http.MethodGet, "/users", nil, tok, nil).status; on != (got == http.StatusUnauthorized) {
				t.Errorf("a token 21 s old: %d", got)
			}
		}},
		{emulator.ReadingUsersActiveDefault, func(t *testing.T, e *env, on bool) {
			id := e.newUser("停止 太郎", "stopped", nil)
			e.mustStatus(http.StatusOK, http.MethodPut, "/users/"+id, map[string]any{"isSuspended": true})
			e.newUser("使用 花子", "active", nil)
			if n := len(e.do(http.MethodGet, "/users", nil).list()); on != (n == 1) {
				t.Errorf("GET /users lists %d users", n)
			}
			if n := len(e.do(http.MethodGet, "/users?status=1,2,3", nil).list()); n != 2 {
				t.Errorf("GET /users?status=1,2,3 lists %d users, want 2", n)
			}
		}},
		{emulator.ReadingMetaSnakeCase, func(t *testing.T, e *env, on bool) {
			for _, l := range []string{"a", "b", "c"} {
				e.newUser("利用者 "+l, l, nil)
			}
			m := e.do(http.MethodGet, "/users?limit=2&page=2", nil).meta()
			snake := m["last_page"] == 2.0 && m["current_page"] == 2.0 && m["per_page"] == 2.0 && m["total"] == 3.0 &&
				m["from"] == 3.0 && m["to"] == 3.0 && m["lastPage"] == nil
			camel := m["lastPage"] == 2.0 && m["currentPage"] == 2.0 && m["perPage"] == 2.0 && m["total"] == 3.0
			if on != snake || on == camel {
				t.Errorf("meta = %v", m)
			}
		}},
		{emulator.ReadingUserOrgsAbsent, func(t *testing.T, e *env, on bool) {
			org := e.newOrg("営業部", e.srv.RootOrgID())
			id := e.newUser("山田 太郎", "yamada", map[string]any{"memberOrganizationIds": []string{org}})
			for _, u := range []map[string]any{e.do(http.MethodGet, "/users/"+id, nil).data(), e.do(http.MethodGet, "/users", nil).list()[0]} {
				_, m := u["memberOrganizationIds"]
				_, a := u["adminOrganizationIds"]
				if on == (m || a) {
					t.Errorf("user object: memberOrganizationIds %t, adminOrganizationIds %t", m, a)
				}
			}
			rows := e.do(http.MethodGet, "/organizations/"+org+"/users", nil).list()
			if len(rows) != 1 || rows[0]["role"] != "member" {
				t.Errorf("organization users = %v", rows)
			}
		}},
		{emulator.ReadingSuspensionAsStatus, func(t *testing.T, e *env, on bool) {
			id := e.newUser("停止 太郎", "stopped", nil)
			u := e.mustStatus(http.StatusOK, http.MethodPut, "/users/"+id, map[string]any{"isSuspended": true}).data()
			_, has := u["isSuspended"]
			if on == has || u["status"] != 2.0 {
				t.Errorf("suspended user: isSuspended present %t, status %v", has, u["status"])
			}
		}},
		{emulator.ReadingMemberRowsUserID, func(t *testing.T, e *env, on bool) {
			id := e.newUser("山田 太郎", "yamada", nil)
			row := e.do(http.MethodGet, "/organizations/"+e.srv.RootOrgID()+"/users", nil).list()[0]
			grp := e.do(http.MethodGet, "/groups/"+e.srv.EveryoneGroupID()+"/users", nil).list()[0]
			for _, r := range []map[string]any{row, grp} {
				if on != (r["userId"] == id && r["id"] == nil) || !on && r["id"] != id {
					t.Errorf("member row = %v", r)
				}
			}
		}},
		{emulator.ReadingEveryoneNoCode, func(t *testing.T, e *env, on bool) {
			g := e.do(http.MethodGet, "/groups/"+e.srv.EveryoneGroupID(), nil).data()
			if on != (g["code"] == nil) || g["name"] != "全員" {
				t.Errorf("everyone group = %v", g)
			}
		}},
		{emulator.ReadingWritesAnswer200, func(t *testing.T, e *env, on bool) {
			id := e.newUser("山田 太郎", "yamada", nil)
			org := e.newOrg("営業部", e.srv.RootOrgID())
			want := http.StatusNoContent
			if on {
				want = http.StatusOK
			}
			for _, call := range []struct {
				method, path string
				body         any
			}{
				{http.MethodPost, "/organizations/" + org + "/users", map[string]any{"userId": id, "role": "member"}},
				{http.MethodPut, "/organizations/" + org + "/users", map[string]any{"userId": id, "role": "admin"}},
				{http.MethodDelete, "/organizations/" + org + "/users", map[string]any{"userId": id}},
				{http.MethodDelete, "/organizations/" + org, nil},
				{http.MethodDelete, "/users/" + id, nil},
			} {
				r := e.mustStatus(want, call.method, call.path, call.body)
				if on && r.body["message"] != "正常に処理が行われました。" {
					t.Errorf("%s %s: body %s", call.method, call.path, r.raw)
				}
			}
			// A refused write still answers its error.
			e.mustStatus(http.StatusNotFound, http.MethodDelete, "/users/"+id, nil)
		}},
		{emulator.ReadingUpdatesPatchOnly, func(t *testing.T, e *env, on bool) {
			root := e.srv.RootOrgID()
			id := e.newUser("山田 太郎", "yamada", nil)
			org := e.newOrg("営業部", root)
			grp := e.create("/groups", map[string]any{"name": "新人研修", "organizationId": org, "isViewableMember": true, "isEnableDiscussion": false})
			e.mustStatus(http.StatusNoContent, http.MethodPost, "/organizations/"+org+"/users", map[string]any{"userId": id, "role": "member"})
			e.mustStatus(http.StatusNoContent, http.MethodPost, "/groups/"+grp+"/users", map[string]any{"userId": id, "role": "member"})
			put, patch := http.StatusOK, http.StatusOK
			if on {
				put = http.StatusMethodNotAllowed
			}
			for _, c := range []struct{ path, key string }{{"/users/" + id, "position"}, {"/organizations/" + org, "description"}, {"/groups/" + grp, "description"}} {
				r := e.do(http.MethodPut, c.path, map[string]any{c.key: "put"})
				if r.status != put || on && r.header.Get("Allow") != "GET, PATCH, DELETE" {
					t.Errorf("PUT %s: %d, Allow %q", c.path, r.status, r.header.Get("Allow"))
				}
				if r := e.do(http.MethodPatch, c.path, map[string]any{c.key: "patch"}); r.status != patch || r.data()[c.key] != "patch" {
					t.Errorf("PATCH %s: %d %s", c.path, r.status, r.raw)
				}
			}
			put, patch = http.StatusNoContent, http.StatusMethodNotAllowed
			if on {
				put, patch = patch, put
			}
			for _, path := range []string{"/organizations/" + org + "/users", "/groups/" + grp + "/users"} {
				if r := e.do(http.MethodPut, path, map[string]any{"userId": id, "role": "admin"}); r.status != put {
					t.Errorf("PUT %s: %d %s", path, r.status, r.raw)
				}
				if r := e.do(http.MethodPatch, path, map[string]any{"userId": id, "role": "admin"}); r.status != patch {
					t.Errorf("PATCH %s: %d %s", path, r.status, r.raw)
				}
				rows := e.do(http.MethodGet, path, nil).list()
				if len(rows) != 1 || rows[0]["role"] != "admin" {
					t.Errorf("%s after the update: %v", path, rows)
				}
			}
		}},
		{emulator.ReadingRateLimitNoRetry, func(t *testing.T, e *env, on bool) {
			// Limit 2: the token call and one request, then the limiter's
			// 429; a minute later an injected one.
			e.do(http.MethodGet, "/users", nil)
			limited := e.do(http.MethodGet, "/users", nil)
			e.clk.Add(61 * time.Second)
			e.srv.SetFaults(emulator.Faults{Rate429: 1, Seed: 1})
			injected := e.do(http.MethodGet, "/users", nil)
			for _, r := range []result{limited, injected} {
				h := r.header
				if r.status != http.StatusTooManyRequests || h.Get("X-RateLimit-Limit") != "2" || h.Get("X-RateLimit-Remaining") != "0" {
					t.Errorf("429 expected with the two named headers: %d %v", r.status, h)
				}
				if on != (h.Get("Retry-After") == "") {
					t.Errorf("Retry-After %q", h.Get("Retry-After"))
				}
			}
			if on != (limited.header.Get("X-RateLimit-Reset") == "") {
				t.Errorf("the limiter's 429: X-RateLimit-Reset %q", limited.header.Get("X-RateLimit-Reset"))
			}
		}},
		{emulator.ReadingMetaPageLimit, func(t *testing.T, e *env, on bool) {
			for _, l := range []string{"a", "b", "c"} {
				e.newUser("利用者 "+l, l, nil)
			}
			r := e.do(http.MethodGet, "/users?limit=2&page=2", nil)
			m := r.meta()
			pageLimit := len(m) == 3 && m["page"] == 2.0 && m["limit"] == 2.0 && m["total"] == 3.0
			camel := m["lastPage"] == 2.0 && m["currentPage"] == 2.0 && m["perPage"] == 2.0 && m["total"] == 3.0
			if on != pageLimit || on == camel || len(r.list()) != 1 {
				t.Errorf("meta = %v, %d rows", m, len(r.list()))
			}
			if m := e.do(http.MethodGet, "/organizations/"+e.srv.RootOrgID()+"/users?limit=2&page=3", nil).meta(); on != (m["page"] == 3.0 && m["total"] == 3.0) {
				t.Errorf("a member list past its end: meta = %v", m)
			}
		}},
		{emulator.ReadingEmptyListsNoOrg, func(t *testing.T, e *env, on bool) {
			root := e.srv.RootOrgID()
			org := e.newOrg("営業部", root)
			inRoot := func(id string) bool {
				for _, row := range e.do(http.MethodGet, "/organizations/"+root+"/users", nil).list() {
					if row["id"] == id {
						return true
					}
				}
				return false
			}
			absent := e.newUser("未指定 太郎", "absent", nil)
			if !inRoot(absent) {
				t.Error("a user created without memberOrganizationIds is not in the root")
			}
			empty := e.newUser("空 花子", "empty", map[string]any{"memberOrganizationIds": []string{}, "adminOrganizationIds": []string{}})
			if on == inRoot(empty) {
				t.Errorf("a user created with both lists empty: in the root %t", inRoot(empty))
			}
			e.mustStatus(http.StatusOK, http.MethodPatch, "/users/"+empty, map[string]any{"memberOrganizationIds": []string{org}})
			e.mustStatus(http.StatusOK, http.MethodPatch, "/users/"+empty, map[string]any{"memberOrganizationIds": []string{}})
			if on == inRoot(empty) {
				t.Errorf("a user updated to both lists empty: in the root %t", inRoot(empty))
			}
			e.mustStatus(http.StatusNoContent, http.MethodPost, "/organizations/"+org+"/users", map[string]any{"userId": absent, "role": "member"})
			e.mustStatus(http.StatusNoContent, http.MethodDelete, "/organizations/"+root+"/users", map[string]any{"userId": absent})
			e.mustStatus(http.StatusNoContent, http.MethodDelete, "/organizations/"+org+"/users", map[string]any{"userId": absent})
			if on == inRoot(absent) {
				t.Errorf("a user removed from its last organization: in the root %t", inRoot(absent))
			}
			want := http.StatusUnprocessableEntity
			if on {
				want = http.StatusNoContent
			}
			if on {
				e.mustStatus(http.StatusNoContent, http.MethodPost, "/organizations/"+root+"/users", map[string]any{"userId": absent, "role": "member"})
			}
			e.mustStatus(want, http.MethodDelete, "/organizations/"+root+"/users", map[string]any{"userId": absent})
		}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.reading] = true
		for _, on := range []bool{false, true} {
			name := tt.reading + "/off"
			if on {
				name = tt.reading + "/on"
			}
			t.Run(name, func(t *testing.T) {
				opts := unlimited()
				if tt.reading == emulator.ReadingSlidingWindow || tt.reading == emulator.ReadingRateLimitNoRetry {
					opts.RateLimit = 2
				}
				if on {
					set, err := emulator.Readings.Parse([]string{tt.reading})
					if err != nil {
						t.Fatal(err)
					}
					opts.Readings = set
				}
				tt.check(t, newEnv(t, opts), on)
			})
		}
	}
	for _, name := range emulator.Readings.Names() {
		if !seen[name] {
			t.Errorf("reading %s has no test", name)
		}
	}
}

func tokenForm() map[string][]string {
	return map[string][]string{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
}

// dumpFixture builds a small tenant through the API: two organizations, a
// user in each (one an admin, one suspended), a group with a member. Under
// admins-required the organizations name the tenant's administrator, as a
// client would.
func dumpFixture(t *testing.T, e *env) {
	t.Helper()
	var admins []string
	if id := e.srv.TenantAdminID(); id != "" {
		admins = []string{id}
	}
	hq := e.newOrg("本社", e.srv.RootOrgID(), admins...)
	sales := e.newOrg("営業部", hq, admins...)
	yamada := e.newUser("山田 太郎", "yamada", map[string]any{"mail": "yamada@example.com", "adminOrganizationIds": []string{hq},
		"memberOrganizationIds": []string{}, "department": "本社", "gender": 0})
	sato := e.newUser("佐藤 花子", "sato", map[string]any{"memberOrganizationIds": []string{sales}, "license": "basic"})
	e.mustStatus(http.StatusOK, http.MethodPatch, "/users/"+sato, map[string]any{"isSuspended": true})
	grp := e.create("/groups", map[string]any{"name": "新人研修", "code": "training", "organizationId": hq,
		"isViewableMember": true, "isEnableDiscussion": false})
	e.do(http.MethodPost, "/groups/"+grp+"/users", map[string]any{"userId": yamada, "role": "admin"})
	e.newUser("手作業 次郎", "", map[string]any{"loginId": nil, "mail": "jiro@example.com"})
}

// Dump is canonical: the golden text under the default reading, and the
// same text under every combination of readings.
func TestDumpGoldenUnderEveryReading(t *testing.T) {
	for _, combo := range emulator.Readings.Combinations() {
		name := emukit.Set{}.String()
		if len(combo) > 0 {
			name = strings.Join(combo, "+")
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, withReadings(t, combo...))
			dumpFixture(t, e)
			got := e.srv.Dump()
			// Every combination is held to the one file; only the default
			// reading may rewrite it.
			golden.Check(t, filepath.Join("testdata", "dump.golden"), got, *update && len(combo) == 0)
			if strings.Contains(got, "usr_") || strings.Contains(got, "org_") || strings.Contains(got, "grp_") {
				t.Errorf("Dump holds a generated id:\n%s", got)
			}
		})
	}
}
