package aircourse

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
)

func (a *Adapter) applyGroup(ctx context.Context, c connectors.Change, ids connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	switch c.Action {
	case connectors.ActionCreate:
		org, err := a.resolveOrg(ctx, ids, c.GroupOrg())
		if err != nil {
			return connectors.Result{}, fmt.Errorf("organization: %w", err)
		}
		f := Fields{
			"name":               c.Group.Name,
			"organizationId":     org,
			"isViewableMember":   true,
			"isEnableDiscussion": false,
		}
		setIf(f, "code", c.Group.Code)
		setIf(f, "description", c.Group.Description)
		g, err := a.client.Groups().Create(ctx, f)
		if err != nil {
			return connectors.Result{}, err
		}
		return connectors.Result{TargetID: g.ID}, nil

	case connectors.ActionUpdate:
		names, err := diffFields(c.Diff, groupFields, nil)
		if err != nil {
			return connectors.Result{}, err
		}
		if names == nil {
			names = []string{"name", "code", "organizationId", "description"}
		}
		f := Fields{}
		for _, n := range names {
			switch n {
			case "name":
				f[n] = c.Group.Name
			case "code":
				f[n] = c.Group.Code
			case "description":
				f[n] = c.Group.Description
			case "organizationId":
				org, err := a.resolveOrg(ctx, ids, c.GroupOrg())
				if err != nil {
					return connectors.Result{}, fmt.Errorf("organization: %w", err)
				}
				f[n] = org
			}
		}
		if len(f) == 0 {
			return connectors.Result{TargetID: c.TargetID}, nil
		}
		if _, err := a.client.Groups().Update(ctx, c.TargetID, f); err != nil {
			return connectors.Result{}, err
		}
		return connectors.Result{TargetID: c.TargetID}, nil

	case connectors.ActionDelete:
		return connectors.Result{TargetID: c.TargetID}, a.client.Groups().Delete(ctx, c.TargetID)
	}
	return connectors.Result{}, fmt.Errorf("action %q is not supported for a group", c.Action)
}
