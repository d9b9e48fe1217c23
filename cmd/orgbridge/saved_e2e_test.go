package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run the guard refuses is approved from the CLI: sync says how, plan
// --out saves the plan, and sync --plan applies it as it is.
func TestEndToEndApproveARefusedRunWithASavedPlan(t *testing.T) {
	c, emu := setup(t)
	if code, _, errs := c.run("sync", "-c", c.config()); code != exitOK {
		t.Fatalf("sync: exit %d\n%s", code, errs)
	}
	// Eight of the eleven users leave (1009 is suspended already): more than the guard allows.
	c.write("demo/users.csv", "社員番号,氏名,メールアドレス,所属,役職,役割,在籍区分,グループ\n"+
		"1001,山田 太郎,taro.yamada@example.co.jp,本社,代表取締役,管理者,在籍,\n"+
		"1002,佐藤 花子,hanako.sato@example.co.jp,本社/営業部,部長,管理者,在籍,\n")
	emu.ResetStats()
	code, _, errs := c.run("sync", "-c", c.config())
	want := "orgbridge plan -c " + c.config() + " --out plan.json\n  orgbridge sync -c " + c.config() + " --plan plan.json"
	if code != exitRefused || !strings.Contains(errs, want) {
		t.Fatalf("sync: exit %d, want 3 saying how to approve (%q)\n%s", code, want, errs)
	}

	planFile := filepath.Join(c.dir, "plan.json")
	code, out, errs := c.run("plan", "-c", c.config(), "--out", planFile)
	if code != exitRefused || !strings.Contains(errs, "the plan is saved in "+planFile) {
		t.Fatalf("plan --out: exit %d, want 3 naming the saved file\n%s", code, errs)
	}
	if !strings.Contains(out, "    1 ! user       1003") {
		t.Errorf("plan does not print seqs:\n%s", out)
	}
	if _, err := os.Stat(planFile); err != nil {
		t.Fatal(err)
	}
	if w := emu.Stats().Writes; w != 0 {
		t.Fatalf("%d writes before the approval", w)
	}

	code, out, errs = c.run("sync", "-c", c.config(), "--plan", planFile)
	if code != exitOK || !strings.Contains(out, "applied 10 of the saved plan's 10 changes") {
		t.Fatalf("sync --plan: exit %d\n%s\n%s", code, out, errs)
	}
	suspended := 0
	for _, u := range emu.State().Users {
		if u.IsSuspended {
			suspended++
		}
	}
	if suspended != 9 { // the eight leavers and e1009, on leave from the start
		t.Errorf("%d users suspended, want 9", suspended)
	}
	if code, out, _ := c.run("plan", "-c", c.config()); code != exitOK || !strings.Contains(out, "no changes") {
		t.Errorf("after the approved plan: exit %d\n%s", code, out)
	}
}

// sync --plan refuses a plan whose objects drifted, applies part of one
// with --only and --except, and refuses a plan of another config.
func TestEndToEndSavedPlanDriftAndParts(t *testing.T) {
	c, emu := setup(t)
	if code, _, errs := c.run("sync", "-c", c.config()); code != exitOK {
		t.Fatalf("sync: exit %d\n%s", code, errs)
	}
	c.useExport("users_v2.csv")
	planFile := filepath.Join(c.dir, "plan.json")
	code, out, errs := c.run("plan", "-c", c.config(), "--out", planFile)
	if code != exitOK {
		t.Fatalf("plan --out: exit %d\n%s", code, errs)
	}
	if !strings.Contains(out, "    1 ~ user       1002  木村 花子") {
		t.Fatalf("seq 1 is not 1002's rename:\n%s", out)
	}

	// 1002 is renamed again in the source: the plan is stale for it.
	data, err := os.ReadFile(filepath.Join(c.dir, "demo", "users.csv"))
	if err != nil {
		t.Fatal(err)
	}
	c.write("demo/users.csv", strings.Replace(string(data), "木村 花子", "木村 花", 1))
	emu.ResetStats()
	code, _, errs = c.run("sync", "-c", c.config(), "--plan", planFile)
	if code != exitRefused || !strings.Contains(errs, "user 1002 (source changed)") || !strings.Contains(errs, "make a new plan") {
		t.Fatalf("sync --plan after drift: exit %d, want 3 naming user 1002\n%s", code, errs)
	}
	if w := emu.Stats().Writes; w != 0 {
		t.Fatalf("%d writes by a refused saved plan", w)
	}
	// The other changes do not touch 1002: --except 1 applies them.
	code, out, errs = c.run("sync", "-c", c.config(), "--plan", planFile, "--except", "1")
	if code != exitOK || strings.Contains(out, "1002") || !strings.Contains(out, "    2 ~ user") {
		t.Fatalf("sync --plan --except 1: exit %d\n%s\n%s", code, out, errs)
	}
	v := newView(emu.State())
	if got := v.orgs("e1004"); got != "本社/営業部/第二課(member)" {
		t.Errorf("e1004 orgs = %s", got)
	}
	if v.userByLI["e1002"].Name != "佐藤 花子" {
		t.Errorf("1002 was renamed to %q by a part without it", v.userByLI["e1002"].Name)
	}
	// Back to the planned name: --only 1 applies the rename as planned.
	c.useExport("users_v2.csv")
	if code, out, errs := c.run("sync", "-c", c.config(), "--plan", planFile, "--only", "1"); code != exitOK || !strings.Contains(out, "applied 1 of the saved plan's") {
		t.Fatalf("sync --plan --only 1: exit %d\n%s\n%s", code, out, errs)
	}
	if name := newView(emu.State()).userByLI["e1002"].Name; name != "木村 花子" {
		t.Errorf("1002 is %q", name)
	}
	if code, out, _ := c.run("plan", "-c", c.config()); code != exitOK || !strings.Contains(out, "no changes") {
		t.Errorf("after both parts: exit %d\n%s", code, out)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"another config", []string{"--plan", planFile}, "made with config " + c.config() + ", not " + filepath.Join(c.dir, "other.yaml")},
		{"a seq the plan lacks", []string{"--plan", planFile, "--only", "99"}, "no change 99: the plan has changes 1 to"},
		{"--only without --plan", []string{"--only", "1"}, "--only and --except pick changes of a saved plan"},
		{"not a plan", []string{"--plan", filepath.Join(c.dir, "demo.yaml")}, "not a saved plan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := c.config()
			if tc.name == "another config" {
				data, err := os.ReadFile(c.config())
				if err != nil {
					t.Fatal(err)
				}
				cfg = filepath.Join(c.dir, "other.yaml")
				if err := os.WriteFile(cfg, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, out, errs := c.run(append([]string{"sync", "-c", cfg}, tc.args...)...)
			if code != exitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, want 2 with %q\n%s%s", code, tc.want, out, errs)
			}
		})
	}
}
