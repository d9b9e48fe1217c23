package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
)

// cli runs the CLI in process, as a user would from a shell.
type cli struct {
	t   *testing.T
	dir string
}

func (c cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append(args, "--log-format", "json"), &out, &errb)
	return code, out.String(), errb.String()
}

// setup writes the demo config and data into a temp dir, pointed at a fresh
// emulator without a rate limit (pacing has its own tests).
func setup(t *testing.T) (cli, *emulator.Server) {
	t.Helper()
	dir := t.TempDir()
	if err := writeDemoFiles(dir); err != nil {
		t.Fatal(err)
	}
	emu := emulator.New(emulator.Options{Options: emukit.Options{RateLimit: -1}})
	emu.AddClient(demoClientID, demoClientSecret)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	cfgPath := filepath.Join(dir, "demo.yaml")
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte("http://127.0.0.1:8081"), []byte(srv.URL), 1)
	if err := os.WriteFile(cfgPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(demoSecretEnv, demoClientSecret)
	return cli{t: t, dir: dir}, emu
}

func (c cli) useExport(name string) {
	c.t.Helper()
	if err := copyEmbedded("demo/"+name, filepath.Join(c.dir, "demo", "users.csv")); err != nil {
		c.t.Fatal(err)
	}
}

func (c cli) write(name, content string) {
	c.t.Helper()
	if err := os.WriteFile(filepath.Join(c.dir, name), []byte(content), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

func (c cli) config() string { return filepath.Join(c.dir, "demo.yaml") }

// view indexes an emulator dump for assertions.
type view struct {
	st       emulator.State
	orgByID  map[string]emulator.Org
	userByLI map[string]emulator.User
}

func newView(st emulator.State) view {
	v := view{st: st, orgByID: map[string]emulator.Org{}, userByLI: map[string]emulator.User{}}
	for _, o := range st.Orgs {
		v.orgByID[o.ID] = o
	}
	for _, u := range st.Users {
		if u.LoginID != nil {
			v.userByLI[*u.LoginID] = u
		}
	}
	return v
}

// path renders an org's names from the top, without the root.
func (v view) path(id string) string {
	var names []string
	for o, ok := v.orgByID[id]; ok && o.ParentID != nil; o, ok = v.orgByID[*o.ParentID] {
		names = append([]string{o.Name}, names...)
	}
	return strings.Join(names, "/")
}

// orgs renders a user's orgs as "path(role)" items, sorted.
func (v view) orgs(login string) string {
	u, ok := v.userByLI[login]
	if !ok {
		return "(no such user)"
	}
	var items []string
	admin := map[string]bool{}
	for _, id := range u.AdminOrganizationIDs {
		admin[id] = true
		items = append(items, v.path(id)+"(admin)")
	}
	for _, id := range u.MemberOrganizationIDs {
		if !admin[id] {
			items = append(items, v.path(id)+"(member)")
		}
	}
	return strings.Join(sorted(items), ",")
}

func TestEndToEndDemoFlow(t *testing.T) {
	c, emu := setup(t)

	if code, out, errs := c.run("validate", "-c", c.config()); code != exitOK || !strings.Contains(out, "ok (1 job(s))") {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errs)
	}

	// plan --json writes nothing and counts what the first sync will do.
	code, out, errs := c.run("plan", "-c", c.config(), "--json")
	if code != exitOK {
		t.Fatalf("plan: exit %d\n%s", code, errs)
	}
	var plan struct {
		Counts map[string]map[string]int `json:"counts"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, out)
	}
	if plan.Counts["org"]["create"] != 7 || plan.Counts["user"]["create"] != 11 || plan.Counts["group"]["create"] != 2 {
		t.Errorf("plan counts = %v, want 7 orgs, 11 users, 2 groups to create", plan.Counts)
	}
	if w := emu.Stats().Writes; w != 0 {
		t.Fatalf("plan wrote %d times", w)
	}

	// First sync.
	if code, out, errs := c.run("sync", "-c", c.config()); code != exitOK {
		t.Fatalf("sync 1: exit %d\n%s\n%s", code, out, errs)
	}
	v := newView(emu.State())
	if len(v.st.Orgs) != 8 || len(v.st.Users) != 11 || len(v.st.Groups) != 3 {
		t.Fatalf("after sync 1: %d orgs, %d users, %d groups; want 8 (with the root), 11, 3 (with everyone)", len(v.st.Orgs), len(v.st.Users), len(v.st.Groups))
	}
	for login, want := range map[string]string{
		"e1001": "本社(admin)",
		"e1002": "本社/営業部(admin)",
		"e1004": "本社/営業部/第一課(member)",
		"e1006": "本社/営業部/第二課(member)",
		"e1011": "本社/人事部(member)",
	} {
		if got := v.orgs(login); got != want {
			t.Errorf("sync 1: %s orgs = %s, want %s", login, got, want)
		}
	}
	if u := v.userByLI["e1009"]; !u.IsSuspended {
		t.Errorf("sync 1: the employee on leave (1009) is not suspended")
	}
	if _, ok := v.userByLI["e1012"]; ok {
		t.Errorf("sync 1: the employee who left (退職) was created")
	}
	if u := v.userByLI["e1003"]; u.License != "basic" || u.UserNumber == nil || *u.UserNumber != "1003" || u.Position == nil || *u.Position != "課長" {
		t.Errorf("sync 1: mapped attributes of 1003 = license %q number %v position %v", u.License, u.UserNumber, u.Position)
	}
	var codes []string
	for _, o := range v.st.Orgs {
		if o.Code != nil {
			codes = append(codes, *o.Code)
		}
	}
	if got := strings.Join(sorted(codes), ","); got != "DEV,DEV-INFRA,HQ,HR,SALES,SALES-1,SALES-2" {
		t.Errorf("org codes = %s", got)
	}

	// Second export: rename, move, role change, leaver.
	c.useExport("users_v2.csv")
	emu.ResetStats()
	if code, out, errs := c.run("sync", "-c", c.config()); code != exitOK {
		t.Fatalf("sync 2: exit %d\n%s\n%s", code, out, errs)
	}
	v = newView(emu.State())
	if n := *v.userByLI["e1002"].Mail; v.userByLI["e1002"].Name != "木村 花子" {
		t.Errorf("rename: 1002 is %q (%s)", v.userByLI["e1002"].Name, n)
	}
	if got := v.orgs("e1004"); got != "本社/営業部/第二課(member)" {
		t.Errorf("move: 1004 orgs = %s", got)
	}
	if got := v.orgs("e1006"); got != "本社/営業部/第二課(admin)" {
		t.Errorf("role change: 1006 orgs = %s", got)
	}
	if u := v.userByLI["e1008"]; !u.IsSuspended {
		t.Errorf("leaver 1008 is not suspended")
	}
	if len(v.st.Users) != 11 {
		t.Errorf("the leaver was deleted: %d users", len(v.st.Users))
	}
	if w := emu.Stats().Writes; w != 4 {
		t.Errorf("sync 2 made %d writes; want 4 (one per changed user)", w)
	}

	// Third run, no change: nothing planned, nothing written.
	emu.ResetStats()
	code, out, errs = c.run("sync", "-c", c.config())
	if code != exitOK || !strings.Contains(out, "no changes") {
		t.Fatalf("sync 3: exit %d\n%s\n%s", code, out, errs)
	}
	if w := emu.Stats().Writes; w != 0 {
		t.Errorf("the no-change run made %d write calls", w)
	}
}

func TestEndToEndRefusesAndRejects(t *testing.T) {
	c, emu := setup(t)
	if code, _, errs := c.run("sync", "-c", c.config()); code != exitOK {
		t.Fatalf("sync: exit %d\n%s", code, errs)
	}
	before := emu.State()

	tests := []struct {
		name     string
		users    string // content of demo/users.csv
		args     []string
		wantCode int
		wantErr  string
	}{
		{
			name:     "empty export is refused",
			users:    "社員番号,氏名,メールアドレス,所属,役職,役割,在籍区分,グループ\n",
			wantCode: exitRefused,
			wantErr:  "the source returned no users while orgbridge manages 11 in the target",
		},
		{
			name:     "half the company leaving is refused",
			users:    "社員番号,氏名,メールアドレス,所属,役職,役割,在籍区分,グループ\n1001,山田 太郎,taro.yamada@example.co.jp,本社,代表取締役,管理者,在籍,新人研修\n",
			wantCode: exitRefused,
			wantErr:  "9 of 11 managed users (81.8%) exceed the limit of 20.0%",
		},
		{
			name:     "malformed row names file and line",
			users:    "社員番号,氏名,メールアドレス,所属,役職,役割,在籍区分,グループ\n1001,山田 太郎,taro.yamada@example.co.jp,本社,代表取締役,管理者,在籍,\n1002,\"佐藤,hanako@example.co.jp,本社,,一般,在籍,\n",
			wantCode: exitFailed,
			wantErr:  "users.csv:3:",
		},
		{
			// The row is left out with its reason; with it the only row,
			// every user record is left out, which the guard refuses.
			name:     "unknown role value names the row",
			users:    "社員番号,氏名,メールアドレス,所属,役職,役割,在籍区分,グループ\n1001,山田 太郎,taro.yamada@example.co.jp,本社,代表取締役,社長,在籍,\n",
			wantCode: exitRefused,
			wantErr:  `users.csv:2: jobs[0].mapping.users.role.template: value "社長" is not in the role map`,
		},
		{
			name:     "unknown flag is a usage error",
			args:     []string{"sync", "--frobnicate"},
			wantCode: exitUsage,
			wantErr:  "unknown flag: --frobnicate",
		},
		{
			name:     "missing config flag is a usage error",
			args:     []string{"plan"},
			wantCode: exitUsage,
			wantErr:  `required flag(s) "config" not set`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.users != "" {
				c.write("demo/users.csv", tt.users)
			}
			args := tt.args
			if args == nil {
				args = []string{"sync", "-c", c.config()}
			}
			emu.ResetStats()
			code, out, errs := c.run(args...)
			if code != tt.wantCode || !strings.Contains(errs, tt.wantErr) {
				t.Errorf("exit %d, want %d; stderr should contain %q\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, tt.wantErr, out, errs)
			}
			if w := emu.Stats().Writes; w != 0 {
				t.Errorf("%d writes reached the target", w)
			}
		})
	}
	if after := emu.State(); len(after.Users) != len(before.Users) {
		t.Errorf("users changed from %d to %d", len(before.Users), len(after.Users))
	}
	for _, u := range emu.State().Users {
		if u.IsSuspended && *u.LoginID != "e1009" {
			t.Errorf("%s was suspended by a refused run", *u.LoginID)
		}
	}
}

func TestBadConfigExitsTwoNamingTheKey(t *testing.T) {
	c, _ := setup(t)
	data, _ := os.ReadFile(c.config())
	c.write("demo.yaml", strings.Replace(string(data), "leavers: suspend", "leavers: suspend\n    levers: delete", 1))
	code, _, errs := c.run("validate", "-c", c.config())
	if code != exitUsage || !strings.Contains(errs, `unknown key "levers"`) || !strings.Contains(errs, "demo.yaml:") {
		t.Errorf("exit %d, stderr:\n%s", code, errs)
	}
	// A target's own settings are checked as the file loads, by the
	// target's rules, and named by file, line and key.
	c.write("demo.yaml", strings.Replace(string(data), "base_url: ", "page_size: 5000\n        base_url: ", 1))
	code, _, errs = c.run("validate", "-c", c.config())
	if code != exitUsage || !strings.Contains(errs, "demo.yaml:57: jobs[0].target.aircourse.page_size: 5000 is not within 1..1000") {
		t.Errorf("bad page_size: exit %d, stderr:\n%s", code, errs)
	}
	t.Setenv(demoSecretEnv, "")
	c.write("demo.yaml", string(data))
	code, _, errs = c.run("plan", "-c", c.config())
	if code != exitUsage || !strings.Contains(errs, "environment variable AIRCOURSE_CLIENT_SECRET is not set") {
		t.Errorf("missing secret: exit %d, stderr:\n%s", code, errs)
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	c, _ := setup(t)
	secret := "s3cr3t-" + strings.Repeat("x", 12)
	t.Setenv(demoSecretEnv, secret)
	// A wrong secret: the run fails, and neither log nor error shows it.
	code, out, errs := c.run("sync", "-c", c.config(), "--log-level", "debug")
	if code != exitFailed {
		t.Fatalf("exit %d with a wrong secret\n%s", code, errs)
	}
	if strings.Contains(out+errs, secret) {
		t.Errorf("the client secret appears in the output")
	}
}

func TestDemoRuns(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"demo", "--log-format", "json", "--log-level", "warn"}, &out, &errs); code != exitOK {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out.String(), errs.String())
	}
	for _, want := range []string{"+ org        本社/営業部/第一課", "! user       1008", "The no-change run planned nothing and wrote nothing.", "本社 [HQ]  管理者: 山田 太郎"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
}

func TestHelpAndLogFormat(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &out, &errs); code != exitOK || !strings.Contains(out.String(), "3  refused by the safety guard") {
		t.Errorf("--help: exit %d\n%s", code, out.String())
	}
	c, _ := setup(t)
	_, _, errLog := c.run("plan", "-c", c.config())
	for _, line := range strings.Split(strings.TrimSpace(errLog), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("--log-format json wrote a non-JSON line: %q", line)
		}
	}
}
