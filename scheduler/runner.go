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

// Job is one source synced into one target, opened and ready to run.
type Job struct {
	Name string
	// SourceType is the source's config type (csv, ldap, scim).
	SourceType  string
	Source      connectors.Source
	Rules       *mapping.Rules
	Target      connectors.Target
	Guard       Guard
	Leavers     string
	Concurrency int
	// Kinds limits what the job syncs; empty means everything mapped.
	Kinds []mapping.Kind
	// TargetType is the target's config type.
	TargetType string
	// Schedule, when set, runs the job under the daemon.
	Schedule *JobSchedule
	// Quarantine tunes how the daemon slows the job when it fails.
	Quarantine QuarantinePolicy
}

// JobSchedule is a job's parsed schedule.
type JobSchedule struct {
	FullSpec, IncrementalSpec string
	// Full and Incremental are nil when not scheduled.
	Full, Incremental cron.Schedule
	Location          *time.Location
}

// RunOptions tune one run.
type RunOptions struct {
	// DryRun plans and records the run without writing to the target.
	DryRun bool
	// Incremental reads only what changed since the job's high-water mark
	// (a source that implements connectors.IncrementalSource) and removes
	// nothing; without a mark yet, it runs in full.
	Incremental bool
	// Force skips the safety guard.
	Force bool
	// Hold, when set, holds back planned changes for which it returns
	// true: they are left out of this run (the daemon's retry backoff for
	// changes that keep failing) and planned again by the next.
	Hold func(connectors.Change) bool
}

// RunResult is what one plan or sync found and did.
type RunResult struct {
	RunID   int64
	Plan    *Plan
	Report  mapping.Report
	Outcome Outcome
	// Refused is the guard's verdict (wrapping ErrRefused), or nil.
	Refused error
	// Desired and Actual are the snapshots the plan was made from.
	Desired, Actual *mapping.Snapshot
	// Mark is the source's new high-water mark, stored after a successful
	// run ("" for a source without one).
	Mark string
	// Held are the planned changes opts.Hold kept out of this run.
	Held []connectors.Change
	// LeftOut are the records held back because they cannot be mapped
	// (this read's and, on an incremental run, those an earlier run held
	// that this read did not include): nothing is written for them and
	// nothing of theirs is removed. Released are the left-out records of
	// deactivated or deleted users, which hold nothing back.
	LeftOut, Released []mapping.LeftOut
	// Protected are the planned changes taken out of the plan because
	// they touched a left-out record's object.
	Protected []connectors.Change
	// links are the store's links the plan was made from; the executor
	// adds the plan's adoptions to them itself.
	links Links
}

// ErrNotIncremental is returned for an incremental run of a source that
// reads only in full.
var ErrNotIncremental = errors.New("the source reads only in full: run without --incremental")

// Runner plans and syncs jobs, recording runs in the store.
type Runner struct {
	Store  store.Store
	Logger *zap.Logger
	// Progress, when set, is called after every applied change.
	Progress func(Event)
	// BeforeApply, when set, sees the plan before anything is written (the
	// CLI prints it).
	BeforeApply func(*RunResult)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (r *Runner) logger(job string) *zap.Logger {
	l := r.Logger
	if l == nil {
		l = zap.NewNop()
	}
	return l.With(zap.String("job", job))
}

// Plan reads the source and the target and plans, writing nothing anywhere.
// With incremental, it reads only what changed since the job's mark.
func (r *Runner) Plan(ctx context.Context, job *Job, incremental bool) (*RunResult, error) {
	return r.plan(ctx, job, incremental)
}

// read reads the source: in full, or from the stored mark when incremental.
func (r *Runner) read(ctx context.Context, job *Job, incremental bool) (records []connectors.Record, mark string, partial bool, err error) {
	inc, ok := job.Source.(connectors.IncrementalSource)
	if !ok {
		if incremental {
			return nil, "", false, ErrNotIncremental
		}
		records, err = job.Source.Read(ctx)
		return records, "", false, err
	}
	since := ""
	if incremental {
		if since, err = r.Store.Mark(ctx, job.Name); err != nil {
			return nil, "", false, err
		}
		if since == "" {
			r.logger(job.Name).Info("no high-water mark yet: this incremental run reads in full")
		}
	}
	records, mark, err = inc.ReadChanged(ctx, since)
	return records, mark, since != "", err
}

func (r *Runner) plan(ctx context.Context, job *Job, incremental bool) (*RunResult, error) {
	log := r.logger(job.Name)
	// The target and the links are read while the source is read and
	// mapped: neither needs the other, and a reconcile with nothing to
	// change is mostly these reads (issue 13). A source that fails stops
	// the target's read, and its error is the one reported, as when they
	// were read one after the other.
	targetCtx, cancelTarget := context.WithCancel(ctx)
	other := r.readTargetAndLinks(targetCtx, job)
	defer func() {
		cancelTarget()
		other() // nothing outlives the run, also when the source failed
	}()
	records, mark, partial, err := r.read(ctx, job, incremental)
	if err != nil {
		return nil, fmt.Errorf("job %s: read source: %w", job.Name, err)
	}
	// A record that cannot be mapped is left out and the rest goes on: one
	// bad record must not stop every other change (issue 19).
	desired, report, err := job.Rules.Isolate(records, partial)
	if err != nil {
		return nil, fmt.Errorf("job %s: map records: %w", job.Name, err)
	}
	desired.Keep(job.Kinds)
	held, released, err := r.leftOut(ctx, job, report, records, partial)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", job.Name, err)
	}
	for _, l := range report.LeftOut {
		log.Warn("record left out: it cannot be mapped", zap.String("kind", string(l.Kind)), zap.String("key", l.Key),
			zap.String("origin", l.Origin), zap.Bool("suspended", l.Suspended), zap.String("reason", l.Reason))
	}
	log.Info("source read", zap.Int("records", report.Records), zap.Int("excluded", report.Excluded),
		zap.Int("left_out", len(report.LeftOut)), zap.Int("held_back", len(held)),
		zap.Int("orgs", len(desired.Orgs)), zap.Int("users", len(desired.Users)), zap.Int("groups", len(desired.Groups)))
	read := other()
	if read.targetErr != nil {
		return nil, fmt.Errorf("job %s: read target: %w", job.Name, read.targetErr)
	}
	actual := read.actual
	log.Info("target read", zap.Int("orgs", len(actual.Orgs)), zap.Int("users", len(actual.Users)), zap.Int("groups", len(actual.Groups)))
	if read.linksErr != nil {
		return nil, fmt.Errorf("job %s: read links: %w", job.Name, read.linksErr)
	}
	links := read.links
	plan, err := MakePlan(desired, actual, links, job.Target.Capabilities(), PlanOptions{Leavers: job.Leavers, Partial: partial})
	if err != nil {
		return nil, fmt.Errorf("job %s: plan: %w", job.Name, err)
	}
	res := &RunResult{Plan: plan, Report: report, Desired: desired, Actual: actual, Mark: mark, links: links,
		LeftOut: held, Released: released}
	res.Protected = protect(plan, held, actual, links)
	if len(res.Protected) > 0 {
		log.Info("changes to left-out records' objects kept out of the plan", zap.Int("changes", len(res.Protected)))
	}
	res.Refused = job.Guard.CheckLeftOut(plan, countKinds(held))
	if res.Refused != nil && len(held) > 0 {
		// Name one reason, so that the refusal says what to fix.
		res.Refused = fmt.Errorf("%w; the first left out: %s", res.Refused, held[0].Reason)
	}
	return res, nil
}

// targetRead is what readTargetAndLinks read: the target's objects and
// the job's links, each with its own error.
type targetRead struct {
	actual    *mapping.Snapshot
	targetErr error
	links     store.Links
	linksErr  error
}

// readTargetAndLinks starts reading job's target and its links, each on a
// goroutine of its own, and returns the wait for both (which may be
// called again). Cancelling ctx stops them.
func (r *Runner) readTargetAndLinks(ctx context.Context, job *Job) func() targetRead {
	var out targetRead
	var wg sync.WaitGroup
	wg.Go(func() { out.actual, out.targetErr = job.Target.Read(ctx) })
	wg.Go(func() { out.links, out.linksErr = r.Store.Links(ctx, job.Name) })
	return func() targetRead {
		wg.Wait()
		return out
	}
}

// startRun records the start of a run of job in mode and returns its id,
// log naming it, and finish, which records the run's end even once ctx is
// cancelled (a failure to is logged: the run itself is done).
func (r *Runner) startRun(ctx context.Context, job, mode string, log *zap.Logger) (int64, *zap.Logger, func(store.RunStatus, string, error), error) {
	runID, err := r.Store.StartRun(ctx, job, mode)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("job %s: start run: %w", job, err)
	}
	log = log.With(zap.Int64("run_id", runID))
	finish := func(status store.RunStatus, summary string, runErr error) {
		if err := r.Store.FinishRun(context.WithoutCancel(ctx), runID, status, summary, runErr); err != nil {
			log.Error("record run outcome", zap.Error(err))
		}
	}
	return runID, log, finish, nil
}

// Sync plans and applies one job and records the run. It returns an error
// wrapping ErrRefused when the guard refuses and opts.Force is not set.
func (r *Runner) Sync(ctx context.Context, job *Job, opts RunOptions) (*RunResult, error) {
	log := r.logger(job.Name)
	interrupted, pending, err := r.Store.Interrupted(ctx, job.Name)
	if err != nil {
		return nil, fmt.Errorf("job %s: check interrupted runs: %w", job.Name, err)
	}
	for _, run := range interrupted {
		log.Warn("an earlier run was interrupted; this run re-plans from the links and resumes it",
			zap.Int64("run_id", run.ID), zap.Int("pending_changes", countPending(pending, run.ID)))
	}
	mode := store.ModeFull
	switch {
	case opts.DryRun:
		mode = store.ModeDryRun
	case opts.Incremental:
		mode = store.ModeIncremental
	}
	runID, log, finish, err := r.startRun(ctx, job.Name, mode, log)
	if err != nil {
		return nil, err
	}
	res, err := r.plan(ctx, job, opts.Incremental)
	if err != nil {
		finish(store.RunFailed, "", err)
		return nil, err
	}
	res.RunID = runID
	if opts.Hold != nil {
		res.Held = holdBack(res.Plan, opts.Hold)
		if len(res.Held) > 0 {
			log.Info("changes held back until their retry backoff ends", zap.Int("held", len(res.Held)))
		}
	}
	summary := Summarize(res.Plan)
	if n := len(res.LeftOut); n > 0 {
		summary += fmt.Sprintf("; %d record(s) left out: they cannot be mapped", n)
	}
	if r.BeforeApply != nil {
		r.BeforeApply(res)
	}
	if res.Refused != nil && !opts.Force {
		if len(res.LeftOut) > 0 && !opts.DryRun {
			// The refused run still says what it would have left out.
			if err := r.journalLeftOut(ctx, runID, nil, res.LeftOut, res.links); err != nil {
				log.Error("journal left-out records", zap.Error(err))
			}
		}
		finish(store.RunRefused, summary, res.Refused)
		log.Warn("run refused by the guard", zap.Error(res.Refused))
		return res, res.Refused
	}
	if res.Refused != nil {
		log.Warn("guard overridden by --force", zap.Error(res.Refused))
	}
	if opts.DryRun {
		finish(store.RunDryRun, summary, nil)
		return res, nil
	}
	if err := r.journalLeftOut(ctx, runID, res.Plan.Changes, res.LeftOut, res.links); err != nil {
		finish(store.RunFailed, summary, err)
		return res, fmt.Errorf("job %s: journal plan: %w", job.Name, err)
	}
	if len(res.Plan.Adopt) > 0 {
		links := make([]store.Link, len(res.Plan.Adopt))
		for i, a := range res.Plan.Adopt {
			links[i] = store.Link{Kind: a.Kind, Key: a.Key, TargetID: a.TargetID}
		}
		if err := r.Store.Adopt(ctx, job.Name, links); err != nil {
			finish(store.RunFailed, summary, err)
			return res, fmt.Errorf("job %s: record adopted objects: %w", job.Name, err)
		}
	}
	exec := &Executor{Target: job.Target, Concurrency: job.Concurrency, Logger: log, Journal: r.Store, RunID: runID, Progress: r.Progress}
	res.Outcome, err = exec.Apply(ctx, res.Plan, res.links)
	switch {
	case err != nil:
		finish(store.RunInterrupted, summary, err)
		return res, err
	case res.Outcome.Failed > 0:
		runErr := fmt.Errorf("%d of %d changes failed", res.Outcome.Failed, len(res.Plan.Changes))
		finish(store.RunFailed, summary, errors.Join(runErr, res.Outcome.Errors[0]))
		return res, fmt.Errorf("job %s: %w", job.Name, runErr)
	}
	// Departed referenced users' memberships are gone now: forget them, so
	// the next run does not see them leave again.
	if len(res.Plan.Departed) > 0 {
		if err := r.Store.Forget(ctx, job.Name, mapping.KindUser, res.Plan.Departed); err != nil {
			finish(store.RunFailed, summary, err)
			return res, fmt.Errorf("job %s: forget departed users: %w", job.Name, err)
		}
	}
	if res.Mark != "" {
		if err := r.Store.SetMark(ctx, job.Name, res.Mark); err != nil {
			finish(store.RunFailed, summary, err)
			return res, fmt.Errorf("job %s: record high-water mark: %w", job.Name, err)
		}
	}
	finish(store.RunSucceeded, summary, nil)
	log.Info("run succeeded", zap.Int("applied", res.Outcome.Applied), zap.Int("adopted", len(res.Plan.Adopt)))
	return res, nil
}

func countPending(entries []store.JournalEntry, runID int64) int {
	n := 0
	for _, e := range entries {
		if e.RunID == runID && e.Status == store.EntryPending {
			n++
		}
	}
	return n
}

// holdBack removes the held changes from the plan, and with them the
// memberships of held users, orgs and groups (they would fail unresolved).
func holdBack(p *Plan, hold func(connectors.Change) bool) []connectors.Change {
	held := map[mapping.Kind]map[string]bool{}
	for _, c := range p.Changes {
		if c.Kind != mapping.KindMembership && hold(c) {
			if held[c.Kind] == nil {
				held[c.Kind] = map[string]bool{}
			}
			held[c.Kind][c.Key] = true
		}
	}
	var out []connectors.Change
	kept := p.Changes[:0:0]
	for _, c := range p.Changes {
		drop := held[c.Kind][c.Key]
		if c.Kind == mapping.KindMembership {
			m := c.Membership
			drop = hold(c) || (m != nil && (held[mapping.KindUser][m.UserKey] || held[m.Kind][m.ContainerKey]))
		}
		if drop {
			out = append(out, c)
			continue
		}
		kept = append(kept, c)
	}
	p.Changes = kept
	return out
}
