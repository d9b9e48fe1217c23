package aircourse_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/configs"
	"github.com/orgbridge/orgbridge/connectors/aircourse"
	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/golden"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scheduler"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The demo's credentials (configs/demo.yaml).
const (
	demoClientID  = "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
	demoSecret    = "demo-secret"
	demoSecretEnv = "AIRCOURSE_CLIENT_SECRET"
	demoAddr      = "http://127.0.0.1:8081"
)

// demoRun is configs/demo.yaml pointed at an emulator serving some
// readings, with its SQLite store in a temporary directory.
type demoRun struct {
	t   *testing.T
	dir string
	emu *emulator.Server
	url string
	st  store.Store
}

func newDemoRun(t *testing.T, readings []string) *demoRun {
	t.Helper()
	set, err := emulator.Readings.Parse(readings)
	if err != nil {
		t.Fatal(err)
	}
	emu := emulator.New(emulator.Options{Options: emukit.Options{RateLimit: -1, Readings: set}})
	emu.AddClient(demoClientID, demoSecret)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)

	dir := t.TempDir()
	err = fs.WalkDir(configs.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			if err == nil {
				err = os.MkdirAll(filepath.Join(dir, path), 0o755)
			}
			return err
		}
		data, err := configs.Files.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, path), bytes.ReplaceAll(data, []byte(demoAddr), []byte(ts.URL)), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(demoSecretEnv, demoSecret)
	st, err := store.OpenSQLite(t.Context(), filepath.Join(dir, "orgbridge.db"), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &demoRun{t: t, dir: dir, emu: emu, url: ts.URL, st: st}
}

// useExport makes demo/users.csv the given export of configs/demo.
func (d *demoRun) useExport(name string) {
	d.t.Helper()
	data, err := configs.Files.ReadFile("demo/" + name)
	if err != nil {
		d.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d.dir, "demo", "users.csv"), data, 0o644); err != nil {
		d.t.Fatal(err)
	}
}

// sync runs the demo job once, as `orgbridge sync` does (a fresh adapter
// each time), and returns the emulator's counters for it.
func (d *demoRun) sync() (*scheduler.RunResult, emulator.Stats) {
	d.t.Helper()
	ctx := context.Background()
	file, err := registry.Load(filepath.Join(d.dir, "demo.yaml"))
	if err != nil {
		d.t.Fatal(err)
	}
	job, err := scheduler.OpenJob(ctx, file, 0, d.st, zap.NewNop())
	if err != nil {
		d.t.Fatal(err)
	}
	d.emu.ResetStats()
	res, err := (&scheduler.Runner{Store: d.st}).Sync(ctx, job, scheduler.RunOptions{})
	if err != nil {
		var errs []string
		if res != nil {
			for _, e := range res.Outcome.Errors {
				errs = append(errs, e.Error())
			}
		}
		d.t.Fatalf("sync: %v\n%s", err, strings.Join(errs, "\n"))
	}
	return res, d.emu.Stats()
}

// handMade is a client of the same tenant that is not orgbridge: what an
// administrator does in AirCourse's own screens.
func (d *demoRun) handMade() *aircourse.Client {
	d.t.Helper()
	retries := 0
	a, err := aircourse.New(context.Background(), aircourse.Config{
		OAuthConfig: httpkit.OAuthConfig{BaseURL: d.url, ClientID: demoClientID, ClientSecret: config.Secret{Env: demoSecretEnv}}, ClientConfig: httpkit.ClientConfig{MaxRetries: &retries},
	}, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	return a.Client()
}

// userID finds a user's id by login id.
func userID(t *testing.T, st emulator.State, login string) string {
	t.Helper()
	for _, u := range st.Users {
		if u.LoginID != nil && *u.LoginID == login {
			return u.ID
		}
	}
	t.Fatalf("no user %s", login)
	return ""
}

// TestDemoSyncUnderEveryReading syncs the demo export (configs/demo.yaml)
// into the emulator under every combination of readings: users.csv, then a
// hand-made organization holding two of the synced users (one a member,
// one an admin) and a hand-made admin of the root, then users_v2.csv
// (which moves the member and promotes the admin elsewhere), then
// users_v2.csv again. The emulator's text dump is the same under every
// reading; the hand-made memberships survive the updates of their users;
// the last run writes nothing. The requests of each run are counted.
func TestDemoSyncUnderEveryReading(t *testing.T) {
	type counts struct{ requests, writes [3]int }
	measured := map[string]counts{}
	for _, combo := range emulator.Readings.Combinations() {
		name := strings.Join(combo, "+")
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			d := newDemoRun(t, combo)
			var c counts

			_, st := d.sync()
			c.requests[0], c.writes[0] = st.Requests, st.Writes
			golden.Check(t, filepath.Join("testdata", "demo_sync1.golden"), d.emu.Dump(), *update)

			// By hand: an organization under the root with 1004 (moved by
			// v2) as a member and 1006 (promoted in 第二課 by v2) as its
			// admin; 1002 (renamed by v2) made an admin of the root.
			ctx := context.Background()
			hand := d.handMade()
			state := d.emu.State()
			admins := []string{}
			if id := d.emu.TenantAdminID(); id != "" {
				admins = []string{id} // under admins-required the tenant's admin makes it
			}
			h, err := hand.Orgs().Create(ctx, aircourse.Fields{"name": "手作業の委員会", "code": "HANDMADE", "parentId": d.emu.RootOrgID(),
				"adminUserIds": admins, "isPublic": true, "isEnableDiscussion": true})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []struct{ org, login, role string }{
				{h.ID, "e1004", aircourse.RoleMember},
				{h.ID, "e1006", aircourse.RoleAdmin},
				{d.emu.RootOrgID(), "e1002", aircourse.RoleAdmin},
			} {
				if err := hand.Orgs().Members(m.org).Add(ctx, userID(t, state, m.login), m.role); err != nil {
					t.Fatal(err)
				}
			}

			d.useExport("users_v2.csv")
			res, st := d.sync()
			c.requests[1], c.writes[1] = st.Requests, st.Writes
			golden.Check(t, filepath.Join("testdata", "demo_sync2.golden"), d.emu.Dump(), *update)
			for _, ch := range res.Plan.Changes {
				if ch.Key == "1004" && len(ch.ForeignOrgMemberships) != 1 {
					t.Errorf("the update of 1004 carries foreign memberships %v, want the hand-made one", ch.ForeignOrgMemberships)
				}
			}

			res, st = d.sync()
			c.requests[2], c.writes[2] = st.Requests, st.Writes
			if n := len(res.Plan.Changes); n != 0 || st.Writes != 0 {
				t.Errorf("the unchanged run planned %d changes and wrote %d times", n, st.Writes)
			}
			golden.Check(t, filepath.Join("testdata", "demo_sync2.golden"), d.emu.Dump(), *update)
			measured[name] = c
		})
	}

	// The cost of each reading, for the README; the default and
	// admins-required are pinned.
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range measured {
			if !yield(n) {
				return
			}
		}
	})
	var table strings.Builder
	for _, n := range names {
		c := measured[n]
		fmt.Fprintf(&table, "%-40s requests %3d %3d %3d  writes %3d %3d %3d\n", n, c.requests[0], c.requests[1], c.requests[2], c.writes[0], c.writes[1], c.writes[2])
	}
	t.Logf("requests and writes of sync 1 (users.csv), sync 2 (users_v2.csv), sync 3 (unchanged):\n%s", table.String())
	for name, want := range map[string]counts{
		"default": {requests: [3]int{31, 10, 6}, writes: [3]int{27, 4, 0}},
		// One org create is refused (adminUserIds []) and sent again naming
		// the tenant's global administrator, found in the Read.
		emulator.ReadingAdminsRequired: {requests: [3]int{32, 10, 6}, writes: [3]int{28, 4, 0}},
	} {
		if got, ok := measured[name]; ok && got != want {
			t.Errorf("%s: requests %v writes %v, want %v %v", name, got.requests, got.writes, want.requests, want.writes)
		}
	}
}
