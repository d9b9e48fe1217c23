package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/metrics"
	"github.com/orgbridge/orgbridge/internal/notify"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scheduler"
)

// heldBackListed bounds the records a held-back message names.
const heldBackListed = 5

// newNotifier builds the notifier of the config's notify block, nil
// without one. Its secrets are resolved here, so a missing one fails the
// start, naming the key. jobs tells the worker what the daemon knows of a
// job (a quarantine's reason, the records held back); st the error of a
// failed run.
func (a *app) newNotifier(file *config.File, st store.Store, jobs func() []scheduler.JobInfo) (*notify.Notifier, error) {
	if file.Notify == nil {
		return nil, nil
	}
	opts, err := notify.Build(file.Notify, file.Dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file.Path, file.Locate(err))
	}
	opts.Logger = a.logger.Named("notify")
	opts.Observe = metrics.ObserveNotification
	opts.Prepare = func(ctx context.Context, ev *notify.Event) { completeEvent(ctx, ev, st, jobs) }
	return notify.New(opts), nil
}

// completeEvent fills in what the hook that posted the event could not
// say without waiting: it runs on the notifier's worker, after the run's
// bookkeeping is done.
func completeEvent(ctx context.Context, ev *notify.Event, st store.Store, jobs func() []scheduler.JobInfo) {
	at := ev.At
	defer func() { ev.At = at }()
	var info *scheduler.JobInfo
	if jobs != nil && (ev.Kind == notify.KindQuarantined || ev.Kind == notify.KindHeldBack) {
		for _, j := range jobs() {
			if j.Name == ev.Job {
				info = &j
				break
			}
		}
	}
	switch ev.Kind {
	case notify.KindRunFailed:
		if st == nil || ev.RunID != 0 {
			return
		}
		if runs, err := st.Runs(ctx, ev.Job, 1); err == nil && len(runs) == 1 && runs[0].Status == store.RunFailed {
			*ev = notify.RunFailed(ev.Job, runs[0].ID, runs[0].Error)
		}
	case notify.KindQuarantined:
		if info != nil {
			*ev = notify.Quarantined(ev.Job, info.QuarantineReason, info.QuarantineUntil)
		}
	case notify.KindHeldBack:
		if info != nil && len(info.HeldBack) > 0 {
			var reasons []string
			for _, l := range info.HeldBack[:min(len(info.HeldBack), heldBackListed)] {
				reasons = append(reasons, fmt.Sprintf("%s %s: %s", l.Kind, l.Key, l.Reason))
			}
			*ev = notify.HeldBack(ev.Job, len(info.HeldBack), reasons)
		}
	}
}

// exchange sets m[job] to v under mu and returns what it was: what a hook
// compares its news with.
func exchange[V any](mu *sync.Mutex, m map[string]V, job string, v V) V {
	mu.Lock()
	defer mu.Unlock()
	was := m[job]
	m[job] = v
	return was
}

// notifyHooks adds notifications to the daemon's hooks: a plan held, a
// quarantine and its end, a failed run (one that did not come while the
// job was already quarantined: the quarantine said so), and more records
// held back than before. Each hook only posts: the notifier's worker
// sends.
func notifyHooks(h scheduler.DaemonHooks, n *notify.Notifier) scheduler.DaemonHooks {
	if n == nil {
		return h
	}
	var mu sync.Mutex
	quarantined := map[string]bool{}
	heldBack := map[string]int{}
	run, quarantine, held := h.Run, h.Quarantine, h.HeldBack
	h.Run = func(job, mode, outcome string, took time.Duration, finished time.Time) {
		run(job, mode, outcome, took, finished)
		mu.Lock()
		q := quarantined[job]
		mu.Unlock()
		if outcome == string(store.RunFailed) && !q {
			n.Post(notify.RunFailed(job, 0, ""))
		}
	}
	h.Quarantine = func(job string, on bool) {
		quarantine(job, on)
		switch was := exchange(&mu, quarantined, job, on); {
		case on && !was:
			n.Post(notify.Quarantined(job, "", time.Time{}))
		case !on && was:
			n.Post(notify.Recovered(job))
		}
	}
	h.HeldBack = func(job string, count int) {
		held(job, count)
		if before := exchange(&mu, heldBack, job, count); count > before {
			n.Post(notify.HeldBack(job, count, nil))
		}
	}
	h.PlanHeld = func(p scheduler.PendingApproval) {
		n.Post(notify.PlanHeld(p.Job, p.RunID, p.Summary, p.Reason))
	}
	return h
}

// notifyRun tells the notify block's sinks, if the config has one, that a
// one-off run (orgbridge sync) was refused by the guard or failed. It
// sends before the command exits, so it waits for the sinks (each has its
// timeout); a sink's failure is logged and does not change the exit code.
func (a *app) notifyRun(ctx context.Context, l *loaded, res *scheduler.RunResult, err error) {
	if err == nil || l.file.Notify == nil || errors.Is(err, context.Canceled) || errors.Is(err, scheduler.ErrNotIncremental) {
		return
	}
	n, nerr := a.newNotifier(l.file, nil, nil)
	if nerr != nil {
		a.logger.Warn("notifications are off for this run", zap.Error(nerr))
		return
	}
	var runID int64
	if res != nil {
		runID = res.RunID
	}
	var ev notify.Event
	if errors.Is(err, scheduler.ErrRefused) && res != nil && res.Plan != nil {
		ev = notify.PlanHeld(l.job.Name, runID, scheduler.Summarize(res.Plan), err.Error())
		ev.Title = "a run from the command line was refused by the guard"
		ev.Details[len(ev.Details)-1] = "Approve it by saving the plan (orgbridge plan --out plan.json), reviewing it and applying it (orgbridge sync --plan plan.json)."
	} else {
		ev = notify.RunFailed(l.job.Name, runID, err.Error())
	}
	_ = n.Send(ctx, ev) // logged by the notifier
}
