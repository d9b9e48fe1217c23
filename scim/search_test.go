package scim_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/scim"
)

const searchURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

func searchBody(t testing.TB, fields map[string]any) string {
	t.Helper()
	m := map[string]any{"schemas": []string{searchURN}}
	for k, v := range fields {
		m[k] = v
	}
	return jsonBody(t, m)
}

// TestSearch: POST /.search, /Users/.search and /Groups/.search (RFC 7644
// §3.4.3) answer as the GET of the collection with the same parameters.
func TestSearch(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for _, n := range []string{"ann", "bob", "cat"} {
		u := e.createUser(t, n+"@example.com", map[string]any{"displayName": "Person " + n})
		ids = append(ids, str(u, "id"))
	}
	e.createGroup(t, "Person group", ids[0])
	e.createGroup(t, "Other group")

	// A collection's search: filter, attributes, paging.
	_, m := e.must(t, http.StatusOK, http.MethodPost, "/scim/v2/Users/.search", searchBody(t, map[string]any{
		"filter": `userName sw "b" or userName sw "c"`, "attributes": []string{"userName"},
		"startIndex": 1, "count": 1, "sortBy": "userName", "sortOrder": "ascending",
	}))
	if total(m) != 2 || len(resources(t, m)) != 1 || m["itemsPerPage"] != float64(1) {
		t.Fatalf("Users/.search page: %v", m)
	}
	res := resources(t, m)[0]
	if str(res, "userName") != "bob@example.com" || res["displayName"] != nil {
		t.Errorf("Users/.search resource (attributes userName): %v", res)
	}
	if want := e.srv.URL + "/scim/v2/Users/" + ids[1]; str(res, "meta", "location") != want {
		t.Errorf("meta.location %q, want %q", str(res, "meta", "location"), want)
	}
	if s, _ := m["schemas"].([]any); len(s) != 1 || s[0] != listURN {
		t.Errorf("schemas %v", m["schemas"])
	}

	// excludedAttributes, case-insensitive endpoint, no filter.
	_, m = e.must(t, http.StatusOK, http.MethodPost, "/scim/v2/groups/.search", searchBody(t, map[string]any{
		"excludedAttributes": []string{"members"},
	}))
	if total(m) != 2 {
		t.Fatalf("Groups/.search: %v", m)
	}
	for _, g := range resources(t, m) {
		if g["members"] != nil || str(g, "displayName") == "" {
			t.Errorf("Groups/.search excludedAttributes members: %v", g)
		}
	}

	// attributes as one comma-separated string, as some clients send.
	_, m = e.must(t, http.StatusOK, http.MethodPost, "/scim/v2/Users/.search", searchBody(t, map[string]any{
		"filter": `userName eq "cat@example.com"`, "attributes": "userName, displayName",
	}))
	if res := resources(t, m); len(res) != 1 || str(res[0], "displayName") != "Person cat" || res[0]["active"] != nil {
		t.Errorf("Users/.search attributes as a string: %v", m)
	}

	// The root search: userName fits only Users; displayName both.
	_, m = e.must(t, http.StatusOK, http.MethodPost, "/scim/v2/.search", searchBody(t, map[string]any{"filter": `userName eq "ann@example.com"`}))
	if total(m) != 1 || str(resources(t, m)[0], "id") != ids[0] {
		t.Errorf("/.search userName: %v", m)
	}
	_, m = e.must(t, http.StatusOK, http.MethodPost, "/scim/v2/.search", searchBody(t, map[string]any{"filter": `displayName sw "Person"`}))
	var kinds []string
	for _, r := range resources(t, m) {
		kinds = append(kinds, str(r, "meta", "resourceType"))
		if !strings.HasPrefix(str(r, "meta", "location"), e.srv.URL+"/scim/v2/") {
			t.Errorf("/.search meta.location %q", str(r, "meta", "location"))
		}
	}
	sort.Strings(kinds)
	if total(m) != 4 || strings.Join(kinds, ",") != "Group,User,User,User" {
		t.Errorf("/.search displayName: %d %v", total(m), kinds)
	}
	_, m = e.must(t, http.StatusOK, http.MethodPost, "/scim/v2/.search", searchBody(t, map[string]any{"startIndex": 4, "count": 10}))
	if total(m) != 5 || len(resources(t, m)) != 2 || m["startIndex"] != float64(4) || m["itemsPerPage"] != float64(2) {
		t.Errorf("/.search page 4..: %v", m)
	}

	// Errors: a body that is no SearchRequest, a filter no type accepts.
	status, h, body := e.do(t, http.MethodPost, "/scim/v2/Users/.search", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"filter":"userName pr"}`)
	assertSCIMError(t, status, h, body, http.StatusBadRequest, "invalidSyntax")
	status, h, body = e.do(t, http.MethodPost, "/scim/v2/.search", searchBody(t, map[string]any{"filter": `nosuch eq "x"`}))
	assertSCIMError(t, status, h, body, http.StatusBadRequest, "invalidFilter")
	status, h, body = e.do(t, http.MethodPost, "/scim/v2/Users/.search", searchBody(t, map[string]any{"filter": `userName eq`}))
	assertSCIMError(t, status, h, body, http.StatusBadRequest, "invalidFilter")

	// A search writes nothing.
	before := e.changes.Load()
	e.must(t, http.StatusOK, http.MethodPost, "/scim/v2/Users/.search", searchBody(t, nil))
	if e.changes.Load() != before {
		t.Error("a search counted as a change")
	}
}

// TestBulkNotImplemented: bulk is unsupported (ServiceProviderConfig says
// so), which is 501 with a SCIM error, not 404 (RFC 7644 §3.12).
func TestBulkNotImplemented(t *testing.T) {
	e := newEnv(t)
	status, h, body := e.do(t, http.MethodPost, "/scim/v2/Bulk",
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[]}`)
	assertSCIMError(t, status, h, body, http.StatusNotImplemented, "")
}

// TestPublicURL: with Options.PublicURL, the absolute URLs served start
// with it, whatever Host the request came with (a proxy in front).
func TestPublicURL(t *testing.T) {
	const public = "https://scim.example.com/idp"
	e := newEnv(t, func(o *scim.Options) { o.PublicURL = public + "/" })
	h, u := e.must(t, http.StatusCreated, http.MethodPost, "/scim/v2/Users", userBody(t, "pub@example.com", nil))
	want := public + "/scim/v2/Users/" + str(u, "id")
	if h.Get("Location") != want || str(u, "meta", "location") != want {
		t.Errorf("Location %q, meta.location %q, want %q", h.Get("Location"), str(u, "meta", "location"), want)
	}
	h, _ = e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Users/"+str(u, "id"), "")
	if h.Get("Content-Location") != want {
		t.Errorf("Content-Location %q, want %q", h.Get("Content-Location"), want)
	}
	if loc := str(e.list(t, "ServiceProviderConfig"), "meta", "location"); loc != public+"/scim/v2/ServiceProviderConfig" {
		t.Errorf("ServiceProviderConfig meta.location %q", loc)
	}
	if loc := str(resources(t, e.list(t, "ResourceTypes"))[0], "meta", "location"); !strings.HasPrefix(loc, public+"/scim/v2/ResourceTypes/") {
		t.Errorf("ResourceTypes meta.location %q", loc)
	}
	for _, bad := range []string{"scim.example.com", "ftp://x", "https://", "https://x/?a=b"} {
		if _, err := scim.New(scim.Options{Store: e.store, Tokens: []string{token}, PublicURL: bad}); err == nil {
			t.Errorf("PublicURL %q accepted", bad)
		}
	}
}
