package aircourse

import (
	"context"
	"fmt"

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
	if keys == nil {
		keys = []string{"name", "code", k.orgKey, "description"}
	}
	f := Fields{}
	for _, n := range keys {
		switch n {
		case "name":
			f[n] = k.name
		case "code":
			f[n] = k.code
		case "description":
			f[n] = k.description
		case k.orgKey:
			org, err := a.resolveOrg(ctx, ids, k.org)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k.orgWord, err)
			}
			f[n] = org
		}
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

// updateContainer sends the update of an org or a group in coll: the
// fields c's diff names (known maps them), every one for a change without a
// diff; nothing when the diff names none AirCourse keeps.
func updateContainer[T any](ctx context.Context, a *Adapter, c connectors.Change, ids connectors.IDs, k container, known map[change.Field]string, coll Collection[T]) (connectors.Result, error) {
	names, err := diffFields(c.Diff, known, nil)
	if err != nil {
		return connectors.Result{}, err
	}
	f, err := a.containerFields(ctx, ids, k, names)
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
}
