package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scim"
)

// The tokens are long and distinctive so that a leak into a log is found by
// a substring search.
const (
	token      = "tok-primary-7c1e9f0a52b84d6e9d3f"
	tokenNext  = "tok-rotated-4b2d8e6c1a9f7053e2c1"
	tokenWrong = "tok-wrong-0f9e8d7c6b5a49382716"

	userURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	entURN        = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	errorURN      = "urn:ietf:params:scim:api:messages:2.0:Error"
	patchURN      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	listURN       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	scimMediaType = "application/scim+json"
)

// env is one SCIM endpoint over a real SQLite store in a temporary file.
type env struct {
	srv     *httptest.Server
	store   *store.SQLite
	path    string
	changes atomic.Int64
}

type envOption func(*scim.Options)

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	return openEnv(t, filepath.Join(t.TempDir(), "state.db"), opts...)
}

// openEnv opens (or reopens) the store at path and serves it.
func openEnv(t *testing.T, path string, opts ...envOption) *env {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), path, nil)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e := serveEnv(t, st, opts...)
	e.store, e.path = st, path
	return e
}

// serveEnv serves st, of any kind (env.store is then unset).
func serveEnv(t *testing.T, st store.Store, opts ...envOption) *env {
	t.Helper()
	e := &env{}
	o := scim.Options{
		Store:    st,
		Tokens:   []string{token, tokenNext},
		OnChange: func() { e.changes.Add(1) },
	}
	for _, opt := range opts {
		opt(&o)
	}
	h, err := scim.New(o)
	if err != nil {
		t.Fatalf("scim.New: %v", err)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// do sends a request with the primary token (headers are name/value pairs;
// an Authorization of "" sends none) and decodes the JSON answer, nil when
// the body is empty.
func (e *env) do(t testing.TB, method, path, body string, headers ...string) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", scimMediaType)
	}
	if len(headers)%2 != 0 {
		t.Fatalf("do: odd headers %q", headers)
	}
	for i := 0; i < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return resp.StatusCode, resp.Header, nil
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: status %d, body is not a JSON object: %v\n%s", method, path, resp.StatusCode, err, raw)
	}
	return resp.StatusCode, resp.Header, out
}

// send is do for other goroutines than the test's: it reports a failure to
// send as status 0 and ignores the body.
func (e *env) send(method, path, body string) int {
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", scimMediaType)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// must is do that fails the test unless the status is want.
func (e *env) must(t testing.TB, want int, method, path, body string, headers ...string) (http.Header, map[string]any) {
	t.Helper()
	status, h, m := e.do(t, method, path, body, headers...)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d; body %v", method, path, status, want, m)
	}
	return h, m
}

// list GETs a collection with the query parameters given.
func (e *env) list(t testing.TB, endpoint string, params ...string) map[string]any {
	t.Helper()
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	path := "/scim/v2/" + endpoint
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	_, m := e.must(t, http.StatusOK, http.MethodGet, path, "")
	return m
}

func fixture(t testing.TB, name string, repl ...string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer(repl...).Replace(string(raw))
}

func jsonBody(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// userBody is a minimal core User.
func userBody(t testing.TB, userName string, extra map[string]any) string {
	t.Helper()
	m := map[string]any{"schemas": []string{userURN}, "userName": userName}
	for k, v := range extra {
		m[k] = v
	}
	return jsonBody(t, m)
}

func (e *env) createUser(t testing.TB, userName string, extra map[string]any) map[string]any {
	t.Helper()
	_, m := e.must(t, http.StatusCreated, http.MethodPost, "/scim/v2/Users", userBody(t, userName, extra))
	return m
}

func (e *env) createGroup(t testing.TB, displayName string, memberIDs ...string) map[string]any {
	t.Helper()
	members := []any{}
	for _, id := range memberIDs {
		members = append(members, map[string]any{"value": id})
	}
	body := jsonBody(t, map[string]any{"schemas": []string{groupURN}, "displayName": displayName, "members": members})
	_, m := e.must(t, http.StatusCreated, http.MethodPost, "/scim/v2/Groups", body)
	return m
}

func patchBody(t testing.TB, ops ...map[string]any) string {
	t.Helper()
	return jsonBody(t, map[string]any{"schemas": []string{patchURN}, "Operations": ops})
}

// get walks a decoded document: get(m, "name", "givenName").
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

func resources(t testing.TB, list map[string]any) []map[string]any {
	t.Helper()
	raw, ok := list["Resources"].([]any)
	if !ok {
		t.Fatalf("list response without a Resources array: %v", list)
	}
	out := make([]map[string]any, len(raw))
	for i, r := range raw {
		out[i], _ = r.(map[string]any)
	}
	return out
}

func total(list map[string]any) int {
	f, _ := list["totalResults"].(float64)
	return int(f)
}

// memberValues lists a group's member ids, sorted.
func memberValues(group map[string]any) []string {
	var ids []string
	list, _ := group["members"].([]any)
	for _, m := range list {
		ids = append(ids, str(m, "value"))
	}
	sort.Strings(ids)
	return ids
}

// assertSCIMError checks a SCIM error response (RFC 7644 §3.12).
func assertSCIMError(t testing.TB, status int, h http.Header, body map[string]any, wantStatus int, wantType string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d; body %v", status, wantStatus, body)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, scimMediaType) {
		t.Errorf("Content-Type %q, want %s", ct, scimMediaType)
	}
	schemas, _ := body["schemas"].([]any)
	if !slices.Contains(schemas, any(errorURN)) {
		t.Errorf("error schemas %v lack %s", body["schemas"], errorURN)
	}
	if got := str(body, "status"); got != fmt.Sprint(wantStatus) {
		t.Errorf("error status %q, want %q", got, fmt.Sprint(wantStatus))
	}
	if wantType != "" && str(body, "scimType") != wantType {
		t.Errorf("scimType %q, want %q; body %v", str(body, "scimType"), wantType, body)
	}
}

func TestOktaProvisioningSequence(t *testing.T) {
	e := newEnv(t)
	const filterPath = `/scim/v2/Users?filter=userName+eq+%22dade.murphy%40example.com%22&startIndex=1&count=100`

	// Okta looks the user up before creating it.
	_, list := e.must(t, http.StatusOK, http.MethodGet, filterPath, "")
	if total(list) != 0 || len(resources(t, list)) != 0 {
		t.Fatalf("empty store: list %v", list)
	}
	if s, _ := list["schemas"].([]any); !slices.Contains(s, any(listURN)) {
		t.Errorf("list schemas %v", list["schemas"])
	}

	h, created := e.must(t, http.StatusCreated, http.MethodPost, "/scim/v2/Users", fixture(t, "okta_user.json"))
	id := str(created, "id")
	if id == "" {
		t.Fatalf("created user has no id: %v", created)
	}
	if loc := h.Get("Location"); !strings.HasSuffix(loc, "/scim/v2/Users/"+id) {
		t.Errorf("Location %q, want …/scim/v2/Users/%s", loc, id)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, scimMediaType) {
		t.Errorf("Content-Type %q", ct)
	}
	if h.Get("ETag") == "" || h.Get("ETag") != str(created, "meta", "version") {
		t.Errorf("ETag %q, meta.version %q", h.Get("ETag"), str(created, "meta", "version"))
	}
	if get(created, "active") != true || str(created, "externalId") != "00ujl29u0le5T6Aj10h7" {
		t.Errorf("created %v", created)
	}

	// userName is case-insensitive (RFC 7643 §4.1.1).
	list = e.list(t, "Users", "filter", `userName eq "DADE.MURPHY@EXAMPLE.COM"`, "startIndex", "1", "count", "100")
	if rs := resources(t, list); total(list) != 1 || len(rs) != 1 || str(rs[0], "id") != id {
		t.Fatalf("filter in other case: %v", list)
	}

	_, got := e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+id, "")
	if str(got, "userName") != "dade.murphy@example.com" || str(got, "name", "givenName") != "Dade" {
		t.Fatalf("GET: %v", got)
	}

	_, put := e.must(t, http.StatusOK, http.MethodPut, "/scim/v2/Users/"+id, fixture(t, "okta_user_put.json", "{{id}}", id))
	if str(put, "name", "givenName") != "Crash" {
		t.Errorf("PUT answer: %v", put)
	}
	_, got = e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+id, "")
	if str(got, "name", "givenName") != "Crash" || str(got, "name", "familyName") != "Murphy" {
		t.Errorf("after PUT: %v", got)
	}

	for _, active := range []bool{false, true} {
		body := patchBody(t, map[string]any{"op": "replace", "value": map[string]any{"active": active}})
		e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Users/"+id, body)
		_, got = e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+id, "")
		if get(got, "active") != active {
			t.Errorf("after PATCH active=%v: active %v", active, get(got, "active"))
		}
	}

	status, h, dup := e.do(t, http.MethodPost, "/scim/v2/Users", strings.ReplaceAll(fixture(t, "okta_user.json"), `"userName": "dade.murphy@`, `"userName": "Dade.Murphy@`))
	assertSCIMError(t, status, h, dup, http.StatusConflict, "uniqueness")
}

func TestEntraUserSequence(t *testing.T) {
	e := newEnv(t)
	list := e.list(t, "Users", "filter", `externalId eq "ext-1"`)
	if total(list) != 0 {
		t.Fatalf("empty store: %v", list)
	}
	manager := e.createUser(t, "boss@example.com", nil)
	managerID := str(manager, "id")

	_, created := e.must(t, http.StatusCreated, http.MethodPost, "/scim/v2/Users", fixture(t, "entra_user.json", "{{managerId}}", managerID))
	id := str(created, "id")
	if get(created, "active") != true {
		t.Errorf(`"active": "True" came back as %#v`, get(created, "active"))
	}
	if got := get(created, entURN, "manager"); !equalJSON(got, map[string]any{"value": managerID}) {
		t.Errorf("manager %#v, want {value: %s}", got, managerID)
	}
	if str(created, entURN, "department") != "営業" || str(created, entURN, "employeeNumber") != "1001" {
		t.Errorf("enterprise extension: %v", get(created, entURN))
	}

	list = e.list(t, "Users", "filter", `externalId eq "ext-1"`)
	if rs := resources(t, list); len(rs) != 1 || str(rs[0], "id") != id {
		t.Fatalf("by externalId: %v", list)
	}

	e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Users/"+id, fixture(t, "entra_patch_user.json"))
	_, got := e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+id, "")
	if get(got, "active") != false {
		t.Errorf("active %#v, want false", get(got, "active"))
	}
	if v := str(got, "emails", 0, "value"); v != "new@example.com" {
		t.Errorf("work email %q; emails %v", v, get(got, "emails"))
	}
	if n := len(get(got, "emails").([]any)); n != 1 {
		t.Errorf("emails %v, want the work email replaced", get(got, "emails"))
	}
	if str(got, entURN, "department") != "開発" || str(got, entURN, "employeeNumber") != "1001" {
		t.Errorf("enterprise extension: %v", get(got, entURN))
	}
	if str(got, "name", "givenName") != "X" || str(got, "name", "familyName") != "familyName" {
		t.Errorf("name: %v", get(got, "name"))
	}
	if !equalJSON(get(got, entURN, "manager"), map[string]any{"value": managerID}) {
		t.Errorf("manager after PATCH: %v", get(got, entURN, "manager"))
	}
}

func TestEntraGroupSequence(t *testing.T) {
	e := newEnv(t)
	userID := str(e.createUser(t, "member@example.com", nil), "id")

	h, g := e.must(t, http.StatusCreated, http.MethodPost, "/scim/v2/Groups", fixture(t, "entra_group.json"))
	gid := str(g, "id")
	if !strings.HasSuffix(h.Get("Location"), "/scim/v2/Groups/"+gid) {
		t.Errorf("Location %q", h.Get("Location"))
	}
	gpath := "/scim/v2/Groups/" + gid

	list := e.list(t, "Groups", "filter", `displayName eq "Sales"`, "excludedAttributes", "members")
	rs := resources(t, list)
	if len(rs) != 1 || str(rs[0], "id") != gid {
		t.Fatalf("by displayName: %v", list)
	}
	if _, has := rs[0]["members"]; has {
		t.Errorf("excludedAttributes=members, yet members: %v", rs[0])
	}

	addMember := patchBody(t, map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": userID}}})
	e.must(t, http.StatusNoContent, http.MethodPatch, gpath, addMember)
	_, got := e.must(t, http.StatusOK, http.MethodGet, gpath, "")
	if !slices.Equal(memberValues(got), []string{userID}) {
		t.Fatalf("members after Add: %v", got["members"])
	}

	// Entra checks membership with a filter on members.value.
	list = e.list(t, "Groups", "filter", fmt.Sprintf(`members.value eq "%s"`, userID), "excludedAttributes", "members")
	if rs := resources(t, list); len(rs) != 1 || str(rs[0], "id") != gid {
		t.Fatalf("members.value filter: %v", list)
	}
	list = e.list(t, "Groups", "filter", fmt.Sprintf(`id eq "%s" and members.value eq "%s"`, gid, "someone-else"))
	if total(list) != 0 {
		t.Errorf("members.value of a non-member matched: %v", list)
	}

	removes := []struct {
		name string
		op   map[string]any
	}{
		{"Entra: Remove members with a value list", map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": userID}}}},
		{"value filter path", map[string]any{"op": "remove", "path": fmt.Sprintf(`members[value eq "%s"]`, userID)}},
	}
	for i, rm := range removes {
		if i > 0 {
			e.must(t, http.StatusNoContent, http.MethodPatch, gpath, addMember)
		}
		e.must(t, http.StatusNoContent, http.MethodPatch, gpath, patchBody(t, rm.op))
		_, got = e.must(t, http.StatusOK, http.MethodGet, gpath, "")
		if m := memberValues(got); len(m) != 0 {
			t.Errorf("%s: members %v remain", rm.name, m)
		}
	}

	// Okta sends the id inside a path-less replace's value.
	e.must(t, http.StatusNoContent, http.MethodPatch, gpath,
		patchBody(t, map[string]any{"op": "replace", "value": map[string]any{"id": gid, "displayName": "New"}}))
	_, got = e.must(t, http.StatusOK, http.MethodGet, gpath, "")
	if str(got, "displayName") != "New" || str(got, "id") != gid {
		t.Errorf("after replace displayName: %v", got)
	}

	e.must(t, http.StatusNoContent, http.MethodDelete, gpath, "")
	status, h, body := e.do(t, http.MethodGet, gpath, "")
	assertSCIMError(t, status, h, body, http.StatusNotFound, "")
}

func equalJSON(a, b any) bool {
	ra, _ := json.Marshal(a)
	rb, _ := json.Marshal(b)
	return bytes.Equal(ra, rb)
}

func TestFilterOnCommonAttributes(t *testing.T) {
	e := newEnv(t)
	u1 := e.createUser(t, "one@example.com", map[string]any{"externalId": "ext-one"})
	u2 := e.createUser(t, "two@example.com", map[string]any{"externalId": "ext-two"})
	id1, id2 := str(u1, "id"), str(u2, "id")
	// A client reads meta.lastModified from a resource and filters with it.
	u2meta := get(u2, "meta").(map[string]any)

	tests := []struct {
		filter string
		want   []string
	}{
		{`externalId eq "ext-one"`, []string{id1}},
		{`externalId eq "EXT-ONE"`, nil}, // caseExact
		{`externalId pr`, []string{id1, id2}},
		{fmt.Sprintf(`id eq "%s"`, id2), []string{id2}},
		{fmt.Sprintf(`id ne "%s"`, id2), []string{id1}},
		{`meta.created gt "2000-01-01T00:00:00Z"`, []string{id1, id2}},
		{`meta.created lt "2000-01-01T00:00:00Z"`, nil},
		{`meta.lastModified ge "2000-01-01T00:00:00Z"`, []string{id1, id2}},
		{fmt.Sprintf(`meta.lastModified gt "%s"`, time.Now().Add(time.Hour).UTC().Format(time.RFC3339)), nil},
		{`meta.resourceType eq "User"`, []string{id1, id2}},
		{fmt.Sprintf(`meta.version eq %q`, u2meta["version"]), []string{id1, id2}},
		{fmt.Sprintf(`meta.lastModified le %q`, u2meta["lastModified"]), []string{id1, id2}},
		{fmt.Sprintf(`meta.created eq %q and id eq "%s"`, u2meta["created"], id2), []string{id2}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			status, _, list := e.do(t, http.MethodGet, "/scim/v2/Users?filter="+url.QueryEscape(tt.filter), "")
			if status != http.StatusOK {
				t.Fatalf("status %d: %v", status, list)
			}
			var got []string
			for _, r := range resources(t, list) {
				got = append(got, str(r, "id"))
			}
			sort.Strings(got)
			want := slices.Clone(tt.want)
			sort.Strings(want)
			if !slices.Equal(got, want) || total(list) != len(want) {
				t.Errorf("got %v (totalResults %d), want %v", got, total(list), want)
			}
		})
	}
}

func TestFilterAndPagination(t *testing.T) {
	e := newEnv(t)
	users := []struct {
		name, email string
		active      bool
	}{
		{"alice@example.com", "alice@corp.example", true},
		{"bob@example.com", "bob@corp.example", true},
		{"carol@example.org", "carol@home.example", false},
		{"dave@example.com", "", true},
		{"Alfred@example.org", "alfred@corp.example", true},
	}
	for _, u := range users {
		extra := map[string]any{"active": u.active, "displayName": strings.Split(u.name, "@")[0]}
		if u.email != "" {
			extra["emails"] = []any{map[string]any{"value": u.email, "type": "work", "primary": true}}
		}
		e.createUser(t, u.name, extra)
	}
	tests := []struct {
		filter            string
		startIndex, count string
		wantTotal         int
		want              []string // userNames of the page, in creation order
	}{
		{`userName eq "bob@example.com"`, "", "", 1, []string{"bob@example.com"}},
		{`userName ne "bob@example.com"`, "", "", 4, []string{"alice@example.com", "carol@example.org", "dave@example.com", "Alfred@example.org"}},
		{`userName co "example.org"`, "", "", 2, []string{"carol@example.org", "Alfred@example.org"}},
		{`userName sw "al"`, "", "", 2, []string{"alice@example.com", "Alfred@example.org"}},
		{`emails pr`, "", "", 4, []string{"alice@example.com", "bob@example.com", "carol@example.org", "Alfred@example.org"}},
		{`emails.value co "@corp."`, "", "", 3, []string{"alice@example.com", "bob@example.com", "Alfred@example.org"}},
		{`emails[type eq "work" and value sw "carol"]`, "", "", 1, []string{"carol@example.org"}},
		{`displayName eq "dave"`, "", "", 1, []string{"dave@example.com"}},
		{`userName sw "a" and active eq true`, "", "", 2, []string{"alice@example.com", "Alfred@example.org"}},
		{`userName eq "bob@example.com" or displayName eq "carol"`, "", "", 2, []string{"bob@example.com", "carol@example.org"}},
		{`active eq false`, "", "", 1, []string{"carol@example.org"}},
		{`not (userName co "example.com")`, "", "", 2, []string{"carol@example.org", "Alfred@example.org"}},
		// Pagination: totalResults counts every match, the page holds count.
		{``, "1", "2", 5, []string{"alice@example.com", "bob@example.com"}},
		{``, "3", "2", 5, []string{"carol@example.org", "dave@example.com"}},
		{``, "5", "2", 5, []string{"Alfred@example.org"}},
		{``, "6", "2", 5, nil},
		{``, "1", "0", 5, nil},
		{`emails.value co "@corp."`, "2", "1", 3, []string{"bob@example.com"}},
		{`emails.value co "@corp."`, "3", "10", 3, []string{"Alfred@example.org"}},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s[%s,%s]", tt.filter, tt.startIndex, tt.count)
		t.Run(name, func(t *testing.T) {
			var params []string
			if tt.filter != "" {
				params = append(params, "filter", tt.filter)
			}
			if tt.startIndex != "" {
				params = append(params, "startIndex", tt.startIndex)
			}
			if tt.count != "" {
				params = append(params, "count", tt.count)
			}
			list := e.list(t, "Users", params...)
			var got []string
			for _, r := range resources(t, list) {
				got = append(got, str(r, "userName"))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("page %v, want %v", got, tt.want)
			}
			if total(list) != tt.wantTotal {
				t.Errorf("totalResults %d, want %d", total(list), tt.wantTotal)
			}
			wantStart := 1.0
			if tt.startIndex != "" {
				fmt.Sscan(tt.startIndex, &wantStart)
			}
			if list["startIndex"] != wantStart {
				t.Errorf("startIndex %v, want %v", list["startIndex"], wantStart)
			}
		})
	}
}

// TestItemsPerPage: RFC 7644 §3.4.2 defines itemsPerPage as "the number of
// resources returned in a list response page" (Okta's documented empty
// answer has 0), not the count asked for.
func TestItemsPerPage(t *testing.T) {
	e := newEnv(t)
	for i := range 3 {
		e.createUser(t, fmt.Sprintf("ipp%d@example.com", i), nil)
	}
	tests := []struct {
		query string
		want  int
	}{
		{"filter=" + url.QueryEscape(`userName eq "nobody@example.com"`) + "&startIndex=1&count=100", 0},
		{"", 3},
		{"startIndex=1&count=2", 2},
		{"startIndex=3&count=2", 1},
		{"startIndex=9&count=2", 0},
	}
	for _, tt := range tests {
		_, list := e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users?"+tt.query, "")
		if n := len(resources(t, list)); n != tt.want {
			t.Fatalf("?%s: %d resources, want %d", tt.query, n, tt.want)
		}
		if ipp, _ := list["itemsPerPage"].(float64); int(ipp) != tt.want {
			t.Errorf("?%s: itemsPerPage %v, want %d (the resources on the page)", tt.query, list["itemsPerPage"], tt.want)
		}
	}
}

func TestMaxResultsBoundsAPage(t *testing.T) {
	e := newEnv(t, func(o *scim.Options) { o.MaxResults = 2 })
	for i := range 3 {
		e.createUser(t, fmt.Sprintf("u%d@example.com", i), nil)
	}
	list := e.list(t, "Users", "count", "100")
	if total(list) != 3 || len(resources(t, list)) != 2 {
		t.Errorf("MaxResults 2, count 100: totalResults %d, %d resources", total(list), len(resources(t, list)))
	}
}

func TestAttributesProjection(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(t, "proj@example.com", map[string]any{
		"externalId":  "ext-p",
		"name":        map[string]any{"givenName": "Pro", "familyName": "Jection"},
		"emails":      []any{map[string]any{"value": "proj@example.com", "type": "work", "primary": true}},
		"displayName": "PJ",
		entURN:        map[string]any{"department": "D1", "employeeNumber": "7"},
		"schemas":     []string{userURN, entURN},
	})
	id := str(u, "id")

	tests := []struct {
		query           string
		present, absent []string // top-level keys; "a.b" checks a sub-attribute
	}{
		{"attributes=userName", []string{"id", "schemas", "userName"}, []string{"name", "emails", "displayName", "externalId", entURN}},
		{"attributes=name.givenName", []string{"id", "schemas", "name.givenName"}, []string{"name.familyName", "userName"}},
		{"attributes=USERNAME,externalId", []string{"id", "schemas", "userName", "externalId"}, []string{"name"}},
		{"attributes=" + entURN + ":department", []string{"id", entURN + ".department"}, []string{entURN + ".employeeNumber", "userName"}},
		{"excludedAttributes=emails,name", []string{"id", "schemas", "userName", "displayName", "externalId"}, []string{"emails", "name"}},
		{"excludedAttributes=id,schemas,userName", []string{"id", "schemas"}, []string{"userName"}},
		{"excludedAttributes=externalId", []string{"id", "userName"}, []string{"externalId"}},
		{"excludedAttributes=name.familyName", []string{"name.givenName"}, []string{"name.familyName"}},
	}
	check := func(t *testing.T, where string, r map[string]any, present, absent []string) {
		t.Helper()
		has := func(k string) bool {
			parts := strings.SplitN(k, ".", 2)
			if strings.HasPrefix(k, entURN) {
				parts = []string{entURN, strings.TrimPrefix(strings.TrimPrefix(k, entURN), ".")}
				if parts[1] == "" {
					parts = parts[:1]
				}
			}
			v, ok := r[parts[0]]
			if ok && len(parts) == 2 {
				_, ok = v.(map[string]any)[parts[1]]
			}
			return ok
		}
		for _, k := range present {
			if !has(k) {
				t.Errorf("%s: %s missing from %v", where, k, r)
			}
		}
		for _, k := range absent {
			if has(k) {
				t.Errorf("%s: %s present in %v", where, k, r)
			}
		}
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q := strings.ReplaceAll(tt.query, " ", "%20")
			_, got := e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+id+"?"+q, "")
			check(t, "GET by id", got, tt.present, tt.absent)
			_, list := e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users?"+q, "")
			rs := resources(t, list)
			if len(rs) != 1 {
				t.Fatalf("list: %v", list)
			}
			check(t, "list", rs[0], tt.present, tt.absent)
		})
	}
	// Projection never changes what is stored.
	_, got := e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+id, "")
	if str(got, "name", "familyName") != "Jection" || str(got, "externalId") != "ext-p" || str(got, entURN, "employeeNumber") != "7" {
		t.Errorf("stored user changed by projections: %v", got)
	}
}

func TestStringBooleans(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		in   any
		want bool
	}{
		{"True", true}, {"False", false}, {"true", true}, {"FALSE", false}, {true, true}, {false, false},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(tt.in), func(t *testing.T) {
			u := e.createUser(t, fmt.Sprintf("bool%d@example.com", i), map[string]any{
				"active": tt.in,
				"emails": []any{map[string]any{"value": "x@example.com", "primary": tt.in}},
			})
			if get(u, "active") != tt.want {
				t.Errorf("POST active %#v: got %#v", tt.in, get(u, "active"))
			}
			if get(u, "emails", 0, "primary") != tt.want {
				t.Errorf("POST emails.primary %#v: got %#v", tt.in, get(u, "emails", 0, "primary"))
			}
			id := str(u, "id")
			e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Users/"+id,
				patchBody(t, map[string]any{"op": "Replace", "path": "active", "value": tt.in}))
			_, got := e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+id, "")
			if get(got, "active") != tt.want {
				t.Errorf("PATCH active %#v: got %#v", tt.in, get(got, "active"))
			}
			list := e.list(t, "Users", "filter", fmt.Sprintf(`id eq "%s" and active eq %v`, id, tt.want))
			if total(list) != 1 {
				t.Errorf("filter active eq %v: %v", tt.want, list)
			}
		})
	}
}

func TestPatchClientCasing(t *testing.T) {
	e := newEnv(t)
	id := str(e.createUser(t, "casing@example.com", map[string]any{"active": true, "name": map[string]any{"givenName": "A"}}), "id")
	path := "/scim/v2/Users/" + id
	tests := []struct {
		op   map[string]any
		key  []any
		want any
	}{
		{map[string]any{"op": "Replace", "path": "Active", "value": false}, []any{"active"}, false},
		{map[string]any{"op": "REPLACE", "path": "active", "value": true}, []any{"active"}, true},
		{map[string]any{"op": "Replace", "path": "Name.GivenName", "value": "B"}, []any{"name", "givenName"}, "B"},
		{map[string]any{"op": "Add", "path": "DisplayName", "value": "Dee"}, []any{"displayName"}, "Dee"},
		{map[string]any{"op": "Remove", "path": "DISPLAYNAME"}, []any{"displayName"}, nil},
		{map[string]any{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:Department", "value": "Ops"}, []any{entURN, "department"}, "Ops"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.op["op"], " ", tt.op["path"]), func(t *testing.T) {
			e.must(t, http.StatusNoContent, http.MethodPatch, path, patchBody(t, tt.op))
			_, got := e.must(t, http.StatusOK, http.MethodGet, path, "")
			if v := get(got, tt.key...); v != tt.want {
				t.Errorf("%v = %#v, want %#v (doc %v)", tt.key, v, tt.want, got)
			}
			for k := range got {
				if k != strings.ToLower(k) && !slices.Contains([]string{"userName", "displayName", "externalId", entURN}, k) {
					t.Errorf("stored key %q is not the schema's spelling", k)
				}
			}
		})
	}
	// Capitalised message keys and op: Entra sends "Operations", others
	// "operations"; PATCH with attributes= answers 200 with the resource.
	_, got := e.must(t, http.StatusOK, http.MethodPatch, path+"?attributes=active",
		`{"schemas":["`+patchURN+`"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
	if get(got, "active") != false || get(got, "userName") != nil {
		t.Errorf("PATCH ?attributes=active answered %v", got)
	}
}

func TestMemberRemoveShapes(t *testing.T) {
	e := newEnv(t)
	a := str(e.createUser(t, "a@example.com", nil), "id")
	b := str(e.createUser(t, "b@example.com", nil), "id")
	tests := []struct {
		name string
		op   map[string]any
		want []string
	}{
		{"Entra Remove with value list", map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": a}}}, []string{b}},
		{"remove with one value object", map[string]any{"op": "remove", "path": "members", "value": map[string]any{"value": a}}, []string{b}},
		{"remove by value filter", map[string]any{"op": "remove", "path": fmt.Sprintf(`members[value eq "%s"]`, a)}, []string{b}},
		{"remove with a bare id string", map[string]any{"op": "Remove", "path": "members", "value": []any{a}}, []string{b}},
		{"remove all members", map[string]any{"op": "remove", "path": "members"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := e.createGroup(t, "G "+tt.name, a, b)
			gpath := "/scim/v2/Groups/" + str(g, "id")
			e.must(t, http.StatusNoContent, http.MethodPatch, gpath, patchBody(t, tt.op))
			_, got := e.must(t, http.StatusOK, http.MethodGet, gpath, "")
			want := slices.Clone(tt.want)
			sort.Strings(want)
			if m := memberValues(got); !slices.Equal(m, want) {
				t.Errorf("members %v, want %v", m, want)
			}
		})
	}
}

func TestEndpointSpelling(t *testing.T) {
	e := newEnv(t)
	id := str(e.createUser(t, "slash@example.com", nil), "id")
	q := "?filter=" + url.QueryEscape(`userName eq "slash@example.com"`)
	for _, path := range []string{
		"/scim/v2/Users/" + q, // Entra's collection
		"/scim/v2/users" + q,  // lower-case endpoint
		"/scim/v2/USERS/" + q,
	} {
		t.Run(path, func(t *testing.T) {
			_, list := e.must(t, http.StatusOK, http.MethodGet, path, "")
			if rs := resources(t, list); len(rs) != 1 || str(rs[0], "id") != id {
				t.Errorf("list: %v", list)
			}
		})
	}
	if _, got := e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/users/"+id, ""); str(got, "id") != id {
		t.Errorf("GET /users/{id}: %v", got)
	}
	if _, got := e.must(t, http.StatusCreated, http.MethodPost, "/scim/v2/groups", jsonBody(t, map[string]any{"schemas": []string{groupURN}, "displayName": "lower"})); str(got, "id") == "" {
		t.Errorf("POST /groups: %v", got)
	}
	status, h, body := e.do(t, http.MethodGet, "/elsewhere/Users", "")
	assertSCIMError(t, status, h, body, http.StatusNotFound, "")
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		auth   string
		status int
	}{
		{"no Authorization", "", http.StatusUnauthorized},
		{"wrong token", "Bearer " + tokenWrong, http.StatusUnauthorized},
		{"token as Basic", "Basic " + token, http.StatusUnauthorized},
		{"token without scheme", token, http.StatusUnauthorized},
		{"prefix of the token", "Bearer " + token[:len(token)-1], http.StatusUnauthorized},
		{"token with a suffix", "Bearer " + token + "x", http.StatusUnauthorized},
		{"primary token", "Bearer " + token, http.StatusOK},
		{"rotated token", "Bearer " + tokenNext, http.StatusOK},
		{"lower-case scheme", "bearer " + tokenNext, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/scim/v2/Users", "/scim/v2/ServiceProviderConfig", "/scim/v2/Users/nope"} {
				status, h, body := e.do(t, http.MethodGet, path, "", "Authorization", tt.auth)
				if tt.status == http.StatusOK {
					if status == http.StatusUnauthorized {
						t.Errorf("%s: 401: %v", path, body)
					}
					continue
				}
				assertSCIMError(t, status, h, body, http.StatusUnauthorized, "")
				if !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s: WWW-Authenticate %q", path, h.Get("WWW-Authenticate"))
				}
			}
			// A write without a valid token changes nothing.
			if tt.status != http.StatusOK {
				before := total(e.list(t, "Users"))
				status, _, _ := e.do(t, http.MethodPost, "/scim/v2/Users", userBody(t, "intruder-"+tt.name+"@example.com", nil), "Authorization", tt.auth)
				if status != http.StatusUnauthorized || total(e.list(t, "Users")) != before {
					t.Errorf("unauthorized POST: status %d", status)
				}
			}
		})
	}
	if _, err := scim.New(scim.Options{Store: e.store}); err == nil {
		t.Error("New without tokens: no error")
	}
	if _, err := scim.New(scim.Options{Store: e.store, Tokens: []string{token, ""}}); err == nil {
		t.Error("New with an empty token: no error")
	}
}

func TestETagAndIfMatch(t *testing.T) {
	e := newEnv(t)
	h, u := e.must(t, http.StatusCreated, http.MethodPost, "/scim/v2/Users", userBody(t, "etag@example.com", nil))
	id := str(u, "id")
	path := "/scim/v2/Users/" + id
	v1 := h.Get("ETag")
	if v1 == "" || v1 != str(u, "meta", "version") {
		t.Fatalf("POST ETag %q, meta.version %q", v1, str(u, "meta", "version"))
	}
	h, got := e.must(t, http.StatusOK, http.MethodGet, path, "")
	if h.Get("ETag") != v1 || str(got, "meta", "version") != v1 {
		t.Errorf("GET ETag %q, meta.version %q, want %q", h.Get("ETag"), str(got, "meta", "version"), v1)
	}

	h, put := e.must(t, http.StatusOK, http.MethodPut, path, userBody(t, "etag@example.com", map[string]any{"displayName": "v2"}), "If-Match", v1)
	v2 := h.Get("ETag")
	if v2 == "" || v2 == v1 || v2 != str(put, "meta", "version") {
		t.Fatalf("PUT ETag %q (was %q), meta.version %q", v2, v1, str(put, "meta", "version"))
	}
	if h, _ := e.must(t, http.StatusOK, http.MethodGet, path, ""); h.Get("ETag") != v2 {
		t.Errorf("GET after PUT: ETag %q, want %q", h.Get("ETag"), v2)
	}

	stale := []struct{ method, body string }{
		{http.MethodPut, userBody(t, "etag@example.com", map[string]any{"displayName": "stale"})},
		{http.MethodPatch, patchBody(t, map[string]any{"op": "replace", "path": "displayName", "value": "stale"})},
		{http.MethodDelete, ""},
	}
	for _, s := range stale {
		status, h, body := e.do(t, s.method, path, s.body, "If-Match", v1)
		assertSCIMError(t, status, h, body, http.StatusPreconditionFailed, "")
	}
	if _, got := e.must(t, http.StatusOK, http.MethodGet, path, ""); str(got, "displayName") != "v2" {
		t.Errorf("a stale write went through: %v", got)
	}
	// A PATCH answered 204 gives the new version in its ETag header (RFC
	// 7644 §3.14), the one a GET then gives, and a write may use it.
	h, _ = e.must(t, http.StatusNoContent, http.MethodPatch, path, patchBody(t, map[string]any{"op": "replace", "path": "displayName", "value": "v3"}), "If-Match", v2)
	v3 := h.Get("ETag")
	if v3 == "" || v3 == v2 {
		t.Fatalf("PATCH 204 ETag %q (was %q)", v3, v2)
	}
	if h, got := e.must(t, http.StatusOK, http.MethodGet, path, ""); h.Get("ETag") != v3 || str(got, "meta", "version") != v3 {
		t.Errorf("GET after PATCH: ETag %q, meta.version %q, want %q", h.Get("ETag"), str(got, "meta", "version"), v3)
	}
	// A PATCH that changes nothing keeps the version, and says so.
	h, _ = e.must(t, http.StatusNoContent, http.MethodPatch, path, patchBody(t, map[string]any{"op": "replace", "path": "displayName", "value": "v3"}), "If-Match", v3)
	if h.Get("ETag") != v3 {
		t.Errorf("PATCH that changes nothing: ETag %q, want %q", h.Get("ETag"), v3)
	}
	e.must(t, http.StatusNoContent, http.MethodDelete, path, "", "If-Match", v3)
}

func TestServiceProviderConfig(t *testing.T) {
	e := newEnv(t, func(o *scim.Options) { o.MaxResults = 50 })
	h, doc := e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/ServiceProviderConfig", "")
	if !strings.HasPrefix(h.Get("Content-Type"), scimMediaType) {
		t.Errorf("Content-Type %q", h.Get("Content-Type"))
	}
	for _, k := range []string{"patch", "etag", "filter"} {
		if get(doc, k, "supported") != true {
			t.Errorf("%s.supported = %v", k, get(doc, k, "supported"))
		}
	}
	if get(doc, "filter", "maxResults") != 50.0 {
		t.Errorf("filter.maxResults %v, want 50", get(doc, "filter", "maxResults"))
	}
	if get(doc, "bulk", "supported") != false {
		t.Errorf("bulk.supported %v", get(doc, "bulk", "supported"))
	}
	if str(doc, "authenticationSchemes", 0, "type") != "oauthbearertoken" {
		t.Errorf("authenticationSchemes %v", doc["authenticationSchemes"])
	}
	// The discovery endpoints the library serves work too.
	for _, p := range []string{"/scim/v2/ResourceTypes", "/scim/v2/Schemas"} {
		e.must(t, http.StatusOK, http.MethodGet, p, "")
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t, func(o *scim.Options) { o.MaxBodyBytes = 2048 })
	uid := str(e.createUser(t, "err@example.com", nil), "id")
	gid := str(e.createGroup(t, "errs"), "id")
	big := userBody(t, "big@example.com", map[string]any{"displayName": strings.Repeat("x", 4096)})
	tests := []struct {
		name         string
		method, path string
		body         string
		status       int
		scimType     string
	}{
		{"unknown user", http.MethodGet, "/scim/v2/Users/no-such-id", "", 404, ""},
		{"unknown group", http.MethodGet, "/scim/v2/Groups/no-such-id", "", 404, ""},
		{"PUT unknown", http.MethodPut, "/scim/v2/Users/no-such-id", userBody(t, "x@example.com", nil), 404, ""},
		{"PATCH unknown", http.MethodPatch, "/scim/v2/Users/no-such-id", patchBody(t, map[string]any{"op": "replace", "path": "active", "value": false}), 404, ""},
		{"DELETE unknown", http.MethodDelete, "/scim/v2/Users/no-such-id", "", 404, ""},
		{"bad filter operator", http.MethodGet, "/scim/v2/Users?filter=" + url.QueryEscape(`userName zz "x"`), "", 400, "invalidFilter"},
		{"filter on an unknown attribute", http.MethodGet, "/scim/v2/Users?filter=" + url.QueryEscape(`shoeSize eq "x"`), "", 400, "invalidFilter"},
		{"unterminated filter", http.MethodGet, "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "x`), "", 400, "invalidFilter"},
		{"invalid JSON", http.MethodPost, "/scim/v2/Users", `{"userName": `, 400, "invalidSyntax"},
		{"JSON array", http.MethodPost, "/scim/v2/Users", `[]`, 400, ""},
		{"invalid JSON PATCH", http.MethodPatch, "/scim/v2/Users/" + uid, `{"Operations": [`, 400, ""},
		{"POST without userName", http.MethodPost, "/scim/v2/Users", `{"schemas":["` + userURN + `"],"displayName":"nameless"}`, 400, ""},
		{"POST with empty userName", http.MethodPost, "/scim/v2/Users", `{"schemas":["` + userURN + `"],"userName":""}`, 400, ""},
		{"PUT without userName", http.MethodPut, "/scim/v2/Users/" + uid, `{"schemas":["` + userURN + `"],"displayName":"nameless"}`, 400, ""},
		{"group without displayName", http.MethodPost, "/scim/v2/Groups", `{"schemas":["` + groupURN + `"]}`, 400, ""},
		{"body too large", http.MethodPost, "/scim/v2/Users", big, 413, ""},
		{"PATCH unknown path", http.MethodPatch, "/scim/v2/Users/" + uid, patchBody(t, map[string]any{"op": "replace", "path": "shoeSize", "value": "44"}), 400, ""},
		{"PATCH unknown sub-attribute", http.MethodPatch, "/scim/v2/Users/" + uid, patchBody(t, map[string]any{"op": "replace", "path": "name.shoeSize", "value": "44"}), 400, ""},
		{"PATCH unknown op", http.MethodPatch, "/scim/v2/Users/" + uid, patchBody(t, map[string]any{"op": "merge", "path": "active", "value": true}), 400, ""},
		{"PATCH removing userName", http.MethodPatch, "/scim/v2/Users/" + uid, patchBody(t, map[string]any{"op": "remove", "path": "userName"}), 400, ""},
		{"PATCH group unknown path", http.MethodPatch, "/scim/v2/Groups/" + gid, patchBody(t, map[string]any{"op": "add", "path": "owners", "value": []any{}}), 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := e.do(t, tt.method, tt.path, tt.body)
			assertSCIMError(t, status, h, body, tt.status, tt.scimType)
		})
	}
	// Nothing above changed the user.
	_, got := e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+uid, "")
	if str(got, "meta", "version") != `W/"1"` || str(got, "userName") != "err@example.com" {
		t.Errorf("user after rejected writes: %v", got)
	}
}

func TestConcurrentMemberAdds(t *testing.T) {
	e := newEnv(t)
	const n = 20
	ids := make([]string, n)
	for i := range ids {
		ids[i] = str(e.createUser(t, fmt.Sprintf("m%02d@example.com", i), nil), "id")
	}
	gid := str(e.createGroup(t, "crowd"), "id")
	gpath := "/scim/v2/Groups/" + gid

	var wg sync.WaitGroup
	statuses := make([]int, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			body := patchBody(t, map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": ids[i]}}})
			statuses[i] = e.send(http.MethodPatch, gpath, body)
		})
	}
	close(start)
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusNoContent {
			t.Errorf("PATCH %d: status %d", i, s)
		}
	}
	_, got := e.must(t, http.StatusOK, http.MethodGet, gpath, "")
	want := slices.Clone(ids)
	sort.Strings(want)
	if m := memberValues(got); !slices.Equal(m, want) {
		t.Errorf("%d members after %d concurrent adds: %v", len(m), n, m)
	}
	if v := str(got, "meta", "version"); v != fmt.Sprintf(`W/"%d"`, n+1) {
		t.Errorf("version %s, want %d", v, n+1)
	}
}

func TestConcurrentPuts(t *testing.T) {
	e := newEnv(t)
	gid := str(e.createGroup(t, "v0"), "id")
	gpath := "/scim/v2/Groups/" + gid
	const n = 10
	var wg sync.WaitGroup
	statuses := make([]int, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			body := jsonBody(t, map[string]any{"schemas": []string{groupURN}, "displayName": fmt.Sprintf("v%d", i+1)})
			statuses[i] = e.send(http.MethodPut, gpath, body)
		})
	}
	close(start)
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("PUT %d: status %d", i, s)
		}
	}
	_, got := e.must(t, http.StatusOK, http.MethodGet, gpath, "")
	if v := str(got, "meta", "version"); v != fmt.Sprintf(`W/"%d"`, n+1) {
		t.Errorf("version %s, want %d", v, n+1)
	}
	if name := str(got, "displayName"); name == "v0" || !strings.HasPrefix(name, "v") {
		t.Errorf("displayName %q", name)
	}
}

func TestPersistence(t *testing.T) {
	e := newEnv(t)
	u1 := e.createUser(t, "keep1@example.com", map[string]any{"externalId": "k1", "name": map[string]any{"givenName": "K"}})
	u2 := e.createUser(t, "keep2@example.com", nil)
	g := e.createGroup(t, "kept", str(u1, "id"), str(u2, "id"))
	e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Users/"+str(u2, "id"),
		patchBody(t, map[string]any{"op": "replace", "path": "active", "value": false}))
	before := map[string]map[string]any{}
	for _, p := range []string{"/scim/v2/Users/" + str(u1, "id"), "/scim/v2/Users/" + str(u2, "id"), "/scim/v2/Groups/" + str(g, "id")} {
		_, before[p] = e.must(t, http.StatusOK, http.MethodGet, p, "")
	}
	e.srv.Close()
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}

	e2 := openEnv(t, e.path)
	for p, want := range before {
		_, got := e2.must(t, http.StatusOK, http.MethodGet, p, "")
		// meta.location is absolute: the reopened server listens on
		// another port.
		if loc := str(got, "meta", "location"); loc != e2.srv.URL+p {
			t.Errorf("%s: meta.location %q, want %q", p, loc, e2.srv.URL+p)
		}
		got["meta"].(map[string]any)["location"] = str(want, "meta", "location")
		if !equalJSON(got, want) {
			t.Errorf("%s after reopening:\n got %v\nwant %v", p, got, want)
		}
	}
	if str(before["/scim/v2/Users/"+str(u2, "id")], "meta", "version") != `W/"2"` {
		t.Errorf("u2 version: %v", before["/scim/v2/Users/"+str(u2, "id")]["meta"])
	}
	if list := e2.list(t, "Users"); total(list) != 2 {
		t.Errorf("users after reopening: %v", list)
	}
	// The reopened store goes on from the versions it had.
	h, _ := e2.must(t, http.StatusOK, http.MethodPut, "/scim/v2/Groups/"+str(g, "id"), jsonBody(t, map[string]any{"schemas": []string{groupURN}, "displayName": "kept2"}))
	if h.Get("ETag") != `W/"2"` {
		t.Errorf("ETag after PUT on reopened store: %q", h.Get("ETag"))
	}
}

func TestNoSecretsInLogs(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	logger := zap.New(core)
	e := newEnv(t, func(o *scim.Options) { o.Logger = logger })

	uid := str(e.createUser(t, "log@example.com", nil), "id")
	e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+uid, "")
	e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Users/"+uid, patchBody(t, map[string]any{"op": "replace", "path": "active", "value": false}), "Authorization", "Bearer "+tokenNext)
	e.do(t, http.MethodGet, "/scim/v2/Users?filter="+url.QueryEscape(`userName zz "x"`), "")
	e.do(t, http.MethodGet, "/scim/v2/Users/missing", "")
	for _, auth := range []string{"", "Bearer " + tokenWrong, "Basic " + token, token, "Bearer " + token + "x"} {
		e.do(t, http.MethodGet, "/scim/v2/Users", "", "Authorization", auth)
		e.do(t, http.MethodPost, "/scim/v2/Users", userBody(t, "x@example.com", nil), "Authorization", auth)
	}
	e.do(t, http.MethodDelete, "/scim/v2/Users/"+uid, "")

	entries := logs.AllUntimed()
	if len(entries) == 0 {
		t.Fatal("nothing was logged: the test proves nothing")
	}
	secrets := []string{token, tokenNext, tokenWrong}
	for _, entry := range entries {
		enc := zapcore.NewMapObjectEncoder()
		for _, f := range entry.Context {
			f.AddTo(enc)
		}
		text := entry.Message + " " + fmt.Sprint(enc.Fields) + " " + entry.LoggerName
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("log entry holds a token: %s", text)
			}
		}
	}
}

func TestOnChange(t *testing.T) {
	e := newEnv(t)
	uid := str(e.createUser(t, "change@example.com", nil), "id")
	if n := e.changes.Load(); n != 1 {
		t.Fatalf("OnChange after one POST: %d calls", n)
	}
	gid := str(e.createGroup(t, "changing"), "id")
	upath, gpath := "/scim/v2/Users/"+uid, "/scim/v2/Groups/"+gid
	replaceActive := patchBody(t, map[string]any{"op": "replace", "path": "active", "value": false})
	steps := []struct {
		name         string
		method, path string
		body         string
		headers      []string
		status       int
		change       bool
	}{
		{"GET user", http.MethodGet, upath, "", nil, 200, false},
		{"list users", http.MethodGet, "/scim/v2/Users", "", nil, 200, false},
		{"list with filter", http.MethodGet, "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "x"`), "", nil, 200, false},
		{"ServiceProviderConfig", http.MethodGet, "/scim/v2/ServiceProviderConfig", "", nil, 200, false},
		{"Schemas", http.MethodGet, "/scim/v2/Schemas", "", nil, 200, false},
		{"GET missing", http.MethodGet, "/scim/v2/Users/nope", "", nil, 404, false},
		{"PATCH", http.MethodPatch, upath, replaceActive, nil, 204, true},
		{"PUT", http.MethodPut, upath, userBody(t, "change@example.com", map[string]any{"displayName": "C"}), nil, 200, true},
		{"PATCH group", http.MethodPatch, gpath, patchBody(t, map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": uid}}}), nil, 204, true},
		{"POST duplicate", http.MethodPost, "/scim/v2/Users", userBody(t, "CHANGE@example.com", nil), nil, 409, false},
		{"POST invalid", http.MethodPost, "/scim/v2/Users", `{"userName":`, nil, 400, false},
		{"POST no userName", http.MethodPost, "/scim/v2/Users", `{"schemas":["` + userURN + `"]}`, nil, 400, false},
		{"PUT missing", http.MethodPut, "/scim/v2/Users/nope", userBody(t, "n@example.com", nil), nil, 404, false},
		{"PATCH missing", http.MethodPatch, "/scim/v2/Users/nope", replaceActive, nil, 404, false},
		{"PATCH bad path", http.MethodPatch, upath, patchBody(t, map[string]any{"op": "replace", "path": "shoeSize", "value": 1}), nil, 400, false},
		{"PATCH stale If-Match", http.MethodPatch, upath, replaceActive, []string{"If-Match", `W/"1"`}, 412, false},
		{"DELETE unauthorized", http.MethodDelete, upath, "", []string{"Authorization", "Bearer " + tokenWrong}, 401, false},
		{"POST unauthorized", http.MethodPost, "/scim/v2/Users", userBody(t, "u@example.com", nil), []string{"Authorization", ""}, 401, false},
		{"DELETE missing", http.MethodDelete, "/scim/v2/Users/nope", "", nil, 404, false},
		{"DELETE group", http.MethodDelete, gpath, "", nil, 204, true},
		{"DELETE user", http.MethodDelete, upath, "", nil, 204, true},
		{"DELETE again", http.MethodDelete, upath, "", nil, 404, false},
		{"POST group", http.MethodPost, "/scim/v2/Groups", jsonBody(t, map[string]any{"schemas": []string{groupURN}, "displayName": "g2"}), nil, 201, true},
	}
	for _, s := range steps {
		before := e.changes.Load()
		status, _, body := e.do(t, s.method, s.path, s.body, s.headers...)
		if status != s.status {
			t.Errorf("%s: status %d, want %d: %v", s.name, status, s.status, body)
		}
		got := e.changes.Load() - before
		if want := map[bool]int64{true: 1, false: 0}[s.change]; got != want {
			t.Errorf("%s: OnChange called %d times, want %d", s.name, got, want)
		}
	}
}

func TestPasswordNeverReturned(t *testing.T) {
	e := newEnv(t)
	// Okta's documented create request carries a password.
	body := strings.Replace(fixture(t, "okta_user.json"), `"active": true`, `"password": "1mz050nq", "active": true`, 1)
	_, u := e.must(t, http.StatusCreated, http.MethodPost, "/scim/v2/Users", body)
	_, got := e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+str(u, "id"), "")
	list := e.list(t, "Users")
	id := str(u, "id")
	e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Users/"+id,
		patchBody(t, map[string]any{"op": "replace", "path": "password", "value": "t0psecret"}))
	_, patched := e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+id, "")
	for where, doc := range map[string]map[string]any{"POST": u, "GET": got, "list": resources(t, list)[0], "GET after PATCH": patched} {
		if _, has := doc["password"]; has {
			t.Errorf("%s answer returns the password (RFC 7643 §4.1.1: returned never): %v", where, doc["password"])
		}
	}
	// Nor is it kept in plain text in the state store (orgbridge has no
	// use for it).
	res, err := e.store.SCIMGet(context.Background(), store.SCIMUser, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"1mz050nq", "t0psecret"} {
		if bytes.Contains(res.Doc, []byte(pw)) {
			t.Errorf("the state store keeps the password %q: %s", pw, res.Doc)
		}
	}
}

func TestWriteSemantics(t *testing.T) {
	e := newEnv(t)
	a := e.createUser(t, "first@example.com", map[string]any{"id": "client-chosen", "meta": map[string]any{"version": `W/"99"`}})
	aid := str(a, "id")
	if aid == "" || aid == "client-chosen" || str(a, "meta", "version") != `W/"1"` {
		t.Errorf("POST took the client's id or version: %v", a)
	}
	b := e.createUser(t, "second@example.com", nil)
	bid := str(b, "id")

	// Renaming onto another live user's name (in any case) is refused.
	status, h, body := e.do(t, http.MethodPut, "/scim/v2/Users/"+bid, userBody(t, "FIRST@example.com", nil))
	assertSCIMError(t, status, h, body, http.StatusConflict, "uniqueness")
	status, h, body = e.do(t, http.MethodPatch, "/scim/v2/Users/"+bid, patchBody(t, map[string]any{"op": "replace", "path": "userName", "value": "First@Example.com"}))
	assertSCIMError(t, status, h, body, http.StatusConflict, "uniqueness")
	// Changing only the case of one's own name is fine.
	e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Users/"+aid, patchBody(t, map[string]any{"op": "replace", "path": "userName", "value": "First@example.com"}))

	// A deleted user's name is free again, and the new user has a new id.
	e.must(t, http.StatusNoContent, http.MethodDelete, "/scim/v2/Users/"+bid, "")
	c := e.createUser(t, "second@example.com", nil)
	if str(c, "id") == bid {
		t.Errorf("re-created user reuses the deleted id %s", bid)
	}
	status, h, body = e.do(t, http.MethodPatch, "/scim/v2/Users/"+bid, patchBody(t, map[string]any{"op": "replace", "path": "active", "value": false}))
	assertSCIMError(t, status, h, body, http.StatusNotFound, "")

	// PUT replaces everything: what it leaves out is gone; the id in the
	// path wins over one in the body.
	e.must(t, http.StatusOK, http.MethodPut, "/scim/v2/Users/"+aid, userBody(t, "First@example.com", map[string]any{"id": "other", "displayName": "Only"}))
	_, got := e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+aid, "")
	if str(got, "id") != aid || str(got, "displayName") != "Only" || get(got, "name") != nil {
		t.Errorf("after PUT: %v", got)
	}

	// externalId can be patched, and is then found by filter.
	e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Users/"+aid, patchBody(t, map[string]any{"op": "replace", "path": "externalId", "value": "ext-new"}))
	if list := e.list(t, "Users", "filter", `externalId eq "ext-new"`); total(list) != 1 {
		t.Errorf("externalId after PATCH: %v", list)
	}

	// Path-less operations with dotted and URN-qualified keys (Entra).
	e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Users/"+aid, patchBody(t,
		map[string]any{"op": "Add", "value": map[string]any{
			"name.givenName":       "Given",
			entURN + ":department": "Dept",
			entURN + ":manager":    str(c, "id"),
		}}))
	_, got = e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+aid, "")
	if str(got, "name", "givenName") != "Given" || str(got, entURN, "department") != "Dept" || str(got, entURN, "manager", "value") != str(c, "id") {
		t.Errorf("after path-less add: %v", got)
	}
	// Entra's manager update and removal by path.
	e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Users/"+aid, patchBody(t,
		map[string]any{"op": "Replace", "path": entURN + ":manager", "value": aid}))
	_, got = e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+aid, "")
	if !equalJSON(get(got, entURN, "manager"), map[string]any{"value": aid}) {
		t.Errorf("manager after replace by path: %v", get(got, entURN, "manager"))
	}
	e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Users/"+aid, patchBody(t,
		map[string]any{"op": "Remove", "path": entURN + ":manager"}))
	_, got = e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+aid, "")
	if get(got, entURN, "manager") != nil || str(got, entURN, "department") != "Dept" {
		t.Errorf("after removing the manager: %v", get(got, entURN))
	}

	// Group members: a bare id, a single object, displayName for display;
	// adding a member twice keeps one.
	g := e.createGroup(t, "members")
	gpath := "/scim/v2/Groups/" + str(g, "id")
	for _, v := range []any{
		aid,
		map[string]any{"value": str(c, "id"), "displayName": "Second"},
		[]any{map[string]any{"value": aid}},
	} {
		e.must(t, http.StatusNoContent, http.MethodPatch, gpath, patchBody(t, map[string]any{"op": "Add", "path": "members", "value": v}))
	}
	_, got = e.must(t, http.StatusOK, http.MethodGet, gpath, "")
	want := []string{aid, str(c, "id")}
	sort.Strings(want)
	if m := memberValues(got); !slices.Equal(m, want) {
		t.Errorf("members %v, want %v", m, want)
	}
	for _, m := range get(got, "members").([]any) {
		if str(m, "value") == str(c, "id") && str(m, "display") != "Second" {
			t.Errorf("member displayName not kept as display: %v", m)
		}
	}
	// A PUT without members empties the group.
	e.must(t, http.StatusOK, http.MethodPut, gpath, jsonBody(t, map[string]any{"schemas": []string{groupURN}, "displayName": "members"}))
	_, got = e.must(t, http.StatusOK, http.MethodGet, gpath, "")
	if m := memberValues(got); len(m) != 0 {
		t.Errorf("members after PUT without members: %v", m)
	}
}
