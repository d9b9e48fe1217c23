package tenantadmin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

// parentID resolves an org's parent; "" (the top level) is JSON null.
func parentID(ids connectors.IDs, key string) (any, error) {
	if key == "" {
		return nil, nil
	}
	id, err := resolve(ids, mapping.KindOrg, key)
	if err != nil {
		return nil, fmt.Errorf("parent: %w", err)
	}
	return id, nil
}

func (a *Adapter) applyOrg(ctx context.Context, c connectors.Change, ids connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	if c.Action != connectors.ActionDelete && c.Org == nil {
		return connectors.Result{}, errors.New("change carries no org")
	}
	switch c.Action {
	case connectors.ActionCreate:
		o := *c.Org
		parent, err := parentID(ids, o.ParentKey)
		if err != nil {
			return connectors.Result{}, err
		}
		f := Fields{"name": OrgName(o), "display_name": o.Name, "metadata": withOrgMetadata(nil, o)}
		if parent != nil {
			f["parent_id"] = parent
		}
		if o.Description != "" {
			f["description"] = o.Description
		}
		created, err := a.client.CreateOrg(ctx, f)
		if err != nil {
			return connectors.Result{}, err
		}
		return connectors.Result{TargetID: created.ID}, nil

	case connectors.ActionUpdate:
		if err := c.NeedTargetID(); err != nil {
			return connectors.Result{}, err
		}
		f, err := a.orgUpdate(ctx, c, ids)
		if err != nil {
			return connectors.Result{}, err
		}
		if len(f) == 0 {
			return connectors.Result{TargetID: c.TargetID}, nil
		}
		if _, err := a.client.UpdateOrg(ctx, c.TargetID, f); err != nil {
			return connectors.Result{}, err
		}
		return connectors.Result{TargetID: c.TargetID}, nil

	case connectors.ActionDelete:
		if err := c.NeedTargetID(); err != nil {
			return connectors.Result{}, err
		}
		return connectors.Result{TargetID: c.TargetID}, a.deleteOrg(ctx, c.TargetID, log)
	}
	return connectors.Result{}, fmt.Errorf("action %q is not supported for an org", c.Action)
}

// orgFields maps the planner's field names (normalised: lower case, no
// "_" or "-") to the API's. A code lives in name and metadata.
var orgFields = map[string]string{
	"name": "display_name", "displayname": "display_name",
	"code":   "name",
	"parent": "parent_id", "parentkey": "parent_id", "parentid": "parent_id",
	"description": "description",
}

// orgUpdate builds the PUT body of the fields the diff names (all of them
// without a diff).
func (a *Adapter) orgUpdate(ctx context.Context, c connectors.Change, ids connectors.IDs) (Fields, error) {
	names := []string{"display_name", "name", "parent_id", "description"}
	if len(c.Diff) > 0 {
		names = names[:0]
		for _, d := range c.Diff {
			n, ok := orgFields[strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(d.Field))]
			if !ok {
				return nil, fmt.Errorf("field %q is not a field of a tenant admin organization", d.Field)
			}
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	o := *c.Org
	f := Fields{}
	for _, n := range names {
		switch n {
		case "display_name":
			f[n] = o.Name
		case "description":
			f[n] = o.Description
		case "parent_id":
			parent, err := parentID(ids, o.ParentKey)
			if err != nil {
				return nil, err
			}
			f[n] = parent
		case "name":
			// PUT replaces metadata whole: keep what others put there.
			cur, err := a.client.GetOrg(ctx, c.TargetID)
			if err != nil {
				return nil, fmt.Errorf("read metadata before changing the code: %w", err)
			}
			f["name"] = OrgName(o)
			f["metadata"] = withOrgMetadata(cur.Metadata, o)
		}
	}
	return f, nil
}

// deleteOrg deletes an organization that has no child organization. The
// hierarchy is checked first, so that a server that deletes a subtree
// with its root never takes organizations orgbridge was not told to delete
// (the planner deletes children first).
func (a *Adapter) deleteOrg(ctx context.Context, id string, log *zap.Logger) error {
	tree, err := a.client.Hierarchy(ctx, id, -1)
	if err != nil {
		return connectors.IgnoreNotFound(err, log)
	}
	if len(tree.Children) > 0 {
		kids := make([]string, len(tree.Children))
		for i, k := range tree.Children {
			kids[i] = fmt.Sprintf("%s (%s)", k.ID, cmp.Or(k.DisplayName, k.Name))
		}
		return fmt.Errorf("organization %s still has child organizations %s: delete or move them first: %w",
			id, strings.Join(kids, ", "), connectors.ErrConflict)
	}
	return connectors.IgnoreNotFound(a.client.DeleteOrg(ctx, id), log)
}

func (a *Adapter) applyMembership(ctx context.Context, c connectors.Change, ids connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	m := c.Membership
	if m == nil {
		return connectors.Result{}, errors.New("change carries no membership")
	}
	if m.Kind != mapping.KindOrg {
		return connectors.Result{}, fmt.Errorf("membership kind %q: the tenant admin API has org memberships only", m.Kind)
	}
	userID, err := resolve(ids, mapping.KindUser, m.UserKey)
	if err != nil {
		return connectors.Result{}, err
	}
	orgID, err := resolve(ids, mapping.KindOrg, m.ContainerKey)
	if err != nil {
		return connectors.Result{}, fmt.Errorf("org: %w", err)
	}
	r := RoleMember
	if m.Role == mapping.RoleAdmin {
		r = RoleAdmin
	}
	res := connectors.Result{TargetID: mapping.Membership{UserKey: userID, Kind: mapping.KindOrg, ContainerKey: orgID}.ID()}
	switch c.Action {
	case connectors.ActionCreate:
		return res, a.addMember(ctx, orgID, userID, r, log)
	case connectors.ActionUpdate:
		// No call changes a role: remove the member and add it back.
		if err := connectors.IgnoreNotFound(a.client.RemoveMember(ctx, orgID, userID), log); err != nil {
			return res, fmt.Errorf("remove before re-adding as %s: %w", r, err)
		}
		return res, a.addMember(ctx, orgID, userID, r, log)
	case connectors.ActionDelete:
		return res, connectors.IgnoreNotFound(a.client.RemoveMember(ctx, orgID, userID), log)
	}
	return connectors.Result{}, fmt.Errorf("action %q is not supported for a membership", c.Action)
}

// addMember adds a member. A 409 (already a member, as after a POST whose
// answer was lost) counts as done: a different role shows in the next
// Read. A server that answers with another role than asked is an error,
// lest every run plan the same change again in silence.
func (a *Adapter) addMember(ctx context.Context, orgID, userID, r string, log *zap.Logger) error {
	got, err := a.client.AddMember(ctx, orgID, userID, r)
	switch {
	case errors.Is(err, connectors.ErrConflict):
		log.Info("already a member")
		return nil
	case err != nil:
		return err
	case got != "" && !strings.EqualFold(got, r):
		return fmt.Errorf("added %s to %s as %s, but the server stored role %q", userID, orgID, r, got)
	}
	return nil
}
