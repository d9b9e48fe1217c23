package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// MaxSubjectIDLength bounds a subject id, in characters.
const MaxSubjectIDLength = 255

// listing is the body of GET .../accounts/users under the default reading.
type listing struct {
	OrganizationID string        `json:"organizationId"`
	AccountTypes   []AccountType `json:"accountTypes"`
	Items          []Assignment  `json:"items"`
}

// typeListing is the body under list-types-with-users and
// list-account-types: the items are the organization's account types.
type typeListing struct {
	OrganizationID string `json:"organizationId"`
	Items          []any  `json:"items"`
}

// pagedListing adds what paginated answers to either body.
type pagedListing struct {
	OrganizationID string        `json:"organizationId"`
	AccountTypes   []AccountType `json:"accountTypes,omitempty"`
	Items          []any         `json:"items"`
	Total          int           `json:"total"`
	Next           *string       `json:"next"`
}

// typeWithUsers is an account type with its holders (list-types-with-users).
type typeWithUsers struct {
	Code  string   `json:"code"`
	Name  string   `json:"name"`
	Users []holder `json:"users"`
}

// holder is a subject holding an account type, under list-types-with-users.
type holder struct {
	SubjectID string `json:"subjectId"`
	Status    string `json:"status"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

// listAccounts serves GET: by default the organization's account types and
// every assignment in one response; the list readings change what the
// entries are, list-bare-array drops the envelope, and paginated cuts the
// entries into pages.
func (s *Server) listAccounts(c *call) response {
	var entries []any
	switch {
	case s.readings.Has(ReadingListTypesWithUsers):
		for _, t := range c.org.types {
			tw := typeWithUsers{Code: t.Code, Name: t.Name, Users: []holder{}}
			for _, a := range c.org.sorted() {
				if a.Code == t.Code {
					tw.Users = append(tw.Users, holder{SubjectID: a.SubjectID, Status: a.Status, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt})
				}
			}
			entries = append(entries, tw)
		}
	case s.readings.Has(ReadingListAccountTypes):
		for _, t := range c.org.types {
			entries = append(entries, t)
		}
	default:
		for _, a := range c.org.sorted() {
			entries = append(entries, a)
		}
	}
	if entries == nil {
		entries = []any{} // [] rather than null
	}
	typesInEnvelope := !s.readings.Has(ReadingListTypesWithUsers) && !s.readings.Has(ReadingListAccountTypes)

	if !s.readings.Has(ReadingPaginated) {
		switch {
		case s.readings.Has(ReadingListBareArray):
			return emukit.JSON(http.StatusOK, entries)
		case typesInEnvelope:
			return emukit.JSON(http.StatusOK, listing{OrganizationID: c.org.id, AccountTypes: append([]AccountType{}, c.org.types...), Items: c.org.sorted()})
		default:
			return emukit.JSON(http.StatusOK, typeListing{OrganizationID: c.org.id, Items: entries})
		}
	}

	page := 1
	if v := c.query.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return s.message(http.StatusBadRequest, "The page parameter must be a positive integer.")
		}
		page = n
	}
	from := min((page-1)*s.pageSize, len(entries))
	to := min(from+s.pageSize, len(entries))
	var next *string
	if to < len(entries) {
		u := c.origin + c.path + "?page=" + strconv.Itoa(page+1)
		next = &u
	}
	if s.readings.Has(ReadingListBareArray) {
		resp := emukit.JSON(http.StatusOK, entries[from:to])
		if next != nil {
			resp.Header = http.Header{"Link": {"<" + *next + `>; rel="next"`}}
		}
		return resp
	}
	body := pagedListing{OrganizationID: c.org.id, Items: entries[from:to], Total: len(entries), Next: next}
	if typesInEnvelope {
		body.AccountTypes = append([]AccountType{}, c.org.types...)
	}
	return emukit.JSON(http.StatusOK, body)
}

// assign serves POST: link the subject to the account type, active
// (new-inactive: suspended); 201 with it (post-no-content: 204). The
// document gives the call no body; any body is ignored.
func (s *Server) assign(c *call) response {
	errs := fieldErrors{}
	checkSubject(errs, c.subject)
	s.checkCode(errs, c)
	if resp, bad := s.invalid(errs); bad {
		return resp
	}
	key := assignmentKey{c.subject, c.code}
	if a, dup := c.org.byKey[key]; dup {
		if s.readings.Has(ReadingPostDuplicateOK) {
			if s.readings.Has(ReadingPostNoContent) {
				return response{Status: http.StatusNoContent}
			}
			return emukit.JSON(http.StatusOK, *a)
		}
		return s.message(http.StatusConflict, "Subject "+quote(c.subject)+" is already assigned to account type "+quote(c.code)+".")
	}
	if s.readings.Has(ReadingSingleAccountType) {
		if held := c.org.held(c.subject); len(held) > 0 {
			return s.message(http.StatusConflict, "Subject "+quote(c.subject)+" already holds account type "+
				quote(held[0].Code)+": a subject holds one account type.")
		}
	}
	ts := stamp(c.now)
	a := &Assignment{
		OrganizationID: c.org.id, SubjectID: c.subject, Code: c.code, Status: s.initialStatus(),
		CreatedAt: ts, UpdatedAt: ts,
	}
	c.org.byKey[key] = a
	if s.readings.Has(ReadingPostNoContent) {
		return response{Status: http.StatusNoContent}
	}
	return emukit.JSON(http.StatusCreated, *a)
}

// initialStatus is the status of a new assignment: active, or suspended
// under new-inactive.
func (s *Server) initialStatus() string {
	if s.readings.Has(ReadingNewInactive) {
		return s.statuses.Suspended
	}
	return s.statuses.Active
}

// checkCode validates the path's code: present and an account type of the
// organization.
func (s *Server) checkCode(errs fieldErrors, c *call) {
	switch {
	case c.code == "":
		errs.add("code", "The code field is required.")
	case !c.org.hasType(c.code):
		errs.add("code", "The selected code "+quote(c.code)+" is not an account type of organization "+
			quote(c.org.id)+" (known: "+strings.Join(c.org.typeCodes(), ", ")+").")
	}
}

// update serves PUT {"status": …}: an absent or null status changes
// nothing. Under put-replaces-code, a code the subject does not hold
// replaces the ones it does; under put-upserts, it is created (201).
func (s *Server) update(c *call) response {
	a := c.org.byKey[assignmentKey{c.subject, c.code}]
	var replaced []Assignment
	upsert := a == nil && s.readings.Has(ReadingPutUpserts)
	if a == nil && !upsert {
		if replaced = c.org.held(c.subject); !s.readings.Has(ReadingPutReplacesCode) || len(replaced) == 0 {
			return c.notFound(s)
		}
	}
	in, resp, ok := s.body(c)
	if !ok {
		return resp
	}
	errs := fieldErrors{}
	if a == nil {
		if upsert {
			checkSubject(errs, c.subject)
		}
		s.checkCode(errs, c)
	}
	status := ""
	if raw, present := in["status"]; present && string(bytes.TrimSpace(raw)) != "null" {
		if json.Unmarshal(raw, &status) != nil {
			errs.add("status", "The status field must be a string.")
		} else if status != s.statuses.Active && status != s.statuses.Suspended {
			errs.add("status", "The selected status "+quote(status)+" is invalid (known: "+
				s.statuses.Active+", "+s.statuses.Suspended+").")
		}
	}
	if resp, bad := s.invalid(errs); bad {
		return resp
	}
	if upsert {
		if held := c.org.held(c.subject); len(held) > 0 && s.readings.Has(ReadingSingleAccountType) {
			return s.message(http.StatusConflict, "Subject "+quote(c.subject)+" already holds account type "+
				quote(held[0].Code)+": a subject holds one account type.")
		}
		if status == "" {
			status = s.initialStatus()
		}
		ts := stamp(c.now)
		a = &Assignment{OrganizationID: c.org.id, SubjectID: c.subject, Code: c.code, Status: status, CreatedAt: ts, UpdatedAt: ts}
		c.org.byKey[assignmentKey{c.subject, c.code}] = a
		return emukit.JSON(http.StatusCreated, *a)
	}
	if a == nil {
		// The subject's account type becomes the code: its status is the
		// body's, else the one it had (active if any of several was).
		if status == "" {
			status = s.statuses.Suspended
			for _, old := range replaced {
				if old.Status != s.statuses.Suspended {
					status = s.statuses.Active
				}
			}
		}
		for _, old := range replaced {
			delete(c.org.byKey, assignmentKey{old.SubjectID, old.Code})
		}
		ts := stamp(c.now)
		a = &Assignment{OrganizationID: c.org.id, SubjectID: c.subject, Code: c.code, Status: status, CreatedAt: ts, UpdatedAt: ts}
		c.org.byKey[assignmentKey{c.subject, c.code}] = a
		return emukit.JSON(http.StatusOK, *a)
	}
	if status != "" && status != a.Status {
		a.Status = status
		a.UpdatedAt = stamp(c.now)
	}
	return emukit.JSON(http.StatusOK, *a)
}

// unassign serves DELETE: 204 No content. The document allows an optional
// string body; it is ignored.
func (s *Server) unassign(c *call) response {
	key := assignmentKey{c.subject, c.code}
	if _, ok := c.org.byKey[key]; !ok && !s.readings.Has(ReadingDeleteMissingOK) {
		return c.notFound(s)
	}
	delete(c.org.byKey, key)
	return response{Status: http.StatusNoContent}
}

// notFound answers 404 for the assignment of the path.
func (c *call) notFound(s *Server) response {
	return s.message(http.StatusNotFound, "Subject "+quote(c.subject)+" is not assigned to account type "+
		quote(c.code)+" in organization "+quote(c.org.id)+".")
}

// body decodes a JSON object body: empty is {}; a non-empty body must be
// application/json (else 415) holding one JSON object (else 400).
func (s *Server) body(c *call) (map[string]json.RawMessage, response, bool) {
	switch {
	case errors.Is(c.readErr, errTooLarge):
		return nil, s.message(http.StatusRequestEntityTooLarge, "The request body is too large."), false
	case c.readErr != nil:
		return nil, s.message(http.StatusBadRequest, "The request body could not be read."), false
	}
	if len(bytes.TrimSpace(c.raw)) == 0 {
		return map[string]json.RawMessage{}, response{}, true
	}
	mt, _, err := mime.ParseMediaType(c.ctype)
	if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil, s.message(http.StatusUnsupportedMediaType, "The request body must be application/json."), false
	}
	dec := json.NewDecoder(bytes.NewReader(c.raw))
	var in map[string]json.RawMessage
	if err := dec.Decode(&in); err != nil || in == nil {
		return nil, s.message(http.StatusBadRequest, "The request body is not a JSON object."), false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, s.message(http.StatusBadRequest, "The request body is not a JSON object."), false
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

// invalid is a 422 naming every field, the message being the first error
// (subjectId before code before status).
func (s *Server) invalid(e fieldErrors) (response, bool) {
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
	return s.apiError(http.StatusUnprocessableEntity, "", first, e), true
}
