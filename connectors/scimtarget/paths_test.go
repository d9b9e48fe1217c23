package scimtarget

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		raw, want, err string
	}{
		{raw: "userName", want: "userName"},
		{raw: "USERNAME", want: "userName"},
		{raw: "name.givenName", want: "name.givenName"},
		{raw: "name.GIVENNAME", want: "name.givenName"},
		{raw: `emails[type eq "work"].value`, want: `emails[type eq "work"].value`},
		{raw: `emails[type eq "home"]`, want: `emails[type eq "home"].value`},
		{raw: `phoneNumbers[TYPE EQ "mobile"].value`, want: `phoneNumbers[type eq "mobile"].value`},
		{raw: "department", want: enterpriseURN + ":department"},
		{raw: enterpriseURN + ":employeeNumber", want: enterpriseURN + ":employeeNumber"},
		{raw: enterpriseURN + ":manager", want: enterpriseURN + ":manager.value"},
		{raw: "manager.value", want: enterpriseURN + ":manager.value"},
		{raw: "jobTitle", err: `"jobTitle" names no attribute of the core User schema or the enterprise extension`},
		{raw: "emails", err: `"emails": emails is multi-valued: say which value, as emails[type eq "work"].value`},
		{raw: `emails[primary eq true].value`, err: `"emails[primary eq true].value": emails is multi-valued: say which value, as emails[type eq "work"].value`},
		{raw: "name", err: `"name": name is complex: name a sub-attribute (formatted, familyName, givenName, middleName, honorificPrefix, honorificSuffix)`},
		{raw: "title.x", err: `"title.x": title has no sub-attributes`},
		{raw: "urn:acme:User:badge", err: `"urn:acme:User:badge": only the core User schema and the enterprise extension (` + enterpriseURN + `) are known`},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			ap, err := parsePath(tc.raw)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ap.String() != tc.want {
				t.Errorf("path = %s, want %s", ap, tc.want)
			}
		})
	}
}

func mustPath(t *testing.T, raw string) attrPath {
	t.Helper()
	ap, err := parsePath(raw)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

func decode(t *testing.T, s string) resource {
	t.Helper()
	var r resource
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestGetSet(t *testing.T) {
	const user = `{"id":"u1","userName":"yamada","Name":{"givenName":"太郎"},
		"emails":[{"type":"home","value":"home@example.com"},{"type":"Work","value":"work@example.com","primary":true}],
		"` + enterpriseURN + `":{"department":"営業部","manager":{"value":"u9"}}, "active":true}`
	for _, tc := range []struct {
		path, get string
		set       string
		after     string // the resource after set, as JSON
	}{
		{path: "userName", get: "yamada", set: "sato",
			after: `{"id":"u1","userName":"sato","Name":{"givenName":"太郎"},"emails":[{"type":"home","value":"home@example.com"},{"type":"Work","value":"work@example.com","primary":true}],"` + enterpriseURN + `":{"department":"営業部","manager":{"value":"u9"}},"active":true}`},
		{path: "name.givenName", get: "太郎", set: "",
			after: `{"id":"u1","userName":"yamada","emails":[{"type":"home","value":"home@example.com"},{"type":"Work","value":"work@example.com","primary":true}],"` + enterpriseURN + `":{"department":"営業部","manager":{"value":"u9"}},"active":true}`},
		{path: `emails[type eq "work"].value`, get: "work@example.com", set: "new@example.com",
			after: `{"id":"u1","userName":"yamada","Name":{"givenName":"太郎"},"emails":[{"type":"home","value":"home@example.com"},{"type":"Work","value":"new@example.com","primary":true}],"` + enterpriseURN + `":{"department":"営業部","manager":{"value":"u9"}},"active":true}`},
		{path: `emails[type eq "work"].value`, get: "work@example.com", set: "",
			after: `{"id":"u1","userName":"yamada","Name":{"givenName":"太郎"},"emails":[{"type":"home","value":"home@example.com"}],"` + enterpriseURN + `":{"department":"営業部","manager":{"value":"u9"}},"active":true}`},
		{path: `phoneNumbers[type eq "work"].value`, get: "", set: "03-1234",
			after: `{"id":"u1","userName":"yamada","Name":{"givenName":"太郎"},"emails":[{"type":"home","value":"home@example.com"},{"type":"Work","value":"work@example.com","primary":true}],"phoneNumbers":[{"type":"work","value":"03-1234","primary":true}],"` + enterpriseURN + `":{"department":"営業部","manager":{"value":"u9"}},"active":true}`},
		{path: "department", get: "営業部", set: "企画部",
			after: `{"id":"u1","userName":"yamada","Name":{"givenName":"太郎"},"emails":[{"type":"home","value":"home@example.com"},{"type":"Work","value":"work@example.com","primary":true}],"` + enterpriseURN + `":{"department":"企画部","manager":{"value":"u9"}},"active":true}`},
		{path: "manager", get: "u9", set: "u8",
			after: `{"id":"u1","userName":"yamada","Name":{"givenName":"太郎"},"emails":[{"type":"home","value":"home@example.com"},{"type":"Work","value":"work@example.com","primary":true}],"` + enterpriseURN + `":{"department":"営業部","manager":{"value":"u8"}},"active":true}`},
		{path: "costCenter", get: "", set: "",
			after: user},
	} {
		t.Run(tc.path+"="+tc.set, func(t *testing.T) {
			ap := mustPath(t, tc.path)
			r := decode(t, user)
			if got := ap.get(r); got != tc.get {
				t.Errorf("get = %q, want %q", got, tc.get)
			}
			ap.set(r, tc.set)
			if diff := cmp.Diff(decode(t, tc.after), r); diff != "" {
				t.Errorf("after set (-want +got):\n%s", diff)
			}
		})
	}
}

// A server that keeps one e-mail without its type still has it read as
// the work one; two untyped values are no answer.
func TestGetUntypedValue(t *testing.T) {
	ap := mustPath(t, `emails[type eq "work"].value`)
	if got := ap.get(decode(t, `{"emails":[{"value":"a@example.com"}]}`)); got != "a@example.com" {
		t.Errorf("one untyped: %q", got)
	}
	if got := ap.get(decode(t, `{"emails":[{"value":"a@example.com"},{"value":"b@example.com"}]}`)); got != "" {
		t.Errorf("two untyped: %q", got)
	}
}

func TestPatchOps(t *testing.T) {
	for _, tc := range []struct {
		path, old, new string
		want           string
	}{
		{"displayName", "山田", "佐藤", `[{"op":"replace","path":"displayName","value":"佐藤"}]`},
		{"title", "課長", "", `[{"op":"remove","path":"title"}]`},
		{"name.familyName", "", "山田", `[{"op":"replace","path":"name.familyName","value":"山田"}]`},
		{`emails[type eq "work"].value`, "a@example.com", "b@example.com", `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"b@example.com"}]`},
		{`emails[type eq "work"].value`, "", "b@example.com", `[{"op":"add","path":"emails","value":[{"type":"work","value":"b@example.com"}]}]`},
		{`emails[type eq "work"].value`, "a@example.com", "", `[{"op":"remove","path":"emails[type eq \"work\"]"}]`},
		{"department", "営業部", "企画部", `[{"op":"replace","path":"` + enterpriseURN + `:department","value":"企画部"}]`},
		{"manager", "", "u9", `[{"op":"replace","path":"` + enterpriseURN + `:manager.value","value":"u9"}]`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got, err := json.Marshal(mustPath(t, tc.path).patchOps(tc.old, tc.new))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("ops = %s\nwant  %s", got, tc.want)
			}
		})
	}
	got, _ := json.Marshal(activePath.patchOps("true", "false"))
	if want := `[{"op":"replace","path":"active","value":false}]`; string(got) != want {
		t.Errorf("active: %s, want %s", got, want)
	}
}

// Filter values are JSON strings (RFC 7644 §3.4.2.2): quotes and
// backslashes escaped, nothing HTML-escaped.
func TestFilterEq(t *testing.T) {
	for _, tc := range []struct{ v, want string }{
		{`yamada`, `userName eq "yamada"`},
		{`o"brien`, `userName eq "o\"brien"`},
		{`dom\user`, `userName eq "dom\\user"`},
		{`a&b<c>`, `userName eq "a&b<c>"`},
		{`山田`, `userName eq "山田"`},
	} {
		if got := filterEq("userName", tc.v); got != tc.want {
			t.Errorf("filterEq(%q) = %s, want %s", tc.v, got, tc.want)
		}
	}
}
