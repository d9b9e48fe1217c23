package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/configs"
	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/testtls"
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

// TestPlanWritesNothingOnDisk: validate --connect and plan before the first sync prints the
// creates and leaves no store file; after a sync, plan reads the file
// without changing a byte of it or leaving anything beside it.
func TestPlanWritesNothingOnDisk(t *testing.T) {
	c, _ := setup(t)
	before := dirFiles(t, c.dir)
	if code, stdout, stderr := c.run("validate", "-c", c.config(), "--connect"); code != 0 {
		t.Fatalf("validate --connect exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr := c.run("plan", "-c", c.config())
	if code != 0 {
		t.Fatalf("plan exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "to create") || strings.Contains(stdout, "0 to create") {
		t.Errorf("plan before the first sync creates nothing:\n%s", stdout)
	}
	if after := dirFiles(t, c.dir); !maps.Equal(before, after) {
		t.Errorf("plan on a fresh dir changed it:\nbefore %v\nafter  %v", before, after)
	}

	if code, _, stderr := c.run("sync", "-c", c.config()); code != 0 {
		t.Fatalf("sync exit %d\n%s", code, stderr)
	}
	before = dirFiles(t, c.dir)
	code, stdout, stderr = c.run("plan", "-c", c.config())
	if code != 0 {
		t.Fatalf("plan exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "no changes") {
		t.Errorf("plan after the sync is not empty:\n%s", stdout)
	}
	if after := dirFiles(t, c.dir); !maps.Equal(before, after) {
		t.Errorf("plan changed the dir after a sync:\nbefore %v\nafter  %v", before, after)
	}
}

// dirFiles maps each file under dir to a digest of its content.
func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDemoCountsAddUp: the demo's figures match what it prints: the
// organizations and groups it says the emulator holds are the lines of
// the tree and the group lines (AirCourse's root and 全員 named apart),
// and the writes of the first run are its 26 changes plus the one that
// suspends the user created suspended, said so.
func TestDemoCountsAddUp(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"demo", "--log-format", "json", "--log-level", "warn"}, &out, &errs); code != exitOK {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out.String(), errs.String())
	}
	text := out.String()
	if !strings.Contains(text, "27 writes for 26 changes (the user created suspended takes two") {
		t.Errorf("the first run's writes are not explained:\n%s", text)
	}
	holds := regexp.MustCompile(`AirCourse now holds (\d+) organizations under its root (\S+), (\d+) users \((\d+) suspended\), (\d+) groups \(besides its built-in 全員`)
	blocks := strings.Split(text, "AirCourse now holds ")
	if len(blocks) != 3 {
		t.Fatalf("%d state listings, want 2:\n%s", len(blocks)-1, text)
	}
	for i, b := range blocks[1:] {
		m := holds.FindStringSubmatch("AirCourse now holds " + b)
		if m == nil {
			t.Fatalf("listing %d does not say what it holds as expected:\n%s", i+1, b)
		}
		var orgLines, groupLines, userNames, suspended int
		for _, line := range strings.Split(b, "\n")[1:] {
			switch {
			case strings.HasPrefix(line, "  group "):
				groupLines++
			case strings.Contains(line, "─ "):
				orgLines++
				// "name [CODE]  管理者: 山田 太郎  メンバー: 中村 大輔、小林 陽菜(利用停止)"
				for _, part := range strings.Split(line, "  ") {
					_, names, ok := strings.Cut(part, "管理者: ")
					if !ok {
						_, names, ok = strings.Cut(part, "メンバー: ")
					}
					if ok {
						userNames += len(strings.Split(names, "、"))
						suspended += strings.Count(names, "(利用停止)")
					}
				}
			}
			if line == "" {
				break
			}
		}
		for _, c := range []struct {
			what   string
			said   string
			listed int
		}{
			{"organizations", m[1], orgLines},
			{"users", m[3], userNames},
			{"suspended users", m[4], suspended},
			{"groups", m[5], groupLines},
		} {
			if c.said != strconv.Itoa(c.listed) {
				t.Errorf("listing %d says %s %s and lists %d:\n%s", i+1, c.said, c.what, c.listed, b)
			}
		}
	}
}

// TestSCIMExampleStartsAsShipped: configs/scim.yaml validates and `serve`
// starts with it as shipped, given its two secrets (listen addresses moved
// to ports the kernel picks, the target to a test emulator): its SCIM
// endpoint answers over plain HTTP. Then its commented tls block,
// uncommented with the pair the openssl command beside it makes, validates
// and serves HTTPS.
func TestSCIMExampleStartsAsShipped(t *testing.T) {
	emu := emulator.New(emulator.Options{Options: emukit.Options{RateLimit: -1}})
	emu.AddClient(demoClientID, demoClientSecret)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Setenv("SCIM_TOKEN", scimToken)
	t.Setenv(demoSecretEnv, demoClientSecret)

	shipped, err := configs.Files.ReadFile("scim.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(s string) string {
		s = regexp.MustCompile(`(?m)^  listen: \S+`).ReplaceAllString(s, "  listen: 127.0.0.1:0")
		s = strings.Replace(s, "http://127.0.0.1:8081", srv.URL, 1)
		path := filepath.Join(dir, "scim.yaml")
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	c := cli{t: t, dir: dir}
	get := func(client *http.Client, url string) int {
		t.Helper()
		req, err := http.NewRequest("GET", url+"/ServiceProviderConfig", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+scimToken)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", req.URL, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	path := write(string(shipped))
	if code, out, errs := c.run("validate", "-c", path); code != exitOK {
		t.Fatalf("validate scim.yaml as shipped: exit %d\n%s%s", code, out, errs)
	}
	d := startServe(t, path)
	if code := get(http.DefaultClient, d.base); code != http.StatusOK {
		t.Errorf("ServiceProviderConfig over HTTP: %d", code)
	}
	d.stop()

	// The tls block, uncommented, with the pair its openssl command makes.
	block := regexp.MustCompile(`(?m)^  # tls:\n  #   cert_file: (\S+).*\n  #   key_file: (\S+)\n`)
	m := block.FindStringSubmatch(string(shipped))
	if m == nil {
		t.Fatal("scim.yaml has no commented tls block")
	}
	withTLS := block.ReplaceAllString(string(shipped), "  tls:\n    cert_file: $1\n    key_file: $2\n")
	cmdLines := regexp.MustCompile(`(?m)^  #   (openssl (?:.*\\\n  #   )*.*)$`).FindStringSubmatch(string(shipped))
	if cmdLines == nil {
		t.Fatal("scim.yaml shows no openssl command")
	}
	cmdText := strings.ReplaceAll(cmdLines[1], "\\\n  #   ", "")
	if !strings.Contains(cmdText, m[1]) || !strings.Contains(cmdText, m[2]) {
		t.Errorf("the openssl command %q does not write %s and %s", cmdText, m[1], m[2])
	}
	// The command's own pair, where openssl is installed (it certifies
	// scim.example.org: it must load and validate); then one this test's
	// client trusts, for 127.0.0.1.
	if _, err := exec.LookPath("openssl"); err == nil {
		cmd := exec.Command("sh", "-c", cmdText)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", cmdText, err, out)
		}
		if code, out, errs := c.run("validate", "-c", write(withTLS)); code != exitOK {
			t.Fatalf("validate scim.yaml with its tls block and openssl's pair: exit %d\n%s%s", code, out, errs)
		}
	} else {
		t.Log("no openssl: its command is not run")
	}
	files, err := testtls.Write(filepath.Join(dir, "tls"), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{files.Cert: m[1], files.Key: m[2]} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d = startServe(t, write(withTLS))
	defer d.stop()
	caPEM, err := os.ReadFile(files.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if code := get(client, strings.Replace(d.base, "http://", "https://", 1)); code != http.StatusOK {
		t.Errorf("ServiceProviderConfig over HTTPS: %d", code)
	}
}

// TestMissingColumnFailsOnce: plan and sync with a template naming a
// column the CSV lacks fail once (exit 2) naming the template's key and
// the header, before a row is read (no record is left out row by row) and
// before the store is created.
func TestMissingColumnFailsOnce(t *testing.T) {
	for _, cmd := range []string{"plan", "sync"} {
		t.Run(cmd, func(t *testing.T) {
			c, emu := setup(t)
			data, err := os.ReadFile(c.config())
			if err != nil {
				t.Fatal(err)
			}
			c.write("demo.yaml", strings.Replace(string(data), `name: "{{.氏名}}"`, `name: "{{.氏名漢字}}"`, 1))
			before := dirFiles(t, c.dir)
			code, _, stderr := c.run(cmd, "-c", c.config())
			if code != exitUsage {
				t.Fatalf("exit %d, want %d\n%s", code, exitUsage, stderr)
			}
			if n := strings.Count(stderr, "氏名漢字"); n != 1 {
				t.Errorf("the column is named %d times, want once:\n%s", n, stderr)
			}
			for _, want := range []string{"jobs[0].mapping.users.name", `users.csv:1: the template reads column "氏名漢字"`, `"氏名"`} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if strings.Contains(stderr, "record left out") {
				t.Errorf("rows were read and left out:\n%s", stderr)
			}
			if after := dirFiles(t, c.dir); !maps.Equal(before, after) {
				t.Errorf("%s changed the dir: %v", cmd, after)
			}
			if st := emu.Stats(); st.Requests != 0 {
				t.Errorf("%d requests to the target, want none", st.Requests)
			}
		})
	}
}
