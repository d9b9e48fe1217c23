package httpkit

import (
	"bytes"
	"encoding/json"
)

// Scalar reads a JSON value leniently as text, for APIs whose documents
// give few response shapes: a string's value, a number or a boolean as
// written, and "" for null, an object, an array, an absent value or
// malformed JSON.
func Scalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || raw[0] == '{' || raw[0] == '[' {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	return string(raw)
}

// FirstScalar is the first of keys whose value in obj is a non-empty
// Scalar: a field read under the names different servers give it.
func FirstScalar(obj map[string]json.RawMessage, keys ...string) string {
	for _, k := range keys {
		if s := Scalar(obj[k]); s != "" {
			return s
		}
	}
	return ""
}
