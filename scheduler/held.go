package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/store"
)

// The daemon's held plans: a plan the guard refuses is kept in the store
// as a saved plan (SavedPlan), so that it outlives a restart and every
// replica sharing the store lists it. Approving applies exactly its
// changes, or those ticked, after the drift check of ApplySaved; it takes
// the plan from the store in one statement, so two replicas or two clicks
// never apply it twice. What was not ticked goes with the plan: the next
// run plans it again, and the guard judges it again.

// keepHeld updates the held plans after a run: a refusal is held (in the
// store, and in this replica's view), a full run that succeeded drops the
// job's held plan, which no longer says what a run would do.
func (d *Daemon) keepHeld(ctx context.Context, st *jobState, res *RunResult, err error, outcome store.RunStatus, opts RunOptions, trigger Trigger, log *zap.Logger) {
	if d.store == nil || opts.DryRun {
		return
	}
	ctx = context.WithoutCancel(ctx)
	name := st.job.Name
	switch {
	case outcome == store.RunSucceeded && !opts.Incremental:
		if err := d.store.DropHeldPlans(ctx, name); err != nil {
			log.Warn("drop the job's held plan", zap.Error(err))
		}
		st.mu.Lock()
		st.pending = nil
		st.mu.Unlock()
	case outcome == store.RunRefused && errors.Is(err, ErrDrift):
		log.Warn("the approved plan was not applied: what it touches changed since it was held", zap.Error(err))
	case outcome == store.RunRefused && res != nil && res.Plan != nil:
		sp := NewSavedPlan(name, "", opts.Incremental, res, d.now())
		data, jerr := json.Marshal(sp)
		if jerr != nil {
			log.Error("encode the refused plan", zap.Error(jerr))
			return
		}
		h := store.HeldPlan{RunID: res.RunID, Job: name, Summary: Summarize(res.Plan), Reason: err.Error(), Plan: data}
		if err := d.store.HoldPlan(ctx, h); err != nil {
			log.Error("hold the refused plan", zap.Int64("run_id", res.RunID), zap.Error(err))
			return
		}
		h.At = d.now()
		p := pendingOf(h, sp)
		st.mu.Lock()
		st.pending = &p
		st.mu.Unlock()
		log.Warn("plan held for approval", zap.Int64("run_id", res.RunID), zap.Int("changes", len(res.Plan.Changes)), zap.String("trigger", string(trigger)))
		if hook := d.hooks.PlanHeld; hook != nil {
			hook(p)
		}
	}
}

// pendingOf describes a held plan for the API and the status page.
func pendingOf(h store.HeldPlan, sp *SavedPlan) PendingApproval {
	p := PendingApproval{Job: h.Job, RunID: h.RunID, At: h.At, Summary: h.Summary, Reason: h.Reason}
	for i, c := range sp.Plan.Changes {
		detail := strings.TrimSpace(describe(c))
		for _, f := range c.Diff {
			if detail != "" {
				detail += "; "
			}
			detail += fmt.Sprintf("%s: %q → %q", f.Field, f.Old, f.New)
		}
		p.Changes = append(p.Changes, HeldChange{Seq: Seq(i), Symbol: c.Action.Symbol(), Action: string(c.Action),
			Kind: string(c.Kind), Key: c.Key, Detail: detail})
	}
	return p
}

func decodeHeld(h store.HeldPlan) (*SavedPlan, error) {
	var sp SavedPlan
	if err := json.Unmarshal(h.Plan, &sp); err != nil {
		return nil, fmt.Errorf("held plan of run %d: %w", h.RunID, err)
	}
	if sp.Format != SavedFormat || sp.Plan == nil {
		return nil, fmt.Errorf("held plan of run %d: %w: format %d, this orgbridge reads format %d", h.RunID, ErrSavedPlan, sp.Format, SavedFormat)
	}
	return &sp, nil
}

// Pending lists the plans held for approval, oldest first, from the store:
// after a restart, and those another replica held. It also refreshes this
// replica's view of them (JobInfo.Pending).
func (d *Daemon) Pending(ctx context.Context) ([]PendingApproval, error) {
	if d.store == nil {
		return nil, nil
	}
	held, err := d.store.HeldPlans(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]PendingApproval, 0, len(held))
	byJob := map[string]*PendingApproval{}
	for _, h := range held {
		sp, err := decodeHeld(h)
		if err != nil {
			d.log.Warn("a held plan cannot be read: reject it", zap.String("job", h.Job), zap.Error(err))
			sp = &SavedPlan{Plan: &Plan{}}
		}
		out = append(out, pendingOf(h, sp))
		byJob[h.Job] = &out[len(out)-1]
	}
	d.mu.Lock()
	for name, st := range d.jobs {
		st.mu.Lock()
		st.pending = nil
		if p := byJob[name]; p != nil {
			cp := *p
			st.pending = &cp
		}
		st.mu.Unlock()
	}
	d.mu.Unlock()
	return out, nil
}

// loadHeld learns the held plans at start, so that the jobs' view says them
// from the first page.
func (d *Daemon) loadHeld(ctx context.Context) {
	if _, err := d.Pending(ctx); err != nil {
		d.log.Warn("read the held plans", zap.Error(err))
	}
}

// Approve applies the plan held for run runID in the background: all its
// changes, or only those whose seqs are given, exactly as they were
// planned, without the guard (a person approved them), after re-reading
// the source and the target: a plan whose touched objects drifted is
// refused (the run records which) and nothing is written. The plan is
// taken from the store, so it is applied once whoever else approves it;
// the changes not selected go with it, to be planned again by the next
// run. It refuses on a standby (ErrNotLeader) and while the job runs
// (ErrBusy), leaving the plan held. by names who approved: the store
// records it, and when, on the refused run.
func (d *Daemon) Approve(ctx context.Context, runID int64, seqs []int, by string) (string, error) {
	if d.store == nil {
		return "", fmt.Errorf("%w: run %d", ErrNoApproval, runID)
	}
	held, err := d.store.HeldPlans(ctx, "")
	if err != nil {
		return "", err
	}
	var h *store.HeldPlan
	for i := range held {
		if held[i].RunID == runID {
			h = &held[i]
		}
	}
	if h == nil {
		return "", fmt.Errorf("%w: run %d", ErrNoApproval, runID)
	}
	sp, err := decodeHeld(*h)
	if err != nil {
		return "", err
	}
	sel := Selection{Only: seqs}
	if _, err := sp.Part(sel); err != nil {
		return "", err
	}
	d.mu.Lock()
	st, dctx, leader := d.jobs[h.Job], d.ctx, d.leader
	d.mu.Unlock()
	switch {
	case st == nil:
		return "", fmt.Errorf("%w: %q (its plan of run %d can only be rejected)", ErrUnknownJob, h.Job, runID)
	case !leader || dctx == nil:
		return "", ErrNotLeader
	}
	select {
	case st.lock <- struct{}{}:
	default:
		return "", fmt.Errorf("job %s: %w", h.Job, ErrBusy)
	}
	if _, err := d.store.TakeHeldPlan(ctx, runID, store.Decision{Verdict: store.DecisionApproved, By: by, At: d.now()}); err != nil {
		<-st.lock
		if errors.Is(err, store.ErrNotFound) {
			return "", fmt.Errorf("%w: run %d (approved or rejected meanwhile)", ErrNoApproval, runID)
		}
		return "", err
	}
	st.mu.Lock()
	if st.pending != nil && st.pending.RunID == runID {
		st.pending = nil
	}
	st.mu.Unlock()
	d.log.Info("held plan approved", zap.String("job", h.Job), zap.Int64("run_id", runID), zap.Ints("seqs", seqs), zap.Int("of", len(sp.Plan.Changes)), zap.String("by", by))
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer func() { <-st.lock }()
		_, err := d.locked(dctx, st, RunOptions{}, TriggerApproval, func(r *Runner, job *Job, _ RunOptions) (*RunResult, error) {
			return r.ApplySaved(dctx, job, sp, sel)
		})
		if err != nil {
			d.log.Warn("approved plan", zap.String("job", h.Job), zap.Int64("run_id", runID), zap.Error(err))
		}
	}()
	return h.Job, nil
}

// Reject drops a held plan; the job runs again on its schedule (and may be
// refused again). Any replica may reject. by names who rejected, recorded
// with when on the refused run.
func (d *Daemon) Reject(ctx context.Context, runID int64, by string) (string, error) {
	if d.store == nil {
		return "", fmt.Errorf("%w: run %d", ErrNoApproval, runID)
	}
	h, err := d.store.TakeHeldPlan(ctx, runID, store.Decision{Verdict: store.DecisionRejected, By: by, At: d.now()})
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("%w: run %d", ErrNoApproval, runID)
	}
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	st := d.jobs[h.Job]
	d.mu.Unlock()
	if st != nil {
		st.mu.Lock()
		if st.pending != nil && st.pending.RunID == runID {
			st.pending = nil
		}
		st.mu.Unlock()
	}
	d.log.Info("held plan rejected", zap.String("job", h.Job), zap.Int64("run_id", runID), zap.String("by", by))
	return h.Job, nil
}
