package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenCommand runs `orgbridge gen` as a user would: the CSV pair into a
// directory with its summary, the same flags again giving the same bytes,
// the LDIF on standard output, and bad flags as usage errors.
func TestGenCommand(t *testing.T) {
	dir := t.TempDir()
	args := []string{"gen", "--users", "500", "--orgs", "40", "--depth", "3", "--fanout", "5", "--groups", "8",
		"--leavers", "2", "--suspended", "1", "--seed", "9"}
	var out, errOut bytes.Buffer
	for _, d := range []string{"a", "b"} {
		out.Reset()
		if code := run(t.Context(), append(args, "--out", filepath.Join(dir, d)), &out, &errOut); code != exitOK {
			t.Fatalf("gen: exit %d\n%s", code, errOut.String())
		}
	}
	want := "wrote csv to " + filepath.Join(dir, "b") + ": 500 users (10 leavers, 5 suspended), 50 orgs in 3 levels (2 + 8 + 40; fan-out 5), 8 groups, 75 memberships\n"
	if out.String() != want {
		t.Errorf("summary %q, want %q (memberships default to 15%% of the users)", out.String(), want)
	}
	for _, name := range []string{"users.csv", "orgs.csv"} {
		a, errA := os.ReadFile(filepath.Join(dir, "a", name))
		b, errB := os.ReadFile(filepath.Join(dir, "b", name))
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	users, _ := os.ReadFile(filepath.Join(dir, "a", "users.csv"))
	if n := bytes.Count(users, []byte("\n")); n != 501 {
		t.Errorf("users.csv has %d lines, want a header and 500 rows", n)
	}

	out.Reset()
	if code := run(t.Context(), append(args, "--format", "ldif", "--out", "-"), &out, &errOut); code != exitOK {
		t.Fatalf("gen --format ldif: exit %d\n%s", code, errOut.String())
	}
	if got := strings.Count(out.String(), "\nobjectClass: inetOrgPerson\n"); got != 500 {
		t.Errorf("the LDIF has %d users, want 500", got)
	}
	if got := strings.Count(out.String(), "\nobjectClass: groupOfNames\n"); got != 8 {
		t.Errorf("the LDIF has %d groups, want 8", got)
	}

	for _, bad := range [][]string{
		{"gen", "--users", "10"},
		{"gen", "--users", "0", "--out", dir},
		{"gen", "--users", "10", "--format", "xml", "--out", dir},
		{"gen", "--users", "10", "--groups", "20", "--memberships", "5", "--out", dir},
	} {
		errOut.Reset()
		if code := run(t.Context(), bad, &out, &errOut); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (usage)\n%s", bad, code, exitUsage, errOut.String())
		}
	}
}
