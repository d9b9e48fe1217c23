package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

// objectEntries renders ObjectJournal's answer as "run/seq action status
// mode run-status error" lines, newest first as it returns them.
func objectEntries(t *testing.T, s store.Store, job string, kind mapping.Kind, key string, limit int) []string {
	t.Helper()
	list, err := s.ObjectJournal(t.Context(), job, kind, key, limit)
	must(t, err, fmt.Sprintf("ObjectJournal(%q, %s, %q, %d)", job, kind, key, limit))
	out := make([]string, len(list))
	for i, e := range list {
		if e.UpdatedAt.IsZero() || e.UpdatedAt.Location() != timeUTC || e.StartedAt.IsZero() || e.StartedAt.Location() != timeUTC {
			t.Fatalf("entry %d/%d: UpdatedAt %v StartedAt %v, want UTC times", e.RunID, e.Seq, e.UpdatedAt, e.StartedAt)
		}
		if e.Change.Kind != kind || e.Change.Key != key {
			t.Fatalf("entry %d/%d is %s %q, want %s %q", e.RunID, e.Seq, e.Change.Kind, e.Change.Key, kind, key)
		}
		out[i] = fmt.Sprintf("%d/%d %s %s %s %s %s", e.RunID, e.Seq, e.Change.Action, e.Status, e.Mode, e.RunStatus, e.Error)
	}
	return out
}

// testObjectJournal: one object's entries across runs, newest first, with
// their runs' mode and outcome; another job's entries and another
// object's stay out; the limit keeps the newest.
func testObjectJournal(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	if got := objectEntries(t, s, "hr", mapping.KindUser, "u1", 0); len(got) != 0 {
		t.Fatalf("empty store: %v", got)
	}

	run1 := startRun(t, s, "hr", store.ModeFull)
	must(t, s.Plan(ctx, run1, []change.Change{orgCreate("o1", ""), userCreate("u1"), userCreate("u2")}), "Plan run 1")
	must(t, s.Applied(ctx, run1, 0, "O1"), "Applied o1")
	must(t, s.Applied(ctx, run1, 1, "U1"), "Applied u1")
	must(t, s.Applied(ctx, run1, 2, "U2"), "Applied u2")
	must(t, s.FinishRun(ctx, run1, store.RunSucceeded, "", nil), "FinishRun 1")

	// Another job holds an object with the same key.
	other := startRun(t, s, "ldap", store.ModeFull)
	must(t, s.Plan(ctx, other, []change.Change{userCreate("u1")}), "Plan other job")

	run2 := startRun(t, s, "hr", store.ModeFull)
	must(t, s.Plan(ctx, run2, []change.Change{userChange(change.ActionUpdate, "u2", "U2"), userChange(change.ActionUpdate, "u1", "U1")}), "Plan run 2")
	must(t, s.Failed(ctx, run2, 1, errors.New("update u1: 503")), "Failed u1")
	must(t, s.FinishRun(ctx, run2, store.RunFailed, "", errors.New("1 of 2 changes failed")), "FinishRun 2")

	run3 := startRun(t, s, "hr", store.ModeDryRun)
	must(t, s.Plan(ctx, run3, []change.Change{userChange(change.ActionSuspend, "u1", "U1")}), "Plan run 3")
	must(t, s.FinishRun(ctx, run3, store.RunDryRun, "", nil), "FinishRun 3")

	want := []string{
		fmt.Sprintf("%d/0 suspend pending dry_run dry_run ", run3),
		fmt.Sprintf("%d/1 update failed full failed update u1: 503", run2),
		fmt.Sprintf("%d/1 create applied full succeeded ", run1),
	}
	got := objectEntries(t, s, "hr", mapping.KindUser, "u1", 0)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("u1's journal:\n got %q\nwant %q", got, want)
	}
	if got := objectEntries(t, s, "hr", mapping.KindUser, "u1", 2); fmt.Sprint(got) != fmt.Sprint(want[:2]) {
		t.Fatalf("u1's journal, limit 2:\n got %q\nwant %q", got, want[:2])
	}
	if got := objectEntries(t, s, "hr", mapping.KindOrg, "o1", 0); len(got) != 1 || got[0] != fmt.Sprintf("%d/0 create applied full succeeded ", run1) {
		t.Fatalf("o1's journal: %q", got)
	}
	// The kind is part of the object's name.
	if got := objectEntries(t, s, "hr", mapping.KindOrg, "u1", 0); len(got) != 0 {
		t.Fatalf("org u1's journal: %q", got)
	}
	if got := objectEntries(t, s, "ldap", mapping.KindUser, "u1", 0); len(got) != 1 || got[0] != fmt.Sprintf("%d/0 create pending full running ", other) {
		t.Fatalf("ldap u1's journal: %q", got)
	}
}
