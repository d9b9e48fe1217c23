package ldap

import (
	"slices"
	"sort"
	"strings"
)

// group is what a read keeps of one group entry to work out memberships.
type group struct {
	key string
	dn  string
	ndn string // canonical DN
	// members holds the canonical DNs of its member and uniqueMember
	// values: users, groups, or entries out of scope.
	members []string
	// raw holds the same values as the group holds them (without a
	// uniqueMember's #'…'B), one for each of members.
	raw []string
	// uids holds its memberUid values (posixGroup), matched against the
	// users' uid attribute.
	uids []string
	// inChain, on AD with nested groups, holds the canonical DNs of every
	// user in it at any depth, as the in-chain matching rule found them.
	inChain []string
	// changed: its high-water attribute is at or past the incremental mark.
	changed bool
}

// groupSet holds every group of a read, by canonical DN.
type groupSet struct {
	list  []*group
	byNDN map[string]*group
}

func newGroupSet() *groupSet { return &groupSet{byNDN: map[string]*group{}} }

func (s *groupSet) add(g *group) {
	s.list = append(s.list, g)
	s.byNDN[g.ndn] = g
}

// closure returns g and every group nested in it at any depth (when
// nested), each once; cycles (A in B in A) end where a group repeats.
// onCycle is called when the walk comes back to g itself.
func (s *groupSet) closure(g *group, nested bool, onCycle func(*group)) []*group {
	out := []*group{g}
	if !nested {
		return out
	}
	seen := map[*group]bool{g: true}
	for i := 0; i < len(out); i++ {
		for _, m := range out[i].members {
			sub, ok := s.byNDN[m]
			if !ok {
				continue
			}
			if sub == g && onCycle != nil {
				onCycle(g)
			}
			if seen[sub] {
				continue
			}
			seen[sub] = true
			out = append(out, sub)
		}
	}
	return out
}

// members returns the users of g: the canonical DNs and the memberUid
// values found in g and, when nested, in every group nested in it. Members
// that are themselves groups are not users and are left out.
func (s *groupSet) members(g *group, nested bool) (dns, uids []string) {
	seenDN := map[string]bool{}
	seenUID := map[string]bool{}
	for _, c := range s.closure(g, nested, nil) {
		for _, m := range c.inChain {
			if !seenDN[m] {
				seenDN[m] = true
				dns = append(dns, m)
			}
		}
		for _, m := range c.members {
			if _, isGroup := s.byNDN[m]; isGroup || seenDN[m] {
				continue
			}
			seenDN[m] = true
			dns = append(dns, m)
		}
		for _, u := range c.uids {
			if !seenUID[u] {
				seenUID[u] = true
				uids = append(uids, u)
			}
		}
	}
	return dns, uids
}

// userIndex maps users to the keys of the groups they are in.
type userIndex struct {
	byDN  map[string][]string
	byUID map[string][]string
}

// index works out, for every user, the groups it is in: directly, and when
// nested through any chain of groups within the set. onCycle is called once
// for each group that is on a nesting cycle.
func (s *groupSet) index(nested bool, onCycle func(*group)) userIndex {
	ix := userIndex{byDN: map[string][]string{}, byUID: map[string][]string{}}
	for _, g := range s.list {
		// closure is walked here only to report cycles; members walks it
		// again to collect.
		if onCycle != nil && nested {
			s.closure(g, nested, onCycle)
		}
		dns, uids := s.members(g, nested)
		for _, d := range dns {
			ix.byDN[d] = append(ix.byDN[d], g.key)
		}
		for _, u := range uids {
			ix.byUID[u] = append(ix.byUID[u], g.key)
		}
	}
	return ix
}

// groupsOf returns the sorted, distinct group keys of the user with
// canonical DN ndn and uid values uids, joined by ";".
func (ix userIndex) groupsOf(ndn string, uids []string) string {
	keys := slices.Clone(ix.byDN[ndn])
	for _, u := range uids {
		keys = append(keys, ix.byUID[u]...)
	}
	sort.Strings(keys)
	keys = slices.Compact(keys)
	return strings.Join(keys, groupSep)
}

// unresolvedGroup is a group whose member values name no user of the read.
type unresolvedGroup struct {
	dn       string
	count    int      // distinct member values that are no user
	examples []string // the first few, as the group holds them
}

// maxUnresolvedExamples is how many of a group's unresolved member values
// its log line quotes.
const maxUnresolvedExamples = 3

// unresolved returns, for each group in check, its member, uniqueMember
// and memberUid values that are neither a user of the read (canonical DNs
// in users, uid values in uids) nor a group of the set. Nothing else says
// they were dropped: a deleted account left in member, an entry that is
// not a user (a service account, a user out of scope, a group outside the
// groups search), a user skipped as a bad entry.
func (s *groupSet) unresolved(check func(*group) bool, users, uids map[string]bool) []unresolvedGroup {
	var out []unresolvedGroup
	for _, g := range s.list {
		if !check(g) {
			continue
		}
		var u unresolvedGroup
		seen := map[string]bool{}
		note := func(n, raw string) {
			if seen[n] {
				return
			}
			seen[n] = true
			u.count++
			if len(u.examples) < maxUnresolvedExamples {
				u.examples = append(u.examples, raw)
			}
		}
		for i, m := range g.members {
			if _, isGroup := s.byNDN[m]; isGroup || users[m] {
				continue
			}
			raw := m
			if i < len(g.raw) {
				raw = g.raw[i]
			}
			note(m, raw)
		}
		for _, id := range g.uids {
			if !uids[id] {
				note("\x00uid:"+id, "memberUid: "+id)
			}
		}
		if u.count > 0 {
			u.dn = g.dn
			out = append(out, u)
		}
	}
	return out
}

// groupSep joins the keys of a user's groups attribute.
const groupSep = ";"
