package scheduler

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestDebouncerCoalescesABurst(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int32
	called := make(chan struct{}, 10)
	d := NewDebouncer(20*time.Millisecond, time.Hour, func(context.Context) {
		calls.Add(1)
		called <- struct{}{}
	})
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	for range 50 {
		d.Notify()
	}
	<-called
	// A notification after the call is served by another call.
	d.Notify()
	<-called
	cancel()
	<-done
	if n := calls.Load(); n < 2 || n > 3 {
		t.Errorf("calls = %d; want 2 (one for the burst, one after), or 3 if the burst was split", n)
	}
}

func TestDebouncerNotificationDuringACallIsServed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	running := make(chan struct{})
	release := make(chan struct{})
	var calls atomic.Int32
	d := NewDebouncer(time.Millisecond, time.Millisecond, func(context.Context) {
		if calls.Add(1) == 1 {
			close(running)
			<-release
		}
	})
	go d.Run(ctx)
	d.Notify()
	<-running
	d.Notify() // arrives while the first call runs
	close(release)
	// The deadline only turns a hang into a failure.
	for deadline := time.Now().Add(time.Minute); calls.Load() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the notification sent during a call was never served")
		}
	}
}

func TestDebouncerStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	d := NewDebouncer(time.Hour, time.Hour, func(context.Context) { t.Error("called after cancel") })
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	d.Notify()
	cancel()
	<-done
}
