package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scim"
)

// fuzzEndpoint is one SCIM endpoint over a real SQLite store, served
// in-process (no listener: a request is a ServeHTTP call), for one fuzz
// worker; inputs run one after another.
type fuzzEndpoint struct {
	h *scim.Server
	n int
}

func newFuzzEndpoint(f *testing.F) *fuzzEndpoint {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(f.TempDir(), "state.db"), nil)
	if err != nil {
		f.Fatalf("OpenSQLite: %v", err)
	}
	f.Cleanup(func() { _ = st.Close() })
	h, err := scim.New(scim.Options{Store: st, Tokens: []string{token}})
	if err != nil {
		f.Fatalf("scim.New: %v", err)
	}
	return &fuzzEndpoint{h: h}
}

// do serves one request and checks what every answer must be, whatever
// the body: never a 5xx (a body from outside is the client's fault, or
// fine), and an error is a SCIM error body (RFC 7644 §3.12) whose status
// is the response's and whose detail says what is wrong.
func (e *fuzzEndpoint) do(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", scimMediaType)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	var m map[string]any
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s %s: status %d, body not a JSON object: %v\n%s", method, path, w.Code, err, w.Body)
		}
	}
	if w.Code >= 500 {
		t.Fatalf("%s %s: status %d for\n%s\nanswer: %s", method, path, w.Code, body, w.Body)
	}
	if w.Code >= 400 {
		schemas, _ := json.Marshal(m["schemas"])
		if !strings.Contains(string(schemas), errorURN) || m["status"] != strconv.Itoa(w.Code) {
			t.Fatalf("%s %s: status %d with a body that is not a SCIM error: %s", method, path, w.Code, w.Body)
		}
		if d, _ := m["detail"].(string); strings.TrimSpace(d) == "" {
			t.Fatalf("%s %s: status %d without a detail: %s", method, path, w.Code, w.Body)
		}
	}
	return w.Code, m
}

// fresh creates a User, and with group a Group with the User as member,
// that one input may change, so that each input starts from the same
// documents.
func (e *fuzzEndpoint) fresh(t *testing.T, withGroup bool) (user, group string) {
	t.Helper()
	e.n++
	u := fixtureText(t, "entra_user.json")
	u = strings.Replace(u, `"userName": "`, fmt.Sprintf(`"userName": "fuzz%d-`, e.n), 1)
	status, m := e.do(t, http.MethodPost, "/scim/v2/Users", u)
	if status != http.StatusCreated {
		t.Fatalf("create user: %d %v", status, m)
	}
	user, _ = m["id"].(string)
	if !withGroup {
		return user, ""
	}
	g := fmt.Sprintf(`{"schemas":[%q],"displayName":"fuzz group %d","members":[{"value":%q}]}`, groupURN, e.n, user)
	status, m = e.do(t, http.MethodPost, "/scim/v2/Groups", g)
	if status != http.StatusCreated {
		t.Fatalf("create group: %d %v", status, m)
	}
	group, _ = m["id"].(string)
	return user, group
}

// cleanup deletes what fresh made, keeping the store small.
func (e *fuzzEndpoint) cleanup(t *testing.T, user, group string) {
	t.Helper()
	paths := []string{"/scim/v2/Users/" + user}
	if group != "" {
		paths = append([]string{"/scim/v2/Groups/" + group}, paths...)
	}
	for _, p := range paths {
		if status, m := e.do(t, http.MethodDelete, p, ""); status != http.StatusNoContent {
			t.Fatalf("DELETE %s: %d %v", p, status, m)
		}
	}
}

// fixtureText reads a testdata file (fixture needs a *testing.T of the
// test, this one serves the fuzz setup too).
func fixtureText(t testing.TB, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// checkStillServed GETs a resource after a change and checks that it is
// served as a document with its id: a PATCH or PUT that was accepted must
// leave something the endpoint can read back.
func (e *fuzzEndpoint) checkStillServed(t *testing.T, path, id string) {
	t.Helper()
	status, m := e.do(t, http.MethodGet, path, "")
	if status != http.StatusOK || m["id"] != id {
		t.Fatalf("GET %s after an accepted change: %d %v", path, status, m)
	}
}

// FuzzPatch sends fuzzed PATCH bodies (RFC 7644 §3.5.2), as an IdP would,
// to a User and to a Group, through the HTTP handler over SQLite: no
// panic, no 5xx, each error a SCIM error with a detail (a bad operation's
// names its index, "Operations[1]: ..."), and what was accepted reads
// back. Seeds: the Entra and Microsoft conformance PATCH bodies, and
// testdata/fuzz/FuzzPatch.
func FuzzPatch(f *testing.F) {
	seeds := []string{
		fixtureText(f, "entra_patch_user.json"),
		fixtureText(f, "admission/entra_patch_email.json"),
		fixtureText(f, "admission/entra_patch_disable_remove_names.json"),
		`{"schemas":["` + patchURN + `"],"Operations":[{"op":"add","value":{"nickName":"n","name.givenName":"g","emails[type eq \"work\"].value":"w@x"}}]}`,
		`{"schemas":["` + patchURN + `"],"Operations":[{"op":"remove","path":"emails[type eq \"work\" and primary eq true]"}]}`,
		`{"schemas":["` + patchURN + `"],"Operations":[{"op":"remove","path":"members[value eq \"MEMBER\"]"},{"op":"add","path":"members","value":[{"value":"MEMBER"}]}]}`,
		`{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","path":"members","value":[]},{"op":"replace","path":"displayName","value":"x"}]}`,
		`{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m"}}]}`,
		`{"schemas":["` + patchURN + `"],"Operations":[{"op":"Replace","path":"active","value":"False"},{"op":"remove","path":"name.familyName"}]}`,
		`{"Operations": [`,
		`{"schemas":["` + patchURN + `"],"Operations":[]}`,
	}
	for _, s := range seeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	e := newFuzzEndpoint(f)
	f.Fuzz(func(t *testing.T, body string, group bool) {
		user, grp := e.fresh(t, group)
		defer e.cleanup(t, user, grp)
		path, id := "/scim/v2/Users/"+user, user
		if group {
			path, id = "/scim/v2/Groups/"+grp, grp
		}
		body = strings.ReplaceAll(body, "MEMBER", user)
		if status, _ := e.do(t, http.MethodPatch, path, body); status/100 == 2 {
			e.checkStillServed(t, path, id)
		}
	})
}

// FuzzPatchPath sends one PATCH operation with a fuzzed op, path and
// value (the value as JSON when it is JSON, else as a string): the
// attribute paths of RFC 7644 §3.5.2 (sub-attributes, value filters,
// extension URNs) are where a parser meets the outside.
func FuzzPatchPath(f *testing.F) {
	for _, s := range [][3]string{
		{"replace", "active", "false"},
		{"Add", `emails[type eq "work"].value`, "new@example.com"},
		{"replace", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "開発"},
		{"replace", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "m"},
		{"remove", `emails[type eq "work" and not (value co "@")]`, ""},
		{"remove", `members[value eq "x"]`, ""},
		{"add", "name.givenName", `"X"`},
		{"replace", "name", `{"givenName":"a","familyName":"b"}`},
		{"replace", "", `{"displayName":"d","active":true}`},
		{"remove", `addresses[type eq "work"].locality`, ""},
		{"replace", "emails[value pr].primary", "true"},
		{"add", "phoneNumbers", `[{"type":"work","value":"1"}]`},
		{"remove", "shoeSize", ""},
		{"merge", "active", "true"},
	} {
		f.Add(s[0], s[1], s[2], false)
	}
	f.Add("replace", "displayName", "g", true)
	f.Add("add", "members", `[{"value":"x"}]`, true)
	e := newFuzzEndpoint(f)
	f.Fuzz(func(t *testing.T, op, attrPath, value string, group bool) {
		user, grp := e.fresh(t, group)
		defer e.cleanup(t, user, grp)
		path, id := "/scim/v2/Users/"+user, user
		if group {
			path, id = "/scim/v2/Groups/"+grp, grp
		}
		o := map[string]any{"op": op}
		if attrPath != "" {
			o["path"] = attrPath
		}
		var v any
		if json.Unmarshal([]byte(value), &v) == nil {
			o["value"] = v
		} else if value != "" {
			o["value"] = value
		}
		raw, err := json.Marshal(map[string]any{"schemas": []string{patchURN}, "Operations": []any{o}})
		if err != nil {
			t.Skip("not encodable as JSON")
		}
		if status, _ := e.do(t, http.MethodPatch, path, string(raw)); status/100 == 2 {
			e.checkStillServed(t, path, id)
		}
	})
}

// FuzzResource sends fuzzed resource documents (RFC 7643) as a create
// (POST) and as a replace (PUT) of a User or a Group: no panic, no 5xx,
// each error a SCIM error with a detail, and what was accepted reads back.
// Seeds: Entra's and Okta's requests, and testdata/fuzz/FuzzResource.
func FuzzResource(f *testing.F) {
	for _, name := range []string{"entra_user.json", "okta_user.json", "okta_user_put.json", "admission/entra_create.json", "admission/okta_create.json", "admission/okta_put.json"} {
		f.Add(fixtureText(f, name), uint8(0))
		f.Add(fixtureText(f, name), uint8(2))
	}
	for _, name := range []string{"entra_group.json", "admission/entra_group.json"} {
		f.Add(fixtureText(f, name), uint8(1))
		f.Add(fixtureText(f, name), uint8(3))
	}
	f.Add(`{"schemas":["`+userURN+`"],"userName":"a","emails":[{"value":"a@x","primary":true},{"value":"b@x","primary":true}],"active":"TRUE"}`, uint8(0))
	f.Add(`{"schemas":["`+userURN+`","`+entURN+`"],"userName":"b","`+entURN+`":{"manager":{"value":""}}}`, uint8(2))
	f.Add(`{"schemas":["`+groupURN+`"],"displayName":"g","members":[{"value":"no-such"},{"value":"no-such"}]}`, uint8(1))
	f.Add(`{"userName":null}`, uint8(0))
	f.Add(`[]`, uint8(2))
	e := newFuzzEndpoint(f)
	f.Fuzz(func(t *testing.T, body string, which uint8) {
		user, grp := e.fresh(t, which%2 == 1)
		defer e.cleanup(t, user, grp)
		endpoint, id := "/scim/v2/Users", user
		if which%2 == 1 {
			endpoint, id = "/scim/v2/Groups", grp
		}
		if which/2%2 == 1 {
			// A replace of the resource fresh made.
			if status, _ := e.do(t, http.MethodPut, endpoint+"/"+id, body); status/100 == 2 {
				e.checkStillServed(t, endpoint+"/"+id, id)
			}
			return
		}
		status, m := e.do(t, http.MethodPost, endpoint, body)
		if status/100 != 2 {
			return
		}
		created, _ := m["id"].(string)
		e.checkStillServed(t, endpoint+"/"+created, created)
		if status, m := e.do(t, http.MethodDelete, endpoint+"/"+created, ""); status != http.StatusNoContent {
			t.Fatalf("DELETE the created resource: %d %v", status, m)
		}
	})
}
