package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validate catches, without a network, a template naming a column the CSV
// lacks (once, exit 2, at the template's line, with the header's line),
// and a secret serve needs that does not resolve; --connect then reads the
// target (the AirCourse emulator) and says so one line per check, exiting
// 0 only when every check passes.
func TestValidateChecks(t *testing.T) {
	c, emu := setup(t)
	cfg := c.config()
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(t *testing.T, name string, from, to string) string {
		t.Helper()
		if !strings.Contains(string(data), from) {
			t.Fatalf("demo.yaml has no %q", from)
		}
		path := filepath.Join(c.dir, name)
		if err := os.WriteFile(path, []byte(strings.Replace(string(data), from, to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}

	t.Run("a good config", func(t *testing.T) {
		code, out, errs := c.run("validate", "-c", cfg)
		if code != exitOK || !strings.Contains(out, "ok (1 job(s))") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
	})

	t.Run("a column the CSV lacks, once", func(t *testing.T) {
		path := edit(t, "missing-column.yaml", `name: "{{.氏名}}"`, `name: "{{.氏名漢字}}"`)
		code, out, errs := c.run("validate", "-c", path)
		want := `missing-column.yaml:29: jobs[0].mapping.users.name: source csv: columns users.name reads: users.csv:1: the template reads column "氏名漢字", which the header does not have`
		if code != exitUsage || !strings.Contains(errs, want) || strings.Count(errs, "氏名漢字") != 1 {
			t.Fatalf("exit %d, want %d and once %q\nstdout:\n%s\nstderr:\n%s", code, exitUsage, want, out, errs)
		}
	})

	t.Run("an admin token serve could not read", func(t *testing.T) {
		path := edit(t, "admin-token.yaml", "jobs:\n", "admin:\n  token:\n    env: ORGBRIDGE_TEST_UNSET_TOKEN\njobs:\n")
		code, out, errs := c.run("validate", "-c", path)
		want := "admin-token.yaml:13: admin.token: environment variable ORGBRIDGE_TEST_UNSET_TOKEN is not set"
		if code != exitUsage || !strings.Contains(errs, want) {
			t.Fatalf("exit %d, want %d and %q\nstdout:\n%s\nstderr:\n%s", code, exitUsage, want, out, errs)
		}
	})

	t.Run("connect: every check passes", func(t *testing.T) {
		emu.ResetStats()
		code, out, errs := c.run("validate", "--connect", "-c", cfg)
		if code != exitOK {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		for _, want := range []string{
			"ok   config: keys, templates, secrets and TLS files",
			"ok   store sqlite: opened",
			`ok   job hr-to-aircourse: source csv: read the header of users.csv: 8 columns, key column "社員番号"`,
			"ok   job hr-to-aircourse: target aircourse: read one page of users:",
			"every check passed",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q:\n%s", want, out)
			}
		}
		if w := emu.Stats().Writes; w != 0 {
			t.Errorf("validate --connect made %d writes", w)
		}
	})

	t.Run("connect: a wrong client secret fails the target's line", func(t *testing.T) {
		t.Setenv(demoSecretEnv, "not-the-secret")
		code, out, errs := c.run("validate", "--connect", "-c", cfg)
		if code != exitFailed || !strings.Contains(out, "401: bad credentials (client_secret)") ||
			!strings.Contains(out, "ok   job hr-to-aircourse: source csv") {
			t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errs)
		}
	})
}
