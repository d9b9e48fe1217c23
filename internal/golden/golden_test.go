package golden

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLineDiff(t *testing.T) {
	tests := []struct{ want, got, diff string }{
		{"a\nb\nc", "a\nc\nd", "- b\n+ d\n"},
		{"a\nb", "b\na", "(the same lines, in another order or number)\n"},
	}
	for _, tt := range tests {
		if d := LineDiff(tt.want, tt.got); d != tt.diff {
			t.Errorf("LineDiff(%q, %q) = %q, want %q", tt.want, tt.got, d, tt.diff)
		}
	}
}

// With update the file is written, and then matches.
func TestCheckUpdateWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.golden")
	Check(t, path, "one\n", true)
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "one\n" {
		t.Fatalf("file holds %q, %v", b, err)
	}
	Check(t, path, "one\n", false)
}
