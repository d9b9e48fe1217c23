package emulator

import (
	"net/http"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

const msgParentCycle = "parentIdには、自身または配下の組織を指定できません。"

func (s *Server) orgCodeTaken(code, self string) bool {
	return codeTaken(s.orgs, code, self, func(r *orgRec) *string { return r.o.Code })
}

// GET /organizations
func (s *Server) listOrgs(c *call) response {
	q := &query{c: c}
	name, code := q.partial("name"), q.exact("code")
	public, publicOK := q.flag("isPublic")
	period, periodOK := q.flag("period")
	today := s.kit.Now().In(jst).Format("2006-01-02")
	q.extra = today
	return listPage(q, s.sortedOrgs, func(r *orgRec) bool {
		o := &r.o
		switch {
		case !name(o.Name), !code(o.Code),
			publicOK && o.IsPublic != public,
			periodOK && inPeriod(o.StartDate, o.EndDate, today) != period:
			return false
		}
		return true
	}, s.renderOrg)
}

// GET /organizations/{organizationId}
func (s *Server) getOrg(c *call) response { return getOne(s.orgs[c.id], s.renderOrg) }

// POST /organizations
func (s *Server) createOrg(c *call) response {
	ch := &checker{in: c.in}
	name := ch.str("name", true, 40)
	code := ch.code(s.orgCodeTaken, "")
	parent := ch.ref("parentId", true, "org_", s.orgExists)
	admins := ch.array("adminUserIds", true, ch.idElem("usr_", s.userExists))
	if admins.present && admins.ok && len(admins.v) == 0 && s.readings.Has(ReadingAdminsRequired) {
		// Laravel's required fails an empty array.
		ch.fail("adminUserIds", msgRequired("adminUserIds"))
	}
	public := ch.boolean("isPublic", true)
	start := ch.date("startDate")
	end := ch.date("endDate")
	if start.set() && end.set() && end.v < start.v {
		ch.fail("endDate", msgAfterOrEqual("endDate", "startDate"))
	}
	disc := ch.discussion()
	desc := ch.str("description", false, 1000)
	if !ch.errs.Empty() {
		return ch.errs.unprocessable()
	}

	p := s.orgs[parent.v]
	ts := s.stamp()
	o := Org{
		ID:                 newID("org_", s.orgs),
		Name:               name.v,
		Code:               optStr(code),
		ParentID:           strPtr(parent.v),
		IsPublic:           public.v,
		StartDate:          emukit.Clone(p.o.StartDate), // inherited when not given
		EndDate:            emukit.Clone(p.o.EndDate),
		IsEnableDiscussion: disc.v,
		Description:        optStr(desc),
		CreatedAt:          ts,
		UpdatedAt:          ts,
	}
	if start.set() {
		o.StartDate = strPtr(start.v)
	}
	if end.set() {
		o.EndDate = strPtr(end.v)
	}
	r := &orgRec{o: o, seq: s.nextSeq()}
	s.orgs[o.ID] = r
	for _, userID := range admins.v {
		s.setOrgRole(o.ID, userID, roleAdmin)
	}
	return emukit.JSON(http.StatusOK, map[string]any{"data": s.renderOrg(r)})
}

// PUT or PATCH /organizations/{organizationId}
func (s *Server) updateOrg(c *call) response {
	r := s.orgs[c.id]
	if r == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	ch := &checker{in: c.in, update: true}
	fixed := ch.fixed(c.id == s.rootID, msgRootFixed)
	name := ch.str("name", true, 40)
	code := ch.code(s.orgCodeTaken, c.id)
	var parent field[string]
	if !fixed("parentId") {
		parent = ch.ref("parentId", true, "org_", s.orgExists)
		if parent.set() && s.isDescendant(parent.v, c.id) {
			parent.reject(ch, "parentId", msgParentCycle)
		}
	}
	var public field[bool]
	if !fixed("isPublic") {
		public = ch.boolean("isPublic", true)
	}
	var start, end field[string]
	if !fixed("startDate") {
		start = ch.date("startDate")
	}
	if !fixed("endDate") {
		end = ch.date("endDate")
	}
	if start.set() && end.set() && end.v < start.v {
		ch.fail("endDate", msgAfterOrEqual("endDate", "startDate"))
	}
	disc := ch.discussionUnless(fixed)
	desc := ch.str("description", false, 1000)
	if !ch.errs.Empty() {
		return ch.errs.unprocessable()
	}

	o := &r.o
	applySet(&o.Name, name)
	applyStr(&o.Code, code)
	if parent.set() {
		o.ParentID = strPtr(parent.v)
	}
	applySet(&o.IsPublic, public)
	// A cleared date takes the parent's, if the parent has one.
	if start.change() {
		o.StartDate = optStr(start)
		if start.null && o.ParentID != nil {
			o.StartDate = emukit.Clone(s.orgs[*o.ParentID].o.StartDate)
		}
	}
	if end.change() {
		o.EndDate = optStr(end)
		if end.null && o.ParentID != nil {
			o.EndDate = emukit.Clone(s.orgs[*o.ParentID].o.EndDate)
		}
	}
	applySet(&o.IsEnableDiscussion, disc)
	applyStr(&o.Description, desc)
	o.UpdatedAt = s.stamp()
	return emukit.JSON(http.StatusOK, map[string]any{"data": s.renderOrg(r)})
}

// DELETE /organizations/{organizationId}: the organizations below go too;
// their users and groups move to the deleted organization's parent (users
// as members, unless they already have a role there).
func (s *Server) deleteOrg(c *call) response {
	r := s.orgs[c.id]
	if r == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	if c.id == s.rootID {
		return unprocessable422("organizationId", "ルート組織は削除できません。")
	}
	parentID := *r.o.ParentID
	doomed := map[string]bool{}
	for id := range s.orgs {
		if s.isDescendant(id, c.id) {
			doomed[id] = true
		}
	}
	moved := map[string]bool{}
	for orgID := range doomed {
		for userID := range s.orgUsers[orgID] {
			s.removeOrgRole(orgID, userID)
			moved[userID] = true
		}
		delete(s.orgUsers, orgID)
	}
	for orgID := range doomed {
		delete(s.orgs, orgID)
	}
	for userID := range moved {
		if _, ok := s.userOrgs[userID][parentID]; !ok {
			s.setOrgRole(parentID, userID, roleMember)
		}
	}
	ts := s.stamp()
	for _, g := range s.groups {
		if doomed[g.g.OrganizationID] {
			g.g.OrganizationID = parentID
			g.g.UpdatedAt = ts
		}
	}
	return emukit.NoContent()
}
