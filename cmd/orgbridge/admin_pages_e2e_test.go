package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The status page and a run's page of a real orgbridge serve, in Chromium
// (issue 20 item 5): the page names its one zone (the job's, Asia/Tokyo)
// once and links the first scheduled run to its page, whose "applied"
// filter lists the run's 26 changes.
func TestAdminPagesE2E(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed (CI installs Debian's chromium)")
		}
		t.Skip("chromium not installed")
	}
	c, _ := setup(t)
	d := startServe(t, daemonConfig(t, c))
	defer d.stop()
	var first map[string]any
	waitFor(t, "a finished scheduled run", func() bool {
		for _, r := range runsOf(d) {
			if r["status"] == "succeeded" && r["applied"] == float64(26) {
				first = r
			}
		}
		return first != nil
	})
	id := int64(first["id"].(float64))
	dump := func(path string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		url := "http://admin:" + adminToken + "@" + strings.TrimPrefix(d.admin, "http://") + path
		out, err := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir="+t.TempDir(), "--dump-dom", url).Output()
		if err != nil {
			t.Fatalf("chromium %s: %v", path, err)
		}
		return string(out)
	}
	status := dump("/")
	for _, want := range []string{
		`times in <strong class="zone">Asia/Tokyo (UTC+09:00)</strong>`,
		fmt.Sprintf(`<a href="runs/%d">#%d</a>`, id, id),
	} {
		if !strings.Contains(status, want) {
			t.Errorf("the status page in Chromium lacks %q", want)
		}
	}
	if n := strings.Count(status, "times in "); n != 1 {
		t.Errorf("the zone is named %d times, want once", n)
	}
	page := dump(fmt.Sprintf("/runs/%d?outcome=applied", id))
	for _, want := range []string{
		fmt.Sprintf(`Run #%d of hr-to-aircourse`, id),
		`aria-current="page">applied (26)</a>`,
		`<caption>26 changes applied</caption>`,
		`times in <strong class="zone">Asia/Tokyo (UTC+09:00)</strong>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the run's page in Chromium lacks %q", want)
		}
	}
	if n := strings.Count(page, `<span class="badge st-succeeded">applied</span>`); n != 26 {
		t.Errorf("the run's page lists %d applied changes, want 26", n)
	}
}
