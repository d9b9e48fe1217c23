package aircourse

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

var _ connectors.Finder = (*Adapter)(nil)

// Find looks up, by natural key, the objects of creates that may have
// landed (a POST answered 500 or not at all), through the list filters of
// the document: users by loginId, then mail (both 完全一致, exact; every
// status); orgs and groups by code (完全一致), else by name (部分一致,
// partial: the answer is narrowed to the exact name) under the same parent
// organization. One filtered list call per change (two for a user found
// by mail only), four at a time.
func (a *Adapter) Find(ctx context.Context, cs []connectors.Change, ids connectors.IDs) []connectors.Found {
	return connectors.FindEach(ctx, "aircourse", cs, findConcurrency, func(ctx context.Context, c connectors.Change) (string, error) {
		return a.find(ctx, c, ids)
	})
}

// findConcurrency bounds the lookups of one Find in flight.
const findConcurrency = 4

func (a *Adapter) find(ctx context.Context, c connectors.Change, ids connectors.IDs) (string, error) {
	switch {
	case c.Kind == mapping.KindUser && c.User != nil:
		for _, key := range []struct{ param, want string }{{"loginId", c.User.LoginID}, {"mail", c.User.Email}} {
			if key.want == "" {
				continue
			}
			users, err := list[User](ctx, a.client, "/users", url.Values{"status": {allStatuses}, key.param: {key.want}}, a.pageSize)
			if err != nil {
				return "", err
			}
			for _, u := range users {
				got := u.LoginID
				if key.param == "mail" {
					got = u.Mail
				}
				if strings.EqualFold(got, key.want) {
					return u.ID, nil
				}
			}
		}
		return "", nil
	case c.Kind == mapping.KindOrg && c.Org != nil:
		return findContainer(ctx, a, ids, orgContainer(c), a.client.Orgs())
	case c.Kind == mapping.KindGroup && c.Group != nil:
		return findContainer(ctx, a, ids, groupContainer(c), a.client.Groups())
	}
	return "", fmt.Errorf("nothing to look up a %s create by", c.Kind)
}
