package httpkit

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/orgbridge/orgbridge/internal/errkind"
)

// Body size caps.
const (
	// MaxErrorBody is how much of a non-2xx body is read for its message.
	MaxErrorBody = 64 << 10
	// MaxBody is how much of a 2xx body DecodeJSON reads.
	MaxBody = 64 << 20
)

// StatusError is a non-2xx response. It wraps the kind of failure, when
// there is one: errkind.ErrNotFound (404), errkind.ErrConflict (409)
// or a *errkind.FieldError (422). Do and CheckResponse further wrap a 429
// or a 5xx in a *errkind.TransientError.
type StatusError struct {
	Method string
	Path   string
	Status int
	// Message is the API's own message, wherever its body puts it (see
	// parseErrorBody), else the start of the body; "" only for an empty
	// body.
	Message string
	// RetryAfter is the server's Retry-After, if it sent one.
	RetryAfter time.Duration
	// Err is the sentinel or *errkind.FieldError wrapped, or nil.
	Err error
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	var fe *errkind.FieldError
	switch {
	case errors.As(e.Err, &fe):
		s += ": " + fe.Error()
	case e.Message != "":
		s += ": " + e.Message
	}
	return s
}

func (e *StatusError) Unwrap() error { return e.Err }

// CheckResponse returns nil for a 2xx response. For any other status it
// reads (at most MaxErrorBody of) the body, closes it, and returns the error
// described in the package doc.
func CheckResponse(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxErrorBody))
	resp.Body.Close()

	se := &StatusError{Status: resp.StatusCode}
	if resp.Request != nil {
		se.Method, se.Path = resp.Request.Method, resp.Request.URL.Path
	}
	eb := parseErrorBody(body)
	se.Message = eb.Message
	if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		se.RetryAfter = d
	}

	switch s := resp.StatusCode; {
	case s == http.StatusNotFound:
		se.Err = errkind.ErrNotFound
	case s == http.StatusConflict && len(eb.Fields) == 0:
		se.Err = errkind.ErrConflict
	case s == http.StatusUnprocessableEntity || (s == http.StatusBadRequest || s == http.StatusConflict) && len(eb.Fields) > 0:
		// Not every API answers a refused field with 422: a 400 or a 409
		// that names fields is a field error too (a 409 still a conflict).
		fe := &errkind.FieldError{Status: s, Message: eb.Message, Fields: eb.Fields}
		if eb.FromFields {
			// FieldError names every field itself.
			fe.Message = firstFieldMessage(eb.Fields)
		}
		se.Err = fe
		if s == http.StatusConflict {
			se.Err = errors.Join(fe, errkind.ErrConflict)
		}
	case s == http.StatusTooManyRequests || s >= 500:
		return &errkind.TransientError{Err: se}
	}
	return se
}

// Do sends req through c and returns the response if its status is 2xx;
// the caller closes its body. Any other outcome is an error: a non-2xx
// status as CheckResponse says; a connection failure that outlasted its
// retries a *errkind.TransientError naming method and path; an ended
// context its own error (not transient: the caller gave up).
func Do(c *retryablehttp.Client, req *retryablehttp.Request) (*http.Response, error) {
	// The call's own hold: a 429 that speaks of no quota delays this
	// call's retry and no other (see Pacer).
	req = req.WithContext(withCallHold(req.Context()))
	resp, err := c.Do(req)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		var ae *authError
		if errors.As(err, &ae) {
			return nil, ae // the caller names it (see send)
		}
		where := req.Method + " " + req.URL.Path
		if cerr := req.Context().Err(); cerr != nil {
			return nil, fmt.Errorf("%s: %w", where, cerr)
		}
		// Includes http.Client's own timeout of one attempt.
		return nil, &errkind.TransientError{Err: fmt.Errorf("%s: %w", where, unwrapURLError(err))}
	}
	if err := CheckResponse(resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// unwrapURLError drops *url.Error's "Get \"http://…\":" prefix, which
// repeats the method and URL the caller names anyway.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// DecodeJSON decodes a 2xx response body (at most MaxBody) into v and
// closes it. An empty body leaves v alone.
func DecodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	where := ""
	if resp.Request != nil {
		where = resp.Request.Method + " " + resp.Request.URL.Path + ": "
	}
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer putBodyBuffer(buf)
	buf.Reset()
	if n := resp.ContentLength; n > 0 && n <= MaxBody {
		buf.Grow(int(n) + bytes.MinRead) // ReadFrom wants MinRead free at the end
	}
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return &errkind.TransientError{Err: fmt.Errorf("%sread body: %w", where, err)}
	}
	body := buf.Bytes()
	if len(body) > MaxBody {
		return fmt.Errorf("%sresponse body exceeds %d bytes", where, MaxBody)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := Unmarshal(body, v); err != nil {
		return fmt.Errorf("%sdecode %d response: %w", where, resp.StatusCode, err)
	}
	return nil
}

// bodyBuffers hold the bodies DecodeJSON reads, for the next one: a list
// of a hundred thousand users is a hundred bodies of half a megabyte,
// each read into a buffer grown from nothing and cleared by the
// allocator (issue 13). Reusing one is safe because a decode keeps
// nothing of its input: encoding/json copies every value it stores, and
// an UnmarshalJSON (or UnmarshalValidJSON) must copy what it keeps.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody is the largest buffer kept for reuse: a rare huge body
// is left to the collector rather than held by the pool.
const maxPooledBody = 4 << 20

func putBodyBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBody {
		bodyBuffers.Put(b)
	}
}

// Discard drains (a little of) a 2xx body and closes it.
func Discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxErrorBody))
	resp.Body.Close()
}

// errorBody is what parseErrorBody found in an error body.
type errorBody struct {
	// Message is the API's message, never empty when the body has text.
	Message string
	// Fields are field errors by field path, when the body names fields.
	Fields map[string][]string
	// FromFields says Message was composed from Fields (there was no
	// message of its own).
	FromFields bool
}

// messageKeys are where APIs put an error's message, best first: Laravel
// and most JSON APIs ("message"), OAuth2 ("error_description" over the
// "error" code), RFC 7807 and SCIM ("detail" over "title"), a bare or
// nested "error" ({"error":{"message":…}}), FastAPI's "msg".
var messageKeys = []string{"message", "error_description", "detail", "error", "msg", "errors", "title", "description"}

// fieldKeys name the field an entry of an error list is about.
var fieldKeys = []string{"field", "path", "attribute", "param", "property", "loc"}

// maxListMessages bounds how many entries of an error list make the
// message.
const maxListMessages = 10

// parseErrorBody takes the message and the field errors out of an error
// body, wherever the API puts them: "message", "error_description",
// "detail", "error" (a string or an object holding any of these), "msg",
// "errors" (a string, a list of strings, a list of objects with a message
// and perhaps a field, or Laravel's map of field → messages), "title",
// "description"; a top-level list or string; or plain text. A body with
// text but no message anywhere gives its start (snippet), so an error never
// ends in an empty message.
func parseErrorBody(body []byte) errorBody {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return errorBody{}
	}
	var raw json.RawMessage
	if json.Unmarshal(body, &raw) != nil {
		return errorBody{Message: snippet(body)}
	}
	var eb errorBody
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) == nil {
		eb.Fields = fieldsOf(doc)
		for _, k := range messageKeys {
			if k == "errors" && len(eb.Fields) > 0 && isObject(doc[k]) {
				// Laravel's map: the fields are the message.
				eb.Message, eb.FromFields = fieldsMessage(eb.Fields), true
				break
			}
			if eb.Message = messageOf(doc[k], 0); eb.Message != "" {
				break
			}
		}
	} else {
		eb.Message = messageOf(raw, 0)
	}
	if eb.Message == "" {
		eb.Message, eb.FromFields = snippet(body), false
	}
	if len(eb.Fields) > 0 && eb.Message == fieldsMessage(eb.Fields) {
		eb.FromFields = true // a list of field errors under another key
	}
	return eb
}

// messageOf reads a message out of a JSON value: a string's text; an
// object's first messageKeys entry; a list's messages joined by "; ", each
// prefixed by its field when it names one. Anything else is "".
func messageOf(raw json.RawMessage, depth int) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || depth > 3 {
		return ""
	}
	switch raw[0] {
	case '"':
		return jsonText(raw)
	case '{':
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return ""
		}
		for _, k := range messageKeys {
			if k == "errors" && isObject(obj[k]) {
				if f := jsonFields(obj[k]); len(f) > 0 {
					return fieldsMessage(f)
				}
			}
			if m := messageOf(obj[k], depth+1); m != "" {
				return m
			}
		}
	case '[':
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return ""
		}
		var parts []string
		for _, item := range list {
			m := messageOf(item, depth+1)
			if m == "" {
				continue
			}
			if f := fieldOf(item); f != "" && !strings.HasPrefix(m, f) {
				m = f + ": " + m
			}
			if len(parts) == maxListMessages {
				parts = append(parts, fmt.Sprintf("(%d more)", len(list)-maxListMessages))
				break
			}
			parts = append(parts, m)
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

// fieldsOf finds the field errors of a body: Laravel's "errors" map, or a
// list under "errors" (or "detail", FastAPI) whose entries name a field,
// at the top or in an "error" object.
func fieldsOf(doc map[string]json.RawMessage) map[string][]string {
	for _, k := range []string{"errors", "detail"} {
		if f := jsonFields(doc[k]); len(f) > 0 {
			return f
		}
	}
	var inner map[string]json.RawMessage
	if isObject(doc["error"]) && json.Unmarshal(doc["error"], &inner) == nil {
		for _, k := range []string{"errors", "details"} {
			if f := jsonFields(inner[k]); len(f) > 0 {
				return f
			}
		}
	}
	return nil
}

// fieldsMessage renders field errors as "field: message; …", fields
// sorted: the rendering of a FieldError without a message of its own,
// kept in one place (errkind).
func fieldsMessage(fields map[string][]string) string {
	return (&errkind.FieldError{Fields: fields}).Error()
}

func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}

// fieldOf is the field an error list entry names ("field", "path", …; a
// "loc" list is joined with dots; a JSON:API "source" gives its pointer or
// parameter), or "".
func fieldOf(item json.RawMessage) string {
	var obj map[string]json.RawMessage
	if !isObject(item) || json.Unmarshal(item, &obj) != nil {
		return ""
	}
	for _, k := range fieldKeys {
		if s := Scalar(obj[k]); s != "" {
			return s
		}
		var parts []string
		if json.Unmarshal(obj[k], &parts) == nil && len(parts) > 0 {
			return strings.Join(parts, ".")
		}
		var mixed []any // FastAPI's loc: ["body", "users", 0, "name"]
		if json.Unmarshal(obj[k], &mixed) == nil && len(mixed) > 0 {
			strs := make([]string, len(mixed))
			for i, v := range mixed {
				strs[i] = fmt.Sprint(v)
			}
			return strings.Join(strs, ".")
		}
	}
	var src struct {
		Pointer   string `json:"pointer"`
		Parameter string `json:"parameter"`
	}
	if isObject(obj["source"]) && json.Unmarshal(obj["source"], &src) == nil {
		return cmp.Or(strings.TrimPrefix(src.Pointer, "/data/attributes/"), src.Parameter)
	}
	return ""
}

// jsonText returns a JSON string's value, or "" for anything else.
func jsonText(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

// jsonFields reads field errors: Laravel's {"field":["…"]} or
// {"field":"…"}, or a list of entries that name their field
// ([{"field":"email","message":"…"}]).
func jsonFields(raw json.RawMessage) map[string][]string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	if raw[0] == '[' {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return nil
		}
		fields := map[string][]string{}
		for _, item := range list {
			f := fieldOf(item)
			if f == "" {
				continue
			}
			if m := messageOf(item, 1); m != "" {
				fields[f] = append(fields[f], m)
			}
		}
		if len(fields) == 0 {
			return nil
		}
		return fields
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || len(obj) == 0 {
		return nil
	}
	fields := make(map[string][]string, len(obj))
	for k, v := range obj {
		var list []string
		if json.Unmarshal(v, &list) == nil {
			if len(list) > 0 {
				fields[k] = list
			}
			continue
		}
		if s := jsonText(v); s != "" {
			fields[k] = []string{s}
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return fields
}

// firstFieldMessage is the first message of the first field, fields
// sorted; "" for none.
func firstFieldMessage(fields map[string][]string) string {
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if len(fields[k]) > 0 {
			return fields[k][0]
		}
	}
	return ""
}

// snippet is the start of a non-JSON body, on one line.
func snippet(body []byte) string {
	const max = 200
	if !utf8.Valid(body) {
		return fmt.Sprintf("(%d bytes of non-text body)", len(body))
	}
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
