package scheduler_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scheduler"
)

// clock is a settable time for quarantine decisions.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// startDaemon runs a daemon over the jobs until the test ends.
func startDaemon(t *testing.T, st store.Store, jobs []*scheduler.Job, opts scheduler.DaemonOptions) *scheduler.Daemon {
	t.Helper()
	opts.Store = st
	opts.ElectEvery = 10 * time.Millisecond
	d := scheduler.NewDaemon(jobs, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for !d.IsLeader() {
		time.Sleep(time.Millisecond)
	}
	return d
}

func every(t *testing.T, spec string) *scheduler.JobSchedule {
	t.Helper()
	s, err := cron.ParseStandard(spec)
	if err != nil {
		t.Fatal(err)
	}
	return &scheduler.JobSchedule{FullSpec: spec, Full: s, Location: time.UTC}
}

func TestDaemonRunsOnSchedule(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	job := newJob(t, &staticSource{records: hrRecords(3)}, newFake(fullCaps()))
	job.Schedule = every(t, "@every 1s")
	var mu sync.Mutex
	var outcomes []string
	done := make(chan struct{}, 10)
	d := startDaemon(t, st, []*scheduler.Job{job}, scheduler.DaemonOptions{Hooks: scheduler.DaemonHooks{
		Run: func(job, mode, outcome string, _ time.Duration, _ time.Time) {
			mu.Lock()
			outcomes = append(outcomes, mode+":"+outcome)
			mu.Unlock()
			done <- struct{}{}
		},
	}})
	info := d.Jobs()[0]
	if info.Schedule != "@every 1s" || info.Next.IsZero() {
		t.Errorf("job info = %+v; want the schedule and a next run", info)
	}
	<-done
	<-done
	mu.Lock()
	defer mu.Unlock()
	if outcomes[0] != "full:succeeded" || outcomes[1] != "full:succeeded" {
		t.Errorf("outcomes = %v", outcomes)
	}
	runs, err := st.Runs(context.Background(), "hr", 0)
	if err != nil || len(runs) < 2 {
		t.Fatalf("runs = %v, %v", runs, err)
	}
}

// blockingSource holds a read until released, to keep a run in flight.
type blockingSource struct {
	staticSource
	started chan struct{}
	release chan struct{}
}

func (b *blockingSource) Read(ctx context.Context) ([]connectors.Record, error) {
	b.started <- struct{}{}
	<-b.release
	return b.staticSource.Read(ctx)
}

func TestDaemonRefusesAnOverlappingRun(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	src := &blockingSource{staticSource: staticSource{records: hrRecords(2)}, started: make(chan struct{}, 1), release: make(chan struct{})}
	d := startDaemon(t, st, []*scheduler.Job{newJob(t, src, newFake(fullCaps()))}, scheduler.DaemonOptions{})
	if err := d.Trigger("hr", scheduler.RunOptions{}, scheduler.TriggerManual); err != nil {
		t.Fatal(err)
	}
	<-src.started
	if !d.Jobs()[0].Running {
		t.Errorf("the job is not shown running")
	}
	if err := d.Trigger("hr", scheduler.RunOptions{}, scheduler.TriggerManual); !errors.Is(err, scheduler.ErrBusy) {
		t.Errorf("second trigger: %v, want ErrBusy", err)
	}
	if _, err := d.RunJob(context.Background(), "hr", scheduler.RunOptions{}, scheduler.TriggerSCIM); !errors.Is(err, scheduler.ErrBusy) {
		t.Errorf("RunJob while running: %v, want ErrBusy", err)
	}
	if err := d.Trigger("nope", scheduler.RunOptions{}, scheduler.TriggerManual); !errors.Is(err, scheduler.ErrUnknownJob) {
		t.Errorf("unknown job: %v", err)
	}
	close(src.release)
}

func TestDaemonQuarantinesAFailingJobUntilARunSucceeds(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	clk := &clock{t: time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)}
	target := newFake(fullCaps())
	target.failKeys = map[string]bool{"本社": true, "本社/部0": true, "本社/部1": true, "本社/部2": true}
	for _, r := range hrRecords(4) {
		target.failKeys[r.Key] = true
	}
	job := newJob(t, &staticSource{records: hrRecords(4)}, target)
	job.Quarantine = scheduler.QuarantinePolicy{Backoff: time.Minute, MaxBackoff: 3 * time.Minute}
	var quarantined []bool
	d := startDaemon(t, st, []*scheduler.Job{job}, scheduler.DaemonOptions{Now: clk.now, Hooks: scheduler.DaemonHooks{
		Quarantine: func(_ string, on bool) { quarantined = append(quarantined, on) },
	}})
	ctx := context.Background()
	for i, want := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute, 3 * time.Minute} {
		if _, err := d.RunJob(ctx, "hr", scheduler.RunOptions{}, scheduler.TriggerManual); err == nil {
			t.Fatalf("run %d succeeded; the target fails every user", i)
		}
		info := d.Jobs()[0]
		if !info.Quarantined || info.QuarantineUntil.Sub(clk.now()) != want || info.QuarantineReason == "" {
			t.Errorf("after failed run %d: quarantined=%v for %v (%s); want %v", i+1, info.Quarantined, info.QuarantineUntil.Sub(clk.now()), info.QuarantineReason, want)
		}
	}
	target.failKeys = nil
	if _, err := d.RunJob(ctx, "hr", scheduler.RunOptions{}, scheduler.TriggerManual); err != nil {
		t.Fatal(err)
	}
	if info := d.Jobs()[0]; info.Quarantined {
		t.Errorf("still quarantined after a successful run: %+v", info)
	}
	if len(quarantined) != 5 || quarantined[4] {
		t.Errorf("quarantine hook calls = %v; want on four times, then off", quarantined)
	}
}

// fickle is an elector that can lose and regain the lock.
type fickle struct {
	mu   sync.Mutex
	free bool
	held bool
}

func (f *fickle) TryAcquire(context.Context) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.free {
		f.held = true
	}
	return f.held, nil
}

func (f *fickle) Held(context.Context) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held
}

func (f *fickle) Release(context.Context) error { return nil }

func (f *fickle) set(free, held bool) {
	f.mu.Lock()
	f.free, f.held = free, held
	f.mu.Unlock()
}

func TestDaemonRunsOnlyWhileLeader(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	el := &fickle{}
	d := scheduler.NewDaemon([]*scheduler.Job{newJob(t, &staticSource{records: hrRecords(2)}, newFake(fullCaps()))},
		scheduler.DaemonOptions{Store: st, Elector: el, ElectEvery: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	if _, err := d.RunJob(ctx, "hr", scheduler.RunOptions{}, scheduler.TriggerManual); !errors.Is(err, scheduler.ErrNotLeader) {
		t.Errorf("a standby ran a job: %v", err)
	}
	el.set(true, false)
	for !d.IsLeader() {
		time.Sleep(time.Millisecond)
	}
	if _, err := d.RunJob(ctx, "hr", scheduler.RunOptions{}, scheduler.TriggerManual); err != nil {
		t.Errorf("the leader could not run: %v", err)
	}
	el.set(false, false) // the lock's connection broke
	for d.IsLeader() {
		time.Sleep(time.Millisecond)
	}
	if err := d.Trigger("hr", scheduler.RunOptions{}, scheduler.TriggerManual); !errors.Is(err, scheduler.ErrNotLeader) {
		t.Errorf("after losing the lock: %v", err)
	}
}

// panicSource is a source with a bug.
type panicSource struct{}

func (panicSource) Read(context.Context) ([]connectors.Record, error) { panic("connector bug") }

func TestDaemonSurvivesAPanickingRun(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	d := startDaemon(t, st, []*scheduler.Job{newJob(t, panicSource{}, newFake(fullCaps()))}, scheduler.DaemonOptions{})
	if _, err := d.RunJob(context.Background(), "hr", scheduler.RunOptions{}, scheduler.TriggerManual); !errors.Is(err, scheduler.ErrPanic) {
		t.Fatalf("RunJob = %v, want ErrPanic", err)
	}
	// The job's lock was given back: it can run again.
	if _, err := d.RunJob(context.Background(), "hr", scheduler.RunOptions{}, scheduler.TriggerManual); !errors.Is(err, scheduler.ErrPanic) {
		t.Errorf("second RunJob = %v, want ErrPanic again (not ErrBusy)", err)
	}
}

// A change that keeps failing is held back by scheduled runs until its
// backoff ends (doubling); the rest of the job goes on, and a manual run
// retries it at once.
func TestDaemonRetriesAFailingChangeWithBackoff(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	clk := &clock{t: time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)}
	target := newFake(fullCaps())
	records := hrRecords(10)
	bad := records[3].Key
	target.failKeys = map[string]bool{bad: true}
	job := newJob(t, &staticSource{records: records}, target)
	job.Quarantine = scheduler.QuarantinePolicy{Backoff: time.Minute, MaxBackoff: time.Hour}
	d := startDaemon(t, st, []*scheduler.Job{job}, scheduler.DaemonOptions{Now: clk.now})
	ctx := context.Background()
	run := func(trigger scheduler.Trigger) *scheduler.RunResult {
		t.Helper()
		res, _ := d.RunJob(ctx, "hr", scheduler.RunOptions{}, trigger)
		if res == nil {
			t.Fatal("no run result")
		}
		return res
	}
	heldKeys := func(res *scheduler.RunResult) []string {
		var keys []string
		for _, c := range res.Held {
			keys = append(keys, c.Key)
		}
		return keys
	}
	if res := run(scheduler.TriggerSchedule); res.Outcome.Failed != 1 || len(res.Held) != 0 {
		t.Fatalf("first run: %d failed, held %v; want the bad user failed", res.Outcome.Failed, heldKeys(res))
	}
	if d.Jobs()[0].Quarantined {
		t.Errorf("one failed change of 13 quarantined the job")
	}
	if res := run(scheduler.TriggerSchedule); len(res.Held) != 1 || res.Held[0].Key != bad || res.Outcome.Failed != 0 {
		t.Errorf("within the backoff: held %v, %d failed; want the bad user held", heldKeys(res), res.Outcome.Failed)
	}
	if n := d.Jobs()[0].RetryingLater; n != 1 {
		t.Errorf("RetryingLater = %d, want 1", n)
	}
	clk.add(61 * time.Second)
	if res := run(scheduler.TriggerSchedule); len(res.Held) != 0 || res.Outcome.Failed != 1 {
		t.Errorf("after the backoff: held %v, %d failed; want a retry that fails", heldKeys(res), res.Outcome.Failed)
	}
	clk.add(61 * time.Second) // the backoff doubled to 2m
	if res := run(scheduler.TriggerSchedule); len(res.Held) != 1 {
		t.Errorf("within the doubled backoff: held %v", heldKeys(res))
	}
	target.failKeys = nil
	if res := run(scheduler.TriggerManual); len(res.Held) != 0 || res.Outcome.Applied != 1 {
		t.Errorf("manual run: held %v, %d applied; want the retry applied", heldKeys(res), res.Outcome.Applied)
	}
	if n := d.Jobs()[0].RetryingLater; n != 0 {
		t.Errorf("RetryingLater after success = %d", n)
	}
}
