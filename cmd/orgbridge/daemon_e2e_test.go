package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
)

const adminToken = "e2e-admin-token-93ac"

// daemonConfig is the demo config with a schedule every two seconds (in
// Tokyo time), retries off (so a failing target fails fast), and an admin
// listener.
func daemonConfig(t *testing.T, c cli) string {
	t.Helper()
	data, err := os.ReadFile(c.config())
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "  - name: hr-to-aircourse\n",
		"  - name: hr-to-aircourse\n    schedule: {full: \"@every 2s\", timezone: Asia/Tokyo}\n    quarantine: {backoff: 1h}\n", 1)
	s = strings.Replace(s, "          env: AIRCOURSE_CLIENT_SECRET\n", "          env: AIRCOURSE_CLIENT_SECRET\n        max_retries: 0\n", 1)
	s = "admin:\n  listen: 127.0.0.1:0\n  token: {env: ORGBRIDGE_ADMIN_TOKEN}\n  replica: e2e\n" + s
	path := filepath.Join(c.dir, "daemon.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ORGBRIDGE_ADMIN_TOKEN", adminToken)
	return path
}

// call makes an admin request with the token and decodes a JSON answer.
func (d *daemon) call(method, path string, want int) (map[string]any, string) {
	d.t.Helper()
	req, err := http.NewRequest(method, d.admin+path, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		d.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out, string(raw)
}

// waitFor polls until cond holds; the deadline is a hang guard only.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: not after 90s", what)
}

func runsOf(d *daemon) []map[string]any {
	out, _ := d.call("GET", "/api/runs?job=hr-to-aircourse", http.StatusOK)
	var runs []map[string]any
	for _, r := range out["runs"].([]any) {
		runs = append(runs, r.(map[string]any))
	}
	return runs
}

// orgbridge serve runs a job on its schedule, takes a trigger over HTTP,
// and shows it all in /api/runs, /metrics and the status page; a failing
// target quarantines the job until a run succeeds.
func TestEndToEndDaemon(t *testing.T) {
	c, emu := setup(t)
	cfg := daemonConfig(t, c)
	if code, out, errs := c.run("validate", "-c", cfg); code != exitOK {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errs)
	}
	d := startServe(t, cfg)
	defer d.stop()

	// Unauthenticated: health yes, the rest no.
	for path, want := range map[string]int{"/healthz": 200, "/api/runs": 401, "/": 401, "/metrics": 401} {
		resp, err := http.Get(d.admin + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s without the token: %d, want %d", path, resp.StatusCode, want)
		}
	}

	// The schedule runs the job: the first run creates, the next find
	// nothing to do.
	var finished []map[string]any // oldest first
	waitFor(t, "two finished scheduled runs", func() bool {
		finished = nil
		for _, r := range runsOf(d) {
			if r["status"] != "running" {
				finished = append([]map[string]any{r}, finished...)
			}
		}
		return len(finished) >= 2
	})
	first := finished[0]
	if first["status"] != "succeeded" || first["applied"] != float64(26) {
		t.Errorf("first scheduled run = %v; want succeeded with 26 changes", first)
	}
	if finished[1]["status"] != "succeeded" || finished[1]["applied"] != float64(0) {
		t.Errorf("the next scheduled run = %v; want succeeded with nothing to do", finished[1])
	}
	jobs, _ := d.call("GET", "/api/jobs", http.StatusOK)
	job := jobs["jobs"].([]any)[0].(map[string]any)
	if job["time_zone"] != "Asia/Tokyo" || job["schedule"] != "@every 2s" || jobs["leader"] != true {
		t.Errorf("/api/jobs = %v", jobs)
	}
	detail, _ := d.call("GET", fmt.Sprintf("/api/runs/%v", first["id"]), http.StatusOK)
	if n := len(detail["changes"].([]any)); n != 26 {
		t.Errorf("run %v shows %d changes, want 26", first["id"], n)
	}
	d.call("GET", "/api/runs/999999", http.StatusNotFound)

	// A trigger over HTTP: a dry run, recorded as such.
	waitFor(t, "a manual dry run", func() bool {
		req, _ := http.NewRequest("POST", d.admin+"/api/jobs/hr-to-aircourse/run?dry_run=true", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusAccepted // 409 while a scheduled run is on
	})
	waitFor(t, "the dry run recorded", func() bool {
		for _, r := range runsOf(d) {
			if r["mode"] == "dry_run" && r["status"] == "dry_run" {
				return true
			}
		}
		return false
	})
	d.call("POST", "/api/jobs/no-such-job/run", http.StatusNotFound)

	// The target fails every call: the job is quarantined, its schedule
	// pauses, and it shows on the status page and in the metrics.
	emu.SetFaults(emulator.Faults{Rate5xx: 1})
	waitFor(t, "quarantine", func() bool {
		jobs, _ := d.call("GET", "/api/jobs", http.StatusOK)
		return jobs["jobs"].([]any)[0].(map[string]any)["quarantined"] == true
	})
	_, page := d.call("GET", "/", http.StatusOK)
	for _, want := range []string{"hr-to-aircourse", "succeeded", "failed", "uarantine"} {
		if !strings.Contains(page, want) {
			t.Errorf("the status page does not show %q", want)
		}
	}
	_, metricsText := d.call("GET", "/metrics", http.StatusOK)
	for _, want := range []string{
		`orgbridge_runs_total{job="hr-to-aircourse",mode="full",outcome="succeeded"}`,
		`orgbridge_runs_total{job="hr-to-aircourse",mode="full",outcome="failed"}`,
		`orgbridge_job_quarantined{job="hr-to-aircourse"} 1`,
		// Counters are process-wide, and other tests run the same job name:
		// the series must exist; its value is at least this test's 11.
		`orgbridge_changes_total{action="create",job="hr-to-aircourse",kind="user",result="applied"}`,
		`orgbridge_last_success_timestamp_seconds{job="hr-to-aircourse"}`,
		`orgbridge_leader 1`,
	} {
		if !strings.Contains(metricsText, want) {
			t.Errorf("/metrics lacks %s\n%s", want, grepLines(metricsText, "orgbridge_api"))
		}
	}
	if !regexp.MustCompile(`orgbridge_api_requests_total\{method="GET",status="5\d\d",target="aircourse"\} \d`).MatchString(metricsText) {
		t.Errorf("/metrics counts no 5xx from aircourse\n%s", grepLines(metricsText, "orgbridge_api"))
	}
	// The target recovers; a manual run succeeds and lifts the quarantine.
	emu.SetFaults(emulator.Faults{})
	waitFor(t, "a manual run after recovery", func() bool {
		req, _ := http.NewRequest("POST", d.admin+"/api/jobs/hr-to-aircourse/run", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusAccepted
	})
	waitFor(t, "quarantine lifted", func() bool {
		jobs, _ := d.call("GET", "/api/jobs", http.StatusOK)
		return jobs["jobs"].([]any)[0].(map[string]any)["quarantined"] == false
	})
	if out, _ := d.call("GET", "/readyz", http.StatusOK); out["status"] != "ready" {
		t.Errorf("/readyz = %v", out)
	}
	loadInChromium(t, d)
}

// loadInChromium opens the live status page in headless Chromium with the
// token as the HTTP Basic password and checks what the browser shows.
func loadInChromium(t *testing.T, d *daemon) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed (CI installs Debian's chromium)")
		}
		t.Log("chromium not installed: the browser check is skipped")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := "http://admin:" + adminToken + "@" + strings.TrimPrefix(d.admin, "http://") + "/"
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--dump-dom", url)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	for _, want := range []string{"hr-to-aircourse", "e2e", "succeeded", "Asia/Tokyo", "<svg"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the status page in Chromium does not show %q", want)
		}
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// SIGHUP reloads the config; a config that does not load is rejected and
// the old one kept.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	c, _ := setup(t)
	cfg := daemonConfig(t, c)
	d := startServe(t, cfg)
	defer d.stop()
	schedule := func() string {
		jobs, _ := d.call("GET", "/api/jobs", http.StatusOK)
		return jobs["jobs"].([]any)[0].(map[string]any)["schedule"].(string)
	}
	if got := schedule(); got != "@every 2s" {
		t.Fatalf("schedule = %q", got)
	}
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	write := func(s string) {
		if err := os.WriteFile(cfg, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hup := func() {
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	write(strings.Replace(string(data), "@every 2s", "0 3 * * *", 1))
	hup()
	waitFor(t, "the new schedule", func() bool { return schedule() == "0 3 * * *" })

	write(strings.Replace(string(data), "@every 2s", "not a cron spec", 1))
	hup()
	// The rejected reload leaves the last good config; a later good one
	// still applies, which shows the daemon kept listening for SIGHUP.
	waitFor(t, "the bad config rejected", func() bool {
		return d.logs.FilterMessageSnippet("the new config is rejected").Len() > 0
	})
	if got := schedule(); got != "0 3 * * *" {
		t.Errorf("after a bad config the schedule is %q; want the last good one", got)
	}
	write(strings.Replace(string(data), "@every 2s", "0 4 * * *", 1))
	hup()
	waitFor(t, "the next good schedule", func() bool { return schedule() == "0 4 * * *" })
}

// The service example validates; an incremental schedule on a source that
// reads only in full is refused, naming the key.
func TestServeExampleValidates(t *testing.T) {
	c, _ := setup(t)
	for _, env := range []string{"SCIM_TOKEN", "ORGBRIDGE_ADMIN_TOKEN"} {
		t.Setenv(env, "x")
	}
	path := filepath.Join(c.dir, "serve.yaml")
	if code, out, errs := c.run("validate", "-c", path); code != exitOK {
		t.Fatalf("validate serve.yaml: exit %d\n%s%s", code, out, errs)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c.write("serve.yaml", strings.Replace(string(data), `full: "0 2,12 * * *"`, `incremental: "*/15 * * * *"`, 1))
	code, _, errs := c.run("validate", "-c", path)
	if code != exitUsage || !strings.Contains(errs, "jobs[0].schedule.incremental: the csv source reads only in full") {
		t.Errorf("an incremental schedule on csv: exit %d, %s", code, errs)
	}
}
