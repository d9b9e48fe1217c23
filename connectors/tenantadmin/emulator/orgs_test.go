package emulator_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors/tenantadmin/emulator"
)

// TestCreateOrgAsDocumented posts the document's example and gets its
// response shape: 201, exactly the example's fields, an org_ id.
func TestCreateOrgAsDocumented(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	eng := e.createOrg("Engineering", "エンジニアリング部", "")
	r := e.want(e.call("POST", orgs, map[string]any{
		"name": "DevOps", "display_name": "DevOpsチーム", "description": "インフラストラクチャとDevOps",
		"parent_id": eng, "metadata": map[string]any{"cost_center": "CC-003"},
	}), http.StatusCreated)
	got := keys(r.body)
	slices.Sort(got)
	want := []string{"created_at", "description", "display_name", "id", "member_count", "name", "parent_id"}
	if !slices.Equal(got, want) {
		t.Errorf("create response fields %v, want the document's %v", got, want)
	}
	if !regexp.MustCompile(`^org_[a-z0-9]{12}$`).MatchString(r.str("id")) {
		t.Errorf("id %q is not org_ and 12 lower-case alphanumerics", r.str("id"))
	}
	if r.str("parent_id") != eng || r.body["member_count"] != float64(0) || r.body["created_at"] != float64(e.clk.Now().Unix()) {
		t.Errorf("create response %s", r.raw)
	}
	if loc := r.header.Get("Location"); loc != orgs+"/"+r.str("id") {
		t.Errorf("Location %q", loc)
	}

	d := e.want(e.call("GET", orgs+"/"+r.str("id"), nil), http.StatusOK)
	if d.body["metadata"].(map[string]any)["cost_center"] != "CC-003" || d.body["parent"].(map[string]any)["id"] != eng ||
		len(d.body["children"].([]any)) != 0 || d.str("description") != "インフラストラクチャとDevOps" {
		t.Errorf("detail %s", d.raw)
	}
	top := e.want(e.call("GET", orgs+"/"+eng, nil), http.StatusOK)
	if top.body["parent"] != nil || top.body["parent_id"] != nil || top.body["description"] != nil ||
		len(top.body["metadata"].(map[string]any)) != 0 {
		t.Errorf("top-level detail without description or metadata: %s", top.raw)
	}
	if kids := top.body["children"].([]any); len(kids) != 1 || kids[0].(map[string]any)["name"] != "DevOps" {
		t.Errorf("children %v", kids)
	}
}

func TestOrgValidation(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	parent := e.createOrg("Parent", "親", "")
	tests := []struct {
		name   string
		body   string
		fields []string // in the order reported
	}{
		{"empty body", `{}`, []string{"name", "display_name"}},
		{"name not of the charset (Japanese)", `{"name":"本社","display_name":"本社"}`, []string{"name"}},
		{"name with a space", `{"name":"a b","display_name":"x"}`, []string{"name"}},
		{"name with a dot", `{"name":"a.b","display_name":"x"}`, []string{"name"}},
		{"name empty", `{"name":"","display_name":"x"}`, []string{"name"}},
		{"name null", `{"name":null,"display_name":"x"}`, []string{"name"}},
		{"name a number", `{"name":5,"display_name":"x"}`, []string{"name"}},
		{"display_name blank", `{"name":"ok","display_name":"  "}`, []string{"display_name"}},
		{"description a number", `{"name":"ok","display_name":"x","description":1}`, []string{"description"}},
		{"parent_id unknown", `{"name":"ok","display_name":"x","parent_id":"org_nothere"}`, []string{"parent_id"}},
		{"metadata not an object", `{"name":"ok","display_name":"x","metadata":["a"]}`, []string{"metadata"}},
		{"every field wrong", `{"name":"x y","display_name":"","description":[],"parent_id":"nope","metadata":"m"}`,
			[]string{"name", "display_name", "description", "parent_id", "metadata"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.want(e.call("POST", orgs, tt.body), http.StatusUnprocessableEntity)
			fe := r.fieldErrors()
			if r.str("error") != "validation_failed" || len(fe) != len(tt.fields) {
				t.Fatalf("body %s, want errors on %v", r.raw, tt.fields)
			}
			for _, f := range tt.fields {
				if _, ok := fe[f]; !ok {
					t.Errorf("no error on %s: %s", f, r.raw)
				}
			}
			// The fields in the document's order, the first one's message
			// as the message.
			if at := strings.Index(string(r.raw), `"errors":{"`+tt.fields[0]+`"`); at < 0 {
				t.Errorf("errors do not start with %s: %s", tt.fields[0], r.raw)
			}
			if first := fe[tt.fields[0]].([]any)[0].(string); r.str("message") != first || !strings.Contains(first, tt.fields[0]) {
				t.Errorf("message %q, first error %q", r.str("message"), first)
			}
		})
	}
	// Valid: every charset character, a parent, null optional fields.
	e.want(e.call("POST", orgs, map[string]any{"name": "Az09_-", "display_name": "x", "parent_id": parent, "description": nil, "metadata": nil}), http.StatusCreated)
	if n := len(e.srv.State().Orgs); n != 2 {
		t.Errorf("%d orgs; refused creates left something", n)
	}
}

func TestOrgNameUnique(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	id := e.createOrg("Sales", "営業部", "")
	r := e.want(e.call("POST", orgs, map[string]any{"name": "SALES", "display_name": "営業"}), http.StatusConflict)
	if r.str("error") != "conflict" || !strings.Contains(r.str("message"), id) {
		t.Errorf("conflict body %s", r.raw)
	}
	other := e.createOrg("Dev", "開発部", "")
	e.want(e.call("PUT", orgs+"/"+other, map[string]any{"name": "sales"}), http.StatusConflict)
	e.want(e.call("PUT", orgs+"/"+id, map[string]any{"name": "sales"}), http.StatusOK) // its own name, in another case
}

func TestUpdateIsPartial(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	a := e.createOrg("A", "A部", "")
	b := e.createOrg("B", "B部", a)
	e.want(e.call("PUT", orgs+"/"+b, map[string]any{"description": "説明", "metadata": map[string]any{"k": "v", "n": 1}}), http.StatusOK)
	e.clk.Add(time.Hour)
	r := e.want(e.call("PUT", orgs+"/"+b, map[string]any{"display_name": "B本部"}), http.StatusOK)
	if r.str("display_name") != "B本部" || r.str("name") != "B" || r.str("description") != "説明" || r.str("parent_id") != a ||
		r.body["metadata"].(map[string]any)["k"] != "v" || r.body["updated_at"] == r.body["created_at"] {
		t.Errorf("PUT display_name changed more than display_name: %s", r.raw)
	}
	// metadata is one field: replaced whole. null clears.
	r = e.want(e.call("PUT", orgs+"/"+b, map[string]any{"metadata": map[string]any{"x": "y"}}), http.StatusOK)
	if m := r.body["metadata"].(map[string]any); len(m) != 1 || m["x"] != "y" {
		t.Errorf("metadata %v, want replaced whole", m)
	}
	r = e.want(e.call("PUT", orgs+"/"+b, map[string]any{"description": nil, "parent_id": nil, "metadata": nil}), http.StatusOK)
	if r.body["description"] != nil || r.body["parent_id"] != nil || len(r.body["metadata"].(map[string]any)) != 0 {
		t.Errorf("null did not clear: %s", r.raw)
	}
	e.want(e.call("PUT", orgs+"/"+b, `{}`), http.StatusOK)
	e.want(e.call("PUT", orgs+"/org_nothere", `{}`), http.StatusNotFound)
}

func TestUpdateParentRules(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	a := e.createOrg("A", "A", "")
	b := e.createOrg("B", "B", a)
	c := e.createOrg("C", "C", b)
	for _, tt := range []struct {
		org, body string
		field     string
	}{
		{a, `{"parent_id":"` + a + `"}`, "parent_id"},   // itself
		{a, `{"parent_id":"` + c + `"}`, "parent_id"},   // below it
		{a, `{"parent_id":"org_gone"}`, "parent_id"},    // nothing
		{a, `{"name":null}`, "name"},                    // name cannot be cleared
		{a, `{"name":"日本"}`, "name"},                    // charset
		{a, `{"display_name":""}`, "display_name"},      // required when sent
		{a, `{"display_name":null}`, "display_name"},    // required when sent
		{a, `{"parent_id":3}`, "parent_id"},             // type
		{a, `{"metadata":"not an object"}`, "metadata"}, // type
	} {
		r := e.want(e.call("PUT", orgs+"/"+tt.org, tt.body), http.StatusUnprocessableEntity)
		if _, ok := r.fieldErrors()[tt.field]; !ok {
			t.Errorf("PUT %s: %s, want an error on %s", tt.body, r.raw, tt.field)
		}
	}
	e.want(e.call("PUT", orgs+"/"+c, map[string]any{"parent_id": a}), http.StatusOK) // a move
	if got := e.want(e.call("GET", orgs+"/"+c, nil), http.StatusOK).str("parent_id"); got != a {
		t.Errorf("parent after move %q", got)
	}
}

func TestDeleteOrg(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	a := e.createOrg("A", "A", "")
	b := e.createOrg("B", "B", a)
	e.addMember(b, "usr_1001", "admin")
	r := e.want(e.call("DELETE", orgs+"/"+a, nil), http.StatusConflict)
	if !strings.Contains(r.str("message"), b) {
		t.Errorf("409 does not name the child: %s", r.raw)
	}
	r = e.want(e.call("DELETE", orgs+"/"+b, nil), http.StatusNoContent)
	if len(r.raw) != 0 {
		t.Errorf("204 with a body: %s", r.raw)
	}
	e.want(e.call("DELETE", orgs+"/"+b, nil), http.StatusNotFound)
	e.want(e.call("GET", orgs+"/"+b+"/members", nil), http.StatusNotFound)
	if st := e.srv.State(); len(st.Members) != 0 {
		t.Errorf("the deleted org's memberships stayed: %v", st.Members)
	}
	e.want(e.call("DELETE", orgs+"/"+a, nil), http.StatusNoContent)
}

func TestListOrgsCursor(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	var ids []string
	for i := range 45 {
		ids = append(ids, e.createOrg(fmt.Sprintf("o%02d", i), fmt.Sprintf("組織%02d", i), ""))
	}
	slices.Sort(ids)
	var got []string
	cursor := ""
	pages := 0
	for {
		path := orgs
		if cursor != "" {
			path += "?cursor=" + url.QueryEscape(cursor)
		}
		r := e.want(e.call("GET", path, nil), http.StatusOK)
		pages++
		if want := float64(45 - min(pages-1, 1)); r.body["total"] != want {
			t.Fatalf("page %d: total %v, want %v", pages, r.body["total"], want)
		}
		for _, it := range r.items() {
			got = append(got, it["id"].(string))
		}
		if r.body["cursor"] == nil {
			break
		}
		cursor = r.str("cursor")
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || string(raw) != `{"id":"`+got[len(got)-1]+`"}` {
			t.Fatalf("cursor %q decodes to %q, %v", cursor, raw, err)
		}
		if pages == 1 {
			// A deletion between pages skips nothing.
			e.want(e.call("DELETE", orgs+"/"+got[len(got)-1], nil), http.StatusNoContent)
			ids = slices.DeleteFunc(ids, func(id string) bool { return id == got[len(got)-1] })
			got = got[:len(got)-1]
		}
	}
	if pages != 3 || !slices.Equal(got, ids) {
		t.Errorf("%d pages (default limit 20) with %d ids; want 3 pages with every id once, in order", pages, len(got))
	}
	r := e.want(e.call("GET", orgs+"?limit=100", nil), http.StatusOK)
	if len(r.items()) != 44 || r.body["cursor"] != nil {
		t.Errorf("limit=100: %d items, cursor %v", len(r.items()), r.body["cursor"])
	}
	item := r.items()[0]
	want := []string{"created_at", "description", "display_name", "id", "member_count", "name", "parent_id", "updated_at"}
	if got := keys(item); !slices.Equal(sortedCopy(got), want) {
		t.Errorf("list item fields %v, want the document's %v", sortedCopy(got), want)
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "cursor=%21%21", "cursor=" + base64.RawURLEncoding.EncodeToString([]byte(`{"user_id":"x"}`)), "include_children=maybe"} {
		r := e.want(e.call("GET", orgs+"?"+q, nil), http.StatusBadRequest)
		if r.str("error") != "invalid_request" || len(r.fieldErrors()) != 1 {
			t.Errorf("?%s: %s", q, r.raw)
		}
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func TestListOrgsFilters(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	eng := e.createOrg("Engineering", "エンジニアリング部", "")
	back := e.createOrg("Backend", "バックエンドチーム", eng)
	api := e.createOrg("API", "APIチーム", back)
	sales := e.createOrg("Sales", "営業部", "")
	names := func(q string) []string {
		r := e.want(e.call("GET", orgs+"?"+q, nil), http.StatusOK)
		var out []string
		for _, it := range r.items() {
			out = append(out, it["id"].(string))
		}
		slices.Sort(out)
		return out
	}
	for _, tt := range []struct {
		q    string
		want []string
	}{
		{"", []string{eng, back, api, sales}},
		{"include_children=true", []string{eng, back, api, sales}},
		{"parent_id=" + eng, []string{back}},
		{"parent_id=" + eng + "&include_children=true", []string{back, api}},
		{"parent_id=" + eng + "&include_children=1", []string{back, api}},
		{"search=end", []string{back}},                            // name, case-insensitive
		{"search=" + url.QueryEscape("チーム"), []string{back, api}}, // display_name
		{"search=ENGINEERING", []string{eng}},
		{"parent_id=org_nothing", nil},
	} {
		want := sortedCopy(tt.want)
		if got := names(tt.q); !slices.Equal(got, want) {
			t.Errorf("?%s: %v, want %v", tt.q, got, want)
		}
	}
}

func TestHierarchy(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	eng := e.createOrg("Engineering", "エンジニアリング部", "")
	back := e.createOrg("Backend", "バックエンドチーム", eng)
	e.createOrg("API", "APIチーム", back)
	e.createOrg("Frontend", "フロントエンドチーム", eng)
	e.addMember(back, "usr_1001", "member")
	r := e.want(e.call("GET", orgs+"/"+eng+"/hierarchy", nil), http.StatusOK)
	depthOf := func(n map[string]any) int {
		var walk func(n map[string]any) int
		walk = func(n map[string]any) int {
			d := 0
			for _, c := range n["children"].([]any) {
				d = max(d, 1+walk(c.(map[string]any)))
			}
			return d
		}
		return walk(n)
	}
	if depthOf(r.body) != 2 || len(r.body["children"].([]any)) != 2 || len(keys(r.body)) != 5 {
		t.Errorf("hierarchy %s", r.raw)
	}
	kid := r.body["children"].([]any)
	if b := kid[0].(map[string]any); b["id"].(string) > kid[1].(map[string]any)["id"].(string) {
		t.Error("children not in id order")
	}
	for _, c := range kid {
		if c.(map[string]any)["name"] == "Backend" && c.(map[string]any)["member_count"] != float64(1) {
			t.Errorf("Backend member_count %v", c.(map[string]any)["member_count"])
		}
	}
	for depth, want := range map[string]int{"0": 0, "1": 1, "3": 2} {
		r := e.want(e.call("GET", orgs+"/"+eng+"/hierarchy?depth="+depth, nil), http.StatusOK)
		if got := depthOf(r.body); got != want {
			t.Errorf("depth=%s: %d levels, want %d", depth, got, want)
		}
	}
	e.want(e.call("GET", orgs+"/"+eng+"/hierarchy?depth=-1", nil), http.StatusBadRequest)
	e.want(e.call("GET", orgs+"/org_none/hierarchy", nil), http.StatusNotFound)
}
