package httpkit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/orgbridge/orgbridge/internal/errkind"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
)

// apiServer answers /api/things: 401 to a token it has refused, else it
// echoes the request.
type apiServer struct {
	*httptest.Server
	calls    atomic.Int32
	refuse   func(auth string) bool
	lastReq  atomic.Pointer[http.Request]
	lastBody atomic.Pointer[string]
}

func newAPIServer(t *testing.T, refuse func(auth string) bool) *apiServer {
	s := &apiServer{refuse: refuse}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		body := string(b)
		s.lastReq.Store(r)
		s.lastBody.Store(&body)
		w.Header().Set("Content-Type", "application/json")
		if s.refuse != nil && s.refuse(r.Header.Get("Authorization")) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"message":"Unauthenticated."}`)
			return
		}
		if r.URL.Path == "/api/missing" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"message":"no such thing"}`)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{
			"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery,
			"auth": r.Header.Get("Authorization"), "body": body,
			"content_type": r.Header.Get("Content-Type"), "accept": r.Header.Get("Accept"),
		})
	}))
	t.Cleanup(s.Close)
	return s
}

func TestEndpointJSONSendsAndDecodes(t *testing.T) {
	srv := newAPIServer(t, nil)
	e := Endpoint{Base: srv.URL + "/api", HTTP: fastClient(0), Auth: Bearer("static-token")}
	var out map[string]string
	err := e.JSON(context.Background(), http.MethodPost, "/things", map[string][]string{"q": {"a b"}}, map[string]int{"n": 1}, &out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"method": "POST", "path": "/api/things", "query": "q=a+b", "auth": "Bearer static-token",
		"body": `{"n":1}`, "content_type": "application/json", "accept": "application/json",
	}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("%s = %q, want %q", k, out[k], v)
		}
	}

	// No body: no Content-Type; a nil out discards the answer.
	if err := e.JSON(context.Background(), http.MethodDelete, "/things/1", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if r := srv.lastReq.Load(); r.Header.Get("Content-Type") != "" || *srv.lastBody.Load() != "" {
		t.Errorf("DELETE without body sent Content-Type %q body %q", r.Header.Get("Content-Type"), *srv.lastBody.Load())
	}
}

func TestEndpointSendReturnsResponse(t *testing.T) {
	srv := newAPIServer(t, nil)
	e := Endpoint{Base: srv.URL + "/api", HTTP: fastClient(0), Auth: HeaderAuth{Value: "raw-key"}}
	resp, err := e.Send(context.Background(), http.MethodGet, "/things", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var raw json.RawMessage
	if err := DecodeJSON(resp, &raw); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, decode %v", resp.StatusCode, err)
	}
	if !strings.Contains(string(raw), `"auth":"raw-key"`) {
		t.Errorf("answer %s: the raw key was not sent as it is", raw)
	}
}

func TestJSONErrors(t *testing.T) {
	srv := newAPIServer(t, nil)
	c := fastClient(0)
	ctx := context.Background()

	err := JSON(ctx, c, http.MethodGet, srv.URL+"/api/missing", nil, nil, nil)
	if !errors.Is(err, errkind.ErrNotFound) || !strings.Contains(err.Error(), "GET /api/missing: 404") {
		t.Errorf("404: %v", err)
	}

	err = JSON(ctx, c, http.MethodPut, srv.URL+"/api/things/x%2Fy", func() {}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "PUT /api/things/x%2Fy: encode body") {
		t.Errorf("unencodable body: %v", err)
	}
	if n := srv.calls.Load(); n != 1 {
		t.Errorf("calls = %d, want 1 (nothing sent for a body that cannot be encoded)", n)
	}

	// No token: the call is not sent, not retried (the token call had
	// its retries) and, the client being refused, not transient.
	e := Endpoint{Base: srv.URL + "/base", HTTP: fastClient(3), Auth: BearerTokens{Tokens: failingTokens(t)}}
	err = e.JSON(ctx, http.MethodGet, "/users", nil, nil, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "GET /users: access token: ") || errkind.IsTransient(err) {
		t.Errorf("token failure: %v", err)
	}
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusUnauthorized || se.Path != "/oauth/token" {
		t.Errorf("token failure does not wrap the token endpoint's 401: %v", err)
	}
	if n := srv.calls.Load(); n != 1 {
		t.Errorf("calls = %d, want 1 (nothing sent without a token)", n)
	}
}

// failingTokens is a token source whose token endpoint refuses the client.
func failingTokens(t *testing.T) *TokenSource {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
	}))
	t.Cleanup(srv.Close)
	ts, err := NewTokenSource(TokenSourceOptions{Client: fastClient(0), TokenURL: srv.URL + "/oauth/token", ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestJSONRenewsTokenOnceAfter401(t *testing.T) {
	tokens := newTokenServer(t, "3600")
	ts := newTestTokenSource(t, tokens.URL, httpkittest.NewFakeClock(time.Time{}), testSecret)
	logger, logs := httpkittest.ObservedLogger()
	auth := BearerTokens{Tokens: ts, Logger: logger}
	ctx := context.Background()

	// tok-1 is refused (revoked early): the call is sent again with tok-2.
	srv := newAPIServer(t, func(h string) bool { return h == "Bearer tok-1" })
	var out map[string]string
	if err := JSON(ctx, fastClient(0), http.MethodGet, srv.URL+"/api/things", nil, &out, auth); err != nil {
		t.Fatal(err)
	}
	if out["auth"] != "Bearer tok-2" || srv.calls.Load() != 2 || tokens.fetches.Load() != 2 {
		t.Errorf("auth %q after %d calls and %d token fetches, want tok-2 after 2 and 2", out["auth"], srv.calls.Load(), tokens.fetches.Load())
	}
	if !strings.Contains(httpkittest.LogText(logs), "access token refused, renewing") {
		t.Errorf("no renewal logged:\n%s", httpkittest.LogText(logs))
	}

	// Every token refused: one renewal, then the 401 is the error.
	srv2 := newAPIServer(t, func(string) bool { return true })
	err := JSON(ctx, fastClient(0), http.MethodPost, srv2.URL+"/api/things", map[string]string{"a": "b"}, nil, auth)
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
		t.Fatalf("err = %v, want the 401", err)
	}
	if n := srv2.calls.Load(); n != 2 {
		t.Errorf("calls = %d, want 2 (one renewal only)", n)
	}
	if body := *srv2.lastBody.Load(); body != `{"a":"b"}` {
		t.Errorf("the second attempt sent body %q", body)
	}
}

func TestStaticAuthIsNotRetriedAfter401(t *testing.T) {
	srv := newAPIServer(t, func(string) bool { return true })
	err := JSON(context.Background(), fastClient(3), http.MethodGet, srv.URL+"/api/things", nil, nil, Bearer("static"))
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusUnauthorized || errkind.IsTransient(err) {
		t.Fatalf("err = %v, want a plain 401", err)
	}
	if n := srv.calls.Load(); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
}

func TestHeaderAuthHeader(t *testing.T) {
	req, _ := retryablehttp.NewRequest(http.MethodGet, "http://example.com/", nil)
	_ = HeaderAuth{Header: "X-API-Key", Value: "k"}.Authorize(context.Background(), req)
	if got := req.Header.Get("X-API-Key"); got != "k" || req.Header.Get("Authorization") != "" {
		t.Errorf("X-API-Key = %q, Authorization = %q", got, req.Header.Get("Authorization"))
	}
}

// cancellingClock ends the call's context when the pacer sleeps.
type cancellingClock struct {
	*httpkittest.FakeClock
	cancel context.CancelFunc
}

func (c cancellingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.cancel()
	return c.FakeClock.Sleep(ctx, d)
}

// TestCancelWhilePacedIsTheContextsError: a call whose context ends while
// the pacer holds it fails with the context's error, unsent, and is not
// blamed on the token.
func TestCancelWhilePacedIsTheContextsError(t *testing.T) {
	tokens := newTokenServer(t, "3600")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := cancellingClock{httpkittest.NewFakeClock(time.Time{}), cancel}
	srv := newAPIServer(t, nil)
	pacer := NewPacer(PacerOptions{Clock: clock})
	pacer.Observe(rlResponse(http.StatusTooManyRequests, 60, 0, "30"))
	c := NewClient(Options{Pacer: pacer, MaxRetries: 3, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	ts := newTestTokenSource(t, tokens.URL, clock, testSecret)
	err := JSON(ctx, c, http.MethodGet, srv.URL+"/api/things", nil, nil, BearerTokens{Tokens: ts})
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "access token") || errkind.IsTransient(err) {
		t.Errorf("err = %v, want the context's error", err)
	}
	if n := srv.calls.Load(); n != 0 {
		t.Errorf("calls = %d, want 0", n)
	}
	if n := tokens.fetches.Load(); n != 1 {
		t.Errorf("token fetches = %d, want 1 (before the wait)", n)
	}
}
