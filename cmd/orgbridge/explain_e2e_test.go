package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/internal/golden"
)

var (
	// emulatorID is an AirCourse emulator id: random per run.
	emulatorID = regexp.MustCompile(`\b(usr|org|grp)_[A-Za-z0-9]{16}\b`)
	rfc3339    = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
)

// normalize takes out of an explanation what differs from run to run: the
// temp dir, the emulator's ids and the journal's times.
func (c cli) normalize(s string) string {
	s = strings.ReplaceAll(s, c.dir, "DIR")
	s = emulatorID.ReplaceAllString(s, "${1}_ID")
	return rfc3339.ReplaceAllString(s, "TIME")
}

// explain runs orgbridge explain and wants the exit code.
func (c cli) explain(want int, args ...string) (stdout, stderr string) {
	c.t.Helper()
	code, out, errs := c.run(append([]string{"explain", "-c", c.config()}, args...)...)
	if code != want {
		c.t.Fatalf("explain %v: exit %d, want %d\n%s%s", args, code, want, out, errs)
	}
	return out, errs
}

func (c cli) explainGolden(name string, args ...string) string {
	c.t.Helper()
	out, _ := c.explain(exitOK, args...)
	got := c.normalize(out)
	golden.Check(c.t, filepath.Join("testdata", "explain", name+".golden"), got, *updateGolden)
	return got
}

// TestExplain asks why, as a user would, through the demo: before any
// sync (nothing linked, no store created), after the first sync (a user in
// 第二課 in step: its rule, link and target, no change), and with the
// second export before it is synced (a rename, a leaver), then after it
// (the journal), and for a name nothing has.
func TestExplain(t *testing.T) {
	c, emu := setup(t)
	db := filepath.Join(c.dir, "orgbridge-demo.db")

	// Before any sync: would be created; explain creates no store.
	got := c.explainGolden("before-sync", "1004")
	if !strings.Contains(got, "  1 create user 1004") && !strings.Contains(got, "create user 1004:") {
		t.Errorf("before the first sync, 1004 is not to be created:\n%s", got)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("explain created the store %s (stat: %v)", db, err)
	}
	if w := emu.Stats().Writes; w != 0 {
		t.Fatalf("explain wrote %d times to the target", w)
	}

	if code, out, errs := c.run("sync", "-c", c.config()); code != exitOK {
		t.Fatalf("sync 1: exit %d\n%s%s", code, out, errs)
	}
	emu.ResetStats()

	// A user in 第二課 by its e-mail, in another case: in step.
	got = c.explainGolden("in-step", "Sho.Ito@Example.co.jp")
	for _, want := range []string{
		"user 1006 (found by email",
		`users.org_path.template = "本社/営業部/第二課" ← {{.所属}}  (DIR/demo.yaml:`,
		`users.role.template = "一般" → member ← {{.役割}}`,
		"member: org 本社/営業部/第二課(member)",
		"no change: the target is in step",
		"create  applied",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("explain of 1006 lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(got, "\nLink\n  target id usr_ID\n") {
		t.Errorf("explain of 1006 names no link:\n%s", got)
	}

	// The second export: a rename and a leaver, before they are synced.
	c.useExport("users_v2.csv")
	got = c.explainGolden("rename", "e1002")
	if !strings.Contains(got, "update user 1002: mapped fields differ from the target: name") ||
		!strings.Contains(got, `name: "佐藤 花子" → "木村 花子"`) {
		t.Errorf("explain of the renamed 1002 names no rename:\n%s", got)
	}
	got = c.explainGolden("leaver", "1008")
	for _, want := range []string{
		"excluded: users.scope.exclude[0].template matched ({{.在籍区分}} = 退職)",
		"suspend user 1008: out of scope (users.scope.exclude[0].template matched ({{.在籍区分}} = 退職)), so not in the source (leavers: suspend)",
		`suspended: "false" → "true"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("explain of the leaver lacks %q:\n%s", want, got)
		}
	}
	if w := emu.Stats().Writes; w != 0 {
		t.Fatalf("explain wrote %d times to the target", w)
	}

	// --json: the same, snake_case.
	out, _ := c.explain(exitOK, "--json", "1008")
	var j struct {
		Kind string `json:"kind"`
		Key  string `json:"key"`
		Link struct {
			TargetID string `json:"target_id"`
		} `json:"link"`
		Plan []struct {
			Action string `json:"action"`
			Reason string `json:"reason"`
		} `json:"plan"`
		Journal []struct {
			RunID   int64  `json:"run_id"`
			Action  string `json:"action"`
			Outcome string `json:"outcome"`
		} `json:"journal"`
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("explain --json: %v\n%s", err, out)
	}
	if j.Kind != "user" || j.Key != "1008" || j.Link.TargetID == "" || len(j.Plan) != 1 || j.Plan[0].Action != "suspend" ||
		!strings.Contains(j.Plan[0].Reason, "leavers: suspend") || len(j.Journal) != 1 || j.Journal[0].Action != "create" {
		t.Errorf("explain --json 1008 = %+v", j)
	}

	// After the second sync the journal says what happened, newest first.
	if code, out, errs := c.run("sync", "-c", c.config()); code != exitOK {
		t.Fatalf("sync 2: exit %d\n%s%s", code, out, errs)
	}
	got = c.explainGolden("leaver-synced", "1008")
	if !regexp.MustCompile(`run 2 #\d+  TIME  full  suspend  applied\n(.*\n)*  run 1 #\d+  TIME  full  create  applied`).MatchString(got) {
		t.Errorf("the leaver's journal is not its suspend then its create:\n%s", got)
	}

	// An org by its code.
	got = c.explainGolden("org", "sales-2")
	if !strings.Contains(got, "org 本社/営業部/第二課 (found by code") || !strings.Contains(got, "member: 1006(admin)") {
		t.Errorf("explain of SALES-2:\n%s", got)
	}

	// Nothing matches: exit 1 and the closest.
	out, errs := c.explain(exitFailed, "e1O04")
	if out != "" || !strings.Contains(errs, `nothing in the source, the links or the target matches "e1O04"`) ||
		!strings.Contains(errs, "user 1004 (e1004, kenta.takahashi@example.co.jp, 高橋 健太)") {
		t.Errorf("explain of a name nothing has: stdout %q\nstderr %s", out, errs)
	}
	// A config problem: exit 2.
	c.write("bad.yaml", "jobs: [\n")
	if code, _, errs := c.run("explain", "-c", filepath.Join(c.dir, "bad.yaml"), "1004"); code != exitUsage {
		t.Errorf("explain of a broken config: exit %d, want 2\n%s", code, errs)
	}
}
