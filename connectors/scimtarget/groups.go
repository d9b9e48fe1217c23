package scimtarget

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

// groupish is an org or a group as a SCIM Group holds it.
type groupish struct {
	kind             mapping.Kind
	key, name, code  string
	description, org string // refused: a Group has neither
	parent           string
}

func groupOf(c connectors.Change) groupish {
	if c.Kind == mapping.KindOrg {
		return groupish{kind: mapping.KindOrg, key: c.Key, name: c.Org.Name, code: c.Org.Code, description: c.Org.Description, parent: c.Org.ParentKey}
	}
	return groupish{kind: mapping.KindGroup, key: c.Key, name: c.Group.Name, code: c.Group.Code, description: c.Group.Description, org: c.Group.OrgKey}
}

// externalID is what the Group's externalId holds: the code (the source
// key when there is none), after OrgPrefix for an org.
func (g groupish) externalID() string {
	ext := g.code
	if ext == "" {
		ext = g.key
	}
	if g.kind == mapping.KindOrg {
		ext = OrgPrefix + ext
	}
	return ext
}

// fits refuses what a SCIM Group cannot hold, rather than write less
// than the plan says and plan the same update on every run.
func (g groupish) fits() error {
	switch {
	case g.description != "":
		return fmt.Errorf("a SCIM Group has no description: map none for %ss", g.kind)
	case g.org != "":
		return errors.New("a SCIM Group is not placed in an org: map no org for groups")
	case g.parent != "":
		return errors.New("SCIM Groups do not nest: flatten the org tree (mapping.orgs.flatten)")
	}
	return nil
}

var (
	displayNamePath = attrPath{attr: "displayName"}
	externalIDPath  = attrPath{attr: "externalId"}
)

func (a *Adapter) applyGroup(ctx context.Context, c connectors.Change, ids connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	path := groupsPath + "/" + c.TargetID
	if c.Action == connectors.ActionDelete {
		return connectors.Result{}, a.remove(ctx, path)
	}
	g := groupOf(c)
	if err := g.fits(); err != nil {
		return connectors.Result{}, err
	}
	if c.Action == connectors.ActionUpdate {
		var fields []field
		for _, d := range c.Diff {
			switch d.Field {
			case change.FieldName:
				fields = append(fields, field{path: displayNamePath, old: d.Old, new: g.name})
			case change.FieldCode:
				fields = append(fields, field{path: externalIDPath, new: g.externalID()})
			case change.FieldDescription, change.FieldParent, change.FieldOrg:
				// fits checked the new value is empty: nothing to write
			default:
				return connectors.Result{}, fmt.Errorf("field %s is not kept by a SCIM Group", d.Field)
			}
		}
		if len(c.Diff) == 0 {
			fields = g.fields()
		}
		return connectors.Result{TargetID: c.TargetID}, a.modify(ctx, path, fields, nil, nil)
	}
	id, err := a.findGroup(ctx, a.listedFor(c), g)
	if err != nil {
		return connectors.Result{}, err
	}
	if id == "" {
		r := resource{"schemas": []string{groupURN}, "displayName": g.name, "externalId": g.externalID()}
		id, err = a.create(ctx, groupsPath, r)
		if !errors.Is(err, connectors.ErrConflict) {
			return connectors.Result{TargetID: id}, err
		}
		if id, _ = a.findGroup(ctx, nil, g); id == "" {
			return connectors.Result{}, fmt.Errorf("%w (and no Group has its externalId or displayName)", err)
		}
	}
	log.Info("adopting the Group the server holds already", zap.String("target_id", id))
	return connectors.Result{TargetID: id}, a.adopt(ctx, groupsPath+"/"+id, g.fields())
}

func (g groupish) fields() []field {
	return []field{{path: displayNamePath, new: g.name}, {path: externalIDPath, new: g.externalID()}}
}
