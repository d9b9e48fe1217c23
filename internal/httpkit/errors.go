package httpkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/orgbridge/orgbridge/connectors"
)

// Body size caps.
const (
	// MaxErrorBody is how much of a non-2xx body is read for its message.
	MaxErrorBody = 64 << 10
	// MaxBody is how much of a 2xx body DecodeJSON reads.
	MaxBody = 64 << 20
)

// StatusError is a non-2xx response. It wraps the kind of failure, when
// there is one: connectors.ErrNotFound (404), connectors.ErrConflict (409)
// or a *connectors.FieldError (422). Do and CheckResponse further wrap a 429
// or a 5xx in a *connectors.TransientError.
type StatusError struct {
	Method string
	Path   string
	Status int
	// Message is the API's own message ("message", "error_description",
	// "detail" or "error" of a JSON body, else the start of the body).
	Message string
	// RetryAfter is the server's Retry-After, if it sent one.
	RetryAfter time.Duration
	// Err is the sentinel or *connectors.FieldError wrapped, or nil.
	Err error
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	var fe *connectors.FieldError
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
	msg, fields := parseErrorBody(body)
	se.Message = msg
	if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		se.RetryAfter = d
	}

	switch s := resp.StatusCode; {
	case s == http.StatusNotFound:
		se.Err = connectors.ErrNotFound
	case s == http.StatusConflict:
		se.Err = connectors.ErrConflict
	case s == http.StatusUnprocessableEntity:
		fe := &connectors.FieldError{Status: s, Message: msg, Fields: fields}
		if fe.Message == "" {
			fe.Message = firstFieldMessage(fields)
		}
		se.Err = fe
	case s == http.StatusTooManyRequests || s >= 500:
		return &connectors.TransientError{Err: se}
	}
	return se
}

// Do sends req through c and returns the response if its status is 2xx;
// the caller closes its body. Any other outcome is an error: a non-2xx
// status as CheckResponse says; a connection failure that outlasted its
// retries a *connectors.TransientError naming method and path; an ended
// context its own error (not transient: the caller gave up).
func Do(c *retryablehttp.Client, req *retryablehttp.Request) (*http.Response, error) {
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
		return nil, &connectors.TransientError{Err: fmt.Errorf("%s: %w", where, unwrapURLError(err))}
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
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return &connectors.TransientError{Err: fmt.Errorf("%sread body: %w", where, err)}
	}
	if len(body) > MaxBody {
		return fmt.Errorf("%sresponse body exceeds %d bytes", where, MaxBody)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%sdecode %d response: %w", where, resp.StatusCode, err)
	}
	return nil
}

// Discard drains (a little of) a 2xx body and closes it.
func Discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxErrorBody))
	resp.Body.Close()
}

// parseErrorBody takes the message and the field errors out of an error
// body: {"message":…,"errors":{"field":["…"]}} (Laravel, AirCourse),
// {"error":…,"error_description":…} (OAuth2), {"detail":…} (SCIM, RFC
// 7807), or plain text.
func parseErrorBody(body []byte) (string, map[string][]string) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return "", nil
	}
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) == nil {
		msg := ""
		for _, k := range []string{"message", "error_description", "detail", "error", "title"} {
			if s := jsonText(doc[k]); s != "" {
				msg = s
				break
			}
		}
		return msg, jsonFields(doc["errors"])
	}
	return snippet(body), nil
}

// jsonText returns a JSON string's value, or "" for anything else.
func jsonText(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

// jsonFields reads {"field":["…"]} or {"field":"…"}.
func jsonFields(raw json.RawMessage) map[string][]string {
	if len(raw) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || len(obj) == 0 {
		return nil
	}
	fields := make(map[string][]string, len(obj))
	for k, v := range obj {
		var list []string
		if json.Unmarshal(v, &list) == nil {
			fields[k] = list
			continue
		}
		if s := jsonText(v); s != "" {
			fields[k] = []string{s}
		}
	}
	return fields
}

func firstFieldMessage(fields map[string][]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
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
