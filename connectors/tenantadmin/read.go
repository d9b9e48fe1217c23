package tenantadmin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"github.com/orgbridge/orgbridge/mapping"
)

// Read returns the organizations (keys: org ids), the users seen in their
// member lists (keys: user_id) and the org memberships. See the package
// doc for what each request is for.
func (a *Adapter) Read(ctx context.Context) (*mapping.Snapshot, error) {
	orgs, order, err := a.readOrgs(ctx)
	if err != nil {
		return nil, fmt.Errorf("tenantadmin: read organizations: %w", err)
	}
	if err := a.fetchCodes(ctx, orgs, order); err != nil {
		return nil, fmt.Errorf("tenantadmin: read organization codes: %w", err)
	}
	members, err := a.readMembers(ctx, orgs, order)
	if err != nil {
		return nil, fmt.Errorf("tenantadmin: read members: %w", err)
	}

	snap := &mapping.Snapshot{}
	users := map[string]*mapping.User{}
	for i, id := range order {
		o := orgs[id]
		name := o.DisplayName
		if name == "" {
			name = o.Name
		}
		snap.Orgs = append(snap.Orgs, mapping.Org{Key: id, Name: name, Code: orgCode(*o), ParentKey: o.ParentID, Description: o.Description})
		dup := map[string]bool{}
		for _, m := range members[i] {
			if m.UserID == "" || dup[m.UserID] {
				continue
			}
			dup[m.UserID] = true
			u := users[m.UserID]
			if u == nil {
				u = &mapping.User{Key: m.UserID, Attributes: map[string]string{UserRef: m.UserID}}
				users[m.UserID] = u
			}
			u.Name = cmp.Or(u.Name, m.Name)
			u.Email = cmp.Or(u.Email, m.Email)
			snap.Memberships = append(snap.Memberships, mapping.Membership{UserKey: m.UserID, Kind: mapping.KindOrg, ContainerKey: id, Role: role(m.Role)})
		}
	}
	for _, u := range users {
		snap.Users = append(snap.Users, *u)
	}
	snap.Sort()
	a.logger.Debug("read", zap.Int("orgs", len(snap.Orgs)), zap.Int("users", len(snap.Users)),
		zap.Int("memberships", len(snap.Memberships)))
	return snap, nil
}

func role(s string) mapping.Role {
	if strings.EqualFold(s, RoleAdmin) {
		return mapping.RoleAdmin
	}
	return mapping.RoleMember
}

// readOrgs reads every organization of the tenant, in the order found.
//
// The document lets a server list only the top-level organizations unless
// include_children=true (001:37), nest the children under each item, or
// hold only the top level whatever include_children says (then it
// qualifies parent_id alone). So the list is asked with
// include_children=true and nested items are flattened; when it still
// shows no organization below the top level, each top-level
// organization's hierarchy (001:315, every level by default) says whether
// it has any below it, and those are read from a list by parent_id, then
// by their detail. A list that shows some organization below the top
// level holds them all and costs nothing more.
func (a *Adapter) readOrgs(ctx context.Context) (map[string]*Org, []string, error) {
	list, err := a.client.ListOrgs(ctx, url.Values{"include_children": {"true"}}, a.pageSize)
	if err != nil {
		return nil, nil, err
	}
	orgs := map[string]*Org{}
	var order []string
	add := func(o Org) {
		if o.ID == "" {
			return
		}
		if cur := orgs[o.ID]; cur != nil {
			if cur.Stub && !o.Stub {
				*cur = o
			}
			return
		}
		orgs[o.ID] = &o
		order = append(order, o.ID)
	}
	nested := false
	for _, o := range list {
		add(o)
		nested = nested || o.ParentID != ""
	}
	if !nested && len(order) > 0 {
		if err := a.readBelowRoots(ctx, orgs, slices.Clone(order), add); err != nil {
			return nil, nil, err
		}
	}
	gone, err := a.fetchStubs(ctx, orgs, order)
	if err != nil {
		return nil, nil, err
	}
	order = slices.DeleteFunc(order, func(id string) bool { return gone[id] })
	added, err := a.fetchMissingParents(ctx, orgs)
	if err != nil {
		return nil, nil, err
	}
	return orgs, append(order, added...), nil
}

// readBelowRoots completes a list that held only top-level organizations:
// the hierarchy of each root names what lies below it; a root with
// organizations the list missed is listed by parent_id (with
// include_children=true), and what that still misses is left as a stub
// for its detail to be read.
func (a *Adapter) readBelowRoots(ctx context.Context, orgs map[string]*Org, roots []string, add func(Org)) error {
	trees, err := httpkit.ReadEach(ctx, readConcurrency, roots, func(ctx context.Context, id string) (Node, error) {
		n, err := a.client.Hierarchy(ctx, id, -1)
		if errors.Is(err, connectors.ErrNotFound) {
			return Node{}, nil // deleted since the list
		}
		return n, err
	})
	if err != nil {
		return fmt.Errorf("read the hierarchy below the top level: %w", err)
	}
	for i, root := range roots {
		var below []Org // what the hierarchy names below root, parents first
		var walk func(n Node)
		walk = func(n Node) {
			for _, c := range n.Children {
				below = append(below, Org{ID: c.ID, Name: c.Name, DisplayName: c.DisplayName, ParentID: n.ID, MemberCount: c.MemberCount, Stub: true})
				walk(c)
			}
		}
		walk(trees[i])
		if !slices.ContainsFunc(below, func(o Org) bool { return orgs[o.ID] == nil }) {
			continue
		}
		a.logger.Debug("the organization list holds only the top level; reading below it by parent_id", zap.String("org_id", root))
		listed, err := a.client.ListOrgs(ctx, url.Values{"parent_id": {root}, "include_children": {"true"}}, a.pageSize)
		if err != nil && !errors.Is(err, connectors.ErrNotFound) {
			return fmt.Errorf("list the organizations below %s: %w", root, err)
		}
		parents := map[string]string{}
		for _, o := range below {
			parents[o.ID] = o.ParentID
		}
		for _, o := range listed {
			if o.ParentID == "" {
				// A server that lists by parent_id may leave parent_id
				// out; the hierarchy says where the organization is.
				o.ParentID = parents[o.ID]
			}
			add(o)
		}
		for _, o := range below {
			add(o) // a stub when the list missed it still
		}
	}
	return nil
}

// fetchStubs reads the detail of the organizations known only by
// reference (four at a time). It returns those deleted since they were
// seen, which it has dropped from orgs.
func (a *Adapter) fetchStubs(ctx context.Context, orgs map[string]*Org, order []string) (map[string]bool, error) {
	var stubs []string
	for _, id := range order {
		if orgs[id].Stub {
			stubs = append(stubs, id)
		}
	}
	details, err := httpkit.ReadEach(ctx, readConcurrency, stubs, func(ctx context.Context, id string) (*Org, error) {
		d, err := a.client.GetOrg(ctx, id)
		if errors.Is(err, connectors.ErrNotFound) {
			return nil, nil
		}
		return &d, err
	})
	if err != nil {
		return nil, err
	}
	gone := map[string]bool{}
	for i, id := range stubs {
		d := details[i]
		if d == nil || d.ID != id {
			gone[id] = true
			delete(orgs, id)
			continue
		}
		if d.ParentID == "" {
			d.ParentID = orgs[id].ParentID
		}
		*orgs[id] = *d
	}
	return gone, nil
}

// fetchMissingParents gets, one by one, the parents the list did not hold
// (an organization created while the list was paged), so that every
// ParentKey is in the snapshot. A parent that is gone leaves its child at
// the top level, with a warning.
func (a *Adapter) fetchMissingParents(ctx context.Context, orgs map[string]*Org) ([]string, error) {
	var added []string
	for {
		missing := ""
		for _, o := range orgs {
			if o.ParentID != "" && orgs[o.ParentID] == nil {
				missing = o.ParentID
				break
			}
		}
		if missing == "" {
			return added, nil
		}
		p, err := a.client.GetOrg(ctx, missing)
		switch {
		case errors.Is(err, connectors.ErrNotFound) || (err == nil && p.ID != missing):
			for _, o := range orgs {
				if o.ParentID == missing {
					a.logger.Warn("organization's parent does not exist; read as top-level",
						zap.String("org_id", o.ID), zap.String("parent_id", missing))
					o.ParentID = ""
				}
			}
		case err != nil:
			return nil, err
		default:
			orgs[p.ID] = &p
			added = append(added, p.ID)
		}
	}
}

// fetchCodes gets the detail (with metadata) of the organizations whose
// code is not their name: those named by a generated slug. List items carry
// no metadata; the others' code is their name.
func (a *Adapter) fetchCodes(ctx context.Context, orgs map[string]*Org, order []string) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readConcurrency)
	for _, id := range order {
		o := orgs[id]
		if o.Metadata != nil || !IsSlug(o.Name) {
			continue
		}
		g.Go(func() error {
			d, err := a.client.GetOrg(gctx, id)
			if errors.Is(err, connectors.ErrNotFound) {
				return nil // deleted since the list: its code is unknown, not needed
			}
			if err != nil {
				return err
			}
			o.Metadata = d.Metadata
			return nil
		})
	}
	return g.Wait()
}

// readMembers lists the members of every organization (in order) that may
// have some: member_count 0 saves the request.
func (a *Adapter) readMembers(ctx context.Context, orgs map[string]*Org, order []string) ([][]Member, error) {
	return httpkit.ReadEach(ctx, readConcurrency, order, func(ctx context.Context, id string) ([]Member, error) {
		if orgs[id].MemberCount == 0 {
			return nil, nil
		}
		ms, err := a.client.ListMembers(ctx, id, a.pageSize)
		if errors.Is(err, connectors.ErrNotFound) {
			return nil, nil // deleted since the list
		}
		return ms, err
	})
}
