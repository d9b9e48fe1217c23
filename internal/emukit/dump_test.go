package emukit

import (
	"sync"
	"testing"
)

// TestDump: the lines come out sorted, each ended by a newline, and no
// line at all is the empty text; the lock is held while they are added.
func TestDump(t *testing.T) {
	var mu sync.Mutex
	for _, tc := range []struct {
		name  string
		lines [][]any
		want  string
	}{
		{"none", nil, ""},
		{"sorted", [][]any{{"user %s", "b"}, {"org %q", "本社"}, {"user %s", "a"}}, "org \"本社\"\nuser a\nuser b\n"},
		{"equal lines kept", [][]any{{"org x"}, {"org x"}}, "org x\norg x\n"},
	} {
		got := Dump(&mu, func(add func(string, ...any)) {
			if mu.TryLock() {
				t.Errorf("%s: the lock is not held while lines are added", tc.name)
				mu.Unlock()
			}
			for _, l := range tc.lines {
				add(l[0].(string), l[1:]...)
			}
		})
		if got != tc.want {
			t.Errorf("%s: Dump = %q, want %q", tc.name, got, tc.want)
		}
	}
}
