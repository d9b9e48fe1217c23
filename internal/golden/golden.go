// Package golden compares what a test produced with a file under testdata/,
// and rewrites the file when the test runs with its -update flag. Each test
// package keeps its own flag (flags cannot be registered twice in one test
// binary) and passes its value in.
package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Check compares got with the file at path. With update it first writes
// got there (making its directory), so the comparison then passes and the
// diff shows in version control.
func Check(t testing.TB, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (- want, + got):\n%s", path, LineDiff(string(want), got))
	}
}

// LineDiff lists the lines only in want (-) and only in got (+), in order:
// enough to read what changed in a sorted, line-per-object dump.
func LineDiff(want, got string) string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[l]++
		}
		return m
	}
	w, g := count(want), count(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if g[l] == 0 {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if w[l] == 0 {
			b.WriteString("+ " + l + "\n")
		}
	}
	if b.Len() == 0 {
		b.WriteString("(the same lines, in another order or number)\n")
	}
	return b.String()
}
