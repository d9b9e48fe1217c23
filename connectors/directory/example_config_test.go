package directory_test

import (
	"context"
	"github.com/orgbridge/orgbridge/connectors/registry"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/csv"
	"github.com/orgbridge/orgbridge/connectors/directory"
	"github.com/orgbridge/orgbridge/connectors/directory/emulator"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

const exampleConfig = "../../configs/directory.yaml"

// desiredFrom builds a job's desired snapshot the way the runner does:
// mapping, CSV source, Build, then Keep of the job's kinds.
func desiredFrom(t *testing.T, file *config.File, job config.Job) *mapping.Snapshot {
	t.Helper()
	rules, err := mapping.Compile(job.Mapping, "jobs[0].mapping")
	if err != nil {
		t.Fatal(err)
	}
	src, err := csv.New(*job.Source.Settings.(*csv.Config), file.Dir, zap.NewNop())
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

// TestExampleConfig loads configs/directory.yaml, builds the desired
// snapshot of the demo HR export and checks that the adapter takes it.
func TestExampleConfig(t *testing.T) {
	file, err := registry.Load(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	job := file.Jobs[0]
	if job.Target.Type != "directory" || job.Target.Settings == nil {
		t.Fatalf("target %q, want directory", job.Target.Type)
	}
	d := job.Target.Settings.(*directory.Config)
	if d.ClientID != emulator.DemoClientID || d.OrganizationID != emulator.DemoOrganizationID ||
		d.ClientSecret.Env != emulator.DemoSecretEnv || !strings.HasSuffix(d.BaseURL, ":8085") {
		t.Errorf("target block %+v does not match the demo emulator", d)
	}
	desired := desiredFrom(t, file, job)
	if len(desired.Orgs) != 0 || len(desired.Groups) != 0 || len(desired.Memberships) != 0 {
		t.Errorf("kinds [users] left %d orgs, %d groups, %d memberships", len(desired.Orgs), len(desired.Groups), len(desired.Memberships))
	}

	t.Setenv(emulator.DemoSecretEnv, emulator.DemoClientSecret)
	a, err := directory.New(context.Background(), *d, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := scheduler.CheckCapabilities(desired, a.Capabilities()); err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, u := range desired.Users {
		types[u.Attributes[directory.AttrAccountType]]++
		if u.Name != u.LoginID || u.Email != "" {
			t.Errorf("user %s: name %q, email %q; the directory reports the login id as the name and keeps no email", u.Key, u.Name, u.Email)
		}
	}
	if len(desired.Users) != 11 || types["admin"] != 6 || types["standard"] != 5 {
		t.Errorf("%d users, account types %v; want 11: 6 admin, 5 standard", len(desired.Users), types)
	}
}

// links is the store's part in a sync: source key → subject id.
type links map[string]string

func (l links) TargetID(kind mapping.Kind, key string) (string, bool) {
	id, ok := l[key]
	return id, ok && kind == mapping.KindUser
}

// syncOnce plans desired against the target and applies the plan in order, as
// the runner does, keeping the links; it returns the plan.
func syncOnce(t *testing.T, a *directory.Adapter, desired *mapping.Snapshot, l links, leavers string) *scheduler.Plan {
	t.Helper()
	ctx := context.Background()
	actual, err := a.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := scheduler.MakePlan(desired, actual, scheduler.Links{mapping.KindUser: l}, a.Capabilities(), scheduler.PlanOptions{Leavers: leavers})
	if err != nil {
		t.Fatal(err)
	}
	for _, ad := range plan.Adopt {
		l[ad.Key] = ad.TargetID
	}
	for _, c := range plan.Changes {
		res, err := a.Apply(ctx, c, l)
		if err != nil {
			t.Fatalf("Apply(%s %s %s): %v", c.Action, c.Kind, c.Key, err)
		}
		if c.Action == connectors.ActionDelete {
			delete(l, c.Key)
		} else if res.TargetID != "" {
			l[c.Key] = res.TargetID
		}
	}
	return plan
}

func counts(p *scheduler.Plan) map[connectors.Action]int {
	out := map[connectors.Action]int{}
	for _, c := range p.Changes {
		out[c.Action]++
	}
	return out
}

// TestExampleConfigSyncsTwice syncs the demo export into the demo emulator
// twice (the second run writes nothing), then the second export.
func TestExampleConfigSyncsTwice(t *testing.T) {
	file, err := registry.Load(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	job := file.Jobs[0]
	emu := emulator.NewDemo(nil)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	cfg := *job.Target.Settings.(*directory.Config)
	cfg.BaseURL = ts.URL
	t.Setenv(emulator.DemoSecretEnv, emulator.DemoClientSecret)
	a, err := directory.New(context.Background(), cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	desired := desiredFrom(t, file, job)
	l := links{}

	first := syncOnce(t, a, desired, l, job.Leavers)
	if diff := cmp.Diff(map[connectors.Action]int{connectors.ActionCreate: 11}, counts(first)); diff != "" {
		t.Errorf("first run (-want +got):\n%s", diff)
	}
	st := emu.Stats()
	if st.Writes != 12 { // 11 POSTs, and a PUT for the one on leave
		t.Errorf("first run: %d writes, want 12", st.Writes)
	}
	org := emu.State().Organization(emulator.DemoOrganizationID)
	byStatus := map[string]int{}
	for _, as := range org.Assignments {
		byStatus[as.Code+"/"+as.Status]++
	}
	want := map[string]int{"admin/active": 6, "standard/active": 4, "standard/suspended": 1}
	if diff := cmp.Diff(want, byStatus); diff != "" {
		t.Errorf("assignments after the first run (-want +got):\n%s", diff)
	}

	emu.ResetStats()
	second := syncOnce(t, a, desired, l, job.Leavers)
	if len(second.Changes) != 0 || len(second.Adopt) != 0 {
		t.Errorf("second run planned %d changes and %d adoptions: %+v", len(second.Changes), len(second.Adopt), second.Changes)
	}
	if st := emu.Stats(); st.Writes != 0 {
		t.Errorf("second run: %d writes, want none", st.Writes)
	}

	// The second export: 伊藤 becomes 管理者 (standard → admin), 中村
	// leaves (suspended); a rename and a move change nothing here.
	v2 := job
	users := *v2.Source.Settings.(*csv.Config).Users
	users.Path = "demo/users_v2.csv"
	csvCfg := *v2.Source.Settings.(*csv.Config)
	csvCfg.Users = &users
	v2.Source.Settings = &csvCfg
	emu.ResetStats()
	third := syncOnce(t, a, desiredFrom(t, file, v2), l, job.Leavers)
	if diff := cmp.Diff(map[connectors.Action]int{connectors.ActionUpdate: 1, connectors.ActionSuspend: 1}, counts(third)); diff != "" {
		t.Errorf("v2 run (-want +got):\n%s", diff)
	}
	// PUT admin (404: this server's PUT sets only statuses, which the
	// adapter learns), POST admin, DELETE standard; PUT suspended.
	if st := emu.Stats(); st.Writes != 4 {
		t.Errorf("v2 run: %d writes, want 4", st.Writes)
	}
	got := map[string]string{}
	for _, as := range emu.State().Organization(emulator.DemoOrganizationID).Assignments {
		got[as.SubjectID] += as.Code + "=" + as.Status
	}
	if got["sho.ito@example.co.jp"] != "admin=active" || got["daisuke.nakamura@example.co.jp"] != "standard=suspended" {
		t.Errorf("after v2: ito %q, nakamura %q", got["sho.ito@example.co.jp"], got["daisuke.nakamura@example.co.jp"])
	}
	if again := syncOnce(t, a, desiredFrom(t, file, v2), l, job.Leavers); len(again.Changes) != 0 {
		t.Errorf("v2 again planned %+v", again.Changes)
	}
}
