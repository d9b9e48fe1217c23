package httpkit

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
)

// oauthAPI is an OAuth2 API behind emukit's rate limiter, on the test's
// fake clock: POST /oauth/token issues tok-1, tok-2, … living lifetime;
// GET /api/things answers 401 to a token that has expired (or that the
// test revoked) and 200 to a live one. The token call counts against the
// rate limit like any other (as PCAID's does). Every every-th API request
// is refused first with a 429 whose Retry-After outlives the token.
type oauthAPI struct {
	*httptest.Server
	kit *emukit.Kit

	mu         sync.Mutex
	lifetime   time.Duration
	issued     map[string]time.Time
	revoked    map[string]bool
	refused    map[string]int // 401s by token
	apiCalls   int
	every      int
	retryAfter int
}

func newOAuthAPI(t *testing.T, clock Clock, lifetime time.Duration, window emukit.Window, every, retryAfter int) *oauthAPI {
	a := &oauthAPI{lifetime: lifetime, issued: map[string]time.Time{}, revoked: map[string]bool{},
		refused: map[string]int{}, every: every, retryAfter: retryAfter}
	a.kit = emukit.New(emukit.Config{
		Name: "oauth", Now: clock.Now, RateLimit: 60, Window: window, ResetHeader: emukit.ResetOnLimit,
		Limited: func() emukit.Response {
			return emukit.Response{Status: http.StatusTooManyRequests, Body: map[string]string{"message": "Too Many Attempts."}}
		},
	})
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/things" {
			a.mu.Lock()
			a.apiCalls++
			n := a.apiCalls
			a.mu.Unlock()
			if a.every > 0 && n%a.every == 0 {
				// A 429 the pacer could not foresee (another client).
				w.Header().Set("Retry-After", fmt.Sprint(a.retryAfter))
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
		}
		a.kit.Serve(w, r, func(r *http.Request, c *emukit.Call) emukit.Response {
			a.mu.Lock()
			defer a.mu.Unlock()
			if r.URL.Path == "/oauth/token" {
				tok := fmt.Sprintf("tok-%d", len(a.issued)+1)
				a.issued[tok] = c.Now
				return emukit.Response{Status: http.StatusOK, Body: map[string]any{
					"access_token": tok, "token_type": "Bearer", "expires_in": a.lifetime.Seconds()}}
			}
			tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			at, ok := a.issued[tok]
			if !ok || a.revoked[tok] || !c.Now.Before(at.Add(a.lifetime)) {
				a.refused[tok]++
				return emukit.Response{Status: http.StatusUnauthorized, Body: map[string]string{"message": "Unauthenticated."}}
			}
			return emukit.Response{Status: http.StatusOK, Body: map[string]string{"token": tok}}
		})
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *oauthAPI) revoke(tok string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.revoked[tok] = true
}

// TestTokensAcrossPacingAndRetries runs 300 calls through a target's
// plumbing (NewTargetHTTP, its token source, BearerTokens) against tokens
// that live 1s or 20s, a rate limit of 60 a minute in either window, and
// 429s whose Retry-After outlives the token. The token goes on each attempt
// after the pacer's wait, so no call fails and no token is sent after it
// expired: not a single 401, where attaching it before the wait met one
// for nearly every expiry.
func TestTokensAcrossPacingAndRetries(t *testing.T) {
	tests := []struct {
		name       string
		lifetime   time.Duration
		window     emukit.Window
		every      int // every n-th API request is refused 429 first
		retryAfter int
	}{
		{"1s fixed", time.Second, emukit.WindowFixed, 25, 2},
		{"1s sliding", time.Second, emukit.WindowSliding, 25, 2},
		{"20s fixed", 20 * time.Second, emukit.WindowFixed, 40, 30},
		{"20s sliding", 20 * time.Second, emukit.WindowSliding, 40, 30},
		{"1h sliding", time.Hour, emukit.WindowSliding, 40, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := httpkittest.NewFakeClock(time.Time{})
			api := newOAuthAPI(t, clock, tt.lifetime, tt.window, tt.every, tt.retryAfter)
			h := NewTargetHTTP(HTTPSettings{Timeout: 5 * time.Second, MaxRetries: 5, Target: "test"},
				TargetOptions{Clock: clock, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond}, nil)
			tokens, err := h.NewTokenSource(TokenSourceOptions{TokenURL: api.URL + "/oauth/token", ClientID: "id", ClientSecret: "secret"})
			if err != nil {
				t.Fatal(err)
			}
			e := Endpoint{Base: api.URL, HTTP: h.Client, Auth: BearerTokens{Tokens: tokens}}
			start := clock.Now()
			failed := 0
			for i := range 300 {
				var out map[string]string
				if err := e.JSON(context.Background(), http.MethodGet, "/api/things", nil, nil, &out); err != nil {
					failed++
					t.Errorf("call %d: %v", i, err)
				}
			}
			api.mu.Lock()
			defer api.mu.Unlock()
			total401 := 0
			for tok, n := range api.refused {
				total401 += n
				if n > 1 {
					t.Errorf("%s refused %d times, want at most once", tok, n)
				}
			}
			st := api.kit.Stats()
			t.Logf("300 calls in %v: %d tokens, %d refused 401, %d rate-limited 429 by the limiter, %d failed",
				clock.Now().Sub(start), len(api.issued), total401, st.RateLimited, failed)
			if total401 != 0 {
				t.Errorf("%d requests carried an expired token", total401)
			}
			if st.RateLimited*200 >= st.Requests {
				t.Errorf("limiter refused %d of %d requests, want under 0.5%%", st.RateLimited, st.Requests)
			}
		})
	}
}

// TestTokenRevokedEarlyIsRenewedOnce: a live token the server stops
// accepting costs one 401 and one renewal; the call succeeds.
func TestTokenRevokedEarlyIsRenewedOnce(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	api := newOAuthAPI(t, clock, time.Hour, emukit.WindowSliding, 0, 0)
	h := NewTargetHTTP(HTTPSettings{Timeout: 5 * time.Second, MaxRetries: 2, Target: "test"},
		TargetOptions{Clock: clock, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond}, nil)
	tokens, err := h.NewTokenSource(TokenSourceOptions{TokenURL: api.URL + "/oauth/token", ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	e := Endpoint{Base: api.URL, HTTP: h.Client, Auth: BearerTokens{Tokens: tokens}}
	ctx := context.Background()
	var out map[string]string
	if err := e.JSON(ctx, http.MethodGet, "/api/things", nil, nil, &out); err != nil || out["token"] != "tok-1" {
		t.Fatalf("first call: %v %v", out, err)
	}
	api.revoke("tok-1")
	if err := e.JSON(ctx, http.MethodGet, "/api/things", nil, nil, &out); err != nil || out["token"] != "tok-2" {
		t.Fatalf("after revocation: %v %v", out, err)
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	if api.refused["tok-1"] != 1 || len(api.issued) != 2 {
		t.Errorf("401s %v, %d tokens issued; want one 401 and 2 tokens", api.refused, len(api.issued))
	}
}
