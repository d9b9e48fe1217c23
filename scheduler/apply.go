package scheduler

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

// Journal records the fate of each planned change; the store implements it.
type Journal interface {
	Applied(ctx context.Context, runID int64, seq int, targetID string) error
	Failed(ctx context.Context, runID int64, seq int, err error) error
}

// Event reports one applied or failed change to a progress display.
type Event struct {
	Done, Total int
	Change      connectors.Change
	Err         error
}

// Executor applies a plan to a target.
type Executor struct {
	Target      connectors.Target
	Concurrency int
	Logger      *zap.Logger
	// Journal and RunID, when set, record each change as it lands.
	Journal Journal
	RunID   int64
	// Progress, when set, is called after every change of the plan's
	// pass (from one goroutine at a time); the retry passes do not call it.
	Progress func(Event)
	// RetryPasses bounds the passes at the end of the run that retry the
	// changes that failed with a transient error (see retry.go); 0 means
	// DefaultRetryPasses, negative none.
	RetryPasses int
	// RetryPause is the pause before the first retry pass, doubled before
	// each next one up to MaxRetryPause; 0 means DefaultRetryPause,
	// negative none.
	RetryPause time.Duration
}

// Outcome counts what an apply did.
type Outcome struct {
	// Applied and Failed count each change once, by how it ended.
	Applied int
	Failed  int
	// Retried counts the changes of Applied that landed on a retry pass at
	// the end of the run, after a transient failure; Adopted those of them
	// whose object turned out to exist already (a create whose answer was
	// lost), found by natural key and linked rather than created again. A
	// create that reported its new id and then failed a later step is
	// repaired on a retry: Retried, not Adopted.
	Retried, Adopted int
	// RetryPasses is the number of retry passes run.
	RetryPasses int
	// Errors holds each failed change's error, in plan order.
	Errors []ChangeError
}

// ChangeError is one change that failed.
type ChangeError struct {
	Change connectors.Change
	Err    error
}

func (e ChangeError) Error() string {
	return fmt.Sprintf("%s %s %s: %v", e.Change.Action, e.Change.Kind, e.Change.Key, e.Err)
}

// newIDMap resolves source keys to target ids as the run goes: the links,
// then the plan's adoptions, then the users its references name.
func newIDMap(links Links, adopt []Adoption, refs map[string]string) *store.SyncLinks {
	m := &store.SyncLinks{}
	for kind, byKey := range links {
		for key, id := range byKey {
			m.Set(kind, key, id)
		}
	}
	for _, a := range adopt {
		m.Set(a.Kind, a.Key, a.TargetID)
	}
	for key, id := range refs {
		m.Set(mapping.KindUser, key, id)
	}
	return m
}

// Apply runs the plan stage by stage. A failed change does not stop the
// run: it is recorded, and changes that depend on it fail in turn with
// connectors.ErrUnresolved. A cancelled ctx stops new changes from starting;
// changes in flight finish and are journaled, and Apply returns ctx's error.
func (e *Executor) Apply(ctx context.Context, plan *Plan, links Links) (Outcome, error) {
	logger := e.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	limit := e.Concurrency
	if limit <= 0 {
		limit = 4
	}
	ids := newIDMap(links, plan.Adopt, plan.UserRefs)
	r := &recorder{exec: e, logger: logger, ids: ids, plan: plan, errs: make([]error, len(plan.Changes)),
		landed: map[int]string{}, found: map[int]bool{}, retrying: e.retryPasses() > 0}
	total := len(plan.Changes)
	batcher, _ := e.Target.(connectors.BatchApplier)
	for start := 0; start < total; {
		end := start
		for end < total && plan.Changes[end].Stage == plan.Changes[start].Stage {
			end++
		}
		single := make([]int, 0, end-start)
		var batch []int
		for seq := start; seq < end; seq++ {
			c := plan.Changes[seq]
			if batcher != nil && c.Kind == mapping.KindUser && c.Action == connectors.ActionCreate {
				batch = append(batch, seq)
			} else {
				single = append(single, seq)
			}
		}
		if len(batch) < max(1, minBatch(batcher)) {
			single, batch = append(single, batch...), nil
		}
		if len(batch) > 0 && ctx.Err() == nil {
			changes := make([]connectors.Change, len(batch))
			for i, seq := range batch {
				changes[i] = plan.Changes[seq]
			}
			results, errs := batcher.ApplyBatch(context.WithoutCancel(ctx), changes, ids)
			for i, seq := range batch {
				var res connectors.Result
				err := fmt.Errorf("batch returned no result for this change")
				if i < len(results) && i < len(errs) {
					res, err = results[i], errs[i]
				}
				r.record(ctx, seq, res, err)
			}
		}
		g := errgroup.Group{}
		g.SetLimit(limit)
		for _, seq := range single {
			if ctx.Err() != nil {
				break
			}
			c := plan.Changes[seq]
			g.Go(func() error {
				// g.Go may have waited for a slot; a change that has not
				// started by the time ctx ends stays pending in the journal.
				if ctx.Err() != nil {
					return nil
				}
				// A change already started is finished and journaled even
				// when ctx is cancelled meanwhile: the write may have landed.
				res, err := e.Target.Apply(context.WithoutCancel(ctx), c, ids)
				r.record(ctx, seq, res, err)
				return nil
			})
		}
		_ = g.Wait()
		if err := ctx.Err(); err != nil {
			r.logFinalFailures()
			r.out.Errors = collect(plan, r.errs)
			return r.out, fmt.Errorf("apply stopped after %d of %d changes: %w", r.done, total, err)
		}
		start = end
	}
	err := e.retry(ctx, r, limit)
	r.logFinalFailures()
	r.out.Errors = collect(plan, r.errs)
	logger.Info("changes applied", zap.Int("applied", r.out.Applied), zap.Int("failed", r.out.Failed),
		zap.Int("retried", r.out.Retried), zap.Int("adopted", r.out.Adopted), zap.Int("retry_passes", r.out.RetryPasses))
	if err != nil {
		return r.out, fmt.Errorf("apply stopped while retrying failed changes: %w", err)
	}
	return r.out, nil
}

func minBatch(b connectors.BatchApplier) int {
	if b == nil {
		return 0
	}
	return b.MinBatch()
}

// recorder does the bookkeeping of each finished change: ids, journal,
// counts, logs and progress.
type recorder struct {
	exec   *Executor
	logger *zap.Logger
	ids    *store.SyncLinks
	plan   *Plan
	mu     sync.Mutex
	out    Outcome
	done   int
	errs   []error
	// landed holds the target id of each failed create that reported one:
	// the object exists (the create's later step failed, or a lookup found
	// it), so a retry repairs it and never creates it again.
	landed map[int]string
	// found marks the creates of landed whose object a lookup found.
	found map[int]bool
	// retrying: transient failures may still be retried, so their warning
	// waits for the end of the run (logFinalFailures).
	retrying bool
	// deferred marks the failures whose warning was deferred.
	deferred map[int]connectors.Result
}

// record books the end of one change of the plan's pass.
func (r *recorder) record(ctx context.Context, seq int, res connectors.Result, err error) {
	c := r.plan.Changes[seq]
	err = r.settle(ctx, seq, c, res, err)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	if err != nil {
		r.errs[seq] = err
		r.out.Failed++
		if r.retrying && retryable(err) {
			// Logged once, at the end of the run, if the retries do not
			// land it.
			if r.deferred == nil {
				r.deferred = map[int]connectors.Result{}
			}
			r.deferred[seq] = res
			r.logger.Debug("change failed: retried at the end of the run", append(changeFields(c, res), zap.Error(err))...)
		} else {
			// The one log line of a failed change: targets return the
			// error and do not log it.
			r.logger.Warn("change failed", append(changeFields(c, res), zap.Bool("transient", connectors.IsTransient(err)), zap.Error(err))...)
		}
	} else {
		r.out.Applied++
		r.logger.Debug("change applied", changeFields(c, res)...)
	}
	if r.exec.Progress != nil {
		r.exec.Progress(Event{Done: r.done, Total: len(r.plan.Changes), Change: c, Err: err})
	}
}

// settle updates the ids and the journal for a finished attempt at change
// seq and returns its error (nil for a delete of what is gone).
func (r *recorder) settle(ctx context.Context, seq int, c connectors.Change, res connectors.Result, err error) error {
	if err != nil && connectors.GoneIsDone(c, err) == nil {
		err = nil // already gone: the goal is met
		res.TargetID = c.TargetID
		r.logger.Info("already gone", changeFields(c, res)...)
	}
	switch {
	case c.Kind == mapping.KindMembership:
	case err == nil && c.Action == connectors.ActionDelete:
		r.ids.Remove(c.Kind, c.Key)
	case err == nil && res.TargetID != "":
		r.ids.Set(c.Kind, c.Key, res.TargetID)
	case err != nil && c.Action == connectors.ActionCreate && res.TargetID != "":
		// Created, but a later step of the change failed: the object is
		// there, for what refers to it and for the retry, which repairs
		// it rather than creating it again.
		r.ids.Set(c.Kind, c.Key, res.TargetID)
		r.mu.Lock()
		r.landed[seq] = res.TargetID
		r.mu.Unlock()
	}
	r.exec.journal(context.WithoutCancel(ctx), r.logger, seq, c, res, err)
	return err
}

// changeFields names a change in a log line: its kind, action and key, and
// its target id (the one the result reports, else the change's own).
func changeFields(c connectors.Change, res connectors.Result) []zap.Field {
	return []zap.Field{
		zap.String("kind", string(c.Kind)), zap.String("action", string(c.Action)),
		zap.String("key", c.Key), zap.String("target_id", cmp.Or(res.TargetID, c.TargetID)),
	}
}

func (e *Executor) journal(ctx context.Context, logger *zap.Logger, seq int, c connectors.Change, res connectors.Result, applyErr error) {
	if e.Journal == nil {
		return
	}
	var err error
	if applyErr != nil {
		err = e.Journal.Failed(ctx, e.RunID, seq, applyErr)
	} else {
		err = e.Journal.Applied(ctx, e.RunID, seq, res.TargetID)
	}
	if err != nil {
		// The target holds the change; only our record of it is missing.
		// The next run matches the object by its natural key.
		logger.Error("journal write failed", zap.Int("seq", seq), zap.String("key", c.Key), zap.Error(err))
	}
}

func collect(plan *Plan, errs []error) []ChangeError {
	var out []ChangeError
	for i, err := range errs {
		if err != nil {
			out = append(out, ChangeError{Change: plan.Changes[i], Err: err})
		}
	}
	return out
}
