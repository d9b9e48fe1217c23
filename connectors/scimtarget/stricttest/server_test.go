package stricttest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// answer is one response, decoded.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (a answer) scimType() string { s, _ := a.body["scimType"].(string); return s }

// call sends one request with the server's token (unless the header
// already has an Authorization).
func call(t *testing.T, s *Server, method, path, body string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "application/scim+json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			t.Fatalf("%s %s: %d, not JSON: %s", method, path, resp.StatusCode, raw)
		}
	}
	return a
}

func user(userName, externalID string) string {
	return fmt.Sprintf(`{"schemas":[%q,%q],"userName":%q,"externalId":%q,"active":true,
		"name":{"givenName":"Given","familyName":"Family"},
		"emails":[{"value":"%s@example.org","type":"home"}],
		%q:{"department":"Sales","employeeNumber":"42"}}`, UserURN, EnterpriseURN, userName, externalID, userName, EnterpriseURN)
}

func patchBody(ops ...string) string {
	return fmt.Sprintf(`{"schemas":[%q],"Operations":[%s]}`, PatchOpURN, strings.Join(ops, ","))
}

// fixture is what a case starts from: two users and a group holding both.
type fixture struct {
	s          *Server
	alice, bob string
	team       string
}

func setup(t *testing.T, opts Options) fixture {
	t.Helper()
	s := New(t, opts)
	f := fixture{s: s}
	f.alice = s.SeedUser(t, user("alice", "Ext-Alice"))
	f.bob = s.SeedUser(t, user("bob", "Ext-Bob"))
	f.team = s.SeedGroup(t, "Team", f.alice, f.bob)
	return f
}

// Each strict rule and each reading answers as the package doc says.
func TestServer(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		// run sends the requests and checks the answers and the end state.
		run func(t *testing.T, f fixture)
	}{
		{"a request without the token is 401", Options{}, func(t *testing.T, f fixture) {
			a := call(t, f.s, "GET", "/Users", "", "Authorization", "Bearer wrong")
			if a.status != 401 || a.header.Get("WWW-Authenticate") == "" {
				t.Fatalf("%d %v", a.status, a.header)
			}
		}},
		{"a create answers 201 with a case-mixed id", Options{}, func(t *testing.T, f fixture) {
			a := call(t, f.s, "POST", "/Users", user("carol", "c"))
			id, _ := a.body["id"].(string)
			if a.status != 201 || id == strings.ToLower(id) || id == strings.ToUpper(id) {
				t.Fatalf("%d id %q: %s", a.status, id, a.raw)
			}
		}},
		{"userName is unique without regard to case: 409 uniqueness", Options{}, func(t *testing.T, f fixture) {
			if a := call(t, f.s, "POST", "/Users", user("ALICE", "x")); a.status != 409 || a.scimType() != "uniqueness" {
				t.Fatalf("POST: %d %s", a.status, a.raw)
			}
			if a := call(t, f.s, "PATCH", "/Users/"+f.bob, patchBody(`{"op":"replace","path":"userName","value":"Alice"}`)); a.status != 409 || a.scimType() != "uniqueness" {
				t.Fatalf("PATCH: %d %s", a.status, a.raw)
			}
			if got := f.s.Users()[1].String("userName"); got != "bob" {
				t.Fatalf("bob renamed to %q by a refused PATCH", got)
			}
		}},
		{"a value of the wrong type is 400 invalidValue", Options{}, func(t *testing.T, f fixture) {
			body := strings.Replace(user("carol", "c"), `"active":true`, `"active":"yes"`, 1)
			if a := call(t, f.s, "POST", "/Users", body); a.status != 400 || a.scimType() != "invalidValue" {
				t.Fatalf("POST: %d %s", a.status, a.raw)
			}
			if a := call(t, f.s, "PATCH", "/Users/"+f.alice, patchBody(`{"op":"replace","path":"active","value":"yes"}`)); a.status != 400 || a.scimType() != "invalidValue" {
				t.Fatalf("PATCH: %d %s", a.status, a.raw)
			}
			if f.s.Users()[0].Get("active") != true {
				t.Fatal("active changed by a refused PATCH")
			}
		}},
		{"an attribute no schema has is 400 invalidValue, at any depth", Options{}, func(t *testing.T, f fixture) {
			for _, body := range []string{
				strings.Replace(user("carol", "c"), `"active":true`, `"active":true,"favouriteColour":"red"`, 1),
				strings.Replace(user("carol", "c"), `"givenName":"Given"`, `"given":"Given"`, 1),
				strings.Replace(user("carol", "c"), `"department":"Sales"`, `"dept":"Sales"`, 1),
			} {
				if a := call(t, f.s, "POST", "/Users", body); a.status != 400 || a.scimType() != "invalidValue" {
					t.Fatalf("%d %s", a.status, a.raw)
				}
			}
			if a := call(t, f.s, "PATCH", "/Users/"+f.alice, patchBody(`{"op":"replace","value":{"name.givenName":"X"}}`)); a.status != 400 || a.scimType() != "invalidValue" {
				t.Fatalf("PATCH with a dotted name in the value: %d %s", a.status, a.raw)
			}
			if len(f.s.Users()) != 2 {
				t.Fatal("a refused POST stored a user")
			}
		}},
		{"required attributes: userName, a Group's displayName", Options{}, func(t *testing.T, f fixture) {
			if a := call(t, f.s, "POST", "/Users", `{"schemas":["`+UserURN+`"],"displayName":"No Name"}`); a.status != 400 || a.scimType() != "invalidValue" {
				t.Fatalf("user: %d %s", a.status, a.raw)
			}
			if a := call(t, f.s, "POST", "/Users", `{"schemas":["`+UserURN+`"],"userName":" "}`); a.status != 400 || a.scimType() != "invalidValue" {
				t.Fatalf("blank user: %d %s", a.status, a.raw)
			}
			if a := call(t, f.s, "POST", "/Groups", `{"schemas":["`+GroupURN+`"],"members":[]}`); a.status != 400 || a.scimType() != "invalidValue" {
				t.Fatalf("group: %d %s", a.status, a.raw)
			}
			if a := call(t, f.s, "PATCH", "/Users/"+f.alice, patchBody(`{"op":"remove","path":"userName"}`)); a.status != 400 {
				t.Fatalf("remove userName: %d %s", a.status, a.raw)
			}
		}},
		{"a member must be an existing id, exactly", Options{}, func(t *testing.T, f fixture) {
			for _, v := range []string{"no-such-id", strings.ToLower(f.alice)} {
				body := fmt.Sprintf(`{"schemas":[%q],"displayName":"X","members":[{"value":%q}]}`, GroupURN, v)
				if a := call(t, f.s, "POST", "/Groups", body); a.status != 400 || a.scimType() != "invalidValue" {
					t.Fatalf("POST member %s: %d %s", v, a.status, a.raw)
				}
			}
			if a := call(t, f.s, "PATCH", "/Groups/"+f.team, patchBody(`{"op":"add","path":"members","value":[{"value":"no-such-id"}]}`)); a.status != 400 {
				t.Fatalf("PATCH: %d %s", a.status, a.raw)
			}
			if got := f.s.Groups()[0].Members(); len(got) != 2 {
				t.Fatalf("members %v after a refused PATCH", got)
			}
		}},
		{"ids and externalId are case-exact, userName is not", Options{}, func(t *testing.T, f fixture) {
			if a := call(t, f.s, "GET", "/Users/"+strings.ToLower(f.alice), ""); a.status != 404 {
				t.Fatalf("GET by a folded id: %d", a.status)
			}
			for filter, want := range map[string]float64{
				`externalId eq "Ext-Alice"`: 1, `externalId eq "ext-alice"`: 0,
				`userName eq "ALICE"`: 1, `id eq "` + strings.ToLower(f.alice) + `"`: 0,
				`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42"`: 2,
			} {
				a := call(t, f.s, "GET", "/Users?filter="+url.QueryEscape(filter), "")
				if a.status != 200 || a.body["totalResults"] != want {
					t.Errorf("%s: %d %v, want %v", filter, a.status, a.body["totalResults"], want)
				}
			}
		}},
		{"a filter that does not parse or names no attribute is 400 invalidFilter", Options{}, func(t *testing.T, f fixture) {
			for _, filter := range []string{`userName eq`, `nickName2 eq "x"`} {
				if a := call(t, f.s, "GET", "/Users?filter="+url.QueryEscape(filter), ""); a.status != 400 || a.scimType() != "invalidFilter" {
					t.Errorf("%s: %d %s", filter, a.status, a.raw)
				}
			}
		}},
		{"PATCH without Operations, with an unknown op or without the PatchOp schema is 400 invalidSyntax", Options{}, func(t *testing.T, f fixture) {
			for _, body := range []string{
				`{"schemas":["` + PatchOpURN + `"]}`,
				`{"schemas":["` + PatchOpURN + `"],"Operations":[]}`,
				patchBody(`{"op":"merge","path":"displayName","value":"x"}`),
				`{"Operations":[{"op":"replace","path":"displayName","value":"x"}]}`,
			} {
				if a := call(t, f.s, "PATCH", "/Users/"+f.alice, body); a.status != 400 || a.scimType() != "invalidSyntax" {
					t.Errorf("%s: %d %s", body, a.status, a.raw)
				}
			}
		}},
		{"PATCH: a remove without a path, or a filter matching nothing, is 400 noTarget", Options{}, func(t *testing.T, f fixture) {
			for _, op := range []string{
				`{"op":"remove"}`,
				`{"op":"replace","path":"emails[type eq \"work\"].value","value":"a@example.org"}`,
			} {
				if a := call(t, f.s, "PATCH", "/Users/"+f.alice, patchBody(op)); a.status != 400 || a.scimType() != "noTarget" {
					t.Errorf("%s: %d %s", op, a.status, a.raw)
				}
			}
		}},
		{"PATCH applies in order: paths, filters, the extension, Entra's capitalised op", Options{}, func(t *testing.T, f fixture) {
			a := call(t, f.s, "PATCH", "/Users/"+f.alice, patchBody(
				`{"op":"Replace","path":"name.familyName","value":"Smith"}`,
				`{"op":"replace","path":"emails[type eq \"home\"].value","value":"alice@home.example"}`,
				`{"op":"add","path":"emails","value":[{"value":"alice@work.example","type":"work"}]}`,
				`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Support"}`,
				`{"op":"replace","value":{"displayName":"Alice S","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"7"}}}`,
				`{"op":"remove","path":"title"}`,
			))
			if a.status != 200 || a.body["displayName"] != "Alice S" {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			u := f.s.Users()[0]
			if u.String("name.familyName") != "Smith" || u.String("name.givenName") != "Given" ||
				u.String(EnterpriseURN+":department") != "Support" || u.String(EnterpriseURN+":costCenter") != "7" ||
				u.String(EnterpriseURN+":employeeNumber") != "42" || len(u.Get("emails").([]any)) != 2 {
				t.Fatalf("%+v", u.Attributes)
			}
		}},
		{"PATCH remove of members without a filter removes them all; with one, only it", Options{}, func(t *testing.T, f fixture) {
			a := call(t, f.s, "PATCH", "/Groups/"+f.team, patchBody(`{"op":"remove","path":"members[value eq \"`+f.alice+`\"]"}`))
			if got := f.s.Groups()[0].Members(); a.status != 200 || len(got) != 1 || got[0] != f.bob {
				t.Fatalf("%d %v", a.status, got)
			}
			a = call(t, f.s, "PATCH", "/Groups/"+f.team, patchBody(`{"op":"remove","path":"members","value":[{"value":"`+f.alice+`"}]}`))
			if got := f.s.Groups()[0].Members(); a.status != 200 || len(got) != 0 {
				t.Fatalf("%d %v: a remove of members without a filter keeps some", a.status, got)
			}
		}},
		{"deleting a user takes it out of its groups", Options{}, func(t *testing.T, f fixture) {
			if a := call(t, f.s, "DELETE", "/Users/"+f.bob, ""); a.status != 204 {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			if got := f.s.Groups()[0].Members(); len(got) != 1 || got[0] != f.alice {
				t.Fatal(got)
			}
		}},
		{"PatchUnsupported: patch.supported false, PATCH 501, PUT works", Options{PatchUnsupported: true}, func(t *testing.T, f fixture) {
			spc := call(t, f.s, "GET", "/ServiceProviderConfig", "")
			if spc.body["patch"].(map[string]any)["supported"] != false {
				t.Fatal(spc.raw)
			}
			if a := call(t, f.s, "PATCH", "/Users/"+f.alice, patchBody(`{"op":"replace","path":"title","value":"x"}`)); a.status != 501 {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			if a := call(t, f.s, "PUT", "/Users/"+f.alice, user("alice2", "Ext-Alice")); a.status != 200 || f.s.Users()[0].String("userName") != "alice2" {
				t.Fatalf("PUT: %d %s", a.status, a.raw)
			}
		}},
		{"MaxOperations 2: advertised, 3 refused 413, nothing applied", Options{MaxOperations: 2}, func(t *testing.T, f fixture) {
			spc := call(t, f.s, "GET", "/ServiceProviderConfig", "")
			if spc.body["bulk"].(map[string]any)["maxOperations"] != float64(2) {
				t.Fatal(spc.raw)
			}
			op := `{"op":"replace","path":"title","value":"x"}`
			if a := call(t, f.s, "PATCH", "/Users/"+f.alice, patchBody(op, op, op)); a.status != 413 {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			if f.s.Users()[0].Get("title") != nil {
				t.Fatal("applied")
			}
			if a := call(t, f.s, "PATCH", "/Users/"+f.alice, patchBody(op, op)); a.status != 200 {
				t.Fatalf("%d %s", a.status, a.raw)
			}
		}},
		{"MaxOperations with MaxOperationsStatus 400: tooMany", Options{MaxOperations: 1, MaxOperationsStatus: 400}, func(t *testing.T, f fixture) {
			op := `{"op":"replace","path":"title","value":"x"}`
			if a := call(t, f.s, "PATCH", "/Users/"+f.alice, patchBody(op, op)); a.status != 400 || a.scimType() != "tooMany" {
				t.Fatalf("%d %s", a.status, a.raw)
			}
		}},
		{"ETags: ETag and meta.version; a stale If-Match is 412", Options{ETags: true}, func(t *testing.T, f fixture) {
			if spc := call(t, f.s, "GET", "/ServiceProviderConfig", ""); spc.body["etag"].(map[string]any)["supported"] != true {
				t.Fatal(spc.raw)
			}
			g := call(t, f.s, "GET", "/Users/"+f.alice, "")
			tag := g.header.Get("ETag")
			if tag == "" || g.body["meta"].(map[string]any)["version"] != tag {
				t.Fatalf("ETag %q: %s", tag, g.raw)
			}
			p := call(t, f.s, "PATCH", "/Users/"+f.alice, patchBody(`{"op":"replace","path":"title","value":"x"}`), "If-Match", tag)
			if p.status != 200 || p.header.Get("ETag") == tag {
				t.Fatalf("%d %q: %s", p.status, p.header.Get("ETag"), p.raw)
			}
			if a := call(t, f.s, "PUT", "/Users/"+f.alice, user("alice", "Ext-Alice"), "If-Match", tag); a.status != 412 {
				t.Fatalf("stale PUT: %d %s", a.status, a.raw)
			}
			if a := call(t, f.s, "DELETE", "/Users/"+f.alice, "", "If-Match", tag); a.status != 412 {
				t.Fatalf("stale DELETE: %d %s", a.status, a.raw)
			}
			if a := call(t, f.s, "PATCH", "/Users/"+f.alice, patchBody(`{"op":"replace","path":"title","value":"y"}`)); a.status != 200 {
				t.Fatalf("without If-Match: %d %s", a.status, a.raw)
			}
		}},
		{"ETags with RequireIfMatch: a write without If-Match is 428", Options{ETags: true, RequireIfMatch: true}, func(t *testing.T, f fixture) {
			if a := call(t, f.s, "PATCH", "/Users/"+f.alice, patchBody(`{"op":"replace","path":"title","value":"x"}`)); a.status != 428 {
				t.Fatalf("PATCH: %d %s", a.status, a.raw)
			}
			if a := call(t, f.s, "DELETE", "/Groups/"+f.team, ""); a.status != 428 {
				t.Fatalf("DELETE: %d %s", a.status, a.raw)
			}
			tag := call(t, f.s, "GET", "/Groups/"+f.team, "").header.Get("ETag")
			if a := call(t, f.s, "DELETE", "/Groups/"+f.team, "", "If-Match", tag); a.status != 204 {
				t.Fatalf("DELETE with If-Match: %d %s", a.status, a.raw)
			}
		}},
		{"PageCap 2: at most 2 a page whatever count asks, the true totalResults", Options{PageCap: 2}, func(t *testing.T, f fixture) {
			for i := 0; i < 3; i++ {
				f.s.SeedUser(t, fmt.Sprintf(`{"userName":"extra%d"}`, i))
			}
			var names []string
			for start := 1; start <= 5; start += 2 {
				a := call(t, f.s, "GET", fmt.Sprintf("/Users?startIndex=%d&count=100", start), "")
				res, _ := a.body["Resources"].([]any)
				if a.status != 200 || a.body["totalResults"] != float64(5) || len(res) > 2 {
					t.Fatalf("%d %s", a.status, a.raw)
				}
				for _, r := range res {
					names = append(names, r.(map[string]any)["userName"].(string))
				}
			}
			if strings.Join(names, ",") != "alice,bob,extra0,extra1,extra2" {
				t.Fatal(names)
			}
		}},
		{"FilterRequired: a list without a filter is 400 tooMany, lookups work", Options{FilterRequired: true}, func(t *testing.T, f fixture) {
			if a := call(t, f.s, "GET", "/Users", ""); a.status != 400 || a.scimType() != "tooMany" {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			for _, q := range []string{`/Users?filter=userName+eq+"bob"`, `/Users?filter=externalId+eq+"Ext-Bob"`, `/Groups?filter=displayName+eq+"Team"`} {
				if a := call(t, f.s, "GET", q, ""); a.status != 200 || a.body["totalResults"] != float64(1) {
					t.Fatalf("%s: %d %s", q, a.status, a.raw)
				}
			}
		}},
		{"RateLimit 3: every third request is 429 with Retry-After: 1", Options{RateLimit: 3}, func(t *testing.T, f fixture) {
			var got []int
			for i := 0; i < 6; i++ {
				a := call(t, f.s, "GET", "/Users/"+f.alice, "")
				got = append(got, a.status)
				if a.status == 429 && a.header.Get("Retry-After") != "1" {
					t.Fatal(a.header)
				}
			}
			if fmt.Sprint(got) != "[200 200 429 200 200 429]" {
				t.Fatal(got)
			}
		}},
		{"MembersNotReturned: members only when asked", Options{MembersNotReturned: true}, func(t *testing.T, f fixture) {
			if a := call(t, f.s, "GET", "/Groups/"+f.team, ""); a.body["members"] != nil {
				t.Fatalf("members returned unasked: %s", a.raw)
			}
			if a := call(t, f.s, "GET", "/Groups/"+f.team+"?attributes=members", ""); len(a.body["members"].([]any)) != 2 {
				t.Fatalf("asked: %s", a.raw)
			}
			list := call(t, f.s, "GET", "/Groups?attributes=displayName,members", "")
			if g := list.body["Resources"].([]any)[0].(map[string]any); len(g["members"].([]any)) != 2 {
				t.Fatalf("list: %s", list.raw)
			}
			if a := call(t, f.s, "GET", "/Schemas/"+GroupURN, ""); !strings.Contains(a.raw, `"returned":"request"`) {
				t.Fatalf("schema: %s", a.raw)
			}
		}},
		{"excludedAttributes=members in every reading", Options{}, func(t *testing.T, f fixture) {
			if a := call(t, f.s, "GET", "/Groups/"+f.team+"?excludedAttributes=members", ""); a.body["members"] != nil {
				t.Fatal(a.raw)
			}
		}},
		{"FoldUserName: userName in lower case, externalId as sent", Options{FoldUserName: true}, func(t *testing.T, f fixture) {
			a := call(t, f.s, "POST", "/Users", user("Carol.Jones", "Ext-Carol"))
			if a.status != 201 || a.body["userName"] != "carol.jones" || a.body["externalId"] != "Ext-Carol" {
				t.Fatalf("%d %s", a.status, a.raw)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, setup(t, c.opts)) })
	}
}

// The discovery endpoints answer, and every request is recorded.
func TestDiscoveryAndRequests(t *testing.T) {
	s := New(t, Options{})
	for _, p := range []string{"/ServiceProviderConfig", "/Schemas", "/ResourceTypes", "/Schemas/" + EnterpriseURN} {
		if a := call(t, s, "GET", p, ""); a.status != 200 {
			t.Errorf("%s: %d %s", p, a.status, a.raw)
		}
	}
	rt := call(t, s, "GET", "/ResourceTypes", "")
	if !strings.Contains(rt.raw, EnterpriseURN) || !strings.Contains(rt.raw, `"/Groups"`) {
		t.Fatal(rt.raw)
	}
	got := s.Requests()
	if len(got) != 5 || got[4].Path != "/ResourceTypes" || got[4].Status != 200 {
		t.Fatalf("%+v", got)
	}
}
