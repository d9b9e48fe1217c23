package capgo

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"github.com/orgbridge/orgbridge/mapping"
)

// Defaults of the target config.
const (
	DefaultTimeout    = httpkit.DefaultTimeout
	DefaultMaxRetries = httpkit.DefaultMaxRetries
)

// Adapter is the Capgo connectors.Target: flat organizations only.
type Adapter struct {
	client          *Client
	logger          *zap.Logger
	managementEmail string

	// createEmail is what the server was found to do with a
	// management_email sent in the create call (createEmailUnknown until
	// the first create tells).
	createEmail atomic.Int32

	mu sync.Mutex
	// known holds, by name, the ids of the organizations the last Read
	// listed and of those created since: what was there before a create
	// whose answer was lost (nil before the first Read).
	known map[string]map[string]bool
	// logos holds, by id, the logo of each organization the last Read
	// listed ("" for none): an update sends it back (see updateFields).
	logos map[string]string
}

// What the create call does with management_email.
const (
	createEmailUnknown int32 = iota
	createEmailTaken         // sets it
	createEmailIgnored       // drops it: a PUT sets it
	createEmailRefused       // answers 400: the create sends the name alone, a PUT sets it
)

var _ connectors.Target = (*Adapter)(nil)

// New checks cfg, resolves the API key and returns an adapter. It makes no
// request. The errors are *config.FieldErrors keyed below the block
// ("base_url: required"), all of them at once. ctx is unused: there is
// nothing to do on the network yet.
//
// The document states no rate limit; the pacer still honours the
// X-RateLimit headers and a 429's Retry-After should a server send them.
func New(ctx context.Context, cfg Config, logger *zap.Logger, opts ...connectors.HTTPOption) (*Adapter, error) {
	t, err := connectors.StartPlainHTTP("capgo", logger, opts, cfg.check, cfg.APIKey, "api_key")
	if err != nil {
		return nil, err
	}
	client, err := NewClient(ClientOptions{
		BaseURL: t.Settings, HTTP: t.HTTP.Client, APIKey: t.Secret, KeyName: keyName(cfg.APIKey), Logger: t.Logger,
	})
	if err != nil {
		return nil, err
	}
	return &Adapter{client: client, logger: t.Logger, managementEmail: cfg.ManagementEmail}, nil
}

// keyName names the config key and where its value came from, for the error
// of a refused key.
func keyName(s config.Secret) string {
	switch {
	case s.Env != "":
		return "capgo.api_key (environment variable " + s.Env + ")"
	case s.File != "":
		return "capgo.api_key (file " + s.File + ")"
	}
	return "capgo.api_key"
}

func validEmail(v string) bool {
	a, err := mail.ParseAddress(v)
	return err == nil && a.Name == "" && a.Address == v
}

// Capabilities of Capgo: flat organizations, nothing else (no nesting, no
// users, no groups, no memberships).
func (a *Adapter) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{Orgs: true}
}

// Read returns every organization the key lists, keyed by Capgo id.
// Capgo keeps no code, parent or description: they read as "". An
// organization whose management_email differs from capgo.management_email
// carries it as a Drift, for the planner to plan its correction.
func (a *Adapter) Read(ctx context.Context) (*mapping.Snapshot, error) {
	orgs, err := a.client.ListOrgs(ctx)
	if err != nil {
		return nil, fmt.Errorf("capgo: read: %w", err)
	}
	snap := &mapping.Snapshot{}
	known := map[string]map[string]bool{}
	logos := make(map[string]string, len(orgs))
	for _, o := range orgs {
		if o.ID == "" || known[o.Name][o.ID] {
			continue
		}
		logos[o.ID] = o.Logo
		if known[o.Name] == nil {
			known[o.Name] = map[string]bool{}
		}
		known[o.Name][o.ID] = true
		org := mapping.Org{Key: o.ID, Name: o.Name}
		if a.emailDrift(o) {
			// The planner plans an update of a matched org that carries
			// this, adopted or linked, so the configured address is set.
			org.Drift = mapping.Drift{Field: settingManagementEmail, Old: o.ManagementEmail, New: a.managementEmail}
		}
		snap.Orgs = append(snap.Orgs, org)
	}
	a.mu.Lock()
	a.known, a.logos = known, logos
	a.mu.Unlock()
	snap.Sort()
	a.logger.Debug("read", zap.Int("orgs", len(snap.Orgs)))
	return snap, nil
}

// emailDrift reports whether o's management_email is not the configured
// one (never when none is configured).
func (a *Adapter) emailDrift(o Organization) bool {
	return a.managementEmail != "" && !strings.EqualFold(o.ManagementEmail, a.managementEmail)
}

// Apply makes one change to an organization. Errors name the change and
// wrap the API's error: ErrInvalidAPIKey for a refused key (naming
// capgo.api_key), ErrAdminRoleRequired for a 403, *connectors.FieldError for
// a 400, a TransientError for what may succeed later.
func (a *Adapter) Apply(ctx context.Context, c connectors.Change, ids connectors.IDs) (connectors.Result, error) {
	return ops.Apply(ctx, a, a.logger, c, ids)
}

// ops is what Apply applies, by kind and action.
var ops = connectors.NewOps[*Adapter]("capgo").
	On(mapping.KindOrg, (*Adapter).applyOrg, connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionDelete).
	Refuse("capgo holds organizations only", mapping.KindUser, mapping.KindGroup, mapping.KindMembership)

func (a *Adapter) applyOrg(ctx context.Context, c connectors.Change, _ connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	switch c.Action {
	case connectors.ActionCreate:
		if err := keptFields(*c.Org); err != nil {
			return connectors.Result{}, err
		}
		return a.createOrg(ctx, c.Org.Name, log)

	case connectors.ActionUpdate:
		for _, d := range c.Diff {
			if err := diffField(d.Field); err != nil {
				return connectors.Result{}, err
			}
		}
		// The name is the only field Capgo keeps of a canonical org, so a
		// full update (no Diff) and a rename send the same body; it sets
		// management_email too, so that every write of an organization
		// corrects it (a diff of management_email alone sends the same).
		f := Fields{"name": c.Org.Name}
		if a.managementEmail != "" {
			f["management_email"] = a.managementEmail
		}
		if err := a.keepLogo(ctx, c.TargetID, f); err != nil {
			return connectors.Result{}, err
		}
		if _, err := a.client.UpdateOrg(ctx, c.TargetID, f); err != nil {
			if a.roleForGone(ctx, c.TargetID, err, log) {
				return connectors.Result{}, fmt.Errorf("%w: %w", connectors.ErrNotFound, err)
			}
			return connectors.Result{}, err
		}
		return connectors.Result{TargetID: c.TargetID}, nil

	case connectors.ActionDelete:
		err := a.client.DeleteOrg(ctx, c.TargetID)
		if a.roleForGone(ctx, c.TargetID, err, log) {
			// Gone (or out of the key's reach): the executor counts a
			// delete of what is gone as done.
			return connectors.Result{TargetID: c.TargetID}, fmt.Errorf("%w: %w", connectors.ErrNotFound, err)
		}
		return connectors.Result{TargetID: c.TargetID}, err
	}
	return connectors.Result{}, fmt.Errorf("action %q is not supported for a Capgo organization", c.Action)
}

// keepLogo adds the organization's logo, when it has one, to the body of
// an update. orgbridge does not manage logos, but the document's update
// makes logo optional (002:70 「logo?: string」) next to an Organization
// whose logo may be null (002:22), so a server may read a PUT without logo
// as "no logo" and clear a logo set by hand in Capgo; sent back as it is,
// it is kept under either reading. The logo is the one the last Read
// listed; an organization that Read did not list is read first (a GET).
// One with no logo sends none (a null could be refused: the field is a
// string).
func (a *Adapter) keepLogo(ctx context.Context, id string, f Fields) error {
	a.mu.Lock()
	logo, ok := a.logos[id]
	a.mu.Unlock()
	if !ok {
		o, err := a.client.GetOrg(ctx, id)
		if err != nil {
			return fmt.Errorf("read it before the update, to keep its logo: %w", err)
		}
		logo = o.Logo
	}
	if logo != "" {
		f["logo"] = logo
	}
	return nil
}

// roleForGone reports whether err is the document's "Admin role required"
// answered for an organization that is no longer there. The document lists
// no not-found error (002:107-123), so a server may check the role first
// and answer a deleted organization as one the key's user is not an admin
// of: the organizations are listed to tell (only on this failing path),
// and one the key no longer lists is gone. A failure to list keeps the
// 403.
func (a *Adapter) roleForGone(ctx context.Context, id string, err error, log *zap.Logger) bool {
	if !errors.Is(err, ErrAdminRoleRequired) {
		return false
	}
	orgs, lerr := a.client.ListOrgs(ctx)
	if lerr != nil {
		log.Warn("admin role required: listing to see whether the organization is gone failed", zap.Error(lerr))
		return false
	}
	for _, o := range orgs {
		if o.ID == id {
			return false
		}
	}
	log.Info("admin role required for an organization the key no longer lists: gone (or out of the key's reach)")
	return true
}

// keptFields refuses an org carrying what Capgo cannot keep: written anyway,
// it would read back different and be planned again on every run.
func keptFields(o mapping.Org) error {
	switch {
	case o.ParentKey != "":
		return fmt.Errorf("org has parent %q, but Capgo organizations do not nest: set mapping.orgs.flatten", o.ParentKey)
	case o.Code != "":
		return errors.New("org has a code, but Capgo organizations have none: leave mapping.orgs.code unset for this target")
	case o.Description != "":
		return errors.New("org has a description, but Capgo organizations have none: leave mapping.orgs.description unset for this target")
	}
	return nil
}

// diffField accepts the planner's name field (and management_email, a
// drift of the configured address) and refuses the canonical fields Capgo
// does not keep.
func diffField(field change.Field) error {
	switch field {
	case change.FieldName, change.TargetSetting(settingManagementEmail):
		return nil
	case change.FieldParent:
		return errors.New("field parent: Capgo organizations do not nest: set mapping.orgs.flatten")
	case change.FieldCode, change.FieldDescription:
		return fmt.Errorf("field %s: Capgo organizations have none: leave mapping.orgs.%s unset for this target", field, field)
	}
	return fmt.Errorf("field %q is not a field of a Capgo organization", field)
}

// settingManagementEmail names the Drift Read reports for an organization
// whose management_email is not the configured one.
const settingManagementEmail = "management_email"

// createOrg creates an organization and sees that its management_email is
// the configured one. The address rides in the create call: a server that
// takes it sets it there (the document's create lists name only, but an
// interface names what must be sent, not all that may: "management_email",
// and "email", the field Capgo's own server reads); one that ignores it
// gets a PUT after the create; one that refuses it (400, a body of name
// alone) gets the name alone and then the PUT, from then on. The first
// create tells which: its organization is read back (a GET, no write).
//
// A create whose answer is lost (a 500, a timeout: the organization may
// exist) is recovered at once: the organizations are listed again, and the
// one of that name that was not there at the last Read is ours; its
// management_email is set as for any create. None: the create did not
// happen (a transient error: try again). More than one: orgbridge cannot
// tell which is its own, and fails, not transiently, naming them.
func (a *Adapter) createOrg(ctx context.Context, name string, log *zap.Logger) (connectors.Result, error) {
	f := Fields{"name": name}
	state := a.createEmail.Load()
	sent := a.managementEmail != "" && state != createEmailRefused
	if sent {
		f["management_email"] = a.managementEmail
		f["email"] = a.managementEmail
	}
	id, err := a.client.CreateOrg(ctx, f)
	if sent && refusedBody(err) {
		// Refused before anything was created (a 400): the name alone.
		log.Info("the create call refused management_email: creating with the name alone, then setting it",
			zap.String("refusal", err.Error()))
		a.createEmail.Store(createEmailRefused)
		sent, state = false, createEmailRefused
		id, err = a.client.CreateOrg(ctx, Fields{"name": name})
	}
	if err != nil && answerLost(err) {
		id, err = a.recoverCreate(ctx, name, err, log)
	}
	if err != nil {
		return connectors.Result{}, err
	}
	a.remember(name, id)
	res := connectors.Result{TargetID: id}
	if a.managementEmail == "" || state == createEmailTaken {
		return res, nil
	}
	if sent && state == createEmailUnknown {
		o, err := a.client.GetOrg(ctx, id)
		if err != nil {
			return res, fmt.Errorf("created as %s, then read it back: %w", id, err)
		}
		if !a.emailDrift(o) {
			a.createEmail.Store(createEmailTaken)
			return res, nil
		}
		a.createEmail.CompareAndSwap(createEmailUnknown, createEmailIgnored)
	}
	if _, err := a.client.UpdateOrg(ctx, id, Fields{"management_email": a.managementEmail}); err != nil {
		return res, fmt.Errorf("created as %s, then set management_email: %w", id, err)
	}
	return res, nil
}

// refusedBody reports a create refused for its body rather than its name:
// a validation error that names no name.
func refusedBody(err error) bool {
	var fe *connectors.FieldError
	return errors.As(err, &fe) && len(fe.Fields["name"]) == 0
}

// answerLost reports an error after which a create may have been applied
// unseen: a server error or a timeout (transient), not a 429 or another
// refusal before processing.
func answerLost(err error) bool {
	if !connectors.IsTransient(err) {
		return false
	}
	var se *httpkit.StatusError
	if errors.As(err, &se) {
		return se.Status >= 500
	}
	return true // no answer at all
}

// recoverCreate looks for the organization a create whose answer was lost
// may have made: one named name that the last Read did not list.
func (a *Adapter) recoverCreate(ctx context.Context, name string, lost error, log *zap.Logger) (string, error) {
	a.mu.Lock()
	before := a.known
	a.mu.Unlock()
	if before == nil {
		// No Read yet: nothing to tell a new organization from an old one.
		return "", lost
	}
	orgs, err := a.client.ListOrgs(ctx)
	if err != nil {
		return "", &connectors.TransientError{Err: fmt.Errorf("%w; then looking for the organization it may have created: %w", lost, err)}
	}
	a.mu.Lock()
	var found []string
	for _, o := range orgs {
		if o.Name == name && !a.known[name][o.ID] {
			found = append(found, o.ID)
		}
	}
	a.mu.Unlock()
	switch len(found) {
	case 0:
		return "", lost
	case 1:
		log.Warn("the create's answer was lost; the organization it made was found", zap.String("result_id", found[0]))
		return found[0], nil
	}
	// Not transient: trying again cannot tell them apart either.
	return "", fmt.Errorf("the create's answer was lost (%v) and %d organizations named %q appeared since the last read (%s): orgbridge cannot tell which is its own; delete the extra ones in Capgo",
		lost, len(found), name, strings.Join(found, ", "))
}

// remember records a created organization, so that a later lost create of
// the same name does not take it for its own.
func (a *Adapter) remember(name, id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.known == nil {
		return
	}
	if a.known[name] == nil {
		a.known[name] = map[string]bool{}
	}
	a.known[name][id] = true
}
