package emulator_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/tenantadmin/emulator"
)

func TestAddMemberAsDocumented(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	org := e.createOrg("Engineering", "エンジニアリング部", "")
	r := e.want(e.call("POST", orgs+"/"+org+"/members", map[string]any{"user_id": "usr_1002", "role": "member"}), http.StatusCreated)
	got := sortedCopy(keys(r.body))
	if want := []string{"joined_at", "organization_id", "role", "user_id"}; !slices.Equal(got, want) {
		t.Errorf("add member response fields %v, want the document's %v", got, want)
	}
	if r.str("organization_id") != org || r.str("user_id") != "usr_1002" || r.str("role") != "member" || r.body["joined_at"] != float64(e.clk.Now().Unix()) {
		t.Errorf("add member response %s", r.raw)
	}
	// role defaults to member, null too.
	if r := e.want(e.call("POST", orgs+"/"+org+"/members", `{"user_id":"usr_1003"}`), http.StatusCreated); r.str("role") != "member" {
		t.Errorf("default role %q", r.str("role"))
	}
	if r := e.want(e.call("POST", orgs+"/"+org+"/members", `{"user_id":"usr_1004","role":null}`), http.StatusCreated); r.str("role") != "member" {
		t.Errorf("null role %q", r.str("role"))
	}
	e.addMember(org, "usr_1001", "admin")

	for _, tt := range []struct {
		body  string
		field string
	}{
		{`{}`, "user_id"},
		{`{"user_id":""}`, "user_id"},
		{`{"user_id":7}`, "user_id"},
		{`{"user_id":"usr_9999"}`, "user_id"}, // not a user of the tenant
		{`{"user_id":"usr_1005","role":"owner"}`, "role"},
		{`{"user_id":"usr_1005","role":""}`, "role"},
		{`{"user_id":"usr_1005","role":1}`, "role"},
	} {
		r := e.want(e.call("POST", orgs+"/"+org+"/members", tt.body), http.StatusUnprocessableEntity)
		if _, ok := r.fieldErrors()[tt.field]; !ok || len(r.fieldErrors()) != 1 {
			t.Errorf("POST %s: %s, want one error on %s", tt.body, r.raw, tt.field)
		}
	}
	// Twice: 409 whatever the role (no call changes a role).
	r = e.want(e.call("POST", orgs+"/"+org+"/members", map[string]any{"user_id": "usr_1001", "role": "member"}), http.StatusConflict)
	if r.str("error") != "conflict" {
		t.Errorf("409 body %s", r.raw)
	}
	if m := e.srv.State().Members[org]; len(m) != 4 || m[0].UserID != "usr_1001" || m[0].Role != "admin" {
		t.Errorf("members %+v", m)
	}
	if got := e.want(e.call("GET", orgs+"/"+org, nil), http.StatusOK).body["member_count"]; got != float64(4) {
		t.Errorf("member_count %v", got)
	}
	e.want(e.call("POST", orgs+"/org_none/members", map[string]any{"user_id": "usr_1001"}), http.StatusNotFound)
}

func TestMemberListAndRemove(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	org := e.createOrg("Engineering", "エンジニアリング部", "")
	for i, u := range emulator.DemoUsers() {
		role := "member"
		if i%4 == 0 {
			role = "admin"
		}
		e.addMember(org, u.ID, role)
	}
	// The document's row shape, in user_id order, five at a time.
	var ids []string
	cursor := ""
	for page := 1; ; page++ {
		q := url.Values{"limit": {"5"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		r := e.want(e.call("GET", orgs+"/"+org+"/members?"+q.Encode(), nil), http.StatusOK)
		if r.body["total"] != float64(12) {
			t.Fatalf("total %v", r.body["total"])
		}
		for _, it := range r.items() {
			if want := []string{"email", "joined_at", "name", "organization_role", "user_id"}; !slices.Equal(sortedCopy(keys(it)), want) {
				t.Fatalf("member row %v, want the document's %v", keys(it), want)
			}
			ids = append(ids, it["user_id"].(string))
		}
		if r.body["cursor"] == nil {
			if page != 3 {
				t.Errorf("%d pages, want 3", page)
			}
			break
		}
		cursor = r.str("cursor")
		if raw, _ := base64.RawURLEncoding.DecodeString(cursor); string(raw) != fmt.Sprintf(`{"user_id":%q}`, ids[len(ids)-1]) {
			t.Errorf("cursor %q decodes to %s, want the document's {\"user_id\":…}", cursor, raw)
		}
	}
	if len(ids) != 12 || !slices.IsSorted(ids) {
		t.Errorf("ids %v", ids)
	}
	first := e.want(e.call("GET", orgs+"/"+org+"/members?limit=1", nil), http.StatusOK).items()[0]
	if first["email"] != "taro.yamada@example.co.jp" || first["name"] != "山田 太郎" || first["organization_role"] != "admin" {
		t.Errorf("row %v", first)
	}
	if r := e.want(e.call("GET", orgs+"/"+org+"/members?role=admin", nil), http.StatusOK); len(r.items()) != 3 || r.body["total"] != float64(3) {
		t.Errorf("role=admin: %s", r.raw)
	}
	if r := e.want(e.call("GET", orgs+"/"+org+"/members", nil), http.StatusOK); len(r.items()) != 12 {
		t.Errorf("default limit 20: %d rows", len(r.items()))
	}
	e.want(e.call("GET", orgs+"/"+org+"/members?role=owner", nil), http.StatusBadRequest)
	e.want(e.call("GET", orgs+"/"+org+"/members?limit=101", nil), http.StatusBadRequest)

	r := e.want(e.call("DELETE", orgs+"/"+org+"/members/usr_1002", nil), http.StatusNoContent)
	if len(r.raw) != 0 {
		t.Errorf("204 with a body %s", r.raw)
	}
	e.want(e.call("DELETE", orgs+"/"+org+"/members/usr_1002", nil), http.StatusNotFound)
	e.want(e.call("DELETE", orgs+"/org_none/members/usr_1001", nil), http.StatusNotFound)
	if n := len(e.srv.State().Members[org]); n != 11 {
		t.Errorf("%d members after a removal", n)
	}
}
