package pcaid_test

import (
	"context"
	"github.com/orgbridge/orgbridge/connectors/registry"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/csv"
	"github.com/orgbridge/orgbridge/connectors/pcaid"
	"github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

const exampleConfig = "../../configs/pcaid.yaml"

// openExample loads configs/pcaid.yaml and opens its job against base (the
// emulator's URL replacing the config's), as the registry would.
func openExample(t *testing.T, base string) (*config.File, *scheduler.Job, *pcaid.Adapter) {
	t.Helper()
	file, err := registry.Load(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	if len(file.Jobs) != 1 {
		t.Fatalf("%d jobs", len(file.Jobs))
	}
	jc := file.Jobs[0]
	logger := zaptest.NewLogger(t)
	rules, err := mapping.Compile(jc.Mapping, "jobs[0].mapping")
	if err != nil {
		t.Fatal(err)
	}
	src, err := csv.New(*jc.Source.Settings.(*csv.Config), file.Dir, logger)
	if err != nil {
		t.Fatal(err)
	}
	tc := *jc.Target.Settings.(*pcaid.Config)
	if base != "" {
		tc.BaseURL = strings.Replace(tc.BaseURL, "http://127.0.0.1:8084", base, 1)
	}
	t.Setenv(tc.ClientSecret.Env, emulator.DemoClientSecret)
	a, err := pcaid.New(t.Context(), tc, logger)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []mapping.Kind
	for _, k := range jc.Kinds {
		kinds = append(kinds, mapping.Kind(strings.TrimSuffix(k, "s")))
	}
	job := &scheduler.Job{
		Name: jc.Name, Source: src, Rules: rules, Target: a, Leavers: jc.Leavers,
		Concurrency: jc.Concurrency, Kinds: kinds,
		Guard: scheduler.Guard{MaxDeleteRatio: *jc.Guard.MaxDeleteRatio, MaxDeleteCount: scheduler.DefaultMaxDeleteCount},
	}
	return file, job, a
}

// TestExampleConfig: configs/pcaid.yaml loads, its mapping builds the demo
// export, and the adapter's capabilities accept what its kinds keep.
func TestExampleConfig(t *testing.T) {
	file, job, a := openExample(t, "")
	if got := file.Jobs[0].Target.Settings.(*pcaid.Config).ClientID; got != emulator.DemoClientID {
		t.Errorf("client_id %q, want the emulator's demo client %q", got, emulator.DemoClientID)
	}
	if got := file.Jobs[0].Target.Settings.(*pcaid.Config).ClientSecret.Env; got != emulator.DemoSecretEnv {
		t.Errorf("client_secret.env %q, want %q", got, emulator.DemoSecretEnv)
	}
	records, err := job.Source.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	desired, _, err := job.Rules.Build(records)
	if err != nil {
		t.Fatal(err)
	}
	desired.Keep(job.Kinds)
	if err := scheduler.CheckCapabilities(desired, a.Capabilities()); err != nil {
		t.Fatal(err)
	}
	admins, suspended := 0, 0
	for _, u := range desired.Users {
		if u.LoginID != "" {
			t.Errorf("user %s has a login id; pcaid has none", u.Key)
		}
		if u.Attributes[pcaid.AttrAdmin] == "true" {
			admins++
		}
		if u.Suspended {
			suspended++
		}
	}
	if len(desired.Orgs) != 0 || len(desired.Users) != 11 || len(desired.Groups) != 2 || len(desired.Memberships) != 6 || admins != 6 || suspended != 1 {
		t.Errorf("desired: %d orgs, %d users (%d admins, %d suspended), %d groups, %d memberships; want 0, 11 (6, 1), 2, 6",
			len(desired.Orgs), len(desired.Users), admins, suspended, len(desired.Groups), len(desired.Memberships))
	}
}

// TestExampleConfigSyncsTwice syncs the demo export into the demo emulator
// twice, the way `orgbridge sync` does: the first run creates everything,
// the second writes nothing.
func TestExampleConfigSyncsTwice(t *testing.T) {
	emu := emulator.NewDemo(nil)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	_, job, _ := openExample(t, srv.URL)
	st, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "state.db"), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	runner := &scheduler.Runner{Store: st, Logger: zaptest.NewLogger(t)}

	res, err := runner.Sync(t.Context(), job, scheduler.RunOptions{})
	if err != nil {
		t.Fatalf("first sync: %v", err)
	}
	first := emu.Stats()
	if res.Outcome.Applied != 19 || res.Outcome.Failed != 0 {
		t.Errorf("first sync applied %d, failed %d; want 19 (2 groups, 11 users, 6 memberships), 0", res.Outcome.Applied, res.Outcome.Failed)
	}
	// 2 partitions + 11 users + 6 admin grants + 1 suspension + 6 joins.
	if first.Writes != 26 || first.ByRoute["POST /users/import"] != 0 {
		t.Errorf("first sync: %d writes (%v); want 26 and no import below the threshold", first.Writes, first.ByRoute)
	}
	state := emu.State()
	admins, suspended := 0, 0
	for _, u := range state.Users {
		if len(u.AdminRoles) > 0 {
			admins++
		}
		if u.Suspended {
			suspended++
		}
	}
	members := 0
	for _, m := range state.PartitionUsers {
		members += len(m)
	}
	if len(state.Users) != 11 || admins != 6 || suspended != 1 || len(state.Partitions) != 2 || members != 6 {
		t.Errorf("after the first sync: %d users (%d admins, %d suspended), %d partitions, %d members; want 11 (6, 1), 2, 6",
			len(state.Users), admins, suspended, len(state.Partitions), members)
	}

	emu.ResetStats()
	res, err = runner.Sync(t.Context(), job, scheduler.RunOptions{})
	if err != nil {
		t.Fatalf("second sync: %v", err)
	}
	if n := len(res.Plan.Changes); n != 0 {
		for _, c := range res.Plan.Changes {
			t.Logf("%s %s %s %v", c.Action.Symbol(), c.Kind, c.Key, c.Diff)
		}
		t.Errorf("second sync planned %d changes, want none", n)
	}
	if w := emu.Stats().Writes; w != 0 {
		t.Errorf("second sync wrote %d times, want 0", w)
	}
}

var _ connectors.BatchApplier = (*pcaid.Adapter)(nil)
