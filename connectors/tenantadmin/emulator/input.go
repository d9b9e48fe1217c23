package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// errorBag collects validation errors in the order found, one message per
// key.
type errorBag struct{ emukit.Errors }

// fail answers the errors: status (422 for a body, 400 for a query) with
// the first message as "message".
func (b *errorBag) fail(status int) response {
	return emukit.JSON(status, errorBody{Error: errorCodes[status], Message: b.First(), Errors: b})
}

// input is a JSON object body, values kept raw so that absent, null and
// mistyped fields can be told apart.
type input map[string]json.RawMessage

// parseBody decodes one JSON object. An empty body is {}; a non-empty one
// must be sent as application/json.
func parseBody(contentType string, raw []byte) (input, error) {
	in, err := emukit.ParseObject(contentType, raw)
	return input(in), err
}

// field is one body field as sent.
type field struct {
	present, null bool
	raw           json.RawMessage
}

func (in input) get(key string) field {
	raw, ok := in[key]
	if !ok {
		return field{}
	}
	return field{present: true, null: bytes.Equal(bytes.TrimSpace(raw), []byte("null")), raw: raw}
}

// str reads a string field that is present and not null; a value of
// another JSON type is an error on key.
func (in input) str(b *errorBag, key string) (string, bool) {
	f := in.get(key)
	if !f.present || f.null {
		return "", false
	}
	var v string
	if json.Unmarshal(f.raw, &v) != nil {
		b.Add(key, key+" must be a string")
		return "", false
	}
	return v, true
}

// object reads an object field that is present and not null.
func (in input) object(b *errorBag, key string) (map[string]any, bool) {
	f := in.get(key)
	if !f.present || f.null {
		return nil, false
	}
	var v map[string]any
	if json.Unmarshal(f.raw, &v) != nil || v == nil {
		b.Add(key, key+" must be an object")
		return nil, false
	}
	return v, true
}

// limits of the list endpoints (the document: default 20, at most 100).
const (
	defaultLimit = 20
	maxLimit     = 100
)

// limit reads ?limit: an integer 1..100, 20 when absent or empty; over
// 100 is served as 100 under limit-clamped.
func (c *call) limit(b *errorBag) int {
	v := c.q("limit")
	if v == "" {
		return defaultLimit
	}
	n, err := strconv.Atoi(v)
	if err == nil && n > maxLimit && c.s.readings.Has(ReadingLimitClamped) {
		return maxLimit
	}
	if err != nil || n < 1 || n > maxLimit {
		b.Add("limit", "limit must be an integer between 1 and 100")
		return defaultLimit
	}
	return n
}

// flag reads a boolean query parameter: true/false or 1/0.
func (c *call) flag(b *errorBag, key string) bool {
	switch strings.ToLower(c.q(key)) {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	}
	b.Add(key, key+" must be true or false")
	return false
}

// cursor reads ?cursor: base64 of {"<key>": "<last item's key>"} (the
// document's member cursor is {"user_id": …}); "" is the first page.
func (c *call) cursor(b *errorBag, key string) string {
	v := c.q("cursor")
	if v == "" {
		return ""
	}
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding} {
		raw, err := enc.DecodeString(v)
		if err != nil {
			continue
		}
		var doc map[string]string
		if json.Unmarshal(raw, &doc) == nil && doc[key] != "" {
			return doc[key]
		}
	}
	b.Add("cursor", "cursor is not a cursor this endpoint issued")
	return ""
}

func encodeCursor(key, after string) *string {
	raw, _ := json.Marshal(map[string]string{key: after})
	s := base64.RawURLEncoding.EncodeToString(raw)
	return &s
}

// listBody is the shape of every list response.
type listBody struct {
	Items  []any   `json:"items"`
	Total  int     `json:"total"`
	Cursor *string `json:"cursor"`
}

// page answers one page of keys (sorted) after the cursor key after, each
// rendered; the cursor names the page's last key when more follow (under
// cursor-on-last-page, whenever the page is not empty).
func (c *call) page(keys []string, cursorKey, after string, limit int, render func(string) any) response {
	// Keyset: the first key after the cursor's, so that a deletion
	// between pages skips nothing.
	from := 0
	if after != "" {
		var found bool
		if from, found = slices.BinarySearch(keys, after); found {
			from++
		}
	}
	to := min(from+limit, len(keys))
	body := listBody{Items: make([]any, 0, to-from), Total: len(keys)}
	for _, k := range keys[from:to] {
		body.Items = append(body.Items, render(k))
	}
	if to < len(keys) || (to > from && c.s.readings.Has(ReadingCursorOnLastPage)) {
		body.Cursor = encodeCursor(cursorKey, keys[to-1])
	}
	return emukit.JSON(http.StatusOK, body)
}
