package emulator

import (
	"net/http"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

func (s *Server) groupCodeTaken(code, self string) bool {
	return codeTaken(s.groups, code, self, func(r *groupRec) *string { return r.g.Code })
}

// GET /groups
func (s *Server) listGroups(c *call) response {
	q := &query{c: c}
	name, code := q.partial("name"), q.exact("code")
	return listPage(q, s.sortedGroups, func(r *groupRec) bool { return name(r.g.Name) && code(r.g.Code) }, renderGroup)
}

// GET /groups/{groupId}
func (s *Server) getGroup(c *call) response { return getOne(s.groups[c.id], renderGroup) }

// POST /groups
func (s *Server) createGroup(c *call) response {
	ch := &checker{in: c.in}
	name := ch.str("name", true, 40)
	code := ch.code(s.groupCodeTaken, "")
	org := ch.ref("organizationId", true, "org_", s.orgExists)
	disc := ch.discussion()
	viewable := ch.boolean("isViewableMember", true)
	desc := ch.str("description", false, 1000)
	if !ch.errs.Empty() {
		return ch.errs.unprocessable()
	}
	ts := s.stamp()
	r := &groupRec{seq: s.nextSeq(), g: Group{
		ID:                 newID("grp_", s.groups),
		Name:               name.v,
		Code:               optStr(code),
		OrganizationID:     org.v,
		IsViewableMember:   viewable.v,
		IsEnableDiscussion: disc.v,
		Description:        optStr(desc),
		CreatedAt:          ts,
		UpdatedAt:          ts,
	}}
	s.groups[r.g.ID] = r
	return emukit.JSON(http.StatusOK, map[string]any{"data": renderGroup(r)})
}

// PUT or PATCH /groups/{groupId}
func (s *Server) updateGroup(c *call) response {
	r := s.groups[c.id]
	if r == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	ch := &checker{in: c.in, update: true}
	fixed := ch.fixed(c.id == s.everyoneID, msgEveryoneFixed)
	var name, code, org, desc field[string]
	if !fixed("name") {
		name = ch.str("name", true, 40)
	}
	if !fixed("code") {
		code = ch.code(s.groupCodeTaken, c.id)
	}
	if !fixed("organizationId") {
		org = ch.ref("organizationId", true, "org_", s.orgExists)
	}
	disc := ch.discussionUnless(fixed)
	viewable := ch.boolean("isViewableMember", true)
	if !fixed("description") {
		desc = ch.str("description", false, 1000)
	}
	if !ch.errs.Empty() {
		return ch.errs.unprocessable()
	}
	g := &r.g
	applySet(&g.Name, name)
	applyStr(&g.Code, code)
	applySet(&g.OrganizationID, org)
	applySet(&g.IsEnableDiscussion, disc)
	applySet(&g.IsViewableMember, viewable)
	applyStr(&g.Description, desc)
	g.UpdatedAt = s.stamp()
	return emukit.JSON(http.StatusOK, map[string]any{"data": renderGroup(r)})
}

// DELETE /groups/{groupId}
func (s *Server) deleteGroup(c *call) response {
	if s.groups[c.id] == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	if c.id == s.everyoneID {
		return unprocessable422("groupId", "全員グループは削除できません。")
	}
	delete(s.groups, c.id)
	delete(s.groupUsers, c.id)
	return emukit.NoContent()
}
