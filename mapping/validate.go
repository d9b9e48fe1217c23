package mapping

import (
	"errors"
	"fmt"
	"sort"
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
	orgs := map[string]*Org{}
	for i := range s.Orgs {
		o := &s.Orgs[i]
		if o.Key == "" {
			p.Addf("org %q: empty key", o.Name)
			continue
		}
		if _, dup := orgs[o.Key]; dup {
			p.Addf("%s: duplicate org key", origins.describe(KindOrg, o.Key))
			continue
		}
		orgs[o.Key] = o
		if strings.TrimSpace(o.Name) == "" {
			p.Addf("%s: empty name", origins.describe(KindOrg, o.Key))
		}
	}
	for _, key := range sortedOrgKeys(orgs) {
		o := orgs[key]
		if o.ParentKey != "" && !partial {
			if _, ok := orgs[o.ParentKey]; !ok {
				p.Addf("%s: parent %q does not exist", origins.describe(KindOrg, key), o.ParentKey)
			}
		}
	}
	for _, cycle := range orgCycles(orgs) {
		p.Addf("%s: org tree has a cycle: %s", origins.describe(KindOrg, cycle[0]), strings.Join(cycle, " → "))
	}

	users := map[string]bool{}
	logins := map[string]string{}
	mails := map[string]string{}
	for _, u := range s.Users {
		if u.Key == "" {
			p.Addf("user %q: empty key", u.Name)
			continue
		}
		if users[u.Key] {
			p.Addf("%s: duplicate user key", origins.describe(KindUser, u.Key))
			continue
		}
		users[u.Key] = true
		if strings.TrimSpace(u.Name) == "" {
			p.Addf("%s: empty name", origins.describe(KindUser, u.Key))
		}
		if u.LoginID == "" && u.Email == "" {
			p.Addf("%s: neither login id nor email", origins.describe(KindUser, u.Key))
		}
		if u.LoginID != "" {
			if other, dup := logins[strings.ToLower(u.LoginID)]; dup {
				p.Addf("%s: login id %q is also used by user %q", origins.describe(KindUser, u.Key), u.LoginID, other)
			} else {
				logins[strings.ToLower(u.LoginID)] = u.Key
			}
		}
		if u.Email != "" {
			if other, dup := mails[strings.ToLower(u.Email)]; dup {
				p.Addf("%s: email %q is also used by user %q", origins.describe(KindUser, u.Key), u.Email, other)
			} else {
				mails[strings.ToLower(u.Email)] = u.Key
			}
		}
	}

	groups := map[string]bool{}
	for _, g := range s.Groups {
		if g.Key == "" {
			p.Addf("group %q: empty key", g.Name)
			continue
		}
		if groups[g.Key] {
			p.Addf("%s: duplicate group key", origins.describe(KindGroup, g.Key))
			continue
		}
		groups[g.Key] = true
		if g.OrgKey != "" && !partial {
			if _, ok := orgs[g.OrgKey]; !ok {
				p.Addf("%s: org %q does not exist", origins.describe(KindGroup, g.Key), g.OrgKey)
			}
		}
	}

	seen := map[string]bool{}
	for _, m := range s.Memberships {
		where := origins.describe(KindUser, m.UserKey)
		if !users[m.UserKey] {
			p.Addf("membership %s: user %q does not exist", m.ID(), m.UserKey)
			continue
		}
		switch m.Kind {
		case KindOrg:
			if _, ok := orgs[m.ContainerKey]; !ok && !partial {
				p.Addf("%s: member of org %q, which does not exist", where, m.ContainerKey)
			}
		case KindGroup:
			if !groups[m.ContainerKey] && !partial {
				p.Addf("%s: member of group %q, which does not exist", where, m.ContainerKey)
			}
		default:
			p.Addf("%s: membership of unknown kind %q", where, m.Kind)
		}
		if !m.Role.Valid() {
			p.Addf("%s: role %q in %s %q is not member or admin", where, m.Role, m.Kind, m.ContainerKey)
		}
		if seen[m.ID()] {
			p.Addf("%s: listed twice in %s %q", where, m.Kind, m.ContainerKey)
		}
		seen[m.ID()] = true
	}
	return p.Err()
}

func sortedOrgKeys(orgs map[string]*Org) []string {
	keys := make([]string, 0, len(orgs))
	for k := range orgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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
	for _, start := range sortedOrgKeys(orgs) {
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
