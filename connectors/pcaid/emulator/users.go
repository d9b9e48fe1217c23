package emulator

import (
	"net/http"
	"slices"
	"strings"
)

// userList is the answer of GET /users and GET /users/query.
type userList struct {
	Users      []User  `json:"users"`
	NextCursor *string `json:"next_cursor"`
}

func (c *call) getOrganization() response {
	org := c.org.org
	org.CustomerID = clonePtr(org.CustomerID)
	return jsonResp(http.StatusOK, org)
}

func (c *call) listUsers() response { return c.usersPage(func(*userRec) bool { return true }) }

// queryUsers serves GET /users/query: email and employee_number match the
// whole value (email case-insensitively), name a substring, status and
// suspended exactly; every given filter must hold.
func (c *call) queryUsers() response {
	email, number, name := strings.ToLower(c.q("email")), c.q("employee_number"), c.q("name")
	status, suspended := c.q("status"), c.q("suspended")
	var errs errorBag
	if status != "" && !slices.Contains([]string{StatusUninvited, StatusInvited, StatusActive}, status) {
		errs.add("status", msgIn("status"))
	}
	if suspended != "" && suspended != "true" && suspended != "false" {
		errs.add("suspended", msgBoolean("suspended"))
	}
	if !errs.empty() {
		return errs.unprocessable()
	}
	return c.usersPage(func(r *userRec) bool {
		u := r.u
		return (email == "" || strings.ToLower(u.Email) == email) &&
			(number == "" || (u.EmployeeNumber != nil && *u.EmployeeNumber == number)) &&
			(name == "" || strings.Contains(strings.ToLower(u.Name), strings.ToLower(name))) &&
			(status == "" || u.Status == status) &&
			(suspended == "" || (suspended == "true") == u.Suspended)
	})
}

func (c *call) usersPage(keep func(*userRec) bool) response {
	var errs errorBag
	limit, after := c.paging(&errs)
	if !errs.empty() {
		return errs.unprocessable()
	}
	var all []*userRec
	for _, u := range c.org.usersByAge() {
		if keep(u) {
			all = append(all, u)
		}
	}
	recs, next := pageAfter(all, func(u *userRec) int64 { return u.seq }, limit, after)
	out := userList{Users: make([]User, 0, len(recs)), NextCursor: next}
	for _, u := range recs {
		out.Users = append(out.Users, c.org.renderUser(u))
	}
	return jsonResp(http.StatusOK, out)
}

// user finds the path's account, or answers 404.
func (c *call) user() (*userRec, response, bool) {
	u := c.org.users[c.params["account_id"]]
	if u == nil {
		return nil, notFound(), false
	}
	return u, response{}, true
}

func (c *call) getUser() response {
	u, resp, ok := c.user()
	if !ok {
		return resp
	}
	return jsonResp(http.StatusOK, c.org.renderUser(u))
}

// userInput is a validated user body (POST /users, an import row, PUT).
type userInput struct {
	email, name, employeeNumber, department, position strField
	admin                                             bool
}

// readUser validates a user body. On create email and name are required;
// on update (self set) each is required only when sent, and uniqueness
// leaves self out. Import rows (withAdmin) may carry admin.
func (o *orgState) readUser(r reader, self string, withAdmin bool) userInput {
	create := self == ""
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
		r.errs.add(r.prefix+"email", msgUnique(r.prefix+"email"))
	}
	if v := in.employeeNumber.value; v != nil && o.employeeNumberTaken(*v, self) {
		r.errs.add(r.prefix+"employee_number", msgUnique(r.prefix+"employee_number"))
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
	in := c.org.readUser(reader{in: c.in, errs: &errs}, "", false)
	if !errs.empty() {
		return errs.unprocessable()
	}
	return jsonResp(http.StatusCreated, c.org.renderUser(c.addUser(in)))
}

// updateUser serves PUT /users/{account_id}: the fields sent are changed,
// the others kept; an optional field sent as "" or null is cleared.
func (c *call) updateUser() response {
	rec, resp, ok := c.user()
	if !ok {
		return resp
	}
	var errs errorBag
	in := c.org.readUser(reader{in: c.in, errs: &errs}, rec.u.AccountID, false)
	if !errs.empty() {
		return errs.unprocessable()
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
	return jsonResp(http.StatusOK, c.org.renderUser(rec))
}

// change applies f to the path's user and answers 200 with it.
func (c *call) change(f func(u *User)) response {
	rec, resp, ok := c.user()
	if !ok {
		return resp
	}
	f(&rec.u)
	rec.u.UpdatedAt = c.s.stamp()
	return jsonResp(http.StatusOK, c.org.renderUser(rec))
}

// inviteUser serves POST /users/{account_id}/invite. A suspended user
// cannot be invited (422 on account_id).
func (c *call) inviteUser() response {
	if rec, resp, ok := c.user(); !ok {
		return resp
	} else if rec.u.Suspended {
		var errs errorBag
		errs.add("account_id", "無効化されたユーザーは招待できません。")
		return errs.unprocessable()
	}
	return c.change(func(u *User) {
		if u.Status == StatusUninvited {
			u.Status = StatusInvited
		}
	})
}

// Granting and revoking the organization admin role, suspending and
// unsuspending are idempotent: the state asked for is the answer.
func (c *call) assignAdmin() response {
	return c.change(func(u *User) { u.AdminRoles = []string{RoleOrganizationAdmin} })
}

func (c *call) unassignAdmin() response {
	return c.change(func(u *User) { u.AdminRoles = []string{} })
}

func (c *call) suspendUser() response { return c.change(func(u *User) { u.Suspended = true }) }

func (c *call) unsuspendUser() response { return c.change(func(u *User) { u.Suspended = false }) }

// removeUser serves POST /users/{account_id}/remove: 204; the user leaves
// every service partition.
func (c *call) removeUser() response {
	rec, resp, ok := c.user()
	if !ok {
		return resp
	}
	id := rec.u.AccountID
	c.org.index(&rec.u, false)
	delete(c.org.users, id)
	for _, m := range c.org.members {
		delete(m, id)
	}
	return noContent()
}
