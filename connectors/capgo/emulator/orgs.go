package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
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

// getOrgs serves GET /organization/: one organization with ?orgId=, else
// every organization the key's user belongs to.
func (s *Server) getOrgs(c *call) response {
	if id := c.q("orgId"); id != "" {
		rec, resp, ok := s.lookup(id, c.user)
		if !ok {
			return resp
		}
		return jsonResp(http.StatusOK, dataBody{Data: cloneOrg(rec.o)})
	}
	list := []Org{}
	for _, rec := range s.sortedOrgs() {
		if s.members[rec.o.ID][c.user] != "" {
			list = append(list, cloneOrg(rec.o))
		}
	}
	return jsonResp(http.StatusOK, dataBody{Data: list})
}

// createOrg serves POST /organization/ {"name"}. Other keys are ignored:
// the document's OrganizationCreate has only name.
func (s *Server) createOrg(c *call) response {
	raw, present := c.in["name"]
	if !present || isNull(raw) {
		return fail(http.StatusBadRequest, msgNameRequired)
	}
	name, ok := jsonString(raw)
	if !ok {
		return fail(http.StatusBadRequest, msgNameString)
	}
	if strings.TrimSpace(name) == "" {
		return fail(http.StatusBadRequest, msgNameRequired)
	}
	rec := s.newOrg(c.user, name, c.now)
	return jsonResp(http.StatusOK, createdBody{Status: msgStatusCreated, ID: rec.o.ID})
}

// updateOrg serves PUT /organization/ {"orgId", "logo"?, "name"?,
// "management_email"?}. The body is checked in the document's field order
// and the first problem answered; then the organization is looked up (404)
// and the key's role checked (403).
func (s *Server) updateOrg(c *call) response {
	id, ok := jsonString(c.in["orgId"])
	if !ok || id == "" {
		return fail(http.StatusBadRequest, msgOrgIDRequired)
	}
	var (
		logo, name, email          string
		setLogo, setName, setEmail bool
	)
	if raw, present := c.in["logo"]; present {
		setLogo = true
		if !isNull(raw) {
			v, ok := jsonString(raw)
			if !ok || (v != "" && !httpsURL(v)) {
				return fail(http.StatusBadRequest, msgInvalidLogo)
			}
			logo = v
		}
	}
	if raw, present := c.in["name"]; present {
		v, ok := jsonString(raw)
		if !ok {
			return fail(http.StatusBadRequest, msgNameString)
		}
		if strings.TrimSpace(v) == "" {
			return fail(http.StatusBadRequest, msgNameEmpty)
		}
		name, setName = v, true
	}
	if raw, present := c.in["management_email"]; present {
		v, ok := jsonString(raw)
		if !ok || !validEmail(v) {
			return fail(http.StatusBadRequest, msgInvalidEmail)
		}
		email, setEmail = v, true
	}
	rec, resp, ok := s.lookup(id, c.user)
	if !ok {
		return resp
	}
	if s.members[id][c.user] != RoleAdmin {
		return fail(http.StatusForbidden, msgAdminRequired)
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
	return jsonResp(http.StatusOK, updatedBody{Status: msgStatusUpdated, Data: cloneOrg(*o)})
}

// deleteOrg serves DELETE /organization/?orgId=.
func (s *Server) deleteOrg(c *call) response {
	id := c.q("orgId")
	if id == "" {
		return fail(http.StatusBadRequest, msgOrgIDRequired)
	}
	_, resp, ok := s.lookup(id, c.user)
	if !ok {
		return resp
	}
	if s.members[id][c.user] != RoleAdmin {
		return fail(http.StatusForbidden, msgAdminRequired)
	}
	delete(s.orgs, id)
	delete(s.members, id)
	return jsonResp(http.StatusOK, createdBody{Status: msgStatusDeleted, ID: id})
}

// lookup finds an organization the user belongs to. One that does not exist
// and one the user cannot see are both 404, so a key learns nothing of
// organizations outside its reach.
func (s *Server) lookup(id, user string) (*orgRec, response, bool) {
	rec := s.orgs[id]
	if rec == nil || s.members[id][user] == "" {
		return nil, fail(http.StatusNotFound, msgOrgNotFound), false
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
