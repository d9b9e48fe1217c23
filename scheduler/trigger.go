package scheduler

import (
	"context"
	"time"
)

// Debouncer turns bursts of notifications (SCIM pushes) into single calls
// of a function: the call comes once notifications have been quiet for
// Quiet, or MaxDelay after the first of a burst under a steady stream. A
// notification that arrives while the function runs schedules another
// call after it, so no notification is ever left unserved.
type Debouncer struct {
	quiet, maxDelay time.Duration
	fn              func(context.Context)
	notify          chan struct{}
}

// NewDebouncer makes a debouncer of fn; call Run to start it.
func NewDebouncer(quiet, maxDelay time.Duration, fn func(context.Context)) *Debouncer {
	if maxDelay < quiet {
		maxDelay = quiet
	}
	return &Debouncer{quiet: quiet, maxDelay: maxDelay, fn: fn, notify: make(chan struct{}, 1)}
}

// Notify records that something changed. It never blocks.
func (d *Debouncer) Notify() {
	select {
	case d.notify <- struct{}{}:
	default: // a call is already due
	}
}

// Run calls the function as notifications come, until ctx ends; it returns
// after the call in progress, if any, has returned.
func (d *Debouncer) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.notify:
		}
		if !d.wait(ctx) {
			return
		}
		d.fn(ctx)
	}
}

// wait lets a burst settle; false means ctx ended first.
func (d *Debouncer) wait(ctx context.Context) bool {
	first := time.Now()
	timer := time.NewTimer(d.quiet)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-d.notify:
			left := d.maxDelay - time.Since(first)
			if left <= 0 {
				return true
			}
			timer.Reset(min(d.quiet, left))
		}
	}
}
