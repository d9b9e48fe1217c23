package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

// flakyTarget holds users by key. failures[key] makes that many attempts
// at the key's change fail with a transient error; lost[key] makes the
// first create land and still answer 500 (the answer was lost);
// partial[key] makes the first create land and fail a later step,
// reporting the new id. With finder set it implements connectors.Finder.
type flakyTarget struct {
	mu       sync.Mutex
	failures map[string]int
	lost     map[string]bool
	partial  map[string]bool
	users    map[string]string // key → id
	repaired map[string]bool   // ids written by a full update
	creates  int
	finds    int
}

func newFlaky() *flakyTarget {
	return &flakyTarget{failures: map[string]int{}, lost: map[string]bool{}, partial: map[string]bool{},
		users: map[string]string{}, repaired: map[string]bool{}}
}

func (*flakyTarget) Capabilities() connectors.Capabilities { return fullCaps() }

func (*flakyTarget) Read(context.Context) (*mapping.Snapshot, error) { return &mapping.Snapshot{}, nil }

func (f *flakyTarget) Apply(_ context.Context, c connectors.Change, ids connectors.IDs) (connectors.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.Kind == mapping.KindMembership {
		if _, ok := ids.TargetID(mapping.KindUser, c.Membership.UserKey); !ok {
			return connectors.Result{}, fmt.Errorf("user %s: %w", c.Membership.UserKey, connectors.ErrUnresolved)
		}
	}
	if f.failures[c.Key] > 0 {
		f.failures[c.Key]--
		return connectors.Result{}, &connectors.TransientError{Err: errors.New("503 Service Unavailable")}
	}
	switch {
	case c.Kind == mapping.KindUser && c.Action == connectors.ActionCreate:
		f.creates++
		id := fmt.Sprintf("usr-%d", f.creates)
		f.users[c.Key] = id
		if f.lost[c.Key] {
			delete(f.lost, c.Key)
			return connectors.Result{}, &connectors.TransientError{Err: errors.New("POST /users: 500 Internal Server Error")}
		}
		if f.partial[c.Key] {
			delete(f.partial, c.Key)
			return connectors.Result{TargetID: id}, fmt.Errorf("created as %s, then suspend: %w", id, &connectors.TransientError{Err: errors.New("504")})
		}
		return connectors.Result{TargetID: id}, nil
	case c.Kind == mapping.KindUser && c.Action == connectors.ActionUpdate && c.Diff == nil:
		f.repaired[c.TargetID] = true
	}
	return connectors.Result{TargetID: c.TargetID}, nil
}

type findingTarget struct{ *flakyTarget }

func (f findingTarget) Find(_ context.Context, cs []connectors.Change, _ connectors.IDs) []connectors.Found {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finds++
	out := make([]connectors.Found, len(cs))
	for i, c := range cs {
		out[i].TargetID = f.users[c.Key]
	}
	return out
}

func userPlan(keys ...string) *scheduler.Plan {
	p := &scheduler.Plan{}
	for _, k := range keys {
		u := mapping.User{Key: k, Name: k}
		p.Changes = append(p.Changes, connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindUser, Key: k, User: &u, Stage: 1})
	}
	for _, k := range keys {
		p.Changes = append(p.Changes, connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindMembership, Key: "m-" + k, Stage: 2,
			Membership: &mapping.Membership{Kind: mapping.KindGroup, ContainerKey: "g", UserKey: k, Role: mapping.RoleMember}})
	}
	return p
}

func TestExecutorRetriesTransientFailuresAtTheEnd(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(f *flakyTarget)
		finder  bool
		passes  int
		applied int
		failed  int
		retried int
		adopted int
		creates int
		warned  int
		// repaired: objects written by a full update after a retry
		// found them there.
		repaired int
	}{
		{name: "a transient failure lands on the first retry pass, and the membership that needed it",
			setup: func(f *flakyTarget) { f.failures["b"] = 1 }, finder: true,
			applied: 6, retried: 2, creates: 3},
		{name: "a pass that lands nothing is not the end: two failures in a row land on the second pass",
			setup: func(f *flakyTarget) { f.failures["b"] = 2 }, finder: true,
			applied: 6, retried: 2, creates: 3},
		{name: "the bound: what still fails after it is failed, and logged once",
			setup: func(f *flakyTarget) { f.failures["b"] = 100 }, finder: true, passes: 2,
			applied: 4, failed: 2, creates: 2, warned: 2},
		{name: "a create whose answer was lost is found and adopted, not made twice",
			setup: func(f *flakyTarget) { f.lost["a"] = true }, finder: true,
			applied: 6, retried: 2, adopted: 1, creates: 3, repaired: 1},
		{name: "without a lookup, a create that may have landed is not made again",
			setup:   func(f *flakyTarget) { f.lost["a"] = true },
			applied: 4, failed: 2, creates: 3, warned: 2},
		{name: "a create that landed and failed a later step is repaired, not made twice",
			setup:   func(f *flakyTarget) { f.partial["c"] = true },
			applied: 6, retried: 1, creates: 3, repaired: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			flaky := newFlaky()
			tc.setup(flaky)
			var target connectors.Target = flaky
			if tc.finder {
				target = findingTarget{flaky}
			}
			core, logs := observer.New(zapcore.DebugLevel)
			exec := &scheduler.Executor{Target: target, Concurrency: 2, Logger: zap.New(core), RetryPasses: tc.passes, RetryPause: -1}
			out, err := exec.Apply(context.Background(), userPlan("a", "b", "c"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if out.Applied != tc.applied || out.Failed != tc.failed || out.Retried != tc.retried || out.Adopted != tc.adopted {
				t.Errorf("applied %d failed %d retried %d adopted %d; want %d %d %d %d",
					out.Applied, out.Failed, out.Retried, out.Adopted, tc.applied, tc.failed, tc.retried, tc.adopted)
			}
			if flaky.creates != tc.creates {
				t.Errorf("%d users created, want %d", flaky.creates, tc.creates)
			}
			if len(out.Errors) != tc.failed {
				t.Errorf("%d errors reported, want %d: %v", len(out.Errors), tc.failed, out.Errors)
			}
			warned := logs.Filter(func(e observer.LoggedEntry) bool { return e.Level >= zapcore.WarnLevel }).All()
			if len(warned) != tc.warned {
				t.Errorf("%d warnings, want one per change failed in the end (%d): %v", len(warned), tc.warned, warned)
			}
			if len(flaky.repaired) != tc.repaired {
				t.Errorf("%d objects repaired by a full update, want %d", len(flaky.repaired), tc.repaired)
			}
		})
	}
}

// A target that fails every change is down, not flaky: the plan's pass
// and one retry pass land nothing, which ends the retries.
func TestExecutorStopsRetryingWhenAPassLandsNothing(t *testing.T) {
	flaky := newFlaky()
	for _, k := range []string{"a", "b", "c", "m-a", "m-b", "m-c"} {
		flaky.failures[k] = 1000
	}
	core, _ := observer.New(zapcore.DebugLevel)
	out, err := (&scheduler.Executor{Target: findingTarget{flaky}, Concurrency: 2, Logger: zap.New(core), RetryPause: -1}).
		Apply(context.Background(), userPlan("a", "b", "c"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.RetryPasses != 1 || out.Failed != 6 || out.Applied != 0 {
		t.Errorf("passes %d failed %d applied %d; want 1, 6, 0", out.RetryPasses, out.Failed, out.Applied)
	}
	if left := 1000 - flaky.failures["a"]; left != 2 {
		t.Errorf("user a tried %d times, want 2 (the plan's pass and one retry)", left)
	}
}
