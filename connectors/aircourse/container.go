package aircourse

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
)

// container is what an organization and a group share in a write: a name,
// a code, a description, and the organization they are under (an org's
// parentId, a group's organizationId; the zero Ref is the root).
type container struct {
	name, code, description string
	orgKey                  string // "parentId" or "organizationId"
	org                     change.Ref
	orgWord                 string // "parent" or "organization", naming it in errors
}

// containerFields returns the fields keys name (nil: every one), the organization
// resolved.
func (a *Adapter) containerFields(ctx context.Context, ids connectors.IDs, k container, keys []string) (Fields, error) {
	f := Fields{"name": k.name, "code": k.code, "description": k.description}
	if keys == nil || slices.Contains(keys, k.orgKey) {
		org, err := a.resolveOrg(ctx, ids, k.org)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.orgWord, err)
		}
		f[k.orgKey] = org
	}
	if keys != nil {
		maps.DeleteFunc(f, func(n string, _ any) bool { return !slices.Contains(keys, n) })
	}
	return f, nil
}

// createFields are the fields of a container's create: its name and
// organization, the discussion off, its code and description when set, and
// flags (an org's isPublic, a group's isViewableMember).
func (a *Adapter) createFields(ctx context.Context, ids connectors.IDs, k container, flags Fields) (Fields, error) {
	f, err := a.containerFields(ctx, ids, k, []string{"name", k.orgKey})
	if err != nil {
		return nil, err
	}
	f["isEnableDiscussion"] = false
	for n, v := range flags {
		f[n] = v
	}
	setIf(f, "code", k.code)
	setIf(f, "description", k.description)
	return f, nil
}

// applyContainer writes an org or a group (of makes a change's container)
// in coll. A create sends the fields createFields makes with flags (an
// org's isPublic, a group's isViewableMember) through create (an org's
// createOrg, a group's coll.Create); an update the fields c's diff names
// (known maps them), every one for a change without a diff, nothing when
// the diff names none AirCourse keeps; a delete deletes.
func applyContainer[T interface{ listed() listedContainer }](ctx context.Context, a *Adapter, c connectors.Change, ids connectors.IDs,
	of func(connectors.Change) container, flags Fields, known map[change.Field]string, coll Collection[T],
	create func(context.Context, Fields) (T, error)) (connectors.Result, error) {
	switch c.Action {
	case connectors.ActionCreate:
		f, err := a.createFields(ctx, ids, of(c), flags)
		if err != nil {
			return connectors.Result{}, err
		}
		o, err := create(ctx, f)
		if err != nil {
			return connectors.Result{}, err
		}
		return connectors.Result{TargetID: o.listed().id}, nil

	case connectors.ActionUpdate:
		names, err := diffFields(c.Diff, known, nil)
		if err != nil {
			return connectors.Result{}, err
		}
		f, err := a.containerFields(ctx, ids, of(c), names)
		if err != nil {
			return connectors.Result{}, err
		}
		if len(f) == 0 {
			return connectors.Result{TargetID: c.TargetID}, nil
		}
		if _, err := coll.Update(ctx, c.TargetID, f); err != nil {
			return connectors.Result{}, err
		}
		return connectors.Result{TargetID: c.TargetID}, nil

	case connectors.ActionDelete:
		return connectors.Result{TargetID: c.TargetID}, coll.Delete(ctx, c.TargetID)
	}
	return connectors.Result{}, fmt.Errorf("action %q is not supported for kind %q", c.Action, c.Kind)
}

// findContainer looks up the org or group of k in coll: the one with its
// code, else (k without a code) the one with its name under the same
// organization. The list call filters by code or name; a name filter
// matches partially, so the answer is narrowed to the exact name.
func findContainer[T interface{ listed() listedContainer }](ctx context.Context, a *Adapter, ids connectors.IDs, k container, coll Collection[T]) (string, error) {
	org, err := a.resolveOrg(ctx, ids, k.org)
	if err != nil {
		return "", fmt.Errorf("%s: %w", k.orgWord, err)
	}
	filter := url.Values{"name": {k.name}}
	if k.code != "" {
		filter = url.Values{"code": {k.code}}
	}
	all, err := list[T](ctx, a.client, coll.path, filter, a.pageSize)
	if err != nil {
		return "", err
	}
	for _, o := range all {
		l := o.listed()
		if (k.code != "" && l.code == k.code) || (k.code == "" && l.name == k.name && l.org == org) {
			return l.id, nil
		}
	}
	return "", nil
}

// listedContainer is what findContainer compares of a listed org or group.
type listedContainer struct{ id, name, code, org string }

func (o Organization) listed() listedContainer {
	return listedContainer{id: o.ID, name: o.Name, code: o.Code, org: o.ParentID}
}

func (g Group) listed() listedContainer {
	return listedContainer{id: g.ID, name: g.Name, code: g.Code, org: g.OrganizationID}
}
