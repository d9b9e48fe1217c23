package httpkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
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
		if s, ok := plainString(raw); ok {
			return s
		}
		if s, err := slowString(raw); err == nil {
			return s
		}
		return ""
	}
	switch string(raw) { // the common ones without an allocation
	case "true":
		return "true"
	case "false":
		return "false"
	case "0":
		return "0"
	case "1":
		return "1"
	}
	return string(raw)
}

// plainString is the value of a JSON string with nothing to unescape or
// replace (no backslash, no control character, valid UTF-8), which is
// most of them: what json.Unmarshal would give, without its validation
// pass and reflection. ok is false for any other, which the caller
// decodes the long way.
func plainString(raw []byte) (string, bool) {
	n := len(raw)
	if n < 2 || raw[0] != '"' || raw[n-1] != '"' {
		return "", false
	}
	in := raw[1 : n-1]
	for _, c := range in {
		if c == '"' || c == '\\' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(in) {
		return "", false
	}
	return string(in), true
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
	return firstScalars(rawArray, obj, keys)
}

// firstScalars is FirstScalars splitting arrays with split: rawArray, or
// validArray for an object known to be valid.
func firstScalars(split func([]byte) ([]json.RawMessage, bool), obj map[string]json.RawMessage, keys []string) []string {
	for _, k := range keys {
		list, ok := split(obj[k])
		if !ok {
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

// DecodeLenient reads the JSON object b into the struct v points to, each
// field tagged `lenient:"key,other"` under the first of its keys that
// holds a value, whatever JSON type it comes in: a string field as
// FirstScalar, a bool as AnyTrue, a []string as FirstScalars. It is the
// UnmarshalJSON of a response type whose document gives few shapes, the
// tags naming every key a server may send a field under. The struct is
// zeroed first, so an untagged field is left zero; the object is
// returned for the fields with a rule of their own. A tagged field of
// another type panics: the type is wrong, not the response.
//
// The object's values are slices of b, as encoding/json hands b to an
// UnmarshalJSON: read them before it returns, or copy them.
func DecodeLenient(b []byte, v any) (map[string]json.RawMessage, error) {
	o, err := rawObject(b)
	if err != nil {
		return nil, err
	}
	decodeLenient(o, v, rawArray)
	return o, nil
}

// DecodeLenientValid is DecodeLenient of b already known to be valid JSON
// (an UnmarshalValidJSON's): the same fields and errors without
// validating b, or each list in it, again. The object goes to rest (when
// not nil), for the fields with a rule of their own, and is cleared and
// reused once rest returns: a map made for each object of a list page was
// a tenth of a no-change run's CPU (issue 13).
func DecodeLenientValid(b []byte, v any, rest func(map[string]json.RawMessage)) error {
	m := lenientObjects.Get().(map[string]json.RawMessage)
	defer func() {
		clear(m)
		lenientObjects.Put(m)
	}()
	o, _, err := splitObject(b, m)
	if err != nil {
		return err
	}
	decodeLenient(o, v, validArray)
	if rest != nil {
		rest(o)
	}
	return nil
}

// lenientObjects are DecodeLenientValid's maps, for the next object.
var lenientObjects = sync.Pool{New: func() any { return map[string]json.RawMessage{} }}

// decodeLenient sets the tagged fields of the struct v points to from o,
// splitting arrays with split.
func decodeLenient(o map[string]json.RawMessage, v any, split func([]byte) ([]json.RawMessage, bool)) {
	rv := reflect.ValueOf(v).Elem()
	rv.SetZero()
	for _, f := range lenientFieldsOf(rv.Type()) {
		fv := rv.Field(f.index)
		switch fv.Kind() {
		case reflect.String:
			fv.SetString(FirstScalar(o, f.keys...))
		case reflect.Bool:
			t, _ := AnyTrue(o, f.keys...)
			fv.SetBool(t)
		default: // []string
			if list := firstScalars(split, o, f.keys); list != nil {
				fv.Set(reflect.ValueOf(list))
			}
		}
	}
}

// UnmarshalLenient is DecodeLenient for a type whose every field is read
// by its tag: the whole of its UnmarshalJSON.
func UnmarshalLenient(b []byte, v any) error {
	_, err := DecodeLenient(b, v)
	return err
}

// UnmarshalLenientValid is UnmarshalLenient of b already known to be
// valid JSON: the whole of an UnmarshalValidJSON.
func UnmarshalLenientValid(b []byte, v any) error {
	return DecodeLenientValid(b, v, nil)
}

// lenientField is a field DecodeLenient reads: its index and its keys.
type lenientField struct {
	index int
	keys  []string
}

// lenientFields holds each struct type's lenientFields, read once.
var lenientFields sync.Map // reflect.Type → []lenientField

func lenientFieldsOf(t reflect.Type) []lenientField {
	if fs, ok := lenientFields.Load(t); ok {
		return fs.([]lenientField)
	}
	var fs []lenientField
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("lenient")
		if !ok {
			continue
		}
		if k := sf.Type.Kind(); k != reflect.String && k != reflect.Bool && sf.Type != reflect.TypeFor[[]string]() {
			panic(fmt.Sprintf("httpkit: lenient field %s.%s is a %s, not a string, a bool or a []string", t, sf.Name, sf.Type))
		}
		fs = append(fs, lenientField{index: i, keys: strings.Split(tag, ",")})
	}
	lenientFields.Store(t, fs)
	return fs
}
