package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSubjectIDLength bounds a subject id, in characters.
const MaxSubjectIDLength = 255

// listing is the body of GET .../accounts/users.
type listing struct {
	OrganizationID string        `json:"organizationId"`
	AccountTypes   []AccountType `json:"accountTypes"`
	Items          []Assignment  `json:"items"`
}

// listAccounts serves GET: the organization's account types and every
// assignment, in one response (the document has no pagination).
func (s *Server) listAccounts(c *call) response {
	types := append([]AccountType{}, c.org.types...)
	return jsonResp(http.StatusOK, listing{OrganizationID: c.org.id, AccountTypes: types, Items: c.org.sorted()})
}

// assign serves POST: link the subject to the account type, active. The
// document gives the call no body; any body is ignored.
func (s *Server) assign(c *call) response {
	errs := fieldErrors{}
	checkSubject(errs, c.subject)
	switch {
	case c.code == "":
		errs.add("code", "The code field is required.")
	case !c.org.hasType(c.code):
		errs.add("code", "The selected code "+quote(c.code)+" is not an account type of organization "+
			quote(c.org.id)+" (known: "+strings.Join(c.org.typeCodes(), ", ")+").")
	}
	if resp, bad := errs.response(); bad {
		return resp
	}
	key := assignmentKey{c.subject, c.code}
	if _, dup := c.org.byKey[key]; dup {
		return message(http.StatusConflict, "Subject "+quote(c.subject)+" is already assigned to account type "+quote(c.code)+".")
	}
	ts := stamp(c.now)
	a := &Assignment{
		OrganizationID: c.org.id, SubjectID: c.subject, Code: c.code, Status: StatusActive,
		CreatedAt: ts, UpdatedAt: ts,
	}
	c.org.byKey[key] = a
	return jsonResp(http.StatusCreated, *a)
}

// updateStatus serves PUT {"status": …}: an absent or null status changes
// nothing.
func (s *Server) updateStatus(c *call) response {
	a, resp, ok := c.existing()
	if !ok {
		return resp
	}
	in, resp, ok := c.body()
	if !ok {
		return resp
	}
	errs := fieldErrors{}
	status := ""
	if raw, present := in["status"]; present && string(bytes.TrimSpace(raw)) != "null" {
		if json.Unmarshal(raw, &status) != nil {
			errs.add("status", "The status field must be a string.")
		} else if !slices.Contains(Statuses, status) {
			errs.add("status", "The selected status "+quote(status)+" is invalid (known: "+strings.Join(Statuses, ", ")+").")
		}
	}
	if resp, bad := errs.response(); bad {
		return resp
	}
	if status != "" && status != a.Status {
		a.Status = status
		a.UpdatedAt = stamp(c.now)
	}
	return jsonResp(http.StatusOK, *a)
}

// unassign serves DELETE: 204 No content. The document allows an optional
// string body; it is ignored.
func (s *Server) unassign(c *call) response {
	if _, resp, ok := c.existing(); !ok {
		return resp
	}
	delete(c.org.byKey, assignmentKey{c.subject, c.code})
	return response{Status: http.StatusNoContent}
}

// existing finds the assignment of the path, or answers 404.
func (c *call) existing() (*Assignment, response, bool) {
	a := c.org.byKey[assignmentKey{c.subject, c.code}]
	if a == nil {
		return nil, message(http.StatusNotFound, "Subject "+quote(c.subject)+" is not assigned to account type "+
			quote(c.code)+" in organization "+quote(c.org.id)+"."), false
	}
	return a, response{}, true
}

// body decodes a JSON object body: empty is {}; a non-empty body must be
// application/json (else 415) holding one JSON object (else 400).
func (c *call) body() (map[string]json.RawMessage, response, bool) {
	switch {
	case errors.Is(c.readErr, errTooLarge):
		return nil, message(http.StatusRequestEntityTooLarge, "The request body is too large."), false
	case c.readErr != nil:
		return nil, message(http.StatusBadRequest, "The request body could not be read."), false
	}
	if len(bytes.TrimSpace(c.raw)) == 0 {
		return map[string]json.RawMessage{}, response{}, true
	}
	mt, _, err := mime.ParseMediaType(c.ctype)
	if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil, message(http.StatusUnsupportedMediaType, "The request body must be application/json."), false
	}
	dec := json.NewDecoder(bytes.NewReader(c.raw))
	var in map[string]json.RawMessage
	if err := dec.Decode(&in); err != nil || in == nil {
		return nil, message(http.StatusBadRequest, "The request body is not a JSON object."), false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, message(http.StatusBadRequest, "The request body is not a JSON object."), false
	}
	return in, response{}, true
}

// checkSubject validates a subject id: present, at most
// MaxSubjectIDLength characters, no control characters, not only spaces.
func checkSubject(errs fieldErrors, id string) {
	switch {
	case strings.TrimSpace(id) == "":
		errs.add("subjectId", "The subjectId field is required.")
	case !utf8.ValidString(id):
		errs.add("subjectId", "The subjectId must be valid UTF-8.")
	case utf8.RuneCountInString(id) > MaxSubjectIDLength:
		errs.add("subjectId", "The subjectId must not be longer than 255 characters.")
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		errs.add("subjectId", "The subjectId must not hold control characters.")
	}
}

// fieldErrors gathers validation errors in the order they were found.
type fieldErrors map[string][]string

func (e fieldErrors) add(field, msg string) { e[field] = append(e[field], msg) }

// response is a 422 naming every field, the message being the first error
// (subjectId before code before status).
func (e fieldErrors) response() (response, bool) {
	if len(e) == 0 {
		return response{}, false
	}
	first := ""
	for _, f := range []string{"subjectId", "code", "status"} {
		if msgs := e[f]; len(msgs) > 0 {
			first = msgs[0]
			break
		}
	}
	return jsonResp(http.StatusUnprocessableEntity, apiError{Message: first, Errors: e}), true
}
