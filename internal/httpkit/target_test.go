package httpkit

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
)

func TestTargetOptions(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	rt := http.DefaultTransport
	o := ApplyOptions(struct{}{}, []Option[struct{}]{
		WithTransport[struct{}](rt), WithClock[struct{}](clock), WithRetryWait[struct{}](time.Millisecond, 2*time.Millisecond),
	}).TargetOptions
	if o.Transport != rt || o.Clock != clock || o.RetryWaitMin != time.Millisecond || o.RetryWaitMax != 2*time.Millisecond {
		t.Fatalf("options = %+v", o)
	}
	h := NewTargetHTTP(HTTPSettings{Timeout: 7 * time.Second, MaxRetries: 2}, o, nil)
	if h.Clock != clock || h.Pacer == nil || h.Client == nil {
		t.Fatalf("TargetHTTP = %+v", h)
	}
	c := h.Client
	if c.HTTPClient.Timeout != 7*time.Second || c.RetryMax != 2 || baseTransport(c.HTTPClient.Transport) != rt ||
		c.RetryWaitMin != time.Millisecond || c.RetryWaitMax != 2*time.Millisecond || c.RequestLogHook == nil {
		t.Errorf("client: timeout %v retries %d wait %v..%v paced %v", c.HTTPClient.Timeout, c.RetryMax, c.RetryWaitMin, c.RetryWaitMax, c.RequestLogHook != nil)
	}
	if d := NewTargetHTTP(HTTPSettings{}, TargetOptions{}, nil); d.Clock != SystemClock {
		t.Errorf("default clock = %v", d.Clock)
	}
}

func TestClientConfigCheck(t *testing.T) {
	intp := func(n int) *int { return &n }
	for _, tc := range []struct {
		in   ClientConfig
		want HTTPSettings
		errs []string
	}{
		{ClientConfig{}, HTTPSettings{Timeout: DefaultTimeout, MaxRetries: DefaultMaxRetries, Target: "demo"}, nil},
		{ClientConfig{Timeout: time.Second, MaxRetries: intp(0)}, HTTPSettings{Timeout: time.Second, Target: "demo"}, nil},
		{ClientConfig{Timeout: -time.Second, MaxRetries: intp(-1)}, HTTPSettings{Timeout: -time.Second, MaxRetries: -1, Target: "demo"},
			[]string{"timeout: -1s is negative", "max_retries: -1 is negative"}},
		{ClientConfig{RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, MaxRetryAfter: 10 * time.Millisecond},
			HTTPSettings{Timeout: DefaultTimeout, MaxRetries: DefaultMaxRetries, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, MaxRetryAfter: 10 * time.Millisecond, Target: "demo"}, nil},
		{ClientConfig{RetryWaitMin: 2 * time.Second, RetryWaitMax: time.Second, MaxRetryAfter: -time.Second},
			HTTPSettings{Timeout: DefaultTimeout, MaxRetries: DefaultMaxRetries, RetryWaitMin: 2 * time.Second, RetryWaitMax: time.Second, Target: "demo"},
			[]string{"max_retry_after: -1s is negative", "retry_wait_max: 1s is less than retry_wait_min (2s)"}},
	} {
		var p config.Problems
		got := tc.in.Check(&p, "demo")
		if got != tc.want {
			t.Errorf("%+v: settings %+v, want %+v", tc.in, got, tc.want)
		}
		if len(tc.errs) == 0 {
			if p.Err() != nil {
				t.Errorf("%+v: Err = %v", tc.in, p.Err())
			}
			continue
		}
		if got := p.Err(); got == nil || got.Error() != strings.Join(tc.errs, "\n") {
			t.Errorf("%+v: Err = %v", tc.in, got)
		}
	}
}

func TestCheckBaseURL(t *testing.T) {
	for _, tc := range []struct{ raw, want, err string }{
		{"https://api.example/v1/", "https://api.example/v1", ""},
		{"", "", "base_url: required"},
		{"ftp://x", "ftp://x", `base_url: "ftp://x" is not an absolute http(s) URL`},
	} {
		var p config.Problems
		got := CheckBaseURL(&p, tc.raw)
		err := ""
		if p.Err() != nil {
			err = p.Err().Error()
		}
		if got != tc.want || err != tc.err {
			t.Errorf("CheckBaseURL(%q) = %q, %q; want %q, %q", tc.raw, got, err, tc.want, tc.err)
		}
	}
}

func TestApplyOptionsAndLogger(t *testing.T) {
	type own struct{ extra, untouched string }
	o := ApplyOptions(own{extra: "default", untouched: "default"}, []Option[own]{
		WithRetryWait[own](time.Second, time.Minute),
		func(o *NewOptions[own]) { o.Own.extra = "set" },
	})
	if o.Own != (own{extra: "set", untouched: "default"}) || o.RetryWaitMin != time.Second || o.RetryWaitMax != time.Minute {
		t.Errorf("options = %+v", o)
	}

	logger, logs := httpkittest.ObservedLogger()
	TargetLogger(logger, "demo").Info("hello")
	if e := logs.All(); len(e) != 1 || e[0].ContextMap()["target"] != "demo" {
		t.Errorf("entries = %+v", e)
	}
	TargetLogger(nil, "demo").Info("a nil logger logs nothing")
}

func TestTokenURLAndTargetTokenSource(t *testing.T) {
	var c config.Problems
	if got := CheckTokenURL(&c, "", "https://a.example/oauth/token"); got != "https://a.example/oauth/token" {
		t.Errorf("default TokenURL = %q", got)
	}
	if got := CheckTokenURL(&c, "https://auth.example/t", "https://a.example/oauth/token"); got != "https://auth.example/t" || c.Len() != 0 {
		t.Errorf("set TokenURL = %q (%v)", got, c.Err())
	}
	CheckTokenURL(&c, "/relative", "")
	if err := c.Err(); err == nil || err.Error() != `token_url: "/relative" is not an absolute http(s) URL` {
		t.Errorf("Err = %v", err)
	}

	srv := newTokenServer(t, "3600")
	clock := httpkittest.NewFakeClock(time.Time{})
	h := NewTargetHTTP(HTTPSettings{Timeout: time.Second}, TargetOptions{Clock: clock}, nil)
	ts, err := h.NewTokenSource(TokenSourceOptions{
		TokenURL: srv.URL + "/oauth/token", ClientID: testClientID, ClientSecret: testSecret,
		Scopes: []string{"read", "write"}, ScopeSeparator: ",",
	})
	if err != nil {
		t.Fatal(err)
	}
	if ts.o.Client != h.Client || ts.o.Clock != clock {
		t.Errorf("the token source does not use the target's client and clock")
	}
	if tok, err := ts.Token(context.Background()); err != nil || tok != "tok-1" {
		t.Errorf("Token = %q, %v", tok, err)
	}
	if st := h.Pacer.State(); st.WindowEnd.IsZero() {
		t.Errorf("the pacer did not count the token call: %+v", st)
	}
}

func TestURLs(t *testing.T) {
	for s, want := range map[string]bool{
		"https://a.example": true, "http://a.example/x?q=1": true,
		"ftp://a.example": false, "/relative": false, "https://": false, "::": false,
	} {
		if got := AbsoluteURL(s); got != want {
			t.Errorf("AbsoluteURL(%q) = %v", s, got)
		}
	}
	u, err := ParseBaseURL("demo", "https://a.example/api/v1//")
	if err != nil || u.String() != "https://a.example/api/v1" {
		t.Errorf("ParseBaseURL = %v, %v", u, err)
	}
	for _, bad := range []string{"", "a.example", "https://a.example/?q=1", "https://a.example/#f", "ftp://a.example"} {
		if _, err := ParseBaseURL("demo", bad); err == nil || !strings.HasPrefix(err.Error(), "demo: base URL ") {
			t.Errorf("ParseBaseURL(%q) err = %v", bad, err)
		}
	}
}

func TestOAuthConfig(t *testing.T) {
	onBase := func(base string) string { return base + "/oauth/token" }
	for _, tc := range []struct {
		in             OAuthConfig
		base, tokenURL string
		errs           []string
	}{
		{OAuthConfig{BaseURL: "https://a.example/v1/", ClientID: "c", ClientSecret: config.Secret{Env: "X"}},
			"https://a.example/v1", "https://a.example/v1/oauth/token", nil},
		{OAuthConfig{BaseURL: "https://a.example", TokenURL: "https://auth.example/t", ClientID: "c", ClientSecret: config.Secret{File: "s"}},
			"https://a.example", "https://auth.example/t", nil},
		{OAuthConfig{TokenURL: "/t"}, "", "/t", []string{
			"base_url: required", `token_url: "/t" is not an absolute http(s) URL`, "client_id: required",
			"client_secret: required: set env (an environment variable's name) or file (a path); the secret itself never goes in the config",
		}},
	} {
		var p config.Problems
		base, tokenURL := tc.in.Check(&p, onBase)
		if base != tc.base || tokenURL != tc.tokenURL {
			t.Errorf("%+v: Check = %q, %q; want %q, %q", tc.in, base, tokenURL, tc.base, tc.tokenURL)
		}
		var got []string
		if err := p.Err(); err != nil {
			got = strings.Split(err.Error(), "\n")
		}
		if strings.Join(got, "|") != strings.Join(tc.errs, "|") {
			t.Errorf("%+v: problems %q, want %q", tc.in, got, tc.errs)
		}
	}

	srv := newTokenServer(t, "3600")
	h := NewTargetHTTP(HTTPSettings{Timeout: time.Second}, TargetOptions{Clock: httpkittest.NewFakeClock(time.Time{})}, nil)
	c := OAuthConfig{ClientID: testClientID, Scopes: []string{"read", "write"}}
	ts, err := c.TokenSource(h, srv.URL+"/oauth/token", testSecret, TokenSourceOptions{ScopeSeparator: ","})
	if err != nil {
		t.Fatal(err)
	}
	if o := ts.o; o.ClientID != testClientID || o.ClientSecret != testSecret || strings.Join(o.Scopes, ",") != "read,write" || o.Client != h.Client {
		t.Errorf("token source options = %+v", o)
	}
	if tok, err := ts.Token(context.Background()); err != nil || tok != "tok-1" {
		t.Errorf("Token = %q, %v", tok, err)
	}
}
