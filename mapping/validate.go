package mapping

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// maxReported caps how many problems one error lists; the rest are counted.
const maxReported = 50

// Problems collects validation or mapping errors and joins them, capped.
type Problems struct {
	errs  []error
	extra int
}

// Add records one problem.
func (p *Problems) Add(err error) {
	if len(p.errs) >= maxReported {
		p.extra++
		return
	}
	p.errs = append(p.errs, err)
}

// Addf records one problem from a format.
func (p *Problems) Addf(format string, args ...any) { p.Add(fmt.Errorf(format, args...)) }

// Len is the number of problems recorded.
func (p *Problems) Len() int { return len(p.errs) + p.extra }

// Err joins the problems, or returns nil when there are none.
func (p *Problems) Err() error {
	if p.Len() == 0 {
		return nil
	}
	errs := p.errs
	if p.extra > 0 {
		errs = append(errs[:len(errs):len(errs)], fmt.Errorf("and %d more", p.extra))
	}
	return errors.Join(errs...)
}

// Origins says where each object came from, for error messages; a missing
// entry prints as the object's kind and key.
type Origins map[Kind]map[string]string

// Set records the origin of an object, keeping the first one.
func (o Origins) Set(kind Kind, key, origin string) {
	if o[kind] == nil {
		o[kind] = map[string]string{}
	}
	if _, ok := o[kind][key]; !ok {
		o[kind][key] = origin
	}
}

// Override records the origin of an object, replacing an earlier one (an
// orgs file row is a better place to point at than the first user on a path).
func (o Origins) Override(kind Kind, key, origin string) {
	if o[kind] == nil {
		o[kind] = map[string]string{}
	}
	o[kind][key] = origin
}

func (o Origins) describe(kind Kind, key string) string {
	if where := o[kind][key]; where != "" {
		return fmt.Sprintf("%s: %s %q", where, kind, key)
	}
	return fmt.Sprintf("%s %q", kind, key)
}

// Validate checks a snapshot's integrity: duplicate keys, duplicate login ids
// and mail addresses, orgs whose parent is missing, cycles in the org tree,
// memberships that point at nothing, unknown roles. Every problem names the
// offending object and, when origins know it, where it came from.
func Validate(s *Snapshot, origins Origins) error { return validate(s, origins, false) }

// validate checks a snapshot; a partial one may refer to orgs and groups it
// does not hold.
func validate(s *Snapshot, origins Origins, partial bool) error {
	var p Problems
	for _, is := range check(s, origins, partial, false) {
		p.Add(is.err)
	}
	return p.Err()
}

// ref names one object of a snapshot by kind and key.
type ref struct {
	kind Kind
	key  string
}

// issue is one problem of a snapshot and the objects it is blamed on:
// leaving those out of the snapshot removes the problem (a duplicate login
// id is blamed on every user who has it, a cycle on every org on it, a
// membership's problem on its user).
type issue struct {
	err  error
	objs []ref
}

type issues []issue

func (l *issues) add(err error, objs ...ref) { *l = append(*l, issue{err: err, objs: objs}) }

// check finds every problem of a snapshot (see Validate), each with the
// objects it is blamed on. built says s is a builder's: every membership's
// user is in s.Users, as the builder lists a user's memberships only with
// the user and drops them together; then the users sorted by key are
// checked for a key listed twice one after the other, with no set of a
// million keys (issue 13).
func check(s *Snapshot, origins Origins, partial, built bool) issues {
	var p issues
	orgs := map[string]*Org{}
	for i := range s.Orgs {
		o := &s.Orgs[i]
		if !newKey(&p, origins, orgs, KindOrg, o.Key, o.Name) {
			continue
		}
		orgs[o.Key] = o
		if strings.TrimSpace(o.Name) == "" {
			p.add(fmt.Errorf("%s: empty name", origins.describe(KindOrg, o.Key)), ref{KindOrg, o.Key})
		}
	}
	for _, key := range slices.Sorted(maps.Keys(orgs)) {
		o := orgs[key]
		if o.ParentKey != "" && !partial {
			if _, ok := orgs[o.ParentKey]; !ok {
				p.add(fmt.Errorf("%s: parent %q does not exist", origins.describe(KindOrg, key), o.ParentKey), ref{KindOrg, key})
			}
		}
	}
	for _, cycle := range orgCycles(orgs) {
		objs := make([]ref, 0, len(cycle)-1)
		for _, k := range cycle[:len(cycle)-1] {
			objs = append(objs, ref{KindOrg, k})
		}
		p.add(fmt.Errorf("%s: org tree has a cycle: %s", origins.describe(KindOrg, cycle[0]), strings.Join(cycle, " → ")), objs...)
	}

	// users is the set of user keys, unless built and sorted: then a key
	// seen before is the one before it.
	var users map[string]bool
	if !built || !slices.IsSortedFunc(s.Users, func(a, b User) int { return strings.Compare(a.Key, b.Key) }) {
		users = make(map[string]bool, len(s.Users))
	}
	logins, mails := newDupFinder(len(s.Users)), newDupFinder(len(s.Users))
	for i := range s.Users {
		u := &s.Users[i]
		if users == nil {
			if !newSortedKey(&p, origins, s.Users, i) {
				continue
			}
		} else {
			if !newKey(&p, origins, users, KindUser, u.Key, u.Name) {
				continue
			}
			users[u.Key] = true
		}
		at := ref{KindUser, u.Key}
		if strings.TrimSpace(u.Name) == "" {
			p.add(fmt.Errorf("%s: empty name", origins.describe(KindUser, u.Key)), at)
		}
		if u.LoginID == "" && u.Email == "" {
			p.add(fmt.Errorf("%s: neither login id nor email", origins.describe(KindUser, u.Key)), at)
		}
		if u.LoginID != "" {
			logins.add(strings.ToLower(u.LoginID), i)
		}
		if u.Email != "" {
			mails.add(strings.ToLower(u.Email), i)
		}
	}
	// A login id or mail shared by several users is blamed on each of them:
	// which one is right is the source's to say, not the order of its
	// records.
	var byKey map[string]*User
	for _, field := range []struct {
		name  string
		users map[string][]string
		value func(*User) string
	}{
		{"login id", logins.dups(s.Users), func(u *User) string { return u.LoginID }},
		{"email", mails.dups(s.Users), func(u *User) string { return u.Email }},
	} {
		if len(field.users) > 0 && byKey == nil {
			byKey = s.UserIndex()
		}
		for _, v := range slices.Sorted(maps.Keys(field.users)) {
			keys := field.users[v]
			for i, k := range keys {
				other := keys[0]
				if i == 0 {
					other = keys[1]
				}
				p.add(fmt.Errorf("%s: %s %q is also used by user %q", origins.describe(KindUser, k), field.name, field.value(byKey[k]), other), ref{KindUser, k})
			}
		}
	}

	groups := map[string]bool{}
	for _, g := range s.Groups {
		if !newKey(&p, origins, groups, KindGroup, g.Key, g.Name) {
			continue
		}
		groups[g.Key] = true
		if g.OrgKey != "" && !partial {
			if _, ok := orgs[g.OrgKey]; !ok {
				p.add(fmt.Errorf("%s: org %q does not exist", origins.describe(KindGroup, g.Key), g.OrgKey), ref{KindGroup, g.Key})
			}
		}
	}

	// Two memberships are the same one when their IDs are equal. A built
	// snapshot lists them sorted by ID (Sort), so that the same one comes
	// right after itself: then each is compared with the one before,
	// building no ID and no set of a million of them. Otherwise, their
	// fields are compared instead of their IDs where that is the same (no
	// user key holds a "/" and no kind a ":"), else their IDs.
	sorted, byFields := true, true
	for i := range s.Memberships {
		m := &s.Memberships[i]
		if i > 0 && sorted && compareIDs(s.Memberships[i-1], *m) > 0 {
			sorted = false
		}
		if strings.Contains(m.UserKey, "/") || strings.Contains(string(m.Kind), ":") {
			byFields = false
		}
	}
	seenIDs := map[string]bool{}
	seen := map[membershipFields]bool{}
	last := -1 // the membership checked last for being listed twice
	for i, m := range s.Memberships {
		where := func() string { return origins.describe(KindUser, m.UserKey) }
		at := ref{KindUser, m.UserKey}
		// Built, only the empty key (never a key) is no user's.
		if users == nil && m.UserKey == "" || users != nil && !users[m.UserKey] {
			p.add(fmt.Errorf("membership %s: user %q does not exist", m.ID(), m.UserKey), at)
			continue
		}
		switch m.Kind {
		case KindOrg:
			if _, ok := orgs[m.ContainerKey]; !ok && !partial {
				p.add(fmt.Errorf("%s: member of org %q, which does not exist", where(), m.ContainerKey), at)
			}
		case KindGroup:
			if !groups[m.ContainerKey] && !partial {
				p.add(fmt.Errorf("%s: member of group %q, which does not exist", where(), m.ContainerKey), at)
			}
		default:
			p.add(fmt.Errorf("%s: membership of unknown kind %q", where(), m.Kind), at)
		}
		if !m.Role.Valid() {
			p.add(fmt.Errorf("%s: role %q in %s %q is not member or admin", where(), m.Role, m.Kind, m.ContainerKey), at)
		}
		var twice bool
		switch {
		case sorted:
			twice = last >= 0 && compareIDs(s.Memberships[last], m) == 0
			last = i
		case byFields:
			f := membershipFields{m.Kind, m.ContainerKey, m.UserKey}
			twice = seen[f]
			seen[f] = true
		default:
			twice = seenIDs[m.ID()]
			seenIDs[m.ID()] = true
		}
		if twice {
			p.add(fmt.Errorf("%s: listed twice in %s %q", where(), m.Kind, m.ContainerKey), at)
		}
	}
	return p
}

// membershipFields are what a membership's ID is made of.
type membershipFields struct {
	kind            Kind
	container, user string
}

// dupFinder finds the values (login ids, mails) more than one user has:
// dups gives each such value with every user's key, in the order added.
// The values are listed and sorted, not put in a map: users sorted by key
// most often have their login ids and mails in order too, which the sort
// finds in one pass, where a map of a million values cost a table of tens
// of MB to make and a miss of the cache for each (issue 13).
type dupFinder struct {
	list []dupValue
}

// dupValue is one value added and its user's index in the list the
// values are added from (in order).
type dupValue struct {
	value string
	user  int32
}

func newDupFinder(n int) *dupFinder { return &dupFinder{list: make([]dupValue, 0, n)} }

// add adds users[i]'s value; i never goes down from one call to the next.
func (d *dupFinder) add(value string, i int) {
	d.list = append(d.list, dupValue{value: value, user: int32(i)})
}

// dups returns each value added more than once with its users' keys in
// the order added; it sorts the list.
func (d *dupFinder) dups(users []User) map[string][]string {
	if !slices.IsSortedFunc(d.list, compareDupValues) {
		slices.SortFunc(d.list, compareDupValues)
	}
	dups := map[string][]string{}
	for i := 1; i < len(d.list); i++ {
		if d.list[i].value != d.list[i-1].value {
			continue
		}
		v := d.list[i].value
		if _, ok := dups[v]; !ok {
			dups[v] = []string{users[d.list[i-1].user].Key}
		}
		dups[v] = append(dups[v], users[d.list[i].user].Key)
	}
	return dups
}

func compareDupValues(a, b dupValue) int {
	if c := strings.Compare(a.value, b.value); c != 0 {
		return c
	}
	return cmp.Compare(a.user, b.user)
}

// newKey reports whether key, the key of an object of kind named name, is
// neither empty nor in seen. Otherwise it adds the issue, and the caller
// checks the object no further (a repeated key's object is not the one the
// key stands for).
func newKey[V any](p *issues, origins Origins, seen map[string]V, kind Kind, key, name string) bool {
	at := ref{kind, key}
	if key == "" {
		p.add(fmt.Errorf("%s %q: empty key", kind, name), at)
		return false
	}
	if _, dup := seen[key]; dup {
		p.add(fmt.Errorf("%s: duplicate %s key", origins.describe(kind, key), kind), at)
		return false
	}
	return true
}

// newSortedKey is newKey for users[i] of users sorted by key: its key is
// neither empty nor that of the user before it.
func newSortedKey(p *issues, origins Origins, users []User, i int) bool {
	u := &users[i]
	if u.Key == "" || i == 0 || users[i-1].Key != u.Key {
		return newKey[bool](p, origins, nil, KindUser, u.Key, u.Name)
	}
	p.add(fmt.Errorf("%s: duplicate %s key", origins.describe(KindUser, u.Key), KindUser), ref{KindUser, u.Key})
	return false
}

// orgCycles returns each cycle in the parent links once, starting from its
// smallest key.
func orgCycles(orgs map[string]*Org) [][]string {
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var cycles [][]string
	for _, start := range slices.Sorted(maps.Keys(orgs)) {
		if state[start] != unvisited {
			continue
		}
		var path []string
		key := start
		for {
			o, ok := orgs[key]
			if !ok || state[key] == done {
				break
			}
			if state[key] == visiting {
				i := indexOf(path, key)
				cycle := append([]string(nil), path[i:]...)
				cycles = append(cycles, rotateToMin(cycle))
				break
			}
			state[key] = visiting
			path = append(path, key)
			if o.ParentKey == "" {
				break
			}
			key = o.ParentKey
		}
		for _, k := range path {
			state[k] = done
		}
	}
	return cycles
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func rotateToMin(cycle []string) []string {
	min := 0
	for i, k := range cycle {
		if k < cycle[min] {
			min = i
		}
	}
	out := append(append([]string(nil), cycle[min:]...), cycle[:min]...)
	return append(out, out[0])
}
