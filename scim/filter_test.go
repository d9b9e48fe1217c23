package scim

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"
)

const enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

const testUserJSON = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "id": "2819c223-7f76-453a-919d-413861904646",
  "externalId": "bjensen-EXT",
  "userName": "bjensen@example.com",
  "name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara J Jensen"},
  "displayName": "Babs Jensen",
  "title": "",
  "nickName": null,
  "phoneNumbers": [],
  "active": true,
  "emails": [
    {"value": "bjensen@example.com", "type": "work", "primary": true},
    {"value": "babs@jensen.org", "type": "home"}
  ],
  "meta": {"resourceType": "User", "created": "2011-08-01T18:29:49.793Z", "lastModified": "2011-08-01T18:29:49Z"},
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "department": "Tour Operations",
    "employeeNumber": "701984",
    "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
  }
}`

// testWeirdJSON has values of the wrong types everywhere.
const testWeirdJSON = `{
  "id": 7,
  "userName": 42,
  "active": "True",
  "emails": "notalist",
  "name": "just a string",
  "displayName": null,
  "meta": {"created": "garbage", "lastModified": 12},
  "members": [1, null, "x", {"value": {"nested": 1}}, [], {"value": true}],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "not an object"
}`

const testGroupJSON = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
  "id": "g1",
  "displayName": "Admins",
  "members": [{"value": "u1", "display": "Ann"}, {"value": "U2"}],
  "meta": {"resourceType": "Group", "created": "2024-01-02T03:04:05+01:00"}
}`

func decodeDoc(t testing.TB, s string) map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestMatch(t *testing.T) {
	users := newMatcher(schema.CoreUserSchema(), schema.ExtensionEnterpriseUser())
	groups := newMatcher(schema.CoreGroupSchema())
	user := decodeDoc(t, testUserJSON)
	weird := decodeDoc(t, testWeirdJSON)
	group := decodeDoc(t, testGroupJSON)
	quoted := map[string]any{"displayName": `Babs "B" Jensen`}

	tests := []struct {
		name   string
		m      matcher
		doc    map[string]any
		filter string
		want   bool
	}{
		{"userName eq ignores case", users, user, `userName eq "BJensen@Example.com"`, true},
		{"attribute and operator names ignore case", users, user, `UserName EQ "bjensen@example.com"`, true},
		{"userName eq other", users, user, `userName eq "other"`, false},
		{"externalId eq exact", users, user, `externalId eq "bjensen-EXT"`, true},
		{"externalId is case-exact", users, user, `externalId eq "bjensen-ext"`, false},
		{"id eq", users, user, `id eq "2819c223-7f76-453a-919d-413861904646"`, true},
		{"id is case-exact", users, user, `id eq "2819C223-7F76-453A-919D-413861904646"`, false},
		{"emails.value eq any element", users, user, `emails.value eq "BABS@jensen.org"`, true},
		{"emails.Value co", users, user, `emails.Value co "example.com"`, true},
		{"emails.value co none", users, user, `emails.value co "nowhere"`, false},
		{"emails co compares value", users, user, `emails co "jensen.org"`, true},
		{"value path", users, user, `emails[type eq "work"]`, true},
		{"value path no element", users, user, `emails[type eq "other"]`, false},
		{"value path and same element", users, user, `emails[type eq "work" and value co "@example.com"]`, true},
		{"value path and other element", users, user, `emails[type eq "work" and value co "jensen.org"]`, false},
		{"value path not", users, user, `emails[not (type eq "work")]`, true},
		{"value path boolean", users, user, `emails[primary eq true]`, true},
		{"value path with sub-attribute case", users, user, `Emails[Type eq "HOME"]`, true},
		{"displayName eq ignores case", users, user, `displayName eq "babs jensen"`, true},
		{"name.familyName sw", users, user, `name.familyName sw "jen"`, true},
		{"name.FamilyName ew", users, user, `name.FamilyName ew "SEN"`, true},
		{"userName gt", users, user, `userName gt "A"`, true},
		{"userName lt", users, user, `userName lt "a"`, false},
		{"userName ge itself", users, user, `userName ge "bjensen@example.com"`, true},
		{"meta.created gt earlier", users, user, `meta.created gt "2011-01-01T00:00:00Z"`, true},
		{"meta.created gt later with fraction and offset", users, user, `meta.created gt "2015-10-10T14:38:21.8617979-07:00"`, false},
		{"meta.created lt later", users, user, `meta.Created lt "2015-10-10T14:38:21.8617979-07:00"`, true},
		{"meta.created eq same instant", users, user, `meta.created eq "2011-08-01T11:29:49.793-07:00"`, true},
		{"meta.lastModified ge", users, user, `meta.lastModified ge "2011-08-01T18:29:49Z"`, true},
		{"meta.created unparsable value", users, user, `meta.created gt "yesterday"`, false},
		{"meta.resourceType is case-exact", users, user, `meta.resourceType eq "user"`, false},
		{"or with parentheses and not", users, user, `userName eq "x" or (displayName sw "Babs" and not (active eq false))`, true},
		{"and with value path", users, user, `userName eq "bjensen@example.com" and emails[type eq "home"] and not (title pr)`, true},
		{"and false", users, user, `userName eq "bjensen@example.com" and active eq false`, false},
		{"not pr", users, user, `not (userName pr)`, false},
		{"pr present", users, user, `userName pr`, true},
		{"pr empty string", users, user, `title pr`, false},
		{"pr null", users, user, `nickName pr`, false},
		{"pr empty list", users, user, `phoneNumbers pr`, false},
		{"pr absent", users, user, `x509Certificates pr`, false},
		{"pr complex", users, user, `name pr`, true},
		{"pr sub-attribute", users, user, `emails.type pr`, true},
		{"eq null absent", users, user, `nickName eq null`, true},
		{"eq null present", users, user, `userName eq null`, false},
		{"ne on missing", users, user, `timezone ne "Europe/Paris"`, true},
		{"ne on empty", users, user, `title ne "x"`, true},
		{"ne equal", users, user, `userName ne "BJENSEN@example.com"`, false},
		{"ne multi-valued with an equal value", users, user, `emails.type ne "work"`, false},
		{"active eq true", users, user, `active eq true`, true},
		{"active ne false", users, user, `active ne false`, true},
		{"active gt is no boolean operator", users, user, `active gt false`, false},
		{"department by URN", users, user, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tour operations"`, true},
		{"department without URN", users, user, `department eq "Tour Operations"`, true},
		{"manager.value by URN", users, user, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true},
		{"manager.value pr", users, user, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr`, true},
		{"core URN", users, user, `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bjensen"`, true},
		{"unknown URN", users, user, `urn:example:Other:department eq "Tour Operations"`, false},
		{"number against string attribute", users, user, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq 701984`, true},
		{"escaped quote", users, quoted, `displayName eq "babs \"b\" jensen"`, true},

		{"members.value eq", groups, group, `members.value eq "u1"`, true},
		{"members.value eq ignores case", groups, group, `members.value eq "u2"`, true},
		{"members.value eq none", groups, group, `members.value eq "u3"`, false},
		{"members value path", groups, group, `id eq "g1" and members[value eq "u1"]`, true},
		{"group displayName", groups, group, `displayName eq "admins"`, true},
		{"group meta.created with offset", groups, group, `meta.created lt "2024-01-02T02:30:00Z"`, true},

		{"weird number as userName string", users, weird, `userName eq "42"`, true},
		{"weird number as userName number", users, weird, `userName eq 42`, true},
		{"weird id number", users, weird, `id eq "7"`, true},
		{"weird active string", users, weird, `active eq true`, true},
		{"weird emails not a list", users, weird, `emails.value eq "x"`, false},
		{"weird emails value path", users, weird, `emails[type eq "work"]`, false},
		{"weird name sub-attribute", users, weird, `name.givenName pr`, false},
		{"weird null displayName", users, weird, `displayName eq "x"`, false},
		{"weird null displayName pr", users, weird, `displayName pr`, false},
		{"weird meta.created", users, weird, `meta.created gt "2011-01-01T00:00:00Z"`, false},
		{"weird meta.lastModified number", users, weird, `meta.lastModified lt "2011-01-01T00:00:00Z"`, false},
		{"weird members.value", users, weird, `members.value eq "x"`, false},
		{"weird members value path", users, weird, `members[value eq true]`, true},
		{"weird members value path nested", users, weird, `members[value co "nested"]`, false},
		{"weird members co", users, weird, `members co "x"`, true},
		{"weird members gt", users, weird, `members gt 0`, true},
		{"weird extension not an object", users, weird, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr`, false},
		{"nil doc eq", users, nil, `userName eq "x"`, false},
		{"nil doc ne", users, nil, `userName ne "x"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expr, err := filter.ParseFilter([]byte(tt.filter))
			if err != nil {
				t.Fatalf("parse %q: %v", tt.filter, err)
			}
			if got := tt.m.match(tt.doc, expr); got != tt.want {
				t.Errorf("match(%q) = %v, want %v", tt.filter, got, tt.want)
			}
		})
	}
}

// TestMatchHandBuilt covers expressions the parser never produces.
func TestMatchHandBuilt(t *testing.T) {
	m := newMatcher(schema.CoreUserSchema(), schema.ExtensionEnterpriseUser())
	doc := decodeDoc(t, testUserJSON)
	userName := filter.AttributePath{AttributeName: "userName"}
	tests := []struct {
		name string
		expr filter.Expression
		want bool
	}{
		{"nil filter matches all", nil, true},
		{"typed nil attribute expression", (*filter.AttributeExpression)(nil), false},
		{"typed nil logical expression", (*filter.LogicalExpression)(nil), false},
		{"typed nil not expression", (*filter.NotExpression)(nil), false},
		{"typed nil value path", (*filter.ValuePath)(nil), false},
		{"not without operand", &filter.NotExpression{}, false},
		{"logical without operands", &filter.LogicalExpression{Operator: filter.AND}, false},
		{"unknown logical operator", &filter.LogicalExpression{
			Left:     &filter.AttributeExpression{AttributePath: userName, Operator: filter.PR},
			Right:    &filter.AttributeExpression{AttributePath: userName, Operator: filter.PR},
			Operator: "xor",
		}, false},
		{"unknown compare operator", &filter.AttributeExpression{AttributePath: userName, Operator: "zz", CompareValue: "x"}, false},
		{"upper-case operator", &filter.AttributeExpression{AttributePath: userName, Operator: "EQ", CompareValue: "bjensen@example.com"}, true},
		{"slice compare value", &filter.AttributeExpression{AttributePath: userName, Operator: filter.EQ, CompareValue: []int{1}}, false},
		{"map compare value", &filter.AttributeExpression{AttributePath: userName, Operator: filter.GT, CompareValue: map[string]any{}}, false},
		{"float compare value", &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "employeeNumber"}, Operator: filter.GE, CompareValue: 701984.0}, true},
		{"value path without filter", &filter.ValuePath{AttributePath: filter.AttributePath{AttributeName: "emails"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.match(doc, tt.expr); got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNormalizeFilter(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`userName sw O`, `userName sw "O"`},
		{`name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`,
			`name.FamilyName eq "Employee" and (emails.Value co "example.com" or emails.Value co "example.org")`},
		{`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`, `meta.Created gt "2015-10-10T14:38:21.8617979-07:00"`},
		{`userName EQ john AND active Eq True`, `userName EQ "john" AND active Eq True`},
		{`emails[type eq work]`, `emails[type eq "work"]`},
		{`emails[type eq work and value co example.com]`, `emails[type eq "work" and value co "example.com"]`},
		{`emails[type eq work].value`, `emails[type eq work].value`}, // not filter grammar either way
		{`not (userName eq bob)`, `not (userName eq "bob")`},
		{`not(userName eq bob)`, `not(userName eq "bob")`},
		{`title pr and userName eq bob`, `title pr and userName eq "bob"`},
		{`displayName eq "Babs and eq Jensen" and userName sw b`, `displayName eq "Babs and eq Jensen" and userName sw "b"`},
		{`userName eq "a \"quoted\" and" and displayName eq x`, `userName eq "a \"quoted\" and" and displayName eq "x"`},
		{`externalId eq 007`, `externalId eq "007"`},
		{`userName eq trueblue`, `userName eq "trueblue"`},
		{`userName eq C:\path`, `userName eq "C:\\path"`},
		{`  userName eq bob `, `userName eq "bob"`},
		{"userName\teq bob", `userName eq "bob"`},
		{`userName  eq   bob`, `userName eq "bob"`}, // runs of blanks become one SP
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq Sales`,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales"`},
		// Already valid: unchanged.
		{`userName eq "bjensen"`, `userName eq "bjensen"`},
		{`title pr and userType eq "Employee"`, `title pr and userType eq "Employee"`},
		{`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
			`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`},
		{`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
			`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`},
		{`displayName eq "Jensen and eq or pr"`, `displayName eq "Jensen and eq or pr"`},
		{`active eq true`, `active eq true`},
		{`age gt 10.5e3`, `age gt 10.5e3`},
		{`nickName eq null`, `nickName eq null`},
		{`members[value eq "2819c223"]`, `members[value eq "2819c223"]`},
		// Beyond repair: unchanged, so errors quote the client.
		{`userName eq`, `userName eq`},
		{`garbage`, `garbage`},
		{``, ``},
		{`userName eq "unterminated`, `userName eq "unterminated`},
		{`displayName eq John Smith`, `displayName eq John Smith`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := normalizeFilter(tt.in)
			if got != tt.want {
				t.Fatalf("normalizeFilter(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got != tt.in {
				if _, err := filter.ParseFilter([]byte(got)); err != nil {
					t.Errorf("normalized %q does not parse: %v", got, err)
				}
			}
		})
	}
}

func TestIsJSONNumber(t *testing.T) {
	tests := map[string]bool{
		"0": true, "-1": true, "10.5": true, "1e3": true, "1E+3": true, "-0.5e-2": true,
		"": false, "-": false, "007": false, "1.": false, ".5": false, "1e": false, "1x": false, "2015-10-10": false,
	}
	for in, want := range tests {
		if got := isJSONNumber(in); got != want {
			t.Errorf("isJSONNumber(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzFilter checks that normalizing, parsing and matching never panic and
// that filters which already parse are left alone. The seeds run with plain
// `go test`; `go test -fuzz FuzzFilter ./scim/` explores further.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		`userName sw O`,
		`name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`,
		`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`,
		`emails[type eq "work" and value co "@example.com"] or not (userName pr)`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq x`,
		`members[value eq 1] and active eq TRUE and x eq null and y gt -1.5e3`,
		`displayName eq "a \"b\" \u00E9 and or"`,
		`emails co example.com)`,
		`((userName eq a`,
		`]]`,
		``,
	} {
		f.Add(s)
	}
	users := newMatcher(schema.CoreUserSchema(), schema.ExtensionEnterpriseUser())
	groups := newMatcher(schema.CoreGroupSchema())
	docs := []map[string]any{
		decodeDoc(f, testUserJSON), decodeDoc(f, testWeirdJSON), decodeDoc(f, testGroupJSON), nil,
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := normalizeFilter(s)
		if parses(s) && n != s {
			t.Fatalf("valid filter %q changed to %q", s, n)
		}
		expr, err := filter.ParseFilter([]byte(n))
		if err != nil {
			return
		}
		for _, doc := range docs {
			users.match(doc, expr)
			groups.match(doc, expr)
		}
	})
}
