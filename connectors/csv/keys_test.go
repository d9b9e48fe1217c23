package csv

import "testing"

// TestKeyLines: a key added before is found with its first line, whether
// the keys came in order (listed) or not (the list turned into a map).
func TestKeyLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []string
		want []int // the line seen returns for keys[i] (line i+2), 0 for a new key
	}{
		{"in order", []string{"a", "b", "c"}, []int{0, 0, 0}},
		{"the same key twice in a row", []string{"a", "b", "b", "c", "b"}, []int{0, 0, 3, 0, 3}},
		{"out of order", []string{"b", "c", "a", "b", "d", "a", "e"}, []int{0, 0, 0, 2, 0, 4, 0}},
		{"numbers not padded", []string{"9", "10", "11", "9"}, []int{0, 0, 0, 2}},
	} {
		var k keyLines
		for i, key := range tc.keys {
			line, dup := k.seen(key)
			if want := tc.want[i]; dup != (want != 0) || line != want {
				t.Errorf("%s: key %d (%q): seen = %d, %v; want %d", tc.name, i, key, line, dup, want)
			}
			if !dup {
				k.add(key, i+2)
			}
		}
	}
}
