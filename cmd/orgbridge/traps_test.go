package main

import (
	"strings"
	"testing"
)

// TestParseRateLimit: --rate-limit off is no limit, a positive number that
// many a minute, nothing the document's; 0 and negatives are refused with
// a message rather than read as the document's limit or as none.
func TestParseRateLimit(t *testing.T) {
	for _, tc := range []struct {
		arg     string
		want    int
		wantErr bool
	}{
		{"", 0, false},
		{"off", -1, false},
		{"OFF", -1, false},
		{"120", 120, false},
		{"1", 1, false},
		{"0", 0, true},
		{"-1", 0, true},
		{"fast", 0, true},
	} {
		got, err := parseRateLimit(tc.arg)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseRateLimit(%q) = %d, %v; want %d, error %v", tc.arg, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "off for no limit") {
			t.Errorf("parseRateLimit(%q): %v does not say how to ask for no limit", tc.arg, err)
		}
	}
}

// TestEmulateRateLimitZeroRefused: `orgbridge emulate aircourse
// --rate-limit 0` is a usage error (exit 2) naming the flag, before it
// listens on anything.
func TestEmulateRateLimitZeroRefused(t *testing.T) {
	c := cli{t: t, dir: t.TempDir()}
	code, _, stderr := c.run("emulate", "aircourse", "--addr", "127.0.0.1:0", "--rate-limit", "0")
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "--rate-limit") || !strings.Contains(stderr, "off") {
		t.Errorf("stderr does not name --rate-limit and off:\n%s", stderr)
	}
}
