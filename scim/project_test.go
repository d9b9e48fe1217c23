package scim

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProject(t *testing.T) {
	const (
		core = `"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		  "id": "2819c223-7f76-453a-919d-413861904646",
		  "meta": {"resourceType": "User", "created": "2011-08-01T18:29:49.793Z", "lastModified": "2011-08-01T18:29:49Z"}`
		emails = `"emails": [
		    {"value": "bjensen@example.com", "type": "work", "primary": true},
		    {"value": "babs@jensen.org", "type": "home"}
		  ]`
	)
	tests := []struct {
		name                 string
		attributes, excluded []string
		want                 string // JSON
	}{
		{"userName", []string{"userName"}, nil, `{` + core + `, "userName": "bjensen@example.com"}`},
		{"names ignore case", []string{"USERNAME", "Name.GivenName"}, nil,
			`{` + core + `, "userName": "bjensen@example.com", "name": {"givenName": "Barbara"}}`},
		{"sub-attribute of multi-valued", []string{"emails.value"}, nil,
			`{` + core + `, "emails": [{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}]}`},
		{"two sub-attributes merge", []string{"emails.value", "emails.type"}, nil,
			`{` + core + `, "emails": [{"value": "bjensen@example.com", "type": "work"}, {"value": "babs@jensen.org", "type": "home"}]}`},
		{"whole wins over part", []string{"emails.value", "emails"}, nil, `{` + core + `, ` + emails + `}`},
		{"value filter path", []string{`emails[type eq "work"]`}, nil, `{` + core + `, ` + emails + `}`},
		{"value filter path with sub-attribute", []string{`emails[type eq "work"].value`}, nil, `{` + core + `, ` + emails + `}`},
		{"extension attribute by URN", []string{enterpriseURN + ":department"}, nil,
			`{` + core + `, "` + enterpriseURN + `": {"department": "Tour Operations"}}`},
		{"extension sub-attribute by URN", []string{enterpriseURN + ":Manager.Value"}, nil,
			`{` + core + `, "` + enterpriseURN + `": {"manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}}}`},
		{"whole extension", []string{enterpriseURN}, nil,
			`{` + core + `, "` + enterpriseURN + `": {"department": "Tour Operations", "employeeNumber": "701984",
			  "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}}}`},
		{"core URN", []string{"urn:ietf:params:scim:schemas:core:2.0:User:userName"}, nil,
			`{` + core + `, "userName": "bjensen@example.com"}`},
		{"unknown attribute keeps the always ones", []string{"nosuch"}, nil, `{` + core + `}`},
		{"unknown sub-attribute drops the parent", []string{"name.nosuch"}, nil, `{` + core + `}`},
		{"sub-attribute of a simple value", []string{"userName.x"}, nil, `{` + core + `}`},
		{"excluded attribute", nil, []string{"Emails", "name", "phoneNumbers", "active", "title", "nickName",
			"externalId", "userName", "displayName", enterpriseURN}, `{` + core + `}`},
		{"excluded never drops id and schemas", nil, []string{"id", "schemas", "Meta", "emails", "name", "phoneNumbers",
			"active", "title", "nickName", "externalId", "userName", "displayName", enterpriseURN},
			`{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			  "id": "2819c223-7f76-453a-919d-413861904646"}`},
		{"excluded sub-attributes", []string{"name", "emails", enterpriseURN}, []string{"name.givenName", "emails.type", "emails.primary",
			enterpriseURN + ":department", enterpriseURN + ":manager"},
			`{` + core + `, "name": {"familyName": "Jensen", "formatted": "Ms. Barbara J Jensen"},
			  "emails": [{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}],
			  "` + enterpriseURN + `": {"employeeNumber": "701984"}}`},
		{"attributes then excluded", []string{"userName", "emails"}, []string{"emails"},
			`{` + core + `, "userName": "bjensen@example.com"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decodeDoc(t, testUserJSON)
			before := decodeDoc(t, testUserJSON)
			got := project(doc, tt.attributes, tt.excluded)
			if diff := cmp.Diff(decodeDoc(t, tt.want), roundTrip(t, got)); diff != "" {
				t.Errorf("project(%q, %q) mismatch (-want +got):\n%s", tt.attributes, tt.excluded, diff)
			}
			if diff := cmp.Diff(before, doc); diff != "" {
				t.Errorf("doc was modified (-before +after):\n%s", diff)
			}
			// The result must share nothing with doc.
			clobber(got)
			if diff := cmp.Diff(before, doc); diff != "" {
				t.Errorf("changing the result changed doc (-before +after):\n%s", diff)
			}
		})
	}
}

func TestProjectNoLists(t *testing.T) {
	doc := decodeDoc(t, testUserJSON)
	for _, lists := range [][2][]string{{nil, nil}, {{}, {}}, {nil, {}}} {
		got := project(doc, lists[0], lists[1])
		got["probe"] = true // same map: the probe shows in doc
		if doc["probe"] != true {
			t.Errorf("project(%q, %q) did not return doc itself", lists[0], lists[1])
		}
		delete(doc, "probe")
	}
	if got := project(nil, []string{"userName"}, nil); len(got) != 0 {
		t.Errorf("project(nil) = %v, want empty", got)
	}
}

// roundTrip normalizes a map through JSON, as the decoded want values are.
func roundTrip(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return decodeDoc(t, string(b))
}

// clobber overwrites every value reachable from v.
func clobber(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			clobber(e)
			x[k] = "clobbered"
		}
	case []any:
		for i, e := range x {
			clobber(e)
			x[i] = "clobbered"
		}
	}
}

func TestSplitAttrList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{``, nil},
		{` , ,`, nil},
		{`userName`, []string{"userName"}},
		{`userName,emails`, []string{"userName", "emails"}},
		{` userName , ,name.givenName ,`, []string{"userName", "name.givenName"}},
		{`emails[type eq "work"],name.givenName`, []string{`emails[type eq "work"]`, "name.givenName"}},
		{`emails[type eq "work" or type eq "home"].value,id`, []string{`emails[type eq "work" or type eq "home"].value`, "id"}},
		{`emails[value eq "a,b"]`, []string{`emails[value eq "a,b"]`}},
		{`x[value eq "a\",]b"],y`, []string{`x[value eq "a\",]b"]`, "y"}},
		{`a],b`, []string{"a]", "b"}},
		{`a[b,c`, []string{"a[b,c"}},
		{enterpriseURN + `:manager.value,userName`, []string{enterpriseURN + ":manager.value", "userName"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, splitAttrList(tt.in)); diff != "" {
				t.Errorf("splitAttrList(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
