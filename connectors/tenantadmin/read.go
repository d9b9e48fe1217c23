package tenantadmin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
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
	list, err := a.client.ListOrgs(ctx, nil, a.pageSize)
	if err != nil {
		return nil, fmt.Errorf("tenantadmin: read organizations: %w", err)
	}
	orgs := make(map[string]*Org, len(list))
	var order []string
	for i := range list {
		if id := list[i].ID; id != "" && orgs[id] == nil {
			orgs[id] = &list[i]
			order = append(order, id)
		}
	}
	added, err := a.fetchMissingParents(ctx, orgs)
	if err != nil {
		return nil, fmt.Errorf("tenantadmin: read organizations: %w", err)
	}
	order = append(order, added...)
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
