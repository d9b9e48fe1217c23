package emulator

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// The assignment statuses (the document's enum, whose values it does not
// list: these are our choice).
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Statuses lists the values PUT accepts under the default reading, in the
// order error messages name them (status-upper and Options.StatusValues
// change them).
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

// held returns copies of the subject's assignments, by code.
func (o *org) held(subject string) []Assignment {
	var out []Assignment
	for k, a := range o.byKey {
		if k.subject == subject {
			out = append(out, *a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
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
// tests of pre-existing data. status "" is active; StatusActive and
// StatusSuspended name the server's own values under any reading
// (status-upper's ACTIVE and INACTIVE, say), and the server's own values
// are taken as they are.
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
	switch status {
	case "", StatusActive, s.statuses.Active:
		status = s.statuses.Active
	case StatusSuspended, s.statuses.Suspended:
		status = s.statuses.Suspended
	default:
		return fmt.Errorf("emulator: status %q is neither %q nor %q", status, s.statuses.Active, s.statuses.Suspended)
	}
	ts := stamp(s.kit.Now())
	o.byKey[assignmentKey{subjectID, code}] = &Assignment{
		OrganizationID: organizationID, SubjectID: subjectID, Code: code, Status: status,
		CreatedAt: ts, UpdatedAt: ts,
	}
	return nil
}

// State returns a deep copy of every organization, statuses as the server
// writes them.
func (s *Server) State() State {
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

// Dump returns the state as canonical text, the same under every reading
// for the same data: one line per account type and per assignment, sorted,
// with no time and no generated value; a status is StatusActive or
// StatusSuspended whatever words the server uses.
//
//	org-demo assignment hanako@example.jp admin active
//	org-demo type admin "管理者"
func (s *Server) Dump() string {
	return emukit.Dump(&s.mu, func(add func(string, ...any)) {
		for _, o := range s.orgs {
			for _, t := range o.types {
				add("%s type %s %s", o.id, t.Code, quote(t.Name))
			}
			for _, a := range o.byKey {
				status := StatusActive
				if a.Status == s.statuses.Suspended {
					status = StatusSuspended
				}
				add("%s assignment %s %s %s", o.id, word(a.SubjectID), a.Code, status)
			}
		}
	})
}

// word is s as one word of a Dump line: as it is, or quoted when it is
// empty or holds a space, a quote or a control character.
func word(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r == '"' || unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return quote(s)
	}
	return s
}

// stamp renders a time as the API does: UTC, RFC 3339, whole seconds.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
