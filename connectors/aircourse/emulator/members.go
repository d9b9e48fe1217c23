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

// listMembers answers a member list filtered by ?role.
func listMembers(c *call, rows []Member) response {
	q := &query{c: c}
	role, roleOK := q.one("role", memberRoles...)
	limit, pg := q.paging()
	items := rows[:0:0]
	for _, m := range rows {
		if !roleOK || m.Role == role {
			items = append(items, m)
		}
	}
	if c.readings.Has(ReadingMemberRowsUserID) {
		return page(q, items, limit, pg, func(m Member) userIDRow { return userIDRow(m) })
	}
	return page(q, items, limit, pg, func(m Member) Member { return m })
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

// GET /organizations/{organizationId}/users
func (s *Server) listOrgUsers(c *call) response {
	if s.orgs[c.id] == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	return listMembers(c, s.members(s.orgUsers[c.id]))
}

// POST /organizations/{organizationId}/users
func (s *Server) addOrgUser(c *call) response {
	if s.orgs[c.id] == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	userID, role, bad := s.memberBody(c, true)
	if bad != nil {
		return *bad
	}
	if _, dup := s.orgUsers[c.id][userID]; dup {
		return unprocessable422("userId", msgUnique("userId"))
	}
	s.setOrgRole(c.id, userID, role)
	return emukit.NoContent()
}

// PUT /organizations/{organizationId}/users
func (s *Server) updateOrgUser(c *call) response {
	if s.orgs[c.id] == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	userID, role, bad := s.memberBody(c, true)
	if bad != nil {
		return *bad
	}
	if _, ok := s.orgUsers[c.id][userID]; !ok {
		return message(http.StatusNotFound, msgNotFound)
	}
	s.setOrgRole(c.id, userID, role)
	return emukit.NoContent()
}

// DELETE /organizations/{organizationId}/users
func (s *Server) removeOrgUser(c *call) response {
	if s.orgs[c.id] == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	userID, _, bad := s.memberBody(c, false)
	if bad != nil {
		return *bad
	}
	if _, ok := s.orgUsers[c.id][userID]; !ok {
		return message(http.StatusNotFound, msgNotFound)
	}
	if c.id == s.rootID && len(s.userOrgs[userID]) == 1 && !c.readings.Has(ReadingEmptyListsNoOrg) {
		// It would land straight back in the root.
		return unprocessable422("userId", msgLastOrg)
	}
	s.removeOrgRole(c.id, userID)
	s.ensureHome(userID)
	return emukit.NoContent()
}

// GET /groups/{groupId}/users
func (s *Server) listGroupUsers(c *call) response {
	if s.groups[c.id] == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	return listMembers(c, s.members(s.groupRoles(c.id)))
}

// POST /groups/{groupId}/users
func (s *Server) addGroupUser(c *call) response {
	if s.groups[c.id] == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	userID, role, bad := s.memberBody(c, true)
	if bad != nil {
		return *bad
	}
	if _, dup := s.groupRoles(c.id)[userID]; dup {
		return unprocessable422("userId", msgUnique("userId"))
	}
	if s.groupUsers[c.id] == nil {
		s.groupUsers[c.id] = map[string]string{}
	}
	s.groupUsers[c.id][userID] = role
	return emukit.NoContent()
}

// PUT /groups/{groupId}/users
func (s *Server) updateGroupUser(c *call) response {
	if s.groups[c.id] == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	userID, role, bad := s.memberBody(c, true)
	if bad != nil {
		return *bad
	}
	if c.id == s.everyoneID {
		return unprocessable422("groupId", msgEveryoneMembers)
	}
	if _, ok := s.groupUsers[c.id][userID]; !ok {
		return message(http.StatusNotFound, msgNotFound)
	}
	s.groupUsers[c.id][userID] = role
	return emukit.NoContent()
}

// DELETE /groups/{groupId}/users
func (s *Server) removeGroupUser(c *call) response {
	if s.groups[c.id] == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	userID, _, bad := s.memberBody(c, false)
	if bad != nil {
		return *bad
	}
	if c.id == s.everyoneID {
		return unprocessable422("groupId", msgEveryoneMembers)
	}
	if _, ok := s.groupUsers[c.id][userID]; !ok {
		return message(http.StatusNotFound, msgNotFound)
	}
	delete(s.groupUsers[c.id], userID)
	return emukit.NoContent()
}
