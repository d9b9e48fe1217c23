package scimtarget

import (
	"context"
	"fmt"
	"strings"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

// findConcurrency bounds the lookups of one Find in flight.
const findConcurrency = 4

// Find looks up, by natural key, the objects creates would make: users
// by userName, then externalId (the source key); orgs and groups by
// externalId, then displayName (one Group of the kind with that name).
// A server that says it does not filter is read whole once instead.
// Find always asks the server, never the last Read's listing: the
// executor calls it for creates whose answer was lost, which may have
// made their objects since.
func (a *Adapter) Find(ctx context.Context, cs []connectors.Change, ids connectors.IDs) []connectors.Found {
	if f, err := a.client.discover(ctx); err == nil && !f.filter {
		return connectors.FindByRead(ctx, a, cs, ids)
	}
	return connectors.FindEach(ctx, "scim", cs, findConcurrency, func(ctx context.Context, c connectors.Change) (string, error) {
		switch {
		case c.Kind == mapping.KindUser && c.User != nil:
			return a.findUser(ctx, nil, c.User, c.Key)
		case c.Kind == mapping.KindOrg && c.Org != nil, c.Kind == mapping.KindGroup && c.Group != nil:
			return a.findGroup(ctx, nil, groupOf(c))
		}
		return "", fmt.Errorf("nothing to look up a %s create by", c.Kind)
	})
}

// findUser is the id of the User whose userName is u's login id
// (case-insensitively, as RFC 7643 defines userName), else whose
// externalId is key; "" for none. from, when set, answers instead of the
// server where it can (findOne).
func (a *Adapter) findUser(ctx context.Context, from *listed, u *mapping.User, key string) (string, error) {
	login := a.attrs[FieldLoginID]
	if u.LoginID != "" {
		id, err := a.findOne(ctx, from, usersPath, login, u.LoginID, strings.EqualFold, nil)
		if id != "" || err != nil {
			return id, err
		}
	}
	if ap, ok := a.attrs[FieldKey]; ok && key != "" {
		return a.findOne(ctx, from, usersPath, ap, key, func(x, y string) bool { return x == y }, nil)
	}
	return "", nil
}

// findGroup is the id of the Group of g's kind whose externalId is g's,
// else the only one of that kind (or with no externalId) named g's name.
func (a *Adapter) findGroup(ctx context.Context, from *listed, g groupish) (string, error) {
	same := func(x, y string) bool { return x == y }
	id, err := a.findOne(ctx, from, groupsPath, externalIDPath, g.externalID(), same, nil)
	if id != "" || err != nil {
		return id, err
	}
	return a.findOne(ctx, from, groupsPath, displayNamePath, g.name, same, func(kind mapping.Kind, code string) bool {
		return kind == g.kind || code == ""
	})
}

// findOne lists the resources of a collection whose attribute at ap is
// value (the server's filter, then checked here with eq, since a server
// may compare otherwise) and keeps those whose Group kind and code keep
// takes (nil: all); the id of the only one, "" for none. Two are an
// error: which to adopt is not for orgbridge to guess. from, the last
// Read's listing, answers without a request when it holds the whole
// collection (listed.find).
func (a *Adapter) findOne(ctx context.Context, from *listed, collection string, ap attrPath, value string, eq func(x, y string) bool, keep func(kind mapping.Kind, code string) bool) (string, error) {
	ids, ok := from.find(collection, ap, value, eq, keep)
	if !ok {
		rs, err := a.list(ctx, collection, filterEq(ap.String(), value))
		if err != nil {
			return "", err
		}
		for _, r := range rs {
			if !eq(ap.get(r), value) {
				continue
			}
			if keep != nil {
				if kind, _, code := a.group(r); !keep(kind, code) {
					continue
				}
			}
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
