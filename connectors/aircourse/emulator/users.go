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
	name, mail, login := q.partial("name"), q.exact("mail"), q.exact("loginId")
	roles := q.multi("role", userRoles...)
	return listPage(q, s.sortedUsers, func(r *userRec) bool {
		u := &r.u
		switch {
		case statuses != nil && !statuses[strconv.Itoa(u.Status)],
			lics != nil && !lics[u.License],
			aiOK && strconv.Itoa(u.HasAiKnowledgeLicense) != ai,
			!name(u.Name), !mail(u.Mail), !login(u.LoginID),
			roles != nil && !roles[u.Role]:
			return false
		}
		return true
	}, s.apiUser)
}

// GET /users/{userId}
func (s *Server) getUser(c *call) response { return getOne(s.users[c.id], s.apiUser) }

// POST /users
func (s *Server) createUser(c *call) response {
	ch := &checker{in: c.in}
	name := ch.str("name", true, 40)
	number := ch.str("userNumber", false, 40)
	mailF := ch.email("mail", 100)
	unique(ch, "mail", &mailF, s.mailIdx, "")
	if !ch.given("mail") && !ch.given("loginId") {
		ch.fail("mail", msgRequiredWithout("mail", "loginId"))
	}
	login := ch.str("loginId", false, 100)
	unique(ch, "loginId", &login, s.loginIdx, "")
	if !ch.given("mail") && !ch.given("loginId") {
		ch.fail("loginId", msgRequiredWithout("loginId", "mail"))
	}
	password := ch.str("password", false, 100)
	slack := ch.str("slackMemberId", false, 15)
	f := s.checkUserFields(ch, s.samlPerUser)
	if !ch.errs.Empty() {
		return ch.errs.unprocessable()
	}

	wantAI := 0
	if f.ai.set() {
		wantAI = f.ai.v
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
		License:                s.usableLicense(f.license.v, ""),
		HasAiKnowledgeLicense:  s.aiLicense(wantAI, ""),
		Role:                   f.role.v,
		Department:             optStr(f.department),
		Position:               optStr(f.position),
		Birthday:               optStr(f.birthday),
		Profile:                optStr(f.profile),
		IsEnabledPasswordLogin: f.pwLogin.v,
		CreatedAt:              ts,
		UpdatedAt:              ts,
	}
	if f.gender.set() {
		g := f.gender.v
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
	members := f.memberOrgs.v
	if !f.memberOrgs.present {
		// The document: memberOrganizationIds 未指定の場合、ルート組織に所属します
		// (whatever adminOrganizationIds says).
		members = []string{s.rootID}
	}
	s.setMemberships(u.ID, members, f.adminOrgs.v)
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
	unique(ch, "mail", &mailF, s.mailIdx, r.u.ID)
	login := ch.str("loginId", false, 100)
	unique(ch, "loginId", &login, s.loginIdx, r.u.ID)
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
	f := s.checkUserFields(ch, false)
	if !ch.errs.Empty() {
		return ch.errs.unprocessable()
	}

	u := &r.u
	applySet(&u.Name, name)
	applyStr(&u.UserNumber, number)
	oldMail, oldLogin := u.Mail, u.LoginID
	applyStr(&u.Mail, mailF)
	applyStr(&u.LoginID, login)
	reindex(s.mailIdx, u.ID, oldMail, u.Mail)
	reindex(s.loginIdx, u.ID, oldLogin, u.LoginID)
	applySet(&r.password, password)
	applySet(&u.Notification, notification)
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
	if f.license.set() {
		u.License = s.usableLicense(f.license.v, u.ID)
	}
	if f.ai.set() {
		u.HasAiKnowledgeLicense = s.aiLicense(f.ai.v, u.ID)
	}
	applySet(&u.Role, f.role)
	applyStr(&u.Department, f.department)
	applyStr(&u.Position, f.position)
	if f.gender.change() {
		if f.gender.null {
			u.Gender = nil
		} else {
			g := f.gender.v
			u.Gender = &g
		}
	}
	applyStr(&u.Birthday, f.birthday)
	applyStr(&u.Profile, f.profile)
	applySet(&u.IsEnabledPasswordLogin, f.pwLogin)
	if f.memberOrgs.present || f.adminOrgs.present {
		cur := s.renderUser(r)
		members, admins := cur.MemberOrganizationIDs, cur.AdminOrganizationIDs
		if f.memberOrgs.present {
			members = f.memberOrgs.v
		}
		if f.adminOrgs.present {
			admins = f.adminOrgs.v
		}
		s.setMemberships(u.ID, members, admins)
	}
	u.UpdatedAt = s.stamp()
	return emukit.JSON(http.StatusOK, map[string]any{"data": s.apiUser(r)})
}

// userFields are the fields a user's create and update check alike, after
// the sign-in ones and in the document's order (which is the errors').
type userFields struct {
	license, role, department, position, birthday, profile field[string]
	ai, gender                                             field[int]
	memberOrgs, adminOrgs                                  field[[]string]
	pwLogin                                                field[bool]
}

// checkUserFields checks userFields; isEnabledPasswordLogin is required
// when pwLoginRequired (a create under SAMLPerUserPasswordLogin).
func (s *Server) checkUserFields(ch *checker, pwLoginRequired bool) userFields {
	var f userFields
	f.license = ch.enum("license", true, licenses...)
	f.ai = ch.intEnum("hasAiKnowledgeLicense", false, 0, 1)
	f.role = ch.enum("role", true, userRoles...)
	f.memberOrgs = ch.array("memberOrganizationIds", false, ch.idElem("org_", s.orgExists))
	f.adminOrgs = ch.array("adminOrganizationIds", false, ch.idElem("org_", s.orgExists))
	f.department = ch.str("department", false, 100)
	f.position = ch.str("position", false, 100)
	f.gender = ch.intEnum("gender", true, 0, 1)
	f.birthday = ch.date("birthday")
	f.profile = ch.str("profile", false, 1000)
	f.pwLogin = ch.boolean("isEnabledPasswordLogin", pwLoginRequired)
	return f
}

// unique fails key when its value is another user's than self's in idx
// (the mail or loginId index), and takes the value out of the write.
func unique(ch *checker, key string, f *field[string], idx map[string]string, self string) {
	if f.set() && taken(idx, f.v, self) {
		f.reject(ch, key, msgUnique(key))
	}
}

// apiUser is a user as the API answers it: renderUser, less the fields
// the readings leave out (ReadingUserOrgsAbsent, ReadingSuspensionAsStatus).
func (s *Server) apiUser(r *userRec) any {
	u := s.userView(r) // encoded under the lock: see userView
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
