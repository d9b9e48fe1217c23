package pcaid

import (
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

// Apply makes one change. Errors name the change and wrap the API's error:
// connectors.ErrUnresolved for a reference without a target id,
// *connectors.FieldError for a 422, a TransientError for what may succeed
// later.
func (a *Adapter) Apply(ctx context.Context, c connectors.Change, ids connectors.IDs) (connectors.Result, error) {
	return ops.Apply(ctx, a, a.logger, c, ids)
}

// ops is what Apply applies, by kind and action.
var ops = connectors.NewOps[*Adapter]("pcaid").
	On(mapping.KindUser, (*Adapter).applyUser, connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionSuspend, connectors.ActionDelete).
	On(mapping.KindGroup, (*Adapter).applyGroup, connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionDelete).
	On(mapping.KindMembership, (*Adapter).applyMembership, connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionDelete).
	Refuse("pcaid has no orgs: the organization is the credential's own (sync kinds users and groups)", mapping.KindOrg)

// The pcaid names of the fields an update may name. "" marks a field
// pcaid does not keep and that is never sent (a group's org).
var (
	userFields = map[change.Field]string{
		change.FieldName: "name", change.FieldEmail: "email", change.FieldSuspended: "suspended",
		change.Attr(AttrEmployeeNumber): AttrEmployeeNumber, change.Attr(AttrDepartment): AttrDepartment,
		change.Attr(AttrPosition): AttrPosition, change.Attr(AttrAdmin): AttrAdmin,
	}
	groupFields = map[change.Field]string{
		change.FieldName: "name", change.FieldCode: "code", change.FieldDescription: "description",
		change.FieldOrg: "",
	}
)

// diffFields maps a diff's fields to the API's names, in order, without
// repeats. nil for an empty diff (the caller sends every field); an error
// for a field pcaid does not have.
func diffFields(diff []connectors.FieldChange, known map[change.Field]string, what string) ([]string, error) {
	if len(diff) == 0 {
		return nil, nil
	}
	out := []string{}
	for _, d := range diff {
		name, ok := known[d.Field]
		if !ok {
			if d.Field == change.FieldLoginID {
				return nil, errNoLoginID
			}
			return nil, fmt.Errorf("field %q is not a field of a pcaid %s", d.Field, what)
		}
		if name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

var errNoLoginID = errors.New("login_id: pcaid users sign in with their email and have no login id; map users.email and leave users.login_id out")

// userBody is the body of POST /users (and an import row, without admin):
// email, name and every non-empty attribute but admin. It refuses what
// pcaid cannot keep: a login id, an unknown attribute, an admin flag other
// than "true", "false" or "".
func userBody(u *mapping.User) (Fields, bool, error) {
	if u.LoginID != "" {
		return nil, false, errNoLoginID
	}
	f := Fields{"email": u.Email, "name": u.Name}
	for _, name := range slices.Sorted(maps.Keys(u.Attributes)) {
		v := u.Attributes[name]
		if !slices.Contains(UserAttributes, name) {
			return nil, false, fmt.Errorf("attribute %q is not a pcaid user field (known: %s)", name, strings.Join(UserAttributes, ", "))
		}
		if name == AttrAdmin || v == "" {
			continue
		}
		f[name] = v
	}
	admin, err := adminFlag(u.Attributes[AttrAdmin])
	return f, admin, err
}

func adminFlag(v string) (bool, error) {
	switch v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, fmt.Errorf("attribute admin: %q is not true or false", v)
}

func (a *Adapter) applyUser(ctx context.Context, c connectors.Change, _ connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	switch c.Action {
	case connectors.ActionCreate:
		f, admin, err := userBody(c.User)
		if err != nil {
			return connectors.Result{}, err
		}
		u, err := a.client.CreateUser(ctx, f)
		if err != nil {
			return connectors.Result{}, err
		}
		if u.AccountID == "" {
			return connectors.Result{}, errors.New("POST /users: the answer has no account_id")
		}
		res := connectors.Result{TargetID: u.AccountID}
		return res, a.afterCreate(ctx, u.AccountID, admin, c.User.Suspended)

	case connectors.ActionUpdate:
		return connectors.Result{TargetID: c.TargetID}, a.updateUser(ctx, c)

	case connectors.ActionSuspend:
		return connectors.Result{TargetID: c.TargetID}, a.client.SuspendUser(ctx, c.TargetID)

	case connectors.ActionDelete:
		return connectors.Result{TargetID: c.TargetID}, a.client.RemoveUser(ctx, c.TargetID)
	}
	return connectors.Result{}, fmt.Errorf("action %q is not supported for a user", c.Action)
}

// afterCreate gives a new user what POST /users does not take: the admin
// role and a suspension.
func (a *Adapter) afterCreate(ctx context.Context, id string, admin, suspended bool) error {
	if admin {
		if err := a.client.AssignAdmin(ctx, id); err != nil {
			return fmt.Errorf("created as %s, then grant the admin role: %w", id, err)
		}
	}
	if suspended {
		if err := a.client.SuspendUser(ctx, id); err != nil {
			return fmt.Errorf("created as %s, then suspend: %w", id, err)
		}
	}
	return nil
}

// updateUser sends the fields the diff names (every mapped field without a
// diff): profile fields in one PUT, the admin role and the suspension
// through their own calls. A user coming back is unsuspended first and
// one leaving is suspended last, so no change lands on a user in the
// wrong state.
func (a *Adapter) updateUser(ctx context.Context, c connectors.Change) error {
	u := c.User
	names, err := diffFields(c.Diff, userFields, "user")
	if err != nil {
		return err
	}
	if u.LoginID != "" && names == nil {
		return errNoLoginID
	}
	if names == nil {
		names = []string{"name", "email", "suspended"}
		for _, n := range UserAttributes {
			if _, ok := u.Attributes[n]; ok {
				names = append(names, n)
			}
		}
	}
	f := Fields{}
	suspend, unsuspend, admin := false, false, ""
	for _, n := range names {
		switch n {
		case "name":
			f[n] = u.Name
		case "email":
			f[n] = u.Email
		case "suspended":
			suspend, unsuspend = u.Suspended, !u.Suspended
		case AttrAdmin:
			v, err := adminFlag(u.Attributes[AttrAdmin])
			if err != nil {
				return err
			}
			admin = fmt.Sprint(v)
		default: // a profile attribute; "" clears it
			f[n] = u.Attributes[n]
		}
	}
	id := c.TargetID
	if unsuspend {
		if err := a.client.UnsuspendUser(ctx, id); err != nil {
			return fmt.Errorf("unsuspend: %w", err)
		}
	}
	if len(f) > 0 {
		if err := a.putProfile(ctx, id, f); err != nil {
			return err
		}
	}
	switch admin {
	case "true":
		if err := a.client.AssignAdmin(ctx, id); err != nil {
			return fmt.Errorf("grant the admin role: %w", err)
		}
	case "false":
		if err := a.client.UnassignAdmin(ctx, id); err != nil {
			return fmt.Errorf("take the admin role back: %w", err)
		}
	}
	if suspend {
		if err := a.client.SuspendUser(ctx, id); err != nil {
			return fmt.Errorf("suspend: %w", err)
		}
	}
	return nil
}

// profileFields are the fields of a user's profile, what PUT
// /users/{account_id} writes.
var profileFields = []string{"email", "name", AttrEmployeeNumber, AttrDepartment, AttrPosition}

// putProfile changes the profile fields in f and keeps the others. A PUT
// may merge the fields sent or replace the whole profile (the document
// says PUT and no more), so the user is read first and the PUT carries
// every field it holds, f's values over them: an attribute orgbridge does
// not map survives either way.
func (a *Adapter) putProfile(ctx context.Context, id string, f Fields) error {
	cur, err := a.client.GetUser(ctx, id)
	if err != nil {
		return fmt.Errorf("read the user before the update: %w", err)
	}
	held := map[string]string{
		"email": cur.Email, "name": cur.Name, AttrEmployeeNumber: cur.EmployeeNumber,
		AttrDepartment: cur.Department, AttrPosition: cur.Position,
	}
	body := Fields{}
	for _, k := range profileFields {
		if v, ok := f[k]; ok {
			body[k] = v
		} else if held[k] != "" {
			body[k] = held[k]
		}
	}
	_, err = a.client.UpdateUser(ctx, id, body)
	return err
}

func (a *Adapter) applyGroup(ctx context.Context, c connectors.Change, _ connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	switch c.Action {
	case connectors.ActionCreate:
		f := Fields{"name": c.Group.Name}
		setIf(f, "code", c.Group.Code)
		setIf(f, "description", c.Group.Description)
		p, err := a.client.CreatePartition(ctx, f)
		if err != nil {
			return connectors.Result{}, err
		}
		if p.ID == "" {
			return connectors.Result{}, errors.New("POST /organizations/service_partition: the answer has no service_partition_id")
		}
		return connectors.Result{TargetID: p.ID}, nil

	case connectors.ActionUpdate:
		names, err := diffFields(c.Diff, groupFields, "service partition")
		if err != nil {
			return connectors.Result{}, err
		}
		f := Fields{"name": c.Group.Name, "code": c.Group.Code, "description": c.Group.Description}
		if names != nil { // only the fields the diff names
			maps.DeleteFunc(f, func(n string, _ any) bool { return !slices.Contains(names, n) })
		}
		if len(f) == 0 {
			return connectors.Result{TargetID: c.TargetID}, nil
		}
		if _, err := a.client.UpdatePartition(ctx, c.TargetID, f); err != nil {
			return connectors.Result{}, a.goneNotFound(ctx, c.TargetID, err, log)
		}
		return connectors.Result{TargetID: c.TargetID}, nil

	case connectors.ActionDelete:
		if err := a.client.RemovePartition(ctx, c.TargetID); err != nil {
			return connectors.Result{}, a.goneNotFound(ctx, c.TargetID, err, log)
		}
		return connectors.Result{TargetID: c.TargetID}, nil
	}
	return connectors.Result{}, fmt.Errorf("action %q is not supported for a group", c.Action)
}

// goneNotFound is err, wrapped in connectors.ErrNotFound when
// partitionGone finds it answered for a partition that is no longer there:
// an update of it fails as not found, a delete (of it or of a membership
// in it) counts as done.
func (a *Adapter) goneNotFound(ctx context.Context, id string, err error, log *zap.Logger) error {
	if a.partitionGone(ctx, id, err, log) {
		return fmt.Errorf("%w: the service partition is gone: %w", connectors.ErrNotFound, err)
	}
	return err
}

// partitionGone reports whether err is a validation error answered for a
// service partition that is no longer there. The partition calls name it
// in the body, not the path (000:24-25), so a server may answer an
// unknown one as it answers any bad field of a body, 422 (or 400) on
// service_partition_id, rather than 404. On such an answer the partitions
// are listed (only on this failing path): one no longer listed is gone. A
// failure to list keeps the error.
func (a *Adapter) partitionGone(ctx context.Context, id string, err error, log *zap.Logger) bool {
	var fe *connectors.FieldError
	if !errors.As(err, &fe) {
		return false
	}
	parts, lerr := a.client.ListPartitions(ctx, a.pageSize)
	if lerr != nil {
		log.Warn("a partition call was refused: listing the partitions to see whether it is gone failed", zap.Error(lerr))
		return false
	}
	if slices.ContainsFunc(parts, func(p ServicePartition) bool { return p.ID == id }) {
		return false
	}
	log.Debug("a partition call was refused for a partition no longer listed: gone", zap.String("service_partition_id", id))
	return true
}

func setIf(f Fields, key, v string) {
	if v != "" {
		f[key] = v
	}
}

// applyMembership writes a user's place in a service partition: joining
// (then the manager role for admin), a role change, leaving.
func (a *Adapter) applyMembership(ctx context.Context, c connectors.Change, ids connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	m := c.Membership
	if m.Kind != mapping.KindGroup {
		return connectors.Result{}, fmt.Errorf("membership kind %q: pcaid has service partitions (groups) only", m.Kind)
	}
	userID, err := c.MemberUser().Resolve(ids)
	if err != nil {
		return connectors.Result{}, fmt.Errorf("user: %w", err)
	}
	spID, err := c.Container().Resolve(ids)
	if err != nil {
		return connectors.Result{}, fmt.Errorf("group: %w", err)
	}
	role := RoleMember
	if m.Role == mapping.RoleAdmin {
		role = RoleManager
	}
	res := connectors.Result{TargetID: mapping.Membership{UserKey: userID, Kind: m.Kind, ContainerKey: spID}.ID()}
	switch c.Action {
	case connectors.ActionCreate:
		if err := a.client.AddUserPartition(ctx, userID, spID); err != nil {
			return res, err
		}
		if role == RoleManager {
			if err := a.client.SetPartitionRole(ctx, userID, spID, role); err != nil {
				return res, fmt.Errorf("joined, then the manager role: %w", err)
			}
		}
		return res, nil
	case connectors.ActionUpdate:
		if role == RoleManager {
			return res, a.client.SetPartitionRole(ctx, userID, spID, role)
		}
		return res, a.demote(ctx, userID, spID, log)
	case connectors.ActionDelete:
		// A partition that is gone took its memberships with it: the
		// executor counts a delete of what is gone as done.
		if err := a.client.RemoveUserPartition(ctx, userID, spID); err != nil {
			return res, a.goneNotFound(ctx, spID, err, log)
		}
		return res, nil
	}
	return connectors.Result{}, fmt.Errorf("action %q is not supported for a membership", c.Action)
}

// How a manager is made a member again (Adapter.spRevoke).
const (
	revokeUnknown  int32 = iota
	revokeByRole         // sp_manager_roles with role member
	revokeByRejoin       // leave the partition and join it again
)

// demote makes a partition manager a member again. The document lists
// sp_manager_roles as a grant and no revoke: a server may take role
// member, or ignore it and grant anyway. The first demotion sends role
// member and reads the partition's users to see which (reads, no write);
// where the role did not take, the user leaves the partition and joins it
// again (as a member), then and from then on.
func (a *Adapter) demote(ctx context.Context, userID, spID string, log *zap.Logger) error {
	switch a.spRevoke.Load() {
	case revokeByRole:
		return a.client.SetPartitionRole(ctx, userID, spID, RoleMember)
	case revokeByRejoin:
		return a.rejoin(ctx, userID, spID)
	}
	if err := a.client.SetPartitionRole(ctx, userID, spID, RoleMember); err != nil {
		return err
	}
	members, err := a.client.ListPartitionUsers(ctx, spID, a.pageSize)
	if err != nil {
		return fmt.Errorf("role member sent, then reading the partition's users to check it: %w", err)
	}
	for _, m := range members {
		if m.AccountID == userID && !m.Manager {
			a.spRevoke.Store(revokeByRole)
			return nil
		}
	}
	log.Info("sp_manager_roles does not take role member: a manager becomes a member by leaving the partition and joining it again")
	a.spRevoke.Store(revokeByRejoin)
	return a.rejoin(ctx, userID, spID)
}

// rejoin takes a user out of a partition and puts it back, as a member.
func (a *Adapter) rejoin(ctx context.Context, userID, spID string) error {
	if err := a.client.RemoveUserPartition(ctx, userID, spID); err != nil {
		return fmt.Errorf("leave the partition to drop the manager role: %w", err)
	}
	if err := a.client.AddUserPartition(ctx, userID, spID); err != nil {
		return fmt.Errorf("left the partition to drop the manager role, then join it again: %w", err)
	}
	return nil
}
