package scimtarget

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"github.com/orgbridge/orgbridge/mapping"
)

// The collections of a SCIM service provider, relative to its base URL.
const (
	usersPath  = "/Users"
	groupsPath = "/Groups"
)

// OrgPrefix starts the externalId of a Group that holds an org (orgs_as
// groups): Read tells org Groups from the others by it, and the rest of
// the externalId is the org's code.
const OrgPrefix = "org:"

// Adapter is the SCIM connectors.Target.
type Adapter struct {
	client   *client
	logger   *zap.Logger
	pageSize int
	orgsAs   string
	attrs    attrMap
	maxOps   int

	// versions are the ETags of resources, by path, as the last Read or
	// write reported them; sent as If-Match when the server versions.
	vmu      sync.Mutex
	versions map[string]string

	members memberQueues

	// listed is what the last Read listed, by natural key, for the
	// lookup before a create (listed.go).
	lmu    sync.Mutex
	listed *listed
}

var (
	_ connectors.Target = (*Adapter)(nil)
	_ connectors.Finder = (*Adapter)(nil)
)

// New validates cfg, resolves its secret (the token, or the client
// secret of OAuth2 client credentials) and returns an adapter. It makes
// no request: the server's features are read on first use.
func New(ctx context.Context, cfg Config, logger *zap.Logger, opts ...connectors.HTTPOption) (*Adapter, error) {
	_ = ctx
	secret, key := cfg.Token, "token"
	if cfg.oauth() {
		secret, key = cfg.ClientSecret, "client_secret"
	}
	// Last, so that it wraps whatever transport the options set.
	opts = append(opts[:len(opts):len(opts)], func(o *httpkit.NewOptions[struct{}]) {
		next := o.Transport
		if next == nil {
			next = http.DefaultTransport.(*http.Transport).Clone()
		}
		o.Transport = scimErrors{next: next}
	})
	t, err := connectors.StartPlainHTTP("scim", logger, opts, func() (settings, httpkit.HTTPSettings, error) {
		s, err := cfg.check()
		return s, s.http, err
	}, secret, key)
	if err != nil {
		return nil, err
	}
	s := t.Settings
	var auth httpkit.Auth = httpkit.Bearer(t.Secret)
	if s.oauth {
		tokens, err := cfg.TokenSource(t.HTTP, s.tokenURL, t.Secret, httpkit.TokenSourceOptions{})
		if err != nil {
			return nil, fmt.Errorf("scim: %w", err)
		}
		auth = httpkit.BearerTokens{Tokens: tokens, Logger: t.Logger}
	}
	return &Adapter{
		client:   &client{api: httpkit.Endpoint{Base: s.base, HTTP: t.HTTP.Client, Auth: auth}, logger: t.Logger},
		logger:   t.Logger,
		pageSize: s.pageSize,
		orgsAs:   s.orgsAs,
		attrs:    s.attrs,
		maxOps:   s.maxOps,
		versions: map[string]string{},
	}, nil
}

// Capabilities of a SCIM service provider: users (created, suspended by
// active false), groups with members, and orgs as Groups (flat: a Group
// has no parent) unless orgs_as puts them in the user's enterprise
// attribute. A member has no role. The enterprise manager is a reference
// to another user (UserAttributeRefs).
func (a *Adapter) Capabilities() connectors.Capabilities {
	var attrs, refs []string
	for name, ap := range a.attrs {
		switch name {
		case FieldLoginID, FieldEmail, FieldName, FieldKey:
		default:
			attrs = append(attrs, name)
			if ap.userRef() {
				refs = append(refs, name)
			}
		}
	}
	slices.Sort(attrs)
	slices.Sort(refs)
	return connectors.Capabilities{
		Orgs:             a.orgsAs == OrgsAsGroups,
		Users:            true,
		Groups:           true,
		CreatesUsers:     true,
		SuspendsUsers:    true,
		Roles:            []mapping.Role{mapping.RoleMember},
		GroupMemberships: true,
		UserAttributes:   attrs,
		// The manager is read as its SCIM id and written from the
		// mapping's source key: the planner compares them through its
		// links.
		UserAttributeRefs: refs,
		// userName is caseExact false (RFC 7643 §4.1.1): a server may
		// keep it in another case than it was sent ("MAY alter case",
		// §7), and a login id that differs only in case is the same one.
		LoginIDCaseInsensitive: true,
	}
}

// Apply makes one change.
func (a *Adapter) Apply(ctx context.Context, c connectors.Change, ids connectors.IDs) (connectors.Result, error) {
	return ops.Apply(ctx, a, a.logger, c, ids)
}

// ops is what Apply applies, by kind and action.
var ops = connectors.NewOps[*Adapter]("scim").
	On(mapping.KindUser, (*Adapter).applyUser, connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionSuspend, connectors.ActionDelete).
	On(mapping.KindGroup, (*Adapter).applyGroup, connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionDelete).
	On(mapping.KindOrg, (*Adapter).applyGroup, connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionDelete).
	On(mapping.KindMembership, (*Adapter).applyMembership, connectors.ActionCreate, connectors.ActionDelete)

// version is the ETag to send as If-Match on a write to path: the one
// last seen, when the server versions resources.
func (a *Adapter) version(ctx context.Context, path string) string {
	f, err := a.client.discover(ctx)
	if err != nil || !f.etag {
		return ""
	}
	a.vmu.Lock()
	defer a.vmu.Unlock()
	return a.versions[path]
}

// noteVersion records the ETag an answer gave for path ("" forgets it).
func (a *Adapter) noteVersion(path, etag string) {
	a.vmu.Lock()
	defer a.vmu.Unlock()
	if etag == "" {
		delete(a.versions, path)
		return
	}
	a.versions[path] = etag
}
