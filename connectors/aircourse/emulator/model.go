package emulator

import (
	"cmp"
	"crypto/rand"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// User is an AirCourse user as the API encodes it. Optional strings that were
// never set (or were cleared with "" or null) are null on the wire.
type User struct {
	ID                     string   `json:"id"`
	Name                   string   `json:"name"`
	UserNumber             *string  `json:"userNumber"`
	Mail                   *string  `json:"mail"`
	LoginID                *string  `json:"loginId"`
	SlackMemberID          *string  `json:"slackMemberId"`
	Status                 int      `json:"status"`
	IsSuspended            bool     `json:"isSuspended"`
	IsAccountLocked        bool     `json:"isAccountLocked"`
	Notification           []string `json:"notification"`
	License                string   `json:"license"`
	HasAiKnowledgeLicense  int      `json:"hasAiKnowledgeLicense"`
	Role                   string   `json:"role"`
	MemberOrganizationIDs  []string `json:"memberOrganizationIds"`
	AdminOrganizationIDs   []string `json:"adminOrganizationIds"`
	Department             *string  `json:"department"`
	Position               *string  `json:"position"`
	Gender                 *int     `json:"gender"`
	Birthday               *string  `json:"birthday"`
	Profile                *string  `json:"profile"`
	IsEnabledPasswordLogin bool     `json:"isEnabledPasswordLogin"`
	CreatedAt              string   `json:"createdAt"`
	UpdatedAt              string   `json:"updatedAt"`
}

// Org is an AirCourse organization as the API encodes it. ParentID is null
// only for the root organization.
type Org struct {
	ID                 string   `json:"id"`
	Name               string   `json:"name"`
	Code               *string  `json:"code"`
	ParentID           *string  `json:"parentId"`
	AdminUserIDs       []string `json:"adminUserIds"`
	IsPublic           bool     `json:"isPublic"`
	StartDate          *string  `json:"startDate"`
	EndDate            *string  `json:"endDate"`
	IsEnableDiscussion bool     `json:"isEnableDiscussion"`
	Description        *string  `json:"description"`
	CreatedAt          string   `json:"createdAt"`
	UpdatedAt          string   `json:"updatedAt"`
}

// Group is an AirCourse group as the API encodes it.
type Group struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	Code               *string `json:"code"`
	OrganizationID     string  `json:"organizationId"`
	IsViewableMember   bool    `json:"isViewableMember"`
	IsEnableDiscussion bool    `json:"isEnableDiscussion"`
	Description        *string `json:"description"`
	CreatedAt          string  `json:"createdAt"`
	UpdatedAt          string  `json:"updatedAt"`
}

// Member is one row of GET /organizations/{id}/users and
// GET /groups/{id}/users: the user's id, name, loginId, mail and its role
// (member or admin) in that organization or group.
type Member struct {
	ID      string  `json:"id"`
	Name    string  `json:"name"`
	LoginID *string `json:"loginId"`
	Mail    *string `json:"mail"`
	Role    string  `json:"role"`
}

// State is a deep copy of the emulator's data, every slice sorted by id.
// Users carry their derived organization lists, Orgs their adminUserIds.
// GroupMembers maps a group id to its members' ids and roles; the everyone
// group lists every user as a member.
type State struct {
	Users        []User
	Orgs         []Org
	Groups       []Group
	GroupMembers map[string]map[string]string
}

// Roles in an organization or group.
const (
	roleMember = "member"
	roleAdmin  = "admin"
)

// User statuses.
const (
	statusActive    = 1 // 使用中
	statusSuspended = 2 // 利用停止
)

type userRec struct {
	u        User // derived fields (organization lists) are filled on render
	password string
	seq      int64
}

type orgRec struct {
	o   Org // AdminUserIDs is filled on render
	seq int64
}

type groupRec struct {
	g   Group
	seq int64
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomAlnum returns n characters drawn uniformly from [A-Za-z0-9].
func randomAlnum(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n*2)
	for len(out) < n {
		_, _ = rand.Read(buf) // crypto/rand.Read never fails
		for _, b := range buf {
			if int(b) >= 256-256%len(alnum) { // reject to stay uniform
				continue
			}
			out = append(out, alnum[int(b)%len(alnum)])
			if len(out) == n {
				break
			}
		}
	}
	return string(out)
}

// newID returns prefix + 16 random alphanumerics not yet used in taken.
func newID[T any](prefix string, taken map[string]T) string {
	for {
		id := prefix + randomAlnum(16)
		if _, dup := taken[id]; !dup {
			return id
		}
	}
}

func (s *Server) nextSeq() int64 {
	s.seq++
	return s.seq
}

func (s *Server) stamp() string {
	return s.kit.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
}

// setOrgRole records userID in orgID with role, keeping both indexes.
func (s *Server) setOrgRole(orgID, userID, role string) {
	if s.orgUsers[orgID] == nil {
		s.orgUsers[orgID] = map[string]string{}
	}
	if s.userOrgs[userID] == nil {
		s.userOrgs[userID] = map[string]string{}
	}
	s.orgUsers[orgID][userID] = role
	s.userOrgs[userID][orgID] = role
}

func (s *Server) removeOrgRole(orgID, userID string) {
	delete(s.orgUsers[orgID], userID)
	delete(s.userOrgs[userID], orgID)
}

// ensureHome makes a user that belongs to no organization a member of the
// root organization; under ReadingEmptyListsNoOrg it leaves it in none.
func (s *Server) ensureHome(userID string) {
	if len(s.userOrgs[userID]) == 0 && !s.readings.Has(ReadingEmptyListsNoOrg) {
		s.setOrgRole(s.rootID, userID, roleMember)
	}
}

// sortedUsers are the users in creation order, shared: read, never
// changed. A user's fields change in place; its place only when users
// are added (seq moves on) or removed (their count drops).
func (s *Server) sortedUsers() []*userRec {
	c := &s.usersByAge
	if c.recs == nil || c.n != len(s.users) || c.seq != s.seq {
		c.recs = emukit.ByAge(s.users, func(r *userRec) int64 { return r.seq })
		c.n, c.seq = len(s.users), s.seq
	}
	return c.recs
}

func (s *Server) sortedOrgs() []*orgRec {
	return emukit.ByAge(s.orgs, func(r *orgRec) int64 { return r.seq })
}

func (s *Server) sortedGroups() []*groupRec {
	return emukit.ByAge(s.groups, func(r *groupRec) int64 { return r.seq })
}

// renderUser returns a deep copy of the user with its organization lists,
// each in the organizations' creation order.
func (s *Server) renderUser(r *userRec) User {
	u := s.userView(r)
	u.UserNumber = emukit.Clone(u.UserNumber)
	u.Mail = emukit.Clone(u.Mail)
	u.LoginID = emukit.Clone(u.LoginID)
	u.SlackMemberID = emukit.Clone(u.SlackMemberID)
	u.Department = emukit.Clone(u.Department)
	u.Position = emukit.Clone(u.Position)
	u.Birthday = emukit.Clone(u.Birthday)
	u.Profile = emukit.Clone(u.Profile)
	if u.Gender != nil {
		g := *u.Gender
		u.Gender = &g
	}
	u.Notification = append([]string{}, u.Notification...)
	return u
}

// userView is the user with its organization lists, each in the
// organizations' creation order, sharing the record's optional fields:
// what an answer encodes while it holds the server's lock (the kit
// encodes under it), which no write can change before it is sent. A list
// page renders a thousand users, and copying each of their fields was
// much of the garbage a million-user list left to the collector.
func (s *Server) userView(r *userRec) User {
	u := r.u
	type ref struct {
		id  string
		seq int64
	}
	var buf [4]ref // most users are in an organization or two
	refs := buf[:0]
	nAdmin := 0
	for orgID, role := range s.userOrgs[u.ID] {
		o := s.orgs[orgID]
		if o == nil {
			continue
		}
		if role == roleAdmin {
			nAdmin++
		}
		refs = append(refs, ref{orgID, o.seq})
	}
	if len(refs) > 1 {
		slices.SortFunc(refs, func(a, b ref) int { return cmp.Compare(a.seq, b.seq) })
	}
	u.MemberOrganizationIDs = make([]string, 0, len(refs)-nAdmin)
	u.AdminOrganizationIDs = make([]string, 0, nAdmin)
	for _, ref := range refs {
		if s.userOrgs[u.ID][ref.id] == roleAdmin {
			u.AdminOrganizationIDs = append(u.AdminOrganizationIDs, ref.id)
		} else {
			u.MemberOrganizationIDs = append(u.MemberOrganizationIDs, ref.id)
		}
	}
	return u
}

// renderOrg returns a deep copy of the organization with its adminUserIds in
// the users' creation order.
func (s *Server) renderOrg(r *orgRec) Org {
	o := r.o
	o.Code = emukit.Clone(o.Code)
	o.ParentID = emukit.Clone(o.ParentID)
	o.StartDate = emukit.Clone(o.StartDate)
	o.EndDate = emukit.Clone(o.EndDate)
	o.Description = emukit.Clone(o.Description)
	var admins []*userRec
	for userID, role := range s.orgUsers[o.ID] {
		if role == roleAdmin && s.users[userID] != nil {
			admins = append(admins, s.users[userID])
		}
	}
	sort.Slice(admins, func(i, j int) bool { return admins[i].seq < admins[j].seq })
	o.AdminUserIDs = make([]string, 0, len(admins))
	for _, u := range admins {
		o.AdminUserIDs = append(o.AdminUserIDs, u.u.ID)
	}
	return o
}

func renderGroup(r *groupRec) Group {
	g := r.g
	g.Code = emukit.Clone(g.Code)
	g.Description = emukit.Clone(g.Description)
	return g
}

// members lists the users of an organization or group (roles by user id) in
// the users' creation order.
func (s *Server) members(roles map[string]string) []Member {
	var recs []*userRec
	for userID := range roles {
		if u := s.users[userID]; u != nil {
			recs = append(recs, u)
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].seq < recs[j].seq })
	out := make([]Member, 0, len(recs))
	for _, u := range recs {
		out = append(out, Member{
			ID:      u.u.ID,
			Name:    u.u.Name,
			LoginID: emukit.Clone(u.u.LoginID),
			Mail:    emukit.Clone(u.u.Mail),
			Role:    roles[u.u.ID],
		})
	}
	return out
}

// groupRoles returns the members of a group; the everyone group holds every
// user as a member.
func (s *Server) groupRoles(groupID string) map[string]string {
	if groupID == s.everyoneID {
		all := make(map[string]string, len(s.users))
		for id := range s.users {
			all[id] = roleMember
		}
		return all
	}
	return s.groupUsers[groupID]
}

// isDescendant reports whether orgID is ancestorID or lies below it.
func (s *Server) isDescendant(orgID, ancestorID string) bool {
	for seen := 0; orgID != "" && seen <= len(s.orgs); seen++ {
		if orgID == ancestorID {
			return true
		}
		o := s.orgs[orgID]
		if o == nil || o.o.ParentID == nil {
			return false
		}
		orgID = *o.o.ParentID
	}
	return false
}

// State returns a deep copy of the whole state, ids and all, sorted by id.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{
		Users:        make([]User, 0, len(s.users)),
		Orgs:         make([]Org, 0, len(s.orgs)),
		Groups:       make([]Group, 0, len(s.groups)),
		GroupMembers: make(map[string]map[string]string, len(s.groups)),
	}
	for _, u := range s.users {
		st.Users = append(st.Users, s.renderUser(u))
	}
	for _, o := range s.orgs {
		st.Orgs = append(st.Orgs, s.renderOrg(o))
	}
	for _, g := range s.groups {
		st.Groups = append(st.Groups, renderGroup(g))
		m := map[string]string{}
		for userID, role := range s.groupRoles(g.g.ID) {
			m[userID] = role
		}
		st.GroupMembers[g.g.ID] = m
	}
	sort.Slice(st.Users, func(i, j int) bool { return st.Users[i].ID < st.Users[j].ID })
	sort.Slice(st.Orgs, func(i, j int) bool { return st.Orgs[i].ID < st.Orgs[j].ID })
	sort.Slice(st.Groups, func(i, j int) bool { return st.Groups[i].ID < st.Groups[j].ID })
	return st
}

func strPtr(v string) *string { return &v }

// Dump returns the state as canonical text: one line per organization,
// user, group and membership, sorted, with no generated id and no
// timestamp. An organization is named by the path of names from the top
// ("本社/営業部"; the root is "(root)"), a user by its loginId (else its
// mail), a group by its name. The tenant's own objects are left out: the
// root organization (except as a parent or a membership), the everyone
// group, and the global administrator seeded under ReadingAdminsRequired
// with its memberships (a client names it as the admin of the
// organizations it creates, only under that reading). So the same source
// synced under any reading gives the same text.
//
//	org 本社/営業部 code="SALES" public=true discussion=false start=- end=- description="営業部"
//	user e1002 name="佐藤 花子" mail="hanako.sato@example.co.jp" status=1 suspended=false role=user license=basic …
//	org-member 本社/営業部 e1002 admin
//	group 新人研修 org=(root) code=- viewable=true discussion=false description=-
//	group-member 新人研修 e1004 member
func (s *Server) Dump() string {
	return emukit.Dump(&s.mu, func(add func(string, ...any)) {
		orgName := func(id string) string { return s.orgPath(id) }
		userName := func(r *userRec) string {
			switch {
			case r.u.LoginID != nil:
				return *r.u.LoginID
			case r.u.Mail != nil:
				return *r.u.Mail
			}
			return r.u.Name
		}
		for id, r := range s.orgs {
			if id == s.rootID {
				continue
			}
			o := r.o
			add("org %s code=%s public=%t discussion=%t start=%s end=%s description=%s",
				orgName(id), optText(o.Code), o.IsPublic, o.IsEnableDiscussion, optText(o.StartDate), optText(o.EndDate), optText(o.Description))
		}
		for id, r := range s.users {
			if id == s.tenantAdminID {
				continue
			}
			u := r.u
			gender := "-"
			if u.Gender != nil {
				gender = strconv.Itoa(*u.Gender)
			}
			add("user %s name=%q mail=%s loginId=%s status=%d suspended=%t locked=%t role=%s license=%s ai=%d"+
				" number=%s department=%s position=%s gender=%s birthday=%s profile=%s slack=%s notification=%s passwordLogin=%t",
				userName(r), u.Name, optText(u.Mail), optText(u.LoginID), u.Status, u.IsSuspended, u.IsAccountLocked, u.Role, u.License,
				u.HasAiKnowledgeLicense, optText(u.UserNumber), optText(u.Department), optText(u.Position), gender,
				optText(u.Birthday), optText(u.Profile), optText(u.SlackMemberID), strings.Join(slices.Sorted(slices.Values(u.Notification)), ","),
				u.IsEnabledPasswordLogin)
			for orgID, role := range s.userOrgs[id] {
				add("org-member %s %s %s", orgName(orgID), userName(r), role)
			}
		}
		for id, r := range s.groups {
			if id == s.everyoneID {
				continue
			}
			g := r.g
			add("group %s org=%s code=%s viewable=%t discussion=%t description=%s",
				g.Name, orgName(g.OrganizationID), optText(g.Code), g.IsViewableMember, g.IsEnableDiscussion, optText(g.Description))
			for userID, role := range s.groupUsers[id] {
				if u := s.users[userID]; u != nil && userID != s.tenantAdminID {
					add("group-member %s %s %s", g.Name, userName(u), role)
				}
			}
		}
	})
}

// orgPath names an organization by the names from the top, without the
// root ("本社/営業部"); the root itself is "(root)".
func (s *Server) orgPath(id string) string {
	var names []string
	for seen := 0; seen <= len(s.orgs); seen++ {
		r := s.orgs[id]
		if r == nil {
			return "(gone)"
		}
		if r.o.ParentID == nil {
			break
		}
		names = append(names, r.o.Name)
		id = *r.o.ParentID
	}
	if len(names) == 0 {
		return "(root)"
	}
	slices.Reverse(names)
	return strings.Join(names, "/")
}

// optText renders an optional string for Dump: "-" when unset, else quoted.
func optText(p *string) string {
	if p == nil {
		return "-"
	}
	return strconv.Quote(*p)
}
