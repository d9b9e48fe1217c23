package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// userAsStatus is a user under ReadingSuspendedAsStatus: no suspended
// field (the outer nil pointer hides the embedded one), status
// "suspended" while suspended.
type userAsStatus struct {
	User
	Suspended *bool `json:"suspended,omitempty"`
}

// userView is a user as the readings render it.
func (c *call) userView(rec *userRec) any {
	u := c.org.renderUser(rec)
	u.Status = c.s.statusOf(rec)
	if c.s.readings.Has(ReadingSuspendedAsStatus) {
		return userAsStatus{User: u}
	}
	return u
}

// statusOf is a user's status as the readings render it: removed, then
// suspended (under ReadingSuspendedAsStatus), then the invitation status.
func (s *Server) statusOf(rec *userRec) string {
	switch {
	case rec.removed:
		return StatusRemoved
	case rec.u.Suspended && s.readings.Has(ReadingSuspendedAsStatus):
		return StatusSuspended
	}
	return rec.u.Status
}

// statuses lists the status values the readings answer, for the query
// filter.
func (s *Server) statuses() []string {
	out := []string{StatusUninvited, StatusInvited, StatusActive}
	if s.readings.Has(ReadingSuspendedAsStatus) {
		out = append(out, StatusSuspended)
	}
	if s.readings.Has(ReadingUsersListRemoved) {
		out = append(out, StatusRemoved)
	}
	return out
}

func (c *call) getOrganization() response {
	org := c.org.org
	org.CustomerID = emukit.Clone(org.CustomerID)
	return emukit.JSON(http.StatusOK, org)
}

// listUsers serves GET /users: every user (ReadingUsersListActive: every
// user not suspended; a removed one, under ReadingUsersListRemoved, is
// listed).
func (c *call) listUsers() response {
	active := c.s.readings.Has(ReadingUsersListActive)
	return c.usersPage(func(r *userRec) bool { return !active || !r.u.Suspended })
}

// queryUsers serves GET /users/query: email and employee_number match the
// whole value (email case-insensitively), name a substring, status and
// suspended exactly; every given filter must hold.
func (c *call) queryUsers() response {
	email, number, name := strings.ToLower(c.q("email")), c.q("employee_number"), c.q("name")
	status, suspended := c.q("status"), c.q("suspended")
	var errs errorBag
	if status != "" && !slices.Contains(c.s.statuses(), status) {
		errs.Add("status", msgIn("status"))
	}
	if suspended != "" && suspended != "true" && suspended != "false" {
		errs.Add("suspended", msgBoolean("suspended"))
	}
	if !errs.Empty() {
		return errs.unprocessable()
	}
	return c.usersPage(func(r *userRec) bool {
		u := r.u
		return (email == "" || strings.ToLower(u.Email) == email) &&
			(number == "" || (u.EmployeeNumber != nil && *u.EmployeeNumber == number)) &&
			(name == "" || strings.Contains(strings.ToLower(u.Name), strings.ToLower(name))) &&
			(status == "" || c.s.statusOf(r) == status) &&
			(suspended == "" || (suspended == "true") == u.Suspended)
	})
}

func (c *call) usersPage(keep func(*userRec) bool) response {
	var all []*userRec
	for _, u := range c.org.usersByAge() {
		if keep(u) {
			all = append(all, u)
		}
	}
	recs, fields, errs := pageOf(c, all, func(u *userRec) int64 { return u.seq })
	if !errs.Empty() {
		return errs.unprocessable()
	}
	users := make([]any, 0, len(recs))
	for _, u := range recs {
		users = append(users, c.userView(u))
	}
	fields["users"] = users
	return emukit.JSON(http.StatusOK, fields)
}

// user finds the path's account, or answers 404 (also for one removed
// under ReadingUsersListRemoved: nothing can be done to it).
func (c *call) user() (*userRec, response, bool) {
	u := c.org.users[c.params["account_id"]]
	if u == nil || u.removed {
		return nil, notFound(), false
	}
	return u, response{}, true
}

// getUser serves GET /users/{account_id}; a removed user is answered, with
// status "removed".
func (c *call) getUser() response {
	u := c.org.users[c.params["account_id"]]
	if u == nil {
		return notFound()
	}
	return emukit.JSON(http.StatusOK, c.userView(u))
}

// userInput is a validated user body (POST /users, an import row, PUT).
type userInput struct {
	email, name, employeeNumber, department, position strField
	admin                                             bool
}

// readUser validates a user body. On create (and on a whole replacement)
// email and name are required; on update (self set) each is required only
// when sent, and uniqueness leaves self out. Import rows (withAdmin) may
// carry admin.
func (o *orgState) readUser(r reader, self string, withAdmin, whole bool) userInput {
	create := self == "" || whole
	in := userInput{
		email:          r.email("email", create || r.in["email"] != nil),
		name:           r.str("name", create || r.in["name"] != nil, maxUserName),
		employeeNumber: r.str("employee_number", false, maxEmployeeNumber),
		department:     r.str("department", false, maxDepartment),
		position:       r.str("position", false, maxPosition),
	}
	if withAdmin {
		in.admin = r.boolean("admin", false)
	}
	if v := in.email.value; v != nil && o.emailTaken(*v, self) {
		r.errs.Add(r.prefix+"email", msgUnique(r.prefix+"email"))
	}
	if v := in.employeeNumber.value; v != nil && o.employeeNumberTaken(*v, self) {
		r.errs.Add(r.prefix+"employee_number", msgUnique(r.prefix+"employee_number"))
	}
	return in
}

// Email addresses and employee numbers are unique in an organization,
// case-insensitively.
func (o *orgState) emailTaken(email, self string) bool {
	id, ok := o.emails[strings.ToLower(email)]
	return ok && id != self
}

func (o *orgState) employeeNumberTaken(n, self string) bool {
	id, ok := o.numbers[strings.ToLower(n)]
	return ok && id != self
}

// addUser stores a validated new user.
func (c *call) addUser(in userInput) *userRec {
	s := c.s
	ts := s.stamp()
	rec := &userRec{seq: s.nextSeq(), u: User{
		AccountID:      s.newID(prefixAccount),
		OrganizationID: c.org.org.OrganizationID,
		Email:          *in.email.value,
		Name:           *in.name.value,
		EmployeeNumber: in.employeeNumber.value,
		Department:     in.department.value,
		Position:       in.position.value,
		Status:         StatusUninvited,
		AdminRoles:     []string{},
		CreatedAt:      ts,
		UpdatedAt:      ts,
	}}
	if in.admin {
		rec.u.AdminRoles = []string{RoleOrganizationAdmin}
	}
	c.org.users[rec.u.AccountID] = rec
	c.org.index(&rec.u, true)
	return rec
}

// createUser serves POST /users: 201 with the user.
func (c *call) createUser() response {
	var errs errorBag
	in := c.org.readUser(reader{in: c.in, errs: &errs}, "", false, false)
	if !errs.Empty() {
		return errs.unprocessable()
	}
	return emukit.JSON(http.StatusCreated, c.userView(c.addUser(in)))
}

// updateUser serves PUT /users/{account_id}: the fields sent are changed,
// the others kept; an optional field sent as "" or null is cleared. Under
// ReadingPutReplaces the body is the whole profile: email and name are
// required and an optional field not sent is cleared.
func (c *call) updateUser() response {
	rec, resp, ok := c.user()
	if !ok {
		return resp
	}
	whole := c.s.readings.Has(ReadingPutReplaces)
	var errs errorBag
	in := c.org.readUser(reader{in: c.in, errs: &errs}, rec.u.AccountID, false, whole)
	if !errs.Empty() {
		return errs.unprocessable()
	}
	if whole {
		in.employeeNumber.present, in.department.present, in.position.present = true, true, true
	}
	u := &rec.u
	c.org.index(u, false)
	defer c.org.index(u, true)
	if in.email.present {
		u.Email = *in.email.value
	}
	if in.name.present {
		u.Name = *in.name.value
	}
	if in.employeeNumber.present {
		u.EmployeeNumber = in.employeeNumber.value
	}
	if in.department.present {
		u.Department = in.department.value
	}
	if in.position.present {
		u.Position = in.position.value
	}
	u.UpdatedAt = c.s.stamp()
	return emukit.JSON(http.StatusOK, c.userView(rec))
}

// change applies f to the path's user and answers 200 with it.
func (c *call) change(f func(u *User)) response {
	rec, resp, ok := c.user()
	if !ok {
		return resp
	}
	f(&rec.u)
	rec.u.UpdatedAt = c.s.stamp()
	return emukit.JSON(http.StatusOK, c.userView(rec))
}

// inviteUser serves POST /users/{account_id}/invite. A suspended user
// cannot be invited (422 on account_id).
func (c *call) inviteUser() response {
	if rec, resp, ok := c.user(); !ok {
		return resp
	} else if rec.u.Suspended {
		var errs errorBag
		errs.Add("account_id", "無効化されたユーザーは招待できません。")
		return errs.unprocessable()
	}
	return c.change(func(u *User) {
		if u.Status == StatusUninvited {
			u.Status = StatusInvited
		}
	})
}

// Granting and revoking the organization admin role, suspending and
// unsuspending are idempotent: the state asked for is the answer. The
// grant takes no body and the unassign takes every role away, there being
// one; under ReadingAdminRolesSeveral both take {"admin_roles":[…]}
// (required on the grant; on the unassign, absent is every role).
func (c *call) assignAdmin() response {
	if !c.s.readings.Has(ReadingAdminRolesSeveral) {
		return c.change(func(u *User) { u.AdminRoles = []string{RoleOrganizationAdmin} })
	}
	if _, resp, ok := c.user(); !ok {
		return resp
	}
	roles, resp, ok := c.adminRoles()
	if !ok {
		return resp
	}
	return c.change(func(u *User) {
		for _, r := range roles {
			if !slices.Contains(u.AdminRoles, r) {
				u.AdminRoles = append(u.AdminRoles, r)
			}
		}
	})
}

func (c *call) unassignAdmin() response {
	if !c.s.readings.Has(ReadingAdminRolesSeveral) {
		return c.change(func(u *User) { u.AdminRoles = []string{} })
	}
	if _, resp, ok := c.user(); !ok {
		return resp
	}
	if _, sent := c.in["admin_roles"]; !sent {
		return c.change(func(u *User) { u.AdminRoles = []string{} })
	}
	roles, resp, ok := c.adminRoles()
	if !ok {
		return resp
	}
	return c.change(func(u *User) {
		u.AdminRoles = slices.DeleteFunc(u.AdminRoles, func(r string) bool { return slices.Contains(roles, r) })
	})
}

// adminRoles reads a body's admin_roles under ReadingAdminRolesSeveral:
// a non-empty array of known role names (422 on the key or the index).
func (c *call) adminRoles() ([]string, response, bool) {
	var errs errorBag
	roles := reader{in: c.in, errs: &errs}.ids("admin_roles")
	for i, r := range roles {
		if !slices.Contains([]string{RoleOrganizationAdmin, RoleUserAdmin, RoleServiceAdmin}, r) {
			key := fmt.Sprintf("admin_roles.%d", i)
			errs.Add(key, msgIn(key))
		}
	}
	if !errs.Empty() {
		return nil, errs.unprocessable(), false
	}
	return roles, response{}, true
}

func (c *call) suspendUser() response { return c.change(func(u *User) { u.Suspended = true }) }

func (c *call) unsuspendUser() response { return c.change(func(u *User) { u.Suspended = false }) }

// removeUser serves POST /users/{account_id}/remove: 204; the user leaves
// every service partition. It is deleted, or, under
// ReadingUsersListRemoved, kept with status "removed" (its email and
// employee_number free again).
func (c *call) removeUser() response {
	rec, resp, ok := c.user()
	if !ok {
		return resp
	}
	id := rec.u.AccountID
	c.org.index(&rec.u, false)
	if c.s.readings.Has(ReadingUsersListRemoved) {
		rec.removed = true
		rec.u.UpdatedAt = c.s.stamp()
	} else {
		delete(c.org.users, id)
	}
	for _, m := range c.org.members {
		delete(m, id)
	}
	return emukit.NoContent()
}
