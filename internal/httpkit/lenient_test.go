package httpkit

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestScalar(t *testing.T) {
	for in, want := range map[string]string{
		``: "", `null`: "", ` "a b" `: "a b", `12.50`: "12.50", `true`: "true",
		`{"a":1}`: "", `[1]`: "", `"bad`: "", `"\u3042"`: "あ",
	} {
		if got := Scalar(json.RawMessage(in)); got != want {
			t.Errorf("Scalar(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestFirstScalar(t *testing.T) {
	obj := map[string]json.RawMessage{"a": json.RawMessage(`null`), "b": json.RawMessage(`""`), "c": json.RawMessage(`7`), "d": json.RawMessage(`"x"`)}
	if got := FirstScalar(obj, "missing", "a", "b", "c", "d"); got != "7" {
		t.Errorf("FirstScalar = %q, want 7", got)
	}
	if got := FirstScalar(obj, "a", "b"); got != "" {
		t.Errorf("FirstScalar of empties = %q", got)
	}
}

func TestAnyTrueAndFirstScalars(t *testing.T) {
	obj := map[string]json.RawMessage{
		"no": json.RawMessage(`false`), "one": json.RawMessage(`"1"`), "yes": json.RawMessage(`"TRUE"`), "null": json.RawMessage(`null`),
		"list": json.RawMessage(`["a", 2, null, "", true]`), "none": json.RawMessage(`null`), "obj": json.RawMessage(`{"a":1}`), "empty": json.RawMessage(`[]`),
	}
	for _, tc := range []struct {
		keys          []string
		want, present bool
	}{
		{[]string{"missing"}, false, false},
		{[]string{"no"}, false, true},
		{[]string{"null", "missing"}, false, true},
		{[]string{"no", "one"}, true, true},
		{[]string{"missing", "yes"}, true, true},
	} {
		if v, ok := AnyTrue(obj, tc.keys...); v != tc.want || ok != tc.present {
			t.Errorf("AnyTrue(%v) = %v, %v; want %v, %v", tc.keys, v, ok, tc.want, tc.present)
		}
	}
	for _, tc := range []struct {
		keys []string
		want []string
	}{
		{[]string{"missing"}, nil},
		{[]string{"none", "obj", "list"}, []string{"a", "2", "true"}},
		{[]string{"empty", "list"}, []string{}},
	} {
		got := FirstScalars(obj, tc.keys...)
		if (got == nil) != (tc.want == nil) || strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("FirstScalars(%v) = %#v, want %#v", tc.keys, got, tc.want)
		}
	}
}
