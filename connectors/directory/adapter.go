package directory

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"github.com/orgbridge/orgbridge/mapping"
)

// Defaults of the target config.
const (
	// DefaultTokenPath is appended to base_url when token_url is not set
	// (the document leaves the token URL blank).
	DefaultTokenPath  = "/oauth2/token"
	DefaultTimeout    = httpkit.DefaultTimeout
	DefaultMaxRetries = httpkit.DefaultMaxRetries
	// DefaultAccountType is assigned to a user whose account_type is not
	// mapped or renders empty.
	DefaultAccountType = "standard"
)

// AttrAccountType is the user attribute holding the account type codes.
const AttrAccountType = "account_type"

// UserAttributes are the attributes a canonical user may carry here.
var UserAttributes = []string{AttrAccountType}

// Adapter is the directory connectors.Target: the account-type assignments
// of one organization, one canonical user per subject.
type Adapter struct {
	client      *Client
	logger      *zap.Logger
	defaultCode string

	mu    sync.Mutex
	known map[string]bool // account type codes of the last listing; nil: not known
}

var _ connectors.Target = (*Adapter)(nil)

// Option adjusts New, mostly for tests.
type Option func(*options)

type options struct {
	httpkit.TargetOptions
	defaultCode string
}

func kitOption(f httpkit.TargetOption) Option { return func(o *options) { f(&o.TargetOptions) } }

// WithTransport sends requests through rt instead of a pooled transport.
func WithTransport(rt http.RoundTripper) Option { return kitOption(httpkit.WithTransport(rt)) }

// WithClock sets the clock of the pacer and the token cache (a fake one in
// tests, shared with an emulator).
func WithClock(c httpkit.Clock) Option { return kitOption(httpkit.WithClock(c)) }

// WithRetryWait sets the bounds of the exponential backoff between retries
// (default 500ms to 30s).
func WithRetryWait(lo, hi time.Duration) Option { return kitOption(httpkit.WithRetryWait(lo, hi)) }

// WithDefaultAccountType sets the code assigned to a user without an
// account_type (default DefaultAccountType).
func WithDefaultAccountType(code string) Option { return func(o *options) { o.defaultCode = code } }

// New validates cfg, fills its defaults, resolves the client secret and
// returns an adapter. It makes no request: the first call fetches a token.
func New(ctx context.Context, cfg config.DirectoryTarget, logger *zap.Logger, opts ...Option) (*Adapter, error) {
	_ = ctx // nothing to do on the network yet
	o := httpkit.ApplyOptions(options{defaultCode: DefaultAccountType}, opts)
	logger = httpkit.TargetLogger(logger, "directory")

	cfgErrs := httpkit.NewConfigErrors("directory")
	fail := cfgErrs.Failf

	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		fail("base_url: required")
	} else if !httpkit.AbsoluteURL(base) {
		fail("base_url: %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	tokenURL := cfgErrs.TokenURL(cfg.TokenURL, base+DefaultTokenPath)
	if cfg.ClientID == "" {
		fail("client_id: required")
	}
	for i, s := range cfg.Scopes {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, " \t") {
			fail("scopes[%d]: %q is not a scope (one word each)", i, s)
		}
	}
	if strings.TrimSpace(cfg.OrganizationID) == "" {
		fail("organization_id: required")
	}
	settings := cfgErrs.HTTPClient(cfg.HTTPClient)
	if codes := parseCodes(o.defaultCode); len(codes) != 1 {
		fail("default account type: %q is not one code", o.defaultCode)
	}
	secret := cfgErrs.Secret("client_secret", cfg.ClientSecret)
	if err := cfgErrs.Err(); err != nil {
		return nil, err
	}

	h := httpkit.NewTargetHTTP(settings, o.TargetOptions, logger)
	tokens, err := h.NewTokenSource(httpkit.TokenSourceOptions{
		TokenURL:     tokenURL,
		ClientID:     cfg.ClientID,
		ClientSecret: secret,
		Scopes:       cfg.Scopes,
		// OIDC's default client authentication, client_secret_basic.
		AuthStyle: httpkit.AuthInHeader,
	})
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	client, err := NewClient(ClientOptions{
		BaseURL: base, OrganizationID: strings.TrimSpace(cfg.OrganizationID),
		HTTP: h.Client, Tokens: tokens, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	return &Adapter{client: client, logger: logger, defaultCode: o.defaultCode}, nil
}

// Client returns the adapter's API client.
func (a *Adapter) Client() *Client { return a.client }

// Capabilities of the directory: users only (one per subject holding an
// account type in the organization), created here by their first
// assignment, suspended by status; no orgs, groups or memberships.
func (a *Adapter) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{
		Users:          true,
		CreatesUsers:   true,
		SuspendsUsers:  true,
		UserAttributes: slices.Clone(UserAttributes),
	}
}

// Read returns one user per subject that holds an account type in the
// organization (see the package doc).
func (a *Adapter) Read(ctx context.Context) (*mapping.Snapshot, error) {
	l, err := a.client.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("directory: read: %w", err)
	}
	a.learn(l)
	snap := &mapping.Snapshot{Users: usersOf(l.Assignments)}
	snap.Sort()
	a.logger.Debug("read", zap.Int("users", len(snap.Users)), zap.Int("assignments", len(l.Assignments)),
		zap.Int("account_types", len(l.AccountTypes)))
	return snap, nil
}

// learn keeps the organization's account type codes, to check codes before
// a write, and reports entries it could not read.
func (a *Adapter) learn(l Listing) {
	if l.Skipped > 0 {
		a.logger.Warn("read: list entries that are neither an assignment nor an account type were skipped",
			zap.Int("skipped", l.Skipped))
	}
	if len(l.AccountTypes) == 0 {
		return // a server that does not list them: the server checks
	}
	known := make(map[string]bool, len(l.AccountTypes))
	for _, t := range l.AccountTypes {
		known[t.Code] = true
	}
	a.mu.Lock()
	a.known = known
	a.mu.Unlock()
}

// usersOf groups assignments by subject: the user's account_type is its
// codes, sorted and comma-separated; it is suspended when every one of its
// assignments is.
func usersOf(assignments []Assignment) []mapping.User {
	type held struct {
		codes     []string
		suspended bool
	}
	bySubject := map[string]*held{}
	for _, as := range assignments {
		if as.SubjectID == "" || as.Code == "" {
			continue
		}
		h := bySubject[as.SubjectID]
		if h == nil {
			h = &held{suspended: true}
			bySubject[as.SubjectID] = h
		}
		if !slices.Contains(h.codes, as.Code) {
			h.codes = append(h.codes, as.Code)
		}
		h.suspended = h.suspended && as.Suspended()
	}
	users := make([]mapping.User, 0, len(bySubject))
	for subject, h := range bySubject {
		users = append(users, mapping.User{
			Key: subject, LoginID: subject, Name: subject,
			Suspended:  h.suspended,
			Attributes: map[string]string{AttrAccountType: formatCodes(h.codes)},
		})
	}
	return users
}

// parseCodes reads an account_type value: codes separated by commas,
// trimmed, without repeats, sorted.
func parseCodes(v string) []string {
	var codes []string
	for _, c := range strings.Split(v, ",") {
		if c = strings.TrimSpace(c); c != "" && !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	sort.Strings(codes)
	return codes
}

// formatCodes renders codes as Read reports them: sorted, comma-separated.
func formatCodes(codes []string) string {
	c := slices.Clone(codes)
	sort.Strings(c)
	return strings.Join(c, ",")
}
