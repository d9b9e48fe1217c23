package emulator

import (
	"crypto/rand"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// User is a user of the tenant. Users are managed outside this API; the
// emulator keeps them so that a member can only be a user that exists and
// member lists can show email and name.
type User struct {
	ID    string `json:"user_id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// Org is an organization as stored. ParentID is "" at the top level;
// Description "" is no description (null on the wire).
type Org struct {
	ID          string
	Name        string
	DisplayName string
	Description string
	ParentID    string
	Metadata    map[string]any
	CreatedAt   int64 // Unix seconds
	UpdatedAt   int64
}

// Member is a user's membership of an organization.
type Member struct {
	UserID   string
	Role     string // admin or member
	JoinedAt int64
}

// Roles in an organization.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// State is a deep copy of the emulator's data, for assertions.
type State struct {
	Orgs  []Org  // by id
	Users []User // by id
	// Members holds each organization's members by user id (organizations
	// without members are absent).
	Members map[string][]Member
}

// AddUser adds a user to the tenant, or replaces the one with its id.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// State returns a deep copy of the state, ids and all.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Members: map[string][]Member{}}
	for _, id := range slices.Sorted(maps.Keys(s.orgs)) {
		o := *s.orgs[id]
		o.Metadata = cloneMetadata(o.Metadata)
		st.Orgs = append(st.Orgs, o)
	}
	for _, id := range slices.Sorted(maps.Keys(s.users)) {
		st.Users = append(st.Users, s.users[id])
	}
	for org, ms := range s.members {
		for _, uid := range slices.Sorted(maps.Keys(ms)) {
			st.Members[org] = append(st.Members[org], *ms[uid])
		}
	}
	return st
}

// Dump returns the state as canonical text, one sorted line per
// organization, membership and user, with no generated id and no
// timestamp: an organization is named by its name (unique in the tenant),
// its parent by the parent's name ("-" at the top level), a user by its
// user_id. The same source synced under any reading gives the same text.
//
//	org HQ parent=- display="本社" description="…" metadata={"code":"HQ","orgbridge_key":"本社"}
//	member HQ usr_1001 admin
//	user usr_1001 name="山田 太郎" email="taro.yamada@example.co.jp"
func (s *Server) Dump() string {
	return emukit.Dump(&s.mu, func(add func(string, ...any)) {
		for _, o := range s.orgs {
			parent := "-"
			if p := s.orgs[o.ParentID]; p != nil {
				parent = p.Name
			}
			meta := "{}"
			if len(o.Metadata) > 0 {
				b, _ := json.Marshal(o.Metadata) // map keys sorted
				meta = string(b)
			}
			add("org %s parent=%s display=%q description=%q metadata=%s",
				o.Name, parent, o.DisplayName, o.Description, meta)
			for uid, m := range s.members[o.ID] {
				add("member %s %s %s", o.Name, uid, m.Role)
			}
		}
		for _, u := range s.users {
			add("user %s name=%q email=%q", u.ID, u.Name, u.Email)
		}
	})
}

// cloneMetadata deep-copies decoded JSON through a round trip.
func cloneMetadata(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newOrgID returns "org_" and 12 random lower-case alphanumerics (the
// alphabet of the document's org_abc123), never one issued before.
func (s *Server) newOrgID() string {
	for {
		b := make([]byte, 12)
		_, _ = rand.Read(b) // crypto/rand.Read never fails
		for i := range b {
			b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
		}
		id := "org_" + string(b)
		if !s.issued[id] {
			s.issued[id] = true
			return id
		}
	}
}

// children returns the ids of the organizations directly under id (the top
// level for ""), sorted.
func (s *Server) children(id string) []string {
	var out []string
	for _, o := range s.orgs {
		if o.ParentID == id {
			out = append(out, o.ID)
		}
	}
	slices.Sort(out)
	return out
}

// isUnder reports whether org is id or one of its descendants.
func (s *Server) isUnder(org, id string) bool {
	for seen := 0; org != "" && seen <= len(s.orgs); seen++ {
		if org == id {
			return true
		}
		o := s.orgs[org]
		if o == nil {
			return false
		}
		org = o.ParentID
	}
	return false
}

// nameTaken returns the id of another organization with the name, compared
// case-insensitively.
func (s *Server) nameTaken(name, except string) string {
	for _, o := range s.orgs {
		if o.ID != except && strings.EqualFold(o.Name, name) {
			return o.ID
		}
	}
	return ""
}

// memberCount is the member_count of an organization: its direct members,
// or under member-count-inclusive the distinct members of it and of every
// organization below it.
func (s *Server) memberCount(id string) int {
	if !s.readings.Has(ReadingMemberCountInclusive) {
		return len(s.members[id])
	}
	users := map[string]bool{}
	for org, ms := range s.members {
		if s.isUnder(org, id) {
			for uid := range ms {
				users[uid] = true
			}
		}
	}
	return len(users)
}

// nullable renders "" as JSON null.
func nullable(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// orgHead is the fields every answer about an organization begins with
// (a list item, the detail, the create's answer); embedded, they are
// encoded in its place, first.
type orgHead struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	DisplayName string  `json:"display_name"`
	Description *string `json:"description"`
	ParentID    *string `json:"parent_id"`
}

func head(o *Org) orgHead {
	return orgHead{ID: o.ID, Name: o.Name, DisplayName: o.DisplayName, Description: nullable(o.Description), ParentID: nullable(o.ParentID)}
}

// orgItem is an organization in a list (the document's list example).
type orgItem struct {
	orgHead
	MemberCount int   `json:"member_count"`
	CreatedAt   int64 `json:"created_at"`
	UpdatedAt   int64 `json:"updated_at"`
}

func (s *Server) item(o *Org) orgItem {
	return orgItem{orgHead: head(o), MemberCount: s.memberCount(o.ID), CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

// orgTreeItem is a list item with its children nested (children-nested).
type orgTreeItem struct {
	orgItem
	Children []orgTreeItem `json:"children"`
}

func (s *Server) treeItem(o *Org) orgTreeItem {
	t := orgTreeItem{orgItem: s.item(o), Children: []orgTreeItem{}}
	for _, id := range s.children(o.ID) {
		t.Children = append(t.Children, s.treeItem(s.orgs[id]))
	}
	return t
}

// orgRef is a parent or a child in an organization's detail.
type orgRef struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
}

// orgDetail is the document's organization detail.
type orgDetail struct {
	orgHead
	Parent      *orgRef        `json:"parent"`
	Children    []orgRef       `json:"children"`
	MemberCount int            `json:"member_count"`
	Metadata    map[string]any `json:"metadata"`
	CreatedAt   int64          `json:"created_at"`
	UpdatedAt   int64          `json:"updated_at"`
}

func (s *Server) detail(o *Org) orgDetail {
	d := orgDetail{orgHead: head(o), Children: []orgRef{}, MemberCount: s.memberCount(o.ID),
		Metadata: cloneMetadata(o.Metadata), CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	if d.Metadata == nil {
		d.Metadata = map[string]any{}
	}
	if p := s.orgs[o.ParentID]; p != nil {
		d.Parent = &orgRef{ID: p.ID, Name: p.Name, DisplayName: p.DisplayName}
	}
	for _, id := range s.children(o.ID) {
		c := s.orgs[id]
		d.Children = append(d.Children, orgRef{ID: c.ID, Name: c.Name, DisplayName: c.DisplayName})
	}
	return d
}

// created is the document's create response.
type created struct {
	orgHead
	MemberCount int   `json:"member_count"`
	CreatedAt   int64 `json:"created_at"`
}

// node is one organization of a hierarchy.
type node struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	MemberCount int    `json:"member_count"`
	Children    []node `json:"children"`
}

// memberItem is a row of a member list.
type memberItem struct {
	UserID           string `json:"user_id"`
	Email            string `json:"email"`
	Name             string `json:"name"`
	OrganizationRole string `json:"organization_role"`
	JoinedAt         int64  `json:"joined_at"`
}

// memberRoleItem is a row of a member list under member-role-field.
type memberRoleItem struct {
	UserID   string `json:"user_id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	JoinedAt int64  `json:"joined_at"`
}

// memberAdded is the answer to adding a member.
type memberAdded struct {
	OrganizationID string `json:"organization_id"`
	UserID         string `json:"user_id"`
	Role           string `json:"role"`
	JoinedAt       int64  `json:"joined_at"`
}
