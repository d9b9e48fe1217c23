package directory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
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
	status      StatusValues    // both set
	managed     map[string]bool // nil: every account type

	mu    sync.Mutex
	known map[string]bool // account type codes of the last listing; nil: not known
	// handMade holds, for each subject of the last listing, the codes it
	// holds outside managed_account_types.
	handMade map[string][]string
	put      putMode
	// single: the server refused a second account type to a subject (409
	// on a code it did not hold), so codes are removed before others are
	// assigned.
	single bool
}

// putMode is what PUT to a code the subject does not hold was found to do.
type putMode int

const (
	putUnknown    putMode = iota
	putStatusOnly         // 404: PUT only sets the status of an assignment
	putReplaces           // the new code took the old one's place
	putAdds               // the new code came beside the old one
)

var _ connectors.Target = (*Adapter)(nil)

// Option adjusts New, mostly for tests.
type Option = httpkit.Option[options]

// WithTransport, WithClock and WithRetryWait are httpkit's at this
// target's Option: a transport, a clock (a fake one in tests, shared with
// an emulator) and the bounds of the backoff between retries.
var (
	WithTransport = httpkit.WithTransport[options]
	WithClock     = httpkit.WithClock[options]
	WithRetryWait = httpkit.WithRetryWait[options]
)

// options are directory's own options.
type options struct{ defaultCode string }

// WithDefaultAccountType sets the code assigned to a user without an
// account_type (default DefaultAccountType).
func WithDefaultAccountType(code string) Option {
	return func(o *httpkit.NewOptions[options]) { o.Own.defaultCode = code }
}

// New checks cfg, fills its defaults, resolves the client secret and
// returns an adapter. It makes no request: the first call fetches a token.
// The errors are *config.FieldErrors keyed below the block
// ("organization_id: required"), all of them at once. ctx is unused: there
// is nothing to do on the network yet.
func New(ctx context.Context, cfg Config, logger *zap.Logger, opts ...Option) (*Adapter, error) {
	t, err := connectors.StartHTTP("directory", logger, options{defaultCode: DefaultAccountType}, opts, func(o options) (settings, httpkit.HTTPSettings, error) {
		return cfg.check(o.defaultCode)
	}, cfg.ClientSecret, "client_secret")
	if err != nil {
		return nil, err
	}
	s, h, logger := t.Settings, t.HTTP, t.Logger
	auth := &clientAuth{logger: logger}
	for _, style := range []httpkit.AuthStyle{httpkit.AuthInHeader, httpkit.AuthInBody} {
		tokens, err := cfg.TokenSource(h, s.tokenURL, t.Secret, httpkit.TokenSourceOptions{AuthStyle: style})
		if err != nil {
			return nil, fmt.Errorf("directory: %w", err)
		}
		if style == httpkit.AuthInHeader {
			auth.basic = tokens
		} else {
			auth.post = tokens
		}
	}
	client, err := NewClient(ClientOptions{
		BaseURL: s.base, OrganizationID: strings.TrimSpace(cfg.OrganizationID),
		HTTP: h.Client, Auth: auth, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	return &Adapter{client: client, logger: logger, defaultCode: t.Own.defaultCode, status: s.status, managed: s.managed}, nil
}

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
// organization (see the package doc). It fails, rather than report a
// target it cannot see, when the list does not give the assignments
// (ErrNoAssignments) or holds a status it cannot place.
func (a *Adapter) Read(ctx context.Context) (*mapping.Snapshot, error) {
	l, err := a.client.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("directory: read: %w", err)
	}
	a.learn(l)
	users, err := a.usersOf(l.Assignments)
	if err != nil {
		return nil, fmt.Errorf("directory: read: %w", err)
	}
	snap := &mapping.Snapshot{Users: users}
	snap.Sort()
	a.logger.Debug("read", zap.Int("users", len(snap.Users)), zap.Int("assignments", len(l.Assignments)),
		zap.Int("account_types", len(l.AccountTypes)))
	return snap, nil
}

// learn keeps the organization's account type codes, to check codes before
// a write, and the hand-made codes of each subject.
func (a *Adapter) learn(l Listing) {
	handMade := map[string][]string{}
	for _, as := range l.Assignments {
		if _, ok := handMade[as.SubjectID]; !ok {
			handMade[as.SubjectID] = nil
		}
		if !a.isManaged(as.Code) && !slices.Contains(handMade[as.SubjectID], as.Code) {
			handMade[as.SubjectID] = append(handMade[as.SubjectID], as.Code)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.handMade = handMade
	if len(l.AccountTypes) == 0 {
		return // a server that does not list them: the server checks
	}
	known := make(map[string]bool, len(l.AccountTypes))
	for _, t := range l.AccountTypes {
		known[t.Code] = true
	}
	a.known = known
	for code := range a.managed {
		if !known[code] {
			a.logger.Warn("managed_account_types names a code the organization does not list", zap.String("code", code))
		}
	}
}

// isManaged reports whether orgbridge assigns and removes the code.
func (a *Adapter) isManaged(code string) bool { return a.managed == nil || a.managed[code] }

// classify places a status the server wrote: suspended or not, and whether
// the word was recognised. The configured words come first, in any case;
// then the words servers commonly use; no status at all is active.
func (a *Adapter) classify(status string) (suspended, ok bool) {
	s := strings.TrimSpace(status)
	switch {
	case s == "", strings.EqualFold(s, a.status.Active):
		return false, true
	case strings.EqualFold(s, a.status.Suspended):
		return true, true
	case suspendedWords[strings.ToLower(s)]:
		return true, true
	case activeWords[strings.ToLower(s)]:
		return false, true
	}
	return false, false
}

// usersOf groups assignments by subject: the user's account_type is the
// managed codes it holds, sorted and comma-separated; it is suspended when
// every one of them is (every one of its codes, when it holds no managed
// one). A status the adapter cannot place fails the read: reading it as
// active, or as suspended, could leave a leaver with access.
func (a *Adapter) usersOf(assignments []Assignment) ([]mapping.User, error) {
	type held struct {
		managed                 []string
		suspended, allSuspended bool
	}
	bySubject := map[string]*held{}
	caseOff := map[string]string{} // a configured word the server writes in another case
	for _, as := range assignments {
		if as.SubjectID == "" || as.Code == "" {
			continue
		}
		suspended, ok := a.classify(as.Status)
		if !ok {
			return nil, fmt.Errorf("subject %s holds account type %q with status %q, which is neither "+
				"directory.status_values.active (%q) nor directory.status_values.suspended (%q): set them to the words this server uses",
				as.SubjectID, as.Code, as.Status, a.status.Active, a.status.Suspended)
		}
		for key, want := range map[string]string{"active": a.status.Active, "suspended": a.status.Suspended} {
			if strings.EqualFold(as.Status, want) && as.Status != want {
				caseOff[key] = as.Status
			}
		}
		h := bySubject[as.SubjectID]
		if h == nil {
			h = &held{suspended: true, allSuspended: true}
			bySubject[as.SubjectID] = h
		}
		h.allSuspended = h.allSuspended && suspended
		if a.isManaged(as.Code) && !slices.Contains(h.managed, as.Code) {
			h.managed = append(h.managed, as.Code)
			h.suspended = h.suspended && suspended
		}
	}
	for key, seen := range caseOff {
		a.logger.Warn("the server writes a status in another case than directory.status_values: writes will send the configured word, which it may refuse",
			zap.String("key", "status_values."+key), zap.String("server_writes", seen))
	}
	users := make([]mapping.User, 0, len(bySubject))
	for subject, h := range bySubject {
		suspended := h.suspended
		if len(h.managed) == 0 {
			suspended = h.allSuspended
		}
		users = append(users, mapping.User{
			Key: subject, LoginID: subject, Name: subject,
			Suspended:  suspended,
			Attributes: map[string]string{AttrAccountType: formatCodes(h.managed)},
		})
	}
	return users, nil
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
