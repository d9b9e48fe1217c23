package emulator_test

import (
	"flag"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/tenantadmin/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// withReadings is an emulator serving the named readings.
func withReadings(t *testing.T, names ...string) *env {
	t.Helper()
	set, err := emulator.Readings.Parse(names)
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, emulator.Options{Options: emukit.Options{Readings: set}})
}

// TestReadingsCatalogue: every reading is named as the flag wants, quotes
// a line of seed 001, excludes only known readings both ways, and is
// listed in the package doc's "# Readings" section with its seed line.
func TestReadingsCatalogue(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "// # Readings")
	if !ok {
		t.Fatal(`doc.go has no "# Readings" section`)
	}
	name := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	for _, r := range emulator.Readings {
		if !name.MatchString(r.Name) || !strings.HasPrefix(r.Seed, "001:") || r.Doc == "" {
			t.Errorf("reading %+v: want a lower-case-with-dashes name, a 001:line seed and a doc", r)
		}
		if !strings.Contains(section, "//   - "+r.Name+" (001:") {
			t.Errorf("reading %s is not listed with its seed line under # Readings", r.Name)
		}
		for _, x := range r.Excludes {
			other, ok := emulator.Readings.Lookup(x)
			if !ok || !slices.Contains(other.Excludes, r.Name) {
				t.Errorf("%s excludes %s, which is unknown or does not exclude it back", r.Name, x)
			}
		}
	}
	if _, err := emulator.Readings.Parse([]string{"top-level-only,roots-only"}); err == nil {
		t.Error("two list readings were accepted together")
	}
}

// tree renders a list page as names, nested children in parentheses.
func tree(items []any) string {
	var parts []string
	for _, it := range items {
		m := it.(map[string]any)
		s := m["name"].(string)
		if kids, ok := m["children"].([]any); ok && len(kids) > 0 {
			s += "(" + tree(kids) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// TestListReadings: what the organization list holds under each reading
// of include_children and parent_id, on A > B > C and a second root D.
func TestListReadings(t *testing.T) {
	queries := []string{"", "include_children=true", "parent_id=A", "parent_id=A&include_children=true"}
	tests := []struct {
		reading string
		want    []string // by query
	}{
		{"", []string{"A B C D", "A B C D", "B", "B C"}},
		{emulator.ReadingTopLevelOnly, []string{"A D", "A B C D", "B", "B C"}},
		{emulator.ReadingRootsOnly, []string{"A D", "A D", "B", "B C"}},
		{emulator.ReadingChildrenNested, []string{"A D", "A(B(C)) D", "B", "B(C)"}},
	}
	for _, tt := range tests {
		t.Run(cmpOr(tt.reading, "default"), func(t *testing.T) {
			var e *env
			if tt.reading == "" {
				e = withReadings(t)
			} else {
				e = withReadings(t, tt.reading)
			}
			ids := map[string]string{}
			ids["A"] = e.createOrg("A", "A", "")
			ids["B"] = e.createOrg("B", "B", ids["A"])
			ids["C"] = e.createOrg("C", "C", ids["B"])
			ids["D"] = e.createOrg("D", "D", "")
			for i, q := range queries {
				q = strings.Replace(q, "parent_id=A", "parent_id="+ids["A"], 1)
				r := e.want(e.call("GET", orgs+"?limit=100&"+q, nil), http.StatusOK)
				got := strings.Join(strings.Fields(strings.NewReplacer(ids["A"], "A", ids["B"], "B", ids["C"], "C", ids["D"], "D").Replace(tree(r.body["items"].([]any)))), " ")
				// Items come in id order, which is random: compare as sets
				// of top-level entries.
				if !sameWords(got, tt.want[i]) {
					t.Errorf("GET ?%s: %q, want %q", q, got, tt.want[i])
				}
				if total := int(r.body["total"].(float64)); total != len(strings.Fields(tt.want[i])) {
					t.Errorf("GET ?%s: total %d, want the top-level count of %q", q, total, tt.want[i])
				}
			}
		})
	}
}

func sameWords(a, b string) bool {
	x, y := strings.Fields(a), strings.Fields(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestCursorOnLastPage: the last page names its last item and the page
// after it is empty with cursor null; by default the last page has none.
func TestCursorOnLastPage(t *testing.T) {
	for _, tt := range []struct {
		reading string
		pages   []int // item counts, the last with a null cursor
	}{
		{"", []int{2, 1}},
		{emulator.ReadingCursorOnLastPage, []int{2, 1, 0}},
	} {
		e := withReadings(t, tt.reading)
		for _, n := range []string{"A", "B", "C"} {
			e.createOrg(n, n, "")
		}
		org := e.createOrg("M", "M", "")
		for _, u := range []string{"usr_1001", "usr_1002", "usr_1003"} {
			e.addMember(org, u, "member")
		}
		for _, path := range []string{orgs + "?limit=3", orgs + "/" + org + "/members?limit=2"} {
			var got []int
			cursor := ""
			for range 5 {
				p := path
				if cursor != "" {
					p += "&cursor=" + cursor
				}
				r := e.want(e.call("GET", p, nil), http.StatusOK)
				got = append(got, len(r.items()))
				if cursor = r.str("cursor"); cursor == "" {
					break
				}
			}
			want := tt.pages
			if strings.HasSuffix(path, "limit=3") { // four orgs
				want = []int{3, 1}
				if tt.reading != "" {
					want = []int{3, 1, 0}
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s %s: pages %v, want %v", cmpOr(tt.reading, "default"), path, got, want)
			}
		}
	}
}

func TestLimitClamped(t *testing.T) {
	e := withReadings(t)
	e.want(e.call("GET", orgs+"?limit=101", nil), http.StatusBadRequest)
	c := withReadings(t, emulator.ReadingLimitClamped)
	for i := range 101 {
		c.createOrg("o"+string(rune('a'+i/26))+string(rune('a'+i%26)), "x", "")
	}
	r := c.want(c.call("GET", orgs+"?limit=500", nil), http.StatusOK)
	if len(r.items()) != 100 || r.str("cursor") == "" {
		t.Errorf("limit=500 clamped: %d items, cursor %q", len(r.items()), r.str("cursor"))
	}
	c.want(c.call("GET", orgs+"?limit=0", nil), http.StatusBadRequest)
}

// TestMemberReadings: the role field, member_count, adding an existing
// member and removing a non-member under each reading.
func TestMemberReadings(t *testing.T) {
	t.Run("role field", func(t *testing.T) {
		e := withReadings(t, emulator.ReadingMemberRoleField)
		org := e.createOrg("A", "A", "")
		e.addMember(org, "usr_1001", "admin")
		row := e.want(e.call("GET", orgs+"/"+org+"/members", nil), http.StatusOK).items()[0]
		if row["role"] != "admin" || row["organization_role"] != nil {
			t.Errorf("row %v", row)
		}
	})
	t.Run("member_count", func(t *testing.T) {
		for _, tt := range []struct {
			reading string
			top     float64
		}{{"", 1}, {emulator.ReadingMemberCountInclusive, 2}} {
			e := withReadings(t, tt.reading)
			a := e.createOrg("A", "A", "")
			b := e.createOrg("B", "B", a)
			e.addMember(a, "usr_1001", "member")
			e.addMember(b, "usr_1001", "member")
			e.addMember(b, "usr_1002", "member")
			for _, path := range []string{orgs + "/" + a, orgs + "/" + a + "/hierarchy"} {
				if got := e.want(e.call("GET", path, nil), http.StatusOK).body["member_count"]; got != tt.top {
					t.Errorf("%s %s: member_count %v, want %v", cmpOr(tt.reading, "default"), path, got, tt.top)
				}
			}
		}
	})
	t.Run("add an existing member", func(t *testing.T) {
		for _, tt := range []struct {
			reading string
			status  int
			role    string // answered and stored
		}{
			{"", http.StatusConflict, "member"},
			{emulator.ReadingMemberPostUpserts, http.StatusOK, "admin"},
			{emulator.ReadingMemberPostKeeps, http.StatusOK, "member"},
		} {
			e := withReadings(t, tt.reading)
			org := e.createOrg("A", "A", "")
			e.addMember(org, "usr_1001", "member")
			r := e.want(e.call("POST", orgs+"/"+org+"/members", map[string]any{"user_id": "usr_1001", "role": "admin"}), tt.status)
			if tt.status == http.StatusOK && (r.str("role") != tt.role || r.str("user_id") != "usr_1001") {
				t.Errorf("%s: answer %s", tt.reading, r.raw)
			}
			if got := e.srv.State().Members[org][0].Role; got != tt.role {
				t.Errorf("%s: stored role %s, want %s", cmpOr(tt.reading, "default"), got, tt.role)
			}
		}
	})
	t.Run("remove a non-member", func(t *testing.T) {
		for _, tt := range []struct {
			reading string
			status  int
		}{{"", http.StatusNotFound}, {emulator.ReadingMemberDeleteIdempotent, http.StatusNoContent}} {
			e := withReadings(t, tt.reading)
			org := e.createOrg("A", "A", "")
			e.want(e.call("DELETE", orgs+"/"+org+"/members/usr_1001", nil), tt.status)
		}
	})
}

// TestUpdateReadings: what PUT does with the fields it is not sent and
// with metadata, and what it answers.
func TestUpdateReadings(t *testing.T) {
	tests := []struct {
		readings []string
		body     map[string]any
		status   int
		want     emulator.Org // Name, DisplayName, Description, ParentID ("P" for the parent), Metadata
	}{
		{nil, map[string]any{"display_name": "新"}, http.StatusOK,
			emulator.Org{Name: "C", DisplayName: "新", Description: "説明", ParentID: "P", Metadata: map[string]any{"a": "1", "b": "2"}}},
		{nil, map[string]any{"metadata": map[string]any{"b": nil, "c": "3"}}, http.StatusOK,
			emulator.Org{Name: "C", DisplayName: "子", Description: "説明", ParentID: "P", Metadata: map[string]any{"b": nil, "c": "3"}}},
		{[]string{emulator.ReadingPutReplaces}, map[string]any{"display_name": "新"}, http.StatusOK,
			emulator.Org{Name: "C", DisplayName: "新"}},
		{[]string{emulator.ReadingMetadataMerged}, map[string]any{"metadata": map[string]any{"b": nil, "c": "3"}}, http.StatusOK,
			emulator.Org{Name: "C", DisplayName: "子", Description: "説明", ParentID: "P", Metadata: map[string]any{"a": "1", "c": "3"}}},
		{[]string{emulator.ReadingPutReplaces, emulator.ReadingMetadataMerged}, map[string]any{"display_name": "新", "metadata": map[string]any{"c": "3"}}, http.StatusOK,
			emulator.Org{Name: "C", DisplayName: "新", Metadata: map[string]any{"a": "1", "b": "2", "c": "3"}}},
		{[]string{emulator.ReadingPutNoContent}, map[string]any{"display_name": "新"}, http.StatusNoContent,
			emulator.Org{Name: "C", DisplayName: "新", Description: "説明", ParentID: "P", Metadata: map[string]any{"a": "1", "b": "2"}}},
		// null clears; "" names no parent (a client says the top level with null).
		{nil, map[string]any{"description": nil, "parent_id": nil, "metadata": nil}, http.StatusOK,
			emulator.Org{Name: "C", DisplayName: "子"}},
		{nil, map[string]any{"parent_id": ""}, http.StatusUnprocessableEntity,
			emulator.Org{Name: "C", DisplayName: "子", Description: "説明", ParentID: "P", Metadata: map[string]any{"a": "1", "b": "2"}}},
		{[]string{emulator.ReadingNullIgnored}, map[string]any{"description": nil, "parent_id": nil, "metadata": nil, "name": nil, "display_name": nil}, http.StatusOK,
			emulator.Org{Name: "C", DisplayName: "子", Description: "説明", ParentID: "P", Metadata: map[string]any{"a": "1", "b": "2"}}},
		{[]string{emulator.ReadingNullIgnored}, map[string]any{"description": "", "parent_id": ""}, http.StatusOK,
			emulator.Org{Name: "C", DisplayName: "子", Metadata: map[string]any{"a": "1", "b": "2"}}},
		{[]string{emulator.ReadingNullRefused}, map[string]any{"display_name": "新", "description": nil}, http.StatusUnprocessableEntity,
			emulator.Org{Name: "C", DisplayName: "子", Description: "説明", ParentID: "P", Metadata: map[string]any{"a": "1", "b": "2"}}},
		{[]string{emulator.ReadingNullRefused}, map[string]any{"parent_id": nil}, http.StatusUnprocessableEntity,
			emulator.Org{Name: "C", DisplayName: "子", Description: "説明", ParentID: "P", Metadata: map[string]any{"a": "1", "b": "2"}}},
		{[]string{emulator.ReadingNullRefused, emulator.ReadingValidation400}, map[string]any{"metadata": nil}, http.StatusBadRequest,
			emulator.Org{Name: "C", DisplayName: "子", Description: "説明", ParentID: "P", Metadata: map[string]any{"a": "1", "b": "2"}}},
		{[]string{emulator.ReadingNullRefused}, map[string]any{"description": "", "parent_id": ""}, http.StatusOK,
			emulator.Org{Name: "C", DisplayName: "子", Metadata: map[string]any{"a": "1", "b": "2"}}},
		{[]string{emulator.ReadingNameImmutable}, map[string]any{"name": "D", "display_name": "新"}, http.StatusUnprocessableEntity,
			emulator.Org{Name: "C", DisplayName: "子", Description: "説明", ParentID: "P", Metadata: map[string]any{"a": "1", "b": "2"}}},
		{[]string{emulator.ReadingNameImmutable}, map[string]any{"name": "C", "display_name": "新"}, http.StatusOK,
			emulator.Org{Name: "C", DisplayName: "新", Description: "説明", ParentID: "P", Metadata: map[string]any{"a": "1", "b": "2"}}},
	}
	for _, tt := range tests {
		e := withReadings(t, tt.readings...)
		p := e.createOrg("P", "親", "")
		r := e.want(e.call("POST", orgs, map[string]any{"name": "C", "display_name": "子", "description": "説明", "parent_id": p,
			"metadata": map[string]any{"a": "1", "b": "2"}}), http.StatusCreated)
		id := r.str("id")
		u := e.want(e.call("PUT", orgs+"/"+id, tt.body), tt.status)
		if tt.status == http.StatusNoContent && len(u.raw) != 0 {
			t.Errorf("%v: 204 with a body %s", tt.readings, u.raw)
		}
		var got emulator.Org
		for _, o := range e.srv.State().Orgs {
			if o.ID == id {
				got = o
			}
		}
		if got.ParentID == p {
			got.ParentID = "P"
		}
		if got.Name != tt.want.Name || got.DisplayName != tt.want.DisplayName || got.Description != tt.want.Description ||
			got.ParentID != tt.want.ParentID || !sameMeta(got.Metadata, tt.want.Metadata) {
			t.Errorf("%v PUT %v: stored %+v, want %+v", tt.readings, tt.body, got, tt.want)
		}
	}
}

// TestNullIgnoredAnswers: under null-ignored no answer holds a null, an
// empty children or an empty metadata, and the last page has no cursor.
func TestNullIgnoredAnswers(t *testing.T) {
	e := withReadings(t, emulator.ReadingNullIgnored)
	top := e.createOrg("Top", "上", "")
	e.createOrg("Leaf", "葉", top)
	for _, path := range []string{orgs, orgs + "?include_children=true", orgs + "/" + top, orgs + "/" + top + "/hierarchy", orgs + "/" + top + "/members"} {
		r := e.want(e.call("GET", path, nil), http.StatusOK)
		for _, bad := range []string{"null", `"children":[]`, `"metadata":{}`} {
			if strings.Contains(string(r.raw), bad) {
				t.Errorf("GET %s holds %s: %s", path, bad, r.raw)
			}
		}
	}
	d := e.want(e.call("GET", orgs+"/"+top, nil), http.StatusOK)
	for _, k := range []string{"parent_id", "parent", "description", "metadata"} {
		if _, ok := d.body[k]; ok {
			t.Errorf("the detail of a top-level org without description holds %s: %s", k, d.raw)
		}
	}
	if _, ok := d.body["children"]; !ok || d.str("id") != top {
		t.Errorf("the detail lost what it has: %s", d.raw)
	}
}

func sameMeta(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || v != w {
			return false
		}
	}
	return true
}

// TestDeleteReadings: an organization with children or members under
// each reading of DELETE.
func TestDeleteReadings(t *testing.T) {
	tests := []struct {
		reading string
		status  int
		left    string // names of the organizations left, with their parents
	}{
		{"", http.StatusConflict, "A B<A C<B D"},
		{emulator.ReadingDeleteCascades, http.StatusNoContent, "D"},
		{emulator.ReadingDeleteOrphans, http.StatusNoContent, "B C<B D"},
	}
	for _, tt := range tests {
		e := withReadings(t, tt.reading)
		a := e.createOrg("A", "A", "")
		b := e.createOrg("B", "B", a)
		e.createOrg("C", "C", b)
		e.createOrg("D", "D", "")
		e.addMember(b, "usr_1001", "member")
		e.want(e.call("DELETE", orgs+"/"+a, nil), tt.status)
		if got := orgLines(e); got != tt.left {
			t.Errorf("%s: left %q, want %q", cmpOr(tt.reading, "default"), got, tt.left)
		}
		if tt.reading == emulator.ReadingDeleteCascades && len(e.srv.State().Members) != 0 {
			t.Errorf("cascade kept the memberships of the subtree: %v", e.srv.State().Members)
		}
	}

	// delete-needs-empty: a member, in the organization or in the subtree
	// a cascade would take, holds the DELETE back.
	for _, readings := range [][]string{{emulator.ReadingDeleteNeedsEmpty}, {emulator.ReadingDeleteNeedsEmpty, emulator.ReadingDeleteCascades}} {
		e := withReadings(t, readings...)
		a := e.createOrg("A", "A", "")
		b := e.createOrg("B", "B", a)
		target, holder := b, b
		if len(readings) == 2 {
			target = a
		}
		e.addMember(holder, "usr_1001", "member")
		r := e.want(e.call("DELETE", orgs+"/"+target, nil), http.StatusConflict)
		if !strings.Contains(r.str("message"), "1 members") {
			t.Errorf("%v: 409 %s", readings, r.raw)
		}
		e.want(e.call("DELETE", orgs+"/"+holder+"/members/usr_1001", nil), http.StatusNoContent)
		e.want(e.call("DELETE", orgs+"/"+target, nil), http.StatusNoContent)
	}
}

// orgLines lists the organizations by name, "<parent" after a child.
func orgLines(e *env) string {
	st := e.srv.State()
	names := map[string]string{}
	for _, o := range st.Orgs {
		names[o.ID] = o.Name
	}
	var out []string
	for _, o := range st.Orgs {
		s := o.Name
		if o.ParentID != "" {
			s += "<" + names[o.ParentID]
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// TestErrorReadings: the status of an unknown organization and of a
// refused token, and the error body's shape, under each reading.
func TestErrorReadings(t *testing.T) {
	type want struct {
		status int
		code   string
	}
	tests := []struct {
		readings []string
		unknown  want // GET of an unknown organization
		token    want // a revoked token
		invalid  want // a create without display_name
	}{
		{nil, want{404, "not_found"}, want{401, "unauthorized"}, want{422, "validation_failed"}},
		{[]string{emulator.ReadingForbiddenUnknown}, want{403, "forbidden"}, want{401, "unauthorized"}, want{422, "validation_failed"}},
		{[]string{emulator.ReadingToken403}, want{404, "not_found"}, want{403, "forbidden"}, want{422, "validation_failed"}},
		{[]string{emulator.ReadingValidation400}, want{404, "not_found"}, want{401, "unauthorized"}, want{400, "invalid_request"}},
		{[]string{emulator.ReadingErrorsNested}, want{404, "not_found"}, want{401, "unauthorized"}, want{422, "validation_failed"}},
	}
	for _, tt := range tests {
		nested := slices.Contains(tt.readings, emulator.ReadingErrorsNested)
		e := withReadings(t, tt.readings...)
		check := func(what string, r result, w want, msg string) {
			t.Helper()
			code, message := r.str("error"), r.str("message")
			if nested {
				inner, _ := r.body["error"].(map[string]any)
				code, _ = inner["code"].(string)
				message, _ = inner["message"].(string)
				if _, flat := r.body["message"]; flat {
					t.Errorf("%v %s: a top-level message in a nested body %s", tt.readings, what, r.raw)
				}
			}
			if r.status != w.status || code != w.code || !strings.Contains(message, msg) {
				t.Errorf("%v %s: %d %s, want %d with code %s and a message naming %q", tt.readings, what, r.status, r.raw, w.status, w.code, msg)
			}
		}
		check("unknown org", e.call("GET", orgs+"/org_nothere", nil), tt.unknown, "org_nothere")
		check("members of an unknown org", e.call("GET", orgs+"/org_nothere/members", nil), tt.unknown, "org_nothere")
		check("invalid create", e.call("POST", orgs, map[string]any{"name": "A"}), tt.invalid, "display_name")
		// Faults and the rate limiter answer in the reading's shape too.
		e.srv.SetFaults(emulator.Faults{Rate429: 1, Seed: 1})
		check("injected 429", e.call("GET", orgs, nil), want{429, "rate_limited"}, "too many")
		e.srv.SetFaults(emulator.Faults{})
		e.srv.ExpireTokens()
		r := e.call("GET", orgs, nil)
		check("revoked token", r, tt.token, "token")
		if challenge := r.header.Get("WWW-Authenticate"); (r.status == 401) != (challenge != "") {
			t.Errorf("%v: %d with WWW-Authenticate %q", tt.readings, r.status, challenge)
		}
	}
}
