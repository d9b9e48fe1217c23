package emukit

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"strconv"
	"strings"
)

// Errors of ParseObject; their text can be shown to a client.
var (
	ErrContentType  = errors.New("the request body must be sent as Content-Type: application/json")
	ErrNotObject    = errors.New("the request body is not a JSON object")
	ErrTrailingData = errors.New("the request body holds more than one JSON value")
)

// Object is a JSON object body decoded by ParseObject, values kept raw.
type Object = map[string]json.RawMessage

// ParseObject decodes a JSON object body, values kept raw. An empty (or
// blank) body is an empty object; a non-empty one must be sent as
// application/json (or a +json type) and be exactly one JSON object.
func ParseObject(contentType string, raw []byte) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil, ErrContentType
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var in map[string]json.RawMessage
	if err := dec.Decode(&in); err != nil || in == nil {
		return nil, ErrNotObject
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, ErrTrailingData
	}
	return in, nil
}

// Clone returns a copy of *p in a new variable, nil for nil: an optional
// field of a stored record handed out, or stored, without sharing it.
func Clone[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// QuoteOrNull is an optional string as an emulator's Dump writes it: null,
// or the value quoted.
func QuoteOrNull(p *string) string {
	if p == nil {
		return "null"
	}
	return strconv.Quote(*p)
}
