package csv

import (
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/orgbridge/orgbridge/connectors"
)

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
		// A record of another file before, as Read lists them.
		out := []connectors.Record{{Key: "zz", Origin: "orgs.csv:2"}}
		for i, key := range tc.keys {
			line, dup := k.seen(out, key)
			if want := tc.want[i]; dup != (want != 0) || line != want {
				t.Errorf("%s: key %d (%q): seen = %d, %v; want %d", tc.name, i, key, line, dup, want)
			}
			if !dup {
				k.add(out, key, i+2)
				out = append(out, connectors.Record{Key: key, Origin: "users.csv:" + strconv.Itoa(i+2)})
			}
		}
	}
}

// TestJoined: a row's fields cut one after the other from one string give
// that string back, not a copy; others are joined anew; ends are where
// each field ends either way.
func TestJoined(t *testing.T) {
	line := strings.Clone("e1佐藤営業")
	for _, tc := range []struct {
		name   string
		fields []string
		want   string
		same   bool // the string returned is line's
	}{
		{"one string", []string{line[:2], line[2:8], line[8:]}, line, true},
		{"empty fields too", []string{"", line[:2], "", line[2:8], line[8:], ""}, line, true},
		{"apart", []string{line[:2], strings.Clone(line[2:8]), line[8:]}, line, false},
		{"out of order", []string{line[2:8], line[:2]}, "佐藤e1", false},
		{"all empty", []string{"", ""}, "", false},
		{"none", nil, "", false},
	} {
		ends := make([]uint32, len(tc.fields))
		got := joined(tc.fields, ends)
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		if same := got != "" && unsafe.StringData(got) == unsafe.StringData(line); same != tc.same {
			t.Errorf("%s: shares the line's bytes: %v, want %v", tc.name, same, tc.same)
		}
		n := 0
		for i, f := range tc.fields {
			n += len(f)
			if ends[i] != uint32(n) {
				t.Errorf("%s: ends[%d] = %d, want %d", tc.name, i, ends[i], n)
			}
		}
	}
}
