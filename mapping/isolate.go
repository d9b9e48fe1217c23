package mapping

import (
	"errors"
	"sort"
	"strings"
)

// LeftOut is one record an isolating build could not map: its object is
// not in the snapshot, and the reason says why.
type LeftOut struct {
	Kind Kind   `json:"kind"`
	Key  string `json:"key"`
	// Origin is where the record came from (users.csv:12, a DN, a SCIM id).
	Origin string `json:"origin,omitempty"`
	// Reason is every problem blamed on the record, joined by "; ".
	Reason string `json:"reason"`
	// Suspended: a user record that matched a suspended condition (a
	// deactivated or deleted user) even though the rest of it could not be
	// mapped.
	Suspended bool `json:"suspended,omitempty"`
}

// Isolate builds a validated desired snapshot like Build (BuildPartial
// when partial), except that a record that cannot be mapped (a missing
// required field, a login id or mail another record has too, a value the
// role map lacks, a membership or parent pointing at nothing, a cycle) is
// left out of the snapshot and listed in Report.LeftOut with its reason,
// and the rest is built. Leaving an object out can leave others pointing
// at nothing (the users of a left-out org, the children of a left-out
// parent): they are left out in turn, each naming what it points at.
// Only a problem blamed on no record (the flattening of the tree) fails
// the build.
func (r *Rules) Isolate(records []Record, partial bool) (*Snapshot, Report, error) {
	b := r.newBuilder(records, partial)
	left := map[ref]*LeftOut{}
	var order []ref
	blame := func(list []issue) map[ref]bool {
		drop := map[ref]bool{}
		for _, is := range list {
			for _, o := range is.objs {
				drop[o] = true
				l := left[o]
				if l == nil {
					l = &LeftOut{Kind: o.kind, Key: o.key, Origin: b.origins[o.kind][o.key], Suspended: o.kind == KindUser && b.suspended[o.key]}
					left[o] = l
					order = append(order, o)
				}
				if msg := is.err.Error(); !strings.Contains(l.Reason, msg) {
					if l.Reason != "" {
						l.Reason += "; "
					}
					l.Reason += msg
				}
			}
		}
		return drop
	}
	if len(b.bad) > 0 {
		b.userOrigins()
	}
	b.snap.drop(blame(b.bad))
	for {
		list := check(&b.snap, b.origins, partial, true)
		if len(list) == 0 {
			break
		}
		if b.origins[KindUser] == nil {
			// Checked without the users' origins, which the problems
			// name: again with them.
			b.userOrigins()
			continue
		}
		if !b.snap.drop(blame(list)) {
			// Nothing left to drop and still problems: never expected,
			// but never a loop either.
			var p Problems
			for _, is := range list {
				p.Add(is.err)
			}
			return nil, b.report, errors.Join(errors.New("problems that no record can be left out for"), p.Err())
		}
	}
	if err := b.flatten(); err != nil {
		return nil, b.report, err
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].kind != order[j].kind {
			return order[i].kind < order[j].kind
		}
		return order[i].key < order[j].key
	})
	for _, o := range order {
		b.report.LeftOut = append(b.report.LeftOut, *left[o])
	}
	return b.done(), b.report, nil
}

// drop removes the objects named, and the memberships of dropped users;
// it reports whether anything was removed.
func (s *Snapshot) drop(objs map[ref]bool) bool {
	if len(objs) == 0 {
		return false
	}
	n := len(s.Orgs) + len(s.Users) + len(s.Groups) + len(s.Memberships)
	s.Orgs = keepIf(s.Orgs, func(o Org) bool { return !objs[ref{KindOrg, o.Key}] })
	s.Users = keepIf(s.Users, func(u User) bool { return !objs[ref{KindUser, u.Key}] })
	s.Groups = keepIf(s.Groups, func(g Group) bool { return !objs[ref{KindGroup, g.Key}] })
	s.Memberships = keepIf(s.Memberships, func(m Membership) bool { return !objs[ref{KindUser, m.UserKey}] })
	return len(s.Orgs)+len(s.Users)+len(s.Groups)+len(s.Memberships) < n
}

func keepIf[T any](list []T, keep func(T) bool) []T {
	out := list[:0]
	for _, v := range list {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}
