package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

// withUser returns records with one more user, alone in its own org.
func withUser(records []connectors.Record, id, name, dept string) []connectors.Record {
	out := append([]connectors.Record(nil), records...)
	return append(out, connectors.Record{Kind: mapping.KindUser, Key: id, Origin: "users.csv:99",
		Attrs: map[string][]string{"id": {id}, "name": {name}, "dept": {dept}}})
}

// renamed returns records where the users listed get a new name.
func renamed(records []connectors.Record, names map[string]string) []connectors.Record {
	out := make([]connectors.Record, len(records))
	for i, r := range records {
		attrs := map[string][]string{}
		for k, v := range r.Attrs {
			attrs[k] = v
		}
		if n, ok := names[r.Key]; ok {
			attrs["name"] = []string{n}
		}
		r.Attrs = attrs
		out[i] = r
	}
	return out
}

func targetUser(f *fakeTarget, login string) (mapping.User, []mapping.Membership, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.state.Users {
		if u.LoginID == login {
			var ms []mapping.Membership
			for _, m := range f.state.Memberships {
				if m.UserKey == u.Key {
					ms = append(ms, m)
				}
			}
			return u, ms, true
		}
	}
	return mapping.User{}, nil, false
}

func leaveOutEntries(t *testing.T, st store.Store, runID int64) []store.JournalEntry {
	t.Helper()
	_, entries, err := st.Run(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.JournalEntry
	for _, e := range entries {
		if e.Change.Action == scheduler.ActionLeaveOut {
			out = append(out, e)
		}
	}
	return out
}

// One record that cannot be mapped among many: the others are applied, the
// bad one is journaled as left out with its reason, and the run succeeds.
// A user already linked whose record goes bad is kept exactly as it is: not
// suspended or deleted, not updated, its memberships and its org intact.
func TestSyncIsolatesARecordThatCannotBeMapped(t *testing.T) {
	for _, tc := range []struct {
		name    string
		caps    connectors.Capabilities
		leavers string
	}{
		{"memberships in the user call, leavers suspended", fullCaps(), scheduler.LeaversSuspend},
		{"memberships apart, leavers deleted", func() connectors.Capabilities {
			c := fullCaps()
			c.OrgMembershipsInUser = false
			return c
		}(), scheduler.LeaversDelete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
			fake := newFake(tc.caps)
			base := withUser(hrRecords(30), "2099", "一人 部署", "本社/孤立")
			src := &staticSource{records: base}
			job := newJob(t, src, fake)
			job.Leavers = tc.leavers
			runner := &scheduler.Runner{Store: st}

			// Run 1: one bad record (no name) among 31.
			src.records = withUser(base, "3000", "", "本社/部0")
			res, err := runner.Sync(ctx, job, scheduler.RunOptions{})
			if err != nil {
				t.Fatalf("run 1: %v", err)
			}
			if res.Outcome.Failed != 0 || res.Outcome.Applied == 0 {
				t.Fatalf("run 1 outcome = %+v", res.Outcome)
			}
			for _, login := range []string{"e2000", "e2029", "e2099"} {
				if _, _, ok := targetUser(fake, login); !ok {
					t.Errorf("run 1: good user %s did not reach the target", login)
				}
			}
			if _, _, ok := targetUser(fake, "e3000"); ok {
				t.Errorf("run 1: the bad user reached the target")
			}
			left := leaveOutEntries(t, st, res.RunID)
			if len(left) != 1 || left[0].Change.Key != "3000" || left[0].Status != store.EntryFailed ||
				!strings.Contains(left[0].Error, `users.csv:99: user "3000": empty name`) {
				t.Fatalf("run 1 leave_out entries = %+v", left)
			}
			run, _, err := st.Run(ctx, res.RunID)
			if err != nil {
				t.Fatal(err)
			}
			if run.Status != store.RunSucceeded || !strings.Contains(run.Summary, "1 record(s) left out") {
				t.Errorf("run 1 = %s, summary %q", run.Status, run.Summary)
			}
			held, heldRun, err := scheduler.HeldBack(ctx, st, "hr")
			if err != nil || heldRun != res.RunID || len(held) != 1 || held[0].Key != "3000" {
				t.Errorf("HeldBack = %+v (run %d), %v", held, heldRun, err)
			}

			// Run 2: a linked user's record goes bad (its name is gone) while
			// another user is renamed: the rename lands, the bad one is kept.
			before, beforeMs, _ := targetUser(fake, "e2099")
			src.records = renamed(base, map[string]string{"2099": " ", "2001": "改名 済"})
			res, err = runner.Sync(ctx, job, scheduler.RunOptions{})
			if err != nil {
				t.Fatalf("run 2: %v", err)
			}
			for _, c := range append(res.Plan.Changes, res.Protected...) {
				if c.Key == "2099" || c.Membership != nil && c.Membership.UserKey == "2099" {
					if !containsChange(res.Protected, c) {
						t.Errorf("run 2 plans %s %s %s for the left-out user", c.Action, c.Kind, c.Key)
					}
				}
				if c.Kind == mapping.KindOrg && c.Action == connectors.ActionDelete && c.Key != "本社/孤立" {
					t.Errorf("run 2 deletes org %s", c.Key)
				}
			}
			after, afterMs, ok := targetUser(fake, "e2099")
			if !ok || after.Suspended || after.Name != before.Name || fmt.Sprint(afterMs) != fmt.Sprint(beforeMs) {
				t.Errorf("left-out linked user: before %+v %v, after %+v %v (found %v)", before, beforeMs, after, afterMs, ok)
			}
			if u, _, _ := targetUser(fake, "e2001"); u.Name != "改名 済" {
				t.Errorf("the rename of another user did not land: %+v", u)
			}
			actual, _ := fake.Read(ctx)
			found := false
			for _, o := range actual.Orgs {
				found = found || o.Name == "孤立"
			}
			if !found {
				t.Errorf("the org only the left-out user is in was removed")
			}
			if left := leaveOutEntries(t, st, res.RunID); len(left) != 1 || left[0].Change.Key != "2099" || left[0].TargetID != before.Key {
				t.Errorf("run 2 leave_out entries = %+v; want 2099 with target id %s", left, before.Key)
			}

			// Run 3: fixed, the user is updated again and nothing is held.
			src.records = renamed(base, map[string]string{"2099": "一人 戻り", "2001": "改名 済"})
			if _, err = runner.Sync(ctx, job, scheduler.RunOptions{}); err != nil {
				t.Fatalf("run 3: %v", err)
			}
			if u, _, _ := targetUser(fake, "e2099"); u.Name != "一人 戻り" || u.Suspended {
				t.Errorf("run 3: fixed user = %+v", u)
			}
			if held, _, _ := scheduler.HeldBack(ctx, st, "hr"); len(held) != 0 {
				t.Errorf("run 3: still held back: %+v", held)
			}
		})
	}
}

func containsChange(list []connectors.Change, c connectors.Change) bool {
	for _, x := range list {
		if x.Kind == c.Kind && x.Key == c.Key && x.Action == c.Action {
			return true
		}
	}
	return false
}

// The guard counts what was left out: more than its share of a kind left
// out refuses the run as many removals would, and the refused run says
// what it left out.
func TestGuardCountsLeftOutRecords(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	fake := newFake(fullCaps())
	src := &staticSource{records: hrRecords(20)}
	job := newJob(t, src, fake)
	runner := &scheduler.Runner{Store: st}
	if _, err := runner.Sync(ctx, job, scheduler.RunOptions{}); err != nil {
		t.Fatal(err)
	}

	// 1 of 20 (5%) is within the default share; 2 of 20 (10%) is not.
	src.records = renamed(hrRecords(20), map[string]string{"2003": "", "2004": "新 名"})
	if _, err := runner.Sync(ctx, job, scheduler.RunOptions{}); err != nil {
		t.Fatalf("one left out: %v", err)
	}
	if u, _, _ := targetUser(fake, "e2004"); u.Name != "新 名" {
		t.Errorf("one left out: the other change did not land: %+v", u)
	}
	src.records = renamed(hrRecords(20), map[string]string{"2003": "", "2005": "", "2006": "別 名"})
	res, err := runner.Sync(ctx, job, scheduler.RunOptions{})
	if !errors.Is(err, scheduler.ErrRefused) || !strings.Contains(err.Error(), "2 of 20 users (2 left out: they cannot be mapped) (10.0%) exceed the limit of 5.0%") {
		t.Fatalf("two left out: err = %v; want a refusal counting them", err)
	}
	if u, _, _ := targetUser(fake, "e2006"); u.Name == "別 名" {
		t.Errorf("the refused run applied a change")
	}
	run, _, _ := st.Run(ctx, res.RunID)
	if run.Status != store.RunRefused {
		t.Errorf("run status = %s, want refused", run.Status)
	}
	if left := leaveOutEntries(t, st, res.RunID); len(left) != 2 {
		t.Errorf("refused run's leave_out entries = %+v; want 2", left)
	}

	// Every user left out is the empty-source refusal, named for what it is.
	var none []connectors.Record
	for _, r := range hrRecords(20) {
		r.Attrs = map[string][]string{"id": r.Attrs["id"], "dept": r.Attrs["dept"]}
		none = append(none, r)
	}
	src.records = none
	if _, err := runner.Sync(ctx, job, scheduler.RunOptions{}); !errors.Is(err, scheduler.ErrRefused) || !strings.Contains(err.Error(), "every user record of the source was left out (20") {
		t.Fatalf("all left out: err = %v", err)
	}
	for _, u := range fake.state.Users {
		if u.Suspended {
			t.Errorf("user %s suspended", u.LoginID)
		}
	}
}

func TestGuardLeftOutShares(t *testing.T) {
	defaults := scheduler.Guard{MaxDeleteRatio: scheduler.DefaultMaxDeleteRatio, MaxDeleteCount: scheduler.DefaultMaxDeleteCount}
	users := func(n int) map[mapping.Kind]int { return map[mapping.Kind]int{mapping.KindUser: n} }
	some := map[mapping.Kind]int{mapping.KindUser: 1, mapping.KindOrg: 1, mapping.KindGroup: 1}
	tests := []struct {
		name    string
		guard   scheduler.Guard
		plan    scheduler.Plan
		leftOut map[mapping.Kind]int
		want    string // "" = allowed
	}{
		{"within the share", defaults, scheduler.Plan{Desired: users(95), Managed: users(100)}, users(5), ""},
		{"above the share", defaults, scheduler.Plan{Desired: users(94), Managed: users(100)}, users(6),
			"6 of 100 users (6 left out: they cannot be mapped) (6.0%) exceed the limit of 5.0%"},
		{"added to removals", defaults, scheduler.Plan{Desired: some, Changes: removals(mapping.KindUser, connectors.ActionSuspend, 3), Managed: users(100)}, users(3),
			"6 of 100 users (3 left out"},
		{"a first run: the base is the records", defaults, scheduler.Plan{Desired: users(9), Managed: map[mapping.Kind]int{}}, users(1),
			"1 of 10 users"},
		{"an incremental run against what is managed", defaults, scheduler.Plan{Partial: true, Desired: users(3), Managed: users(1000)}, users(2), ""},
		{"toward the total", scheduler.Guard{MaxDeleteRatio: 1, MaxDeleteCount: 500}, scheduler.Plan{Desired: some, Managed: users(100000)}, users(501),
			"501 deletes, suspends and left-out records exceed the limit of 500"},
		{"every record left out", defaults, scheduler.Plan{Desired: map[mapping.Kind]int{}, Managed: users(7)}, users(7),
			"every user record of the source was left out (7: they cannot be mapped)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.guard.CheckLeftOut(&tt.plan, tt.leftOut)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, scheduler.ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrRefused containing %q", err, tt.want)
			}
		})
	}
}
