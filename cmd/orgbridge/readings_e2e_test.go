package main

import (
	"bytes"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"

	acemu "github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	capgoemu "github.com/orgbridge/orgbridge/connectors/capgo/emulator"
	diremu "github.com/orgbridge/orgbridge/connectors/directory/emulator"
	pcemu "github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
	taemu "github.com/orgbridge/orgbridge/connectors/tenantadmin/emulator"
	"github.com/orgbridge/orgbridge/internal/golden"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of the readings test from the default reading")

// readingTarget is one example config and the emulator it syncs into, as
// `orgbridge emulate` builds it.
type readingTarget struct {
	emulator string // the name `orgbridge emulate` knows
	config   string // configs/NAME.yaml
	addr     string // the emulator address the config names
	env      string // the variable the config reads its secret from
	secret   string
	// patch adapts the config to a set of readings, as an operator would
	// where the adapter cannot tell (nil: nothing to adapt).
	patch func(cfg []byte, readings []string) []byte
	// failsUnder names readings under which the target cannot be synced
	// at all, with what the failing run must say: the run exits 1 and
	// writes nothing.
	failsUnder map[string]string
}

var readingTargets = []readingTarget{
	{emulator: "aircourse", config: "demo.yaml", addr: "http://127.0.0.1:8081", env: demoSecretEnv, secret: demoClientSecret},
	{emulator: "tenantadmin", config: "tenantadmin.yaml", addr: "http://127.0.0.1:8082", env: tenantAdminTokenEnv, secret: taemu.DemoToken},
	{emulator: "capgo", config: "capgo.yaml", addr: "http://127.0.0.1:8083", env: capgoemu.DemoAPIKeyEnv, secret: capgoemu.DemoAPIKey},
	{emulator: "pcaid", config: "pcaid.yaml", addr: "http://127.0.0.1:8084", env: pcemu.DemoSecretEnv, secret: pcemu.DemoClientSecret},
	{emulator: "directory", config: "directory.yaml", addr: "http://127.0.0.1:8085", env: diremu.DemoSecretEnv, secret: diremu.DemoClientSecret,
		patch: directoryStatusValues,
		// The list holds account types only, and the document has no other
		// way to read who holds what.
		failsUnder: map[string]string{"list-account-types": "account types"}},
}

// directoryStatusValues sets directory.status_values to the words a
// status-upper server uses: the document lists none, so an operator sets
// them.
func directoryStatusValues(cfg []byte, readings []string) []byte {
	if !slices.Contains(readings, "status-upper") {
		return cfg
	}
	return bytes.Replace(cfg, []byte("          active: active\n          suspended: suspended\n"),
		[]byte("          active: ACTIVE\n          suspended: INACTIVE\n"), 1)
}

// dumper is what every emulator offers the test: its state without ids,
// and how many writes it has seen.
type dumper interface {
	http.Handler
	Dump() string
}

func writesOf(h http.Handler) int {
	switch e := h.(type) {
	case *acemu.Server:
		return e.Stats().Writes
	case *taemu.Server:
		return e.Stats().Writes
	case *capgoemu.Server:
		return e.Stats().Writes
	case *pcemu.Server:
		return e.Stats().Writes
	case *diremu.Server:
		return e.Stats().Writes
	}
	panic("unknown emulator")
}

// Every example config, under every reading its emulator serves (each alone
// and together), syncs the first demo export, then the second (a rename, a
// move, a role change, a leaver), then the second again: after each of the
// first two runs the emulator holds exactly what the default reading leaves
// (golden files in testdata/readings, one per target and export, the same
// for every reading), and the third run plans nothing and writes nothing.
func TestExampleConfigsUnderEveryReading(t *testing.T) {
	for _, tt := range readingTargets {
		spec := emulators[tt.emulator]
		for _, combo := range spec.readings.Combinations() {
			name := strings.Join(combo, "+")
			if name == "" {
				name = "default"
			}
			t.Run(tt.emulator+"/"+name, func(t *testing.T) {
				readings, err := spec.readings.Parse(combo)
				if err != nil {
					t.Fatal(err)
				}
				emu, ok := spec.build(emulateFlags{rateLimit: -1, readings: readings}, zap.NewNop()).(dumper)
				if !ok {
					t.Fatalf("the %s emulator has no Dump", tt.emulator)
				}
				srv := httptest.NewServer(emu)
				defer srv.Close()
				dir := t.TempDir()
				if err := writeDemoFiles(dir); err != nil {
					t.Fatal(err)
				}
				cfg := filepath.Join(dir, tt.config)
				data, err := os.ReadFile(cfg)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Contains(data, []byte(tt.addr)) {
					t.Fatalf("%s does not name the emulator at %s", tt.config, tt.addr)
				}
				data = bytes.ReplaceAll(data, []byte(tt.addr), []byte(srv.URL))
				if tt.patch != nil {
					data = tt.patch(data, combo)
				}
				if err := os.WriteFile(cfg, data, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Setenv(tt.env, tt.secret)
				c := cli{t: t, dir: dir}
				for _, r := range combo {
					want, ok := tt.failsUnder[r]
					if !ok {
						continue
					}
					code, out, errs := c.run("sync", "-c", cfg)
					if code != exitFailed || !strings.Contains(errs, want) {
						t.Errorf("under %s: exit %d, want %d with %q\n%s\n%s", r, code, exitFailed, want, out, errs)
					}
					if w := writesOf(emu); w != 0 {
						t.Errorf("under %s the failing run wrote %d times", r, w)
					}
					return
				}
				goldenPath := func(step string) string {
					return filepath.Join("testdata", "readings", tt.emulator+"-"+step+".golden")
				}
				for i, export := range []string{"users.csv", "users_v2.csv"} {
					step := []string{"first", "second"}[i]
					c.useExport(export)
					if code, out, errs := c.run("sync", "-c", cfg); code != exitOK {
						t.Fatalf("sync of the %s export: exit %d\n%s\n%s", step, code, out, errs)
					}
					got := emu.Dump()
					if *updateGolden && len(combo) == 0 {
						if err := os.WriteFile(goldenPath(step), []byte(got), 0o644); err != nil {
							t.Fatal(err)
						}
					}
					want, err := os.ReadFile(goldenPath(step))
					if err != nil {
						t.Fatalf("%v (run with -update to write it from the default reading)", err)
					}
					if got != string(want) {
						t.Errorf("after the %s export the emulator holds (-want +got):\n%s", step, golden.LineDiff(string(want), got))
					}
				}
				before := writesOf(emu)
				code, out, errs := c.run("sync", "-c", cfg)
				if code != exitOK || !strings.Contains(out, "no changes") {
					t.Errorf("unchanged run: exit %d, want 0 and no changes\n%s\n%s", code, out, errs)
				}
				if got := writesOf(emu) - before; got != 0 {
					t.Errorf("the unchanged run wrote %d times", got)
				}
			})
		}
	}
}

// A Capgo organization adopted by name (made by hand, or created by a POST
// whose answer was lost) gets the configured management_email in the same
// run, and the next run plans nothing.
func TestCapgoAdoptionSetsManagementEmail(t *testing.T) {
	emu := capgoemu.NewDemo(nil)
	org := emu.AddOrg(capgoemu.DemoUserID, "本社")
	emu.SetManagementEmail(org.ID, "someone-else@example.com")
	srv := httptest.NewServer(emu)
	defer srv.Close()
	dir := t.TempDir()
	if err := writeDemoFiles(dir); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "capgo.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, bytes.ReplaceAll(data, []byte("http://127.0.0.1:8083"), []byte(srv.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(capgoemu.DemoAPIKeyEnv, capgoemu.DemoAPIKey)
	c := cli{t: t, dir: dir}
	code, out, errs := c.run("sync", "-c", cfg)
	if code != exitOK {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, `management_email: "someone-else@example.com" → "it-admin@example.co.jp"`) {
		t.Errorf("the plan does not show the address corrected:\n%s", out)
	}
	for _, o := range emu.State().Orgs {
		if o.ManagementEmail != "it-admin@example.co.jp" {
			t.Errorf("org %s keeps management_email %q", o.Name, o.ManagementEmail)
		}
	}
	want, err := os.ReadFile(filepath.Join("testdata", "readings", "capgo-first.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if got := emu.Dump(); got != string(want) {
		t.Errorf("the emulator holds (-want +got):\n%s", golden.LineDiff(string(want), got))
	}
	before := emu.Stats().Writes
	if code, out, errs := c.run("sync", "-c", cfg); code != exitOK || !strings.Contains(out, "no changes") {
		t.Errorf("second run: exit %d\n%s\n%s", code, out, errs)
	}
	if w := emu.Stats().Writes - before; w != 0 {
		t.Errorf("the second run wrote %d times", w)
	}
}
