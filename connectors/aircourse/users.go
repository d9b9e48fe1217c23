package aircourse

import (
	"context"
	"fmt"
	"strconv"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

func (a *Adapter) applyUser(ctx context.Context, c connectors.Change, ids connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	switch c.Action {
	case connectors.ActionCreate:
		f := Fields{"name": c.User.Name}
		setIf(f, "loginId", c.User.LoginID)
		setIf(f, "mail", c.User.Email)
		for _, name := range UserAttributes {
			v, ok := c.User.Attributes[name]
			if !ok || v == "" {
				continue
			}
			wire, err := a.attrValue(name, v)
			if err != nil {
				return connectors.Result{}, err
			}
			f[name] = wire
		}
		if f["license"] == nil {
			f["license"] = a.license
		}
		if f["role"] == nil {
			f["role"] = a.role
		}
		if c.OrgMemberships != nil {
			if err := a.setOrgLists(ctx, f, c.DesiredOrgs(), nil, ids); err != nil {
				return connectors.Result{}, err
			}
		}
		u, err := a.client.Users().Create(ctx, f)
		if err != nil {
			return connectors.Result{}, err
		}
		res := connectors.Result{TargetID: u.ID}
		if err := licenceGranted(f, u); err != nil {
			return res, fmt.Errorf("created as %s, but %w", u.ID, err)
		}
		if c.User.Suspended {
			// The create call takes no isSuspended: suspend right after.
			if _, err := a.client.Users().Update(ctx, u.ID, Fields{"isSuspended": true}); err != nil {
				return res, fmt.Errorf("created as %s, then suspend: %w", u.ID, err)
			}
		}
		return res, nil

	case connectors.ActionUpdate:
		names, err := diffFields(c.Diff, userFields, UserAttributes)
		if err != nil {
			return connectors.Result{}, err
		}
		if names == nil && c.OrgMemberships == nil {
			names = append([]string{"name", "loginId", "mail", "isSuspended"}, UserAttributes...)
		}
		f := Fields{}
		for _, n := range names {
			switch n {
			case "name":
				f[n] = c.User.Name
			case "loginId":
				f[n] = c.User.LoginID
			case "mail":
				f[n] = c.User.Email
			case "isSuspended":
				f[n] = c.User.Suspended
			default: // an attribute
				v, ok := c.User.Attributes[n]
				if !ok && len(c.Diff) == 0 {
					continue // a full update sends only the mapped attributes
				}
				wire, err := a.attrValue(n, v)
				if err != nil {
					return connectors.Result{}, err
				}
				f[n] = wire
			}
		}
		if c.OrgMemberships != nil {
			if err := a.setOrgLists(ctx, f, c.DesiredOrgs(), c.ForeignOrgs(), ids); err != nil {
				return connectors.Result{}, err
			}
		}
		if len(f) == 0 {
			return connectors.Result{TargetID: c.TargetID}, nil
		}
		u, err := a.client.Users().Update(ctx, c.TargetID, f)
		if err != nil {
			return connectors.Result{}, err
		}
		if err := licenceGranted(f, u); err != nil {
			return connectors.Result{}, err
		}
		return connectors.Result{TargetID: c.TargetID}, nil

	case connectors.ActionSuspend:
		if _, err := a.client.Users().Update(ctx, c.TargetID, Fields{"isSuspended": true}); err != nil {
			return connectors.Result{}, err
		}
		return connectors.Result{TargetID: c.TargetID}, nil

	case connectors.ActionDelete:
		return connectors.Result{TargetID: c.TargetID}, a.client.Users().Delete(ctx, c.TargetID)
	}
	return connectors.Result{}, fmt.Errorf("action %q is not supported for a user", c.Action)
}

// licenceGranted reports a licence the API quietly did not grant. The
// document says an unusable licence is set to free and an AI knowledge
// licence out of stock to none, with a 200: without this check every run
// would plan the same update again and never say why.
func licenceGranted(sent Fields, got User) error {
	if want, ok := sent["license"].(string); ok && got.License != "" && got.License != want {
		return fmt.Errorf("license %q was stored as %q: the tenant has no %s seat left", want, got.License, want)
	}
	if want, ok := sent["hasAiKnowledgeLicense"].(int); ok && want == 1 && got.HasAiKnowledgeLicense != 1 {
		return fmt.Errorf("hasAiKnowledgeLicense 1 was stored as %d: the tenant has no AI knowledge licence left", got.HasAiKnowledgeLicense)
	}
	return nil
}

// attrValue converts an attribute to its wire value. "" clears an optional
// field (the API stores "" as null); license and role, which cannot be
// cleared, fall back to the configured defaults.
func (a *Adapter) attrValue(name, v string) (any, error) {
	switch name {
	case "gender":
		switch v {
		case "":
			return "", nil // the document: "" unsets gender
		case "0", "1":
			n, _ := strconv.Atoi(v)
			return n, nil
		}
		return nil, fmt.Errorf("attribute gender: %q is not 0, 1 or empty", v)
	case "hasAiKnowledgeLicense":
		switch v {
		case "", "0":
			return 0, nil
		case "1":
			return 1, nil
		}
		return nil, fmt.Errorf("attribute hasAiKnowledgeLicense: %q is not 0 or 1", v)
	case "isEnabledPasswordLogin":
		switch v {
		case "", "false":
			return false, nil
		case "true":
			return true, nil
		}
		return nil, fmt.Errorf("attribute isEnabledPasswordLogin: %q is not true or false", v)
	case "license":
		if v == "" {
			return a.license, nil
		}
	case "role":
		if v == "" {
			return a.role, nil
		}
	}
	return v, nil
}

// setOrgLists puts a user's whole set of org memberships in f: admins in
// adminOrganizationIds, the others in memberOrganizationIds, disjoint. ms
// are the desired ones (source keys), foreign the user's memberships in
// orgs orgbridge does not manage (AirCourse ids), kept as they are: the
// API replaces the whole set (差分ではなく、所属させる組織のIDをすべて指定します).
// A user with no organization is sent as a member of the root, by its id:
// the document says only that an absent memberOrganizationIds means the
// root (未指定の場合、ルート組織に所属します), and a server may leave a user
// sent with two empty lists in no organization at all.
func (a *Adapter) setOrgLists(ctx context.Context, f Fields, ms, foreign []change.OrgRole, ids connectors.IDs) error {
	role := map[string]mapping.Role{}
	var order []string
	add := func(id string, r mapping.Role) {
		if _, ok := role[id]; !ok {
			order = append(order, id)
		}
		if r == mapping.RoleAdmin || role[id] == mapping.RoleAdmin {
			role[id] = mapping.RoleAdmin
		} else {
			role[id] = mapping.RoleMember
		}
	}
	for _, m := range append(ms, foreign...) {
		id, err := a.resolveOrg(ctx, ids, m.Org)
		if err != nil {
			return fmt.Errorf("org membership: %w", err)
		}
		add(id, m.Role)
	}
	members, admins := []string{}, []string{}
	for _, id := range order {
		if role[id] == mapping.RoleAdmin {
			admins = append(admins, id)
		} else {
			members = append(members, id)
		}
	}
	if len(members) == 0 && len(admins) == 0 {
		root, err := a.RootOrgID(ctx)
		if err != nil {
			return fmt.Errorf("org membership: %w", err)
		}
		members = []string{root}
	}
	f["memberOrganizationIds"] = members
	f["adminOrganizationIds"] = admins
	return nil
}
