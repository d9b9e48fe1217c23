package tenantadmin_test

import (
	"context"
	"flag"
	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/orgbridge/orgbridge/connectors/csv"
	"github.com/orgbridge/orgbridge/connectors/tenantadmin"
	"github.com/orgbridge/orgbridge/connectors/tenantadmin/emulator"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/golden"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

const examplePath = "../../configs/tenantadmin.yaml"

// example is the example config's only job, compiled, with its target
// pointed at baseURL (the emulator's) and the demo token in the
// environment the config names.
type example struct {
	file  *config.File
	job   config.Job
	rules *mapping.Rules
	kinds []mapping.Kind
}

func loadExample(t *testing.T, baseURL string) example {
	t.Helper()
	file, err := registry.Load(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(file.Jobs) != 1 {
		t.Fatalf("%s has %d jobs, want 1", examplePath, len(file.Jobs))
	}
	job := file.Jobs[0]
	if job.Target.Type != "tenantadmin" || job.Target.Settings == nil {
		t.Fatalf("target is %q, want a tenantadmin block", job.Target.Type)
	}
	if got := job.Target.Settings.(*tenantadmin.Config).BaseURL; got != "http://127.0.0.1:8082" {
		t.Errorf("base_url = %q, want the emulator's default address http://127.0.0.1:8082", got)
	}
	if env := job.Target.Settings.(*tenantadmin.Config).Token.Env; env != "TENANTADMIN_TOKEN" {
		t.Errorf("token.env = %q, want TENANTADMIN_TOKEN", env)
	}
	t.Setenv("TENANTADMIN_TOKEN", emulator.DemoToken)
	if baseURL != "" {
		ta := *job.Target.Settings.(*tenantadmin.Config)
		ta.BaseURL = baseURL
		job.Target.Settings = &ta
	}
	rules, err := mapping.Compile(job.Mapping, "jobs[0].mapping")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []mapping.Kind
	for _, k := range job.Kinds { // as scheduler.OpenJob reads them
		kinds = append(kinds, mapping.Kind(strings.TrimSuffix(k, "s")))
	}
	return example{file: file, job: job, rules: rules, kinds: kinds}
}

// desired reads the demo export (users.csv, or another file of
// configs/demo) and builds the job's desired snapshot.
func (e example) source(t *testing.T, usersFile string) *csv.Source {
	t.Helper()
	cfg := *e.job.Source.Settings.(*csv.Config)
	users := *cfg.Users
	users.Path = "demo/" + usersFile
	cfg.Users = &users
	src, err := csv.New(cfg, e.file.Dir, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func (e example) desired(t *testing.T, usersFile string) *mapping.Snapshot {
	t.Helper()
	records, err := e.source(t, usersFile).Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	snap, _, err := e.rules.Build(records)
	if err != nil {
		t.Fatal(err)
	}
	snap.Keep(e.kinds)
	return snap
}

func (e example) adapter(t *testing.T) *tenantadmin.Adapter {
	t.Helper()
	a, err := tenantadmin.New(context.Background(), *e.job.Target.Settings.(*tenantadmin.Config), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestExampleConfig: the example maps the demo export into what the
// adapter declares, every user carrying a user_id the demo tenant knows.
func TestExampleConfig(t *testing.T) {
	e := loadExample(t, "")
	desired := e.desired(t, "users.csv")
	a := e.adapter(t)
	if err := scheduler.CheckCapabilities(desired, a.Capabilities()); err != nil {
		t.Fatal(err)
	}
	if len(desired.Orgs) != 7 || len(desired.Users) != 11 || len(desired.Memberships) != 11 || len(desired.Groups) != 0 {
		t.Errorf("desired holds %d orgs, %d users, %d memberships, %d groups; want 7, 11 (山本 蓮 has left), 11, 0",
			len(desired.Orgs), len(desired.Users), len(desired.Memberships), len(desired.Groups))
	}
	known := map[string]bool{}
	for _, u := range emulator.DemoUsers() {
		known[u.ID] = true
	}
	for _, u := range desired.Users {
		if id := u.Attributes[tenantadmin.UserRef]; !known[id] {
			t.Errorf("user %s has user_id %q, which the demo tenant does not know", u.Key, id)
		}
	}
	for _, o := range desired.Orgs {
		if tenantadmin.OrgName(o) != o.Code {
			t.Errorf("org %s: code %q does not fit the API's name, so it would be named %s", o.Key, o.Code, tenantadmin.OrgName(o))
		}
	}
}

// TestDemoSync syncs the demo export into the demo emulator through the
// real planner, executor and store: twice (the second run writes nothing),
// then the second export, and it again; under every combination of the
// emulator's readings, with the same config, to the same state (Dump,
// compared with testdata/demo_sync_*.golden).
func TestDemoSync(t *testing.T) {
	for _, combo := range emulator.Readings.Combinations() {
		name := strings.Join(combo, "+")
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) { testDemoSync(t, combo) })
	}
}

func testDemoSync(t *testing.T, readings []string) {
	set, err := emulator.Readings.Parse(readings)
	if err != nil {
		t.Fatal(err)
	}
	emu := emulator.New(emulator.Options{
		Options: emukit.Options{
			Readings: set,
			Logger:   zaptest.NewLogger(t),
		},
		Users:  emulator.DemoUsers(),
		Tokens: []string{emulator.DemoToken},
	})
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	e := loadExample(t, ts.URL)
	a := e.adapter(t)
	st, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "orgbridge.db"), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	runner := &scheduler.Runner{Store: st, Logger: zaptest.NewLogger(t)}
	ratio := 0.2
	guard := scheduler.Guard{MaxDeleteRatio: ratio, MaxDeleteCount: scheduler.DefaultMaxDeleteCount}
	if r := e.job.Guard.MaxDeleteRatio; r == nil || *r != ratio {
		t.Errorf("guard.max_delete_ratio = %v, want %v", r, ratio)
	}

	sync := func(usersFile string) (changes, writes int) {
		t.Helper()
		emu.ResetStats()
		job := &scheduler.Job{Name: e.job.Name, Source: e.source(t, usersFile), Rules: e.rules, Target: a,
			Guard: guard, Leavers: e.job.Leavers, Concurrency: e.job.Concurrency, Kinds: e.kinds}
		res, err := runner.Sync(t.Context(), job, scheduler.RunOptions{})
		if err != nil {
			t.Fatalf("sync %s: %v", usersFile, err)
		}
		return len(res.Plan.Changes), emu.Stats().Writes
	}
	check := func(when string, wantChanges, wantWrites int, gotChanges, gotWrites int) {
		t.Helper()
		if gotChanges != wantChanges || gotWrites != wantWrites {
			t.Errorf("%s: %d changes, %d writes; want %d, %d", when, gotChanges, gotWrites, wantChanges, wantWrites)
		}
	}
	golden := func(file string) {
		t.Helper()
		golden.Check(t, filepath.Join("testdata", file), emu.Dump(), *update)
	}

	c, w := sync("users.csv")
	check("first sync", 18, 18, c, w) // 7 org creates, 11 member adds
	golden("demo_sync_1.golden")
	st0 := emu.State()
	if len(st0.Orgs) != 7 || countMembers(st0) != 11 {
		t.Fatalf("after the first sync: %d orgs, %d members; want 7, 11", len(st0.Orgs), countMembers(st0))
	}
	byName := map[string]emulator.Org{}
	for _, o := range st0.Orgs {
		byName[o.Name] = o
	}
	hq, sales, sales1 := byName["HQ"], byName["SALES"], byName["SALES-1"]
	if hq.DisplayName != "本社" || hq.ParentID != "" || sales.ParentID != hq.ID || sales1.ParentID != sales.ID || sales1.DisplayName != "第一課" {
		t.Errorf("org tree not as exported: HQ=%+v SALES=%+v SALES-1=%+v", hq, sales, sales1)
	}
	if role := memberRole(st0, byName["HQ"].ID, "usr_1001"); role != emulator.RoleAdmin {
		t.Errorf("山田 太郎 in 本社: role %q, want admin", role)
	}
	if n := countRole(st0, emulator.RoleAdmin); n != 6 {
		t.Errorf("%d admins, want the export's 6 管理者", n)
	}

	c, w = sync("users.csv")
	check("second sync of the same export", 0, 0, c, w)

	// users_v2: 佐藤 花子 renamed (users are not written), 高橋 健太 moves
	// to 第二課 (a removal and an add), 伊藤 翔 becomes an admin (a role
	// change: remove and add back), 中村 大輔 leaves (his membership goes).
	c, w = sync("users_v2.csv")
	check("sync of the second export", 4, 5, c, w)
	golden("demo_sync_2.golden")
	st1 := emu.State()
	if countMembers(st1) != 10 {
		t.Errorf("after the second export: %d members, want 10", countMembers(st1))
	}
	if role := memberRole(st1, byName["SALES-2"].ID, "usr_1006"); role != emulator.RoleAdmin {
		t.Errorf("伊藤 翔 in 第二課: role %q, want admin", role)
	}
	if memberRole(st1, byName["SALES-2"].ID, "usr_1004") == "" || memberRole(st1, byName["SALES-1"].ID, "usr_1004") != "" {
		t.Error("高橋 健太 did not move from 第一課 to 第二課")
	}
	if memberRole(st1, byName["DEV-INFRA"].ID, "usr_1008") != "" {
		t.Error("中村 大輔 left but is still in 基盤課")
	}

	c, w = sync("users_v2.csv")
	check("second sync of the second export", 0, 0, c, w)
	golden("demo_sync_2.golden")
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func countMembers(st emulator.State) int {
	n := 0
	for _, ms := range st.Members {
		n += len(ms)
	}
	return n
}

func countRole(st emulator.State, role string) int {
	n := 0
	for _, ms := range st.Members {
		for _, m := range ms {
			if m.Role == role {
				n++
			}
		}
	}
	return n
}

func memberRole(st emulator.State, orgID, userID string) string {
	for _, m := range st.Members[orgID] {
		if m.UserID == userID {
			return m.Role
		}
	}
	return ""
}
