package emukit

import (
	"bytes"
	"encoding/json"
)

// Errors collects the validation errors of one request in the order they
// were found, one message per key (the first), and encodes them as
// {"key":["message"], …} in that order: the "errors" member of a 422 in the
// documents that follow Laravel's shape. The zero Errors is empty; a nil
// *Errors is empty too.
type Errors struct {
	keys []string
	msgs map[string]string
}

// Add records msg for key unless key has a message already.
func (e *Errors) Add(key, msg string) {
	if _, dup := e.msgs[key]; dup {
		return
	}
	if e.msgs == nil {
		e.msgs = map[string]string{}
	}
	e.keys = append(e.keys, key)
	e.msgs[key] = msg
}

// Empty reports whether no error was added.
func (e *Errors) Empty() bool { return e == nil || len(e.keys) == 0 }

// Keys returns the keys in the order found.
func (e *Errors) Keys() []string {
	if e == nil {
		return nil
	}
	return e.keys
}

// Message returns the message of key, "" when it has none.
func (e *Errors) Message(key string) string {
	if e == nil {
		return ""
	}
	return e.msgs[key]
}

// First returns the first message found, "" when there is none: the
// top-level "message" of the documents' 422.
func (e *Errors) First() string {
	if e.Empty() {
		return ""
	}
	return e.msgs[e.keys[0]]
}

// Fields returns the errors as a map of key to its messages.
func (e *Errors) Fields() map[string][]string {
	out := make(map[string][]string, len(e.Keys()))
	for _, k := range e.Keys() {
		out[k] = []string{e.msgs[k]}
	}
	return out
}

// MarshalJSON encodes the errors as an object, keys in the order found,
// each with its message in a list.
func (e *Errors) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range e.Keys() {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := json.Marshal([]string{e.msgs[k]})
		if err != nil {
			return nil, err
		}
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
