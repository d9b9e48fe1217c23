package httpkit

import (
	"encoding/json"
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
