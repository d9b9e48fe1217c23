package emulator

import (
	"net/http"
	"slices"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// GET /api/admin/organizations/{id}/members
func (c *call) listMembers() response {
	s := c.s
	if s.orgs[c.id] == nil {
		return c.notFound()
	}
	var b errorBag
	limit := c.limit(&b)
	after := c.cursor(&b, "user_id")
	role := c.q("role")
	if role != "" && role != RoleAdmin && role != RoleMember {
		b.Add("role", "role must be admin or member")
	}
	if !b.Empty() {
		return b.fail(http.StatusBadRequest)
	}
	ms := s.members[c.id]
	var keys []string
	for uid, m := range ms {
		if role == "" || m.Role == role {
			keys = append(keys, uid)
		}
	}
	slices.Sort(keys)
	return c.page(keys, "user_id", after, limit, func(uid string) any {
		m, u := ms[uid], s.users[uid]
		if s.readings.Has(ReadingMemberRoleField) {
			return memberRoleItem{UserID: uid, Email: u.Email, Name: u.Name, Role: m.Role, JoinedAt: m.JoinedAt}
		}
		return memberItem{UserID: uid, Email: u.Email, Name: u.Name, OrganizationRole: m.Role, JoinedAt: m.JoinedAt}
	})
}

// POST /api/admin/organizations/{id}/members {"user_id", "role"}: 201. The
// user must exist in the tenant (422 otherwise); one who is already a
// member is a 409, whatever the role (member-post-upserts: 200 with the
// role set; member-post-keeps: 200 with the membership unchanged).
func (c *call) addMember() response {
	s := c.s
	if s.orgs[c.id] == nil {
		return c.notFound()
	}
	var b errorBag
	uid, ok := c.in.str(&b, "user_id")
	switch {
	case !ok && b.Empty(), ok && uid == "":
		b.Add("user_id", "user_id is required")
	case ok:
		if _, known := s.users[uid]; !known {
			b.Add("user_id", "user_id names no user of the tenant")
		}
	}
	role := RoleMember
	if f := c.in.get("role"); f.present && !f.null {
		r, ok := c.in.str(&b, "role")
		switch {
		case !ok:
		case r != RoleAdmin && r != RoleMember:
			b.Add("role", "role must be admin or member")
		default:
			role = r
		}
	}
	if !b.Empty() {
		return b.fail(http.StatusUnprocessableEntity)
	}
	if m := s.members[c.id][uid]; m != nil {
		switch {
		case s.readings.Has(ReadingMemberPostUpserts):
			m.Role = role
		case s.readings.Has(ReadingMemberPostKeeps):
		default:
			return errorResp(http.StatusConflict, "user "+uid+" is already a member of organization "+c.id)
		}
		return emukit.JSON(http.StatusOK, memberAdded{OrganizationID: c.id, UserID: uid, Role: m.Role, JoinedAt: m.JoinedAt})
	}
	if s.members[c.id] == nil {
		s.members[c.id] = map[string]*Member{}
	}
	s.members[c.id][uid] = &Member{UserID: uid, Role: role, JoinedAt: c.now}
	return emukit.JSON(http.StatusCreated, memberAdded{OrganizationID: c.id, UserID: uid, Role: role, JoinedAt: c.now})
}

// DELETE /api/admin/organizations/{id}/members/{userId}: 204; 404 when the
// user is not a member (member-delete-idempotent: 204).
func (c *call) removeMember() response {
	s := c.s
	if s.orgs[c.id] == nil {
		return c.notFound()
	}
	if s.members[c.id][c.userID] == nil {
		if s.readings.Has(ReadingMemberDeleteIdempotent) {
			return response{Status: http.StatusNoContent}
		}
		return errorResp(http.StatusNotFound, "user "+c.userID+" is not a member of organization "+c.id)
	}
	delete(s.members[c.id], c.userID)
	if len(s.members[c.id]) == 0 {
		delete(s.members, c.id)
	}
	return response{Status: http.StatusNoContent}
}
