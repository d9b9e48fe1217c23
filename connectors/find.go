package connectors

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/orgbridge/orgbridge/mapping"
)

// FindEach is Finder.Find for a target whose API can look one object up
// by its natural key: find for each create of cs, at most concurrency at a
// time (as the executor writes: each lookup may wait out its own
// retries), the answers in the order of cs. A lookup's error is wrapped
// with what (the target's name, for the log) and the change's kind and
// key; it is that create's answer, the others go on.
func FindEach(ctx context.Context, what string, cs []Change, concurrency int, find func(ctx context.Context, c Change) (string, error)) []Found {
	out := make([]Found, len(cs))
	var g errgroup.Group
	g.SetLimit(concurrency)
	for i, c := range cs {
		g.Go(func() error {
			id, err := find(ctx, c)
			if err != nil {
				err = fmt.Errorf("%s: look up %s %s: %w", what, c.Kind, c.Key, err)
			}
			out[i] = Found{TargetID: id, Err: err}
			return nil
		})
	}
	_ = g.Wait()
	return out
}

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
			want := c.Org
			out[i].TargetID = findByCode(snap.Orgs, want.Code, want.Name, func(o mapping.Org) (string, string, string, bool) {
				return o.Key, o.Code, o.Name, under(o.ParentKey, mapping.KindOrg, want.ParentKey)
			})
		case c.Kind == mapping.KindGroup && c.Group != nil:
			want := c.Group
			out[i].TargetID = findByCode(snap.Groups, want.Code, want.Name, func(g mapping.Group) (string, string, string, bool) {
				return g.Key, g.Code, g.Name, want.OrgKey == "" || under(g.OrgKey, mapping.KindOrg, want.OrgKey)
			})
		default:
			out[i].Err = fmt.Errorf("nothing to look up a %s create by", c.Kind)
		}
	}
	return out
}

// findByCode is the key of the object of all with code (case-insensitively),
// else, for no code, of the only one named name where it should be (here);
// "" for none or two. of reads an object's key, code, name and whether it
// is there.
func findByCode[T any](all []T, code, name string, of func(T) (key, objCode, objName string, here bool)) string {
	var byName []string
	for _, o := range all {
		key, objCode, objName, here := of(o)
		if code != "" && strings.EqualFold(objCode, code) {
			return key
		}
		if code == "" && objName == name && here {
			byName = append(byName, key)
		}
	}
	if len(byName) == 1 {
		return byName[0]
	}
	return ""
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
