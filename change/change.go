package change

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/orgbridge/orgbridge/mapping"
)

// Capabilities says what a target holds and how it takes memberships.
type Capabilities struct {
	Orgs   bool `json:"orgs"`
	Users  bool `json:"users"`
	Groups bool `json:"groups"`
	// NestedOrgs: orgs may have a parent other than the target's root.
	NestedOrgs bool `json:"nested_orgs"`
	// CreatesUsers: the target creates users (false: users must exist and
	// are only referenced).
	CreatesUsers bool `json:"creates_users"`
	// SuspendsUsers: a user can be suspended instead of deleted.
	SuspendsUsers bool `json:"suspends_users"`
	// Roles lists the membership roles the target knows.
	Roles []mapping.Role `json:"roles"`
	// OrgMembershipsInUser: a user's org memberships are written as part of
	// the user's own create/update call (AirCourse memberOrganizationIds and
	// adminOrganizationIds), so a new user costs one request.
	OrgMembershipsInUser bool `json:"org_memberships_in_user"`
	// GroupMemberships: memberships of users in groups can be written.
	GroupMemberships bool `json:"group_memberships"`
	// UserAttributes lists the attribute names a user may carry (the
	// target's own field names). Empty means any.
	UserAttributes []string `json:"user_attributes,omitempty"`
	// UserRef, on a target that does not create users, names the user
	// attribute that carries each user's id in the target (tenantadmin's
	// user_id): the planner writes no user, and memberships refer to users
	// by that id.
	UserRef string `json:"user_ref,omitempty"`
	// UserAttributeRefs names the user attributes whose value names
	// another user (SCIM's enterprise manager): by source key in the
	// desired state, by target id as Read reports it. The planner compares
	// them in source keys through its links; the target resolves the key
	// through IDs.
	UserAttributeRefs []string `json:"user_attribute_refs,omitempty"`
	// LoginIDCaseInsensitive: the target compares login ids without
	// regard to case and may keep one in another case than it was written
	// (SCIM's userName, RFC 7643 §4.1.1): a login id that differs only in
	// case is no change.
	LoginIDCaseInsensitive bool `json:"login_id_case_insensitive,omitempty"`
}

// Action is what a change does.
type Action string

// The actions of a plan. Suspend is an update that suspends a user; it is
// counted by the safety guard like a delete.
const (
	ActionCreate  Action = "create"
	ActionUpdate  Action = "update"
	ActionSuspend Action = "suspend"
	ActionDelete  Action = "delete"
)

// Symbol is the one-character mark a plan prints for the action.
func (a Action) Symbol() string {
	switch a {
	case ActionCreate:
		return "+"
	case ActionUpdate:
		return "~"
	case ActionSuspend:
		return "!"
	case ActionDelete:
		return "-"
	}
	return "?"
}

// FieldKind tells the three sorts of Field apart.
type FieldKind uint8

// The sorts of field.
const (
	// Canonical: a field of the canonical model (FieldName, FieldParent…).
	Canonical FieldKind = iota + 1
	// Attribute: one of a user's Attributes, by the target's own name.
	Attribute
	// Setting: a target-side setting a Read reported as mapping.Drift
	// (Capgo's management_email).
	Setting
)

// Field identifies what an update changes. Compare it with the Field
// variables, or ask Attribute or Setting for the name of the other sorts;
// it prints (and encodes in JSON) as its bare name, as plans always showed
// it.
type Field struct {
	kind FieldKind
	name string
}

// The canonical fields.
var (
	FieldName        = Field{Canonical, "name"}
	FieldCode        = Field{Canonical, "code"}
	FieldDescription = Field{Canonical, "description"}
	// FieldParent: an org's parent (Org.ParentKey, see Change.Parent).
	FieldParent = Field{Canonical, "parent"}
	// FieldOrg: a group's org (Group.OrgKey, see Change.GroupOrg).
	FieldOrg       = Field{Canonical, "org"}
	FieldLoginID   = Field{Canonical, "login_id"}
	FieldEmail     = Field{Canonical, "email"}
	FieldSuspended = Field{Canonical, "suspended"}
	// FieldOrgs: a user's whole set of org memberships, carried in
	// Change.OrgMemberships (see Change.DesiredOrgs).
	FieldOrgs = Field{Canonical, "orgs"}
	// FieldRole: a membership's role.
	FieldRole = Field{Canonical, "role"}
)

// canonical lists the canonical fields of each kind, in the order an
// update's diff names them; a name that is none of them is, on a user, an
// attribute, elsewhere a target setting.
var canonical = map[mapping.Kind][]Field{
	mapping.KindOrg:        {FieldName, FieldCode, FieldParent, FieldDescription},
	mapping.KindGroup:      {FieldName, FieldCode, FieldOrg, FieldDescription},
	mapping.KindUser:       {FieldName, FieldLoginID, FieldEmail, FieldSuspended, FieldOrgs},
	mapping.KindMembership: {FieldRole},
}

// Attr is the field of the user attribute name.
func Attr(name string) Field { return Field{Attribute, name} }

// TargetSetting is the field of a target-side setting a Read reported as a
// mapping.Drift.
func TargetSetting(name string) Field { return Field{Setting, name} }

// ParseField names the field of an object of kind by the name a plan
// prints: a canonical field of the kind, else a user's attribute, else a
// target setting. It is how a change decoded from JSON gets its fields back.
func ParseField(kind mapping.Kind, name string) Field {
	for _, f := range canonical[kind] {
		if f.name == name {
			return f
		}
	}
	if kind == mapping.KindUser {
		return Attr(name)
	}
	return TargetSetting(name)
}

// Kind is the sort of the field.
func (f Field) Kind() FieldKind { return f.kind }

// Name is the field's name as a plan prints it.
func (f Field) Name() string { return f.name }

// String is Name.
func (f Field) String() string { return f.name }

// Attribute returns the attribute's name when f is an attribute.
func (f Field) Attribute() (string, bool) { return f.name, f.kind == Attribute }

// Setting returns the setting's name when f is a target setting.
func (f Field) Setting() (string, bool) { return f.name, f.kind == Setting }

// Equal reports whether f and g are the same field (for go-cmp).
func (f Field) Equal(g Field) bool { return f == g }

// MarshalText encodes the bare name.
func (f Field) MarshalText() ([]byte, error) { return []byte(f.name), nil }

// UnmarshalText keeps the name; the Change holding the field gives it its
// sort (Change.UnmarshalJSON), since the name alone does not say it.
func (f *Field) UnmarshalText(b []byte) error {
	*f = Field{name: string(b)}
	return nil
}

// FieldChange is one field an update changes. Old and New are shown to a
// reviewer (references by source key, a set of org memberships as
// "key(role), …"); a target takes the values from the change's object, and
// the Field from here.
type FieldChange struct {
	Field Field  `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Change is one write to a target. Build one with the constructors below
// (CreateOrg, UpdateUser, …), which the planner and the conformance suite
// share. Desired values refer to other objects by source key; a target
// reads references through Parent, GroupOrg, User, Container, DesiredOrgs
// and ForeignOrgs, which say for each whether it is a source key to
// resolve through IDs or a target id already known, and resolves them
// with Ref.Resolve.
type Change struct {
	Action Action       `json:"action"`
	Kind   mapping.Kind `json:"kind"`
	// Key is the source key of the object (for a membership, its ID()).
	Key string `json:"key"`
	// TargetID is the target's id of the object for update, suspend and
	// delete; empty on create.
	TargetID string `json:"target_id,omitempty"`

	// The object: the desired one on create and update (references by
	// source key), the actual one on suspend and delete (references by
	// target id).
	Org        *mapping.Org        `json:"org,omitempty"`
	User       *mapping.User       `json:"user,omitempty"`
	Group      *mapping.Group      `json:"group,omitempty"`
	Membership *mapping.Membership `json:"membership,omitempty"`
	// OrgMemberships is the user's whole desired set of org memberships,
	// set on user create/update when the target takes them in the user call.
	OrgMemberships []mapping.Membership `json:"org_memberships,omitempty"`
	// ForeignOrgMemberships are the user's actual org memberships in orgs
	// orgbridge does not manage (made by hand, the target's own), set beside
	// OrgMemberships on a user update. They are in target ids (UserKey and
	// ContainerKey as Read reported them). A target that takes the whole set
	// in the user call sends them along, so that the update never removes
	// a membership orgbridge does not own.
	ForeignOrgMemberships []mapping.Membership `json:"foreign_org_memberships,omitempty"`

	// Diff lists the fields an update changes. An update with no Diff
	// (built by hand) asks the target to write every field.
	Diff []FieldChange `json:"diff,omitempty"`

	// Stage orders a plan: every change of a stage is applied before any of
	// the next, and the changes within one stage may run concurrently.
	Stage int `json:"stage"`
}

// UnmarshalJSON decodes a change as the planner has always encoded it (a
// journal written by an older binary included) and gives each field of its
// Diff its sort by the change's kind (ParseField).
func (c *Change) UnmarshalJSON(b []byte) error {
	type plain Change
	if err := json.Unmarshal(b, (*plain)(c)); err != nil {
		return err
	}
	for i := range c.Diff {
		c.Diff[i].Field = ParseField(c.Kind, c.Diff[i].Field.name)
	}
	return nil
}

// Changes reports whether the update's Diff names f.
func (c Change) Changes(f Field) bool {
	for _, d := range c.Diff {
		if d.Field == f {
			return true
		}
	}
	return false
}

// NeedTargetID returns an error wrapping ErrUnresolved when a change that
// acts on an existing object (update, suspend, delete) carries no target id.
func (c Change) NeedTargetID() error {
	if c.TargetID == "" {
		return fmt.Errorf("%s needs the target id: %w", c.Action, ErrUnresolved)
	}
	return nil
}

// removal: the change carries the actual object, whose references are
// target ids.
func (c Change) removal() bool { return c.Action == ActionDelete || c.Action == ActionSuspend }

func (c Change) ref(kind mapping.Kind, s string) Ref {
	if s == "" {
		return Ref{}
	}
	if c.removal() {
		return Ref{Kind: kind, ID: s}
	}
	return Ref{Kind: kind, Key: s}
}

// Parent is the org's parent; the zero Ref for a top-level org.
func (c Change) Parent() Ref {
	if c.Org == nil {
		return Ref{}
	}
	return c.ref(mapping.KindOrg, c.Org.ParentKey)
}

// GroupOrg is the group's org; the zero Ref for none.
func (c Change) GroupOrg() Ref {
	if c.Group == nil {
		return Ref{}
	}
	return c.ref(mapping.KindOrg, c.Group.OrgKey)
}

// MemberUser is the membership's user. A membership change always names its
// ends by source key.
func (c Change) MemberUser() Ref {
	if c.Membership == nil {
		return Ref{}
	}
	return keyRef(mapping.KindUser, c.Membership.UserKey)
}

// Container is the membership's org or group, by source key.
func (c Change) Container() Ref {
	if c.Membership == nil {
		return Ref{}
	}
	return keyRef(c.Membership.Kind, c.Membership.ContainerKey)
}

func keyRef(kind mapping.Kind, key string) Ref {
	if key == "" {
		return Ref{}
	}
	return Ref{Kind: kind, Key: key}
}

// OrgRole is one of a user's org memberships as a user call carries it.
type OrgRole struct {
	Org  Ref
	Role mapping.Role
}

// DesiredOrgs is OrgMemberships (source keys), nil when the change does not
// carry the set.
func (c Change) DesiredOrgs() []OrgRole {
	if c.OrgMemberships == nil {
		return nil
	}
	out := make([]OrgRole, 0, len(c.OrgMemberships))
	for _, m := range c.OrgMemberships {
		if m.Kind != mapping.KindOrg && m.Kind != "" {
			continue
		}
		out = append(out, OrgRole{Org: keyRef(mapping.KindOrg, m.ContainerKey), Role: m.Role})
	}
	return out
}

// ForeignOrgs is ForeignOrgMemberships (target ids).
func (c Change) ForeignOrgs() []OrgRole {
	var out []OrgRole
	for _, m := range c.ForeignOrgMemberships {
		if (m.Kind == mapping.KindOrg || m.Kind == "") && m.ContainerKey != "" {
			out = append(out, OrgRole{Org: Ref{Kind: mapping.KindOrg, ID: m.ContainerKey}, Role: m.Role})
		}
	}
	return out
}

// IDs resolves a source key of a kind to the target's id.
type IDs interface {
	TargetID(kind mapping.Kind, key string) (string, bool)
}

// ErrUnresolved: a change refers to an object that has no target id.
var ErrUnresolved = errors.New("reference has no target id")

// Ref is a reference from a change to another object: by source key, to be
// resolved through the IDs given to Apply (an object created earlier in
// the same run has no id at plan time), or by a target id already known.
// The zero Ref refers to nothing (a top-level org's parent).
type Ref struct {
	Kind mapping.Kind
	Key  string // a source key, or
	ID   string // a target id
}

// IsZero reports a reference to nothing.
func (r Ref) IsZero() bool { return r.Key == "" && r.ID == "" }

// String names the reference for an error.
func (r Ref) String() string {
	if r.ID != "" {
		return fmt.Sprintf("%s id %s", r.Kind, r.ID)
	}
	return fmt.Sprintf("%s %q", r.Kind, r.Key)
}

// Resolve returns the target id: ID, or Key through ids. It fails wrapping
// ErrUnresolved for the zero Ref and for a key ids does not know.
func (r Ref) Resolve(ids IDs) (string, error) {
	switch {
	case r.ID != "":
		return r.ID, nil
	case r.Key == "":
		return "", fmt.Errorf("empty %s reference: %w", r.Kind, ErrUnresolved)
	}
	if ids != nil {
		if id, ok := ids.TargetID(r.Kind, r.Key); ok && id != "" {
			return id, nil
		}
	}
	return "", fmt.Errorf("%s %q: %w", r.Kind, r.Key, ErrUnresolved)
}

// ---- constructors, shared by the planner and the conformance suite ----

func diffField(diff []FieldChange, f Field, old, new string) []FieldChange {
	if old != new {
		diff = append(diff, FieldChange{Field: f, Old: old, New: new})
	}
	return diff
}

// diffMapped is diffField of a field the mapping may leave empty: empty,
// it is not mapped and not compared.
func diffMapped(diff []FieldChange, f Field, old, new string) []FieldChange {
	if new == "" {
		return diff
	}
	return diffField(diff, f, old, new)
}

// CreateOrg creates o (its parent by source key).
func CreateOrg(o mapping.Org) Change {
	return Change{Action: ActionCreate, Kind: mapping.KindOrg, Key: o.Key, Org: &o}
}

// UpdateOrg updates the org with target id id from was to o. was is the
// actual org with its parent given by source key where orgbridge knows
// the parent (else by target id, which then differs from any key): the
// caller has put both in the same terms. A code or description o leaves
// empty is not mapped and not compared; was.Drift is carried as a target
// setting. The change has no Diff when nothing differs.
func UpdateOrg(id string, was, o mapping.Org) Change {
	var diff []FieldChange
	diff = diffField(diff, FieldName, was.Name, o.Name)
	diff = diffMapped(diff, FieldCode, was.Code, o.Code)
	diff = diffField(diff, FieldParent, was.ParentKey, o.ParentKey)
	diff = diffMapped(diff, FieldDescription, was.Description, o.Description)
	if d := was.Drift; d.Field != "" {
		diff = append(diff, FieldChange{Field: TargetSetting(d.Field), Old: d.Old, New: d.New})
	}
	return Change{Action: ActionUpdate, Kind: mapping.KindOrg, Key: o.Key, TargetID: id, Org: &o, Diff: diff}
}

// DeleteOrg deletes the org of source key key; actual is the org as Read
// reported it, id its target id.
func DeleteOrg(key, id string, actual *mapping.Org) Change {
	return Change{Action: ActionDelete, Kind: mapping.KindOrg, Key: key, TargetID: id, Org: actual}
}

// CreateGroup creates g (its org by source key).
func CreateGroup(g mapping.Group) Change {
	return Change{Action: ActionCreate, Kind: mapping.KindGroup, Key: g.Key, Group: &g}
}

// UpdateGroup updates the group with target id id from was to g, was's
// org in the terms of g's (see UpdateOrg). A code, org or description g
// leaves empty is not compared.
func UpdateGroup(id string, was, g mapping.Group) Change {
	var diff []FieldChange
	diff = diffField(diff, FieldName, was.Name, g.Name)
	diff = diffMapped(diff, FieldCode, was.Code, g.Code)
	diff = diffMapped(diff, FieldOrg, was.OrgKey, g.OrgKey)
	diff = diffMapped(diff, FieldDescription, was.Description, g.Description)
	return Change{Action: ActionUpdate, Kind: mapping.KindGroup, Key: g.Key, TargetID: id, Group: &g, Diff: diff}
}

// DeleteGroup deletes the group of source key key; actual is as Read
// reported it, id its target id.
func DeleteGroup(key, id string, actual *mapping.Group) Change {
	return Change{Action: ActionDelete, Kind: mapping.KindGroup, Key: key, TargetID: id, Group: actual}
}

// CreateUser creates u; orgs, when not nil, is its whole set of org
// memberships for a target that takes them in the user call.
func CreateUser(u mapping.User, orgs []mapping.Membership) Change {
	return CreateUserOf(&u, orgs)
}

// CreateUserOf is CreateUser pointing at u itself rather than a copy: the
// planner's creates point into the desired snapshot, which a plan is
// never applied without, so that a first plan of a million users does
// not hold each of them twice.
func CreateUserOf(u *mapping.User, orgs []mapping.Membership) Change {
	return Change{Action: ActionCreate, Kind: mapping.KindUser, Key: u.Key, User: u, OrgMemberships: orgs}
}

// UpdateUser updates the user with target id id from was to u: name,
// login id and email (those u maps), suspension, and each of u's
// attributes. SetOrgs adds the org memberships.
func UpdateUser(id string, was, u mapping.User) Change {
	var diff []FieldChange
	diff = diffField(diff, FieldName, was.Name, u.Name)
	diff = diffMapped(diff, FieldLoginID, was.LoginID, u.LoginID)
	diff = diffMapped(diff, FieldEmail, was.Email, u.Email)
	diff = diffField(diff, FieldSuspended, strconv.FormatBool(was.Suspended), strconv.FormatBool(u.Suspended))
	if len(u.Attributes) > 0 {
		keys := make([]string, 0, len(u.Attributes))
		for k := range u.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			diff = diffField(diff, Attr(k), was.Attributes[k], u.Attributes[k])
		}
	}
	return Change{Action: ActionUpdate, Kind: mapping.KindUser, Key: u.Key, TargetID: id, User: &u, Diff: diff}
}

// SetOrgs makes a user update carry the user's whole set of org
// memberships: want (source keys), and foreign, the memberships in orgs
// orgbridge does not manage (target ids), which ride along. was is the
// user's managed memberships by source key, for the diff.
func (c *Change) SetOrgs(was, want, foreign []mapping.Membership) {
	if want == nil {
		want = []mapping.Membership{}
	}
	c.Diff = append(c.Diff, FieldChange{Field: FieldOrgs, Old: DescribeOrgs(was), New: DescribeOrgs(want)})
	c.OrgMemberships = want
	c.ForeignOrgMemberships = foreign
}

// DescribeOrgs renders org memberships as a diff shows them: "key(role)",
// sorted, joined by ", ".
func DescribeOrgs(ms []mapping.Membership) string {
	items := make([]string, 0, len(ms))
	for _, m := range ms {
		items = append(items, m.ContainerKey+"("+string(m.Role)+")")
	}
	sort.Strings(items)
	return strings.Join(items, ", ")
}

// SuspendUser suspends the user of source key key; actual is as Read
// reported it, id its target id.
func SuspendUser(key, id string, actual *mapping.User) Change {
	return Change{Action: ActionSuspend, Kind: mapping.KindUser, Key: key, TargetID: id, User: actual,
		Diff: []FieldChange{{Field: FieldSuspended, Old: "false", New: "true"}}}
}

// DeleteUser deletes the user of source key key; actual is as Read
// reported it, id its target id.
func DeleteUser(key, id string, actual *mapping.User) Change {
	return Change{Action: ActionDelete, Kind: mapping.KindUser, Key: key, TargetID: id, User: actual}
}

// CreateMembership adds m (its ends by source key).
func CreateMembership(m mapping.Membership) Change {
	return Change{Action: ActionCreate, Kind: mapping.KindMembership, Key: m.ID(), Membership: &m}
}

// UpdateMembership changes m's role from was to m.Role.
func UpdateMembership(m mapping.Membership, was mapping.Role) Change {
	return Change{Action: ActionUpdate, Kind: mapping.KindMembership, Key: m.ID(), Membership: &m,
		Diff: []FieldChange{{Field: FieldRole, Old: string(was), New: string(m.Role)}}}
}

// DeleteMembership removes m (its ends by source key).
func DeleteMembership(m mapping.Membership) Change {
	return Change{Action: ActionDelete, Kind: mapping.KindMembership, Key: m.ID(), Membership: &m}
}
