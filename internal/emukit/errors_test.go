package emukit

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		add    [][2]string // key, message
		json   string
		first  string
		fields map[string][]string
	}{
		{name: "none", json: `{}`, fields: map[string][]string{}},
		{
			name:   "in the order found",
			add:    [][2]string{{"name", "name is required"}, {"email", "email is invalid"}, {"users.1", "not a string"}},
			json:   `{"name":["name is required"],"email":["email is invalid"],"users.1":["not a string"]}`,
			first:  "name is required",
			fields: map[string][]string{"name": {"name is required"}, "email": {"email is invalid"}, "users.1": {"not a string"}},
		},
		{
			name:   "the first message of a key wins",
			add:    [][2]string{{"name", "name is required"}, {"name", "name is too long"}},
			json:   `{"name":["name is required"]}`,
			first:  "name is required",
			fields: map[string][]string{"name": {"name is required"}},
		},
		{
			name:   "keys escaped",
			add:    [][2]string{{`a"b`, "名前は必須です。"}},
			json:   `{"a\"b":["名前は必須です。"]}`,
			first:  "名前は必須です。",
			fields: map[string][]string{`a"b`: {"名前は必須です。"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e Errors
			for _, a := range tc.add {
				e.Add(a[0], a[1])
			}
			b, err := json.Marshal(&e)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.json {
				t.Errorf("JSON %s, want %s", b, tc.json)
			}
			if e.Empty() != (len(tc.add) == 0) {
				t.Errorf("Empty() = %v with %d added", e.Empty(), len(tc.add))
			}
			if got := e.First(); got != tc.first {
				t.Errorf("First() = %q, want %q", got, tc.first)
			}
			if got := e.Fields(); !reflect.DeepEqual(got, tc.fields) {
				t.Errorf("Fields() = %v, want %v", got, tc.fields)
			}
		})
	}
}

// A nil *Errors is empty: an error body may leave it out.
func TestErrorsNil(t *testing.T) {
	var e *Errors
	if !e.Empty() || e.First() != "" || len(e.Keys()) != 0 || e.Message("x") != "" || len(e.Fields()) != 0 {
		t.Error("a nil *Errors is not empty")
	}
}
