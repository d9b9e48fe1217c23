package httpkit

import (
	"encoding/json"
	"fmt"
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

// lenientThing is a response type read by DecodeLenient.
type lenientThing struct {
	ID     string   `lenient:"id,thing_id"`
	Name   string   `lenient:"name"`
	On     bool     `lenient:"on,is_on"`
	Tags   []string `lenient:"tags"`
	Custom int      // untagged: the caller's
}

func TestDecodeLenient(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want lenientThing
	}{
		{`{"id":12,"name":null,"on":"1","tags":["a",2,null]}`, lenientThing{ID: "12", On: true, Tags: []string{"a", "2"}}},
		{`{"id":"","thing_id":"t","is_on":true,"name":"n"}`, lenientThing{ID: "t", Name: "n", On: true}},
		{`{"on":false,"is_on":"TRUE","tags":null}`, lenientThing{On: true}},
		{`{}`, lenientThing{}},
		{`null`, lenientThing{}},
	} {
		got := lenientThing{ID: "old", Custom: 7, Tags: []string{"old"}} // zeroed first
		o, err := DecodeLenient([]byte(tc.in), &got)
		if err != nil {
			t.Fatalf("DecodeLenient(%s): %v", tc.in, err)
		}
		if got.ID != tc.want.ID || got.Name != tc.want.Name || got.On != tc.want.On || got.Custom != 0 ||
			strings.Join(got.Tags, ",") != strings.Join(tc.want.Tags, ",") || (got.Tags == nil) != (tc.want.Tags == nil) {
			t.Errorf("DecodeLenient(%s) = %#v, want %#v", tc.in, got, tc.want)
		}
		if tc.in == `{}` && (o == nil || len(o) != 0) {
			t.Errorf("DecodeLenient({}) object = %#v, want empty", o)
		}
	}
	var got lenientThing
	if _, err := DecodeLenient([]byte(`[1]`), &got); err == nil {
		t.Error("DecodeLenient of an array: no error")
	}
}

func TestDecodeLenientRefusesOtherTypes(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "N is a int") {
			t.Errorf("panic = %v, want one naming field N", r)
		}
	}()
	var v struct {
		N int `lenient:"n"`
	}
	_, _ = DecodeLenient([]byte(`{"n":1}`), &v)
}

func TestUnmarshalLenient(t *testing.T) {
	got := lenientThing{Custom: 7}
	if err := UnmarshalLenient([]byte(`{"thing_id":3,"tags":["x"]}`), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != "3" || strings.Join(got.Tags, ",") != "x" || got.Custom != 0 {
		t.Errorf("UnmarshalLenient = %#v", got)
	}
	if err := UnmarshalLenient([]byte(`"text"`), &got); err == nil {
		t.Error("UnmarshalLenient of a string: no error")
	}
}
