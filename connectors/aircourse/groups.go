package aircourse

import (
	"context"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
)

// applyGroup writes a group: applyContainer, a group created viewable by
// its members.
func (a *Adapter) applyGroup(ctx context.Context, c connectors.Change, ids connectors.IDs, _ *zap.Logger) (connectors.Result, error) {
	groups := a.client.Groups()
	return applyContainer(ctx, a, c, ids, groupContainer, Fields{"isViewableMember": true}, groupFields, groups, groups.Create)
}

// groupContainer is a group change's container (its Group is set: a create
// or an update).
func groupContainer(c connectors.Change) container {
	return container{
		name: c.Group.Name, code: c.Group.Code, description: c.Group.Description,
		orgKey: "organizationId", org: c.GroupOrg(), orgWord: "organization",
	}
}
