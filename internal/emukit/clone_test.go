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
