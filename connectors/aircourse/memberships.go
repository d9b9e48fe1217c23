package aircourse

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

func (a *Adapter) applyMembership(ctx context.Context, c connectors.Change, ids connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	m := c.Membership
	userID, err := c.MemberUser().Resolve(ids)
	if err != nil {
		return connectors.Result{}, fmt.Errorf("user: %w", err)
	}
	var containerID string
	switch m.Kind {
	case mapping.KindGroup, mapping.KindOrg:
		if containerID, err = c.Container().Resolve(ids); err != nil {
			return connectors.Result{}, fmt.Errorf("%s: %w", m.Kind, err)
		}
	default:
		return connectors.Result{}, fmt.Errorf("membership kind %q is not org or group", m.Kind)
	}
	r := RoleMember
	if m.Role == mapping.RoleAdmin {
		r = RoleAdmin
	}
	res := connectors.Result{TargetID: mapping.Membership{UserKey: userID, Kind: m.Kind, ContainerKey: containerID}.ID()}
	group := m.Kind == mapping.KindGroup
	switch c.Action {
	case connectors.ActionCreate:
		if group {
			return res, a.client.AddGroupUser(ctx, containerID, userID, r)
		}
		return res, a.client.AddOrgUser(ctx, containerID, userID, r)
	case connectors.ActionUpdate:
		if group {
			return res, a.client.UpdateGroupUser(ctx, containerID, userID, r)
		}
		return res, a.client.UpdateOrgUser(ctx, containerID, userID, r)
	case connectors.ActionDelete:
		if group {
			return res, a.client.RemoveGroupUser(ctx, containerID, userID)
		}
		return res, a.client.RemoveOrgUser(ctx, containerID, userID)
	}
	return connectors.Result{}, fmt.Errorf("action %q is not supported for a membership", c.Action)
}
