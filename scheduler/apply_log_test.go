package scheduler_test

import (
	"context"
	"fmt"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

// scriptedTarget answers each change by its key: an error from errs, or
// success with the change's target id (a new one on create).
type scriptedTarget struct {
	errs map[string]error
}

func (scriptedTarget) Capabilities() connectors.Capabilities { return fullCaps() }

func (scriptedTarget) Read(context.Context) (*mapping.Snapshot, error) {
	return &mapping.Snapshot{}, nil
}

func (s scriptedTarget) Apply(_ context.Context, c connectors.Change, _ connectors.IDs) (connectors.Result, error) {
	if err := s.errs[c.Key]; err != nil {
		// As an adapter does: the error wrapped with context, not logged.
		return connectors.Result{}, fmt.Errorf("scripted: %s %s %s: %w", c.Action, c.Kind, c.Key, err)
	}
	if c.Action == connectors.ActionCreate {
		return connectors.Result{TargetID: "new-" + c.Key}, nil
	}
	return connectors.Result{TargetID: c.TargetID}, nil
}

// A failed change is logged once, by the executor, with the change's
// fields; a delete of what is gone is done, with no warning.
func TestExecutorLogsAFailedChangeOnce(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	target := scriptedTarget{errs: map[string]error{
		"u1": &connectors.FieldError{Status: 422, Message: "bad email", Fields: map[string][]string{"email": {"bad email"}}},
		"u2": connectors.ErrNotFound,
		"u3": connectors.ErrNotFound,
	}}
	u1 := mapping.User{Key: "u1", Name: "U1", Email: "x"}
	plan := &scheduler.Plan{Changes: []connectors.Change{
		{Action: connectors.ActionUpdate, Kind: mapping.KindUser, Key: "u1", TargetID: "usr-1", User: &u1},
		{Action: connectors.ActionDelete, Kind: mapping.KindUser, Key: "u2", TargetID: "usr-2"},
		{Action: connectors.ActionSuspend, Kind: mapping.KindUser, Key: "u3", TargetID: "usr-3"},
		{Action: connectors.ActionCreate, Kind: mapping.KindUser, Key: "u4", User: &mapping.User{Key: "u4", Name: "U4"}},
	}}
	out, err := (&scheduler.Executor{Target: target, Concurrency: 1, Logger: zap.New(core)}).Apply(context.Background(), plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Applied != 2 || out.Failed != 2 {
		t.Errorf("applied %d, failed %d; want 2 and 2 (a delete of what is gone is done, a suspend is not)", out.Applied, out.Failed)
	}

	warned := logs.Filter(func(e observer.LoggedEntry) bool { return e.Level >= zapcore.WarnLevel }).All()
	if len(warned) != 2 {
		t.Fatalf("%d warn or error lines, want one per failed change (2): %v", len(warned), warned)
	}
	for i, want := range []struct{ action, key, targetID, err string }{
		{"update", "u1", "usr-1", "scripted: update user u1: email: bad email"},
		{"suspend", "u3", "usr-3", "scripted: suspend user u3: not found"},
	} {
		e := warned[i]
		got := e.ContextMap()
		if e.Message != "change failed" || got["kind"] != "user" || got["action"] != want.action || got["key"] != want.key ||
			got["target_id"] != want.targetID || got["error"] != want.err {
			t.Errorf("line %d: %q %v; want change failed with kind user, action %s, key %s, target_id %s, error %q",
				i, e.Message, got, want.action, want.key, want.targetID, want.err)
		}
	}
	if n := logs.FilterMessage("already gone").FilterField(zap.String("key", "u2")).Len(); n != 1 {
		t.Errorf("%d lines say u2 was already gone, want 1", n)
	}
}
