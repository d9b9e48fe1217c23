package capgo_test

import (
	"context"
	"github.com/orgbridge/orgbridge/connectors/registry"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/capgo"
	"github.com/orgbridge/orgbridge/connectors/capgo/emulator"
	"github.com/orgbridge/orgbridge/connectors/csv"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

const exampleConfig = "../../configs/capgo.yaml"

// demoOrgNames are the demo export's departments, flattened in path mode.
var demoOrgNames = []string{
	"本社",
	"本社 / 人事部",
	"本社 / 営業部",
	"本社 / 営業部 / 第一課",
	"本社 / 営業部 / 第二課",
	"本社 / 開発部",
	"本社 / 開発部 / 基盤課",
}

// desiredFromExample builds the example job's desired snapshot from the demo
// CSV, as a sync would: mapping, then the job's kinds.
func desiredFromExample(t *testing.T, file *config.File) *mapping.Snapshot {
	t.Helper()
	job := file.Jobs[0]
	rules, err := mapping.Compile(job.Mapping, "jobs[0].mapping")
	if err != nil {
		t.Fatal(err)
	}
	src, err := csv.New(*job.Source.Settings.(*csv.Config), file.Dir, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	records, err := src.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	desired, _, err := rules.Build(records)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []mapping.Kind
	for _, k := range job.Kinds {
		kinds = append(kinds, mapping.Kind(strings.TrimSuffix(k, "s")))
	}
	desired.Keep(kinds)
	return desired
}

func loadExample(t *testing.T) *config.File {
	t.Helper()
	file, err := registry.Load(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	if len(file.Jobs) != 1 {
		t.Fatalf("%d jobs, want 1", len(file.Jobs))
	}
	return file
}

// TestExampleConfig loads configs/capgo.yaml, builds the demo export's
// desired state and checks that the adapter can hold it.
func TestExampleConfig(t *testing.T) {
	file := loadExample(t)
	job := file.Jobs[0]
	if !slices.Equal(job.Kinds, []string{"orgs"}) {
		t.Errorf("kinds = %v, want [orgs]", job.Kinds)
	}
	tc := job.Target.Settings.(*capgo.Config)
	if job.Target.Type != "capgo" || tc == nil {
		t.Fatalf("target %+v", job.Target)
	}
	if tc.BaseURL != "http://127.0.0.1:8083" || tc.APIKey.Env != emulator.DemoAPIKeyEnv {
		t.Errorf("target block %+v: want the emulator's default port and the demo key's variable", tc)
	}
	raw, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), emulator.DemoAPIKey) {
		t.Error("the example's instructions do not name the emulator's demo key")
	}

	desired := desiredFromExample(t, file)
	t.Setenv(emulator.DemoAPIKeyEnv, emulator.DemoAPIKey)
	a, err := capgo.New(context.Background(), *tc, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := scheduler.CheckCapabilities(desired, a.Capabilities()); err != nil {
		t.Fatalf("the adapter cannot hold the example's desired state: %v", err)
	}
	var names []string
	for _, o := range desired.Orgs {
		names = append(names, o.Name)
		if o.ParentKey != "" || o.Code != "" || o.Description != "" {
			t.Errorf("org %+v carries what Capgo cannot keep", o)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, demoOrgNames) {
		t.Errorf("orgs %q, want %q", names, demoOrgNames)
	}
	if len(desired.Users)+len(desired.Groups)+len(desired.Memberships) != 0 {
		t.Errorf("kinds [orgs] left %d users, %d groups, %d memberships", len(desired.Users), len(desired.Groups), len(desired.Memberships))
	}

	// top_level keeps the top of the tree only.
	job.Mapping.Orgs.Flatten.Mode = mapping.FlattenTopLevel
	file.Jobs[0] = job
	top := desiredFromExample(t, file)
	if len(top.Orgs) != 1 || top.Orgs[0].Name != "本社" {
		t.Errorf("top_level: %+v", top.Orgs)
	}
}

// TestExampleSyncTwice plans and applies the example against the demo
// emulator twice: the first run creates the seven organizations (a POST
// and a management_email PUT each), the second writes nothing.
func TestExampleSyncTwice(t *testing.T) {
	file := loadExample(t)
	job := file.Jobs[0]
	desired := desiredFromExample(t, file)

	emu := emulator.NewDemo(zaptest.NewLogger(t))
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	t.Setenv(emulator.DemoAPIKeyEnv, emulator.DemoAPIKey)
	cfg := *job.Target.Settings.(*capgo.Config)
	cfg.BaseURL = ts.URL
	a, err := capgo.New(context.Background(), cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}

	run := func(name string) *scheduler.Plan {
		t.Helper()
		actual, err := a.Read(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		plan, err := scheduler.MakePlan(desired, actual, nil, a.Capabilities(), scheduler.PlanOptions{Leavers: job.Leavers})
		if err != nil {
			t.Fatal(err)
		}
		out, err := (&scheduler.Executor{Target: a, Concurrency: job.Concurrency, Logger: zaptest.NewLogger(t)}).Apply(t.Context(), plan, nil)
		if err != nil || out.Failed != 0 {
			t.Fatalf("%s: %+v, %v", name, out, err)
		}
		return plan
	}

	first := run("first run")
	if n := first.Count(mapping.KindOrg, connectors.ActionCreate); n != len(demoOrgNames) || len(first.Changes) != n {
		t.Errorf("first run planned %d changes, %d org creates; want %d creates", len(first.Changes), n, len(demoOrgNames))
	}
	st := emu.Stats()
	if st.Writes != 2*len(demoOrgNames) || st.ByRoute["POST /organization/"] != len(demoOrgNames) || st.ByRoute["PUT /organization/"] != len(demoOrgNames) {
		t.Errorf("first run: %+v; want a POST and a PUT per org", st)
	}
	var names []string
	for _, o := range emu.State().Orgs {
		names = append(names, o.Name)
		if o.ManagementEmail != cfg.ManagementEmail || o.CreatedBy != emulator.DemoUserID {
			t.Errorf("org %+v: want management_email %s, created by the demo user", o, cfg.ManagementEmail)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, demoOrgNames) {
		t.Errorf("emulator holds %q", names)
	}

	// Without the store's links the second run adopts every org by name;
	// either way nothing is written.
	emu.ResetStats()
	second := run("second run")
	if len(second.Changes) != 0 || len(second.Adopt) != len(demoOrgNames) {
		t.Errorf("second run: %d changes, %d adoptions; want 0 and %d", len(second.Changes), len(second.Adopt), len(demoOrgNames))
	}
	if w := emu.Stats().Writes; w != 0 {
		t.Errorf("second run wrote %d times", w)
	}
}
