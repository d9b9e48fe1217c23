package directory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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

// list returns the first of keys that holds an array (or null, an empty
// one), and whether there was one.
func (o rawObject) list(keys ...string) ([]json.RawMessage, bool) {
	for _, k := range keys {
		raw, ok := o[k]
		if !ok {
			continue
		}
		if string(bytes.TrimSpace(raw)) == "null" {
			return nil, true
		}
		var l []json.RawMessage
		if json.Unmarshal(raw, &l) == nil {
			return l, true
		}
	}
	return nil, false
}

// total reads a count of the whole list, when the answer gives one.
func (o rawObject) total() int {
	for _, k := range []string{"total", "totalCount", "total_count", "totalItems", "totalResults", "count"} {
		var n int
		if raw, ok := o[k]; ok && json.Unmarshal(raw, &n) == nil && n >= 0 {
			return n
		}
	}
	return -1
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

// page is one answer of GET .../accounts/users.
type page struct {
	Listing
	// Next is the answer's link to the next page ("" on the last).
	Next string
	// Total is what the answer says the whole list holds, -1 when it does
	// not say.
	Total int
}

// decodeListing reads GET .../accounts/users: a list of assignments (or of
// account types, with their subjects or without), bare or under one of
// listKeys, with the organization's account types under one of typeKeys,
// a next link and a total.
func decodeListing(body []byte) (page, error) {
	body = bytes.TrimSpace(body)
	p := page{Total: -1}
	if len(body) == 0 {
		return p, nil
	}
	var entries []json.RawMessage
	switch body[0] {
	case '[':
		if err := json.Unmarshal(body, &entries); err != nil {
			return p, err
		}
	case '{':
		var o rawObject
		if err := json.Unmarshal(body, &o); err != nil {
			return p, err
		}
		var found bool
		entries, found = o.list(listKeys...)
		types, typesFound := o.list(typeKeys...)
		for _, t := range types {
			if at, ok := decodeType(t); ok {
				p.AccountTypes = append(p.AccountTypes, at)
			}
		}
		if !found {
			keys := make([]string, 0, len(o))
			for k := range o {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if typesFound {
				// The organization's account types and no list beside
				// them: they are all the answer says.
				p.TypesOnly = len(types)
				p.Entries = len(types)
				return p, nil
			}
			return p, fmt.Errorf("no list of assignments in the answer (it holds %s)", strings.Join(keys, ", "))
		}
		p.Next = o.next()
		p.Total = o.total()
	default:
		return p, errNotListing
	}
	p.Entries = len(entries)
	for _, e := range entries {
		var o rawObject
		if json.Unmarshal(e, &o) != nil || o == nil {
			p.unreadable(e, nil)
			continue
		}
		subject, code := o.str(subjectKeys...), o.str(codeKeys...)
		if subject != "" && code != "" {
			p.Assignments = append(p.Assignments, assignmentOf(o, subject, code))
			continue
		}
		if code == "" {
			p.unreadable(e, o)
			continue
		}
		// An account type: with the subjects that hold it, or alone.
		p.AccountTypes = append(p.AccountTypes, AccountType{Code: code, Name: o.str("name", "displayName")})
		nested, ok := o.list(nestedKeys...)
		if !ok {
			p.TypesOnly++
			continue
		}
		p.WithHolders++
		for _, n := range nested {
			if s := rawString(n); s != "" {
				p.Assignments = append(p.Assignments, Assignment{SubjectID: s, Code: code})
				continue
			}
			var no rawObject
			if json.Unmarshal(n, &no) != nil || no.str(subjectKeys...) == "" {
				p.unreadable(n, no)
				continue
			}
			p.Assignments = append(p.Assignments, assignmentOf(no, no.str(subjectKeys...), code))
		}
	}
	return p, nil
}

// next reads a link to the next page: next, nextLink, next_link, or
// links/_links with next as a string or {"href"}.
func (o rawObject) next() string {
	if next := o.str(nextKeys...); next != "" {
		return next
	}
	for _, k := range []string{"links", "_links"} {
		var links rawObject
		if json.Unmarshal(o[k], &links) != nil {
			continue
		}
		if next := links.str("next"); next != "" {
			return next
		}
		var href rawObject
		if json.Unmarshal(links["next"], &href) == nil {
			if next := href.str("href"); next != "" {
				return next
			}
		}
	}
	return ""
}

func assignmentOf(o rawObject, subject, code string) Assignment {
	return Assignment{
		SubjectID: subject, Code: code, Status: o.status(),
		CreatedAt: o.str("createdAt", "created_at"), UpdatedAt: o.str("updatedAt", "updated_at"),
	}
}

// unreadable counts an entry that is neither an assignment nor an account
// type, keeping the keys of the first for the error.
func (p *page) unreadable(raw json.RawMessage, o rawObject) {
	p.Unreadable++
	if p.UnreadableExample != "" {
		return
	}
	if o == nil {
		p.UnreadableExample = string(bytes.TrimSpace(raw))
		if len(p.UnreadableExample) > 40 {
			p.UnreadableExample = p.UnreadableExample[:40] + "…"
		}
		return
	}
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	p.UnreadableExample = "an object with " + strings.Join(keys, ", ")
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
