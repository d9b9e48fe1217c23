package httpkit

import (
	"bytes"
	"encoding/json"
	"strings"
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

// AnyTrue reports whether any of keys holds true or 1 in obj (as JSON or
// text, in any case); present is false when none of them is there.
func AnyTrue(obj map[string]json.RawMessage, keys ...string) (v, present bool) {
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			continue
		}
		switch strings.ToLower(Scalar(obj[k])) {
		case "true", "1":
			return true, true
		}
		present = true
	}
	return false, present
}

// FirstScalars is the array under the first of keys holding one (null is
// none), its non-empty Scalars in order: a list read under the names
// different servers give it.
func FirstScalars(obj map[string]json.RawMessage, keys ...string) []string {
	for _, k := range keys {
		var list []json.RawMessage
		if json.Unmarshal(obj[k], &list) != nil || list == nil {
			continue
		}
		out := make([]string, 0, len(list))
		for _, e := range list {
			if s := Scalar(e); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
