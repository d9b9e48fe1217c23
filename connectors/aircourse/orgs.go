package aircourse

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
)

// resolveOrg resolves an org reference; the zero Ref is the root
// organization.
func (a *Adapter) resolveOrg(ctx context.Context, ids connectors.IDs, r change.Ref) (string, error) {
	if r.IsZero() {
		return a.RootOrgID(ctx)
	}
	return r.Resolve(ids)
}

// RootOrgID returns the id of the root organization, reading the
// organizations once if Read has not found it yet.
func (a *Adapter) RootOrgID(ctx context.Context) (string, error) {
	a.rootMu.Lock()
	defer a.rootMu.Unlock()
	if a.rootID != "" {
		return a.rootID, nil
	}
	orgs, err := a.client.ListOrgs(ctx, a.pageSize)
	if err != nil {
		return "", fmt.Errorf("find root organization: %w", err)
	}
	id, err := findRoot(orgs)
	if err != nil {
		return "", err
	}
	a.rootID = id
	return id, nil
}

// applyOrg writes an organization: applyContainer, an org created public
// or not as configured, through createOrg (which names an admin when the
// server requires one).
func (a *Adapter) applyOrg(ctx context.Context, c connectors.Change, ids connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	create := func(ctx context.Context, f Fields) (Organization, error) { return a.createOrg(ctx, f, log) }
	return applyContainer(ctx, a, c, ids, orgContainer, Fields{"isPublic": a.public}, orgFields, a.client.Orgs(), create)
}

// createOrg creates an organization with adminUserIds [], the key the
// document requires (003:637) with no admin yet: the admins arrive in their
// own user calls, which come later in a plan. A server that reads required
// as "not empty" (Laravel's required fails an empty array) answers 422 on
// adminUserIds; then, and for every later create of this adapter, the
// organization names a global administrator (role admin, 全体管理者), who
// administers every organization already, so naming it grants nothing new.
// That costs one refused request per adapter, against a user update more
// for every admin if the users came first. The global administrator is
// the one Read listed (no request), else one listing; the earliest made
// wins. It is a user orgbridge does not manage (pick one that is not in the
// source), so its admin membership lies outside orgbridge's links: no plan
// ever removes it or writes because of it. With no active global
// administrator the create fails saying so.
func (a *Adapter) createOrg(ctx context.Context, f Fields, log *zap.Logger) (Organization, error) {
	required, known := a.adminVerdict()
	if !known {
		a.probe.Lock()
		if required, known = a.adminVerdict(); !known {
			o, err := a.createWithoutAdmin(ctx, f, log)
			a.probe.Unlock()
			if !refusesNoAdmin(err) {
				return o, err
			}
			return a.createNamingAdmin(ctx, f, err)
		}
		a.probe.Unlock()
	}
	if !required {
		o, err := a.createWithoutAdmin(ctx, f, log)
		if !refusesNoAdmin(err) {
			return o, err
		}
		return a.createNamingAdmin(ctx, f, err)
	}
	return a.createNamingAdmin(ctx, f, errNoAdmin)
}

func (a *Adapter) adminVerdict() (required, known bool) {
	a.adminMu.Lock()
	defer a.adminMu.Unlock()
	return a.adminsRequired, a.adminsKnown
}

// createWithoutAdmin sends the create with adminUserIds [] and records
// what the answer says of it: taken, or refused for want of an admin (any
// other failure says nothing).
func (a *Adapter) createWithoutAdmin(ctx context.Context, f Fields, log *zap.Logger) (Organization, error) {
	f["adminUserIds"] = []string{}
	o, err := a.client.Orgs().Create(ctx, f)
	refused := refusesNoAdmin(err)
	if err != nil && !refused {
		return o, err
	}
	a.adminMu.Lock()
	first := refused && !a.adminsRequired
	a.adminsKnown, a.adminsRequired = true, refused
	a.adminMu.Unlock()
	if first {
		log.Info("the server refuses an organization without an admin: new organizations name a global administrator", zap.Error(err))
	}
	return o, err
}

// createNamingAdmin sends the create naming the global administrator;
// refused is the refusal that made it necessary, wrapped when there is
// none to name.
func (a *Adapter) createNamingAdmin(ctx context.Context, f Fields, refused error) (Organization, error) {
	admin, err := a.orgAdmin(ctx)
	if err != nil {
		return Organization{}, err
	}
	if admin == "" {
		return Organization{}, fmt.Errorf("the tenant has no active global administrator (role admin, 全体管理者) to name as the admin "+
			"of a new organization, which the server requires: make one in AirCourse, then run again: %w", refused)
	}
	f["adminUserIds"] = []string{admin}
	return a.client.Orgs().Create(ctx, f)
}

// errNoAdmin is what an org create wraps when the server is known to
// refuse an organization without an admin and no global administrator can
// be named.
var errNoAdmin = errors.New("adminUserIds: an organization needs an admin")

// refusesNoAdmin reports a 422 on adminUserIds itself (not on one of its
// elements): the server wants at least one admin. The key is read, not the
// message, whose wording the document does not give.
func refusesNoAdmin(err error) bool {
	var fe *connectors.FieldError
	if !errors.As(err, &fe) {
		return false
	}
	_, ok := fe.Fields["adminUserIds"]
	return ok
}

// orgAdmin returns the global administrator an org create names: the one
// Read found, else one found by listing the active admins once.
func (a *Adapter) orgAdmin(ctx context.Context) (string, error) {
	a.adminMu.Lock()
	defer a.adminMu.Unlock() // one listing, however many creates wait
	if !a.adminsRead {
		users, err := a.client.ListGlobalAdmins(ctx, a.pageSize)
		if err != nil {
			return "", fmt.Errorf("find a global administrator to name as the organization's admin: %w", err)
		}
		a.globalAdmin, a.adminsRead = pickGlobalAdmin(users), true
	}
	return a.globalAdmin, nil
}

// noteGlobalAdmins keeps the global administrator of a full user list
// (pickGlobalAdmin's, or a globalAdminPick's).
func (a *Adapter) noteGlobalAdmins(id string) {
	a.adminMu.Lock()
	a.globalAdmin, a.adminsRead = id, true
	a.adminMu.Unlock()
}

// pickGlobalAdmin returns the earliest made active user whose role is
// admin (the tenant's owner, as a rule), or "".
func pickGlobalAdmin(users []User) string {
	var p globalAdminPick
	for i := range users {
		p.see(&users[i])
	}
	return p.id
}

// globalAdminPick is pickGlobalAdmin over users shown one at a time, as
// Read sees them page by page: the earliest made, then the least id, so
// that the order they come in does not matter.
type globalAdminPick struct{ id, createdAt string }

func (p *globalAdminPick) see(u *User) {
	if u.ID == "" || u.Role != "admin" || u.IsSuspended || (u.Status != 0 && u.Status != 1) {
		return
	}
	if p.id == "" || u.CreatedAt < p.createdAt || (u.CreatedAt == p.createdAt && u.ID < p.id) {
		p.id, p.createdAt = u.ID, u.CreatedAt
	}
}

// orgContainer is an org change's container (its Org is set: a create or
// an update).
func orgContainer(c connectors.Change) container {
	return container{
		name: c.Org.Name, code: c.Org.Code, description: c.Org.Description,
		orgKey: "parentId", org: c.Parent(), orgWord: "parent",
	}
}
