package tenantadmin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

// parentID resolves an org's parent; none (the top level) is JSON null.
func parentID(ids connectors.IDs, r change.Ref) (any, error) {
	if r.IsZero() {
		return nil, nil
	}
	id, err := resolve(ids, r)
	if err != nil {
		return nil, fmt.Errorf("parent: %w", err)
	}
	return id, nil
}

func (a *Adapter) applyOrg(ctx context.Context, c connectors.Change, ids connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	switch c.Action {
	case connectors.ActionCreate:
		o := *c.Org
		parent, err := parentID(ids, c.Parent())
		if err != nil {
			return connectors.Result{}, err
		}
		f := Fields{"name": OrgName(o), "display_name": o.Name, "metadata": withOrgMetadata(nil, o)}
		if parent != nil {
			f["parent_id"] = parent
		}
		if o.Description != "" {
			f["description"] = o.Description
		}
		created, err := a.client.CreateOrg(ctx, f)
		if err != nil {
			return connectors.Result{}, err
		}
		return connectors.Result{TargetID: created.ID}, nil

	case connectors.ActionUpdate:
		return connectors.Result{TargetID: c.TargetID}, a.updateOrg(ctx, c, ids, log)

	case connectors.ActionDelete:
		return connectors.Result{TargetID: c.TargetID}, a.deleteOrg(ctx, c.TargetID, log)
	}
	return connectors.Result{}, fmt.Errorf("action %q is not supported for an org", c.Action)
}

// orgFields maps the fields an update names to the API's. A code lives in
// name and metadata.
var orgFields = map[change.Field]string{
	change.FieldName:        "display_name",
	change.FieldCode:        "name",
	change.FieldParent:      "parent_id",
	change.FieldDescription: "description",
}

// updateOrg sends one PUT holding every field of the organization: the
// ones the diff names (all of them without a diff) with orgbridge's values,
// the others as the server holds them now. The document does not say
// whether PUT leaves the fields it is not sent or clears them (001:174; its
// example sends two), so nothing is left out; and metadata, one object, is
// what the server holds with orgbridge's keys set, so the keys others put
// there survive whether PUT replaces or merges it.
func (a *Adapter) updateOrg(ctx context.Context, c connectors.Change, ids connectors.IDs, log *zap.Logger) error {
	names := []string{"display_name", "name", "parent_id", "description"}
	if len(c.Diff) > 0 {
		names = names[:0]
		for _, d := range c.Diff {
			n, ok := orgFields[d.Field]
			if !ok {
				return fmt.Errorf("field %q is not a field of a tenant admin organization", d.Field)
			}
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	cur, err := a.client.GetOrg(ctx, c.TargetID)
	if err != nil {
		return fmt.Errorf("read the organization before updating it: %w", err)
	}
	o := *c.Org
	want := cur
	meta := maps.Clone(cur.Metadata)
	for _, n := range names {
		switch n {
		case "display_name":
			want.DisplayName = o.Name
		case "description":
			want.Description = o.Description
		case "parent_id":
			parent, err := parentID(ids, c.Parent())
			if err != nil {
				return err
			}
			want.ParentID, _ = parent.(string)
		case "name":
			want.Name = OrgName(o)
			meta = withOrgMetadata(cur.Metadata, o)
		}
	}
	var removed []string // metadata keys orgbridge takes away (a code no more)
	for k := range cur.Metadata {
		if _, ok := meta[k]; !ok {
			removed = append(removed, k)
		}
	}
	slices.Sort(removed)
	f, got, err := a.putOrg(ctx, c.TargetID, orgBody(want, cur, meta), cur.Name, log)
	if err != nil {
		return err
	}
	if got, err = a.settled(ctx, c.TargetID, got, want, cur, len(removed) > 0); err != nil {
		return err
	}
	if kept := keptClears(f, got); len(kept) > 0 {
		// The server read null as "not sent" (a Go server's *string):
		// there, "" is how a field is cleared.
		log.Info("the server keeps a field sent as null; clearing it with \"\"", zap.Strings("fields", kept))
		for _, k := range kept {
			f[k] = ""
		}
		if got, err = a.client.UpdateOrg(ctx, c.TargetID, f); err != nil {
			return fmt.Errorf("clear %v with \"\" after the server kept them through null: %w", kept, err)
		}
		if got, err = a.settled(ctx, c.TargetID, got, want, cur, len(removed) > 0); err != nil {
			return err
		}
	}
	if got.hasParent && got.ParentID != want.ParentID {
		// A server that ignores parent_id on PUT would leave the
		// organization where it is, and every run would plan the move
		// again: say so instead.
		return fmt.Errorf("the server kept organization %s under %q after a PUT with parent_id %q: it does not move organizations through PUT; move it by hand",
			c.TargetID, cmp.Or(got.ParentID, "(top level)"), cmp.Or(want.ParentID, "(top level)"))
	}
	if want.Description == "" && got.hasDescription && got.Description != "" && cur.Description != "" {
		return fmt.Errorf("the server kept the description of organization %s after a PUT that cleared it with null and with \"\"", c.TargetID)
	}
	if kept := keptKeys(got.Metadata, removed); len(kept) > 0 {
		// A server that merges metadata keeps a key left out; null
		// removes it there.
		log.Info("the server merges metadata; removing keys with null", zap.Strings("keys", kept))
		m := maps.Clone(meta)
		for _, k := range kept {
			m[k] = nil
		}
		f["metadata"] = m
		if _, err := a.client.UpdateOrg(ctx, c.TargetID, f); err != nil {
			return fmt.Errorf("remove metadata keys %v: %w", kept, err)
		}
	}
	return nil
}

// putOrg sends the PUT of f and returns the body the server took and its
// answer. The document gives PUT no field table (001:174), and a server may
// refuse what another takes: null for a field to clear (a schema of
// optional strings), or another name (name as an identifier, 001:134). So
// a validation error is tried again with "" for null, then with the name
// the organization has: one PUT more each, only on such a server. Their
// error, if every try fails, is the first one. A name kept that is a code
// (not a slug) is an error after the other fields are applied.
func (a *Adapter) putOrg(ctx context.Context, id string, f Fields, curName string, log *zap.Logger) (Fields, Org, error) {
	got, err := a.client.UpdateOrg(ctx, id, f)
	var fe *connectors.FieldError
	if !errors.As(err, &fe) {
		return f, got, err
	}
	first := err
	if g, ok := nullsAsEmpty(f); ok {
		got, err = a.client.UpdateOrg(ctx, id, g)
		if err == nil {
			log.Info("the server refuses null for a field to clear; sent \"\" instead")
			return g, got, nil
		}
		if !errors.As(err, &fe) {
			return g, got, err
		}
		f = g
	}
	if f["name"] != curName {
		g := maps.Clone(f)
		g["name"] = curName
		if got, err = a.client.UpdateOrg(ctx, id, g); err == nil {
			if IsSlug(curName) {
				// A slug says nothing; the code is in metadata, where
				// Read looks for a slug-named organization's code.
				log.Info("the server does not rename organizations; the slug stays and the code is in metadata",
					zap.String("name", curName), zap.Any("code", f["name"]))
				return g, got, nil
			}
			// The name is the old code, and Read takes a name for the
			// code: every run would plan the change again. The other
			// fields are applied; the rename is the operator's.
			return g, got, fmt.Errorf("%w: the server does not rename organizations (name is its identifier): organization %s keeps name %q and cannot take %q; rename it by hand, or keep its code",
				first, id, curName, f["name"])
		}
	}
	return f, Org{}, first
}

// clearable are the fields orgBody sends as null to clear.
var clearable = []string{"description", "parent_id"}

// nullsAsEmpty returns f with "" for each field it clears with null, and
// whether there was any.
func nullsAsEmpty(f Fields) (Fields, bool) {
	g := maps.Clone(f)
	found := false
	for _, k := range clearable {
		if v, ok := g[k]; ok && v == nil {
			g[k] = ""
			found = true
		}
	}
	return g, found
}

// keptClears returns the fields f clears with null that the server still
// holds (got must say them; see settled).
func keptClears(f Fields, got Org) []string {
	var kept []string
	for _, k := range clearable {
		if v, ok := f[k]; !ok || v != nil {
			continue
		}
		if (k == "parent_id" && got.hasParent && got.ParentID != "") || (k == "description" && got.hasDescription && got.Description != "") {
			kept = append(kept, k)
		}
	}
	return kept
}

// settled returns the organization as it is after a PUT, from the answer
// when it says what must be checked (a move, a cleared description,
// metadata keys taken away), else from a GET: the answer may be none (204)
// or partial. A detail names every field it has, so one it leaves out (a
// server that omits nulls) is empty.
func (a *Adapter) settled(ctx context.Context, id string, got, want, cur Org, metaRemoved bool) (Org, error) {
	moved := want.ParentID != cur.ParentID
	cleared := want.Description == "" && cur.Description != ""
	if !(moved && !got.hasParent) && !(cleared && !got.hasDescription) && !(metaRemoved && got.Metadata == nil) {
		return got, nil
	}
	d, err := a.client.GetOrg(ctx, id)
	if err != nil {
		return got, fmt.Errorf("read the organization back after the update: %w", err)
	}
	d.hasParent, d.hasDescription = true, true
	return d, nil
}

// orgBody is the full PUT body of o (cur is the organization as read):
// description and parent_id to clear (cur has one, o none) are null; the
// ones empty in both are left out, as a server may refuse null or read it
// as "not sent", and leaving out says "none" as well (a partial PUT keeps
// none; a replacing one sets none).
func orgBody(o, cur Org, meta map[string]any) Fields {
	f := Fields{"name": o.Name, "display_name": o.DisplayName}
	switch {
	case o.Description != "":
		f["description"] = o.Description
	case cur.Description != "":
		f["description"] = nil
	}
	switch {
	case o.ParentID != "":
		f["parent_id"] = o.ParentID
	case cur.ParentID != "":
		f["parent_id"] = nil
	}
	if meta == nil {
		meta = map[string]any{}
	}
	f["metadata"] = meta
	return f
}

// keptKeys returns the keys of removed that meta still holds with a value.
func keptKeys(meta map[string]any, removed []string) []string {
	var kept []string
	for _, k := range removed {
		if v, ok := meta[k]; ok && v != nil {
			kept = append(kept, k)
		}
	}
	return kept
}

// deleteOrg deletes an organization that has no child organization. The
// hierarchy is checked first, so that a server that deletes a subtree
// with its root (or moves the children up) never touches organizations
// orgbridge was not told to delete (the planner deletes children first).
// The document does not say what happens to the members of a deleted
// organization (001:189): a server that refuses (409) while it has some
// gets them removed, as a server that takes them along would, and the
// DELETE is sent again.
func (a *Adapter) deleteOrg(ctx context.Context, id string, log *zap.Logger) error {
	if err := a.noChildren(ctx, id); err != nil {
		return err
	}
	err := a.client.DeleteOrg(ctx, id)
	if !errors.Is(err, connectors.ErrConflict) {
		return err
	}
	if cerr := a.noChildren(ctx, id); cerr != nil {
		return cerr
	}
	members, merr := a.client.ListMembers(ctx, id, a.pageSize)
	switch {
	case merr != nil:
		return fmt.Errorf("%w (and listing its members to see whether they hold it back failed: %w)", err, merr)
	case len(members) == 0:
		return err // a conflict that is not about members: the server's word stands
	}
	log.Info("the server deletes only an organization without members; removing them first", zap.Int("members", len(members)))
	for _, m := range members {
		if rerr := connectors.IgnoreNotFound(a.client.RemoveMember(ctx, id, m.UserID), log); rerr != nil {
			return fmt.Errorf("remove member %s before deleting the organization: %w", m.UserID, rerr)
		}
	}
	return a.client.DeleteOrg(ctx, id)
}

// noChildren fails with connectors.ErrConflict, naming them, when the
// organization has child organizations.
func (a *Adapter) noChildren(ctx context.Context, id string) error {
	tree, err := a.client.Hierarchy(ctx, id, -1)
	if err != nil {
		return err
	}
	if len(tree.Children) == 0 {
		return nil
	}
	kids := make([]string, len(tree.Children))
	for i, k := range tree.Children {
		kids[i] = fmt.Sprintf("%s (%s)", k.ID, cmp.Or(k.DisplayName, k.Name))
	}
	return fmt.Errorf("organization %s still has child organizations %s: delete or move them first: %w",
		id, strings.Join(kids, ", "), connectors.ErrConflict)
}

func (a *Adapter) applyMembership(ctx context.Context, c connectors.Change, ids connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	m := c.Membership
	if m.Kind != mapping.KindOrg {
		return connectors.Result{}, fmt.Errorf("membership kind %q: the tenant admin API has org memberships only", m.Kind)
	}
	userID, err := resolve(ids, c.MemberUser())
	if err != nil {
		return connectors.Result{}, err
	}
	orgID, err := resolve(ids, c.Container())
	if err != nil {
		return connectors.Result{}, fmt.Errorf("org: %w", err)
	}
	r := RoleMember
	if m.Role == mapping.RoleAdmin {
		r = RoleAdmin
	}
	res := connectors.Result{TargetID: mapping.Membership{UserKey: userID, Kind: mapping.KindOrg, ContainerKey: orgID}.ID()}
	switch c.Action {
	case connectors.ActionCreate:
		return res, a.addMember(ctx, orgID, userID, r, log)
	case connectors.ActionUpdate:
		return res, a.setRole(ctx, orgID, userID, r, log)
	case connectors.ActionDelete:
		return res, a.client.RemoveMember(ctx, orgID, userID)
	}
	return connectors.Result{}, fmt.Errorf("action %q is not supported for a membership", c.Action)
}

// addMember adds a member with a role. The document does not say what
// adding a member twice does (001:252): a 409, an upsert, or an answer
// with the membership as it was. A 409 (a POST whose answer was lost, or a
// membership the last Read could not see) is done only when the member
// list shows the role asked; with another role, or an answer naming
// another role, the role is set as a role change is. Never a silent
// success with the wrong role.
func (a *Adapter) addMember(ctx context.Context, orgID, userID, r string, log *zap.Logger) error {
	got, err := a.client.AddMember(ctx, orgID, userID, r)
	switch {
	case errors.Is(err, connectors.ErrConflict):
		cur, found, lerr := a.memberRole(ctx, orgID, userID)
		switch {
		case lerr != nil:
			return fmt.Errorf("%w (and reading the member list to learn the role failed: %w)", err, lerr)
		case !found:
			return fmt.Errorf("%w, but %s is not in the member list of %s: cannot tell the role", err, userID, orgID)
		case strings.EqualFold(cur, r):
			log.Info("already a member with that role")
			return nil
		}
		log.Info("already a member with another role; setting it", zap.String("role", cur), zap.String("want", r))
		return a.setRole(ctx, orgID, userID, r, log)
	case err != nil:
		return err
	case got != "" && !strings.EqualFold(got, r):
		log.Info("the server kept another role; setting it", zap.String("role", got), zap.String("want", r))
		return a.setRole(ctx, orgID, userID, r, log)
	}
	return nil
}

// setRole gives a member another role. The document has no call that
// changes a role (001:250-306: add and remove only), and an add may leave
// an existing member as it was: so the member is removed and added back
// with the role. An answer that still names another role is an error,
// lest every run plan the same change again in silence.
func (a *Adapter) setRole(ctx context.Context, orgID, userID, r string, log *zap.Logger) error {
	if err := connectors.IgnoreNotFound(a.client.RemoveMember(ctx, orgID, userID), log); err != nil {
		return fmt.Errorf("remove before re-adding as %s: %w", r, err)
	}
	got, err := a.client.AddMember(ctx, orgID, userID, r)
	switch {
	case errors.Is(err, connectors.ErrConflict):
		return fmt.Errorf("re-add %s to %s as %s: still a member after its removal: %w", userID, orgID, r, err)
	case err != nil:
		return fmt.Errorf("re-add %s to %s as %s: %w", userID, orgID, r, err)
	case got != "" && !strings.EqualFold(got, r):
		return fmt.Errorf("added %s to %s as %s, but the server stored role %q", userID, orgID, r, got)
	}
	return nil
}

// memberRole returns the role of a user in an organization's member list.
func (a *Adapter) memberRole(ctx context.Context, orgID, userID string) (string, bool, error) {
	ms, err := a.client.ListMembers(ctx, orgID, a.pageSize)
	if err != nil {
		return "", false, err
	}
	for _, m := range ms {
		if m.UserID == userID {
			return cmp.Or(m.Role, RoleMember), true, nil
		}
	}
	return "", false, nil
}
