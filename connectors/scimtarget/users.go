package scimtarget

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

func (a *Adapter) applyUser(ctx context.Context, c connectors.Change, ids connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	path := usersPath + "/" + c.TargetID
	switch c.Action {
	case connectors.ActionCreate:
		return a.createUser(ctx, c, ids, log)
	case connectors.ActionUpdate:
		fields, err := a.userDiff(c, ids, log)
		if err != nil {
			return connectors.Result{}, err
		}
		return connectors.Result{TargetID: c.TargetID}, a.modify(ctx, path, fields, nil, nil)
	case connectors.ActionSuspend:
		return connectors.Result{TargetID: c.TargetID}, a.modify(ctx, path, []field{{path: activePath, old: "true", new: "false"}}, nil, nil)
	}
	return connectors.Result{}, a.remove(ctx, path)
}

// createUser looks the user up by its natural key first (userName, then
// externalId: another client, or a create whose answer was lost, may have
// made it) and adopts what it finds, bringing it to the desired state;
// otherwise it POSTs. The lookup is answered from the last Read's listing
// when it can be (listed). A 409 (uniqueness) is answered by a lookup on
// the server.
func (a *Adapter) createUser(ctx context.Context, c connectors.Change, ids connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	id, err := a.findUser(ctx, a.listedFor(c), c.User, c.Key)
	if err != nil {
		return connectors.Result{}, err
	}
	fields := a.userFields(c.User, c.Key, ids, log)
	if id == "" {
		r := resource{}
		for _, f := range fields {
			f.path.set(r, f.new)
		}
		r["schemas"] = schemasOf(r)
		id, err = a.create(ctx, usersPath, r)
		if !errors.Is(err, connectors.ErrConflict) {
			return connectors.Result{TargetID: id}, err
		}
		if id, _ = a.findUser(ctx, nil, c.User, c.Key); id == "" {
			return connectors.Result{}, fmt.Errorf("%w (and no user has its userName or externalId)", err)
		}
	}
	log.Info("adopting the user the server holds already", zap.String("target_id", id))
	return connectors.Result{TargetID: id}, a.adopt(ctx, usersPath+"/"+id, fields)
}

// adopt brings an existing resource to fields: it reads it and writes
// what differs.
func (a *Adapter) adopt(ctx context.Context, path string, fields []field) error {
	var r resource
	if _, err := a.client.call(ctx, "GET", path, nil, "", nil, &r); err != nil {
		return err
	}
	var diff []field
	for _, f := range fields {
		if f.old = f.path.get(r); f.old != f.new {
			diff = append(diff, f)
		}
	}
	return a.modify(ctx, path, diff, nil, nil)
}

// userFields are every attribute of u the map writes, the source key
// included, and active. A manager (a reference to another user, by source
// key) is written as that user's SCIM id; one without an id yet (created
// later in the same stage: the planner orders no user before another) is
// left unset, and the next run's update sets it.
func (a *Adapter) userFields(u *mapping.User, key string, ids connectors.IDs, log *zap.Logger) []field {
	var out []field
	for name, ap := range a.attrs {
		v := ""
		switch name {
		case FieldKey:
			v = key
		case FieldLoginID:
			v = u.LoginID
		case FieldEmail:
			v = u.Email
		case FieldName:
			v = u.Name
		default:
			v = u.Attributes[name]
		}
		if v != "" && ap.userRef() {
			id, err := change.Ref{Kind: mapping.KindUser, Key: v}.Resolve(ids)
			if err != nil {
				log.Info("the manager has no SCIM id yet: left unset, the next run sets it", zap.String("attribute", name), zap.String("manager_key", v))
				continue
			}
			v = id
		}
		if v != "" {
			out = append(out, field{path: ap, new: v})
		}
	}
	return append(out, field{path: activePath, new: strconv.FormatBool(!u.Suspended)})
}

// userDiff are the fields an update changes, from its typed Diff: the
// value from the change's user, the old one from the Diff. An update
// with no Diff writes every mapped field. A manager is resolved to its
// SCIM id through ids; one without an id fails the change with
// ErrUnresolved before anything is written (the executor tries it again
// at the end of the run, when a manager created in the same stage has
// one).
func (a *Adapter) userDiff(c connectors.Change, ids connectors.IDs, log *zap.Logger) ([]field, error) {
	u := c.User
	if len(c.Diff) == 0 {
		return a.userFields(u, "", ids, log), nil
	}
	var out []field
	for _, d := range c.Diff {
		var name, v string
		switch d.Field {
		case change.FieldLoginID:
			name, v = FieldLoginID, u.LoginID
		case change.FieldEmail:
			name, v = FieldEmail, u.Email
		case change.FieldName:
			name, v = FieldName, u.Name
		case change.FieldSuspended:
			out = append(out, field{path: activePath, old: strconv.FormatBool(d.Old != "true"), new: strconv.FormatBool(!u.Suspended)})
			continue
		default:
			attr, ok := d.Field.Attribute()
			if !ok {
				return nil, fmt.Errorf("field %s is not kept by a SCIM User", d.Field)
			}
			name, v = attr, u.Attributes[attr]
		}
		ap, ok := a.attrs[name]
		if !ok {
			return nil, fmt.Errorf("%s has no SCIM attribute: map it under the target's attributes", name)
		}
		if ap.userRef() && v != "" {
			id, err := change.Ref{Kind: mapping.KindUser, Key: v}.Resolve(ids)
			if err != nil {
				return nil, fmt.Errorf("%s: the manager: %w", name, err)
			}
			v = id
		}
		out = append(out, field{path: ap, old: d.Old, new: v})
	}
	return out, nil
}

// schemasOf lists the schemas a new User uses: the core one, and the
// enterprise extension when r carries it.
func schemasOf(r resource) []string {
	if k, _ := lookup(r, enterpriseURN); k != "" {
		return []string{userURN, enterpriseURN}
	}
	return []string{userURN}
}
