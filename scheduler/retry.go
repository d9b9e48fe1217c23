package scheduler

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"github.com/orgbridge/orgbridge/mapping"
)

// The retry passes at the end of a run (issue 12): a change that failed
// with a transient error (a 429 or 5xx that outlasted the client's own
// retries, a POST answered 500 that the client does not resend, a timeout,
// a reset) is tried again after the rest of the plan, and with it every
// change that failed because it referred to one of those (ErrUnresolved),
// so that a flaky API costs a few more requests and not a failed night.
const (
	// DefaultRetryPasses bounds the passes. Each pass retries what the
	// one before left failed, in plan order; two passes in a row that land
	// nothing end them early (the target is down, not flaky).
	DefaultRetryPasses = 5
	// DefaultRetryPause is the pause before the first pass, doubled before
	// each next one, so that a burst of errors has time to pass.
	DefaultRetryPause = time.Second
	// MaxRetryPause caps the pause between passes.
	MaxRetryPause = 30 * time.Second
	// stageRounds is how many times a pass goes over what is still failed
	// in one stage before it moves on. A POST answered 5xx is not resent
	// by the client (it may have landed), so a create gets one attempt a
	// round; when a parent's failure sent a whole stage to the passes, one
	// attempt a pass would leave each create a handful of tries in all,
	// and of 2,000 creates under 20% 5xx one would fail every one of them.
	// A round follows only one that landed something, so the rest of the
	// stage is flowing and needs no pause; a target that is down still
	// costs one attempt a pass.
	stageRounds = 3
)

func (e *Executor) retryPasses() int {
	switch {
	case e.RetryPasses < 0:
		return 0
	case e.RetryPasses == 0:
		return DefaultRetryPasses
	}
	return e.RetryPasses
}

func (e *Executor) retryPause(pass int) time.Duration {
	d := e.RetryPause
	switch {
	case d < 0:
		return 0
	case d == 0:
		d = DefaultRetryPause
	}
	for range pass - 1 {
		if d *= 2; d >= MaxRetryPause {
			return MaxRetryPause
		}
	}
	return min(d, MaxRetryPause)
}

// retryable reports whether a failed change is tried again at the end of
// the run: its error is transient, or it referred to an object that had
// no target id yet (which a retried change may since have made).
func retryable(err error) bool {
	return connectors.IsTransient(err) || errors.Is(err, connectors.ErrUnresolved)
}

// mayHaveLanded reports whether a failed create may have made its object
// after all, so that it is looked up before it is made again. A change
// that failed unresolved never reached the target.
func mayHaveLanded(c connectors.Change, err error) bool {
	return c.Action == connectors.ActionCreate && c.Kind != mapping.KindMembership &&
		connectors.IsTransient(err) && !errors.Is(err, connectors.ErrUnresolved)
}

// retry runs the retry passes over r's failed changes. It returns ctx's
// error when ctx ends; the changes not retried stay failed.
func (e *Executor) retry(ctx context.Context, r *recorder, limit int) error {
	finder, _ := e.Target.(connectors.Finder)
	// barren: the pass before landed nothing. Two such passes in a row
	// (the plan's own pass counts) mean the target is down, not flaky.
	r.mu.Lock()
	barren := r.out.Applied == 0
	r.mu.Unlock()
	for pass := 1; pass <= e.retryPasses(); pass++ {
		seqs := r.failedRetryable()
		if len(seqs) == 0 {
			return nil
		}
		if err := httpkit.SystemClock.Sleep(ctx, e.retryPause(pass)); err != nil {
			return err
		}
		r.logger.Info("retrying the changes that failed with a transient error", zap.Int("pass", pass), zap.Int("changes", len(seqs)))
		r.mu.Lock()
		r.out.RetryPasses = pass
		r.mu.Unlock()
		landed := 0
		for start := 0; start < len(seqs); {
			stage := r.plan.Changes[seqs[start]].Stage
			end := start
			for end < len(seqs) && r.plan.Changes[seqs[end]].Stage == stage {
				end++
			}
			pending := seqs[start:end]
			for round := 0; round < stageRounds && len(pending) > 0; round++ {
				n, err := e.retryStage(ctx, r, finder, pending, limit)
				landed += n
				if err != nil {
					return err
				}
				if n == 0 {
					break // nothing of the stage lands: wait for the next pass
				}
				pending = r.stillRetryable(pending)
			}
			start = end
		}
		if landed == 0 && barren {
			r.logger.Info("two passes in a row landed no change: no more retries", zap.Int("pass", pass))
			return nil
		}
		barren = landed == 0
	}
	return nil
}

// retryStage retries the failed changes of one stage, seqs in plan order:
// first it looks up the creates that may have landed, then applies each
// change that is still to be made (or repairs one whose object exists).
// It returns the count that landed.
func (e *Executor) retryStage(ctx context.Context, r *recorder, finder connectors.Finder, seqs []int, limit int) (int, error) {
	var lookup []int
	for _, seq := range seqs {
		c := r.plan.Changes[seq]
		if _, ok := r.landedID(seq); !ok && mayHaveLanded(c, r.errOf(seq)) {
			lookup = append(lookup, seq)
		}
	}
	skip := map[int]bool{}
	if len(lookup) > 0 {
		if finder == nil {
			// Without a lookup a create that may have landed is not made
			// again: a duplicate is worse than a failed change, which the
			// next run matches by natural key.
			for _, seq := range lookup {
				skip[seq] = true
			}
		} else {
			changes := make([]connectors.Change, len(lookup))
			for i, seq := range lookup {
				changes[i] = r.plan.Changes[seq]
			}
			found := finder.Find(ctx, changes, r.ids)
			for i, seq := range lookup {
				switch {
				case i >= len(found):
					r.retried(ctx, seq, connectors.Result{}, errors.New("the target's lookup returned no answer for this change"), false)
					skip[seq] = true
				case found[i].Err != nil:
					// Unknown whether it exists: not made again this pass.
					r.retried(ctx, seq, connectors.Result{}, found[i].Err, false)
					skip[seq] = true
				case found[i].TargetID != "":
					c := r.plan.Changes[seq]
					r.logger.Info("a create whose answer was lost had landed: adopting the object found by its natural key",
						changeFields(c, connectors.Result{TargetID: found[i].TargetID})...)
					r.mu.Lock()
					r.landed[seq] = found[i].TargetID
					r.found[seq] = true
					r.mu.Unlock()
				}
			}
		}
	}
	g := errgroup.Group{}
	g.SetLimit(limit)
	var landed atomic.Int64
	for _, seq := range seqs {
		if skip[seq] {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if ctx.Err() != nil {
				return nil
			}
			c := r.plan.Changes[seq]
			// As in the plan's pass, a change under way is finished and
			// journaled even when ctx ends meanwhile.
			wctx := context.WithoutCancel(ctx)
			var res connectors.Result
			var err error
			id, adopt := r.landedID(seq)
			if adopt {
				res, err = e.repair(wctx, c, id, r.ids)
			} else {
				res, err = e.Target.Apply(wctx, c, r.ids)
			}
			if r.retried(ctx, seq, res, err, adopt && r.wasFound(seq)) {
				landed.Add(1)
			}
			return nil
		})
	}
	_ = g.Wait()
	return int(landed.Load()), ctx.Err()
}

// repair makes the object of a create that exists already (id) what the
// create would have made: an update with no Diff, which writes every
// field, since a create that failed part-way (a suspend after it) or
// whose answer was lost may have left some undone. Its org memberships
// were part of the create call and are left as they are.
func (e *Executor) repair(ctx context.Context, c connectors.Change, id string, ids connectors.IDs) (connectors.Result, error) {
	u := c
	u.Action, u.TargetID, u.Diff = connectors.ActionUpdate, id, nil
	u.OrgMemberships, u.ForeignOrgMemberships = nil, nil
	res, err := e.Target.Apply(ctx, u, ids)
	if err == nil {
		res.TargetID = id
	}
	return res, err
}

// retried books the end of a retry of change seq and reports whether it
// landed. adopted: the change linked an object a lookup found.
func (r *recorder) retried(ctx context.Context, seq int, res connectors.Result, err error, adopted bool) bool {
	c := r.plan.Changes[seq]
	err = r.settle(ctx, seq, c, res, err)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs[seq] = err
		if !retryable(err) {
			// A change that now fails for good is logged now, once.
			delete(r.deferred, seq)
			r.logger.Warn("change failed", append(changeFields(c, res), zap.Bool("transient", false), zap.Bool("retried", true), zap.Error(err))...)
		}
		return false
	}
	r.errs[seq] = nil
	delete(r.deferred, seq)
	delete(r.landed, seq)
	r.out.Failed--
	r.out.Applied++
	r.out.Retried++
	if adopted {
		r.out.Adopted++
	}
	r.logger.Debug("change applied on a retry", append(changeFields(c, res), zap.Bool("adopted", adopted))...)
	return true
}

// failedRetryable lists the failed changes a retry pass tries, in plan
// order (which is stage order).
func (r *recorder) failedRetryable() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var seqs []int
	for seq, err := range r.errs {
		if err != nil && retryable(err) {
			seqs = append(seqs, seq)
		}
	}
	return seqs
}

// stillRetryable keeps the seqs whose change is still failed and
// retryable.
func (r *recorder) stillRetryable(seqs []int) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for _, seq := range seqs {
		if err := r.errs[seq]; err != nil && retryable(err) {
			out = append(out, seq)
		}
	}
	return out
}

func (r *recorder) errOf(seq int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.errs[seq]
}

// wasFound reports whether change seq's object was found by a lookup.
func (r *recorder) wasFound(seq int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.found[seq]
}

func (r *recorder) landedID(seq int) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.landed[seq]
	return id, ok
}

// logFinalFailures writes the one warning of each change whose transient
// failure the retries did not cure.
func (r *recorder) logFinalFailures() {
	r.mu.Lock()
	defer r.mu.Unlock()
	seqs := make([]int, 0, len(r.deferred))
	for seq := range r.deferred {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	for _, seq := range seqs {
		err := r.errs[seq]
		if err == nil {
			continue
		}
		r.logger.Warn("change failed", append(changeFields(r.plan.Changes[seq], r.deferred[seq]),
			zap.Bool("transient", connectors.IsTransient(err)), zap.Int("retry_passes", r.out.RetryPasses), zap.Error(err))...)
	}
	r.deferred = nil
}
