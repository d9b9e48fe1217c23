package emulator

import (
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orgbridge/orgbridge/internal/emukit"
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
// id. PartitionUsers maps a partition id to its users' ids and roles. Dump
// is its canonical text.
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
	// removed: removed under ReadingUsersListRemoved, kept with status
	// "removed" (in default reading a removed user is deleted).
	removed bool
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
	u.EmployeeNumber, u.Department, u.Position = emukit.Clone(u.EmployeeNumber), emukit.Clone(u.Department), emukit.Clone(u.Position)
	return u
}

func (o *orgState) renderPartition(rec *partitionRec) ServicePartition {
	p := rec.p
	p.UserCount = len(o.members[p.ServicePartitionID])
	p.Code, p.Description = emukit.Clone(p.Code), emukit.Clone(p.Description)
	return p
}

// usersByAge lists the users in creation order, the order of every list.
func (o *orgState) usersByAge() []*userRec {
	return emukit.ByAge(o.users, func(r *userRec) int64 { return r.seq })
}

func (o *orgState) partitionsByAge() []*partitionRec {
	return emukit.ByAge(o.partitions, func(r *partitionRec) int64 { return r.seq })
}

// State returns a deep copy of the state of every organization (a user
// removed under ReadingUsersListRemoved included, with status "removed").
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{PartitionUsers: map[string]map[string]string{}}
	for _, o := range s.orgs {
		org := o.org
		org.CustomerID = emukit.Clone(org.CustomerID)
		st.Organizations = append(st.Organizations, org)
		for _, u := range o.users {
			ru := o.renderUser(u)
			if u.removed {
				ru.Status = StatusRemoved
			}
			st.Users = append(st.Users, ru)
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

// Dump returns the state as canonical text: one line per organization,
// user, partition and partition member, sorted, with no generated id or
// time. Objects are named by organization name, user email and partition
// name; a user's invitation status and its suspension are two fields
// whatever reading renders them, and removed users are left out, so that
// the same requests give the same Dump under every reading:
//
//	org "デモ株式会社"
//	user "デモ株式会社" taro@example.co.jp name="山田 太郎" employee_number="1001" department="本社" position=null status=uninvited suspended=false admin_roles=organization_admin
//	partition "デモ株式会社" "新人研修" code=null description=null
//	member "デモ株式会社" "新人研修" kenta@example.co.jp member
func (s *Server) Dump() string {
	return emukit.Dump(&s.mu, func(add func(string, ...any)) {
		for _, o := range s.orgs {
			org := strconv.Quote(o.org.Name)
			add("org %s", org)
			email := map[string]string{}
			for id, rec := range o.users {
				if rec.removed {
					continue
				}
				u := rec.u
				email[id] = u.Email
				roles := slices.Sorted(slices.Values(u.AdminRoles))
				rs := strings.Join(roles, ",")
				if rs == "" {
					rs = "-"
				}
				add("user %s %s name=%q employee_number=%s department=%s position=%s status=%s suspended=%t admin_roles=%s",
					org, u.Email, u.Name, emukit.QuoteOrNull(u.EmployeeNumber), emukit.QuoteOrNull(u.Department), emukit.QuoteOrNull(u.Position), u.Status, u.Suspended, rs)
			}
			for id, p := range o.partitions {
				add("partition %s %q code=%s description=%s", org, p.p.Name, emukit.QuoteOrNull(p.p.Code), emukit.QuoteOrNull(p.p.Description))
				for acc, role := range o.members[id] {
					add("member %s %q %s %s", org, p.p.Name, email[acc], role)
				}
			}
		}
	})
}

// SetAdminRoles gives a user exactly the admin roles (any names: a role
// given by hand in pcaid's console), for tests of what orgbridge keeps. It
// reports whether the user exists.
func (s *Server) SetAdminRoles(accountID string, roles ...string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orgs {
		if rec := o.users[accountID]; rec != nil && !rec.removed {
			rec.u.AdminRoles = slices.Clone(roles)
			if rec.u.AdminRoles == nil {
				rec.u.AdminRoles = []string{}
			}
			return true
		}
	}
	return false
}

// SetPartitionMember puts a user in a partition with a role (RoleMember or
// RoleManager; "" takes it out), as a change made by hand in pcaid's
// console would. It reports whether both exist in one organization.
func (s *Server) SetPartitionMember(partitionID, accountID, role string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orgs {
		rec, p := o.users[accountID], o.partitions[partitionID]
		if rec == nil || rec.removed || p == nil {
			continue
		}
		if role == "" {
			delete(o.members[partitionID], accountID)
		} else {
			o.members[partitionID][accountID] = role
		}
		return true
	}
	return false
}

func (s *Server) nextSeq() int64 {
	s.seq++
	return s.seq
}

// stamp is the current time as the API writes it: RFC 3339 in UTC.
func (s *Server) stamp() string { return s.kit.Now().UTC().Format(time.RFC3339) }

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

// newID returns a fresh id with prefix, unique across the server; under
// ReadingIDsUUID a random UUID, with no prefix.
func (s *Server) newID(prefix string) string {
	for {
		id := prefix + randomID(idLength)
		if s.readings.Has(ReadingIDsUUID) {
			id = newUUID()
		}
		if !s.idTaken(id) {
			return id
		}
	}
}

// newUUID returns a random (version 4) UUID, lower-case.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
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
