package targettest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

// Harness is a target wired to a fresh emulator, with hooks into the
// emulator. Only Target is required; a nil hook skips what needs it.
type Harness struct {
	// Target is the adapter under test, talking to the emulator.
	Target connectors.Target

	// Faults makes the emulator answer the given shares of requests with a
	// 429 and with a 5xx, from a fixed seed; Faults(0, 0) turns them off.
	// The suite turns them on once per run (it may reseed).
	Faults func(rate429, rate5xx float64)
	// Faulted returns how many responses the emulator faulted so far; when
	// set, the faults case checks that it met some.
	Faulted func() int

	// ExpireCredentials makes the target's current token or key invalid.
	ExpireCredentials func()
	// RenewsCredentials: after ExpireCredentials the target obtains new
	// credentials by itself; otherwise it must fail with a clear error.
	RenewsCredentials bool

	// Writes returns how many write requests the emulator has seen.
	Writes func() int

	// Invalid is a change the API must refuse with a 4xx naming
	// InvalidField (an org name too long, say). It must not refer to
	// anything the suite creates: it is applied to an empty target.
	Invalid      connectors.Change
	InvalidField string

	// ExistingUsers are users pre-seeded in the emulator, for a target
	// that does not create users (Capabilities.CreatesUsers false), as
	// Read reports them: Key is the target's id. The suite refers to them
	// by that key and compares only their name, login id, email and
	// suspension (those of them the target keeps). The memberships and
	// read_after_write cases need 3, the pagination case 2×PageSize+1 (5),
	// the faults case uses up to 12; a case (or the part of one) that
	// needs more than there are is skipped. Nil when the target creates
	// users.
	ExistingUsers []mapping.User

	// UserAttributes are attribute values (the target's field names) valid
	// for a created user; UpdatedUserAttributes are new values for some of
	// them, written by the users case. Nil: users carry no attributes.
	UserAttributes        map[string]string
	UpdatedUserAttributes map[string]string

	// Unsupported names canonical fields the target does not keep: the
	// suite neither writes nor compares them. Without UserName, users are
	// told apart by their login id (else their email) where the suite
	// looks for duplicates; see userIdentity.
	Unsupported []Field
}

// Field names a canonical field a target may not keep (Harness.Unsupported).
type Field string

// The optional canonical fields.
const (
	OrgCode          Field = "org.code"
	OrgDescription   Field = "org.description"
	GroupCode        Field = "group.code"
	GroupDescription Field = "group.description"
	UserName         Field = "user.name"
	UserLoginID      Field = "user.login_id"
	UserEmail        Field = "user.email"
	// GroupOrg: a group is not placed in an org (SCIM Groups).
	GroupOrg Field = "group.org"
)

// Options is what Run asks of the constructor.
type Options struct {
	// PageSize is the page size the target must read with (small, so that
	// every list spans pages).
	PageSize int
	// Readings names the readings of its document the emulator must serve
	// (see each emulator's Readings); nil is its default reading.
	Readings []string
}

// pageSize is the page size every harness is built with.
const pageSize = 2

// RunReadings runs the whole suite once for each set of readings in
// combos (an emulator's Readings.Combinations()), as a subtest named by the
// set ("default" for none), each harness built with Options.Readings set.
func RunReadings(t *testing.T, combos [][]string, newHarness func(t *testing.T, opts Options) *Harness) {
	t.Helper()
	for _, readings := range combos {
		name := strings.Join(readings, "+")
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			runCases(t, func(t *testing.T, opts Options) *Harness {
				opts.Readings = readings
				return newHarness(t, opts)
			})
		})
	}
}

// Run runs every case of the suite as a subtest of t, each with a harness
// from newHarness, under the emulator's default reading.
func Run(t *testing.T, newHarness func(t *testing.T, opts Options) *Harness) {
	t.Helper()
	runCases(t, newHarness)
}

func runCases(t *testing.T, newHarness func(t *testing.T, opts Options) *Harness) {
	t.Helper()
	cases := []struct {
		name string
		run  func(r *run)
	}{
		{"orgs", testOrgs},
		{"users", testUsers},
		{"groups", testGroups},
		{"memberships", testMemberships},
		{"pagination", testPagination},
		{"faults", testFaults},
		{"expired_credentials", testExpiredCredentials},
		{"validation", testValidation},
		{"read_after_write", testReadAfterWrite},
		{"find", testFind},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(newRun(t, newHarness))
		})
	}
}

// run is one case: a harness, the IDs, and what the suite wrote (by the
// suite's keys).
type run struct {
	t    *testing.T
	ctx  context.Context
	h    *Harness
	caps connectors.Capabilities
	// ids is the suite's connectors.IDs: source key → target id, per
	// kind, recorded as creates land (the scheduler's part).
	ids *store.SyncLinks

	orgs    map[string]mapping.Org
	users   map[string]mapping.User
	groups  map[string]mapping.Group
	members map[string]mapping.Membership // by ID()
}

func newRun(t *testing.T, newHarness func(*testing.T, Options) *Harness) *run {
	t.Helper()
	h := newHarness(t, Options{PageSize: pageSize})
	if h == nil || h.Target == nil {
		t.Fatal("targettest: the constructor returned no Target")
	}
	r := &run{
		t: t, ctx: t.Context(), h: h, caps: h.Target.Capabilities(),
		ids:     &store.SyncLinks{},
		orgs:    map[string]mapping.Org{},
		users:   map[string]mapping.User{},
		groups:  map[string]mapping.Group{},
		members: map[string]mapping.Membership{},
	}
	if h.Faults != nil {
		t.Cleanup(func() { h.Faults(0, 0) })
	}
	return r
}

func (r *run) unsupported(f Field) bool { return slices.Contains(r.h.Unsupported, f) }

// folded: org memberships travel in the user call.
func (r *run) folded() bool { return r.caps.OrgMembershipsInUser }

func (r *run) hasRole(role mapping.Role) bool {
	if len(r.caps.Roles) == 0 {
		return role == mapping.RoleMember
	}
	return slices.Contains(r.caps.Roles, role)
}

// admin is RoleAdmin where the target knows it, else RoleMember.
func (r *run) admin() mapping.Role {
	if r.hasRole(mapping.RoleAdmin) {
		return mapping.RoleAdmin
	}
	return mapping.RoleMember
}

func (r *run) writes() int {
	if r.h.Writes == nil {
		return 0
	}
	return r.h.Writes()
}

func describe(c connectors.Change) string {
	return fmt.Sprintf("%s %s %s", c.Action.Symbol(), c.Kind, c.Key)
}

// try applies c, recording the target id of a created object. It is safe
// for concurrent use (it never touches r.t).
func (r *run) try(c connectors.Change) (connectors.Result, error) {
	res, err := r.h.Target.Apply(r.ctx, c, r.ids)
	if err != nil {
		return res, err
	}
	if c.Action == connectors.ActionCreate && c.Kind != mapping.KindMembership {
		if res.TargetID == "" {
			return res, fmt.Errorf("targettest: create returned no target id")
		}
		r.ids.Set(c.Kind, c.Key, res.TargetID)
	}
	return res, nil
}

func (r *run) apply(c connectors.Change) connectors.Result {
	r.t.Helper()
	res, err := r.try(c)
	if err != nil {
		r.t.Fatalf("Apply(%s): %v", describe(c), err)
	}
	return res
}

// applyAgain repeats a delete: it must succeed or fail with ErrNotFound.
func (r *run) applyAgain(c connectors.Change) {
	r.t.Helper()
	if _, err := r.h.Target.Apply(r.ctx, c, r.ids); err != nil && !errors.Is(err, connectors.ErrNotFound) {
		r.t.Errorf("Apply(%s) a second time: %v; want success or an error wrapping connectors.ErrNotFound", describe(c), err)
	}
}

// id returns the target id of an object the suite created or linked.
func (r *run) id(kind mapping.Kind, key string) string {
	r.t.Helper()
	id, ok := r.ids.TargetID(kind, key)
	if !ok {
		r.t.Fatalf("targettest: no target id for %s %s", kind, key)
	}
	return id
}

// idOr is the target id of key, or "" for "".
func (r *run) idOr(kind mapping.Kind, key string) string {
	if key == "" {
		return ""
	}
	id, _ := r.ids.TargetID(kind, key)
	return id
}

// ---- reading and comparing ----

// readRaw reads the target, checks the snapshot on its own, and checks that
// the read wrote nothing.
func (r *run) readRaw(when string) *mapping.Snapshot {
	r.t.Helper()
	s, err := r.read(when)
	if err != nil {
		r.t.Fatalf("%s: Read: %v", when, err)
	}
	return s
}

// read is readRaw that returns Read's error.
func (r *run) read(when string) (*mapping.Snapshot, error) {
	r.t.Helper()
	w0 := r.writes()
	s, err := r.h.Target.Read(r.ctx)
	if d := r.writes() - w0; d != 0 {
		r.t.Errorf("%s: Read made %d write requests; a read must not write", when, d)
	}
	if err != nil {
		return nil, err
	}
	if s == nil {
		r.t.Fatalf("%s: Read returned a nil snapshot and no error", when)
	}
	for _, msg := range shapeErrors(s) {
		r.t.Errorf("%s: Read: %s", when, msg)
	}
	return s, nil
}

// shapeErrors checks a snapshot on its own: unique keys, references that
// resolve within it, known membership kinds and roles.
func shapeErrors(s *mapping.Snapshot) []string {
	var errs []string
	orgs, users, groups := map[string]bool{}, map[string]bool{}, map[string]bool{}
	unique := func(kind mapping.Kind, key string, seen map[string]bool) {
		switch {
		case key == "":
			errs = append(errs, fmt.Sprintf("a %s has an empty key", kind))
		case seen[key]:
			errs = append(errs, fmt.Sprintf("%s %s is listed twice", kind, key))
		}
		seen[key] = true
	}
	for _, o := range s.Orgs {
		unique(mapping.KindOrg, o.Key, orgs)
	}
	for _, u := range s.Users {
		unique(mapping.KindUser, u.Key, users)
	}
	for _, g := range s.Groups {
		unique(mapping.KindGroup, g.Key, groups)
	}
	for _, o := range s.Orgs {
		if o.ParentKey != "" && !orgs[o.ParentKey] {
			errs = append(errs, fmt.Sprintf("org %s has parent %s, which is not in the snapshot", o.Key, o.ParentKey))
		}
	}
	for _, g := range s.Groups {
		if g.OrgKey != "" && !orgs[g.OrgKey] {
			errs = append(errs, fmt.Sprintf("group %s is in org %s, which is not in the snapshot", g.Key, g.OrgKey))
		}
	}
	seen := map[string]bool{}
	for _, m := range s.Memberships {
		if seen[m.ID()] {
			errs = append(errs, fmt.Sprintf("membership %s is listed twice", m.ID()))
		}
		seen[m.ID()] = true
		if !users[m.UserKey] {
			errs = append(errs, fmt.Sprintf("membership %s names user %s, which is not in the snapshot", m.ID(), m.UserKey))
		}
		switch m.Kind {
		case mapping.KindOrg:
			if !orgs[m.ContainerKey] {
				errs = append(errs, fmt.Sprintf("membership %s names org %s, which is not in the snapshot", m.ID(), m.ContainerKey))
			}
		case mapping.KindGroup:
			if !groups[m.ContainerKey] {
				errs = append(errs, fmt.Sprintf("membership %s names group %s, which is not in the snapshot", m.ID(), m.ContainerKey))
			}
		default:
			errs = append(errs, fmt.Sprintf("membership %s has kind %q, not org or group", m.ID(), m.Kind))
		}
		if !m.Role.Valid() {
			errs = append(errs, fmt.Sprintf("membership %s has role %q, not member or admin", m.ID(), m.Role))
		}
	}
	return errs
}

// reverseIDs returns target id → source key of each object kind, for
// reading what the target reports in the suite's keys.
func (r *run) reverseIDs() map[mapping.Kind]map[string]string {
	return map[mapping.Kind]map[string]string{
		mapping.KindOrg:   r.ids.Reverse(mapping.KindOrg),
		mapping.KindUser:  r.ids.Reverse(mapping.KindUser),
		mapping.KindGroup: r.ids.Reverse(mapping.KindGroup),
	}
}

// translate rewrites a read snapshot into the suite's keys, keeping only
// the objects the suite knows (created, linked or deleted) and the
// memberships between them, normalised for comparison.
func (r *run) translate(s *mapping.Snapshot) *mapping.Snapshot {
	rev := r.reverseIDs()
	back := func(kind mapping.Kind, id string) string {
		if id == "" {
			return ""
		}
		if k, ok := rev[kind][id]; ok {
			return k
		}
		return fmt.Sprintf("<%s %s, not created by the suite>", kind, id)
	}
	out := &mapping.Snapshot{}
	for _, o := range s.Orgs {
		key, ok := rev[mapping.KindOrg][o.Key]
		if !ok {
			continue
		}
		o.Key, o.ParentKey = key, back(mapping.KindOrg, o.ParentKey)
		out.Orgs = append(out.Orgs, r.normOrg(o))
	}
	for _, u := range s.Users {
		key, ok := rev[mapping.KindUser][u.Key]
		if !ok {
			continue
		}
		u.Key = key
		out.Users = append(out.Users, r.normUser(u, r.users[key].Attributes))
	}
	for _, g := range s.Groups {
		key, ok := rev[mapping.KindGroup][g.Key]
		if !ok {
			continue
		}
		g.Key, g.OrgKey = key, back(mapping.KindOrg, g.OrgKey)
		out.Groups = append(out.Groups, r.normGroup(g))
	}
	for _, m := range s.Memberships {
		u, okU := rev[mapping.KindUser][m.UserKey]
		c, okC := rev[m.Kind][m.ContainerKey]
		if !okU || !okC {
			continue
		}
		m.UserKey, m.ContainerKey = u, c
		out.Memberships = append(out.Memberships, m)
	}
	out.Sort()
	return out
}

func (r *run) normOrg(o mapping.Org) mapping.Org {
	o.System = false
	if r.unsupported(OrgCode) {
		o.Code = ""
	}
	if r.unsupported(OrgDescription) {
		o.Description = ""
	}
	return o
}

func (r *run) normGroup(g mapping.Group) mapping.Group {
	g.System = false
	if r.unsupported(GroupCode) {
		g.Code = ""
	}
	if r.unsupported(GroupDescription) {
		g.Description = ""
	}
	return g
}

// normUser keeps of u's attributes exactly the names in keep (an absent one
// as "").
func (r *run) normUser(u mapping.User, keep map[string]string) mapping.User {
	if r.unsupported(UserName) {
		u.Name = ""
	}
	if r.unsupported(UserLoginID) {
		u.LoginID = ""
	}
	if r.unsupported(UserEmail) {
		u.Email = ""
	}
	if !r.caps.SuspendsUsers {
		u.Suspended = false
	}
	var attrs map[string]string
	if len(keep) > 0 {
		attrs = make(map[string]string, len(keep))
		for k := range keep {
			attrs[k] = u.Attributes[k]
		}
	}
	u.Attributes = attrs
	return u
}

// want is what the suite wrote, normalised like translate's result.
func (r *run) want() *mapping.Snapshot {
	s := &mapping.Snapshot{}
	for _, o := range r.orgs {
		s.Orgs = append(s.Orgs, r.normOrg(o))
	}
	for _, u := range r.users {
		s.Users = append(s.Users, r.normUser(u, u.Attributes))
	}
	for _, g := range r.groups {
		s.Groups = append(s.Groups, r.normGroup(g))
	}
	for _, m := range r.members {
		s.Memberships = append(s.Memberships, m)
	}
	s.Sort()
	return s
}

// check reads the target and compares it with what the suite wrote.
func (r *run) check(when string) *mapping.Snapshot {
	r.t.Helper()
	raw := r.readRaw(when)
	if diff := cmp.Diff(r.want(), r.translate(raw), cmpopts.EquateEmpty()); diff != "" {
		r.t.Errorf("%s: Read does not match what was written (-want +got, by the suite's keys):\n%s", when, diff)
	}
	for _, msg := range r.strangers(raw) {
		r.t.Errorf("%s: Read: %s", when, msg)
	}
	return raw
}

// userIdentity is what tells the suite's users apart where it looks for
// duplicates (strangers, and linkByName in the faults case): the first
// field of name, login id and email that the target keeps (the fixtures
// make each unique), as its planner name and a func reading it. ok is false
// when the target keeps none of them; the suite then finds duplicate users
// only by counting the users it does not know (the faults case).
func (r *run) userIdentity() (field string, of func(mapping.User) string, ok bool) {
	switch {
	case !r.unsupported(UserName):
		return "name", func(u mapping.User) string { return u.Name }, true
	case !r.unsupported(UserLoginID):
		return "login_id", func(u mapping.User) string { return u.LoginID }, true
	case !r.unsupported(UserEmail):
		return "email", func(u mapping.User) string { return u.Email }, true
	}
	return "", nil, false
}

// strangers reports objects the suite did not create that bear the name of
// one it did (for users, the identity userIdentity gives): a create applied
// twice. (Other objects the suite does not know, a target's own root, say,
// are left alone.)
func (r *run) strangers(s *mapping.Snapshot) []string {
	var out []string
	rev := r.reverseIDs()
	find := func(kind mapping.Kind, field string, names map[string]string, key, name string) {
		if _, known := rev[kind][key]; known || name == "" {
			return
		}
		if k, ok := names[name]; ok {
			out = append(out, fmt.Sprintf("%s %s has the %s %q of %s %s, which the suite created once: a duplicate", kind, key, field, name, kind, k))
		}
	}
	orgs, users, groups := map[string]string{}, map[string]string{}, map[string]string{}
	for k, o := range r.orgs {
		orgs[o.Name] = k
	}
	for k, g := range r.groups {
		groups[g.Name] = k
	}
	for _, o := range s.Orgs {
		find(mapping.KindOrg, "name", orgs, o.Key, o.Name)
	}
	for _, g := range s.Groups {
		find(mapping.KindGroup, "name", groups, g.Key, g.Name)
	}
	if field, of, ok := r.userIdentity(); ok {
		for k, u := range r.users {
			if v := of(u); v != "" {
				users[v] = k
			}
		}
		for _, u := range s.Users {
			find(mapping.KindUser, field, users, u.Key, of(u))
		}
	}
	return out
}

// ---- writing, the way the planner shapes changes ----

// fitOrg leaves out what the target does not keep.
func (r *run) fitOrg(o mapping.Org) mapping.Org {
	if !r.caps.NestedOrgs {
		o.ParentKey = ""
	}
	return r.normOrg(o)
}

func (r *run) fitGroup(g mapping.Group) mapping.Group {
	if !r.caps.Orgs || r.unsupported(GroupOrg) {
		g.OrgKey = ""
	}
	return r.normGroup(g)
}

func (r *run) fitUser(u mapping.User) mapping.User {
	u = r.normUser(u, u.Attributes)
	if len(r.caps.UserAttributes) > 0 {
		maps.DeleteFunc(u.Attributes, func(k, _ string) bool { return !slices.Contains(r.caps.UserAttributes, k) })
	}
	if len(u.Attributes) == 0 {
		u.Attributes = nil
	}
	return u
}

func (r *run) createOrg(o mapping.Org) {
	r.t.Helper()
	o = r.fitOrg(o)
	r.apply(change.CreateOrg(o))
	r.orgs[o.Key] = o
}

func (r *run) updateOrg(o mapping.Org) {
	r.t.Helper()
	o = r.fitOrg(o)
	r.apply(change.UpdateOrg(r.id(mapping.KindOrg, o.Key), r.orgs[o.Key], o))
	r.orgs[o.Key] = o
}

// deleteOrg deletes an org (the planner passes the actual object, by target
// ids) and forgets the memberships in it.
func (r *run) deleteOrg(key string) connectors.Change {
	r.t.Helper()
	a := r.orgs[key]
	a.Key, a.ParentKey = r.id(mapping.KindOrg, key), r.idOr(mapping.KindOrg, a.ParentKey)
	c := change.DeleteOrg(key, a.Key, &a)
	r.apply(c)
	delete(r.orgs, key)
	r.forgetMembers(func(m mapping.Membership) bool { return m.Kind == mapping.KindOrg && m.ContainerKey == key })
	return c
}

func (r *run) createGroup(g mapping.Group) {
	r.t.Helper()
	g = r.fitGroup(g)
	r.apply(change.CreateGroup(g))
	r.groups[g.Key] = g
}

func (r *run) updateGroup(g mapping.Group) {
	r.t.Helper()
	g = r.fitGroup(g)
	r.apply(change.UpdateGroup(r.id(mapping.KindGroup, g.Key), r.groups[g.Key], g))
	r.groups[g.Key] = g
}

func (r *run) deleteGroup(key string) connectors.Change {
	r.t.Helper()
	a := r.groups[key]
	a.Key, a.OrgKey = r.id(mapping.KindGroup, key), r.idOr(mapping.KindOrg, a.OrgKey)
	c := change.DeleteGroup(key, a.Key, &a)
	r.apply(c)
	delete(r.groups, key)
	r.forgetMembers(func(m mapping.Membership) bool { return m.Kind == mapping.KindGroup && m.ContainerKey == key })
	return c
}

// createUser creates a user with its org memberships: in the same call
// when the target folds them in, else as membership changes after it.
func (r *run) createUser(u mapping.User, orgs []mapping.Membership) {
	r.t.Helper()
	u = r.fitUser(u)
	var folded []mapping.Membership
	if r.folded() {
		folded = nonNil(orgs)
	}
	r.apply(change.CreateUser(u, folded))
	r.users[u.Key] = u
	if r.folded() {
		for _, m := range orgs {
			r.members[m.ID()] = m
		}
	} else if len(orgs) > 0 {
		r.setOrgMemberships(u.Key, orgs)
	}
}

func nonNil(ms []mapping.Membership) []mapping.Membership {
	if ms == nil {
		return []mapping.Membership{}
	}
	return ms
}

func (r *run) updateUser(u mapping.User) {
	r.t.Helper()
	u = r.fitUser(u)
	// The planner compares what is mapped: what the target does not keep
	// is left out of both sides.
	old := r.fitUser(r.users[u.Key])
	r.apply(change.UpdateUser(r.id(mapping.KindUser, u.Key), old, u))
	r.users[u.Key] = u
}

func (r *run) actualUser(key string) mapping.User {
	r.t.Helper()
	a := r.users[key]
	a.Key = r.id(mapping.KindUser, key)
	return a
}

func (r *run) suspendUser(key string) {
	r.t.Helper()
	a := r.actualUser(key)
	r.apply(change.SuspendUser(key, a.Key, &a))
	u := r.users[key]
	u.Suspended = true
	r.users[key] = u
}

func (r *run) deleteUser(key string) connectors.Change {
	r.t.Helper()
	a := r.actualUser(key)
	c := change.DeleteUser(key, a.Key, &a)
	r.apply(c)
	delete(r.users, key)
	r.forgetMembers(func(m mapping.Membership) bool { return m.UserKey == key })
	return c
}

// setOrgMemberships writes a user's whole set of org memberships: one user
// update when the target folds them in, else membership creates, role
// updates and deletes.
func (r *run) setOrgMemberships(userKey string, ms []mapping.Membership) {
	r.t.Helper()
	current := map[string]mapping.Membership{}
	for id, m := range r.members {
		if m.Kind == mapping.KindOrg && m.UserKey == userKey {
			current[id] = m
		}
	}
	if r.folded() {
		u := r.users[userKey]
		c := change.UpdateUser(r.id(mapping.KindUser, userKey), u, u)
		c.SetOrgs(slices.Collect(maps.Values(current)), ms, nil)
		r.apply(c)
		for id := range current {
			delete(r.members, id)
		}
		for _, m := range ms {
			r.members[m.ID()] = m
		}
		return
	}
	want := byID(ms)
	for _, id := range slices.Sorted(maps.Keys(want)) {
		m := want[id]
		if cur, ok := current[id]; !ok {
			r.addMember(m)
		} else if cur.Role != m.Role {
			r.setRole(m)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(current)) {
		if _, ok := want[id]; !ok {
			r.removeMember(current[id])
		}
	}
}

func byID(ms []mapping.Membership) map[string]mapping.Membership {
	out := make(map[string]mapping.Membership, len(ms))
	for _, m := range ms {
		out[m.ID()] = m
	}
	return out
}

func (r *run) addMember(m mapping.Membership) {
	r.t.Helper()
	r.apply(change.CreateMembership(m))
	r.members[m.ID()] = m
}

func (r *run) setRole(m mapping.Membership) {
	r.t.Helper()
	r.apply(change.UpdateMembership(m, r.members[m.ID()].Role))
	r.members[m.ID()] = m
}

func (r *run) removeMember(m mapping.Membership) connectors.Change {
	r.t.Helper()
	m.Role = r.members[m.ID()].Role
	c := change.DeleteMembership(m)
	r.apply(c)
	delete(r.members, m.ID())
	return c
}

func (r *run) forgetMembers(match func(mapping.Membership) bool) {
	maps.DeleteFunc(r.members, func(_ string, m mapping.Membership) bool { return match(m) })
}

// provideUsers makes len(fixtures) users available and returns their keys:
// the fixtures, created with the org memberships orgsFor gives them, when
// the target creates users; else the first ExistingUsers, linked, and then
// given those org memberships. It skips the case when there are too few.
func (r *run) provideUsers(fixtures []mapping.User, orgsFor func(i int, key string) []mapping.Membership) []string {
	r.t.Helper()
	orgs := func(i int, key string) []mapping.Membership {
		if orgsFor == nil || !r.caps.Orgs {
			return nil
		}
		return orgsFor(i, key)
	}
	keys := make([]string, 0, len(fixtures))
	if r.caps.CreatesUsers {
		for i, u := range fixtures {
			r.createUser(u, orgs(i, u.Key))
			keys = append(keys, u.Key)
		}
		return keys
	}
	if len(r.h.ExistingUsers) < len(fixtures) {
		r.t.Skipf("needs %d users: Capabilities.CreatesUsers is false and Harness.ExistingUsers holds %d",
			len(fixtures), len(r.h.ExistingUsers))
	}
	for i, u := range r.h.ExistingUsers[:len(fixtures)] {
		r.linkUser(u)
		if ms := orgs(i, u.Key); len(ms) > 0 {
			r.setOrgMemberships(u.Key, ms)
		}
		keys = append(keys, u.Key)
	}
	return keys
}

// linkUser adopts a pre-existing user: its key is its target id. Its
// attributes are not compared (the suite did not write them).
func (r *run) linkUser(u mapping.User) {
	r.ids.Set(mapping.KindUser, u.Key, u.Key)
	u.Attributes = nil
	r.users[u.Key] = u
}
