package emulator

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// Org is an organization as the API serves it: the document's Organization.
type Org struct {
	ID              string  `json:"id"`
	CreatedBy       string  `json:"created_by"`
	CreatedAt       string  `json:"created_at"`
	UpdatedAt       string  `json:"updated_at"`
	Logo            *string `json:"logo"`
	Name            string  `json:"name"`
	ManagementEmail string  `json:"management_email"`
	CustomerID      *string `json:"customer_id"`
}

// Roles of a user in an organization. The creator of an organization is its
// admin; PUT and DELETE need the admin role.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// State is a deep copy of the emulator's data, for assertions (Dump is its
// canonical text).
type State struct {
	// Orgs in creation order.
	Orgs []Org
	// Members maps organization id → user id → role.
	Members map[string]map[string]string
}

type orgRec struct {
	seq int64
	o   Org
}

func (s *Server) nextSeq() int64 {
	s.seq++
	return s.seq
}

// timeFormat is the document's: "2024-01-01T00:00:00Z", UTC, whole seconds.
const timeFormat = "2006-01-02T15:04:05Z"

func stamp(t time.Time) string { return t.UTC().Format(timeFormat) }

// newUUID returns a random (version 4) UUID, lower-case, as Capgo's ids are.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newOrg stores a new organization created by userID, who becomes its admin.
// Called with s.mu held.
func (s *Server) newOrg(userID, name string, now time.Time) *orgRec {
	id := newUUID()
	for s.orgs[id] != nil {
		id = newUUID()
	}
	ts := stamp(now)
	rec := &orgRec{seq: s.nextSeq(), o: Org{
		ID:              id,
		CreatedBy:       userID,
		CreatedAt:       ts,
		UpdatedAt:       ts,
		Name:            name,
		ManagementEmail: s.users[userID],
	}}
	if s.readings.Has(ReadingNewOrgEmailEmpty) {
		rec.o.ManagementEmail = ""
	}
	s.orgs[id] = rec
	s.members[id] = map[string]string{userID: RoleAdmin}
	return rec
}

// AddOrg creates an organization as if the user ownerID had created it
// earlier (a pre-existing organization, for tests and fixtures) and returns
// it. The owner must have been registered with AddAPIKey; AddOrg panics
// otherwise.
func (s *Server) AddOrg(ownerID, name string) Org {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[ownerID]; !ok {
		panic("emulator: AddOrg: unknown owner " + ownerID + " (register a key for it with AddAPIKey)")
	}
	return cloneOrg(s.newOrg(ownerID, name, s.kit.Now()).o)
}

// SetRole gives userID the role (RoleAdmin or RoleMember) in the
// organization orgID; an empty role removes the user from it. It reports
// whether the organization exists.
func (s *Server) SetRole(orgID, userID, role string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.members[orgID]
	if m == nil {
		return false
	}
	if role == "" {
		delete(m, userID)
	} else {
		m[userID] = role
	}
	return true
}

// SetManagementEmail sets an organization's management_email as a change
// made by hand in Capgo would (for tests of what orgbridge does with it).
// It reports whether the organization exists.
func (s *Server) SetManagementEmail(orgID, email string) bool {
	return s.editOrg(orgID, func(o *Org) { o.ManagementEmail = email })
}

// SetLogo sets an organization's logo as a change made by hand in Capgo
// would ("" is null), for tests of what orgbridge keeps. It reports
// whether the organization exists.
func (s *Server) SetLogo(orgID, logo string) bool {
	return s.editOrg(orgID, func(o *Org) {
		o.Logo = nil
		if logo != "" {
			o.Logo = &logo
		}
	})
}

// editOrg makes a change by hand (edit) to the organization orgID, under
// the lock; it reports whether the organization exists.
func (s *Server) editOrg(orgID string, edit func(*Org)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.orgs[orgID]
	if rec == nil {
		return false
	}
	edit(&rec.o)
	return true
}

// State returns a deep copy of the state.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Members: make(map[string]map[string]string, len(s.members))}
	for _, rec := range s.sortedOrgs() {
		st.Orgs = append(st.Orgs, cloneOrg(rec.o))
	}
	for org, m := range s.members {
		c := make(map[string]string, len(m))
		for u, r := range m {
			c[u] = r
		}
		st.Members[org] = c
	}
	return st
}

func (s *Server) sortedOrgs() []*orgRec {
	return emukit.ByAge(s.orgs, func(r *orgRec) int64 { return r.seq })
}

func cloneOrg(o Org) Org {
	o.Logo = emukit.Clone(o.Logo)
	o.CustomerID = emukit.Clone(o.CustomerID)
	return o
}

// Dump returns the state as canonical text: one line per organization and
// one per membership, sorted, with no generated id or time. Organizations
// are named by name, users (the owners of API keys) by email:
//
//	org "本社" created_by=owner@example.co.jp management_email=it-admin@example.co.jp logo=null customer_id=null
//	member "本社" owner@example.co.jp admin
//
// Two organizations of one name give two equal lines, so a create applied
// twice shows. The same requests give the same Dump under every reading.
func (s *Server) Dump() string {
	return emukit.Dump(&s.mu, func(add func(string, ...any)) {
		user := func(id string) string {
			if e, ok := s.users[id]; ok {
				return e
			}
			return "user:" + id
		}
		for id, rec := range s.orgs {
			o := rec.o
			add("org %q created_by=%s management_email=%s logo=%s customer_id=%s",
				o.Name, user(o.CreatedBy), o.ManagementEmail, emukit.QuoteOrNull(o.Logo), emukit.QuoteOrNull(o.CustomerID))
			for u, role := range s.members[id] {
				add("member %q %s %s", o.Name, user(u), role)
			}
		}
	})
}
