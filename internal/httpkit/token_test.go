package httpkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
)

const (
	testClientID = "95e0936f-2635-44c5-9c98-c7b85d650795"
	testSecret   = "sEcReT/with+chars&=1"
)

// tokenServer issues tok-1, tok-2, … to the test client.
type tokenServer struct {
	*httptest.Server
	fetches   atomic.Int32
	expiresIn string
	hold      chan struct{} // when set, each request waits for it to close
	arrived   chan struct{}
	failFirst int // statuses 500 before the first success
}

func newTokenServer(t *testing.T, expiresIn string) *tokenServer {
	ts := &tokenServer{expiresIn: expiresIn}
	var mu sync.Mutex
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ts.arrived != nil {
			select {
			case ts.arrived <- struct{}{}:
			default:
			}
		}
		if ts.hold != nil {
			<-ts.hold
		}
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if ts.failFirst > 0 {
			ts.failFirst--
			w.WriteHeader(500)
			_, _ = io.WriteString(w, `{"message":"Server Error"}`)
			return
		}
		if err := r.ParseForm(); err != nil {
			w.WriteHeader(400)
			return
		}
		id, secret, basic := r.BasicAuth()
		if basic {
			// RFC 6749 2.3.1: both are form-encoded before Basic.
			id, _ = url.QueryUnescape(id)
			secret, _ = url.QueryUnescape(secret)
		} else {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if r.PostForm.Get("grant_type") != "client_credentials" || id != testClientID || secret != testSecret {
			w.WriteHeader(401)
			// A careless server that echoes what it got.
			fmt.Fprintf(w, `{"message":"Client authentication failed for %s"}`, r.PostForm.Get("client_secret"))
			return
		}
		if got := r.PostForm.Get("scope"); got != "read,write" {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"message":"bad scope %q"}`, got)
			return
		}
		n := ts.fetches.Add(1)
		fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":%s,"access_token":"tok-%d"}`, ts.expiresIn, n)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func newTestTokenSource(t *testing.T, url string, clock Clock, secret string) *TokenSource {
	t.Helper()
	o := TokenSourceOptions{
		Client:         fastClient(3),
		TokenURL:       url + "/oauth/token",
		ClientID:       testClientID,
		ClientSecret:   secret,
		Scopes:         []string{"read", "write"},
		ScopeSeparator: ",",
		Clock:          clock,
	}
	s, err := NewTokenSource(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenCachedAndRenewedBeforeExpiry(t *testing.T) {
	srv := newTokenServer(t, "3600")
	clock := httpkittest.NewFakeClock(time.Time{})
	ts := newTestTokenSource(t, srv.URL, clock, testSecret)
	ctx := context.Background()
	for range 10 {
		tok, err := ts.Token(ctx)
		if err != nil || tok != "tok-1" {
			t.Fatalf("Token = %q, %v", tok, err)
		}
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("fetches = %d, want 1", n)
	}
	clock.Advance(54*time.Minute + 59*time.Second)
	if tok, _ := ts.Token(ctx); tok != "tok-1" {
		t.Errorf("at 54:59 Token = %q, want the cached tok-1", tok)
	}
	clock.Advance(time.Second) // 55:00, five minutes before expiry
	if tok, _ := ts.Token(ctx); tok != "tok-2" {
		t.Errorf("at 55:00 Token = %q, want a renewed tok-2", tok)
	}
}

func TestTokenShortLifetimeRenewsAtNinetyPercent(t *testing.T) {
	srv := newTokenServer(t, `"120"`) // a string, read leniently
	clock := httpkittest.NewFakeClock(time.Time{})
	ts := newTestTokenSource(t, srv.URL, clock, testSecret)
	ctx := context.Background()
	_, _ = ts.Token(ctx)
	clock.Advance(107 * time.Second)
	if tok, _ := ts.Token(ctx); tok != "tok-1" {
		t.Errorf("at 107s Token = %q, want tok-1", tok)
	}
	clock.Advance(time.Second)
	if tok, _ := ts.Token(ctx); tok != "tok-2" {
		t.Errorf("at 108s Token = %q, want tok-2", tok)
	}
	if RenewMargin(time.Hour) != 5*time.Minute || RenewMargin(2*time.Minute) != 12*time.Second {
		t.Error("RenewMargin")
	}
}

func TestTokenInvalidate(t *testing.T) {
	srv := newTokenServer(t, "3600")
	ts := newTestTokenSource(t, srv.URL, httpkittest.NewFakeClock(time.Time{}), testSecret)
	ctx := context.Background()
	tok1, _ := ts.Token(ctx)
	ts.Invalidate(tok1)
	tok2, _ := ts.Token(ctx)
	if tok2 != "tok-2" {
		t.Fatalf("after Invalidate Token = %q, want tok-2", tok2)
	}
	// A second 401 seen with the old token does not drop the new one.
	ts.Invalidate(tok1)
	if tok, _ := ts.Token(ctx); tok != "tok-2" {
		t.Errorf("stale Invalidate dropped the new token: %q", tok)
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Errorf("fetches = %d, want 2", n)
	}
}

func TestTokenSingleFlight(t *testing.T) {
	srv := newTokenServer(t, "3600")
	srv.hold = make(chan struct{})
	srv.arrived = make(chan struct{}, 1)
	ts := newTestTokenSource(t, srv.URL, httpkittest.NewFakeClock(time.Time{}), testSecret)

	// The first caller gives up while the fetch is in flight; the others
	// still get the token it fetches.
	quitter, quit := context.WithCancel(context.Background())
	quitErr := make(chan error, 1)
	go func() {
		_, err := ts.Token(quitter)
		quitErr <- err
	}()
	<-srv.arrived
	var wg sync.WaitGroup
	toks := make([]string, 16)
	errs := make([]error, 16)
	for i := range toks {
		wg.Go(func() { toks[i], errs[i] = ts.Token(context.Background()) })
	}
	quit()
	if err := <-quitErr; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v", err)
	}
	close(srv.hold)
	wg.Wait()
	for i := range toks {
		if errs[i] != nil || toks[i] != "tok-1" {
			t.Errorf("caller %d: %q, %v", i, toks[i], errs[i])
		}
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Errorf("fetches = %d, want 1", n)
	}
}

func TestTokenRetriedAfter500(t *testing.T) {
	srv := newTokenServer(t, "3600")
	srv.failFirst = 2
	ts := newTestTokenSource(t, srv.URL, httpkittest.NewFakeClock(time.Time{}), testSecret)
	if tok, err := ts.Token(context.Background()); err != nil || tok != "tok-1" {
		t.Fatalf("Token = %q, %v", tok, err)
	}
}

func TestTokenErrorHidesSecret(t *testing.T) {
	srv := newTokenServer(t, "3600")
	logger, logs := httpkittest.ObservedLogger()
	const wrong = "wrong-secret-value"
	ts, err := NewTokenSource(TokenSourceOptions{
		Client:       NewClient(Options{Logger: logger, MaxRetries: 1, RetryWaitMin: time.Millisecond}),
		TokenURL:     srv.URL + "/oauth/token",
		ClientID:     testClientID,
		ClientSecret: wrong,
		Scopes:       []string{"read", "write"}, ScopeSeparator: ",",
		Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.Token(context.Background())
	if err == nil {
		t.Fatal("Token succeeded with a wrong secret")
	}
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 401 {
		t.Fatalf("err = %v, want a 401 StatusError", err)
	}
	if !strings.Contains(err.Error(), "POST /oauth/token: 401") || !strings.Contains(err.Error(), "Client authentication failed") {
		t.Errorf("error %q does not say what failed", err)
	}
	httpkittest.AssertNoSecret(t, wrong, err.Error(), se.Message, fmt.Sprintf("%+v", err), httpkittest.LogText(logs))
}

func TestTokenBasicAuthStyle(t *testing.T) {
	srv := newTokenServer(t, "3600")
	ts, err := NewTokenSource(TokenSourceOptions{
		Client: fastClient(0), TokenURL: srv.URL + "/oauth/token",
		ClientID: testClientID, ClientSecret: testSecret,
		Scopes: []string{"read", "write"}, ScopeSeparator: ",",
		AuthStyle: AuthInHeader,
	})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := ts.Token(context.Background()); err != nil || tok != "tok-1" {
		t.Fatalf("Token = %q, %v", tok, err)
	}
}

func TestNewTokenSourceValidates(t *testing.T) {
	c := fastClient(0)
	for _, o := range []TokenSourceOptions{
		{TokenURL: "https://x/oauth/token", ClientID: "a", ClientSecret: "b"},
		{Client: c, TokenURL: "/oauth/token", ClientID: "a", ClientSecret: "b"},
		{Client: c, TokenURL: "https://x/oauth/token", ClientSecret: "b"},
		{Client: c, TokenURL: "https://x/oauth/token", ClientID: "a"},
	} {
		if _, err := NewTokenSource(o); err == nil {
			t.Errorf("NewTokenSource(%+v) accepted", o)
		}
	}
}
