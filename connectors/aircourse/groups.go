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
		f, err := a.createFields(ctx, ids, groupContainer(c), Fields{"isViewableMember": true})
		if err != nil {
			return connectors.Result{}, err
		}
		g, err := a.client.Groups().Create(ctx, f)
		if err != nil {
			return connectors.Result{}, err
		}
		return connectors.Result{TargetID: g.ID}, nil

	case connectors.ActionUpdate:
		return updateContainer(ctx, a, c, ids, groupContainer(c), groupFields, a.client.Groups())

	case connectors.ActionDelete:
		return connectors.Result{TargetID: c.TargetID}, a.client.Groups().Delete(ctx, c.TargetID)
	}
	return connectors.Result{}, fmt.Errorf("action %q is not supported for a group", c.Action)
}

// groupContainer is a group change's container (its Group is set: a create
// or an update).
func groupContainer(c connectors.Change) container {
	return container{
		name: c.Group.Name, code: c.Group.Code, description: c.Group.Description,
		orgKey: "organizationId", org: c.GroupOrg(), orgWord: "organization",
	}
}
