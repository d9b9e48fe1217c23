package emulator

import (
	"crypto/rand"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// Id prefixes; each is followed by 20 lower-case alphanumerics.
const (
	prefixOrg       = "org_"
	prefixAccount   = "acc_"
	prefixPartition = "sp_"
	prefixTask      = "task_"
	idLength        = 20
)

// User statuses. Suspension is the separate Suspended flag.
const (
	StatusUninvited = "uninvited" // created, no invitation sent
	StatusInvited   = "invited"   // invited (POST /users/{account_id}/invite)
	StatusActive    = "active"    // signed in once; the emulator never gets there
)

// Roles of a user in a service partition.
const (
	RoleMember  = "member"
	RoleManager = "manager" // サービス責任者
)

// Organization is the credential's own organization.
type Organization struct {
	OrganizationID string  `json:"organization_id"`
	Name           string  `json:"name"`
	CustomerID     *string `json:"customer_id"`
	CreatedAt      string  `json:"created_at"`
	UpdatedAt      string  `json:"updated_at"`
}

// User is a user as the API encodes it; optional strings never set (or
// cleared) are null.
type User struct {
	AccountID           string   `json:"account_id"`
	OrganizationID      string   `json:"organization_id"`
	Email               string   `json:"email"`
	Name                string   `json:"name"`
	EmployeeNumber      *string  `json:"employee_number"`
	Department          *string  `json:"department"`
	Position            *string  `json:"position"`
	Status              string   `json:"status"`
	Suspended           bool     `json:"suspended"`
	AdminRoles          []string `json:"admin_roles"`
	ServicePartitionIDs []string `json:"service_partition_ids"`
	CreatedAt           string   `json:"created_at"`
	UpdatedAt           string   `json:"updated_at"`
}

// ServicePartition is a service partition (サービス区画) of the
// organization.
type ServicePartition struct {
	ServicePartitionID string  `json:"service_partition_id"`
	OrganizationID     string  `json:"organization_id"`
	Name               string  `json:"name"`
	Code               *string `json:"code"`
	Description        *string `json:"description"`
	UserCount          int     `json:"user_count"`
	CreatedAt          string  `json:"created_at"`
	UpdatedAt          string  `json:"updated_at"`
}

// PartitionUser is one row of GET /organizations/service_partition/users.
type PartitionUser struct {
	AccountID string `json:"account_id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	Suspended bool   `json:"suspended"`
	Role      string `json:"role"` // member or manager
}

// State is a deep copy of every organization's data, each slice sorted by
// id. PartitionUsers maps a partition id to its users' ids and roles.
type State struct {
	Organizations  []Organization
	Users          []User
	Partitions     []ServicePartition
	PartitionUsers map[string]map[string]string
	Tasks          []ImportTask
}

type orgState struct {
	org        Organization
	users      map[string]*userRec
	partitions map[string]*partitionRec
	members    map[string]map[string]string // partition → account → role
	tasks      map[string]*importTask
	// emails and numbers index the users by lower-case email and
	// employee_number, the unique keys.
	emails, numbers map[string]string
}

// index records (add) or forgets a user's unique keys.
func (o *orgState) index(u *User, add bool) {
	set := func(m map[string]string, k *string) {
		if k == nil {
			return
		}
		if add {
			m[strings.ToLower(*k)] = u.AccountID
		} else {
			delete(m, strings.ToLower(*k))
		}
	}
	set(o.emails, &u.Email)
	set(o.numbers, u.EmployeeNumber)
}

type userRec struct {
	u   User // AdminRoles is kept; ServicePartitionIDs is filled on render
	seq int64
}

type partitionRec struct {
	p   ServicePartition // UserCount is filled on render
	seq int64
}

// renderUser is u as the API answers it.
func (o *orgState) renderUser(rec *userRec) User {
	u := rec.u
	u.AdminRoles = append([]string{}, u.AdminRoles...)
	u.ServicePartitionIDs = []string{}
	for _, sp := range o.partitionsByAge() {
		if _, ok := o.members[sp.p.ServicePartitionID][u.AccountID]; ok {
			u.ServicePartitionIDs = append(u.ServicePartitionIDs, sp.p.ServicePartitionID)
		}
	}
	u.EmployeeNumber, u.Department, u.Position = clonePtr(u.EmployeeNumber), clonePtr(u.Department), clonePtr(u.Position)
	return u
}

func (o *orgState) renderPartition(rec *partitionRec) ServicePartition {
	p := rec.p
	p.UserCount = len(o.members[p.ServicePartitionID])
	p.Code, p.Description = clonePtr(p.Code), clonePtr(p.Description)
	return p
}

// usersByAge lists the users in creation order, the order of every list.
func (o *orgState) usersByAge() []*userRec {
	out := slices.Collect(maps.Values(o.users))
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (o *orgState) partitionsByAge() []*partitionRec {
	out := slices.Collect(maps.Values(o.partitions))
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// Dump returns a deep copy of the state of every organization.
func (s *Server) Dump() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{PartitionUsers: map[string]map[string]string{}}
	for _, o := range s.orgs {
		org := o.org
		org.CustomerID = clonePtr(org.CustomerID)
		st.Organizations = append(st.Organizations, org)
		for _, u := range o.users {
			st.Users = append(st.Users, o.renderUser(u))
		}
		for _, p := range o.partitions {
			st.Partitions = append(st.Partitions, o.renderPartition(p))
			st.PartitionUsers[p.p.ServicePartitionID] = maps.Clone(o.members[p.p.ServicePartitionID])
		}
		for _, t := range o.tasks {
			st.Tasks = append(st.Tasks, t.render())
		}
	}
	sort.Slice(st.Organizations, func(i, j int) bool { return st.Organizations[i].OrganizationID < st.Organizations[j].OrganizationID })
	sort.Slice(st.Users, func(i, j int) bool { return st.Users[i].AccountID < st.Users[j].AccountID })
	sort.Slice(st.Partitions, func(i, j int) bool {
		return st.Partitions[i].ServicePartitionID < st.Partitions[j].ServicePartitionID
	})
	sort.Slice(st.Tasks, func(i, j int) bool { return st.Tasks[i].TaskID < st.Tasks[j].TaskID })
	return st
}

func clonePtr(p *string) *string {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func (s *Server) nextSeq() int64 {
	s.seq++
	return s.seq
}

// stamp is the current time as the API writes it: RFC 3339 in UTC.
func (s *Server) stamp() string { return s.now().UTC().Format(time.RFC3339) }

const idChars = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomID returns n characters drawn uniformly from [a-z0-9].
func randomID(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n*2)
	for len(out) < n {
		_, _ = rand.Read(buf)
		for _, b := range buf {
			// 252 = 7 × 36: drop the bytes that would bias the draw.
			if b < 252 && len(out) < n {
				out = append(out, idChars[int(b)%len(idChars)])
			}
		}
	}
	return string(out)
}

// newID returns a fresh id with prefix, unique across the server.
func (s *Server) newID(prefix string) string {
	for {
		id := prefix + randomID(idLength)
		if !s.idTaken(id) {
			return id
		}
	}
}

func (s *Server) idTaken(id string) bool {
	if s.orgs[id] != nil {
		return true
	}
	for _, o := range s.orgs {
		if o.users[id] != nil || o.partitions[id] != nil || o.tasks[id] != nil {
			return true
		}
	}
	return false
}
