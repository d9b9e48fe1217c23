package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

type dataBody struct {
	Data any `json:"data"`
}

type createdBody struct {
	Status string `json:"status"`
	ID     string `json:"id"`
}

type updatedBody struct {
	Status string `json:"status"`
	Data   Org    `json:"data"`
}

// partialBody is the PUT answer under ReadingPutPartialData: the
// document's example, field for field.
type partialBody struct {
	Status string     `json:"status"`
	Data   partialOrg `json:"data"`
}

type partialOrg struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	ManagementEmail string `json:"management_email"`
}

// getOrgs serves GET /organization/: one organization with ?orgId=, else
// every organization the key's user belongs to (ReadingListAllOrgs: every
// organization), one page of them under ReadingListPaged.
func (s *Server) getOrgs(c *call) response {
	if id := c.q("orgId"); id != "" {
		rec, resp, ok := s.lookup(id, c.user)
		if !ok {
			return resp
		}
		return emukit.JSON(http.StatusOK, dataBody{Data: cloneOrg(rec.o)})
	}
	list := []Org{}
	for _, rec := range s.sortedOrgs() {
		if s.readings.Has(ReadingListAllOrgs) || s.members[rec.o.ID][c.user] != "" {
			list = append(list, cloneOrg(rec.o))
		}
	}
	switch {
	case s.readings.Has(ReadingListPaged):
		// Capgo's own paging: ?page= from 0; anything that is not a
		// non-negative number is page 0, as an absent parameter.
		page, err := strconv.Atoi(c.q("page"))
		if err != nil || page < 0 {
			page = 0
		}
		list = s.page(list, page)
	case s.readings.Has(ReadingListPagedFrom1):
		// Pages counted from 1, the first page where the number is below
		// 1 or not a number (a clamp, as most paging helpers do).
		page, err := strconv.Atoi(c.q("page"))
		if err != nil || page < 1 {
			page = 1
		}
		list = s.page(list, page-1)
	}
	if s.readings.Has(ReadingListBareArray) {
		return emukit.JSON(http.StatusOK, list)
	}
	return emukit.JSON(http.StatusOK, dataBody{Data: list})
}

// page returns the n-th page (from 0) of list; past the end, an empty one.
func (s *Server) page(list []Org, n int) []Org {
	from := min(n*s.pageSize, len(list))
	return list[from:min(from+s.pageSize, len(list))]
}

// createOrg serves POST /organization/ {"name"}. Other keys are ignored
// (the document's OrganizationCreate has only name), refused under
// ReadingCreateStrictBody; management_email is taken under
// ReadingCreateManagementEmail.
func (s *Server) createOrg(c *call) response {
	if s.readings.Has(ReadingCreateStrictBody) {
		for k := range c.in {
			if k != "name" {
				return s.apiFail(http.StatusBadRequest, msgInvalidBody)
			}
		}
	}
	raw, present := c.in["name"]
	if !present || isNull(raw) {
		return s.apiFail(http.StatusBadRequest, msgNameRequired)
	}
	name, ok := jsonString(raw)
	if !ok {
		return s.apiFail(http.StatusBadRequest, msgNameString)
	}
	if strings.TrimSpace(name) == "" {
		return s.apiFail(http.StatusBadRequest, msgNameRequired)
	}
	email, setEmail := "", false
	if raw, present := c.in["management_email"]; present && s.readings.Has(ReadingCreateManagementEmail) {
		v, ok := jsonString(raw)
		if !ok || !validEmail(v) {
			return s.apiFail(http.StatusBadRequest, msgInvalidEmail)
		}
		email, setEmail = v, true
	}
	rec := s.newOrg(c.user, name, c.now)
	if setEmail {
		rec.o.ManagementEmail = email
	}
	return emukit.JSON(http.StatusOK, createdBody{Status: msgStatusCreated, ID: rec.o.ID})
}

// updateOrg serves PUT /organization/ {"orgId", "logo"?, "name"?,
// "management_email"?}. The body is checked in the document's field order
// and the first problem answered; then the organization is looked up (404)
// and the key's role checked (403).
func (s *Server) updateOrg(c *call) response {
	id, ok := jsonString(c.in["orgId"])
	if !ok || id == "" {
		return s.apiFail(http.StatusBadRequest, msgOrgIDRequired)
	}
	var (
		logo, name, email          string
		setLogo, setName, setEmail bool
	)
	if raw, present := c.in["logo"]; present || s.readings.Has(ReadingPutAbsentLogoCleared) {
		// Under ReadingPutAbsentLogoCleared an absent logo is null: the
		// body is the organization's new logo.
		setLogo = true
		if !present {
			raw = json.RawMessage("null")
		}
		if !isNull(raw) {
			v, ok := jsonString(raw)
			if !ok || (v != "" && !httpsURL(v)) {
				return s.apiFail(http.StatusBadRequest, msgInvalidLogo)
			}
			logo = v
		}
	}
	if raw, present := c.in["name"]; present {
		v, ok := jsonString(raw)
		if !ok {
			return s.apiFail(http.StatusBadRequest, msgNameString)
		}
		if strings.TrimSpace(v) == "" {
			return s.apiFail(http.StatusBadRequest, msgNameEmpty)
		}
		name, setName = v, true
	}
	if raw, present := c.in["management_email"]; present {
		v, ok := jsonString(raw)
		if !ok || !validEmail(v) {
			return s.apiFail(http.StatusBadRequest, msgInvalidEmail)
		}
		email, setEmail = v, true
	}
	rec, resp, ok := s.lookupAdmin(id, c.user)
	if !ok {
		return resp
	}
	o := &rec.o
	changed := false
	if setLogo {
		var next *string
		if logo != "" {
			next = &logo
		}
		if (o.Logo == nil) != (next == nil) || (next != nil && *o.Logo != *next) {
			o.Logo, changed = next, true
		}
	}
	if setName && o.Name != name {
		o.Name, changed = name, true
	}
	if setEmail && o.ManagementEmail != email {
		o.ManagementEmail, changed = email, true
	}
	if changed {
		o.UpdatedAt = stamp(c.now)
	}
	if s.readings.Has(ReadingPutPartialData) {
		return emukit.JSON(http.StatusOK, partialBody{Status: msgStatusUpdated, Data: partialOrg{ID: o.ID, Name: o.Name, ManagementEmail: o.ManagementEmail}})
	}
	return emukit.JSON(http.StatusOK, updatedBody{Status: msgStatusUpdated, Data: cloneOrg(*o)})
}

// deleteOrg serves DELETE /organization/?orgId=.
func (s *Server) deleteOrg(c *call) response {
	id := c.q("orgId")
	if id == "" {
		return s.apiFail(http.StatusBadRequest, msgOrgIDRequired)
	}
	if _, resp, ok := s.lookupAdmin(id, c.user); !ok {
		return resp
	}
	delete(s.orgs, id)
	delete(s.members, id)
	return emukit.JSON(http.StatusOK, createdBody{Status: msgStatusDeleted, ID: id})
}

// lookup finds an organization the user belongs to. One that does not exist
// and one the user cannot see are both 404, so a key learns nothing of
// organizations outside its reach. Under ReadingListAllOrgs every
// organization is in reach (PUT and DELETE then answer 403 to a
// non-member, as to a member who is not an admin).
func (s *Server) lookup(id, user string) (*orgRec, response, bool) {
	rec := s.orgs[id]
	if rec == nil || (s.members[id][user] == "" && !s.readings.Has(ReadingListAllOrgs)) {
		return nil, s.apiFail(http.StatusNotFound, msgOrgNotFound), false
	}
	return rec, response{}, true
}

// lookupAdmin finds an organization the user is an admin of, for PUT and
// DELETE: 404 for one out of reach, then 403 for one the user is not an
// admin of. Under ReadingRoleCheckedFirst the role is checked first, so
// that an organization that does not exist is 403 too: the document's
// errors have no "not found".
func (s *Server) lookupAdmin(id, user string) (*orgRec, response, bool) {
	if s.readings.Has(ReadingRoleCheckedFirst) && s.members[id][user] != RoleAdmin {
		return nil, s.apiFail(http.StatusForbidden, msgAdminRequired), false
	}
	rec, resp, ok := s.lookup(id, user)
	if !ok {
		return nil, resp, false
	}
	if s.members[id][user] != RoleAdmin {
		return nil, s.apiFail(http.StatusForbidden, msgAdminRequired), false
	}
	return rec, response{}, true
}

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// jsonString reads a JSON string; anything else (absent, null, a number) is
// not one.
func jsonString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// validEmail accepts a bare address (no display name, no angle brackets)
// with a local part and a domain, as net/mail parses it.
func validEmail(v string) bool {
	a, err := mail.ParseAddress(v)
	return err == nil && a.Name == "" && a.Address == v
}

// httpsURL accepts an absolute https URL with a host: the document's best
// practice for logos, made a rule.
func httpsURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && u.Scheme == "https" && u.Host != "" && strings.TrimSpace(v) == v
}
