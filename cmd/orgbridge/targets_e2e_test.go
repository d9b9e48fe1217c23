package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	capgoemu "github.com/orgbridge/orgbridge/connectors/capgo/emulator"
	diremu "github.com/orgbridge/orgbridge/connectors/directory/emulator"
	pcemu "github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
	taemu "github.com/orgbridge/orgbridge/connectors/tenantadmin/emulator"
)

// exampleTarget is one configs/NAME.yaml and the emulator it syncs into.
type exampleTarget struct {
	name string
	// addr is the emulator address written in the example config.
	addr string
	// env is the variable the config reads its secret from, set to the
	// emulator's demo secret.
	env, secret string
	// start returns the emulator and a count of the writes it has seen.
	start func() (http.Handler, func() int)
	// wantWrites is what the first sync writes.
	wantWrites int
}

var exampleTargets = []exampleTarget{
	{
		name: "capgo", addr: "http://127.0.0.1:8083", env: capgoemu.DemoAPIKeyEnv, secret: capgoemu.DemoAPIKey,
		start: func() (http.Handler, func() int) {
			emu := capgoemu.NewDemo(nil)
			return emu, func() int { return emu.Stats().Writes }
		},
		wantWrites: 14, // 7 flattened orgs, each a POST and a PUT of management_email
	},
	{
		name: "tenantadmin", addr: "http://127.0.0.1:8082", env: tenantAdminTokenEnv, secret: taemu.DemoToken,
		start: func() (http.Handler, func() int) {
			emu := taemu.NewDemo(nil)
			return emu, func() int { return emu.Stats().Writes }
		},
		wantWrites: 18, // 7 orgs and 11 memberships; the users exist already and are referenced
	},
	{
		name: "pcaid", addr: "http://127.0.0.1:8084", env: pcemu.DemoSecretEnv, secret: pcemu.DemoClientSecret,
		start: func() (http.Handler, func() int) {
			emu := pcemu.NewDemo(nil)
			return emu, func() int { return emu.Stats().Writes }
		},
		wantWrites: 26, // 2 partitions, 11 users, 6 admin grants, 1 suspend, 6 partition joins
	},
	{
		name: "directory", addr: "http://127.0.0.1:8085", env: diremu.DemoSecretEnv, secret: diremu.DemoClientSecret,
		start: func() (http.Handler, func() int) {
			emu := diremu.NewDemo(nil)
			return emu, func() int { return emu.Stats().Writes }
		},
		wantWrites: 12, // 11 assignments, and a PUT suspending the one on leave
	},
}

// Every example config validates, syncs the demo export into its emulator
// through the CLI, and a second run writes nothing.
func TestExampleConfigsSyncTwice(t *testing.T) {
	for _, tt := range exampleTargets {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := writeDemoFiles(dir); err != nil {
				t.Fatal(err)
			}
			handler, writes := tt.start()
			srv := httptest.NewServer(handler)
			defer srv.Close()
			cfg := filepath.Join(dir, tt.name+".yaml")
			data, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(data, []byte(tt.addr)) {
				t.Fatalf("%s.yaml does not name the emulator at %s", tt.name, tt.addr)
			}
			if err := os.WriteFile(cfg, bytes.ReplaceAll(data, []byte(tt.addr), []byte(srv.URL)), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Setenv(tt.env, tt.secret)
			c := cli{t: t, dir: dir}

			if code, out, errs := c.run("validate", "-c", cfg); code != exitOK {
				t.Fatalf("validate: exit %d\n%s%s", code, out, errs)
			}
			if code, out, errs := c.run("sync", "-c", cfg); code != exitOK {
				t.Fatalf("sync 1: exit %d\n%s\n%s", code, out, errs)
			}
			if got := writes(); got != tt.wantWrites {
				t.Errorf("sync 1 wrote %d times, want %d", got, tt.wantWrites)
			}
			before := writes()
			code, out, errs := c.run("sync", "-c", cfg)
			if code != exitOK || !strings.Contains(out, "no changes") {
				t.Fatalf("sync 2: exit %d\n%s\n%s", code, out, errs)
			}
			if got := writes() - before; got != 0 {
				t.Errorf("the second run wrote %d times", got)
			}
		})
	}
}
