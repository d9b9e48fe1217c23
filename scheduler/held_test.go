package scheduler_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scheduler"
)

func suspendedUsers(f *fakeTarget) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, u := range f.state.Users {
		if u.Suspended {
			out = append(out, u.LoginID)
		}
	}
	return out
}

func pendingNow(t *testing.T, d *scheduler.Daemon) []scheduler.PendingApproval {
	t.Helper()
	p, err := d.Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A refused plan is held in the store: a daemon started anew on the same
// store lists it, and "approve selected" applies exactly the seqs given;
// the rest go with the plan.
func TestDaemonHeldPlanSurvivesARestartAndIsApprovedInPart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	st := openStore(t, path)
	src := &staticSource{records: hrRecords(40)}
	target := newFake(fullCaps())
	job := newJob(t, src, target)
	var held []scheduler.PendingApproval
	d := scheduler.NewDaemon([]*scheduler.Job{job}, scheduler.DaemonOptions{Store: st, Hooks: scheduler.DaemonHooks{
		PlanHeld: func(p scheduler.PendingApproval) { held = append(held, p) },
	}})
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.RunJob(ctx, "hr", scheduler.RunOptions{}, scheduler.TriggerManual); err != nil {
		t.Fatal(err)
	}
	src.records = hrRecords(10) // 30 of 40 leave: far beyond the 5% guard
	res, err := d.RunJob(ctx, "hr", scheduler.RunOptions{}, scheduler.TriggerSchedule)
	if !errors.Is(err, scheduler.ErrRefused) {
		t.Fatalf("second run: %v, want refused", err)
	}
	if len(held) != 1 || held[0].RunID != res.RunID || len(held[0].Changes) != 30 {
		t.Fatalf("PlanHeld hook got %+v", held)
	}
	if info := d.Jobs()[0]; info.Pending == nil || info.Pending.RunID != res.RunID {
		t.Errorf("the job's view does not show its held plan: %+v", info.Pending)
	}
	if err := d.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// A restart: a new store handle, a new daemon.
	st = openStore(t, path)
	defer st.Close()
	ran := make(chan string, 4)
	d = startDaemon(t, st, []*scheduler.Job{job}, scheduler.DaemonOptions{Hooks: scheduler.DaemonHooks{
		Run: func(_, _, outcome string, _ time.Duration, _ time.Time) { ran <- outcome },
	}})
	if info := d.Jobs()[0]; info.Pending == nil || info.Pending.RunID != res.RunID {
		t.Fatalf("after a restart the job's view has no held plan: %+v", info.Pending)
	}
	pending := pendingNow(t, d)
	if len(pending) != 1 || pending[0].RunID != res.RunID || len(pending[0].Changes) != 30 ||
		!strings.Contains(pending[0].Reason, "refused by the safety guard") {
		t.Fatalf("pending after restart = %+v", pending)
	}
	first := pending[0].Changes[0]
	if first.Seq != 1 || first.Symbol != "!" || first.Kind != "user" || first.Key != "2010" || !strings.Contains(first.Detail, `suspended: "false" → "true"`) {
		t.Errorf("first held change = %+v", first)
	}
	if _, err := d.Approve(ctx, res.RunID+100, nil, "ops"); !errors.Is(err, scheduler.ErrNoApproval) {
		t.Errorf("approving an unknown run: %v", err)
	}
	if _, err := d.Approve(ctx, res.RunID, []int{31}, "ops"); !errors.Is(err, scheduler.ErrSavedPlan) {
		t.Errorf("approving a seq the plan lacks: %v", err)
	}
	if job, err := d.Approve(ctx, res.RunID, []int{1, 3}, "ops"); err != nil || job != "hr" {
		t.Fatalf("approve selected: %q, %v", job, err)
	}
	if outcome := <-ran; outcome != string(store.RunSucceeded) {
		t.Errorf("approved run: %s", outcome)
	}
	if got := strings.Join(suspendedUsers(target), ","); got != "e2010,e2012" {
		t.Errorf("suspended = %s, want exactly seqs 1 and 3 (e2010, e2012)", got)
	}
	if p := pendingNow(t, d); len(p) != 0 {
		t.Errorf("still pending after approval: %+v", p)
	}
	// The refused run records who approved it, and when.
	if r, _, err := st.Run(ctx, res.RunID); err != nil || r.Decision.Verdict != store.DecisionApproved || r.Decision.By != "ops" || r.Decision.At.IsZero() {
		t.Errorf("approved run's decision = %+v, %v", r.Decision, err)
	}
	if _, err := d.Approve(ctx, res.RunID, nil, "ops"); !errors.Is(err, scheduler.ErrNoApproval) {
		t.Errorf("approving twice: %v", err)
	}
	runs, err := st.Runs(ctx, "hr", 1)
	if err != nil || len(runs) != 1 || !strings.Contains(runs[0].Summary, "(2 of its 30 changes)") {
		t.Errorf("approved run = %+v, %v", runs, err)
	}
}

// An approved plan whose touched objects changed is not applied; a
// rejected plan is gone for every replica.
func TestDaemonHeldPlanDriftAndReject(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	defer st.Close()
	src := &staticSource{records: hrRecords(40)}
	target := newFake(fullCaps())
	job := newJob(t, src, target)
	ran := make(chan string, 4)
	d := startDaemon(t, st, []*scheduler.Job{job}, scheduler.DaemonOptions{Hooks: scheduler.DaemonHooks{
		Run: func(_, _, outcome string, _ time.Duration, _ time.Time) { ran <- outcome },
	}})
	if _, err := d.RunJob(ctx, "hr", scheduler.RunOptions{}, scheduler.TriggerManual); err != nil {
		t.Fatal(err)
	}
	<-ran
	src.records = hrRecords(10)
	res, err := d.RunJob(ctx, "hr", scheduler.RunOptions{}, scheduler.TriggerManual)
	if !errors.Is(err, scheduler.ErrRefused) {
		t.Fatal(err)
	}
	<-ran
	// Someone suspends e2011 by hand: the plan's seq 2 drifted.
	target.mu.Lock()
	for i := range target.state.Users {
		if target.state.Users[i].LoginID == "e2011" {
			target.state.Users[i].Suspended = true
		}
	}
	writes := target.writes
	target.mu.Unlock()
	if _, err := d.Approve(ctx, res.RunID, nil, "ops"); err != nil {
		t.Fatal(err)
	}
	if outcome := <-ran; outcome != string(store.RunRefused) {
		t.Errorf("approved stale plan: %s, want refused", outcome)
	}
	waitIdle(d)
	if target.writes != writes {
		t.Errorf("%d writes by a stale plan", target.writes-writes)
	}
	runs, err := st.Runs(ctx, "hr", 1)
	if err != nil || len(runs) != 1 || !strings.Contains(runs[0].Error, "user 2011 (target changed)") {
		t.Errorf("refused approval run = %+v, %v", runs, err)
	}
	if info := d.Jobs()[0]; info.Quarantined {
		t.Errorf("a stale approval quarantined the job")
	}

	// Refused again, then rejected: gone.
	res, err = d.RunJob(ctx, "hr", scheduler.RunOptions{}, scheduler.TriggerManual)
	if !errors.Is(err, scheduler.ErrRefused) {
		t.Fatal(err)
	}
	<-ran
	if p := pendingNow(t, d); len(p) != 1 || p[0].RunID != res.RunID {
		t.Fatalf("pending = %+v", p)
	}
	if job, err := d.Reject(ctx, res.RunID, "api"); err != nil || job != "hr" {
		t.Fatalf("reject: %q, %v", job, err)
	}
	// The refused run records who rejected it, and when.
	if r, _, err := st.Run(ctx, res.RunID); err != nil || r.Decision.Verdict != store.DecisionRejected || r.Decision.By != "api" || r.Decision.At.IsZero() {
		t.Errorf("rejected run's decision = %+v, %v", r.Decision, err)
	}
	if p := pendingNow(t, d); len(p) != 0 || d.Jobs()[0].Pending != nil {
		t.Errorf("pending after reject = %+v", p)
	}
	if _, err := d.Reject(ctx, res.RunID, "api"); !errors.Is(err, scheduler.ErrNoApproval) {
		t.Errorf("rejecting twice: %v", err)
	}
}

// waitIdle waits until no run holds the first job: an approved plan is
// applied on the daemon's own goroutine, whose Run hook fires before the
// run lets go of the job, so a RunJob right after the hook could find it
// still running.
func waitIdle(d *scheduler.Daemon) {
	for d.Jobs()[0].Running {
		time.Sleep(time.Millisecond)
	}
}
