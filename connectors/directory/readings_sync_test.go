package directory_test

import (
	"context"
	"flag"
	"github.com/orgbridge/orgbridge/connectors/csv"
	"github.com/orgbridge/orgbridge/connectors/directory"
	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors/directory/emulator"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/golden"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scheduler"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// demoSync runs configs/directory.yaml's job the way `orgbridge sync`
// does (the runner, a SQLite store, the target opened from the config),
// against an emulator of the demo organization.
type demoSync struct {
	t    *testing.T
	file *config.File
	emu  *emulator.Server
	url  string
	st   store.Store
	// edit adjusts the directory block, as an operator would.
	edit func(*directory.Config)
}

func newDemoSync(t *testing.T, opts emulator.Options) *demoSync {
	t.Helper()
	file, err := registry.Load(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	emu := emulator.NewDemoWith(opts)
	// A subject given an account type by hand, who is not in the export:
	// no run may touch it.
	if err := emu.Assign(emulator.DemoOrganizationID, "contractor@example.jp", "standard", ""); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "orgbridge.db"), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	t.Setenv(emulator.DemoSecretEnv, emulator.DemoClientSecret)
	return &demoSync{t: t, file: file, emu: emu, url: ts.URL, st: st}
}

// run syncs the export at csvPath (relative to configs/) once, with a
// freshly opened job, as a new process would.
func (d *demoSync) run(csvPath string) (*scheduler.RunResult, error) {
	d.t.Helper()
	f := *d.file
	f.Jobs = slices.Clone(f.Jobs)
	job := &f.Jobs[0]
	dir := *job.Target.Settings.(*directory.Config)
	dir.BaseURL = d.url
	if d.edit != nil {
		d.edit(&dir)
	}
	job.Target.Settings = &dir
	csvCfg := *job.Source.Settings.(*csv.Config)
	users := *csvCfg.Users
	users.Path = csvPath
	csvCfg.Users = &users
	job.Source.Settings = &csvCfg
	j, err := scheduler.OpenJob(context.Background(), &f, 0, d.st, zap.NewNop())
	if err != nil {
		d.t.Fatal(err)
	}
	runner := &scheduler.Runner{Store: d.st, Logger: zap.NewNop()}
	return runner.Sync(context.Background(), j, scheduler.RunOptions{})
}

func (d *demoSync) mustRun(csvPath string) *scheduler.RunResult {
	d.t.Helper()
	res, err := d.run(csvPath)
	if err != nil {
		d.t.Fatalf("sync %s: %v", csvPath, err)
	}
	return res
}

// TestDemoSyncUnderEveryReading syncs the demo export, then the second
// one twice, under every combination of readings orgbridge can sync,
// configured as an operator would (status-upper's words in
// directory.status_values): the organization is the same under each after
// the first run and after the last (one golden Dump each), the last run
// plans and writes nothing, and the subject given an account type by hand
// is left alone.
func TestDemoSyncUnderEveryReading(t *testing.T) {
	for _, combo := range emulator.Readings.Combinations() {
		if slices.Contains(combo, emulator.ReadingListAccountTypes) {
			continue // TestDemoSyncRefusesAListOfAccountTypes
		}
		name := strings.Join(combo, "+")
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			set, err := emulator.Readings.Parse(combo)
			if err != nil {
				t.Fatal(err)
			}
			d := newDemoSync(t, emulator.Options{Options: emukit.Options{Readings: set}, PageSize: 4})
			if set.Has(emulator.ReadingStatusUpper) {
				d.edit = upperStatus
			}
			first := d.mustRun("demo/users.csv")
			if n := len(first.Plan.Changes); n != 11 {
				t.Errorf("first run: %d changes, want 11 creates", n)
			}
			if combo == nil {
				if w := d.emu.Stats().Writes; w != 12 {
					t.Errorf("first run: %d writes, want 12 (11 POSTs, a PUT for the one on leave)", w)
				}
			}
			// Right after the first run, not only after the next one has
			// mended it: a status the server gave that the run did not
			// check would show here.
			golden.Check(t, filepath.Join("testdata", "demo-v1.dump"), d.emu.Dump(), *updateGolden)
			d.mustRun("demo/users_v2.csv")
			before := d.emu.Stats().Writes
			again := d.mustRun("demo/users_v2.csv")
			if len(again.Plan.Changes) != 0 || len(again.Plan.Adopt) != 0 {
				t.Errorf("v2 again planned %+v", again.Plan.Changes)
			}
			if w := d.emu.Stats().Writes - before; w != 0 {
				t.Errorf("v2 again wrote %d times", w)
			}
			golden.Check(t, filepath.Join("testdata", "demo-v2.dump"), d.emu.Dump(), *updateGolden)
		})
	}
}

// TestDemoSyncRefusesAListOfAccountTypes: when the list holds the
// organization's account types and not who holds them, the run fails
// before it writes anything, saying why (the CLI's exit 1).
func TestDemoSyncRefusesAListOfAccountTypes(t *testing.T) {
	for _, combo := range emulator.Readings.Combinations() {
		if !slices.Contains(combo, emulator.ReadingListAccountTypes) {
			continue
		}
		t.Run(strings.Join(combo, "+"), func(t *testing.T) {
			set, _ := emulator.Readings.Parse(combo)
			d := newDemoSync(t, emulator.Options{Options: emukit.Options{Readings: set}})
			d.edit = upperStatus
			for range 2 {
				_, err := d.run("demo/users.csv")
				if err == nil || !strings.Contains(err.Error(), "lists the organization's account types (standard, admin) and no assignments") {
					t.Errorf("sync: %v, want it to fail naming the list", err)
				}
			}
			if w := d.emu.Stats().Writes; w != 0 {
				t.Errorf("%d writes", w)
			}
		})
	}
}

// TestDemoSyncStatusUpperNeedsTheKey: against a server whose status words
// are ACTIVE and INACTIVE, a run without directory.status_values fails
// (the CLI's exit 1) on the one change that writes a status, naming the
// key; with the key set, the next run finishes the job.
func TestDemoSyncStatusUpperNeedsTheKey(t *testing.T) {
	d := newDemoSync(t, readings(t, emulator.ReadingStatusUpper))
	res, err := d.run("demo/users.csv")
	if err == nil || res == nil || res.Outcome.Failed != 1 || res.Outcome.Applied != 10 {
		t.Fatalf("sync without the key: %v (%+v), want 1 change failed of 11", err, res)
	}
	// What the CLI prints under "failed:".
	msg := res.Outcome.Errors[0].Error()
	for _, want := range []string{`create user 1009`, `of hina.kobayashi@example.co.jp to status "suspended"`, "set directory.status_values.suspended to the word this server uses"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	d.edit = upperStatus
	d.mustRun("demo/users.csv")
	d.mustRun("demo/users_v2.csv")
	if again := d.mustRun("demo/users_v2.csv"); len(again.Plan.Changes) != 0 {
		t.Errorf("v2 again planned %+v", again.Plan.Changes)
	}
	golden.Check(t, filepath.Join("testdata", "demo-v2.dump"), d.emu.Dump(), *updateGolden)
}
