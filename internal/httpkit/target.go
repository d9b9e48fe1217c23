package httpkit

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/config"
)

// DefaultMaxRetries is the retry budget of a target whose config leaves
// max_retries unset.
const DefaultMaxRetries = 5

// TargetOptions are what every HTTP target's New can be told besides its
// config, mostly by tests (see Option). The zero value is the production
// setting.
type TargetOptions struct {
	// Transport replaces the pooled transport (nil: NewClient's default).
	Transport http.RoundTripper
	// Clock is the clock of the pacer and the token cache (nil:
	// SystemClock).
	Clock Clock
	// RetryWaitMin and RetryWaitMax bound the backoff between retries
	// (zero: NewClient's defaults, 500ms to 30s).
	RetryWaitMin, RetryWaitMax time.Duration
}

// NewOptions are the options of an HTTP target's New: the TargetOptions
// every target takes, and Own, those of the target alone (struct{} when it
// has none; pcaid's import wait, directory's default account type).
type NewOptions[X any] struct {
	TargetOptions
	Own X
}

// Option adjusts an HTTP target's New. Each target names it at its own X
// (type Option = httpkit.Option[own]) and exports WithTransport, WithClock
// and WithRetryWait at that X, so that one definition serves every target.
type Option[X any] func(*NewOptions[X])

// WithTransport sends requests through rt instead of a pooled transport.
func WithTransport[X any](rt http.RoundTripper) Option[X] {
	return func(o *NewOptions[X]) { o.Transport = rt }
}

// WithClock sets the clock of the pacer and the token cache (a fake one in
// tests, shared with an emulator).
func WithClock[X any](c Clock) Option[X] { return func(o *NewOptions[X]) { o.Clock = c } }

// WithRetryWait sets the bounds of the exponential backoff between retries
// (default 500ms to 30s).
func WithRetryWait[X any](lo, hi time.Duration) Option[X] {
	return func(o *NewOptions[X]) { o.RetryWaitMin, o.RetryWaitMax = lo, hi }
}

// ApplyOptions applies a target's options, in order, over own (the
// target's defaults) and the zero TargetOptions.
func ApplyOptions[X any](own X, opts []Option[X]) NewOptions[X] {
	o := NewOptions[X]{Own: own}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// TargetLogger is logger (nil: a no-op logger) naming the target in every
// entry.
func TargetLogger(logger *zap.Logger, target string) *zap.Logger {
	if logger == nil {
		logger = zap.NewNop()
	}
	return logger.With(zap.String("target", target))
}

// HTTPSettings are a target's ClientConfig, checked and defaulted by
// ClientConfig.Check.
type HTTPSettings struct {
	Timeout    time.Duration
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the backoff between retries,
	// MaxRetryAfter caps a server's Retry-After (zero: NewClient's
	// defaults).
	RetryWaitMin, RetryWaitMax, MaxRetryAfter time.Duration
	// Target names the target in the metrics; ClientConfig.Check sets
	// it to the collector's target ("capgo").
	Target string
}

// TargetHTTP is the HTTP plumbing of one target: the clock, the pacer that
// follows the server's X-RateLimit-* headers and a 429's Retry-After, and
// the retrying client paced by it.
type TargetHTTP struct {
	Clock  Clock
	Pacer  *Pacer
	Client *retryablehttp.Client
	Logger *zap.Logger
}

// NewTargetHTTP builds a target's clock, pacer and client from its checked
// settings and its options. Every target paces: a server that announces no
// rate limit leaves the pacer idle.
func NewTargetHTTP(s HTTPSettings, o TargetOptions, logger *zap.Logger) TargetHTTP {
	clock := o.Clock
	if clock == nil {
		clock = SystemClock
	}
	pacer := NewPacer(PacerOptions{Clock: clock, Logger: logger, MaxWait: s.MaxRetryAfter})
	lo, hi := s.RetryWaitMin, s.RetryWaitMax
	if o.RetryWaitMin > 0 || o.RetryWaitMax > 0 {
		lo, hi = o.RetryWaitMin, o.RetryWaitMax
	}
	return TargetHTTP{
		Clock:  clock,
		Pacer:  pacer,
		Logger: logger,
		Client: NewClient(Options{
			Timeout:       s.Timeout,
			MaxRetries:    s.MaxRetries,
			RetryWaitMin:  lo,
			RetryWaitMax:  hi,
			MaxRetryAfter: s.MaxRetryAfter,
			Pacer:         pacer,
			Logger:        logger,
			Transport:     o.Transport,
			Target:        s.Target,
		}),
	}
}

// NewTokenSource returns a token source that fetches through the target's
// client (so the pacer counts the token calls too), on its clock and
// logger; o says the rest (URL, credentials, scopes, auth style).
func (h TargetHTTP) NewTokenSource(o TokenSourceOptions) (*TokenSource, error) {
	o.Client, o.Clock, o.Logger = h.Client, h.Clock, h.Logger
	return NewTokenSource(o)
}

// ClientConfig holds the keys every HTTP target's block shares (inlined
// in it: `timeout`, `max_retries`, `retry_wait_min`, `retry_wait_max`,
// `max_retry_after`).
type ClientConfig struct {
	// Timeout of one HTTP request; default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// MaxRetries of one request on 429/5xx; default 5.
	MaxRetries *int `yaml:"max_retries"`
	// RetryWaitMin and RetryWaitMax bound the exponential backoff between
	// retries; defaults 500ms and 30s.
	RetryWaitMin time.Duration `yaml:"retry_wait_min"`
	RetryWaitMax time.Duration `yaml:"retry_wait_max"`
	// MaxRetryAfter caps the wait a server's Retry-After asks for; default
	// 5m.
	MaxRetryAfter time.Duration `yaml:"max_retry_after"`
}

// Check records the problems of timeout and max_retries in p and returns
// the settings with their defaults (DefaultTimeout, DefaultMaxRetries);
// they name target, so that its client counts its requests under that
// name in the metrics.
func (c ClientConfig) Check(p *config.Problems, target string) HTTPSettings {
	s := HTTPSettings{Timeout: c.Timeout, MaxRetries: DefaultMaxRetries, Target: target}
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	} else if s.Timeout < 0 {
		p.Add("timeout", "%v is negative", s.Timeout)
	}
	if c.MaxRetries != nil {
		if s.MaxRetries = *c.MaxRetries; s.MaxRetries < 0 {
			p.Add("max_retries", "%d is negative", s.MaxRetries)
		}
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"retry_wait_min", c.RetryWaitMin}, {"retry_wait_max", c.RetryWaitMax}, {"max_retry_after", c.MaxRetryAfter}} {
		if d.v < 0 {
			p.Add(d.key, "%v is negative", d.v)
		}
	}
	if c.RetryWaitMin > 0 && c.RetryWaitMax > 0 && c.RetryWaitMax < c.RetryWaitMin {
		p.Add("retry_wait_max", "%v is less than retry_wait_min (%v)", c.RetryWaitMax, c.RetryWaitMin)
	}
	s.RetryWaitMin, s.RetryWaitMax, s.MaxRetryAfter = max(c.RetryWaitMin, 0), max(c.RetryWaitMax, 0), max(c.MaxRetryAfter, 0)
	return s
}

// OAuthConfig holds the keys of an HTTP target reached with OAuth 2.0
// client credentials (inlined in its block: `base_url`, `token_url`,
// `client_id`, `client_secret`, `scopes`).
type OAuthConfig struct {
	BaseURL string `yaml:"base_url"`
	// TokenURL defaults to a URL the target derives from BaseURL.
	TokenURL     string        `yaml:"token_url"`
	ClientID     string        `yaml:"client_id"`
	ClientSecret config.Secret `yaml:"client_secret"`
	// Scopes are checked, and given their defaults, by the target: each
	// API has its own.
	Scopes []string `yaml:"scopes"`
}

// Check records the problems of base_url, token_url, client_id and
// client_secret in p and returns the base URL without trailing slashes
// (CheckBaseURL) and the token URL: token_url, or defaultTokenURL of that
// base when it is unset (CheckTokenURL).
func (c OAuthConfig) Check(p *config.Problems, defaultTokenURL func(base string) string) (base, tokenURL string) {
	base = CheckBaseURL(p, c.BaseURL)
	tokenURL = CheckTokenURL(p, c.TokenURL, defaultTokenURL(base))
	if c.ClientID == "" {
		p.Add("client_id", "required")
	}
	c.ClientSecret.Check(p, "client_secret")
	return base, tokenURL
}

// TokenSource returns a token source of these credentials, given the
// token URL Check returned and the resolved client secret, through h's
// client, clock and logger; o says the rest (scopes, auth style), its
// empty Scopes the configured ones.
func (c OAuthConfig) TokenSource(h TargetHTTP, tokenURL, secret string, o TokenSourceOptions) (*TokenSource, error) {
	o.TokenURL, o.ClientID, o.ClientSecret = tokenURL, c.ClientID, secret
	if len(o.Scopes) == 0 {
		o.Scopes = c.Scopes
	}
	return h.NewTokenSource(o)
}

// CheckBaseURL records a problem with base_url unless raw is an absolute
// http(s) URL without query or fragment (ParseBaseURL), and returns it
// without trailing slashes.
func CheckBaseURL(p *config.Problems, raw string) string {
	base := strings.TrimRight(raw, "/")
	if base == "" {
		p.Add("base_url", "required")
	} else if _, err := ParseBaseURL("", base); err != nil {
		p.Add("base_url", "%q is not an absolute http(s) URL", raw)
	}
	return base
}

// CheckTokenURL checks token_url: an absolute http(s) URL when set, else
// def.
func CheckTokenURL(p *config.Problems, raw, def string) string {
	if raw == "" {
		return def
	}
	if !AbsoluteURL(raw) {
		p.Add("token_url", "%q is not an absolute http(s) URL", raw)
	}
	return raw
}

// AbsoluteURL reports whether s is an absolute http or https URL with a
// host.
func AbsoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// ParseBaseURL reads an API's base URL: an absolute http(s) URL without
// query or fragment; trailing slashes are dropped. The error names the
// target ("pcaid: base URL … is not an absolute http(s) URL").
func ParseBaseURL(target, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s: base URL %q is not an absolute http(s) URL", target, raw)
	}
	return u, nil
}
