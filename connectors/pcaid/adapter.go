package pcaid

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"github.com/orgbridge/orgbridge/mapping"
)

// Defaults of the target config.
const (
	DefaultPageSize        = 100
	MaxPageSize            = 100
	DefaultTimeout         = httpkit.DefaultTimeout
	DefaultMaxRetries      = httpkit.DefaultMaxRetries
	DefaultImportThreshold = 100
	DefaultImportPoll      = 2 * time.Second
	// DefaultImportMaxWait bounds how long one import is polled.
	DefaultImportMaxWait = time.Hour
	// TokenPath is the token endpoint's path on the base URL's host, the
	// default token URL.
	TokenPath = "/oauth2/token"
	// readConcurrency bounds the partition user listings of Read.
	readConcurrency = 4
)

// Attribute names a canonical user's Attributes may carry.
const (
	AttrEmployeeNumber = "employee_number"
	AttrDepartment     = "department"
	AttrPosition       = "position"
	// AttrAdmin is "true" or "false": the organization admin role.
	AttrAdmin = "admin"
)

// UserAttributes lists them.
var UserAttributes = []string{AttrEmployeeNumber, AttrDepartment, AttrPosition, AttrAdmin}

// Adapter is the pcaid connectors.Target and connectors.BatchApplier.
type Adapter struct {
	client   *Client
	logger   *zap.Logger
	clock    httpkit.Clock
	pageSize int

	importThreshold int // math.MaxInt: never
	importPoll      time.Duration
	importMaxWait   time.Duration

	// spRevoke is how a partition manager is made a member again,
	// revokeUnknown until the first demotion tells (see demote).
	spRevoke atomic.Int32
}

var (
	_ connectors.Target       = (*Adapter)(nil)
	_ connectors.BatchApplier = (*Adapter)(nil)
)

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

// options are pcaid's own options.
type options struct{ importMaxWait time.Duration }

// WithImportMaxWait bounds how long one import task is polled (default an
// hour); past it every row of the import fails transiently. The clock of
// WithClock is also the poll's (a fake one makes its sleeps take no time).
func WithImportMaxWait(d time.Duration) Option {
	return func(o *httpkit.NewOptions[options]) { o.Own.importMaxWait = d }
}

// New checks cfg, fills its defaults, resolves the client secret and
// returns an adapter. It makes no request: the first call fetches a token.
// The errors are *config.FieldErrors keyed below the block ("page_size"),
// all of them at once. ctx is unused: there is nothing to do on the
// network yet.
func New(ctx context.Context, cfg Config, logger *zap.Logger, opts ...Option) (*Adapter, error) {
	t, err := connectors.StartHTTP("pcaid", logger, options{}, opts, func(options) (settings, httpkit.HTTPSettings, error) {
		return cfg.check()
	}, cfg.ClientSecret, "client_secret")
	if err != nil {
		return nil, err
	}
	s, h := t.Settings, t.HTTP
	maxWait := t.Own.importMaxWait
	if maxWait <= 0 {
		maxWait = DefaultImportMaxWait
	}
	tokens, err := cfg.TokenSource(h, s.tokenURL, t.Secret, httpkit.TokenSourceOptions{AuthStyle: httpkit.AuthInHeader})
	if err != nil {
		return nil, fmt.Errorf("pcaid: %w", err)
	}
	// The client in the form, for a token endpoint that refuses Basic.
	formTokens, err := cfg.TokenSource(h, s.tokenURL, t.Secret, httpkit.TokenSourceOptions{AuthStyle: httpkit.AuthInBody})
	if err != nil {
		return nil, fmt.Errorf("pcaid: %w", err)
	}
	client, err := NewClient(ClientOptions{BaseURL: s.base, HTTP: h.Client, Tokens: tokens, FormTokens: formTokens, Logger: t.Logger})
	if err != nil {
		return nil, err
	}
	return &Adapter{
		client: client, logger: t.Logger, clock: h.Clock, pageSize: s.pageSize,
		importThreshold: s.threshold, importPoll: s.poll, importMaxWait: maxWait,
	}, nil
}

// Client returns the adapter's API client.
func (a *Adapter) Client() *Client { return a.client }

// Capabilities of pcaid: users created, suspended and removed here; service
// partitions as groups, with members and managers (admin); no orgs, the
// organization being the credential's own.
func (a *Adapter) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{
		Users:            true,
		CreatesUsers:     true,
		SuspendsUsers:    true,
		Groups:           true,
		GroupMemberships: true,
		Roles:            []mapping.Role{mapping.RoleMember, mapping.RoleAdmin},
		UserAttributes:   slices.Clone(UserAttributes),
	}
}

// Read returns the actual state keyed by pcaid ids: users, service
// partitions as groups, and partition memberships (manager as admin).
//
// Users are what GET /users lists together with what GET
// /users/query?suspended=true finds: a server may leave suspended users
// out of the plain list (the document's list and search sit side by side),
// and a user it left out would be planned as new, and refused as a
// duplicate email, on every run. A user whose status is removed (or
// deleted) is left out: a server may keep removed users listed.
func (a *Adapter) Read(ctx context.Context) (*mapping.Snapshot, error) {
	var (
		users, suspended []User
		partitions       []ServicePartition
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { users, err = a.client.ListUsers(gctx, a.pageSize); return })
	g.Go(func() (err error) {
		suspended, err = a.client.QueryUsers(gctx, url.Values{"suspended": {"true"}}, a.pageSize)
		return
	})
	g.Go(func() (err error) { partitions, err = a.client.ListPartitions(gctx, a.pageSize); return })
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("pcaid: read: %w", err)
	}

	snap := &mapping.Snapshot{}
	seen, seenUser := map[string]bool{}, map[string]bool{}
	for _, u := range append(users, suspended...) {
		if u.AccountID == "" || seenUser[u.AccountID] || u.Removed() {
			continue
		}
		seenUser[u.AccountID] = true
		snap.Users = append(snap.Users, mapping.User{
			Key:        u.AccountID,
			Email:      u.Email,
			Name:       u.Name,
			Suspended:  u.Suspended,
			Attributes: userAttributes(u),
		})
	}
	var listed []ServicePartition
	for _, p := range partitions {
		if p.ID == "" || seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		snap.Groups = append(snap.Groups, mapping.Group{Key: p.ID, Name: p.Name, Code: p.Code, Description: p.Description})
		listed = append(listed, p)
	}

	members, err := httpkit.ReadEach(ctx, readConcurrency, listed, func(ctx context.Context, p ServicePartition) ([]PartitionUser, error) {
		return a.client.ListPartitionUsers(ctx, p.ID, a.pageSize)
	})
	if err != nil {
		return nil, fmt.Errorf("pcaid: read service partition users: %w", err)
	}
	for i, p := range listed {
		dup := map[string]bool{}
		for _, m := range members[i] {
			// A member the user list does not hold (created meanwhile) is
			// left out: a membership must name a user of the snapshot.
			if m.AccountID == "" || dup[m.AccountID] || !seenUser[m.AccountID] {
				continue
			}
			dup[m.AccountID] = true
			role := mapping.RoleMember
			if m.Manager {
				role = mapping.RoleAdmin
			}
			snap.Memberships = append(snap.Memberships, mapping.Membership{
				UserKey: m.AccountID, Kind: mapping.KindGroup, ContainerKey: p.ID, Role: role,
			})
		}
	}
	snap.Sort()
	a.logger.Debug("read", zap.Int("users", len(snap.Users)), zap.Int("groups", len(snap.Groups)),
		zap.Int("memberships", len(snap.Memberships)))
	return snap, nil
}

// userAttributes renders every attribute of UserAttributes.
func userAttributes(u User) map[string]string {
	return map[string]string{
		AttrEmployeeNumber: u.EmployeeNumber,
		AttrDepartment:     u.Department,
		AttrPosition:       u.Position,
		AttrAdmin:          strconv.FormatBool(u.Admin),
	}
}
