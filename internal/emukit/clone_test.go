package emukit

import "testing"

// Clone copies: changing the copy leaves the original as it was.
func TestClone(t *testing.T) {
	if Clone[string](nil) != nil {
		t.Error("Clone(nil) is not nil")
	}
	v := "本社"
	c := Clone(&v)
	if c == &v || *c != v {
		t.Fatalf("Clone(&%q) = %p %q, want a new variable holding the same value", v, c, *c)
	}
	*c = "支社"
	if v != "本社" {
		t.Errorf("changing the clone changed the original to %q", v)
	}
}

// QuoteOrNull writes a missing value as null and a present one quoted, so
// that "null" the string and null differ.
func TestQuoteOrNull(t *testing.T) {
	s, null := "本社 \"x\"", "null"
	for _, c := range []struct {
		in   *string
		want string
	}{{nil, "null"}, {&s, `"本社 \"x\""`}, {&null, `"null"`}} {
		if got := QuoteOrNull(c.in); got != c.want {
			t.Errorf("QuoteOrNull(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}
