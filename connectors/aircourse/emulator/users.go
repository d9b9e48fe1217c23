package emulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

var (
	licenses  = []string{"free", "basic", "contents"}
	userRoles = []string{"read", "user", "manager", "admin"}
)

func (s *Server) orgExists(id string) bool  { return s.orgs[id] != nil }
func (s *Server) userExists(id string) bool { return s.users[id] != nil }

// taken reports whether a user other than self already has value in the
// index (mail or loginId, compared case-insensitively as a MySQL _ci
// collation would).
func taken(idx map[string]string, value, self string) bool {
	id, ok := idx[strings.ToLower(value)]
	return ok && id != self
}

// reindex moves a user's entry in idx from old to new.
func reindex(idx map[string]string, userID string, old, new *string) {
	if old != nil && idx[strings.ToLower(*old)] == userID {
		delete(idx, strings.ToLower(*old))
	}
	if new != nil {
		idx[strings.ToLower(*new)] = userID
	}
}

// GET /users
func (s *Server) listUsers(c *call) response {
	q := &query{c: c}
	statuses := q.multi("status", "1", "2", "3")
	if _, given := q.get("status"); !given && c.readings.Has(ReadingUsersActiveDefault) {
		statuses = map[string]bool{"1": true}
	}
	lics := q.multi("license", licenses...)
	ai, aiOK := q.one("hasAiKnowledgeLicense", "0", "1")
	name, nameOK := q.get("name")
	mailQ, mailOK := q.get("mail")
	login, loginOK := q.get("loginId")
	roles := q.multi("role", userRoles...)
	limit, pg := q.paging()
	var items []*userRec
	if q.errs.Empty() {
		for _, r := range s.sortedUsers() {
			u := &r.u
			switch {
			case statuses != nil && !statuses[strconv.Itoa(u.Status)],
				lics != nil && !lics[u.License],
				aiOK && strconv.Itoa(u.HasAiKnowledgeLicense) != ai,
				nameOK && !strings.Contains(strings.ToLower(u.Name), strings.ToLower(name)),
				mailOK && (u.Mail == nil || *u.Mail != mailQ), // 完全一致
				loginOK && (u.LoginID == nil || *u.LoginID != login),
				roles != nil && !roles[u.Role]:
				continue
			}
			items = append(items, r)
		}
	}
	return page(q, items, limit, pg, s.apiUser)
}

// GET /users/{userId}
func (s *Server) getUser(c *call) response {
	r := s.users[c.id]
	if r == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	return emukit.JSON(http.StatusOK, map[string]any{"data": s.apiUser(r)})
}

// POST /users
func (s *Server) createUser(c *call) response {
	ch := &checker{in: c.in}
	name := ch.str("name", true, 40)
	number := ch.str("userNumber", false, 40)
	mailF := ch.email("mail", 100)
	if mailF.set() && taken(s.mailIdx, mailF.v, "") {
		ch.fail("mail", msgUnique("mail"))
		mailF.ok = false
	}
	if !ch.given("mail") && !ch.given("loginId") {
		ch.fail("mail", msgRequiredWithout("mail", "loginId"))
	}
	login := ch.str("loginId", false, 100)
	if login.set() && taken(s.loginIdx, login.v, "") {
		ch.fail("loginId", msgUnique("loginId"))
		login.ok = false
	}
	if !ch.given("mail") && !ch.given("loginId") {
		ch.fail("loginId", msgRequiredWithout("loginId", "mail"))
	}
	password := ch.str("password", false, 100)
	slack := ch.str("slackMemberId", false, 15)
	license := ch.enum("license", true, licenses...)
	ai := ch.intEnum("hasAiKnowledgeLicense", false, 0, 1)
	role := ch.enum("role", true, userRoles...)
	memberOrgs := ch.array("memberOrganizationIds", false, ch.idElem("org_", s.orgExists))
	adminOrgs := ch.array("adminOrganizationIds", false, ch.idElem("org_", s.orgExists))
	department := ch.str("department", false, 100)
	position := ch.str("position", false, 100)
	gender := ch.intEnum("gender", true, 0, 1)
	birthday := ch.date("birthday")
	profile := ch.str("profile", false, 1000)
	pwLogin := ch.boolean("isEnabledPasswordLogin", s.samlPerUser)
	if !ch.errs.Empty() {
		return ch.errs.unprocessable()
	}

	wantAI := 0
	if ai.set() {
		wantAI = ai.v
	}
	ts := s.stamp()
	u := User{
		ID:                     newID("usr_", s.users),
		Name:                   name.v,
		UserNumber:             optStr(number),
		Mail:                   optStr(mailF),
		LoginID:                optStr(login),
		SlackMemberID:          optStr(slack),
		Status:                 statusActive,
		Notification:           []string{},
		License:                s.usableLicense(license.v, ""),
		HasAiKnowledgeLicense:  s.aiLicense(wantAI, ""),
		Role:                   role.v,
		Department:             optStr(department),
		Position:               optStr(position),
		Birthday:               optStr(birthday),
		Profile:                optStr(profile),
		IsEnabledPasswordLogin: pwLogin.v,
		CreatedAt:              ts,
		UpdatedAt:              ts,
	}
	if gender.set() {
		g := gender.v
		u.Gender = &g
	}
	rec := &userRec{u: u, password: password.v, seq: s.nextSeq()}
	generated := !password.set()
	if generated {
		rec.password = randomAlnum(8)
	}
	s.users[u.ID] = rec
	reindex(s.mailIdx, u.ID, nil, u.Mail)
	reindex(s.loginIdx, u.ID, nil, u.LoginID)
	members := memberOrgs.v
	if !memberOrgs.present {
		// The document: memberOrganizationIds 未指定の場合、ルート組織に所属します
		// (whatever adminOrganizationIds says).
		members = []string{s.rootID}
	}
	s.setMemberships(u.ID, members, adminOrgs.v)
	out := map[string]any{"data": s.apiUser(rec)}
	if generated {
		out["password"] = rec.password
	}
	return emukit.JSON(http.StatusOK, out)
}

// PUT or PATCH /users/{userId}
func (s *Server) updateUser(c *call) response {
	r := s.users[c.id]
	if r == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	ch := &checker{in: c.in, update: true}
	name := ch.str("name", true, 40)
	number := ch.str("userNumber", false, 40)
	mailF := ch.email("mail", 100)
	if mailF.set() && taken(s.mailIdx, mailF.v, r.u.ID) {
		ch.fail("mail", msgUnique("mail"))
		mailF.ok = false
	}
	login := ch.str("loginId", false, 100)
	if login.set() && taken(s.loginIdx, login.v, r.u.ID) {
		ch.fail("loginId", msgUnique("loginId"))
		login.ok = false
	}
	hasMail, hasLogin := r.u.Mail != nil, r.u.LoginID != nil
	if mailF.present {
		hasMail = !mailF.null
	}
	if login.present {
		hasLogin = !login.null
	}
	if !hasMail && !hasLogin {
		ch.fail("mail", msgRequiredWithout("mail", "loginId"))
		ch.fail("loginId", msgRequiredWithout("loginId", "mail"))
	}
	password := ch.str("password", false, 100)
	notification := ch.array("notification", false, ch.enumElem("mail", "slack"))
	slack := ch.str("slackMemberId", false, 15)
	suspended := ch.boolean("isSuspended", false)
	locked := ch.boolean("isAccountLocked", false)
	if locked.set() && locked.v {
		ch.fail("isAccountLocked", msgIn("isAccountLocked")) // only unlocking (false) is supported
	}
	license := ch.enum("license", true, licenses...)
	ai := ch.intEnum("hasAiKnowledgeLicense", false, 0, 1)
	role := ch.enum("role", true, userRoles...)
	memberOrgs := ch.array("memberOrganizationIds", false, ch.idElem("org_", s.orgExists))
	adminOrgs := ch.array("adminOrganizationIds", false, ch.idElem("org_", s.orgExists))
	department := ch.str("department", false, 100)
	position := ch.str("position", false, 100)
	gender := ch.intEnum("gender", true, 0, 1)
	birthday := ch.date("birthday")
	profile := ch.str("profile", false, 1000)
	pwLogin := ch.boolean("isEnabledPasswordLogin", false)
	if !ch.errs.Empty() {
		return ch.errs.unprocessable()
	}

	u := &r.u
	if name.set() {
		u.Name = name.v
	}
	applyStr(&u.UserNumber, number)
	oldMail, oldLogin := u.Mail, u.LoginID
	applyStr(&u.Mail, mailF)
	applyStr(&u.LoginID, login)
	reindex(s.mailIdx, u.ID, oldMail, u.Mail)
	reindex(s.loginIdx, u.ID, oldLogin, u.LoginID)
	if password.set() {
		r.password = password.v
	}
	if notification.set() {
		u.Notification = notification.v
	}
	applyStr(&u.SlackMemberID, slack)
	if suspended.set() {
		u.IsSuspended = suspended.v
		u.Status = statusActive
		if suspended.v {
			u.Status = statusSuspended
		}
	}
	if locked.set() {
		u.IsAccountLocked = false
	}
	if license.set() {
		u.License = s.usableLicense(license.v, u.ID)
	}
	if ai.set() {
		u.HasAiKnowledgeLicense = s.aiLicense(ai.v, u.ID)
	}
	if role.set() {
		u.Role = role.v
	}
	applyStr(&u.Department, department)
	applyStr(&u.Position, position)
	if gender.change() {
		if gender.null {
			u.Gender = nil
		} else {
			g := gender.v
			u.Gender = &g
		}
	}
	applyStr(&u.Birthday, birthday)
	applyStr(&u.Profile, profile)
	if pwLogin.set() {
		u.IsEnabledPasswordLogin = pwLogin.v
	}
	if memberOrgs.present || adminOrgs.present {
		cur := s.renderUser(r)
		members, admins := cur.MemberOrganizationIDs, cur.AdminOrganizationIDs
		if memberOrgs.present {
			members = memberOrgs.v
		}
		if adminOrgs.present {
			admins = adminOrgs.v
		}
		s.setMemberships(u.ID, members, admins)
	}
	u.UpdatedAt = s.stamp()
	return emukit.JSON(http.StatusOK, map[string]any{"data": s.apiUser(r)})
}

// apiUser is a user as the API answers it: renderUser, less the fields
// the readings leave out (ReadingUserOrgsAbsent, ReadingSuspensionAsStatus).
func (s *Server) apiUser(r *userRec) any {
	u := s.renderUser(r)
	orgs, suspended := !s.readings.Has(ReadingUserOrgsAbsent), !s.readings.Has(ReadingSuspensionAsStatus)
	if orgs && suspended {
		return u
	}
	b, err := json.Marshal(u)
	if err != nil {
		return u // a User always encodes
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return u
	}
	if !orgs {
		delete(m, "memberOrganizationIds")
		delete(m, "adminOrganizationIds")
	}
	if !suspended {
		delete(m, "isSuspended")
	}
	return m
}

// DELETE /users/{userId}
func (s *Server) deleteUser(c *call) response {
	r := s.users[c.id]
	if r == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	reindex(s.mailIdx, c.id, r.u.Mail, nil)
	reindex(s.loginIdx, c.id, r.u.LoginID, nil)
	for orgID := range s.userOrgs[c.id] {
		delete(s.orgUsers[orgID], c.id)
	}
	delete(s.userOrgs, c.id)
	for _, m := range s.groupUsers {
		delete(m, c.id)
	}
	delete(s.users, c.id)
	return emukit.NoContent()
}

// usableLicense is the licence a user (self; "" for a new one) gets when
// lic is asked for: lic itself, or "free" when the contract has no seat of
// it left (使用できないライセンスが指定された場合、フリーとして設定されます).
// A user keeps a licence it already holds.
func (s *Server) usableLicense(lic, self string) string {
	seats, bounded := s.licenseSeats[lic]
	if lic == "free" || !bounded {
		return lic
	}
	if r := s.users[self]; r != nil && r.u.License == lic {
		return lic
	}
	held := 0
	for id, r := range s.users {
		if id != self && r.u.License == lic {
			held++
		}
	}
	if held >= seats {
		return "free"
	}
	return lic
}

// aiLicense is the hasAiKnowledgeLicense a user (self; "" for a new one)
// gets when want is asked for: 1 only while an AI knowledge licence is free
// (or the user already holds one), else 0 (不足している状況で「割当済み」が
// 指定された場合、「なし」として設定されます).
func (s *Server) aiLicense(want int, self string) int {
	if want != 1 {
		return 0
	}
	if r := s.users[self]; r != nil && r.u.HasAiKnowledgeLicense == 1 {
		return 1
	}
	held := 0
	for id, r := range s.users {
		if id != self && r.u.HasAiKnowledgeLicense == 1 {
			held++
		}
	}
	if held >= s.aiSeats {
		return 0
	}
	return 1
}

// setMemberships replaces the user's organizations: admin of admins,
// member of the rest of members (an id in both is an admin); none at all
// makes it a member of the root organization (in none under
// ReadingEmptyListsNoOrg).
func (s *Server) setMemberships(userID string, members, admins []string) {
	for orgID := range s.userOrgs[userID] {
		s.removeOrgRole(orgID, userID)
	}
	for _, orgID := range admins {
		s.setOrgRole(orgID, userID, roleAdmin)
	}
	for _, orgID := range members {
		if s.userOrgs[userID][orgID] != roleAdmin {
			s.setOrgRole(orgID, userID, roleMember)
		}
	}
	s.ensureHome(userID)
}
