package scimtarget

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

// findConcurrency bounds the lookups of one Find in flight.
const findConcurrency = 4

// Find looks up, by natural key, the objects creates would make: users
// by userName, then externalId (the source key); orgs and groups by
// externalId, then displayName (one Group of the kind with that name).
// A server that says it does not filter is read whole once instead.
func (a *Adapter) Find(ctx context.Context, cs []connectors.Change, ids connectors.IDs) []connectors.Found {
	if f, err := a.client.discover(ctx); err == nil && !f.filter {
		return connectors.FindByRead(ctx, a, cs, ids)
	}
	out := make([]connectors.Found, len(cs))
	var g errgroup.Group
	g.SetLimit(findConcurrency)
	for i, c := range cs {
		g.Go(func() error {
			var id string
			var err error
			switch {
			case c.Kind == mapping.KindUser && c.User != nil:
				id, err = a.findUser(ctx, c.User, c.Key)
			case c.Kind == mapping.KindOrg && c.Org != nil, c.Kind == mapping.KindGroup && c.Group != nil:
				id, err = a.findGroup(ctx, groupOf(c))
			default:
				err = fmt.Errorf("nothing to look up a %s create by", c.Kind)
			}
			if err != nil {
				err = fmt.Errorf("scim: look up %s %s: %w", c.Kind, c.Key, err)
			}
			out[i] = connectors.Found{TargetID: id, Err: err}
			return nil
		})
	}
	_ = g.Wait()
	return out
}

// findUser is the id of the User whose userName is u's login id
// (case-insensitively, as RFC 7643 defines userName), else whose
// externalId is key; "" for none.
func (a *Adapter) findUser(ctx context.Context, u *mapping.User, key string) (string, error) {
	login := a.attrs[FieldLoginID]
	if u.LoginID != "" {
		id, err := a.findOne(ctx, usersPath, login, u.LoginID, strings.EqualFold, nil)
		if id != "" || err != nil {
			return id, err
		}
	}
	if ap, ok := a.attrs[FieldKey]; ok && key != "" {
		return a.findOne(ctx, usersPath, ap, key, func(x, y string) bool { return x == y }, nil)
	}
	return "", nil
}

// findGroup is the id of the Group of g's kind whose externalId is g's,
// else the only one of that kind (or with no externalId) named g's name.
func (a *Adapter) findGroup(ctx context.Context, g groupish) (string, error) {
	same := func(x, y string) bool { return x == y }
	id, err := a.findOne(ctx, groupsPath, externalIDPath, g.externalID(), same, nil)
	if id != "" || err != nil {
		return id, err
	}
	return a.findOne(ctx, groupsPath, displayNamePath, g.name, same, func(r resource) bool {
		kind, _, code := a.group(r)
		return kind == g.kind || code == ""
	})
}

// findOne lists the resources of a collection whose attribute at ap is
// value (the server's filter, then checked here with eq, since a server
// may compare otherwise) and keeps those of kind (nil: all); the id of
// the only one, "" for none. Two are an error: which to adopt is not for
// orgbridge to guess.
func (a *Adapter) findOne(ctx context.Context, collection string, ap attrPath, value string, eq func(x, y string) bool, keep func(resource) bool) (string, error) {
	rs, err := a.list(ctx, collection, filterEq(ap.String(), value))
	if err != nil {
		return "", err
	}
	var ids []string
	for _, r := range rs {
		if eq(ap.get(r), value) && (keep == nil || keep(r)) {
			ids = append(ids, text(r["id"]))
		}
	}
	switch len(ids) {
	case 0:
		return "", nil
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%d resources of %s have %s %q: %s", len(ids), collection, ap, value, strings.Join(ids, ", "))
}
