package mapping

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/orgbridge/orgbridge/internal/config"
)

// Rules are a job's compiled mapping rules.
type Rules struct {
	loginID, email, name *field
	attributes           map[string]*field
	attributeNames       []string

	orgPath        *field
	pathSeparator  string
	multiSeparator string
	orgRef         *field
	orgSeparator   string

	role        *field
	roleValues  map[string]Role
	roleDefault Role

	groups         *field
	groupSeparator string

	exclude   []matcher
	suspended []matcher

	orgKey, orgName, orgCode, orgParent, orgDescription *field
	flatten                                             *config.Flatten
	groupName, groupCode, groupOrg, groupDescription    *field
}

type matcher struct {
	field  *field
	values map[string]bool
}

func (m matcher) match(data *recordValues) (bool, error) {
	v, err := m.field.render(data)
	if err != nil {
		return false, err
	}
	return m.values[v], nil
}

// Report says what a build left out, for the run summary.
type Report struct {
	Records  int `json:"records"`
	Excluded int `json:"excluded"`
	// LeftOut are the records an isolating build (Isolate) could not map,
	// each with its reason, in kind then key order. Their objects are not
	// in the snapshot.
	LeftOut []LeftOut `json:"left_out,omitempty"`
}

// Check checks a mapping block as config.Load does: its errors are
// *config.FieldErrors keyed below the block ("users.name").
func Check(cfg config.Mapping) error {
	_, err := Compile(cfg, "")
	return err
}

// Compile checks a mapping config and compiles its templates. prefix is the
// config path of the block ("jobs[0].mapping"), which the errors' keys and
// the errors of rendering a record start with; "" keys them below the
// block. The errors are *config.FieldErrors, all of them at once.
func Compile(cfg config.Mapping, prefix string) (*Rules, error) {
	var p config.Problems
	k := func(key string) string {
		if prefix == "" {
			return key
		}
		return prefix + "." + key
	}
	r := &Rules{attributes: map[string]*field{}, roleValues: map[string]Role{}}
	compile := func(key, text string) *field {
		f, err := compileField(k(key), text)
		if err != nil {
			p.Merge("", err)
		}
		return f
	}
	u := cfg.Users
	r.loginID = compile("users.login_id", u.LoginID)
	r.email = compile("users.email", u.Email)
	r.name = compile("users.name", u.Name)
	if u.Name == "" {
		p.Add(k("users.name"), "required")
	}
	if u.LoginID == "" && u.Email == "" {
		p.Add(k("users"), "one of login_id and email is required")
	}
	for k, text := range u.Attributes {
		r.attributes[k] = compile("users.attributes."+k, text)
		r.attributeNames = append(r.attributeNames, k)
	}
	sort.Strings(r.attributeNames)

	if u.OrgPath != nil && u.Org != "" {
		p.Add(k("users"), "org_path and org are exclusive")
	}
	if op := u.OrgPath; op != nil {
		if op.Template == "" {
			p.Add(k("users.org_path.template"), "required")
		}
		r.orgPath = compile("users.org_path.template", op.Template)
		r.pathSeparator = op.Separator
		if r.pathSeparator == "" {
			r.pathSeparator = "/"
		}
		r.multiSeparator = op.MultiSeparator
		if r.multiSeparator == r.pathSeparator {
			p.Add(k("users.org_path.multi_separator"), "must differ from separator %q", r.pathSeparator)
		}
	}
	r.orgRef = compile("users.org", u.Org)
	r.orgSeparator = u.OrgSeparator
	if u.OrgSeparator != "" && u.Org == "" {
		p.Add(k("users.org_separator"), "only used with users.org")
	}

	r.roleDefault = RoleMember
	if rm := u.Role; rm != nil {
		r.role = compile("users.role.template", rm.Template)
		if rm.Template == "" {
			p.Add(k("users.role.template"), "required")
		}
		for from, to := range rm.Values {
			role := Role(to)
			if !role.Valid() {
				p.Add(k("users.role.values."+from), "%q is not member or admin", to)
			}
			r.roleValues[from] = role
		}
		r.roleDefault = Role(rm.Default)
		if rm.Default != "" && !r.roleDefault.Valid() {
			p.Add(k("users.role.default"), "%q is not member or admin", rm.Default)
		}
	}
	if g := u.Groups; g != nil {
		r.groups = compile("users.groups.template", g.Template)
		r.groupSeparator = g.Separator
		if r.groupSeparator == "" {
			r.groupSeparator = ";"
		}
	}
	for i, m := range u.Scope.Exclude {
		r.exclude = append(r.exclude, compileMatch(&p, k(fmt.Sprintf("users.scope.exclude[%d]", i)), m))
	}
	for i, m := range u.Suspended {
		r.suspended = append(r.suspended, compileMatch(&p, k(fmt.Sprintf("users.suspended[%d]", i)), m))
	}

	o := cfg.Orgs
	r.orgKey = compile("orgs.key", o.Key)
	r.orgName = compile("orgs.name", o.Name)
	r.orgCode = compile("orgs.code", o.Code)
	r.orgParent = compile("orgs.parent", o.Parent)
	r.orgDescription = compile("orgs.description", o.Description)
	if f := o.Flatten; f != nil {
		if f.Mode != FlattenTopLevel && f.Mode != FlattenPath {
			p.Add(k("orgs.flatten.mode"), "%q is not %s or %s", f.Mode, FlattenTopLevel, FlattenPath)
		}
		r.flatten = f
	}
	if r.orgPath != nil && o.Parent != "" {
		p.Add(k("orgs.parent"), "not used when users.org_path builds the tree (the parent is the path's prefix)")
	}

	g := cfg.Groups
	r.groupName = compile("groups.name", g.Name)
	r.groupCode = compile("groups.code", g.Code)
	r.groupOrg = compile("groups.org", g.Org)
	r.groupDescription = compile("groups.description", g.Description)

	if err := p.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

func compileMatch(p *config.Problems, key string, m config.Match) matcher {
	f, err := compileField(key+".template", m.Template)
	if err != nil {
		p.Merge("", err)
	}
	if m.Template == "" {
		p.Add(key+".template", "required")
	}
	values := map[string]bool{}
	if m.Equals != "" {
		values[m.Equals] = true
	}
	for _, v := range m.In {
		values[v] = true
	}
	if len(values) == 0 {
		p.Add(key, "one of equals and in is required")
	}
	return matcher{field: f, values: values}
}

// UsesOrgs reports whether the rules produce orgs.
func (r *Rules) UsesOrgs() bool { return r.orgPath != nil || r.orgRef != nil }

// UsesGroups reports whether the rules produce groups.
func (r *Rules) UsesGroups() bool { return r.groups != nil }

// AttributeNames lists the mapped user attributes, sorted.
func (r *Rules) AttributeNames() []string { return r.attributeNames }

// Build turns records into a validated desired snapshot. Any problem with
// any record fails the whole build, each problem naming its record. Runs use
// Isolate, which leaves the bad records out instead.
func (r *Rules) Build(records []Record) (*Snapshot, Report, error) { return r.strict(records, false) }

// BuildPartial builds the snapshot of an incremental read: only what
// changed. Memberships and parents may name orgs and groups the read did
// not include (they exist already, and the planner resolves them through
// its links), and no group is derived from a user's references.
func (r *Rules) BuildPartial(records []Record) (*Snapshot, Report, error) {
	return r.strict(records, true)
}

// strict builds and fails on the first round of problems.
func (r *Rules) strict(records []Record, partial bool) (*Snapshot, Report, error) {
	b := r.newBuilder(records, partial)
	if err := b.problems.Err(); err != nil {
		return nil, b.report, err
	}
	b.userOrigins()
	if err := validate(&b.snap, b.origins, partial); err != nil {
		return nil, b.report, err
	}
	if err := b.flatten(); err != nil {
		return nil, b.report, err
	}
	return b.done(), b.report, nil
}

// newBuilder maps every record into a sorted, not yet validated snapshot;
// the problems of single records are in b.problems and b.bad.
func (r *Rules) newBuilder(records []Record, partial bool) *builder {
	b := &builder{rules: r, origins: Origins{}, orgs: map[string]*Org{}, groups: map[string]*Group{},
		report: Report{Records: len(records)}, suspended: map[string]bool{}}
	var orgRecords, groupRecords []Record
	users := 0
	for i := range records {
		if records[i].Kind == KindUser {
			users++
		}
	}
	// Sized once: a million users appended one by one moved the list some
	// thirty times. Memberships are sized from the first users' share.
	b.snap.Users = make([]User, 0, users)
	b.users = keyOrigins{records: records, list: make([]int32, 0, users)}
	const sample = 1024
	seen := 0
	for i, rec := range records {
		b.at = i
		if rec.Kind == KindUser {
			if seen++; seen == sample && users > 2*sample {
				perUser := float64(len(b.snap.Memberships)) / sample
				b.snap.Memberships = slices.Grow(b.snap.Memberships, int(perUser*float64(users-sample)*1.05))
			}
		}
		if rec.Problem != "" {
			b.fail(rec.Kind, rec, errors.New(rec.Problem))
			continue
		}
		switch rec.Kind {
		case KindUser:
			excluded, err := b.user(rec)
			if err != nil {
				b.fail(KindUser, rec, err)
			}
			if excluded {
				b.report.Excluded++
			}
		case KindOrg:
			orgRecords = append(orgRecords, rec)
		case KindGroup:
			groupRecords = append(groupRecords, rec)
		default:
			b.fail(rec.Kind, rec, fmt.Errorf("record of unknown kind %q", rec.Kind))
		}
	}
	for _, rec := range orgRecords {
		if err := b.org(rec); err != nil {
			b.fail(KindOrg, rec, err)
		}
	}
	declaredGroups := len(groupRecords) > 0
	for _, rec := range groupRecords {
		if err := b.group(rec); err != nil {
			b.fail(KindGroup, rec, err)
		}
	}
	// Groups named only by users' group lists are created with their key as
	// name; when a groups file declares groups, a reference to an undeclared
	// one is an error that Validate reports.
	if !declaredGroups && !partial {
		for _, m := range b.snap.Memberships {
			if m.Kind == KindGroup && b.groups[m.ContainerKey] == nil {
				b.groups[m.ContainerKey] = &Group{Key: m.ContainerKey, Name: m.ContainerKey}
			}
		}
	}
	for _, o := range b.orgs {
		b.snap.Orgs = append(b.snap.Orgs, *o)
	}
	for _, g := range b.groups {
		b.snap.Groups = append(b.snap.Groups, *g)
	}
	b.snap.Sort()
	return b
}

// fail records the problem of one record: the strict build reports it, the
// isolating one leaves the record's object out.
func (b *builder) fail(kind Kind, rec Record, err error) {
	err = fmt.Errorf("%s: %w", rec.Origin, err)
	b.problems.Add(err)
	b.bad = append(b.bad, issue{err: err, objs: []ref{{kind, rec.Key}}})
	if kind != KindUser {
		b.origins.Set(kind, rec.Key, rec.Origin)
	} else if _, seen := b.users.seen(rec.Key); !seen {
		b.users.add(b.at) // rec is records[b.at]: users fail only there
	}
}

// userOrigins puts the users' origins in b.origins, where check,
// validate and the left-out list look them up: a build with no problem
// never needs them.
func (b *builder) userOrigins() {
	b.origins[KindUser] = b.users.asMap()
}

// keyOrigins are the keys of the user records so far, each with the origin
// of the first. While the keys come in increasing order (records sorted by
// key, as most exports are), a new key is the greatest so far and none is
// looked up: the records are only listed, by index. The first key out of
// order turns the list into a map, which every key after goes through. A
// map of a million keys cost a cache miss a record (issue 13).
type keyOrigins struct {
	records []Record
	list    []int32 // indexes in records, in order, while byKey is nil
	byKey   map[string]string
}

// seen returns the origin of key, if it has been added.
func (k *keyOrigins) seen(key string) (string, bool) {
	if k.byKey == nil {
		if n := len(k.list); n == 0 || key > k.records[k.list[n-1]].Key {
			return "", false
		}
		k.asMap()
	}
	origin, ok := k.byKey[key]
	return origin, ok
}

// add adds the key of records[i], which seen returned false for.
func (k *keyOrigins) add(i int) {
	if k.byKey != nil {
		k.byKey[k.records[i].Key] = k.records[i].Origin
		return
	}
	k.list = append(k.list, int32(i))
}

// asMap turns the list into the map, if it is not one yet, and returns it.
func (k *keyOrigins) asMap() map[string]string {
	if k.byKey == nil {
		k.byKey = make(map[string]string, len(k.list))
		for _, i := range k.list {
			k.byKey[k.records[i].Key] = k.records[i].Origin
		}
		k.list = nil
	}
	return k.byKey
}

// done returns the snapshot built, apart from the builder: a pointer into
// the builder kept its maps of a million origins alive as long as the
// snapshot, through the whole plan (issue 13).
func (b *builder) done() *Snapshot {
	s := b.snap
	return &s
}

func (b *builder) flatten() error {
	if f := b.rules.flatten; f != nil {
		if err := Flatten(&b.snap, f.Mode, f.Separator); err != nil {
			return err
		}
		b.snap.Sort()
	}
	return nil
}

type builder struct {
	rules *Rules
	// origins are where each org and group came from, and each user once
	// userOrigins has put users' there.
	origins Origins
	// users are the user records' keys and origins, for a key seen twice.
	users keyOrigins
	// at is the index of the record being mapped.
	at       int
	problems Problems
	snap     Snapshot
	orgs     map[string]*Org
	groups   map[string]*Group
	report   Report
	// bad are the problems of single records, blamed on their objects.
	bad []issue
	// suspended: user keys whose record matched a suspended condition, even
	// if it could not be mapped otherwise (a deactivated or deleted user).
	suspended map[string]bool
	// groupKeys, paths and orgKeys are kept from one user record to the
	// next, so that listing a user's groups and orgs allocates nothing:
	// no list outlives the record it was made for.
	groupKeys, paths, orgKeys []string
}

func (b *builder) user(rec Record) (excluded bool, err error) {
	r := b.rules
	data := recordData(&rec)
	for _, m := range r.exclude {
		hit, err := m.match(data)
		if err != nil {
			return false, err
		}
		if hit {
			return true, nil
		}
	}
	// The suspended conditions come first: a record that cannot be mapped
	// but says the user is deactivated (or deleted) still says that much.
	u := User{Key: rec.Key}
	for _, m := range r.suspended {
		hit, err := m.match(data)
		if err != nil {
			return false, err
		}
		if hit {
			u.Suspended = true
			b.suspended[rec.Key] = true
		}
	}
	if first, dup := b.users.seen(rec.Key); dup {
		return false, fmt.Errorf("duplicate user key %q (first at %s)", rec.Key, first)
	}
	if err := renderTo(data, fieldTo{f: r.loginID, dst: &u.LoginID}, fieldTo{f: r.email, dst: &u.Email}, fieldTo{f: r.name, dst: &u.Name}); err != nil {
		return false, err
	}
	if len(r.attributeNames) > 0 {
		u.Attributes = make(map[string]string, len(r.attributeNames))
		for _, k := range r.attributeNames {
			if u.Attributes[k], err = r.attributes[k].render(data); err != nil {
				return false, err
			}
		}
	}
	role, err := b.role(data)
	if err != nil {
		return false, err
	}
	var groupKeys []string
	if r.groups != nil {
		list, err := r.groups.render(data)
		if err != nil {
			return false, err
		}
		groupKeys = appendList(b.groupKeys[:0], list, r.groupSeparator)
		b.groupKeys = groupKeys
	}
	// Orgs last: a path creates its orgs, which a record that fails
	// before must not leave behind.
	orgKeys, err := b.userOrgs(rec, data)
	if err != nil {
		return false, err
	}
	for _, key := range orgKeys {
		b.snap.Memberships = append(b.snap.Memberships, Membership{UserKey: u.Key, Kind: KindOrg, ContainerKey: key, Role: role})
	}
	for _, key := range groupKeys {
		b.snap.Memberships = append(b.snap.Memberships, Membership{UserKey: u.Key, Kind: KindGroup, ContainerKey: key, Role: RoleMember})
	}
	b.users.add(b.at) // rec is records[b.at]
	b.snap.Users = append(b.snap.Users, u)
	return false, nil
}

func (b *builder) role(data *recordValues) (Role, error) {
	r := b.rules
	if r.role == nil {
		return r.roleDefault, nil
	}
	v, err := r.role.render(data)
	if err != nil {
		return "", err
	}
	if role, ok := r.roleValues[v]; ok {
		return role, nil
	}
	if role := Role(v); role.Valid() && len(r.roleValues) == 0 {
		return role, nil
	}
	if r.roleDefault == "" {
		return "", fmt.Errorf("%s: value %q is not in the role map and no default is set", r.role.key, v)
	}
	return r.roleDefault, nil
}

// userOrgs returns the keys of the orgs a user belongs to, creating
// path-derived orgs as it goes. The list is the builder's, good until the
// next record.
func (b *builder) userOrgs(rec Record, data *recordValues) ([]string, error) {
	r := b.rules
	switch {
	case r.orgPath != nil:
		value, err := r.orgPath.render(data)
		if err != nil {
			return nil, err
		}
		paths := appendList(b.paths[:0], value, r.multiSeparator)
		b.paths = paths
		for _, path := range paths {
			if b.orgs[path] != nil {
				continue // a key already, so no segment is empty
			}
			if err := b.checkPath(path); err != nil {
				return nil, fmt.Errorf("%s: %w", r.orgPath.key, err)
			}
		}
		keys := b.orgKeys[:0]
		for _, path := range paths {
			key, err := b.pathOrg(path, rec.Origin)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", r.orgPath.key, err)
			}
			keys = append(keys, key)
		}
		b.orgKeys = keys
		return keys, nil
	case r.orgRef != nil:
		key, err := r.orgRef.render(data)
		if err != nil || key == "" {
			return nil, err
		}
		if r.orgSeparator == "" {
			b.orgKeys = append(b.orgKeys[:0], key) // as it is, not trimmed
		} else {
			b.orgKeys = appendList(b.orgKeys[:0], key, r.orgSeparator)
		}
		return b.orgKeys, nil
	}
	return nil, nil
}

// checkPath reports a path pathOrg would refuse, creating nothing.
func (b *builder) checkPath(path string) error {
	for _, seg := range strings.Split(path, b.rules.pathSeparator) {
		if strings.TrimSpace(seg) == "" {
			return fmt.Errorf("path %q has an empty segment", path)
		}
	}
	return nil
}

// pathOrg makes sure every org on a path exists and returns the key of the
// last one. Keys are the segments joined by the separator.
func (b *builder) pathOrg(path, origin string) (string, error) {
	// A path written as a key is (its segments trimmed and not empty), and
	// an org with that key made every org above it: its key is returned,
	// so that the users of one org share one key string, not one each.
	if o := b.orgs[path]; o != nil {
		return o.Key, nil
	}
	sep := b.rules.pathSeparator
	segments := strings.Split(path, sep)
	parent := ""
	for i, seg := range segments {
		seg = strings.TrimSpace(seg)
		if seg == "" {
			return "", fmt.Errorf("path %q has an empty segment", path)
		}
		segments[i] = seg
		key := strings.Join(segments[:i+1], sep)
		if b.orgs[key] == nil {
			b.orgs[key] = &Org{Key: key, Name: seg, ParentKey: parent}
			b.origins.Set(KindOrg, key, origin)
		}
		parent = key
	}
	return parent, nil
}

// org applies one org record: in path mode it names an org on a path (and
// so creates it and its ancestors) and sets its code and description; in
// reference mode it declares the org with its parent.
func (b *builder) org(rec Record) error {
	r := b.rules
	data := recordData(&rec)
	key := rec.Key
	if r.orgKey != nil {
		var err error
		if key, err = r.orgKey.render(data); err != nil {
			return err
		}
	}
	if key == "" {
		return fmt.Errorf("org with an empty key")
	}
	var o *Org
	if r.orgPath != nil {
		k, err := b.pathOrg(key, rec.Origin)
		if err != nil {
			return fmt.Errorf("org key: %w", err)
		}
		o = b.orgs[k]
	} else {
		if b.orgs[key] != nil {
			return fmt.Errorf("duplicate org key %q (first at %s)", key, b.origins[KindOrg][key])
		}
		o = &Org{Key: key, Name: key}
		b.orgs[key] = o
		parent, err := r.orgParent.render(data)
		if err != nil {
			return err
		}
		o.ParentKey = parent
	}
	b.origins.Override(KindOrg, o.Key, rec.Origin)
	return renderTo(data, fieldTo{f: r.orgName, dst: &o.Name, keep: true},
		fieldTo{f: r.orgCode, dst: &o.Code}, fieldTo{f: r.orgDescription, dst: &o.Description})
}

func (b *builder) group(rec Record) error {
	r := b.rules
	data := recordData(&rec)
	if b.groups[rec.Key] != nil {
		return fmt.Errorf("duplicate group key %q (first at %s)", rec.Key, b.origins[KindGroup][rec.Key])
	}
	g := &Group{Key: rec.Key, Name: rec.Key}
	if err := renderTo(data, fieldTo{f: r.groupName, dst: &g.Name, keep: true}, fieldTo{f: r.groupCode, dst: &g.Code},
		fieldTo{f: r.groupOrg, dst: &g.OrgKey}, fieldTo{f: r.groupDescription, dst: &g.Description}); err != nil {
		return err
	}
	b.groups[g.Key] = g
	b.origins.Set(KindGroup, g.Key, rec.Origin)
	return nil
}

// appendList appends to dst the items of value split by sep, trimmed and
// the empty ones dropped (an empty separator: the whole value as one
// item), with no list of its own: the builder keeps dst from one record
// to the next.
func appendList(dst []string, value, sep string) []string {
	if value == "" {
		return dst
	}
	for {
		item, rest, more := value, "", false
		if sep != "" {
			item, rest, more = strings.Cut(value, sep)
		}
		if item = strings.TrimSpace(item); item != "" {
			dst = append(dst, item)
		}
		if !more {
			return dst
		}
		value = rest
	}
}
