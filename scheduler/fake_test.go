package scheduler_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

// fakeTarget is an in-memory target for planner and executor tests: it
// applies changes to a snapshot keyed by its own ids and counts writes.
type fakeTarget struct {
	mu     sync.Mutex
	caps   connectors.Capabilities
	state  mapping.Snapshot
	next   int
	writes int
	// failKeys makes Apply fail for these change keys.
	failKeys map[string]bool
}

func fullCaps() connectors.Capabilities {
	return connectors.Capabilities{Orgs: true, Users: true, Groups: true, NestedOrgs: true, CreatesUsers: true, SuspendsUsers: true,
		Roles: []mapping.Role{mapping.RoleMember, mapping.RoleAdmin}, OrgMembershipsInUser: true, GroupMemberships: true}
}

func newFake(caps connectors.Capabilities) *fakeTarget { return &fakeTarget{caps: caps} }

func (f *fakeTarget) Capabilities() connectors.Capabilities { return f.caps }

func (f *fakeTarget) Read(context.Context) (*mapping.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := mapping.Snapshot{
		Orgs:        append([]mapping.Org(nil), f.state.Orgs...),
		Groups:      append([]mapping.Group(nil), f.state.Groups...),
		Memberships: append([]mapping.Membership(nil), f.state.Memberships...),
	}
	for _, u := range f.state.Users {
		c := u
		c.Attributes = map[string]string{}
		for k, v := range u.Attributes {
			c.Attributes[k] = v
		}
		s.Users = append(s.Users, c)
	}
	return &s, nil
}

func (f *fakeTarget) id(prefix string) string {
	f.next++
	return fmt.Sprintf("%s%03d", prefix, f.next)
}

func resolve(ids connectors.IDs, kind mapping.Kind, key string) (string, error) {
	if key == "" {
		return "", nil
	}
	id, ok := ids.TargetID(kind, key)
	if !ok {
		return "", fmt.Errorf("%s %q: %w", kind, key, connectors.ErrUnresolved)
	}
	return id, nil
}

func (f *fakeTarget) Apply(_ context.Context, c connectors.Change, ids connectors.IDs) (connectors.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failKeys[c.Key] {
		return connectors.Result{}, &connectors.TransientError{Err: fmt.Errorf("injected failure")}
	}
	f.writes++
	switch c.Kind {
	case mapping.KindOrg:
		return f.applyOrg(c, ids)
	case mapping.KindGroup:
		return f.applyGroup(c, ids)
	case mapping.KindUser:
		return f.applyUser(c, ids)
	case mapping.KindMembership:
		return f.applyMembership(c, ids)
	}
	return connectors.Result{}, fmt.Errorf("unknown kind %q", c.Kind)
}

func (f *fakeTarget) applyOrg(c connectors.Change, ids connectors.IDs) (connectors.Result, error) {
	if c.Action == connectors.ActionDelete {
		f.state.Orgs = remove(f.state.Orgs, func(o mapping.Org) bool { return o.Key == c.TargetID })
		f.state.Memberships = remove(f.state.Memberships, func(m mapping.Membership) bool { return m.Kind == mapping.KindOrg && m.ContainerKey == c.TargetID })
		return connectors.Result{TargetID: c.TargetID}, nil
	}
	parent, err := resolve(ids, mapping.KindOrg, c.Org.ParentKey)
	if err != nil {
		return connectors.Result{}, err
	}
	o := *c.Org
	o.ParentKey = parent
	if c.Action == connectors.ActionCreate {
		o.Key = f.id("org-")
		f.state.Orgs = append(f.state.Orgs, o)
		return connectors.Result{TargetID: o.Key}, nil
	}
	for i := range f.state.Orgs {
		if f.state.Orgs[i].Key == c.TargetID {
			o.Key = c.TargetID
			f.state.Orgs[i] = o
		}
	}
	return connectors.Result{TargetID: c.TargetID}, nil
}

func (f *fakeTarget) applyGroup(c connectors.Change, ids connectors.IDs) (connectors.Result, error) {
	if c.Action == connectors.ActionDelete {
		f.state.Groups = remove(f.state.Groups, func(g mapping.Group) bool { return g.Key == c.TargetID })
		return connectors.Result{TargetID: c.TargetID}, nil
	}
	org, err := resolve(ids, mapping.KindOrg, c.Group.OrgKey)
	if err != nil {
		return connectors.Result{}, err
	}
	g := *c.Group
	g.OrgKey = org
	if c.Action == connectors.ActionCreate {
		g.Key = f.id("grp-")
		f.state.Groups = append(f.state.Groups, g)
		return connectors.Result{TargetID: g.Key}, nil
	}
	for i := range f.state.Groups {
		if f.state.Groups[i].Key == c.TargetID {
			g.Key = c.TargetID
			f.state.Groups[i] = g
		}
	}
	return connectors.Result{TargetID: c.TargetID}, nil
}

func (f *fakeTarget) applyUser(c connectors.Change, ids connectors.IDs) (connectors.Result, error) {
	id := c.TargetID
	switch c.Action {
	case connectors.ActionDelete:
		f.state.Users = remove(f.state.Users, func(u mapping.User) bool { return u.Key == id })
		f.state.Memberships = remove(f.state.Memberships, func(m mapping.Membership) bool { return m.UserKey == id })
		return connectors.Result{TargetID: id}, nil
	case connectors.ActionSuspend:
		for i := range f.state.Users {
			if f.state.Users[i].Key == id {
				f.state.Users[i].Suspended = true
			}
		}
		return connectors.Result{TargetID: id}, nil
	case connectors.ActionCreate:
		id = f.id("usr-")
		u := *c.User
		u.Key = id
		f.state.Users = append(f.state.Users, u)
	case connectors.ActionUpdate:
		for i := range f.state.Users {
			if f.state.Users[i].Key == id {
				u := *c.User
				u.Key = id
				f.state.Users[i] = u
			}
		}
	}
	if c.OrgMemberships != nil {
		var ms []mapping.Membership
		for _, m := range c.OrgMemberships {
			org, err := resolve(ids, mapping.KindOrg, m.ContainerKey)
			if err != nil {
				return connectors.Result{}, err
			}
			ms = append(ms, mapping.Membership{UserKey: id, Kind: mapping.KindOrg, ContainerKey: org, Role: m.Role})
		}
		f.state.Memberships = remove(f.state.Memberships, func(m mapping.Membership) bool { return m.Kind == mapping.KindOrg && m.UserKey == id })
		f.state.Memberships = append(f.state.Memberships, ms...)
	}
	return connectors.Result{TargetID: id}, nil
}

func (f *fakeTarget) applyMembership(c connectors.Change, ids connectors.IDs) (connectors.Result, error) {
	m := *c.Membership
	user, err := resolve(ids, mapping.KindUser, m.UserKey)
	if err != nil {
		return connectors.Result{}, err
	}
	container, err := resolve(ids, m.Kind, m.ContainerKey)
	if err != nil {
		return connectors.Result{}, err
	}
	f.state.Memberships = remove(f.state.Memberships, func(a mapping.Membership) bool {
		return a.Kind == m.Kind && a.UserKey == user && a.ContainerKey == container
	})
	if c.Action != connectors.ActionDelete {
		f.state.Memberships = append(f.state.Memberships, mapping.Membership{UserKey: user, Kind: m.Kind, ContainerKey: container, Role: m.Role})
	}
	return connectors.Result{}, nil
}

func remove[T any](list []T, drop func(T) bool) []T {
	out := list[:0]
	for _, v := range list {
		if !drop(v) {
			out = append(out, v)
		}
	}
	return out
}
