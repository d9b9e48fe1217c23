package tenantadmin

import (
	"context"

	"github.com/orgbridge/orgbridge/connectors"
)

var _ connectors.Finder = (*Adapter)(nil)

// Find looks up, by natural key, the objects of creates that may have
// landed (a POST answered 500 or not at all): the API has no list filter
// for it, so it reads the target once for all of them (one Find per retry
// pass at the end of a run) and matches as the planner does.
func (a *Adapter) Find(ctx context.Context, cs []connectors.Change, ids connectors.IDs) []connectors.Found {
	return connectors.FindByRead(ctx, a, cs, ids)
}
