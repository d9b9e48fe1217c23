package aircourse

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"github.com/orgbridge/orgbridge/mapping"
)

// Defaults of the target config.
const (
	DefaultPageSize   = 1000
	DefaultTimeout    = httpkit.DefaultTimeout
	DefaultMaxRetries = httpkit.DefaultMaxRetries
	DefaultLicense    = "free"
	DefaultRole       = "user"
	// EveryoneCode is the code of the everyone group, EveryoneName its name.
	EveryoneCode = "everyone"
	EveryoneName = "全員"
	// readConcurrency bounds the group member listings of Read.
	readConcurrency = 4
)

// UserAttributes are the AirCourse user fields a canonical user's
// Attributes may carry, by their JSON names.
var UserAttributes = []string{
	"userNumber", "department", "position", "license", "role",
	"slackMemberId", "profile", "birthday", "gender", "hasAiKnowledgeLicense",
	"isEnabledPasswordLogin",
}

var (
	licenses  = []string{"free", "basic", "contents"}
	userRoles = []string{"read", "user", "manager", "admin"}
)

// Adapter is the AirCourse connectors.Target.
type Adapter struct {
	client   *Client
	pacer    *httpkit.Pacer
	logger   *zap.Logger
	pageSize int
	license  string
	role     string
	public   bool

	rootMu sync.Mutex
	rootID string

	// adminMu guards what org creates learn about the tenant: whether the
	// server refuses an organization without an admin, and the global
	// administrator to name then (see createOrg).
	adminMu        sync.Mutex
	adminsKnown    bool // an org create has shown whether adminUserIds [] is taken
	adminsRequired bool
	globalAdmin    string // a global administrator's id, "" when none is known
	adminsRead     bool   // globalAdmin comes from a listing (Read or ListGlobalAdmins)
	// probe holds concurrent org creates back while the first one finds out
	// whether adminUserIds [] is taken, so that a stage meets one refusal.
	probe sync.Mutex
}

var _ connectors.Target = (*Adapter)(nil)

// New checks cfg, fills its defaults, resolves the client secret and
// returns an adapter. It makes no request: the first call fetches a token.
// The errors are *config.FieldErrors keyed below the block ("page_size"),
// all of them at once. ctx is unused: there is nothing to do on the
// network yet.
func New(ctx context.Context, cfg Config, logger *zap.Logger, opts ...connectors.HTTPOption) (*Adapter, error) {
	t, err := connectors.StartPlainHTTP("aircourse", logger, opts, cfg.check, cfg.ClientSecret, "client_secret")
	if err != nil {
		return nil, err
	}
	s, h := t.Settings, t.HTTP
	tokens, err := cfg.TokenSource(h, s.tokenURL, t.Secret, httpkit.TokenSourceOptions{Scopes: s.scopes, ScopeSeparator: ","})
	if err != nil {
		return nil, fmt.Errorf("aircourse: %w", err)
	}
	client, err := NewClient(ClientOptions{BaseURL: s.base, HTTP: h.Client, Tokens: tokens, Logger: t.Logger})
	if err != nil {
		return nil, err
	}
	return &Adapter{
		client: client, pacer: h.Pacer, logger: t.Logger,
		pageSize: s.pageSize, license: s.license, role: s.role, public: s.public,
	}, nil
}

// underRoot is the key of the organization an organization or a group is
// under: "" (the top level) for the root, which the mapping never names.
func underRoot(orgID, rootID string) string {
	if orgID == rootID {
		return ""
	}
	return orgID
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Client returns the adapter's API client.
func (a *Adapter) Client() *Client { return a.client }

// Capabilities of AirCourse: a tree of organizations under its own root,
// users created and suspended here, org memberships in the user call, and
// groups with members.
func (a *Adapter) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{
		Orgs:                 true,
		Users:                true,
		Groups:               true,
		NestedOrgs:           true,
		CreatesUsers:         true,
		SuspendsUsers:        true,
		Roles:                []mapping.Role{mapping.RoleMember, mapping.RoleAdmin},
		OrgMembershipsInUser: true,
		GroupMemberships:     true,
		UserAttributes:       slices.Clone(UserAttributes),
	}
}

// Read returns the actual state keyed by AirCourse ids, without the root
// organization and the everyone group (see the package doc).
func (a *Adapter) Read(ctx context.Context) (*mapping.Snapshot, error) {
	var (
		users  []readUser
		admin  globalAdminPick
		orgs   []Organization
		groups []Group
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		// Each page is kept as the snapshot needs it as it comes (the
		// pages are decoded into again): a million users decoded whole
		// were 360 MB held until the snapshot was made (issue 13).
		same := interner{}
		return a.client.EachUsersPage(gctx, a.pageSize, func(page []User) error {
			users = slices.Grow(users, len(page))
			for i := range page {
				u := &page[i]
				admin.see(u)
				users = append(users, readUser{
					user: mapping.User{
						Key:        u.ID,
						LoginID:    u.LoginID,
						Email:      u.Mail,
						Name:       u.Name,
						Suspended:  u.IsSuspended || u.Status == 2,
						Attributes: userAttributes(u, same),
					},
					memberOrgs: u.MemberOrganizationIDs, adminOrgs: u.AdminOrganizationIDs, hasOrgLists: u.HasOrgLists,
				})
			}
			return nil
		})
	})
	g.Go(func() (err error) { orgs, err = a.client.ListOrgs(gctx, a.pageSize); return })
	g.Go(func() (err error) { groups, err = a.client.ListGroups(gctx, a.pageSize); return })
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("aircourse: read: %w", err)
	}
	rootID, err := findRoot(orgs)
	if err != nil {
		return nil, fmt.Errorf("aircourse: read: %w", err)
	}
	a.rootMu.Lock()
	a.rootID = rootID
	a.rootMu.Unlock()

	a.noteGlobalAdmins(admin.id)

	// Sized at once: at a million users, growing them by doubling was a
	// third of Read's own CPU.
	// (An empty list is still nil, as it was: see the end.)
	snap := &mapping.Snapshot{
		Users:       make([]mapping.User, 0, len(users)),
		Memberships: make([]mapping.Membership, 0, len(users)), // most users have one org (not the root)
	}
	seen := make(map[string]bool, len(orgs)+len(users)+len(groups))
	for _, o := range orgs {
		if o.ID == "" || seen[o.ID] {
			continue
		}
		if o.ID == rootID {
			// The target's own: never planned for, but present, so that an
			// admin membership in it can be kept (see appendOrgMemberships).
			seen[o.ID] = true
			snap.Orgs = append(snap.Orgs, mapping.Org{Key: o.ID, Name: o.Name, Code: o.Code, Description: o.Description, System: true})
			continue
		}
		seen[o.ID] = true
		snap.Orgs = append(snap.Orgs, mapping.Org{
			Key: o.ID, Name: o.Name, Code: o.Code, ParentKey: underRoot(o.ParentID, rootID), Description: o.Description,
		})
	}
	listsInUsers := true
	for i := range users {
		u := &users[i]
		if u.user.Key == "" || seen[u.user.Key] {
			continue
		}
		seen[u.user.Key] = true
		snap.Users = append(snap.Users, u.user)
		if !u.hasOrgLists {
			listsInUsers = false
		}
		snap.Memberships = appendOrgMemberships(snap.Memberships, u, rootID)
	}
	users = nil // what the snapshot does not hold can go
	if !listsInUsers {
		// The server's user objects do not carry their organization lists
		// (the document gives no response field): read every organization's
		// user list instead, the root's admins only (a member of the root
		// is one with no other organization, see appendOrgMemberships).
		snap.Memberships = nil
		ms, err := a.readOrgMembers(ctx, orgs, rootID)
		if err != nil {
			return nil, fmt.Errorf("aircourse: read organization users: %w", err)
		}
		snap.Memberships = ms
	}
	var withMembers []Group
	for _, gr := range groups {
		if gr.ID == "" || seen[gr.ID] || isEveryone(gr, rootID) {
			continue
		}
		seen[gr.ID] = true
		snap.Groups = append(snap.Groups, mapping.Group{
			Key: gr.ID, Name: gr.Name, Code: gr.Code, OrgKey: underRoot(gr.OrganizationID, rootID), Description: gr.Description,
		})
		withMembers = append(withMembers, gr)
	}

	members, err := httpkit.ReadEach(ctx, readConcurrency, withMembers, func(ctx context.Context, gr Group) ([]Member, error) {
		return a.client.Groups().Members(gr.ID).List(ctx, "", a.pageSize)
	})
	if err != nil {
		return nil, fmt.Errorf("aircourse: read group users: %w", err)
	}
	for i, gr := range withMembers {
		snap.Memberships = append(snap.Memberships, memberships(mapping.KindGroup, gr.ID, members[i], false)...)
	}
	if len(snap.Users) == 0 {
		snap.Users = nil
	}
	if len(snap.Memberships) == 0 {
		snap.Memberships = nil
	}
	snap.Sort()
	a.logger.Debug("read",
		zap.Int("orgs", len(snap.Orgs)), zap.Int("users", len(snap.Users)),
		zap.Int("groups", len(snap.Groups)), zap.Int("memberships", len(snap.Memberships)))
	return snap, nil
}

// readOrgMembers reads org memberships from the organization user lists,
// four organizations at a time: every member and admin of each
// organization but the root, and the admins of the root.
func (a *Adapter) readOrgMembers(ctx context.Context, orgs []Organization, rootID string) ([]mapping.Membership, error) {
	var list []Organization
	seen := map[string]bool{}
	for _, o := range orgs {
		if o.ID != "" && !seen[o.ID] {
			seen[o.ID] = true
			list = append(list, o)
		}
	}
	members, err := httpkit.ReadEach(ctx, readConcurrency, list, func(ctx context.Context, o Organization) ([]Member, error) {
		if o.ID == rootID {
			return a.client.Orgs().Members(o.ID).List(ctx, RoleAdmin, a.pageSize)
		}
		return a.client.Orgs().Members(o.ID).List(ctx, "", a.pageSize)
	})
	if err != nil {
		return nil, err
	}
	var out []mapping.Membership
	for i, o := range list {
		out = append(out, memberships(mapping.KindOrg, o.ID, members[i], o.ID == rootID)...)
	}
	return out, nil
}

// memberships are the memberships an org's or a group's user list gives:
// each user once, with its role; adminsOnly keeps the admins alone.
func memberships(kind mapping.Kind, containerID string, members []Member, adminsOnly bool) []mapping.Membership {
	var out []mapping.Membership
	dup := map[string]bool{}
	for _, m := range members {
		r := role(m.Role)
		if m.UserID == "" || dup[m.UserID] || (adminsOnly && r != mapping.RoleAdmin) {
			continue
		}
		dup[m.UserID] = true
		out = append(out, mapping.Membership{UserKey: m.UserID, Kind: kind, ContainerKey: containerID, Role: r})
	}
	return out
}

// isEveryone reports the everyone group (全員): code "everyone", or, where
// a server gives it no code (the document never names one), the group
// called 全員 in the root organization.
func isEveryone(g Group, rootID string) bool {
	return g.Code == EveryoneCode || (g.Code == "" && g.Name == EveryoneName && g.OrganizationID == rootID)
}

// findRoot returns the organization without a parent.
func findRoot(orgs []Organization) (string, error) {
	for _, o := range orgs {
		if o.ID != "" && o.ParentID == "" {
			return o.ID, nil
		}
	}
	return "", errors.New("no root organization (one without parentId) in GET /organizations")
}

func role(s string) mapping.Role {
	if strings.EqualFold(s, RoleAdmin) {
		return mapping.RoleAdmin
	}
	return mapping.RoleMember
}

// appendOrgMemberships appends a user's organization lists to ms: an id
// in both is an admin. In the root only an admin is reported: a member of
// the root is a user the server put there for want of another
// organization (未指定の場合、ルート組織に所属します), and it puts it back by
// itself; an admin of the root was made one on purpose, and an update
// keeps it (a membership in an org orgbridge does not manage,
// Change.ForeignOrgMemberships). The lists are short: repeats are found
// in them, not in a map of their own per user.
func appendOrgMemberships(ms []mapping.Membership, u *readUser, rootID string) []mapping.Membership {
	key := u.user.Key
	admins := u.adminOrgs
	for i, id := range admins {
		if slices.Contains(admins[:i], id) {
			continue
		}
		ms = append(ms, mapping.Membership{UserKey: key, Kind: mapping.KindOrg, ContainerKey: id, Role: mapping.RoleAdmin})
	}
	members := u.memberOrgs
	for i, id := range members {
		if id == rootID || slices.Contains(admins, id) || slices.Contains(members[:i], id) {
			continue
		}
		ms = append(ms, mapping.Membership{UserKey: key, Kind: mapping.KindOrg, ContainerKey: id, Role: mapping.RoleMember})
	}
	return ms
}

// readUser is what Read keeps of a listed user until the organizations
// are read: the snapshot's user, and the user's organization lists, made
// memberships once the root is known.
type readUser struct {
	user                  mapping.User
	memberOrgs, adminOrgs []string
	hasOrgLists           bool // the object carried either list (see Read)
}

// userAttributes renders the AirCourse user fields of UserAttributes that
// have a value as strings (gender "0" or "1"; hasAiKnowledgeLicense "0"
// or "1"; isEnabledPasswordLogin "true" or "false"); a field that is null
// or "" is left out, which reads as "" all the same. A user's few set
// fields fit a map of one group where all eleven took a table: at a
// million users the actual snapshot's attribute maps were 626 MB, the
// most of any one thing a no-change sync held (issue 13). Repeated values
// (department, license, role) are shared through same.
func userAttributes(u *User, same interner) map[string]string {
	gender := ""
	if u.Gender != nil {
		gender = strconv.Itoa(*u.Gender)
	}
	ai := "0"
	if u.HasAiKnowledgeLicense != 0 {
		ai = "1"
	}
	fields := [...]struct{ name, value string }{
		{"userNumber", u.UserNumber},
		{"department", same.of(u.Department)},
		{"position", same.of(u.Position)},
		{"license", same.of(u.License)},
		{"role", same.of(u.Role)},
		{"slackMemberId", u.SlackMemberID},
		{"profile", u.Profile},
		{"birthday", u.Birthday},
		{"gender", gender},
		{"hasAiKnowledgeLicense", ai},
		// Required on create when the tenant uses SAML with password login
		// for chosen users only.
		{"isEnabledPasswordLogin", strconv.FormatBool(u.IsEnabledPasswordLogin)},
	}
	n := 0
	for _, f := range fields {
		if f.value != "" {
			n++
		}
	}
	attrs := make(map[string]string, n)
	for _, f := range fields {
		if f.value != "" {
			attrs[f.name] = f.value
		}
	}
	return attrs
}

// interner shares equal strings: a value many users hold (an org's
// department, a licence, a role) is kept once rather than once a user.
// It keeps at most maxInterned values, so that a field unique to each
// user costs a lookup, not a second copy of every value.
type interner map[string]string

const maxInterned = 1 << 16

func (in interner) of(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := in[s]; ok {
		return v
	}
	if len(in) < maxInterned {
		in[s] = s
	}
	return s
}

// Apply makes one change. Errors name the change and wrap the API's error:
// connectors.ErrUnresolved for a reference without a target id,
// *connectors.FieldError for a 422, a TransientError for what may succeed
// later.
func (a *Adapter) Apply(ctx context.Context, c connectors.Change, ids connectors.IDs) (connectors.Result, error) {
	return ops.Apply(ctx, a, a.logger, c, ids)
}

// ops is what Apply applies, by kind and action.
var ops = connectors.NewOps[*Adapter]("aircourse").
	On(mapping.KindOrg, (*Adapter).applyOrg, connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionDelete).
	On(mapping.KindGroup, (*Adapter).applyGroup, connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionDelete).
	On(mapping.KindUser, (*Adapter).applyUser, connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionSuspend, connectors.ActionDelete).
	On(mapping.KindMembership, (*Adapter).applyMembership, connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionDelete)

func setIf(f Fields, key, v string) {
	if v != "" {
		f[key] = v
	}
}

// The AirCourse names of the canonical fields an update may name, by kind;
// "" marks a field that travels elsewhere (a user's org memberships, in
// Change.OrgMemberships). A user's attribute is sent by its own name when
// it is one of UserAttributes.
var (
	orgFields = map[change.Field]string{
		change.FieldName: "name", change.FieldCode: "code", change.FieldDescription: "description",
		change.FieldParent: "parentId",
	}
	groupFields = map[change.Field]string{
		change.FieldName: "name", change.FieldCode: "code", change.FieldDescription: "description",
		change.FieldOrg: "organizationId",
	}
	userFields = map[change.Field]string{
		change.FieldName: "name", change.FieldLoginID: "loginId", change.FieldEmail: "mail",
		change.FieldSuspended: "isSuspended", change.FieldOrgs: "",
	}
)

// diffFields maps the fields of a diff to the API's, in order and without
// repeats: canonical ones through known, attributes that are one of attrs
// by their own name. It returns nil for an empty diff (the caller then
// sends every field) and an error for a field the API does not have.
func diffFields(diff []connectors.FieldChange, known map[change.Field]string, attrs []string) ([]string, error) {
	if len(diff) == 0 {
		return nil, nil
	}
	out := []string{}
	for _, d := range diff {
		name, ok := known[d.Field]
		if attr, isAttr := d.Field.Attribute(); isAttr {
			name, ok = attr, slices.Contains(attrs, attr)
		}
		if !ok {
			return nil, fmt.Errorf("field %q is not an AirCourse field", d.Field)
		}
		if name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}
