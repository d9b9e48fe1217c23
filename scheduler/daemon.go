package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

// Errors of the daemon's on-demand runs.
var (
	// ErrUnknownJob: no job has that name.
	ErrUnknownJob = errors.New("no such job")
	// ErrBusy: the job is running already; runs of one job never overlap.
	ErrBusy = errors.New("the job is running")
	// ErrNotLeader: another replica runs the jobs.
	ErrNotLeader = errors.New("this replica is a standby: the leader runs the jobs")
	// ErrNoApproval: no plan with that run id waits for approval.
	ErrNoApproval = errors.New("no plan with that run id waits for approval")
)

// Elector decides which replica runs the jobs: with a shared PostgreSQL
// store an advisory lock, with SQLite the one process (Solo).
type Elector interface {
	TryAcquire(ctx context.Context) (bool, error)
	// Held reports whether the lock is still held (its connection alive).
	Held(ctx context.Context) bool
	Release(ctx context.Context) error
}

// Solo is the elector of a single process: it is always the leader.
type Solo struct{}

func (Solo) TryAcquire(context.Context) (bool, error) { return true, nil }
func (Solo) Held(context.Context) bool                { return true }
func (Solo) Release(context.Context) error            { return nil }

// Trigger says what started a run.
type Trigger string

// The triggers of a run.
const (
	TriggerSchedule    Trigger = "schedule"
	TriggerIncremental Trigger = "incremental schedule"
	TriggerSCIM        Trigger = "scim"
	TriggerManual      Trigger = "manual"
	TriggerApproval    Trigger = "approval"
)

// Quarantine defaults.
const (
	DefaultFailureRatio = 0.5
	DefaultBackoff      = 5 * time.Minute
	DefaultMaxBackoff   = 6 * time.Hour
)

// DaemonHooks are told about runs and changes (the metrics).
type DaemonHooks struct {
	// Run is called after every run with its mode, outcome (a store run
	// status) and duration.
	Run func(job, mode, outcome string, took time.Duration, finished time.Time)
	// Change is called for every applied or failed change.
	Change func(job string, ev Event)
	// Quarantine is called when a job enters or leaves quarantine.
	Quarantine func(job string, on bool)
	// Leader is called when this replica becomes or stops being leader.
	Leader func(on bool)
	// HeldBack is called with the number of records the job holds back
	// (left out because they cannot be mapped): when the daemon starts,
	// from the store, and after every run that planned.
	HeldBack func(job string, n int)
	// PlanHeld is called when the guard refuses a plan and the daemon
	// holds it for approval (the notifications).
	PlanHeld func(p PendingApproval)
}

// Daemon runs jobs on their schedules and on demand, one run of a job at a
// time, on the replica that holds the elector's lock. A job whose runs
// mostly fail is quarantined: its scheduled runs pause, with a backoff that
// doubles, until a run succeeds. A plan the guard refuses is held for
// approval.
type Daemon struct {
	store   store.Store
	log     *zap.Logger
	elector Elector
	every   time.Duration
	hooks   DaemonHooks
	now     func() time.Time

	mu     sync.Mutex
	jobs   map[string]*jobState
	order  []string
	leader bool
	crons  []*cron.Cron
	ctx    context.Context // the daemon's run context, for runs it starts
	wg     sync.WaitGroup  // runs the daemon started
	scim   *scimTrigger    // nil without SCIM options

	cancel context.CancelFunc // set by Start, cleared by Stop
	done   chan struct{}      // closed when the daemon Start began has stopped
}

type jobState struct {
	job  *Job
	lock chan struct{} // a one-slot semaphore: held while the job runs

	mu               sync.Mutex
	failures         int
	quarantineUntil  time.Time
	quarantineReason string
	pending          *PendingApproval
	// retries tracks changes that keep failing, by kind and key: scheduled
	// and SCIM-triggered runs hold them back until their backoff ends.
	retries map[string]*retry
	// heldBack are the records the job's last planned run left out
	// because they cannot be mapped.
	heldBack  []mapping.LeftOut
	fullEntry cron.EntryID
	incEntry  cron.EntryID
	cron      *cron.Cron
}

// retry is the backoff of one change that failed.
type retry struct {
	fails int
	next  time.Time
}

func changeKey(c connectors.Change) string { return string(c.Kind) + "\x00" + c.Key }

// PendingApproval is a plan the guard refused, held in the store until
// someone approves it (all its changes, or those ticked: exactly they are
// applied, as planned, if nothing they touch drifted) or rejects it.
type PendingApproval struct {
	Job     string
	RunID   int64
	At      time.Time
	Summary string
	Reason  string
	// Changes are the plan's changes, each with its seq.
	Changes []HeldChange `json:"changes,omitempty"`
}

// HeldChange is one change of a held plan, as the status page lists it.
type HeldChange struct {
	Seq    int    `json:"seq"`
	Symbol string `json:"symbol"`
	Action string `json:"action"`
	Kind   string `json:"kind"`
	Key    string `json:"key"`
	// Detail describes the object and, for an update, the fields it changes.
	Detail string `json:"detail,omitempty"`
}

// JobInfo is a job's state for the status page and the API.
type JobInfo struct {
	Name                  string
	SourceType            string
	TargetType            string
	Schedule              string
	IncrementalSchedule   string
	TimeZone              string
	Next, NextIncremental time.Time
	Running               bool
	Quarantined           bool
	QuarantineReason      string
	QuarantineUntil       time.Time
	Pending               *PendingApproval
	// RetryingLater counts changes held back by their retry backoff.
	RetryingLater int
	// HeldBack are the records the job's last planned run left out
	// because they cannot be mapped; nothing of theirs is written or
	// removed until they are fixed or gone.
	HeldBack []mapping.LeftOut
}

// DaemonOptions configure a Daemon.
type DaemonOptions struct {
	Store   store.Store
	Logger  *zap.Logger
	Elector Elector // default Solo
	// ElectEvery is how often a standby tries for the lock and the leader
	// checks it still holds it; default 5s.
	ElectEvery time.Duration
	Hooks      DaemonHooks
	Now        func() time.Time
	// SCIM, when set, turns SCIM pushes (NotifySCIM) into incremental runs
	// of the scim jobs.
	SCIM *SCIMOptions
}

// NewDaemon makes a daemon of the jobs; Start (or Run) starts it.
func NewDaemon(jobs []*Job, opts DaemonOptions) *Daemon {
	d := &Daemon{store: opts.Store, log: opts.Logger, elector: opts.Elector, every: opts.ElectEvery, hooks: opts.Hooks, now: opts.Now}
	if d.log == nil {
		d.log = zap.NewNop()
	}
	if d.elector == nil {
		d.elector = Solo{}
	}
	if d.every <= 0 {
		d.every = 5 * time.Second
	}
	if d.now == nil {
		d.now = time.Now
	}
	if opts.SCIM != nil {
		d.scim = d.newSCIMTrigger(*opts.SCIM)
	}
	d.jobs = map[string]*jobState{}
	d.setJobs(jobs, nil)
	return d
}

func (d *Daemon) setJobs(jobs []*Job, old map[string]*jobState) {
	d.jobs = make(map[string]*jobState, len(jobs))
	d.order = d.order[:0]
	for _, j := range jobs {
		st := &jobState{job: j, lock: make(chan struct{}, 1)}
		if prev := old[j.Name]; prev != nil {
			// A reload keeps what the daemon learnt of the job, and its
			// lock, so a run in flight still excludes a new one.
			prev.mu.Lock()
			st.failures, st.quarantineUntil, st.quarantineReason, st.pending, st.retries = prev.failures, prev.quarantineUntil, prev.quarantineReason, prev.pending, prev.retries
			st.heldBack = prev.heldBack
			prev.mu.Unlock()
			st.lock = prev.lock
		}
		d.jobs[j.Name] = st
		d.order = append(d.order, j.Name)
	}
}

// Start runs the daemon in the background until Stop. It returns once the
// first election is done (IsLeader tells its outcome). The runs keep ctx's
// values but not its end: only Stop ends them, so that a caller can close
// its listeners first. A daemon starts once; Start after Start is an
// error.
func (d *Daemon) Start(ctx context.Context) error {
	d.mu.Lock()
	if d.done != nil {
		d.mu.Unlock()
		return errors.New("scheduler: the daemon is started already")
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	d.cancel, d.done = cancel, done
	d.mu.Unlock()
	scimDone := d.begin(ctx)
	go func() { defer close(done); d.loop(ctx, scimDone) }()
	return nil
}

// Stop stops taking work and waits until the daemon has stopped: the
// schedules and the SCIM debounce stop, the runs in flight finish the
// changes they are applying and journal the rest, and the lock is given
// up. If ctx ends first Stop returns its error and the daemon goes on
// stopping in the background. Stop without Start, or again, is harmless.
func (d *Daemon) Stop(ctx context.Context) error {
	d.mu.Lock()
	cancel, done := d.cancel, d.done
	d.cancel = nil
	d.mu.Unlock()
	if done == nil {
		return nil
	}
	if cancel != nil {
		cancel()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run elects, schedules, serves the SCIM debounce and runs until ctx ends;
// then it stops the schedules, waits for the runs in flight (each finishes
// the change it is applying and journals the rest) and gives up the lock.
// Start and Stop do the same in the background.
func (d *Daemon) Run(ctx context.Context) {
	d.loop(ctx, d.begin(ctx))
}

// begin takes the run context and holds the first election; with SCIM
// options it starts the debounce (and the poll), whose end the returned
// channel tells.
func (d *Daemon) begin(ctx context.Context) <-chan struct{} {
	d.mu.Lock()
	d.ctx = ctx
	d.mu.Unlock()
	d.loadHeldBack(ctx)
	d.loadHeld(ctx)
	d.elect(ctx)
	scimDone := make(chan struct{})
	if d.scim == nil {
		close(scimDone)
		return scimDone
	}
	go func() { defer close(scimDone); d.runSCIM(ctx) }()
	return scimDone
}

// loadHeldBack learns from the store what each job's last planned run
// left out, so that health and metrics say it from the start, not only
// after the next run.
func (d *Daemon) loadHeldBack(ctx context.Context) {
	if d.store == nil {
		return
	}
	for _, name := range d.JobNames() {
		held, _, err := HeldBack(ctx, d.store, name)
		if err != nil {
			d.log.Warn("read the records held back", zap.String("job", name), zap.Error(err))
			continue
		}
		d.mu.Lock()
		st := d.jobs[name]
		d.mu.Unlock()
		if st == nil {
			continue
		}
		st.mu.Lock()
		st.heldBack = held
		st.mu.Unlock()
		if d.hooks.HeldBack != nil {
			d.hooks.HeldBack(name, len(held))
		}
	}
}

// loop holds the elections until ctx ends, then stops.
func (d *Daemon) loop(ctx context.Context, scimDone <-chan struct{}) {
	ticker := time.NewTicker(d.every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			d.stopSchedules()
			<-scimDone
			d.wg.Wait()
			if err := d.elector.Release(context.WithoutCancel(ctx)); err != nil {
				d.log.Warn("release leadership", zap.Error(err))
			}
			d.setLeader(false)
			return
		case <-ticker.C:
			d.elect(ctx)
		}
	}
}

func (d *Daemon) elect(ctx context.Context) {
	if d.IsLeader() {
		if d.elector.Held(ctx) {
			return
		}
		d.log.Warn("leadership lost: stopping the schedules")
		d.stopSchedules()
		d.setLeader(false)
		return
	}
	ok, err := d.elector.TryAcquire(ctx)
	if err != nil {
		d.log.Warn("leader election", zap.Error(err))
		return
	}
	if !ok {
		return
	}
	d.log.Info("this replica is the leader: it runs the schedules")
	d.setLeader(true)
	d.startSchedules()
}

func (d *Daemon) setLeader(on bool) {
	d.mu.Lock()
	changed := d.leader != on
	d.leader = on
	d.mu.Unlock()
	if changed && d.hooks.Leader != nil {
		d.hooks.Leader(on)
	}
}

// IsLeader reports whether this replica runs the jobs.
func (d *Daemon) IsLeader() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.leader
}

// cronLogger routes cron's own messages (and recovered panics) to zap.
type cronLogger struct{ log *zap.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, zap.Any("details", kv)) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, zap.Error(err), zap.Any("details", kv))
}

func (d *Daemon) startSchedules() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, name := range d.order {
		st := d.jobs[name]
		sch := st.job.Schedule
		if sch == nil {
			continue
		}
		cl := cronLogger{d.log.With(zap.String("job", name))}
		c := cron.New(cron.WithLocation(sch.Location), cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)))
		st.mu.Lock()
		if sch.Full != nil {
			st.fullEntry = c.Schedule(sch.Full, cron.FuncJob(func() { d.scheduled(name, TriggerSchedule) }))
		}
		if sch.Incremental != nil {
			st.incEntry = c.Schedule(sch.Incremental, cron.FuncJob(func() { d.scheduled(name, TriggerIncremental) }))
		}
		st.cron = c
		st.mu.Unlock()
		c.Start()
		d.crons = append(d.crons, c)
	}
}

// stopSchedules stops every cron and waits for the runs they started.
func (d *Daemon) stopSchedules() {
	d.mu.Lock()
	crons := d.crons
	d.crons = nil
	for _, st := range d.jobs {
		st.mu.Lock()
		st.cron, st.fullEntry, st.incEntry = nil, 0, 0
		st.mu.Unlock()
	}
	d.mu.Unlock()
	for _, c := range crons {
		<-c.Stop().Done()
	}
}

// scheduled is a cron tick: it runs the job unless it is quarantined.
func (d *Daemon) scheduled(name string, trigger Trigger) {
	d.mu.Lock()
	st, ctx := d.jobs[name], d.ctx
	d.mu.Unlock()
	if st == nil || ctx == nil || ctx.Err() != nil {
		return
	}
	st.mu.Lock()
	until := st.quarantineUntil
	st.mu.Unlock()
	if d.now().Before(until) {
		d.log.Info("scheduled run skipped: the job is quarantined", zap.String("job", name), zap.Time("until", until))
		return
	}
	opts := RunOptions{Incremental: trigger == TriggerIncremental}
	if _, err := d.RunJob(ctx, name, opts, trigger); err != nil && !errors.Is(err, ErrBusy) {
		d.log.Warn("scheduled run", zap.String("job", name), zap.String("trigger", string(trigger)), zap.Error(err))
	}
}

// Trigger starts a run of the job in the background and returns at once.
func (d *Daemon) Trigger(name string, opts RunOptions, trigger Trigger) error {
	d.mu.Lock()
	st, ctx, leader := d.jobs[name], d.ctx, d.leader
	d.mu.Unlock()
	switch {
	case st == nil:
		return fmt.Errorf("%w: %q", ErrUnknownJob, name)
	case !leader || ctx == nil:
		return ErrNotLeader
	case len(st.lock) > 0:
		return fmt.Errorf("job %s: %w", name, ErrBusy)
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if _, err := d.RunJob(ctx, name, opts, trigger); err != nil {
			d.log.Warn("triggered run", zap.String("job", name), zap.String("trigger", string(trigger)), zap.Error(err))
		}
	}()
	return nil
}

// ErrPanic wraps a panic recovered from a run: the daemon goes on.
var ErrPanic = errors.New("the run panicked")

// RunJob runs the job now and returns when the run ends. It refuses when
// this replica is not the leader or the job is running. A panic in the run
// (a connector's bug) is recovered, logged and returned as ErrPanic, so one
// job cannot take the daemon down.
func (d *Daemon) RunJob(ctx context.Context, name string, opts RunOptions, trigger Trigger) (*RunResult, error) {
	return d.run(ctx, name, opts, trigger, func(runner *Runner, job *Job, opts RunOptions) (*RunResult, error) {
		return runner.Sync(ctx, job, opts)
	})
}

// run is RunJob with what the run does given: a Sync, or the apply of a
// held plan someone approved.
func (d *Daemon) run(ctx context.Context, name string, opts RunOptions, trigger Trigger, do func(*Runner, *Job, RunOptions) (*RunResult, error)) (res *RunResult, err error) {
	d.mu.Lock()
	st, leader := d.jobs[name], d.leader
	d.mu.Unlock()
	if st == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownJob, name)
	}
	if !leader {
		return nil, ErrNotLeader
	}
	select {
	case st.lock <- struct{}{}:
	default:
		return nil, fmt.Errorf("job %s: %w", name, ErrBusy)
	}
	defer func() { <-st.lock }()
	return d.locked(ctx, st, opts, trigger, do)
}

// locked runs do for a job whose lock the caller holds.
func (d *Daemon) locked(ctx context.Context, st *jobState, opts RunOptions, trigger Trigger, do func(*Runner, *Job, RunOptions) (*RunResult, error)) (res *RunResult, err error) {
	name := st.job.Name
	defer func() {
		if p := recover(); p != nil {
			d.log.Error("run panicked", zap.String("job", name), zap.Any("panic", p), zap.Stack("stack"))
			res, err = nil, fmt.Errorf("job %s: %w: %v", name, ErrPanic, p)
		}
	}()

	job := st.job
	log := d.log.With(zap.String("job", name), zap.String("trigger", string(trigger)))
	runner := &Runner{Store: d.store, Logger: d.log, Now: d.now}
	runner.Progress = func(ev Event) {
		d.noteChange(st, ev)
		if d.hooks.Change != nil {
			d.hooks.Change(name, ev)
		}
	}
	// A change that keeps failing is retried by scheduled and SCIM runs
	// only when its backoff ends; a manual run retries everything now.
	if trigger != TriggerManual && trigger != TriggerApproval && opts.Hold == nil {
		opts.Hold = func(c connectors.Change) bool {
			st.mu.Lock()
			defer st.mu.Unlock()
			r := st.retries[changeKey(c)]
			return r != nil && d.now().Before(r.next)
		}
	}
	mode := store.ModeFull
	switch {
	case opts.DryRun:
		mode = store.ModeDryRun
	case opts.Incremental:
		mode = store.ModeIncremental
	}
	start := d.now()
	res, err = do(runner, job, opts)
	took := d.now().Sub(start)
	outcome := runOutcome(res, err, opts)
	if d.hooks.Run != nil {
		d.hooks.Run(name, mode, string(outcome), took, d.now())
	}
	d.afterRun(st, res, err, outcome, opts, log)
	d.keepHeld(ctx, st, res, err, outcome, opts, trigger, log)
	return res, err
}

// runOutcome names a run's end as the store records it.
func runOutcome(res *RunResult, err error, opts RunOptions) store.RunStatus {
	switch {
	case errors.Is(err, ErrRefused), errors.Is(err, ErrDrift):
		return store.RunRefused
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return store.RunInterrupted
	case err != nil:
		return store.RunFailed
	case opts.DryRun:
		return store.RunDryRun
	}
	return store.RunSucceeded
}

// noteChange keeps the retry backoff of each change: a failure doubles
// it (from the quarantine backoff up to its maximum), success clears it.
func (d *Daemon) noteChange(st *jobState, ev Event) {
	st.mu.Lock()
	defer st.mu.Unlock()
	key := changeKey(ev.Change)
	if ev.Err == nil {
		delete(st.retries, key)
		return
	}
	if st.retries == nil {
		st.retries = map[string]*retry{}
	}
	r := st.retries[key]
	if r == nil {
		r = &retry{}
		st.retries[key] = r
	}
	r.fails++
	r.next = d.now().Add(st.job.Quarantine.backoff(r.fails))
}

// afterRun keeps the quarantine, the approvals and the records held back
// up to date.
func (d *Daemon) afterRun(st *jobState, res *RunResult, err error, outcome store.RunStatus, opts RunOptions, log *zap.Logger) {
	st.mu.Lock()
	defer st.mu.Unlock()
	name := st.job.Name
	if res != nil && res.Plan != nil && !opts.DryRun {
		st.heldBack = res.LeftOut
		if len(res.LeftOut) > 0 {
			log.Warn("records held back: they cannot be mapped; the rest of the run went on", zap.Int("held_back", len(res.LeftOut)))
		}
		if d.hooks.HeldBack != nil {
			d.hooks.HeldBack(name, len(res.LeftOut))
		}
	}
	switch outcome {
	case store.RunSucceeded:
		if !st.quarantineUntil.IsZero() {
			log.Info("the job left quarantine: a run succeeded")
			if d.hooks.Quarantine != nil {
				d.hooks.Quarantine(name, false)
			}
		}
		st.failures, st.quarantineUntil, st.quarantineReason = 0, time.Time{}, ""
	case store.RunFailed:
		ratio := 1.0 // the run failed as a whole (source, target, store)
		if res != nil && len(res.Plan.Changes) > 0 && res.Outcome.Applied+res.Outcome.Failed > 0 {
			ratio = float64(res.Outcome.Failed) / float64(len(res.Plan.Changes))
		}
		policy := st.job.Quarantine
		if ratio <= policy.ratio() {
			return // some changes failed; the next run retries them
		}
		st.failures++
		backoff := policy.backoff(st.failures)
		st.quarantineUntil = d.now().Add(backoff)
		st.quarantineReason = fmt.Sprintf("%d run(s) in a row failed (%.0f%% of the last run's changes failed): %v", st.failures, ratio*100, err)
		log.Warn("job quarantined: its scheduled runs pause", zap.Duration("backoff", backoff), zap.Int("failed_runs", st.failures))
		if d.hooks.Quarantine != nil {
			d.hooks.Quarantine(name, true)
		}
	}
}

// QuarantinePolicy tunes the quarantine of one job.
type QuarantinePolicy struct {
	FailureRatio        float64
	Backoff, MaxBackoff time.Duration
}

func (q QuarantinePolicy) ratio() float64 {
	if q.FailureRatio <= 0 {
		return DefaultFailureRatio
	}
	return q.FailureRatio
}

// backoff is the pause after the n-th failed run in a row: Backoff,
// doubling, at most MaxBackoff.
func (q QuarantinePolicy) backoff(n int) time.Duration {
	base, ceiling := q.Backoff, q.MaxBackoff
	if base <= 0 {
		base = DefaultBackoff
	}
	if ceiling <= 0 {
		ceiling = DefaultMaxBackoff
	}
	b := base
	for i := 1; i < n && b < ceiling; i++ {
		b *= 2
	}
	return min(b, ceiling)
}

// Jobs describes every job, in config order.
func (d *Daemon) Jobs() []JobInfo {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]JobInfo, 0, len(d.order))
	for _, name := range d.order {
		st := d.jobs[name]
		j := st.job
		info := JobInfo{Name: name, SourceType: j.SourceType, TargetType: j.TargetType, Running: len(st.lock) > 0}
		if sch := j.Schedule; sch != nil {
			info.Schedule, info.IncrementalSchedule, info.TimeZone = sch.FullSpec, sch.IncrementalSpec, sch.Location.String()
		}
		st.mu.Lock()
		if c := st.cron; c != nil {
			if st.fullEntry != 0 {
				info.Next = c.Entry(st.fullEntry).Next
			}
			if st.incEntry != 0 {
				info.NextIncremental = c.Entry(st.incEntry).Next
			}
		}
		info.Quarantined = d.now().Before(st.quarantineUntil)
		info.QuarantineReason, info.QuarantineUntil = st.quarantineReason, st.quarantineUntil
		if p := st.pending; p != nil {
			cp := *p
			info.Pending = &cp
		}
		for _, r := range st.retries {
			if d.now().Before(r.next) {
				info.RetryingLater++
			}
		}
		info.HeldBack = append([]mapping.LeftOut(nil), st.heldBack...)
		st.mu.Unlock()
		out = append(out, info)
	}
	return out
}

// Reload replaces the jobs (SIGHUP with a config that opened cleanly):
// schedules restart with the new specs; runs in flight finish with the job
// they started with; quarantine and held plans carry over by job name.
func (d *Daemon) Reload(jobs []*Job) {
	leader := d.IsLeader()
	d.stopSchedules()
	d.mu.Lock()
	old := d.jobs
	d.setJobs(jobs, old)
	d.mu.Unlock()
	if leader {
		d.startSchedules()
	}
	d.log.Info("jobs reloaded", zap.Int("jobs", len(jobs)))
}

// JobNames lists the jobs, in config order.
func (d *Daemon) JobNames() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.order...)
}
