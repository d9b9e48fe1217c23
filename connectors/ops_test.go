package connectors_test

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

type opsTarget struct{ calls int }

func (t *opsTarget) org(_ context.Context, c connectors.Change, _ connectors.IDs, _ *zap.Logger) (connectors.Result, error) {
	t.calls++
	if c.Key == "gone" {
		return connectors.Result{}, connectors.ErrNotFound
	}
	return connectors.Result{TargetID: "id-" + c.Key}, nil
}

// Ops makes the checks every target makes before a handler runs, and
// wraps every error with the target's name and the change.
func TestOps(t *testing.T) {
	ops := connectors.NewOps[*opsTarget]("fake").
		On(mapping.KindOrg, (*opsTarget).org, connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionDelete).
		Refuse("fake holds orgs only", mapping.KindUser)
	org := &mapping.Org{Key: "hq", Name: "本社"}
	for _, tt := range []struct {
		name    string
		c       connectors.Change
		wantErr string
		is      error
	}{
		{"create", connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: "hq", Org: org}, "", nil},
		{"create without its org", connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: "hq"},
			"fake: create org hq: change carries no org", nil},
		{"update without a target id", connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "hq", Org: org},
			"fake: update org hq: update needs the target id: reference has no target id", connectors.ErrUnresolved},
		{"delete of what is gone", connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindOrg, Key: "gone", TargetID: "x"},
			"fake: delete org gone: not found", connectors.ErrNotFound},
		{"unsupported action", connectors.Change{Action: connectors.ActionSuspend, Kind: mapping.KindOrg, Key: "hq", TargetID: "x"},
			`fake: suspend org hq: action "suspend" is not supported for an org`, nil},
		{"refused kind", connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindUser, Key: "u", User: &mapping.User{Key: "u"}},
			"fake: create user u: fake holds orgs only", nil},
		{"kind not held", connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindGroup, Key: "g", Group: &mapping.Group{Key: "g"}},
			`fake: create group g: kind "group" is not held by this target`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			target := &opsTarget{}
			res, err := ops.Apply(context.Background(), target, zap.NewNop(), tt.c, nil)
			if tt.wantErr == "" {
				if err != nil || res.TargetID != "id-"+tt.c.Key || target.calls != 1 {
					t.Errorf("Apply = %+v, %v after %d calls; want id-%s after 1", res, err, target.calls, tt.c.Key)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("err = %v, want %s", err, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.is)
			}
			if wantCalls := map[bool]int{true: 1, false: 0}[tt.is == connectors.ErrNotFound]; target.calls != wantCalls {
				t.Errorf("handler called %d times, want %d", target.calls, wantCalls)
			}
		})
	}
}
