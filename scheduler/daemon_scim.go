package scheduler

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"
)

// SCIMOptions turn what identity providers push to the SCIM endpoint into
// incremental runs of the jobs whose source is scim.
type SCIMOptions struct {
	// Debounce and MaxDelay shape the debounce (see Debouncer): a run
	// starts once pushes have been quiet for Debounce, or MaxDelay after
	// the first push of a steady stream.
	Debounce, MaxDelay time.Duration
	// Poll makes the leader watch the store's SCIM change sequence, so that
	// it also notices pushes another replica stored (a shared store).
	Poll bool
	// PollEvery is how often the leader looks; default Debounce, at least
	// one second.
	PollEvery time.Duration
}

// scimTrigger is the daemon's SCIM debounce and, with a shared store, the
// leader's poll of the store.
type scimTrigger struct {
	deb       *Debouncer
	poll      bool
	pollEvery time.Duration
}

func (d *Daemon) newSCIMTrigger(o SCIMOptions) *scimTrigger {
	every := o.PollEvery
	if every <= 0 {
		every = max(o.Debounce, time.Second)
	}
	return &scimTrigger{deb: NewDebouncer(o.Debounce, o.MaxDelay, d.runSCIMJobs), poll: o.Poll, pollEvery: every}
}

// NotifySCIM tells the daemon that the SCIM store changed (the endpoint's
// OnChange): after the debounce, each scim job runs incrementally. It never
// blocks, and does nothing when the daemon has no SCIM options.
func (d *Daemon) NotifySCIM() {
	if d.scim != nil {
		d.scim.deb.Notify()
	}
}

// runSCIMJobs is the debounced call: an incremental run of every scim job
// of the current config. A job that is running already is tried again
// after the next debounce, so no push is left unserved; a standby leaves
// the pushes to the leader.
func (d *Daemon) runSCIMJobs(ctx context.Context) {
	for _, name := range d.scimJobNames() {
		if ctx.Err() != nil {
			return // stopping: what is left stays pending for the next start
		}
		_, err := d.RunJob(ctx, name, RunOptions{Incremental: true}, TriggerSCIM)
		switch {
		case errors.Is(err, ErrBusy):
			d.log.Debug("SCIM pushes wait: the job is running; trying again after the debounce", zap.String("job", name))
			d.scim.deb.Notify()
		case errors.Is(err, ErrNotLeader):
		case err != nil:
			d.log.Error("incremental run after SCIM pushes failed", zap.String("job", name), zap.Error(err))
		}
	}
}

// scimJobNames are the jobs whose source is the SCIM endpoint, in config
// order.
func (d *Daemon) scimJobNames() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var names []string
	for _, name := range d.order {
		if d.jobs[name].job.SourceType == "scim" {
			names = append(names, name)
		}
	}
	return names
}

// runSCIM serves the debounce, and with Poll the leader's poll, until ctx
// ends; it returns after the run in progress, if any.
func (d *Daemon) runSCIM(ctx context.Context) {
	done := make(chan struct{})
	go func() { defer close(done); d.scim.deb.Run(ctx) }()
	// What was acknowledged before a restart but not yet applied is
	// applied now: the incremental read starts from the stored mark.
	d.scim.deb.Notify()
	if d.scim.poll {
		d.pollSCIM(ctx, d.scim.pollEvery)
	}
	<-done
}

// pollSCIM lets the leader see pushes that other replicas stored: when the
// store's SCIM change sequence moves, the debouncer is told. A replica that
// has just become leader tells it once as well: pushes stored while another
// replica led (or while none did) may not have been applied, and the
// incremental run reads from the stored mark, so it finds them, or
// nothing.
func (d *Daemon) pollSCIM(ctx context.Context, every time.Duration) {
	var seen int64 = -1
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !d.IsLeader() {
			seen = -1 // a later lead starts with a catch-up run
			continue
		}
		changed, top, err := d.store.SCIMChanged(ctx, max(seen, 0))
		if err != nil {
			d.log.Debug("polling the SCIM change sequence failed", zap.Error(err))
			continue
		}
		if seen < 0 || len(changed) > 0 {
			d.scim.deb.Notify()
		}
		seen = top
	}
}
