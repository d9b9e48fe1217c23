package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// checkLine is one line of POST /api/validate.
type checkLine struct {
	Job, Part, Check, Key, Detail, Error string
	JobKey                               string `json:"job_key"`
	OK                                   bool
}

func validateOverHTTP(t *testing.T, d *daemon) []checkLine {
	t.Helper()
	_, raw := d.call("POST", "/api/validate", http.StatusOK)
	var lines []checkLine
	for _, l := range strings.Split(strings.TrimSpace(raw), "\n") {
		var c checkLine
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		lines = append(lines, c)
	}
	return lines
}

// POST /api/validate runs validate --connect's checks of the config serve
// loaded (issue 20 item 2, "and the same from the admin API"): one JSON
// line per check; against the AirCourse emulator the CSV source and the
// target pass; with a wrong client secret the target's check fails at the
// secret's key, with the config's file and line, and the source still
// passes; after a SIGHUP the checks are those of the reloaded config.
func TestAdminValidateE2E(t *testing.T) {
	c, _ := setup(t)
	d := startServe(t, daemonConfig(t, c))
	lines := validateOverHTTP(t, d)
	d.stop()
	parts := map[string]bool{}
	for _, l := range lines {
		if l.Job != "hr-to-aircourse" || l.JobKey != "jobs[0]" || l.Check == "" {
			t.Errorf("line %+v: want job hr-to-aircourse at jobs[0], a check named", l)
		}
		if !l.OK || l.Error != "" {
			t.Errorf("check failed against the emulator: %+v", l)
		}
		parts[strings.Fields(l.Part)[0]] = true
	}
	if !parts["source"] || !parts["target"] {
		t.Fatalf("lines %+v: want the source's and the target's checks", lines)
	}

	t.Setenv(demoSecretEnv, "wrong-secret")
	d = startServe(t, daemonConfig(t, c))
	defer d.stop()
	var failed []checkLine
	for _, l := range validateOverHTTP(t, d) {
		if !l.OK {
			failed = append(failed, l)
		} else if !strings.HasPrefix(l.Part, "source") {
			t.Errorf("passed with a wrong secret: %+v", l)
		}
	}
	if len(failed) != 1 || !strings.HasPrefix(failed[0].Part, "target aircourse") ||
		!strings.Contains(failed[0].Key, "client_secret") || !strings.Contains(failed[0].Error, "daemon.yaml:") {
		t.Fatalf("failed checks = %+v; want the target's, at client_secret, with the file and line", failed)
	}
	t.Logf("the failed check: %s: %s", failed[0].Check, failed[0].Error)

	// The job is renamed and the config reloaded (SIGHUP): the checks are
	// those of the config as reloaded.
	cfg := filepath.Join(c.dir, "daemon.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(data), "- name: hr-to-aircourse\n", "- name: hr-renamed\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reloaded job's checks", func() bool {
		lines := validateOverHTTP(t, d)
		return len(lines) > 0 && lines[0].Job == "hr-renamed"
	})
}
