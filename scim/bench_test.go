package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	scimsource "github.com/orgbridge/orgbridge/connectors/scim"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scim"
)

// benchEndpoint serves the endpoint over a SQLite store in memory-backed
// temp space, through the handler (no network).
func benchEndpoint(b *testing.B) (http.Handler, *store.SQLite) {
	b.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "state.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	h, err := scim.New(scim.Options{Store: st, Tokens: []string{token}})
	if err != nil {
		b.Fatal(err)
	}
	return h, st
}

func benchUser(i int) string {
	return fmt.Sprintf(`{"schemas":[%q],"userName":"user%06d@example.jp","externalId":"ext-%d","active":true,
		"displayName":"社員 %d","name":{"givenName":"太郎","familyName":"社員"},
		"emails":[{"value":"user%06d@example.jp","type":"work","primary":true}]}`, userURN, i, i, i, i)
}

func serve(b *testing.B, h http.Handler, method, path, body string, want int) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", scimMediaType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d: %s", method, path, rec.Code, rec.Body)
	}
}

// BenchmarkCreateUser: one POST /Users, stored durably (SQLite WAL).
func BenchmarkCreateUser(b *testing.B) {
	h, _ := benchEndpoint(b)
	b.ResetTimer()
	for i := range b.N {
		serve(b, h, "POST", "/scim/v2/Users", benchUser(i), http.StatusCreated)
	}
}

// BenchmarkFilterExternalID10k: Entra's lookup by externalId among 10,000
// users (the handler filters the stored documents itself).
func BenchmarkFilterExternalID10k(b *testing.B) {
	h, _ := benchEndpoint(b)
	for i := range 10000 {
		serve(b, h, "POST", "/scim/v2/Users", benchUser(i), http.StatusCreated)
	}
	q := "/scim/v2/Users?filter=" + url.QueryEscape(`externalId eq "ext-5000"`)
	b.ResetTimer()
	for range b.N {
		serve(b, h, "GET", q, "", http.StatusOK)
	}
}

// BenchmarkSourceRead10k: the scim source's full read of 10,000 users in 20
// groups into records.
func BenchmarkSourceRead10k(b *testing.B) {
	h, st := benchEndpoint(b)
	for i := range 10000 {
		serve(b, h, "POST", "/scim/v2/Users", benchUser(i), http.StatusCreated)
	}
	users, err := st.SCIMList(context.Background(), scim.TypeUser)
	if err != nil {
		b.Fatal(err)
	}
	for g := range 20 {
		var members []string
		for i := g; i < len(users); i += 20 {
			members = append(members, fmt.Sprintf(`{"value":%q}`, users[i].ID))
		}
		serve(b, h, "POST", "/scim/v2/Groups", fmt.Sprintf(`{"schemas":[%q],"displayName":"G%d","members":[%s]}`, groupURN, g, strings.Join(members, ",")), http.StatusCreated)
	}
	src, err := scimsource.NewSource(scimsource.Config{GroupsAs: "groups"}, st, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		recs, err := src.Read(context.Background())
		if err != nil || len(recs) != 10020 {
			b.Fatalf("read %d records, %v", len(recs), err)
		}
	}
}
