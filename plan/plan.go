package plan

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/mapping"
)

// Links maps kind → source key → target id: what orgbridge created or adopted.
type Links = map[mapping.Kind]map[string]string

// Leaver policies: what happens to a managed user no longer in the source.
const (
	LeaversSuspend = "suspend"
	LeaversDelete  = "delete"
)

// Options tune the planner.
type Options struct {
	// Leavers is LeaversSuspend (default) or LeaversDelete.
	Leavers string
	// Partial plans from an incremental read: desired holds only what
	// changed, so nothing absent from it is removed, and a membership is
	// removed only from a user the read included. The next full run
	// reconciles the rest.
	Partial bool
}

// Adoption links a pre-existing target object to a source key.
type Adoption struct {
	Kind     mapping.Kind `json:"kind"`
	Key      string       `json:"key"`
	TargetID string       `json:"target_id"`
}

// Plan is the ordered set of changes that brings a target in step.
type Plan struct {
	Changes []change.Change `json:"changes"`
	// Adopt lists pre-existing target objects matched to source objects;
	// recording them writes nothing to the target.
	Adopt []Adoption `json:"adopt,omitempty"`
	// Managed counts, per kind, the objects orgbridge manages after the
	// plan's adoptions: the base of the guard's share.
	Managed map[mapping.Kind]int `json:"managed"`
	// UserRefs maps user keys to target ids on a target that references
	// users rather than creating them (Capabilities.UserRef).
	UserRefs map[string]string `json:"user_refs,omitempty"`
	// Departed lists referenced users who left the source: their
	// memberships in managed containers are removed, and the guard counts
	// them like suspends.
	Departed []string `json:"departed,omitempty"`
	// Partial is set on a plan made from an incremental read.
	Partial bool `json:"partial,omitempty"`
	// Desired counts, per kind, the objects the source produced.
	Desired map[mapping.Kind]int `json:"desired"`
}

// Count returns how many changes of a kind and action the plan holds.
func (p *Plan) Count(kind mapping.Kind, action change.Action) int {
	n := 0
	for _, c := range p.Changes {
		if c.Kind == kind && c.Action == action {
			n++
		}
	}
	return n
}

// Stages of a plan, in the order they are applied. Org creates and deletes
// take one stage per tree depth on top of their base.
const (
	stageOrgCreate        = 0   // + depth
	stageOrgUpdate        = 100 // parents exist by now
	stageGroupWrite       = 101
	stageUserWrite        = 102
	stageMembershipWrite  = 103
	stageMembershipDelete = 104
	stageUserRemove       = 105
	stageGroupDelete      = 106
	stageOrgDelete        = 200 // + (maxOrgDepth - depth): children first

	maxOrgDepth = 1000
)

// ErrCapability is wrapped by a plan error when the desired state needs
// something the target lacks.
var ErrCapability = fmt.Errorf("target lacks a capability the job needs")

// CheckCapabilities reports what a desired snapshot asks of a target that it
// cannot do: groups for a target without groups, nested orgs for a flat one,
// a role it does not know.
func CheckCapabilities(desired *mapping.Snapshot, caps change.Capabilities) error {
	var problems []string
	if len(desired.Orgs) > 0 && !caps.Orgs {
		problems = append(problems, fmt.Sprintf("the job maps %d orgs but the target holds no orgs", len(desired.Orgs)))
	}
	if len(desired.Groups) > 0 && !caps.Groups {
		problems = append(problems, fmt.Sprintf("the job maps %d groups but the target holds no groups", len(desired.Groups)))
	}
	if len(desired.Users) > 0 && !caps.Users {
		problems = append(problems, fmt.Sprintf("the job maps %d users but the target holds no users", len(desired.Users)))
	}
	if !caps.NestedOrgs {
		for _, o := range desired.Orgs {
			if o.ParentKey != "" {
				problems = append(problems, fmt.Sprintf("org %q has a parent but the target's orgs do not nest", o.Key))
				break
			}
		}
	}
	roles := map[mapping.Role]bool{}
	for _, r := range caps.Roles {
		roles[r] = true
	}
	for _, m := range desired.Memberships {
		if !roles[m.Role] {
			problems = append(problems, fmt.Sprintf("membership %s has role %q, which the target does not know", m.ID(), m.Role))
			break
		}
		if m.Kind == mapping.KindGroup && !caps.GroupMemberships {
			problems = append(problems, "the job maps group memberships but the target cannot write them")
			break
		}
	}
	if len(desired.Users) > 0 && caps.Users && !caps.CreatesUsers {
		if caps.UserRef == "" {
			problems = append(problems, "the target does not create users and names no attribute to reference them by")
		}
		missing := 0
		for _, u := range desired.Users {
			if u.Attributes[caps.UserRef] == "" {
				if missing == 0 {
					problems = append(problems, fmt.Sprintf("user %q has no %s: the target references existing users by it (map users.attributes.%s)", u.Key, caps.UserRef, caps.UserRef))
				}
				missing++
			}
		}
		if missing > 1 {
			problems = append(problems, fmt.Sprintf("%d users in all have no %s", missing, caps.UserRef))
		}
	}
	if len(caps.UserAttributes) > 0 {
		known := map[string]bool{}
		for _, a := range caps.UserAttributes {
			known[a] = true
		}
		// Every user is checked: mappings may give some users an
		// attribute others lack (an empty cell leaves it out). Each unknown
		// name is named once, with the first user that carries it.
		unknown := map[string]string{}
		for _, u := range desired.Users {
			for a := range u.Attributes {
				if _, seen := unknown[a]; !known[a] && !seen {
					unknown[a] = u.Key
				}
			}
		}
		for _, a := range slices.Sorted(maps.Keys(unknown)) {
			problems = append(problems, fmt.Sprintf("user attribute %q (user %q) is not a field of the target (known: %s)", a, unknown[a], strings.Join(caps.UserAttributes, ", ")))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrCapability, strings.Join(problems, "; "))
	}
	return nil
}

// Make diffs desired against actual. It has no side effects.
func Make(desired, actual *mapping.Snapshot, links Links, caps change.Capabilities, opts Options) (*Plan, error) {
	if err := CheckCapabilities(desired, caps); err != nil {
		return nil, err
	}
	if opts.Leavers == "" {
		opts.Leavers = LeaversSuspend
	}
	p := &planner{
		desired: desired, actual: actual, links: links, caps: caps, opts: opts,
		plan: &Plan{Partial: opts.Partial, Managed: map[mapping.Kind]int{}, Desired: map[mapping.Kind]int{
			mapping.KindOrg: len(desired.Orgs), mapping.KindUser: len(desired.Users), mapping.KindGroup: len(desired.Groups),
		}},
		match: map[mapping.Kind]map[string]string{},
		owner: map[mapping.Kind]map[string]string{},
	}
	p.matchAll()
	p.plan.Changes = make([]change.Change, 0, p.creates())
	p.planOrgs()
	p.planGroups()
	p.planUsers()
	p.planMemberships()
	p.plan.Changes = sortChanges(p.plan.Changes)
	if len(p.plan.Changes) == 0 {
		p.plan.Changes = nil // as a plan with nothing to change has always been
	}
	return p.plan, nil
}

// creates counts the creates the plan will hold at least, once matchAll
// has matched: the desired objects nothing matched, and the memberships
// written apart of the users among them. The changes are listed in an
// array of that size made once (a first plan of a million users grew it
// by copying some thirty times), and a plan with little to change makes
// a small one.
func (p *planner) creates() int {
	unmatched := func(kind mapping.Kind, key string) bool { _, ok := p.match[kind][key]; return !ok }
	n := 0
	for i := range p.desired.Orgs {
		if unmatched(mapping.KindOrg, p.desired.Orgs[i].Key) {
			n++
		}
	}
	for i := range p.desired.Groups {
		if unmatched(mapping.KindGroup, p.desired.Groups[i].Key) {
			n++
		}
	}
	if !p.caps.CreatesUsers {
		return n
	}
	for i := range p.desired.Users {
		if unmatched(mapping.KindUser, p.desired.Users[i].Key) {
			n++
		}
	}
	for i := range p.desired.Memberships {
		m := &p.desired.Memberships[i]
		if (m.Kind == mapping.KindGroup || !p.caps.OrgMembershipsInUser) && unmatched(mapping.KindUser, m.UserKey) {
			n++
		}
	}
	return n
}

// actionRank orders the actions within a stage.
func actionRank(a change.Action) int {
	switch a {
	case change.ActionCreate:
		return 0
	case change.ActionUpdate:
		return 1
	case change.ActionSuspend:
		return 2
	case change.ActionDelete:
		return 3
	}
	return 0
}

// compareChanges orders a plan: by stage, then within a stage by action
// then source key, so that a plan reads the same whatever ids the target
// happened to give.
func compareChanges(a, b *change.Change) int {
	if a.Stage != b.Stage {
		return cmp.Compare(a.Stage, b.Stage)
	}
	if ra, rb := actionRank(a.Action), actionRank(b.Action); ra != rb {
		return cmp.Compare(ra, rb)
	}
	return strings.Compare(a.Key, b.Key)
}

// sortChanges sorts changes stably by compareChanges. The changes are
// large structs, so a stable sort moving them (insertion sort and
// in-place merges, O(n log² n) moves) took seconds at a million; this
// sorts their indexes and moves each change once, in place. A plan made in order
// already (most of a no-change or small plan) is returned as it is.
func sortChanges(cs []change.Change) []change.Change {
	sorted := true
	for i := 1; i < len(cs) && sorted; i++ {
		sorted = compareChanges(&cs[i-1], &cs[i]) <= 0
	}
	if sorted {
		return cs
	}
	idx := make([]int32, len(cs))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(i, j int32) int { return compareChanges(&cs[i], &cs[j]) })
	// Change i is to be cs[idx[i]]: follow each cycle of the permutation,
	// in place (a second array of a million changes is 200 MB more at the
	// plan's peak), marking each place done as idx[j] = j.
	for i := range idx {
		if idx[i] == int32(i) {
			continue
		}
		tmp := cs[i]
		j := int32(i)
		for {
			k := idx[j]
			idx[j] = j
			if k == int32(i) {
				cs[j] = tmp
				break
			}
			cs[j] = cs[k]
			j = k
		}
	}
	return cs
}

type planner struct {
	desired, actual *mapping.Snapshot
	links           Links
	caps            change.Capabilities
	opts            Options
	plan            *Plan

	// match: kind → source key → target id of the actual object it is.
	match map[mapping.Kind]map[string]string
	// owner: kind → target id → source key (inverse of match).
	owner map[mapping.Kind]map[string]string
	// removed: kind → target ids linked to a source key that is no longer
	// desired (leavers, removed orgs and groups).
	removed map[mapping.Kind][]string
	// desiredUsers: the desired users' keys, built on first use.
	desiredUsers map[string]bool
}

// inDesired reports whether the user with target id id is in the desired
// snapshot.
func (p *planner) inDesired(id string) bool {
	if p.desiredUsers == nil {
		p.desiredUsers = map[string]bool{}
		for _, u := range p.desired.Users {
			p.desiredUsers[u.Key] = true
		}
	}
	return p.desiredUsers[p.owner[mapping.KindUser][id]]
}

// referencesUsers: the target holds users it does not create.
func (p *planner) referencesUsers() bool {
	return p.caps.Users && !p.caps.CreatesUsers && p.caps.UserRef != ""
}

func (p *planner) bind(kind mapping.Kind, key, id string) {
	if p.match[kind] == nil {
		// Sized for the links, most of what a run that changes little
		// binds: a million grown one by one were rehashed twenty times.
		p.match[kind] = make(map[string]string, len(p.links[kind]))
		p.owner[kind] = make(map[string]string, len(p.links[kind]))
	}
	p.match[kind][key] = id
	p.owner[kind][id] = key
}

func (p *planner) targetID(kind mapping.Kind, key string) string { return p.match[kind][key] }

// matchAll binds desired objects to actual ones: links first, then the
// natural keys of objects no link claims.
func (p *planner) matchAll() {
	actualOrgs := p.actual.OrgIndex()
	actualUsers := p.actual.UserIndex()
	actualGroups := p.actual.GroupIndex()
	exists := map[mapping.Kind]func(string) bool{
		mapping.KindOrg:   func(id string) bool { o := actualOrgs[id]; return o != nil && !o.System },
		mapping.KindUser:  func(id string) bool { return actualUsers[id] != nil },
		mapping.KindGroup: func(id string) bool { g := actualGroups[id]; return g != nil && !g.System },
	}
	// desired tells a desired key of kind; its set is made only for a kind
	// with links to look up (a first plan of a million users has none).
	desiredKeys := map[mapping.Kind]map[string]bool{}
	desired := func(kind mapping.Kind, key string) bool {
		set, ok := desiredKeys[kind]
		if !ok {
			switch kind {
			case mapping.KindOrg:
				set = make(map[string]bool, len(p.desired.Orgs))
				for _, o := range p.desired.Orgs {
					set[o.Key] = true
				}
			case mapping.KindUser:
				set = make(map[string]bool, len(p.desired.Users))
				for _, u := range p.desired.Users {
					set[u.Key] = true
				}
			case mapping.KindGroup:
				set = make(map[string]bool, len(p.desired.Groups))
				for _, g := range p.desired.Groups {
					set[g.Key] = true
				}
			}
			desiredKeys[kind] = set
		}
		return set[key]
	}
	// Links: a link whose target object vanished is dropped (it will be
	// recreated); a link whose source key is gone marks a removal.
	p.removed = map[mapping.Kind][]string{}
	for _, kind := range []mapping.Kind{mapping.KindOrg, mapping.KindUser, mapping.KindGroup} {
		if kind == mapping.KindUser && p.referencesUsers() {
			continue // referenced users cannot be listed; see below
		}
		keys := make([]string, 0, len(p.links[kind]))
		for k := range p.links[kind] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, key := range keys {
			id := p.links[kind][key]
			if !exists[kind](id) {
				continue
			}
			p.plan.Managed[kind]++
			if p.opts.Partial || desired(kind, key) {
				// A partial read leaves out what did not change: its
				// links stand for objects that are still wanted.
				p.bind(kind, key, id)
			} else {
				p.removed[kind] = append(p.removed[kind], id)
				if p.owner[kind] == nil {
					p.owner[kind] = map[string]string{}
					p.match[kind] = map[string]string{}
				}
				p.owner[kind][id] = key
			}
		}
	}

	// A target that references users: each user's id is a mapped attribute.
	// The reference is linked like an adoption, so that when the user
	// leaves the source its memberships in managed containers are removed.
	if p.referencesUsers() {
		p.plan.UserRefs = map[string]string{}
		for _, u := range p.desired.Users {
			id := u.Attributes[p.caps.UserRef]
			p.bind(mapping.KindUser, u.Key, id)
			p.plan.UserRefs[u.Key] = id
			p.plan.Managed[mapping.KindUser]++
			if p.links[mapping.KindUser][u.Key] != id {
				p.plan.Adopt = append(p.plan.Adopt, Adoption{Kind: mapping.KindUser, Key: u.Key, TargetID: id})
			}
		}
		for _, key := range slices.Sorted(maps.Keys(p.links[mapping.KindUser])) {
			if !p.opts.Partial && !desired(mapping.KindUser, key) {
				p.owner[mapping.KindUser][p.links[mapping.KindUser][key]] = key
				p.plan.Departed = append(p.plan.Departed, key)
				p.plan.Managed[mapping.KindUser]++
			}
		}
	}

	// Natural keys for the rest.
	claimed := func(kind mapping.Kind, id string) bool { _, ok := p.owner[kind][id]; return ok }
	adopt := func(kind mapping.Kind, key, id string) {
		p.bind(kind, key, id)
		p.plan.Adopt = append(p.plan.Adopt, Adoption{Kind: kind, Key: key, TargetID: id})
		p.plan.Managed[kind]++
	}

	byLogin, byMail := map[string]string{}, map[string]string{}
	for _, u := range p.actual.Users {
		if u.LoginID != "" {
			byLogin[strings.ToLower(u.LoginID)] = u.Key
		}
		if u.Email != "" {
			byMail[strings.ToLower(u.Email)] = u.Key
		}
	}
	// A target with no user to adopt (a first plan) needs no look at each
	// desired user.
	for i := 0; i < len(p.desired.Users) && len(byLogin)+len(byMail) > 0; i++ {
		u := &p.desired.Users[i]
		if _, ok := p.match[mapping.KindUser][u.Key]; ok {
			continue
		}
		var candidates [2]string
		if u.LoginID != "" {
			candidates[0] = byLogin[strings.ToLower(u.LoginID)]
		}
		if u.Email != "" {
			candidates[1] = byMail[strings.ToLower(u.Email)]
		}
		for _, id := range candidates {
			if id != "" && !claimed(mapping.KindUser, id) {
				adopt(mapping.KindUser, u.Key, id)
				break
			}
		}
	}

	// Orgs: by code, then by the path of names from the top; parents are
	// matched before children so a path resolves through matched parents.
	orgByCode := map[string]string{}
	orgByPath := map[string]string{}
	for _, o := range p.actual.Orgs {
		if o.System {
			continue
		}
		if o.Code != "" {
			orgByCode[o.Code] = o.Key
		}
		orgByPath[namePath(actualOrgs, o.Key)] = o.Key
	}
	desiredOrgs := p.desired.OrgIndex()
	depth := p.desired.OrgDepth()
	orgs := append([]mapping.Org(nil), p.desired.Orgs...)
	sort.SliceStable(orgs, func(i, j int) bool { return depth[orgs[i].Key] < depth[orgs[j].Key] })
	for _, o := range orgs {
		if _, ok := p.match[mapping.KindOrg][o.Key]; ok {
			continue
		}
		if id := orgByCode[o.Code]; o.Code != "" && id != "" && !claimed(mapping.KindOrg, id) {
			adopt(mapping.KindOrg, o.Key, id)
			continue
		}
		if id := orgByPath[namePath(desiredOrgs, o.Key)]; id != "" && !claimed(mapping.KindOrg, id) {
			adopt(mapping.KindOrg, o.Key, id)
		}
	}

	groupByCode, groupByName := map[string]string{}, map[string]string{}
	for _, g := range p.actual.Groups {
		if g.System {
			continue
		}
		if g.Code != "" {
			groupByCode[g.Code] = g.Key
		}
		groupByName[g.Name] = g.Key
	}
	for _, g := range p.desired.Groups {
		if _, ok := p.match[mapping.KindGroup][g.Key]; ok {
			continue
		}
		if id := groupByCode[g.Code]; g.Code != "" && id != "" && !claimed(mapping.KindGroup, id) {
			adopt(mapping.KindGroup, g.Key, id)
			continue
		}
		if id := groupByName[g.Name]; id != "" && !claimed(mapping.KindGroup, id) {
			adopt(mapping.KindGroup, g.Key, id)
		}
	}
}

// namePath renders an org's names from the top joined by "/", the natural
// key of an org that has no code.
func namePath(orgs map[string]*mapping.Org, key string) string {
	var names []string
	seen := map[string]bool{}
	for key != "" && !seen[key] {
		seen[key] = true
		o := orgs[key]
		if o == nil || o.System {
			break
		}
		names = append(names, o.Name)
		key = o.ParentKey
	}
	for i, j := 0, len(names)-1; i < j; i, j = i+1, j-1 {
		names[i], names[j] = names[j], names[i]
	}
	return strings.Join(names, "\x00")
}

func (p *planner) add(c change.Change) { p.plan.Changes = append(p.plan.Changes, c) }

func (p *planner) addStage(c change.Change, stage int) {
	c.Stage = stage
	p.add(c)
}

// ownerKey names the actual object of kind with target id id in the
// desired state's terms: the source key orgbridge knows it by, else its
// target id (which then equals no desired key).
func (p *planner) ownerKey(kind mapping.Kind, id string) string {
	if key, ok := p.owner[kind][id]; ok {
		return key
	}
	return id
}

func (p *planner) planOrgs() {
	actual := p.actual.OrgIndex()
	depth := p.desired.OrgDepth()
	for i := range p.desired.Orgs {
		o := p.desired.Orgs[i]
		id := p.targetID(mapping.KindOrg, o.Key)
		if id == "" {
			p.addStage(change.CreateOrg(o), stageOrgCreate+depth[o.Key])
			continue
		}
		was := *actual[id]
		was.ParentKey = p.ownerKey(mapping.KindOrg, was.ParentKey)
		if c := change.UpdateOrg(id, was, o); len(c.Diff) > 0 {
			p.addStage(c, stageOrgUpdate)
		}
	}
	// Removed orgs, children first. A removed org under another removed org
	// is deleted by its parent's delete on targets that cascade, but we
	// delete explicitly so that every target behaves the same.
	adepth := p.actual.OrgDepth()
	for _, id := range p.removed[mapping.KindOrg] {
		p.addStage(change.DeleteOrg(p.owner[mapping.KindOrg][id], id, actual[id]), stageOrgDelete+maxOrgDepth-adepth[id])
	}
}

func (p *planner) planGroups() {
	actual := p.actual.GroupIndex()
	for i := range p.desired.Groups {
		g := p.desired.Groups[i]
		id := p.targetID(mapping.KindGroup, g.Key)
		if id == "" {
			p.addStage(change.CreateGroup(g), stageGroupWrite)
			continue
		}
		was := *actual[id]
		was.OrgKey = p.ownerKey(mapping.KindOrg, was.OrgKey)
		if c := change.UpdateGroup(id, was, g); len(c.Diff) > 0 {
			p.addStage(c, stageGroupWrite)
		}
	}
	for _, id := range p.removed[mapping.KindGroup] {
		p.addStage(change.DeleteGroup(p.owner[mapping.KindGroup][id], id, actual[id]), stageGroupDelete)
	}
}

// byUser is a snapshot's org memberships grouped by user key, in the
// snapshot's order: one map and a few arrays for all users, where a map of
// one slice per user cost a million small allocations. A user's only
// membership (most users have one) is the snapshot's own, not a copy.
type byUser struct {
	slot    map[string]int32
	src     []mapping.Membership // the snapshot's memberships
	count   []int32              // slot → its user's org memberships
	first   []int32              // slot → index in src of the first
	start   []int32              // slot → first index in members, for users with several
	members []mapping.Membership
}

// orgMemberships groups the org memberships of s by user key.
func orgMemberships(s *mapping.Snapshot) *byUser {
	// Sized for every user to have org memberships (most do), as the map
	// is: a million appended one by one left twice that in copies.
	b := &byUser{slot: make(map[string]int32, len(s.Users)), src: s.Memberships,
		count: make([]int32, 0, len(s.Users)), first: make([]int32, 0, len(s.Users))}
	slots := make([]int32, len(s.Memberships)) // each membership's user's slot, -1 for a group's
	for i := range s.Memberships {
		m := &s.Memberships[i]
		if m.Kind != mapping.KindOrg {
			slots[i] = -1
			continue
		}
		k, ok := b.slot[m.UserKey]
		if !ok {
			k = int32(len(b.count))
			b.slot[m.UserKey] = k
			b.count = append(b.count, 0)
			b.first = append(b.first, int32(i))
		}
		slots[i] = k
		b.count[k]++
	}
	b.start = make([]int32, len(b.count)+1)
	for k, n := range b.count {
		if n < 2 {
			n = 0
		}
		b.start[k+1] = b.start[k] + n
	}
	b.members = make([]mapping.Membership, b.start[len(b.count)])
	next := append([]int32(nil), b.start[:len(b.count)]...)
	for i, k := range slots {
		if k >= 0 && b.count[k] > 1 {
			b.members[next[k]] = s.Memberships[i]
			next[k]++
		}
	}
	return b
}

// of returns a user's org memberships, nil when there are none. The slice
// is capped: appending to it copies.
func (b *byUser) of(userKey string) []mapping.Membership {
	k, ok := b.slot[userKey]
	if !ok {
		return nil
	}
	if b.count[k] == 1 {
		i := b.first[k]
		return b.src[i : i+1 : i+1]
	}
	lo, hi := b.start[k], b.start[k+1]
	return b.members[lo:hi:hi]
}

// membershipSet renders org memberships as sorted "orgTargetID=role" items,
// with unknown target ids (orgs about to be created) marked as such.
func (p *planner) desiredOrgSet(ms []mapping.Membership) string {
	items := make([]string, 0, len(ms))
	for _, m := range ms {
		id := p.targetID(mapping.KindOrg, m.ContainerKey)
		if id == "" {
			id = "new:" + m.ContainerKey
		}
		items = append(items, id+"="+string(m.Role))
	}
	sort.Strings(items)
	return strings.Join(items, ",")
}

func actualOrgSet(ms []mapping.Membership) string {
	items := make([]string, 0, len(ms))
	for _, m := range ms {
		items = append(items, m.ContainerKey+"="+string(m.Role))
	}
	sort.Strings(items)
	return strings.Join(items, ",")
}

// keyedOrgs names actual org memberships' orgs by source key, for a
// plan's diff.
func (p *planner) keyedOrgs(ms []mapping.Membership) []mapping.Membership {
	out := make([]mapping.Membership, len(ms))
	for i, m := range ms {
		m.ContainerKey = p.ownerKey(mapping.KindOrg, m.ContainerKey)
		out[i] = m
	}
	return out
}

func (p *planner) planUsers() {
	if !p.caps.CreatesUsers {
		return // users are referenced, never written
	}
	actual := p.actual.UserIndex()
	desiredOrgs := orgMemberships(p.desired)
	actualOrgs := orgMemberships(p.actual)
	fold := p.caps.OrgMembershipsInUser
	for i := range p.desired.Users {
		u := p.desired.Users[i]
		id := p.targetID(mapping.KindUser, u.Key)
		if id == "" {
			var orgs []mapping.Membership
			if fold {
				orgs = nonNil(desiredOrgs.of(u.Key))
			}
			p.addStage(change.CreateUserOf(&p.desired.Users[i], orgs), stageUserWrite)
			continue
		}
		c := change.UpdateUser(id, p.userInDesiredTerms(*actual[id], u), u)
		c.Stage = stageUserWrite
		if fold {
			// Only memberships in managed orgs are compared; the others
			// ride along so that the whole set the target takes keeps them.
			managed, foreign := p.splitOrgMemberships(actualOrgs.of(id))
			if p.desiredOrgSet(desiredOrgs.of(u.Key)) != actualOrgSet(managed) {
				c.SetOrgs(p.keyedOrgs(managed), desiredOrgs.of(u.Key), foreign)
			}
		}
		if len(c.Diff) > 0 {
			p.add(c)
		}
	}
	for _, id := range p.removed[mapping.KindUser] {
		a := actual[id]
		key := p.owner[mapping.KindUser][id]
		var c change.Change
		switch {
		case p.opts.Leavers == LeaversDelete || !p.caps.SuspendsUsers:
			c = change.DeleteUser(key, id, a)
		case !a.Suspended:
			c = change.SuspendUser(key, id, a)
		default:
			continue
		}
		p.addStage(c, stageUserRemove)
	}
}

// userInDesiredTerms puts an actual user in the terms of the desired u
// where the target says how (Capabilities): attributes that name another
// user by that user's source key, and a login id that differs from u's
// only in case as u's on a target that does not tell them apart.
func (p *planner) userInDesiredTerms(was, u mapping.User) mapping.User {
	if p.caps.LoginIDCaseInsensitive && strings.EqualFold(was.LoginID, u.LoginID) {
		was.LoginID = u.LoginID
	}
	if len(p.caps.UserAttributeRefs) > 0 && len(was.Attributes) > 0 {
		was.Attributes = maps.Clone(was.Attributes)
		for _, name := range p.caps.UserAttributeRefs {
			if id := was.Attributes[name]; id != "" {
				was.Attributes[name] = p.ownerKey(mapping.KindUser, id)
			}
		}
	}
	return was
}

// splitOrgMemberships parts a user's actual org memberships into those in
// orgs orgbridge manages (linked, adopted, or linked and about to be
// removed) and the others: orgs made by hand, the target's own root.
func (p *planner) splitOrgMemberships(ms []mapping.Membership) (managed, foreign []mapping.Membership) {
	for _, m := range ms {
		if _, ok := p.owner[mapping.KindOrg][m.ContainerKey]; ok {
			managed = append(managed, m)
		} else {
			foreign = append(foreign, m)
		}
	}
	return managed, foreign
}

func nonNil(ms []mapping.Membership) []mapping.Membership {
	if ms == nil {
		return []mapping.Membership{}
	}
	return ms
}

// planMemberships plans the memberships the user call does not carry: group
// memberships always, org memberships on targets that write them apart.
// Only memberships between a managed user and a managed container are ever
// removed.
func (p *planner) planMemberships() {
	kinds := []mapping.Kind{mapping.KindGroup}
	if !p.caps.OrgMembershipsInUser {
		kinds = append(kinds, mapping.KindOrg)
	}
	for _, kind := range kinds {
		// Actual memberships by (container target id, user target id).
		actual := map[string]mapping.Membership{}
		for _, m := range p.actual.Memberships {
			if m.Kind == kind {
				actual[m.ContainerKey+"\x00"+m.UserKey] = m
			}
		}
		wanted := map[string]bool{}
		for i := range p.desired.Memberships {
			m := p.desired.Memberships[i]
			if m.Kind != kind {
				continue
			}
			cid, uid := p.targetID(kind, m.ContainerKey), p.targetID(mapping.KindUser, m.UserKey)
			if cid == "" || uid == "" {
				p.addStage(change.CreateMembership(m), stageMembershipWrite)
				continue
			}
			k := cid + "\x00" + uid
			wanted[k] = true
			a, ok := actual[k]
			switch {
			case !ok:
				p.addStage(change.CreateMembership(m), stageMembershipWrite)
			case a.Role != m.Role:
				p.addStage(change.UpdateMembership(m, a.Role), stageMembershipWrite)
			}
		}
		// Removed users' memberships go with the user's suspension or
		// deletion; departed referenced users lose theirs here.
		removedUsers := map[string]bool{}
		for _, id := range p.removed[mapping.KindUser] {
			removedUsers[id] = true
		}
		removedContainers := map[string]bool{}
		for _, id := range p.removed[kind] {
			removedContainers[id] = true
		}
		keys := slices.Sorted(maps.Keys(actual))
		for _, k := range keys {
			if wanted[k] {
				continue
			}
			a := actual[k]
			if p.opts.Partial && !p.inDesired(a.UserKey) {
				continue // the read did not include this user's memberships
			}
			userKey, userManaged := p.owner[mapping.KindUser][a.UserKey]
			containerKey, containerManaged := p.owner[kind][a.ContainerKey]
			if !userManaged || !containerManaged || removedUsers[a.UserKey] || removedContainers[a.ContainerKey] {
				continue
			}
			m := mapping.Membership{UserKey: userKey, Kind: kind, ContainerKey: containerKey, Role: a.Role}
			p.addStage(change.DeleteMembership(m), stageMembershipDelete)
		}
	}
}
