package directory

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// Lenient decoding: the document gives no response shapes, so the listing
// and the assignments are read in the shape the emulator serves and in the
// reasonable variants a server built from the same document may have
// chosen (see "Reading" in the package doc).

// Keys tried, in order, for each thing a response may carry.
var (
	listKeys    = []string{"items", "data", "assignments", "accounts", "users", "results", "content"}
	typeKeys    = []string{"accountTypes", "account_types", "types"}
	subjectKeys = []string{"subjectId", "subject_id", "subject", "sub", "userId", "user_id"}
	codeKeys    = []string{"code", "accountType", "account_type", "accountTypeCode", "account_type_code"}
	statusKeys  = []string{"status", "state"}
	nestedKeys  = []string{"users", "subjects", "assignments", "members", "accounts"}
	nextKeys    = []string{"next", "nextLink", "next_link"}
)

type rawObject map[string]json.RawMessage

// str returns the first of keys that holds a string, number or boolean; an
// object's "code" (for "accountType": {"code": …}).
func (o rawObject) str(keys ...string) string {
	for _, k := range keys {
		raw := bytes.TrimSpace(o[k])
		if len(raw) > 0 && raw[0] == '{' {
			var inner rawObject
			if json.Unmarshal(raw, &inner) == nil {
				if s := inner.str("code", "id"); s != "" {
					return s
				}
			}
			continue
		}
		if s := rawString(raw); s != "" {
			return s
		}
	}
	return ""
}

func (o rawObject) list(keys ...string) ([]json.RawMessage, bool) {
	for _, k := range keys {
		var l []json.RawMessage
		if raw, ok := o[k]; ok && json.Unmarshal(raw, &l) == nil && l != nil {
			return l, true
		}
	}
	return nil, false
}

// rawString is a scalar as text, a string's value trimmed.
func rawString(raw json.RawMessage) string { return strings.TrimSpace(httpkit.Scalar(raw)) }

// status reads "status" or "state", or a "suspended"/"isSuspended"
// boolean when there is neither.
func (o rawObject) status() string {
	if s := o.str(statusKeys...); s != "" {
		return s
	}
	for _, k := range []string{"suspended", "isSuspended"} {
		switch strings.ToLower(rawString(o[k])) {
		case "true", "1":
			return StatusSuspended
		case "false", "0":
			return StatusActive
		}
	}
	return ""
}

var errNotListing = errors.New("the response is neither a list nor an object holding one")

// decodeListing reads GET .../accounts/users: a list of assignments (or of
// account types with their subjects), bare or under one of listKeys, with
// the organization's account types under one of typeKeys, and a next link.
func decodeListing(body []byte) (Listing, string, error) {
	body = bytes.TrimSpace(body)
	var l Listing
	if len(body) == 0 {
		return l, "", nil
	}
	var entries []json.RawMessage
	next := ""
	switch body[0] {
	case '[':
		if err := json.Unmarshal(body, &entries); err != nil {
			return l, "", err
		}
	case '{':
		var o rawObject
		if err := json.Unmarshal(body, &o); err != nil {
			return l, "", err
		}
		entries, _ = o.list(listKeys...)
		types, _ := o.list(typeKeys...)
		for _, t := range types {
			if at, ok := decodeType(t); ok {
				l.AccountTypes = append(l.AccountTypes, at)
			}
		}
		next = o.str(nextKeys...)
		if next == "" {
			for _, k := range []string{"links", "_links"} {
				var links rawObject
				if json.Unmarshal(o[k], &links) == nil {
					if next = links.str("next"); next == "" {
						var href rawObject
						if json.Unmarshal(links["next"], &href) == nil {
							next = href.str("href")
						}
					}
				}
				if next != "" {
					break
				}
			}
		}
	default:
		return l, "", errNotListing
	}
	for _, e := range entries {
		var o rawObject
		if json.Unmarshal(e, &o) != nil {
			l.Skipped++
			continue
		}
		subject, code := o.str(subjectKeys...), o.str(codeKeys...)
		if subject != "" && code != "" {
			l.Assignments = append(l.Assignments, Assignment{
				SubjectID: subject, Code: code, Status: o.status(),
				CreatedAt: o.str("createdAt", "created_at"), UpdatedAt: o.str("updatedAt", "updated_at"),
			})
			continue
		}
		// An account type listing its subjects.
		nested, ok := o.list(nestedKeys...)
		if code == "" || !ok {
			l.Skipped++
			continue
		}
		l.AccountTypes = append(l.AccountTypes, AccountType{Code: code, Name: o.str("name", "displayName")})
		for _, n := range nested {
			if s := rawString(n); s != "" {
				l.Assignments = append(l.Assignments, Assignment{SubjectID: s, Code: code})
				continue
			}
			var no rawObject
			if json.Unmarshal(n, &no) != nil || no.str(subjectKeys...) == "" {
				l.Skipped++
				continue
			}
			l.Assignments = append(l.Assignments, Assignment{
				SubjectID: no.str(subjectKeys...), Code: code, Status: no.status(),
				CreatedAt: no.str("createdAt", "created_at"), UpdatedAt: no.str("updatedAt", "updated_at"),
			})
		}
	}
	return l, next, nil
}

// decodeType reads an account type: an object with a code, or a bare code.
func decodeType(raw json.RawMessage) (AccountType, bool) {
	if s := rawString(raw); s != "" {
		return AccountType{Code: s}, true
	}
	var o rawObject
	if json.Unmarshal(raw, &o) != nil {
		return AccountType{}, false
	}
	code := o.str("code", "id")
	return AccountType{Code: code, Name: o.str("name", "displayName")}, code != ""
}

// decodeAssignment reads the answer of a POST or PUT: the assignment, bare
// or under "data" or "item". What the server leaves out is taken from the
// request.
func decodeAssignment(body []byte, subjectID, code string) Assignment {
	a := Assignment{SubjectID: subjectID, Code: code}
	var o rawObject
	if json.Unmarshal(body, &o) != nil {
		return a
	}
	for _, k := range []string{"data", "item"} {
		var inner rawObject
		if json.Unmarshal(o[k], &inner) == nil && inner != nil {
			o = inner
			break
		}
	}
	a.Status = o.status()
	a.CreatedAt, a.UpdatedAt = o.str("createdAt", "created_at"), o.str("updatedAt", "updated_at")
	return a
}
