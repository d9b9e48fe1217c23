package httpkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/orgbridge/orgbridge/internal/errkind"
)

// AuthStyle says where a token request carries the client's credentials.
type AuthStyle int

const (
	// AuthInBody sends client_id and client_secret as form fields (the
	// AirCourse way).
	AuthInBody AuthStyle = iota
	// AuthInHeader sends them as HTTP Basic authentication (RFC 6749 2.3.1).
	AuthInHeader
)

// TokenSourceOptions configure a TokenSource.
type TokenSourceOptions struct {
	// Client is the retrying client of the target (NewClient), so that the
	// token call is paced and retried like any other.
	Client       *retryablehttp.Client
	TokenURL     string
	ClientID     string
	ClientSecret string
	// Scopes are joined with ScopeSeparator (default " ", RFC 6749; AirCourse
	// uses ","). No scope parameter is sent when empty.
	Scopes         []string
	ScopeSeparator string
	AuthStyle      AuthStyle
	// Params are extra form fields (audience, resource).
	Params url.Values
	// FetchTimeout bounds one fetch, retries included; default 2 minutes.
	// A fetch runs on behalf of every caller waiting for it, so it does not
	// end when the first caller's context does.
	FetchTimeout time.Duration
	Clock        Clock
	Logger       *zap.Logger
}

// TokenSource obtains OAuth2 client-credentials access tokens, caches them,
// renews them ahead of expiry and on demand (Invalidate), and lets
// concurrent callers share one fetch. The client secret never appears in
// its errors or logs.
type TokenSource struct {
	o      TokenSourceOptions
	flight singleflight.Group

	mu      sync.Mutex
	token   string
	renewAt time.Time // zero: no expiry known, kept until invalidated
}

// NewTokenSource checks the options and returns a source with no token yet.
func NewTokenSource(o TokenSourceOptions) (*TokenSource, error) {
	if o.Client == nil {
		return nil, errors.New("httpkit: token source needs a client")
	}
	u, err := url.Parse(o.TokenURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("httpkit: token URL %q is not an absolute http(s) URL", o.TokenURL)
	}
	if o.ClientID == "" {
		return nil, errors.New("httpkit: token source needs a client id")
	}
	if o.ClientSecret == "" {
		return nil, errors.New("httpkit: token source needs a client secret")
	}
	if o.ScopeSeparator == "" {
		o.ScopeSeparator = " "
	}
	if o.FetchTimeout <= 0 {
		o.FetchTimeout = 2 * time.Minute
	}
	if o.Clock == nil {
		o.Clock = SystemClock
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return &TokenSource{o: o}, nil
}

// RenewMargin is how long before expiry a token of the given lifetime is
// renewed: 5 minutes, or a tenth of a shorter lifetime.
func RenewMargin(ttl time.Duration) time.Duration {
	return min(5*time.Minute, ttl/10)
}

// Token returns a valid access token, fetching one if none is cached or the
// cached one is due for renewal.
func (s *TokenSource) Token(ctx context.Context) (string, error) {
	if tok, ok := s.cached(); ok {
		return tok, nil
	}
	ch := s.flight.DoChan("token", func() (any, error) {
		// A fetch that finished between our look at the cache and this
		// call has already stored a fresh token.
		if tok, ok := s.cached(); ok {
			return tok, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.o.FetchTimeout)
		defer cancel()
		return s.fetch(fctx)
	})
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	}
}

func (s *TokenSource) cached() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == "" {
		return "", false
	}
	if !s.renewAt.IsZero() && !s.o.Clock.Now().Before(s.renewAt) {
		return "", false
	}
	return s.token, true
}

// Invalidate drops token if it is still the cached one, so that the next
// Token call fetches a new one. Call it after a 401 with the token that was
// refused; a token already replaced by another caller is left alone, so
// concurrent 401s cause one fetch, not one each.
func (s *TokenSource) Invalidate(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if token != "" && token == s.token {
		s.token, s.renewAt = "", time.Time{}
		s.o.Logger.Debug("access token invalidated")
	}
}

type tokenResponse struct {
	AccessToken string          `json:"access_token"`
	TokenType   string          `json:"token_type"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
}

func (s *TokenSource) fetch(ctx context.Context) (string, error) {
	form := url.Values{}
	for k, vs := range s.o.Params {
		form[k] = append([]string(nil), vs...)
	}
	form.Set("grant_type", "client_credentials")
	if len(s.o.Scopes) > 0 {
		form.Set("scope", strings.Join(s.o.Scopes, s.o.ScopeSeparator))
	}
	if s.o.AuthStyle == AuthInBody {
		form.Set("client_id", s.o.ClientID)
		form.Set("client_secret", s.o.ClientSecret)
	}
	// The lifetime counts from when the server issued the token, which is
	// after the last attempt went out (past the pacer's wait and any
	// retry), not from when the fetch began. The attempt also hides the
	// call that needed the token, whose credentials this request must not
	// carry.
	// (The hook runs on this goroutine, inside Do.)
	var sentAt time.Time
	a := &attempt{before: func(context.Context, *http.Request) error {
		sentAt = s.o.Clock.Now()
		return nil
	}}
	// Getting a token changes nothing on the server: safe to repeat after
	// a 500.
	req, err := retryablehttp.NewRequestWithContext(withAttempt(MarkIdempotent(ctx), a), http.MethodPost, s.o.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", s.redact(fmt.Errorf("oauth2 token: %w", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if s.o.AuthStyle == AuthInHeader {
		req.SetBasicAuth(url.QueryEscape(s.o.ClientID), url.QueryEscape(s.o.ClientSecret))
	}

	started := s.o.Clock.Now()
	resp, err := Do(s.o.Client, req)
	if err != nil {
		return "", s.redact(fmt.Errorf("oauth2 token: %w", err))
	}
	var tr tokenResponse
	if err := DecodeJSON(resp, &tr); err != nil {
		return "", s.redact(fmt.Errorf("oauth2 token: %w", err))
	}
	if tr.AccessToken == "" {
		return "", fmt.Errorf("oauth2 token: %s %s: response has no access_token", http.MethodPost, req.URL.Path)
	}
	if tt := tr.TokenType; tt != "" && !strings.EqualFold(tt, "bearer") {
		return "", fmt.Errorf("oauth2 token: %s %s: token type %q is not Bearer", http.MethodPost, req.URL.Path, tt)
	}
	obtained := sentAt
	if obtained.IsZero() { // a client without the kit's request hook
		obtained = started
	}
	var renewAt time.Time
	if ttl, ok := parseExpiresIn(tr.ExpiresIn); ok {
		renewAt = obtained.Add(ttl - RenewMargin(ttl))
	}

	s.mu.Lock()
	s.token, s.renewAt = tr.AccessToken, renewAt
	s.mu.Unlock()
	if renewAt.IsZero() {
		s.o.Logger.Debug("access token obtained", zap.String("expiry", "unknown"))
	} else {
		s.o.Logger.Debug("access token obtained", zap.Time("renew_at", renewAt))
	}
	return tr.AccessToken, nil
}

// parseExpiresIn reads expires_in as a number or a numeric string.
func parseExpiresIn(raw json.RawMessage) (time.Duration, bool) {
	v := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if v == "" || v == "null" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// redact removes the client secret (and its form encoding) from err's text,
// keeping err's chain for errors.Is and errors.As.
func (s *TokenSource) redact(err error) error {
	var se *StatusError
	if errors.As(err, &se) {
		// The server's own message, in case it echoes what it was sent.
		se.Message = redactString(se.Message, s.o.ClientSecret)
		var fe *errkind.FieldError
		if errors.As(se.Err, &fe) {
			fe.Message = redactString(fe.Message, s.o.ClientSecret)
			for k, msgs := range fe.Fields {
				for i := range msgs {
					msgs[i] = redactString(msgs[i], s.o.ClientSecret)
				}
				fe.Fields[k] = msgs
			}
		}
	}
	return RedactError(err, s.o.ClientSecret)
}

func redactString(s, secret string) string {
	for _, form := range secretForms(secret) {
		s = strings.ReplaceAll(s, form, "REDACTED")
	}
	return s
}

// RedactError returns err with every occurrence of secret (raw, URL-encoded
// or JSON-escaped) in its text replaced by REDACTED. The chain is kept.
func RedactError(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	msg := err.Error()
	red := redactString(msg, secret)
	if red == msg {
		return err
	}
	return &redactedError{msg: red, err: err}
}

func secretForms(secret string) []string {
	forms := []string{secret}
	if q := url.QueryEscape(secret); q != secret {
		forms = append(forms, q)
	}
	if b, err := json.Marshal(secret); err == nil {
		if j := string(b[1 : len(b)-1]); j != secret {
			forms = append(forms, j)
		}
	}
	return forms
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
