package scheduler_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

// savedSetup syncs ten users, then changes the source by edit and saves
// the plan that change makes, through its JSON as a file would hold it.
func savedSetup(t *testing.T, edit func([]connectors.Record) []connectors.Record) (*scheduler.Runner, *scheduler.Job, *staticSource, *fakeTarget, *scheduler.SavedPlan, store.Store) {
	t.Helper()
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	t.Cleanup(func() { _ = st.Close() })
	fake := newFake(fullCaps())
	src := &staticSource{records: hrRecords(10)}
	job := newJob(t, src, fake)
	runner := &scheduler.Runner{Store: st}
	if _, err := runner.Sync(ctx, job, scheduler.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	src.records = edit(hrRecords(10))
	res, err := runner.Plan(ctx, job, false)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := scheduler.WriteSaved(&b, scheduler.NewSavedPlan(job.Name, "/etc/hr.yaml", false, res, time.Unix(0, 0))); err != nil {
		t.Fatal(err)
	}
	sp, err := scheduler.ReadSaved(&b)
	if err != nil {
		t.Fatal(err)
	}
	return runner, job, src, fake, sp, st
}

func userNamed(t *testing.T, f *fakeTarget, login string) string {
	t.Helper()
	u, _, ok := targetUser(f, login)
	if !ok {
		t.Fatalf("no user %s in the target", login)
	}
	return u.Name
}

// A saved plan applies its own changes and nothing else, even when the
// source has changed since for objects it does not touch.
func TestSavedPlanAppliesExactlyItsChanges(t *testing.T) {
	ctx := context.Background()
	runner, job, src, fake, sp, st := savedSetup(t, func(r []connectors.Record) []connectors.Record {
		return renamed(r, map[string]string{"2001": "一 改", "2002": "二 改"})
	})
	if len(sp.Plan.Changes) != 2 || len(sp.Digests) != 2 {
		t.Fatalf("saved plan: %d changes, %d digests; want 2 and 2", len(sp.Plan.Changes), len(sp.Digests))
	}
	// Since the plan: another user is renamed in the source, and one the
	// plan does not touch is edited in the target.
	src.records = renamed(hrRecords(10), map[string]string{"2001": "一 改", "2002": "二 改", "2005": "五 改"})
	fake.mu.Lock()
	fake.state.Users[7].Name = "手で 変更"
	fake.mu.Unlock()
	writes := fake.writes
	res, err := runner.ApplySaved(ctx, job, sp, scheduler.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	if got := fake.writes - writes; got != 2 || res.Outcome.Applied != 2 {
		t.Errorf("%d writes, %d applied; want the plan's 2", got, res.Outcome.Applied)
	}
	if userNamed(t, fake, "e2001") != "一 改" || userNamed(t, fake, "e2002") != "二 改" {
		t.Errorf("the plan's renames did not land")
	}
	if n := userNamed(t, fake, "e2005"); n != "社員 2005" {
		t.Errorf("2005 is %q: a change the plan did not hold was applied", n)
	}
	run, entries, err := st.Run(ctx, res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != store.RunSucceeded || len(entries) != 2 || !strings.HasPrefix(run.Summary, "saved plan of 1970-01-01T00:00:00Z: 0 to create, 2 to update") {
		t.Errorf("run = %s %q with %d entries", run.Status, run.Summary, len(entries))
	}
}

// A saved plan is refused, with nothing written, when an object it touches
// changed in the source or the target; each such object is named.
func TestSavedPlanRefusesDrift(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		since func(src *staticSource, f *fakeTarget)
		want  []string
	}{
		{
			name: "source changed",
			since: func(src *staticSource, _ *fakeTarget) {
				src.records = renamed(withUser(hrRecords(10), "2099", "新 人", "本社/新設"), map[string]string{"2001": "一 再改", "2002": "二 改"})
			},
			want: []string{"user 2001 (source changed)"},
		},
		{
			name: "target changed",
			since: func(_ *staticSource, f *fakeTarget) {
				f.mu.Lock()
				defer f.mu.Unlock()
				for i := range f.state.Users {
					if f.state.Users[i].LoginID == "e2002" {
						f.state.Users[i].Email = "hand@example.jp"
					}
				}
			},
			want: []string{"user 2002 (target changed)"},
		},
		{
			// Someone made the user the plan creates: the create would
			// duplicate it.
			name: "a user to create appeared in the target",
			since: func(_ *staticSource, f *fakeTarget) {
				f.mu.Lock()
				defer f.mu.Unlock()
				f.state.Users = append(f.state.Users, mapping.User{Key: "hand-1", LoginID: "E2099", Name: "新 人"})
			},
			want: []string{"user 2099 (target changed)"},
		},
		{
			name: "both sides",
			since: func(src *staticSource, f *fakeTarget) {
				src.records = renamed(withUser(hrRecords(10), "2099", "新 人", "本社/新設"), map[string]string{"2001": "一 改", "2002": "二 再改"})
				f.mu.Lock()
				defer f.mu.Unlock()
				for i := range f.state.Users {
					if f.state.Users[i].LoginID == "e2002" {
						f.state.Users[i].Name = "手"
					}
				}
			},
			want: []string{"user 2002 (source changed and target changed)"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runner, job, src, fake, sp, st := savedSetup(t, func(r []connectors.Record) []connectors.Record {
				return renamed(withUser(r, "2099", "新 人", "本社/新設"), map[string]string{"2001": "一 改", "2002": "二 改"})
			})
			tc.since(src, fake)
			writes := fake.writes
			res, err := runner.ApplySaved(ctx, job, sp, scheduler.Selection{})
			var drift *scheduler.DriftError
			if !errors.As(err, &drift) || !errors.Is(err, scheduler.ErrDrift) {
				t.Fatalf("err = %v, want a DriftError", err)
			}
			var got []string
			for _, d := range drift.Objects {
				got = append(got, d.String())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("drifted = %q, want %q", got, tc.want)
			}
			if !strings.Contains(err.Error(), "nothing was applied: make a new plan") {
				t.Errorf("message %q does not say what to do", err)
			}
			if fake.writes != writes {
				t.Errorf("%d writes reached the target", fake.writes-writes)
			}
			run, _, err := st.Run(ctx, res.RunID)
			if err != nil || run.Status != store.RunRefused || !strings.Contains(run.Error, tc.want[0]) {
				t.Errorf("run = %+v (%v); want refused naming %s", run, err, tc.want[0])
			}
		})
	}
}

// --only and --except apply part of a plan; only the objects of the part
// are checked for drift.
func TestSavedPlanSelection(t *testing.T) {
	ctx := context.Background()
	edit := func(r []connectors.Record) []connectors.Record {
		return renamed(r, map[string]string{"2001": "一 改", "2002": "二 改", "2003": "三 改"})
	}
	t.Run("only", func(t *testing.T) {
		runner, job, src, fake, sp, _ := savedSetup(t, edit)
		// 2003 drifts in the source, but the part does not touch it.
		src.records = renamed(hrRecords(10), map[string]string{"2001": "一 改", "2002": "二 改", "2003": "三 再改"})
		res, err := runner.ApplySaved(ctx, job, sp, scheduler.Selection{Only: []int{1, 2}})
		if err != nil || res.Outcome.Applied != 2 {
			t.Fatalf("applied %d: %v", res.Outcome.Applied, err)
		}
		if userNamed(t, fake, "e2003") != "社員 2003" || userNamed(t, fake, "e2002") != "二 改" {
			t.Errorf("--only 1,2 applied the wrong changes")
		}
	})
	t.Run("except", func(t *testing.T) {
		runner, job, _, fake, sp, _ := savedSetup(t, edit)
		if _, err := runner.ApplySaved(ctx, job, sp, scheduler.Selection{Except: []int{2}}); err != nil {
			t.Fatal(err)
		}
		if userNamed(t, fake, "e2002") != "社員 2002" || userNamed(t, fake, "e2001") != "一 改" || userNamed(t, fake, "e2003") != "三 改" {
			t.Errorf("--except 2 applied the wrong changes")
		}
	})
	t.Run("unknown seq", func(t *testing.T) {
		runner, job, _, fake, sp, _ := savedSetup(t, edit)
		_, err := runner.ApplySaved(ctx, job, sp, scheduler.Selection{Only: []int{4}})
		if !errors.Is(err, scheduler.ErrSavedPlan) || !strings.Contains(err.Error(), "no change 4: the plan has changes 1 to 3") || fake.writes != 14 {
			t.Errorf("err = %v, %d writes", err, fake.writes)
		}
	})
	t.Run("another job", func(t *testing.T) {
		runner, job, _, _, sp, _ := savedSetup(t, edit)
		job.Name = "payroll"
		if _, err := runner.ApplySaved(ctx, job, sp, scheduler.Selection{}); !errors.Is(err, scheduler.ErrSavedPlan) || !strings.Contains(err.Error(), `made for job "hr", not "payroll"`) {
			t.Errorf("err = %v", err)
		}
		if err := sp.CheckFor("/etc/other.yaml", "hr"); err == nil || !strings.Contains(err.Error(), "made with config /etc/hr.yaml, not /etc/other.yaml") {
			t.Errorf("CheckFor another config = %v", err)
		}
	})
}

func TestParseSeqs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  string
	}{
		{"3", []int{3}, ""},
		{"1, 4,7-9", []int{1, 4, 7, 8, 9}, ""},
		{"0", nil, `"0" is not a seq`},
		{"x", nil, `"x" is not a seq`},
		{"5-2", nil, `"5-2" is not a range of seqs`},
		{",", nil, `"," names no seq`},
	} {
		got, err := scheduler.ParseSeqs(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseSeqs(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseSeqs(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// A saved file of another format is refused rather than misread.
func TestReadSavedRefusesAnotherFormat(t *testing.T) {
	_, err := scheduler.ReadSaved(strings.NewReader(`{"format": 2, "job": "hr", "plan": {"changes": []}}`))
	if !errors.Is(err, scheduler.ErrSavedPlan) || !strings.Contains(err.Error(), "format 2, this orgbridge reads format 1") {
		t.Errorf("err = %v", err)
	}
	_, err = scheduler.ReadSaved(strings.NewReader(`job hr: plan`))
	if !errors.Is(err, scheduler.ErrSavedPlan) || !strings.Contains(err.Error(), "not a saved plan") {
		t.Errorf("err = %v", err)
	}
}
