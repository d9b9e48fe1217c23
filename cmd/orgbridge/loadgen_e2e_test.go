package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadgenSCIMInProcess(t *testing.T) {
	db := filepath.Join(t.TempDir(), "seed.db")
	var out, errOut bytes.Buffer
	args := []string{"loadgen", "scim", "--db", db, "--users", "25", "--requests", "12", "--concurrency", "2", "--log-level", "warn"}
	if code := run(context.Background(), args, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
	}
	for _, row := range []string{"| GET /Users?filter=userName eq | 12 | 0 |", "| POST /Users | 12 | 0 |", "| PATCH /Users/{id} | 12 | 0 |"} {
		if !strings.Contains(out.String(), row) {
			t.Errorf("output lacks %q:\n%s", row, out.String())
		}
	}
	// A second run reuses the kept database: nothing is seeded again.
	out.Reset()
	errOut.Reset()
	args = append(args, "--ops", "post", "--log-level", "info")
	if code := run(context.Background(), args, &out, &errOut); code != exitOK {
		t.Fatalf("second run: exit %d: %s%s", code, out.String(), errOut.String())
	}
	if strings.Contains(errOut.String(), "seeded users") {
		t.Errorf("the second run seeded again:\n%s", errOut.String())
	}
	if !strings.Contains(out.String(), "| POST /Users | 12 | 0 |") || strings.Contains(out.String(), "GET") {
		t.Errorf("second run, post only:\n%s", out.String())
	}
}

func TestLoadgenSCIMRefusesRemote(t *testing.T) {
	for _, args := range [][]string{
		{"loadgen", "scim", "--url", "http://192.0.2.10:8443/scim/v2"},
		{"loadgen", "scim"},
		{"loadgen", "scim", "--url", "http://127.0.0.1:1/scim/v2", "--token-env", "ORGBRIDGE_TEST_UNSET_TOKEN"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (usage): %s", args, code, exitUsage, errOut.String())
		}
	}
}
