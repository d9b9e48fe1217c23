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
	list := a.client.Orgs().Members(containerID)
	if m.Kind == mapping.KindGroup {
		list = a.client.Groups().Members(containerID)
	}
	switch c.Action {
	case connectors.ActionCreate:
		return res, list.Add(ctx, userID, r)
	case connectors.ActionUpdate:
		return res, list.Update(ctx, userID, r)
	case connectors.ActionDelete:
		return res, list.Remove(ctx, userID)
	}
	return connectors.Result{}, fmt.Errorf("action %q is not supported for a membership", c.Action)
}
