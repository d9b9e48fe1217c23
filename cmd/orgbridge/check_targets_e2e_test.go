package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	capgoemu "github.com/orgbridge/orgbridge/connectors/capgo/emulator"
	diremu "github.com/orgbridge/orgbridge/connectors/directory/emulator"
	pcemu "github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
	taemu "github.com/orgbridge/orgbridge/connectors/tenantadmin/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/store"
)

// TestValidateConnectTargets: validate --connect tests each HTTP target of
// its example config against its emulator with one token call (where
// OAuth) and one page: good credentials pass in 1 or 2 requests; a wrong
// secret fails the target's line with "401: bad credentials (KEY)" at the
// secret's line, in at most 2 requests (no retries); a base_url at a port
// where nothing listens fails at once with "connection refused". Counts,
// not time: nothing here measures the clock.
func TestValidateConnectTargets(t *testing.T) {
	for _, tc := range []struct {
		emulator, config, env, secret, secretKey string
	}{
		{"aircourse", "demo.yaml", demoSecretEnv, demoClientSecret, "client_secret"},
		{"tenantadmin", "tenantadmin.yaml", tenantAdminTokenEnv, taemu.DemoToken, "token"},
		{"capgo", "capgo.yaml", capgoemu.DemoAPIKeyEnv, capgoemu.DemoAPIKey, "api_key"},
		{"pcaid", "pcaid.yaml", pcemu.DemoSecretEnv, pcemu.DemoClientSecret, "client_secret"},
		{"directory", "directory.yaml", diremu.DemoSecretEnv, diremu.DemoClientSecret, "client_secret"},
	} {
		t.Run(tc.emulator, func(t *testing.T) {
			// The emulator takes the variable's value, else the demo's.
			t.Setenv(tc.env, tc.secret)
			spec := emulators[tc.emulator]
			h := spec.build(emulateFlags{rateLimit: -1}, zap.NewNop())
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				h.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)

			dir := t.TempDir()
			if err := writeDemoFiles(dir); err != nil {
				t.Fatal(err)
			}
			shipped, err := os.ReadFile(filepath.Join(dir, tc.config))
			if err != nil {
				t.Fatal(err)
			}
			base := regexp.MustCompile(`http://127\.0\.0\.1:808\d`)
			if !base.Match(shipped) {
				t.Fatalf("%s names no emulator URL", tc.config)
			}
			path := filepath.Join(dir, tc.config)
			point := func(url string) {
				if err := os.WriteFile(path, base.ReplaceAll(shipped, []byte(url)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c := cli{t: t, dir: dir}
			targetLines := func(stdout string) []string {
				var out []string
				for _, l := range strings.Split(stdout, "\n") {
					if strings.Contains(l, ": target "+tc.emulator+": ") {
						out = append(out, l)
					}
				}
				if len(out) == 0 {
					t.Fatalf("no line of the target:\n%s", stdout)
				}
				return out
			}

			// Good credentials.
			point(srv.URL)
			requests.Store(0)
			code, stdout, stderr := c.run("validate", "-c", path, "--connect")
			if code != exitOK {
				t.Fatalf("good credentials: exit %d\n%s\n%s", code, stdout, stderr)
			}
			for _, l := range targetLines(stdout) {
				t.Logf("good credentials, %d request(s): %s", requests.Load(), l)
				if !strings.HasPrefix(l, "ok ") {
					t.Errorf("good credentials: %s", l)
				}
			}
			if n := requests.Load(); n < 1 || n > 2 {
				t.Errorf("good credentials: %d requests, want 1 or 2 (a token and one page)", n)
			}

			// A wrong secret.
			t.Setenv(tc.env, "not-the-secret")
			requests.Store(0)
			code, stdout, _ = c.run("validate", "-c", path, "--connect")
			if code != exitFailed {
				t.Errorf("wrong secret: exit %d, want %d\n%s", code, exitFailed, stdout)
			}
			lines := targetLines(stdout)
			last := lines[len(lines)-1]
			t.Logf("wrong secret, %d request(s): %s", requests.Load(), last)
			if !strings.HasPrefix(last, "FAIL") || !strings.Contains(last, "401: bad credentials ("+tc.secretKey+")") ||
				!strings.Contains(last, "."+tc.secretKey+")") {
				t.Errorf("wrong secret: the target's line does not say 401: bad credentials (%s) at its key:\n%s", tc.secretKey, last)
			}
			if strings.Contains(stdout, "not-the-secret") {
				t.Error("the secret appears in the output")
			}
			if n := requests.Load(); n < 1 || n > 2 {
				t.Errorf("wrong secret: %d requests, want 1 or 2 (no retries)", n)
			}
			t.Setenv(tc.env, tc.secret)

			// Nothing listens at base_url.
			point(closedPortURL(t))
			code, stdout, _ = c.run("validate", "-c", path, "--connect")
			if code != exitFailed {
				t.Errorf("closed port: exit %d, want %d\n%s", code, exitFailed, stdout)
			}
			lines = targetLines(stdout)
			t.Logf("closed port: %s", lines[len(lines)-1])
			if last := lines[len(lines)-1]; !strings.HasPrefix(last, "FAIL") || !strings.Contains(last, "connection refused") ||
				!strings.Contains(last, ".base_url)") {
				t.Errorf("closed port: the target's line does not say connection refused at base_url:\n%s", last)
			}
		})
	}
}

// closedPortURL is an http URL of a loopback port the kernel gave and
// that nothing listens on any more.
func closedPortURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// TestValidateConnectSCIMSource: the scim source's check reads the store
// and counts what was pushed: none before the first push (no failure, and
// no store file made), the stored Users and Groups after.
func TestValidateConnectSCIMSource(t *testing.T) {
	emu := emulator.New(emulator.Options{Options: emukit.Options{RateLimit: -1}})
	emu.AddClient(demoClientID, demoClientSecret)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Setenv("SCIM_TOKEN", scimToken)
	t.Setenv(demoSecretEnv, demoClientSecret)
	dir := t.TempDir()
	path := scimConfig(t, dir, srv.URL, "200ms")
	c := cli{t: t, dir: dir}
	sourceLine := func(stdout string) string {
		for _, l := range strings.Split(stdout, "\n") {
			if strings.Contains(l, ": source scim: ") {
				return l
			}
		}
		t.Fatalf("no line of the scim source:\n%s", stdout)
		return ""
	}

	code, stdout, stderr := c.run("validate", "-c", path, "--connect")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if l := sourceLine(stdout); !strings.HasPrefix(l, "ok ") || !strings.Contains(l, "0 User(s), 0 Group(s) stored") {
		t.Errorf("before any push: %s", l)
	}

	st, err := store.Open(t.Context(), store.Config{Path: filepath.Join(dir, "orgbridge-scim.db")}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range []store.SCIMResource{
		{Type: store.SCIMUser, ID: "u1", Name: "alice@example.com", Doc: []byte(`{}`)},
		{Type: store.SCIMUser, ID: "u2", Name: "bob@example.com", Doc: []byte(`{}`)},
		{Type: store.SCIMGroup, ID: "g1", Name: "Sales", Doc: []byte(`{}`)},
	} {
		if _, err := st.SCIMCreate(t.Context(), r); err != nil {
			t.Fatalf("resource %d: %v", i, err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = c.run("validate", "-c", path, "--connect")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if l := sourceLine(stdout); !strings.HasPrefix(l, "ok ") || !strings.Contains(l, "2 User(s), 1 Group(s) stored") {
		t.Errorf("after pushes: %s", l)
	}
}
