package emulator

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The assignment statuses (the document's enum, whose values it does not
// list: these are our choice).
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Statuses lists the values PUT accepts, in the order error messages name
// them.
var Statuses = []string{StatusActive, StatusSuspended}

// AccountType is an account type registered in an organization.
type AccountType struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Assignment links a subject to an account type in an organization, as the
// API encodes it.
type Assignment struct {
	OrganizationID string `json:"organizationId"`
	SubjectID      string `json:"subjectId"`
	Code           string `json:"code"`
	Status         string `json:"status"`
	CreatedAt      string `json:"createdAt"`
	UpdatedAt      string `json:"updatedAt"`
}

// Organization is one organization of a Dump.
type Organization struct {
	ID           string
	AccountTypes []AccountType
	// Assignments sorted by subject id, then code.
	Assignments []Assignment
}

// State is a deep copy of the emulator's data, for assertions.
type State struct {
	// Organizations sorted by id.
	Organizations []Organization
}

// Organization returns the organization of the dump with the id, or nil.
func (s State) Organization(id string) *Organization {
	for i := range s.Organizations {
		if s.Organizations[i].ID == id {
			return &s.Organizations[i]
		}
	}
	return nil
}

// org is one organization's data.
type org struct {
	id    string
	types []AccountType // in registration order
	byKey map[assignmentKey]*Assignment
}

type assignmentKey struct{ subject, code string }

func (o *org) hasType(code string) bool {
	for _, t := range o.types {
		if t.Code == code {
			return true
		}
	}
	return false
}

func (o *org) typeCodes() []string {
	codes := make([]string, len(o.types))
	for i, t := range o.types {
		codes[i] = t.Code
	}
	return codes
}

// sorted returns copies of the assignments by subject id, then code.
func (o *org) sorted() []Assignment {
	out := make([]Assignment, 0, len(o.byKey))
	for _, a := range o.byKey {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].SubjectID != out[j].SubjectID {
			return out[i].SubjectID < out[j].SubjectID
		}
		return out[i].Code < out[j].Code
	})
	return out
}

// AddOrganization registers an organization with its account types, or
// replaces the account types of one already registered (its assignments
// are kept). It panics on an empty id or code, or an id with a "/": a
// programming error in the caller.
func (s *Server) AddOrganization(id string, types ...AccountType) {
	if id == "" || strings.Contains(id, "/") {
		panic("emulator: AddOrganization: the organization id must be non-empty and hold no /")
	}
	for _, t := range types {
		if t.Code == "" || strings.Contains(t.Code, "/") {
			panic("emulator: AddOrganization: an account type code must be non-empty and hold no /")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgs[id]
	if o == nil {
		o = &org{id: id, byKey: map[assignmentKey]*Assignment{}}
		s.orgs[id] = o
	}
	o.types = append([]AccountType(nil), types...)
}

// Assign seeds an assignment directly, as if it had been made before: for
// tests of pre-existing data. status "" is active.
func (s *Server) Assign(organizationID, subjectID, code, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgs[organizationID]
	switch {
	case o == nil:
		return fmt.Errorf("emulator: no organization %q", organizationID)
	case !o.hasType(code):
		return fmt.Errorf("emulator: organization %q has no account type %q", organizationID, code)
	case subjectID == "":
		return fmt.Errorf("emulator: empty subject id")
	}
	if status == "" {
		status = StatusActive
	}
	ts := stamp(s.now())
	o.byKey[assignmentKey{subjectID, code}] = &Assignment{
		OrganizationID: organizationID, SubjectID: subjectID, Code: code, Status: status,
		CreatedAt: ts, UpdatedAt: ts,
	}
	return nil
}

// Dump returns a deep copy of every organization.
func (s *Server) Dump() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st State
	for _, o := range s.orgs {
		st.Organizations = append(st.Organizations, Organization{
			ID:           o.id,
			AccountTypes: append([]AccountType(nil), o.types...),
			Assignments:  o.sorted(),
		})
	}
	sort.Slice(st.Organizations, func(i, j int) bool { return st.Organizations[i].ID < st.Organizations[j].ID })
	return st
}

// stamp renders a time as the API does: UTC, RFC 3339, whole seconds.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
