package connectors

import (
	"context"
	"fmt"
	"strings"

	"github.com/orgbridge/orgbridge/mapping"
)

// FindByRead is Finder.Find for a target whose API has no list filter to
// look an object up by: one fresh Read of the target for all of cs (the
// executor calls Find once per retry pass), then FindIn.
func FindByRead(ctx context.Context, t Target, cs []Change, ids IDs) []Found {
	out := make([]Found, len(cs))
	snap, err := t.Read(ctx)
	if err != nil {
		for i := range out {
			out[i].Err = fmt.Errorf("read the target to look up %s %s: %w", cs[i].Kind, cs[i].Key, err)
		}
		return out
	}
	return FindIn(snap, cs, ids)
}

// FindIn looks up, in a target's actual state (keyed by its own ids, as
// Read returns it), the object each create of cs would make, by the
// natural keys the planner matches on: a user by login id, then e-mail
// (case-insensitively); an org by code, else by name under the same
// parent; a group by code, else by name in the same org. A name matches
// only when one object has it there: two are no answer, and the create is
// tried again. An org with no parent key matches one at the top: with no
// parent, or under one Read did not list or marked System (the target's
// root); a parent ids cannot resolve matches nothing.
func FindIn(snap *mapping.Snapshot, cs []Change, ids IDs) []Found {
	out := make([]Found, len(cs))
	// orgs are the listed orgs of the tree; a target's own root
	// (System) is the top, as an unlisted parent is.
	orgs := map[string]bool{}
	for _, o := range snap.Orgs {
		orgs[o.Key] = !o.System
	}
	// under reports whether an actual container id is where ref says.
	under := func(actual string, kind mapping.Kind, ref string) bool {
		if ref == "" {
			return actual == "" || !orgs[actual]
		}
		want, ok := ids.TargetID(kind, ref)
		return ok && actual == want
	}
	for i, c := range cs {
		switch {
		case c.Kind == mapping.KindUser && c.User != nil:
			out[i].TargetID = findUser(snap.Users, c.User)
		case c.Kind == mapping.KindOrg && c.Org != nil:
			var byName []string
			for _, o := range snap.Orgs {
				if c.Org.Code != "" && strings.EqualFold(o.Code, c.Org.Code) {
					out[i].TargetID = o.Key
					break
				}
				if c.Org.Code == "" && o.Name == c.Org.Name && under(o.ParentKey, mapping.KindOrg, c.Org.ParentKey) {
					byName = append(byName, o.Key)
				}
			}
			if out[i].TargetID == "" && len(byName) == 1 {
				out[i].TargetID = byName[0]
			}
		case c.Kind == mapping.KindGroup && c.Group != nil:
			var byName []string
			for _, g := range snap.Groups {
				if c.Group.Code != "" && strings.EqualFold(g.Code, c.Group.Code) {
					out[i].TargetID = g.Key
					break
				}
				if c.Group.Code == "" && g.Name == c.Group.Name && (c.Group.OrgKey == "" || under(g.OrgKey, mapping.KindOrg, c.Group.OrgKey)) {
					byName = append(byName, g.Key)
				}
			}
			if out[i].TargetID == "" && len(byName) == 1 {
				out[i].TargetID = byName[0]
			}
		default:
			out[i].Err = fmt.Errorf("nothing to look up a %s create by", c.Kind)
		}
	}
	return out
}

func findUser(users []mapping.User, want *mapping.User) string {
	if want.LoginID != "" {
		for _, u := range users {
			if strings.EqualFold(u.LoginID, want.LoginID) {
				return u.Key
			}
		}
	}
	if want.Email != "" {
		for _, u := range users {
			if strings.EqualFold(u.Email, want.Email) {
				return u.Key
			}
		}
	}
	return ""
}
