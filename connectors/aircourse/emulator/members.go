package emulator

import (
	"net/http"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

var memberRoles = []string{roleMember, roleAdmin}

const (
	msgLastOrg         = "userIdは少なくとも1つの組織に所属している必要があります。"
	msgEveryoneMembers = "全員グループのユーザは変更できません。"
)

// memberBody validates {"userId","role"} (role only when withRole).
func (s *Server) memberBody(c *call, withRole bool) (userID, role string, bad *response) {
	ch := &checker{in: c.in}
	u := ch.ref("userId", true, "usr_", s.userExists)
	var r field[string]
	if withRole {
		r = ch.enum("role", true, memberRoles...)
	}
	if !ch.errs.Empty() {
		resp := ch.errs.unprocessable()
		return "", "", &resp
	}
	return u.v, r.v, nil
}

// listMembers answers a member list filtered by ?role, or a 404 when the
// organization or group does not exist.
func listMembers(c *call, exists bool, rows func() []Member) response {
	if !exists {
		return message(http.StatusNotFound, msgNotFound)
	}
	q := &query{c: c}
	role, roleOK := q.one("role", memberRoles...)
	keep := func(m Member) bool { return !roleOK || m.Role == role }
	if c.readings.Has(ReadingMemberRowsUserID) {
		return listPage(q, rows, keep, func(m Member) userIDRow { return userIDRow(m) })
	}
	return listPage(q, rows, keep, func(m Member) Member { return m })
}

// userIDRow is a member row under ReadingMemberRowsUserID: the user's id
// as "userId".
type userIDRow struct {
	ID      string  `json:"userId"`
	Name    string  `json:"name"`
	LoginID *string `json:"loginId"`
	Mail    *string `json:"mail"`
	Role    string  `json:"role"`
}

// memberOp is the member write a route makes.
type memberOp int

const (
	addMember    memberOp = iota // POST: the user must not be a member yet
	updateMember                 // PUT: the user must be one
	removeMember                 // DELETE: the user must be one; no role
)

// memberWrite is a member write of an organization or a group, in the
// order AirCourse answers it: a 404 when the organization or group does
// not exist, the body checked (422), refuse's answer when it has one (the
// everyone group's members cannot change), a 422 when a POST's user is a
// member of members already or a 404 when a PUT's or DELETE's is not, then
// write's answer.
func (s *Server) memberWrite(c *call, op memberOp, exists bool, members map[string]string, refuse func() *response,
	write func(userID, role string) response) response {
	if !exists {
		return message(http.StatusNotFound, msgNotFound)
	}
	userID, role, bad := s.memberBody(c, op != removeMember)
	if bad != nil {
		return *bad
	}
	if refuse != nil {
		if r := refuse(); r != nil {
			return *r
		}
	}
	switch _, member := members[userID]; {
	case op == addMember && member:
		return unprocessable422("userId", msgUnique("userId"))
	case op != addMember && !member:
		return message(http.StatusNotFound, msgNotFound)
	}
	return write(userID, role)
}

// GET /organizations/{organizationId}/users
func (s *Server) listOrgUsers(c *call) response {
	return listMembers(c, s.orgs[c.id] != nil, func() []Member { return s.members(s.orgUsers[c.id]) })
}

// POST /organizations/{organizationId}/users and PUT, the same but for
// the 422 or 404 of memberWrite.
func (s *Server) addOrgUser(c *call) response    { return s.writeOrgRole(c, addMember) }
func (s *Server) updateOrgUser(c *call) response { return s.writeOrgRole(c, updateMember) }

func (s *Server) writeOrgRole(c *call, op memberOp) response {
	return s.memberWrite(c, op, s.orgs[c.id] != nil, s.orgUsers[c.id], nil, func(userID, role string) response {
		s.setOrgRole(c.id, userID, role)
		return emukit.NoContent()
	})
}

// DELETE /organizations/{organizationId}/users
func (s *Server) removeOrgUser(c *call) response {
	return s.memberWrite(c, removeMember, s.orgs[c.id] != nil, s.orgUsers[c.id], nil, func(userID, _ string) response {
		if c.id == s.rootID && len(s.userOrgs[userID]) == 1 && !c.readings.Has(ReadingEmptyListsNoOrg) {
			// It would land straight back in the root.
			return unprocessable422("userId", msgLastOrg)
		}
		s.removeOrgRole(c.id, userID)
		s.ensureHome(userID)
		return emukit.NoContent()
	})
}

// GET /groups/{groupId}/users
func (s *Server) listGroupUsers(c *call) response {
	return listMembers(c, s.groups[c.id] != nil, func() []Member { return s.members(s.groupRoles(c.id)) })
}

// POST /groups/{groupId}/users: a user is a member of the everyone group
// already (groupRoles), so adding one to it is a 422 of its own.
func (s *Server) addGroupUser(c *call) response {
	return s.memberWrite(c, addMember, s.groups[c.id] != nil, s.groupRoles(c.id), nil, func(userID, role string) response {
		if s.groupUsers[c.id] == nil {
			s.groupUsers[c.id] = map[string]string{}
		}
		s.groupUsers[c.id][userID] = role
		return emukit.NoContent()
	})
}

// PUT /groups/{groupId}/users
func (s *Server) updateGroupUser(c *call) response {
	return s.memberWrite(c, updateMember, s.groups[c.id] != nil, s.groupUsers[c.id], s.refuseEveryone(c), func(userID, role string) response {
		s.groupUsers[c.id][userID] = role
		return emukit.NoContent()
	})
}

// DELETE /groups/{groupId}/users
func (s *Server) removeGroupUser(c *call) response {
	return s.memberWrite(c, removeMember, s.groups[c.id] != nil, s.groupUsers[c.id], s.refuseEveryone(c), func(userID, _ string) response {
		delete(s.groupUsers[c.id], userID)
		return emukit.NoContent()
	})
}

// refuseEveryone refuses a change of the everyone group's members, whose
// members are every user.
func (s *Server) refuseEveryone(c *call) func() *response {
	return func() *response {
		if c.id != s.everyoneID {
			return nil
		}
		r := unprocessable422("groupId", msgEveryoneMembers)
		return &r
	}
}
