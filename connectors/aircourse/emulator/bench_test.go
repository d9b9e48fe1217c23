package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
)

// benchServer returns an unlimited server and a read/write token, driven in
// process through ServeHTTP.
func benchServer(b *testing.B) (*emulator.Server, string) {
	b.Helper()
	srv := emulator.New(emulator.Options{Options: emukit.Options{RateLimit: -1}})
	srv.AddClient(clientID, secret)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
	req := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || rec.Code != http.StatusOK {
		b.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	return srv, tok.AccessToken
}

func benchDo(b *testing.B, srv *emulator.Server, tok, method, path, body string, want int) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
}

func BenchmarkCreateUser(b *testing.B) {
	srv, tok := benchServer(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchDo(b, srv, tok, "POST", "/users",
			`{"name":"user","loginId":"login`+strconv.Itoa(i)+`","mail":"u`+strconv.Itoa(i)+`@example.com","license":"free","role":"user"}`, 200)
	}
}

// BenchmarkListUsersPage reads the third page of a thousand of all the
// users, among 5,000 and among 50,000: a page costs the same at any total
// (the list's matches are kept from one page to the next, not filtered
// again for each).
func BenchmarkListUsersPage(b *testing.B) {
	for _, n := range []int{5000, 50000} {
		b.Run("users="+strconv.Itoa(n), func(b *testing.B) {
			srv, tok := benchServer(b)
			for i := 0; i < n; i++ {
				benchDo(b, srv, tok, "POST", "/users", `{"name":"user","loginId":"login`+strconv.Itoa(i)+`","license":"free","role":"user"}`, 200)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				benchDo(b, srv, tok, "GET", "/users?limit=1000&page=3", "", 200)
			}
		})
	}
}
