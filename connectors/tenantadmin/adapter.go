package tenantadmin

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"github.com/orgbridge/orgbridge/mapping"
)

// Defaults of the target config.
const (
	DefaultPageSize   = 100 // the document's largest limit
	DefaultTimeout    = httpkit.DefaultTimeout
	DefaultMaxRetries = httpkit.DefaultMaxRetries
)

// UserRef is the user attribute that carries each user's id in the tenant:
// desired users carry Attributes["user_id"], mapped in the config.
const UserRef = "user_id"

// readConcurrency bounds the detail and member requests of Read.
const readConcurrency = 4

// Adapter is the tenant admin connectors.Target.
type Adapter struct {
	client   *Client
	logger   *zap.Logger
	pageSize int
}

var _ connectors.Target = (*Adapter)(nil)

// New validates cfg, resolves the token and returns an adapter. It makes
// no request. The errors are *config.FieldErrors keyed below the block
// ("base_url: required"), all of them at once. ctx is unused: there is
// nothing to do on the network yet.
//
// The document has no rate limit; the pacer only acts on a server that
// announces one in X-RateLimit-* headers.
func New(ctx context.Context, cfg Config, logger *zap.Logger, opts ...connectors.HTTPOption) (*Adapter, error) {
	t, err := connectors.StartPlainHTTP("tenantadmin", logger, opts, cfg.check, cfg.Token, "token")
	if err != nil {
		return nil, err
	}
	client, err := NewClient(ClientOptions{BaseURL: t.Settings.base, HTTP: t.HTTP.Client, Token: t.Secret, Logger: t.Logger})
	if err != nil {
		return nil, err
	}
	return &Adapter{client: client, logger: t.Logger, pageSize: t.Settings.pageSize}, nil
}

// Client returns the adapter's API client.
func (a *Adapter) Client() *Client { return a.client }

// Capabilities of the tenant admin API: nested organizations, members with
// admin or member roles, and users that exist outside the API and are
// referenced by user_id.
func (a *Adapter) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{
		Orgs:           true,
		Users:          true,
		NestedOrgs:     true,
		Roles:          []mapping.Role{mapping.RoleMember, mapping.RoleAdmin},
		UserAttributes: []string{UserRef},
		UserRef:        UserRef,
	}
}

// Apply makes one change: an org create, update or delete, or an org
// membership create, role update or delete. Users are never written.
func (a *Adapter) Apply(ctx context.Context, c connectors.Change, ids connectors.IDs) (connectors.Result, error) {
	return ops.Apply(ctx, a, a.logger, c, ids)
}

// ops is what Apply applies, by kind and action.
var ops = connectors.NewOps[*Adapter]("tenantadmin").
	On(mapping.KindOrg, (*Adapter).applyOrg, connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionDelete).
	On(mapping.KindMembership, (*Adapter).applyMembership, connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionDelete).
	Refuse("the tenant's users are managed outside this API: orgbridge only references them by user_id (Capabilities.CreatesUsers is false)", mapping.KindUser)

// resolve turns a reference into a target id; a user orgbridge has no id
// for is one without the attribute that references it.
func resolve(ids connectors.IDs, r change.Ref) (string, error) {
	id, err := r.Resolve(ids)
	if err != nil && r.Kind == mapping.KindUser && !r.IsZero() {
		return "", fmt.Errorf("user %q has no %s (map users.attributes.%s): %w", r.Key, UserRef, UserRef, connectors.ErrUnresolved)
	}
	return id, err
}
