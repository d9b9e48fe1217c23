package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/internal/store"
)

// libraryList is a list response as the library renders it (GetAll without
// a renderedPage), completed as Server.list did before it rendered pages
// itself: itemsPerPage the number of resources, every meta.location made
// absolute by absoluteLocations.
func libraryList(t *testing.T, s *Server, r *http.Request) (int, []byte) {
	t.Helper()
	buf := s.buffered(&recorder{ResponseWriter: httptest.NewRecorder(), status: http.StatusOK}, r)
	body := buf.body.Bytes()
	if buf.status != http.StatusOK {
		return buf.status, body
	}
	var page map[string]json.RawMessage
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	var resources []json.RawMessage
	_ = json.Unmarshal(page["Resources"], &resources)
	if resources == nil {
		page["Resources"] = json.RawMessage("[]")
	}
	page["itemsPerPage"] = json.RawMessage(fmt.Sprint(len(resources)))
	b, err := json.Marshal(page)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = absoluteLocations(r, b)
	return buf.status, b
}

// TestRenderedPagesMatchTheLibrary serves list requests (indexed filters
// and the matcher's, projections, pages, both resource types, a public
// URL, documents with members the library overrides or escapes) through
// the endpoint, which renders the page itself, and through the library as
// it rendered them before, and wants the same JSON.
func TestRenderedPagesMatchTheLibrary(t *testing.T) {
	st, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	queryFixture(t, st)
	for i, doc := range []string{
		// Members the library sets itself, which the rendering must not
		// repeat: decoded and overridden as the library does.
		`{"userName":"spoof@example.com","id":"spoof","meta":{"location":"x"},"schemas":["x"],"externalId":"y"}`,
		// Spaces, numbers as written, characters encoding/json escapes.
		"{ \"userName\" : \"odd@example.com\",\n \"nickName\": \"<b>&amp;</b>\", \"x\": 1.50, \"n\": 12345678901234567890, \"e\": {} }",
		`{}`,
	} {
		if _, err := st.SCIMCreate(t.Context(), store.SCIMResource{Type: TypeUser, ID: fmt.Sprintf("odd/%d ü", i),
			ExternalID: fmt.Sprintf("<odd %d>", i), Name: fmt.Sprintf("odd%d@example.com", i), Doc: []byte(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	queries := []struct{ endpoint, query string }{
		{"/Users", ""},
		{"/Users", "startIndex=3&count=5"},
		{"/Users", "startIndex=1000"},
		{"/Users", "count=0"},
		{"/Users", "count=1000"},
		{"/Users", "filter=" + url.QueryEscape(`userName sw "user0"`)},
		{"/Users", "filter=" + url.QueryEscape(`meta.lastModified gt "2026-01-01T00:00:00Z"`) + "&count=7"},
		{"/Users", "filter=" + url.QueryEscape(`title eq "t1"`)},
		{"/Users", "filter=" + url.QueryEscape(`userName sw "odd"`)},
		{"/Users", "filter=" + url.QueryEscape(`externalId co "odd"`)},
		{"/Users", "attributes=userName,emails.value"},
		{"/Users", "attributes=userName&filter=" + url.QueryEscape(`title eq "t2"`)},
		{"/Users", "excludedAttributes=emails,meta,externalId"},
		{"/Users", "attributes=displayName&excludedAttributes=id"},
		{"/Users", "filter=" + url.QueryEscape(`userName eq "nobody"`)},
		{"/Users", "filter=" + url.QueryEscape(`nope eq "x"`)},
		{"/Groups", ""},
		{"/Groups", "excludedAttributes=members"},
		{"/Groups", "filter=" + url.QueryEscape(`members[value eq "User-01"]`)},
	}
	seen := 0
	for _, public := range []string{"", "https://scim.example.com/prefix"} {
		s, err := New(Options{Store: st, Tokens: []string{"t"}, PublicURL: public})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range queries {
			req := httptest.NewRequest(http.MethodGet, BasePath+q.endpoint+"?"+q.query, nil)
			req.Header.Set("Authorization", "Bearer t")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)

			// As serve hands the request on to the library.
			lib := httptest.NewRequest(http.MethodGet, "/v2"+q.endpoint+"?"+q.query, nil)
			if public != "" {
				lib = lib.WithContext(context.WithValue(lib.Context(), publicURLKey{}, public))
			}
			status, want := libraryList(t, s, lib)
			if rec.Code != status {
				t.Errorf("%s %s (public %q): status %d, the library's %d", q.endpoint, q.query, public, rec.Code, status)
				continue
			}
			var got, exp any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("%s %s: %v: %s", q.endpoint, q.query, err, rec.Body)
			}
			if err := json.Unmarshal(want, &exp); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("%s %s (public %q):\n got %s\nwant %s", q.endpoint, q.query, public, rec.Body, want)
			}
			if status != http.StatusOK {
				continue
			}
			for _, res := range got.(map[string]any)["Resources"].([]any) {
				seen++
				loc := res.(map[string]any)["meta"].(map[string]any)["location"].(string)
				if !strings.HasPrefix(loc, baseURL(lib)+BasePath+q.endpoint+"/") {
					t.Errorf("%s %s: meta.location %q is not absolute", q.endpoint, q.query, loc)
				}
			}
		}
	}
	if seen < 100 {
		t.Fatalf("only %d resources compared", seen)
	}
}
