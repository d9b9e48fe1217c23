package httpkit

import (
	"encoding/json"
	"maps"
	"sync/atomic"
)

// rawObject is json.Unmarshal of b into a map[string]json.RawMessage, the
// same map and the same errors, in one validating pass and one splitting
// pass instead of encoding/json's reflection over every member: a list
// page of a thousand objects is read a member at a time, and that
// decode was most of a no-change run's reading of the target (issue 13).
// The values are slices of b, not copies.
func rawObject(b []byte) (map[string]json.RawMessage, error) {
	if !json.Valid(b) {
		return slowObject(b) // encoding/json's own error
	}
	return validObject(b)
}

// validObject is rawObject of b already known to be valid JSON: the
// splitting pass alone.
func validObject(b []byte) (map[string]json.RawMessage, error) {
	o, _, err := splitObject(b, nil)
	return o, err
}

// splitObject is validObject into o (nil: a new map at the object's
// size), and how many members b has (more than the map holds when a name
// is repeated).
func splitObject(b []byte, o map[string]json.RawMessage) (map[string]json.RawMessage, int, error) {
	i := skipSpace(b, 0)
	if b[i] != '{' {
		o, err := slowObject(b) // null: a nil map; else its type error
		return o, 0, err
	}
	// The members first, so that the map is made once at its size.
	type member struct{ key, value []byte }
	var buf [32]member
	members := buf[:0]
	for i = skipSpace(b, i+1); b[i] != '}'; {
		end := stringEnd(b, i)
		key := b[i:end]
		i = skipSpace(b, skipSpace(b, end)+1) // past the colon
		vend := valueEnd(b, i)
		members = append(members, member{key, b[i:vend:vend]})
		if i = skipSpace(b, vend); b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	if o == nil {
		o = make(map[string]json.RawMessage, len(members))
	}
	for _, m := range members {
		key, ok := keyName(m.key)
		if !ok {
			var err error
			if key, err = slowString(m.key); err != nil {
				return nil, 0, err // not reached: b is valid
			}
		}
		o[key] = m.value
	}
	return o, len(members), nil
}

// slowObject and slowString are encoding/json's decodes, for what the
// fast paths leave.
func slowObject(b []byte) (map[string]json.RawMessage, error) {
	var o map[string]json.RawMessage
	err := json.Unmarshal(b, &o)
	return o, err
}

func slowString(b []byte) (string, error) {
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// keyNames interns the member names rawObject meets (a server's few
// dozen: every object of a list has the same), up to maxKeyNames, so
// that a page of a thousand objects does not allocate each name a
// thousand times. The map is never changed once stored (a name is added
// to a copy), so that the pages decoded at once look names up without a
// lock: a read lock taken for each name of each object was one cache
// line every decoding goroutine wrote to.
var keyNames atomic.Pointer[map[string]string]

// maxKeyNames bounds the names interned (and the copies of the map made
// to add one): past it a name is allocated each time.
const maxKeyNames = 512

// keyName is the name a quoted JSON member name holds when it has
// nothing to unescape (plainString), interned.
func keyName(quoted []byte) (string, bool) {
	names := keyNames.Load()
	if names != nil {
		if s, ok := (*names)[string(quoted)]; ok {
			return s, true
		}
	}
	s, ok := plainString(quoted)
	if !ok {
		return "", false
	}
	for names == nil || len(*names) < maxKeyNames {
		next := make(map[string]string, 1+len(mapOrNil(names)))
		maps.Copy(next, mapOrNil(names))
		next[string(quoted)] = s
		if keyNames.CompareAndSwap(names, &next) {
			break
		}
		names = keyNames.Load()
		if _, ok := (*names)[string(quoted)]; ok {
			break // another goroutine added it
		}
	}
	return s, true
}

func mapOrNil(m *map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	return *m
}

// rawArray splits a JSON array into its elements; ok is false for
// anything else (absent, null, another type, malformed), as json.Unmarshal
// into a []json.RawMessage would fail or leave it nil.
func rawArray(raw []byte) (list []json.RawMessage, ok bool) {
	if !json.Valid(raw) {
		return nil, false
	}
	return validArray(raw)
}

// validArray is rawArray of raw already known to be valid JSON (or
// empty: absent).
func validArray(raw []byte) (list []json.RawMessage, ok bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return nil, false
	}
	list = []json.RawMessage{}
	for i = skipSpace(raw, i+1); raw[i] != ']'; {
		end := valueEnd(raw, i)
		list = append(list, raw[i:end:end])
		if i = skipSpace(raw, end); raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return list, true
}

// ValidUnmarshaler is a type that decodes JSON already known to be valid,
// as encoding/json hands an UnmarshalJSON its bytes. DecodeJSON validates
// a body once and hands it to such a type whole, so that a list page of a
// thousand objects is not validated again object by object and list by
// list (it was, three times over: most of a no-change run's reading of a
// target, issue 13).
type ValidUnmarshaler interface {
	UnmarshalValidJSON(b []byte) error
}

// Unmarshal is json.Unmarshal, the same values and errors, but for a v
// that is a ValidUnmarshaler: b is validated once and handed to it.
func Unmarshal(b []byte, v any) error {
	u, ok := v.(ValidUnmarshaler)
	if !ok || !json.Valid(b) {
		return json.Unmarshal(b, v) // also the syntax error of a malformed b
	}
	return u.UnmarshalValidJSON(b)
}

// UnmarshalValid decodes b, already known to be valid JSON, into v: by
// its UnmarshalValidJSON where v has one, else json.Unmarshal. It is how
// an UnmarshalValidJSON decodes its parts.
func UnmarshalValid(b []byte, v any) error {
	if u, ok := v.(ValidUnmarshaler); ok {
		return u.UnmarshalValidJSON(b)
	}
	return json.Unmarshal(b, v)
}

// ValidObject splits b, valid JSON, into its members, as json.Unmarshal
// into a map[string]json.RawMessage would; ok is false when b is not an
// object or names a member twice (encoding/json decodes each of them into
// a struct, and may fail on one the map would have overwritten: a caller
// leaves those to it). The values are slices of b.
func ValidObject(b []byte) (members map[string]json.RawMessage, ok bool) {
	if i := skipSpace(b, 0); i >= len(b) || b[i] != '{' {
		return nil, false
	}
	o, n, err := splitObject(b, nil)
	return o, err == nil && len(o) == n
}

// ValidArray splits raw, valid JSON, into its elements; ok is false when
// it is not an array. The elements are slices of raw.
func ValidArray(raw []byte) (elements []json.RawMessage, ok bool) {
	return validArray(raw)
}

// The scanners below read JSON already known to be valid (json.Valid).

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// stringEnd is the index just past the string that starts at b[i].
func stringEnd(b []byte, i int) int {
	for i++; ; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// valueEnd is the index just past the value that starts at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(b) { // a number, true, false or null
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
		i++
	}
	return i
}
