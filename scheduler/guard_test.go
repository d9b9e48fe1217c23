package scheduler_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

func removals(kind mapping.Kind, action connectors.Action, n int) []connectors.Change {
	out := make([]connectors.Change, n)
	for i := range out {
		out[i] = connectors.Change{Kind: kind, Action: action}
	}
	return out
}

func TestGuard(t *testing.T) {
	some := map[mapping.Kind]int{mapping.KindUser: 1, mapping.KindOrg: 1, mapping.KindGroup: 1}
	defaults := scheduler.Guard{MaxDeleteRatio: scheduler.DefaultMaxDeleteRatio, MaxDeleteCount: scheduler.DefaultMaxDeleteCount}
	tests := []struct {
		name  string
		guard scheduler.Guard
		plan  scheduler.Plan
		want  string // "" = allowed
	}{
		{"within the share", defaults, scheduler.Plan{Desired: some, Changes: removals(mapping.KindUser, connectors.ActionSuspend, 5), Managed: map[mapping.Kind]int{mapping.KindUser: 100}}, ""},
		{"above the share", defaults, scheduler.Plan{Desired: some, Changes: removals(mapping.KindUser, connectors.ActionSuspend, 6), Managed: map[mapping.Kind]int{mapping.KindUser: 100}},
			"6 of 100 managed users (6.0%) exceed the limit of 5.0%"},
		{"deletes count too", defaults, scheduler.Plan{Desired: some, Changes: removals(mapping.KindOrg, connectors.ActionDelete, 2), Managed: map[mapping.Kind]int{mapping.KindOrg: 10}},
			"2 of 10 managed orgs (20.0%) exceed the limit of 5.0%"},
		{"above the count", defaults, scheduler.Plan{Desired: some, Changes: removals(mapping.KindUser, connectors.ActionDelete, 501), Managed: map[mapping.Kind]int{mapping.KindUser: 100000}},
			"501 deletes and suspends exceed the limit of 500"},
		{"departed referenced users count", defaults, scheduler.Plan{Desired: some, Departed: []string{"a", "b"}, Managed: map[mapping.Kind]int{mapping.KindUser: 10}},
			"2 of 10 managed users (20.0%) exceed the limit of 5.0%"},
		{"membership deletes do not count", defaults, scheduler.Plan{Desired: some, Changes: removals(mapping.KindMembership, connectors.ActionDelete, 50), Managed: map[mapping.Kind]int{mapping.KindUser: 10}}, ""},
		{"empty source", defaults, scheduler.Plan{Managed: map[mapping.Kind]int{mapping.KindUser: 3}},
			"the source returned no users while orgbridge manages 3 in the target"},
		{"no users but orgs", defaults, scheduler.Plan{Desired: map[mapping.Kind]int{mapping.KindOrg: 7}, Managed: map[mapping.Kind]int{mapping.KindUser: 3, mapping.KindOrg: 7}},
			"the source returned no users while orgbridge manages 3 in the target"},
		{"one row of twelve: every reason with its numbers", defaults, scheduler.Plan{
			Desired: map[mapping.Kind]int{mapping.KindUser: 1, mapping.KindOrg: 1},
			Changes: append(removals(mapping.KindUser, connectors.ActionSuspend, 9), removals(mapping.KindGroup, connectors.ActionDelete, 2)...),
			Managed: map[mapping.Kind]int{mapping.KindUser: 11, mapping.KindOrg: 1, mapping.KindGroup: 2}},
			"the source returned no groups while orgbridge manages 2 in the target: 2 would be deleted; " +
				"9 of 11 managed users (81.8%) exceed the limit of 5.0%: 9 would be suspended; " +
				"2 of 2 managed groups (100.0%) exceed the limit of 5.0%: 2 would be deleted " +
				"(an empty source never empties a target"},
		{"empty source, nothing managed", defaults, scheduler.Plan{Managed: map[mapping.Kind]int{}}, ""},
		{"raised share", scheduler.Guard{MaxDeleteRatio: 0.2, MaxDeleteCount: 500}, scheduler.Plan{Desired: some, Changes: removals(mapping.KindUser, connectors.ActionSuspend, 1), Managed: map[mapping.Kind]int{mapping.KindUser: 10}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.guard.Check(&tt.plan)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, scheduler.ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrRefused containing %q", err, tt.want)
			}
		})
	}
}
