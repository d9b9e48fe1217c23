package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

var timeUTC = time.UTC

// Run runs the conformance suite against the stores open returns. See the
// package documentation for what open must do.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"EmptyLinks", testEmptyLinks},
		{"AppliedMaintainsLinks", testAppliedMaintainsLinks},
		{"DeleteRemovesAdoptedLink", testDeleteRemovesAdoptedLink},
		{"Adopt", testAdopt},
		{"Forget", testForget},
		{"Marks", testMarks},
		{"Journal", testJournal},
		{"ObjectJournal", testObjectJournal},
		{"NotFound", testNotFound},
		{"InvalidArguments", testInvalidArguments},
		{"DryRun", testDryRun},
		{"Interrupted", testInterrupted},
		{"Runs", testRuns},
		{"ConcurrentApplied", testConcurrentApplied},
		{"Reopen", testReopen},
		{"HeldPlans", testHeldPlans},
		{"SCIMCreateGetList", testSCIMCreateGetList},
		{"SCIMDuplicateUserName", testSCIMDuplicateUserName},
		{"SCIMUpdate", testSCIMUpdate},
		{"SCIMNotFound", testSCIMNotFound},
		{"SCIMInvalidArguments", testSCIMInvalidArguments},
		{"SCIMTouch", testSCIMTouch},
		{"SCIMChanged", testSCIMChanged},
		{"SCIMFind", testSCIMFind},
		{"SCIMQuery", testSCIMQuery},
		{"SCIMQueryPaging", testSCIMQueryPaging},
		{"SCIMConcurrentUpdates", testSCIMConcurrentUpdates},
		{"SCIMReopen", testSCIMReopen},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, open)
		})
	}
}

// openStore opens t's store and closes it when t ends.
func openStore(t *testing.T, open func(t *testing.T) store.Store) store.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %v", what, target)
	}
	if target != nil && !errors.Is(err, target) {
		t.Fatalf("%s: got %v, want an error wrapping %v", what, err, target)
	}
}

func startRun(t *testing.T, s store.Store, job, mode string) int64 {
	t.Helper()
	id, err := s.StartRun(t.Context(), job, mode)
	must(t, err, fmt.Sprintf("StartRun(%q, %q)", job, mode))
	return id
}

func getRun(t *testing.T, s store.Store, id int64) (store.Run, []store.JournalEntry) {
	t.Helper()
	r, es, err := s.Run(t.Context(), id)
	must(t, err, fmt.Sprintf("Run(%d)", id))
	return r, es
}

func links(t *testing.T, s store.Store, job string) store.Links {
	t.Helper()
	l, err := s.Links(t.Context(), job)
	must(t, err, fmt.Sprintf("Links(%q)", job))
	if l == nil {
		t.Fatalf("Links(%q) = nil, want a non-nil map", job)
	}
	return l
}

// wantLinks compares the job's links with want, treating empty kinds as
// absent.
func wantLinks(t *testing.T, s store.Store, job string, want store.Links) {
	t.Helper()
	got := links(t, s, job)
	norm := func(l store.Links) store.Links {
		n := store.Links{}
		for k, m := range l {
			for key, id := range m {
				n.Set(k, key, id)
			}
		}
		return n
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("Links(%q) = %v, want %v", job, g, w)
	}
}

func wantCounts(t *testing.T, r store.Run, planned, applied, failed int) {
	t.Helper()
	if r.Planned != planned || r.Applied != applied || r.Failed != failed {
		t.Fatalf("run %d counts planned/applied/failed = %d/%d/%d, want %d/%d/%d",
			r.ID, r.Planned, r.Applied, r.Failed, planned, applied, failed)
	}
}

func wantEntry(t *testing.T, e store.JournalEntry, status store.EntryStatus, targetID, errMsg string) {
	t.Helper()
	if e.Status != status || e.TargetID != targetID || e.Error != errMsg {
		t.Fatalf("entry %d/%d = status %q target %q error %q, want %q %q %q",
			e.RunID, e.Seq, e.Status, e.TargetID, e.Error, status, targetID, errMsg)
	}
	if e.UpdatedAt.IsZero() || e.UpdatedAt.Location() != timeUTC {
		t.Fatalf("entry %d/%d UpdatedAt = %v, want a UTC time", e.RunID, e.Seq, e.UpdatedAt)
	}
}

func orgCreate(key, parent string) change.Change {
	return change.Change{Action: change.ActionCreate, Kind: mapping.KindOrg, Key: key,
		Org: &mapping.Org{Key: key, Name: "Org " + key, ParentKey: parent}}
}

func userCreate(key string) change.Change {
	return change.Change{Action: change.ActionCreate, Kind: mapping.KindUser, Key: key,
		User: &mapping.User{Key: key, LoginID: key, Email: key + "@example.com", Name: "User " + key,
			Attributes: map[string]string{"department": "本社/営業部/第一課"}}}
}

func userChange(action change.Action, key, targetID string) change.Change {
	c := change.Change{Action: action, Kind: mapping.KindUser, Key: key, TargetID: targetID}
	switch action {
	case change.ActionUpdate:
		c.User = &mapping.User{Key: key, Name: "Renamed " + key}
		c.Diff = []change.FieldChange{{Field: change.FieldName, Old: "User " + key, New: "Renamed " + key}}
	case change.ActionSuspend:
		c.User = &mapping.User{Key: key, Name: "User " + key, Suspended: true}
	}
	return c
}

func membershipCreate(user, org string) change.Change {
	m := mapping.Membership{UserKey: user, Kind: mapping.KindOrg, ContainerKey: org, Role: mapping.RoleAdmin}
	return change.Change{Action: change.ActionCreate, Kind: mapping.KindMembership, Key: m.ID(), Membership: &m}
}

func testEmptyLinks(t *testing.T, open func(t *testing.T) store.Store) {
	s := openStore(t, open)
	l := links(t, s, "nobody")
	if n := l.Len(); n != 0 {
		t.Fatalf("Links of an unknown job: %d links, want none", n)
	}
	if id, ok := l.TargetID(mapping.KindUser, "u1"); ok {
		t.Fatalf("TargetID on empty links = %q, true", id)
	}
}

func testAppliedMaintainsLinks(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	run := startRun(t, s, "hr", store.ModeFull)
	changes := []change.Change{
		orgCreate("o1", ""),                          // 0
		userCreate("u1"),                             // 1
		membershipCreate("u1", "o1"),                 // 2
		userChange(change.ActionUpdate, "u1", "U1"),  // 3
		userChange(change.ActionSuspend, "u1", "U1"), // 4
		{Action: change.ActionDelete, Kind: mapping.KindOrg, Key: "o1", TargetID: "O1"}, // 5
		userCreate("u2"), // 6
	}
	must(t, s.Plan(ctx, run, changes), "Plan")

	must(t, s.Applied(ctx, run, 0, "O1"), "Applied org create")
	must(t, s.Applied(ctx, run, 1, "U1"), "Applied user create")
	wantLinks(t, s, "hr", store.Links{mapping.KindOrg: {"o1": "O1"}, mapping.KindUser: {"u1": "U1"}})

	must(t, s.Applied(ctx, run, 2, ""), "Applied membership create")
	wantLinks(t, s, "hr", store.Links{mapping.KindOrg: {"o1": "O1"}, mapping.KindUser: {"u1": "U1"}})

	// An update whose result carries no id keeps the change's own id.
	must(t, s.Applied(ctx, run, 3, ""), "Applied user update")
	wantLinks(t, s, "hr", store.Links{mapping.KindOrg: {"o1": "O1"}, mapping.KindUser: {"u1": "U1"}})

	// A suspend whose result carries a new id replaces the link.
	must(t, s.Applied(ctx, run, 4, "U1b"), "Applied user suspend")
	wantLinks(t, s, "hr", store.Links{mapping.KindOrg: {"o1": "O1"}, mapping.KindUser: {"u1": "U1b"}})

	must(t, s.Applied(ctx, run, 5, ""), "Applied org delete")
	wantLinks(t, s, "hr", store.Links{mapping.KindUser: {"u1": "U1b"}})

	// A create without an id cannot be linked: the entry stays pending.
	if err := s.Applied(ctx, run, 6, ""); err == nil {
		t.Fatal("Applied(create, no target id): got no error")
	}
	wantLinks(t, s, "hr", store.Links{mapping.KindUser: {"u1": "U1b"}})
	wantLinks(t, s, "other", store.Links{})

	r, es := getRun(t, s, run)
	wantCounts(t, r, 7, 6, 0)
	wantEntry(t, es[0], store.EntryApplied, "O1", "")
	wantEntry(t, es[2], store.EntryApplied, "", "")
	wantEntry(t, es[3], store.EntryApplied, "U1", "")
	wantEntry(t, es[4], store.EntryApplied, "U1b", "")
	wantEntry(t, es[5], store.EntryApplied, "O1", "")
	wantEntry(t, es[6], store.EntryPending, "", "")
}

func testDeleteRemovesAdoptedLink(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	must(t, s.Adopt(ctx, "hr", []store.Link{{Kind: mapping.KindUser, Key: "u9", TargetID: "U9"}, {Kind: mapping.KindUser, Key: "u8", TargetID: "U8"}}), "Adopt")
	run := startRun(t, s, "hr", store.ModeIncremental)
	must(t, s.Plan(ctx, run, []change.Change{{Action: change.ActionDelete, Kind: mapping.KindUser, Key: "u9", TargetID: "U9"}}), "Plan")
	must(t, s.Applied(ctx, run, 0, ""), "Applied delete")
	wantLinks(t, s, "hr", store.Links{mapping.KindUser: {"u8": "U8"}})
}

func testMarks(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	if m, err := s.Mark(ctx, "hr"); err != nil || m != "" {
		t.Fatalf("Mark of a new job = %q, %v; want \"\"", m, err)
	}
	must(t, s.SetMark(ctx, "hr", "20261123000000Z"), "SetMark")
	must(t, s.SetMark(ctx, "ad", "12345"), "SetMark other job")
	must(t, s.SetMark(ctx, "hr", "20261124000000Z"), "SetMark again")
	if m, err := s.Mark(ctx, "hr"); err != nil || m != "20261124000000Z" {
		t.Errorf("Mark = %q, %v; want the latest", m, err)
	}
	if m, _ := s.Mark(ctx, "ad"); m != "12345" {
		t.Errorf("Mark of the other job = %q", m)
	}
	if err := s.SetMark(ctx, "", "x"); err == nil {
		t.Error("SetMark with an empty job: got no error")
	}
}

func testForget(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	must(t, s.Adopt(ctx, "hr", []store.Link{
		{Kind: mapping.KindUser, Key: "u1", TargetID: "U1"},
		{Kind: mapping.KindUser, Key: "u2", TargetID: "U2"},
		{Kind: mapping.KindOrg, Key: "u1", TargetID: "O1"},
	}), "Adopt")
	must(t, s.Adopt(ctx, "crm", []store.Link{{Kind: mapping.KindUser, Key: "u1", TargetID: "C1"}}), "Adopt other job")
	must(t, s.Forget(ctx, "hr", mapping.KindUser, []string{"u1", "nope"}), "Forget")
	must(t, s.Forget(ctx, "hr", mapping.KindUser, nil), "Forget nothing")
	wantLinks(t, s, "hr", store.Links{mapping.KindUser: {"u2": "U2"}, mapping.KindOrg: {"u1": "O1"}})
	wantLinks(t, s, "crm", store.Links{mapping.KindUser: {"u1": "C1"}})
	if err := s.Forget(ctx, "", mapping.KindUser, []string{"u2"}); err == nil {
		t.Error("Forget with an empty job: got no error")
	}
}

func testAdopt(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	must(t, s.Adopt(ctx, "hr", []store.Link{
		{Kind: mapping.KindOrg, Key: "o1", TargetID: "O1"},
		{Kind: mapping.KindUser, Key: "u1", TargetID: "U1"},
		{Kind: mapping.KindGroup, Key: "g1", TargetID: "G1"},
	}), "Adopt")
	must(t, s.Adopt(ctx, "crm", []store.Link{{Kind: mapping.KindUser, Key: "u1", TargetID: "C1"}}), "Adopt other job")
	must(t, s.Adopt(ctx, "hr", nil), "Adopt nothing")
	want := store.Links{mapping.KindOrg: {"o1": "O1"}, mapping.KindUser: {"u1": "U1"}, mapping.KindGroup: {"g1": "G1"}}
	wantLinks(t, s, "hr", want)

	// Adopting a linked key replaces its link.
	must(t, s.Adopt(ctx, "hr", []store.Link{{Kind: mapping.KindUser, Key: "u1", TargetID: "U1x"}}), "Adopt again")
	want.Set(mapping.KindUser, "u1", "U1x")
	wantLinks(t, s, "hr", want)

	// A bad link fails the whole batch.
	for _, bad := range []store.Link{
		{Kind: mapping.KindUser, Key: "", TargetID: "X"},
		{Kind: mapping.KindUser, Key: "u3", TargetID: ""},
		{Kind: "", Key: "u3", TargetID: "X"},
		{Kind: mapping.KindMembership, Key: "org:o1/u1", TargetID: "M1"},
	} {
		err := s.Adopt(ctx, "hr", []store.Link{{Kind: mapping.KindUser, Key: "u2", TargetID: "U2"}, bad})
		if err == nil {
			t.Fatalf("Adopt(%+v): got no error", bad)
		}
	}
	if err := s.Adopt(ctx, "", []store.Link{{Kind: mapping.KindUser, Key: "u2", TargetID: "U2"}}); err == nil {
		t.Fatal("Adopt with no job: got no error")
	}
	wantLinks(t, s, "hr", want)
	wantLinks(t, s, "crm", store.Links{mapping.KindUser: {"u1": "C1"}})
}

func testJournal(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	run := startRun(t, s, "hr", store.ModeFull)
	changes := []change.Change{
		userCreate("u1"),
		orgCreate("o2", "o1"),
		userChange(change.ActionUpdate, "u3", "U3"),
	}
	changes[0].OrgMemberships = []mapping.Membership{{UserKey: "u1", Kind: mapping.KindOrg, ContainerKey: "o1", Role: mapping.RoleMember}}

	r, es := getRun(t, s, run)
	if r.Status != store.RunRunning || r.Job != "hr" || r.Mode != store.ModeFull || len(es) != 0 {
		t.Fatalf("new run = %+v with %d entries", r, len(es))
	}
	if r.StartedAt.IsZero() || r.StartedAt.Location() != timeUTC || !r.FinishedAt.IsZero() {
		t.Fatalf("new run StartedAt %v FinishedAt %v, want a UTC start and no finish", r.StartedAt, r.FinishedAt)
	}
	wantCounts(t, r, 0, 0, 0)

	must(t, s.Plan(ctx, run, changes), "Plan")
	wantErr(t, s.Plan(ctx, run, changes), store.ErrConflict, "Plan twice")
	r, es = getRun(t, s, run)
	wantCounts(t, r, 3, 0, 0)
	if len(es) != 3 {
		t.Fatalf("Run: %d entries, want 3", len(es))
	}
	for i, e := range es {
		if e.RunID != run || e.Seq != i {
			t.Fatalf("entry %d is run %d seq %d", i, e.RunID, e.Seq)
		}
		if !reflect.DeepEqual(e.Change, changes[i]) {
			t.Fatalf("entry %d change = %+v, want %+v", i, e.Change, changes[i])
		}
		wantEntry(t, e, store.EntryPending, changes[i].TargetID, "")
	}

	must(t, s.Applied(ctx, run, 0, "U1"), "Applied 0")
	must(t, s.Failed(ctx, run, 1, errors.New("parent o1: 422 invalid parentId")), "Failed 1")
	r, es = getRun(t, s, run)
	wantCounts(t, r, 3, 1, 1)
	wantEntry(t, es[0], store.EntryApplied, "U1", "")
	wantEntry(t, es[1], store.EntryFailed, "", "parent o1: 422 invalid parentId")
	wantEntry(t, es[2], store.EntryPending, "U3", "")

	// Failing again replaces the message, not the count.
	must(t, s.Failed(ctx, run, 1, errors.New("second try: 503")), "Failed 1 again")
	r, es = getRun(t, s, run)
	wantCounts(t, r, 3, 1, 1)
	wantEntry(t, es[1], store.EntryFailed, "", "second try: 503")

	// A retry that succeeds moves the entry from failed to applied.
	must(t, s.Applied(ctx, run, 1, "O2"), "Applied 1 after failure")
	// Applying twice is harmless.
	must(t, s.Applied(ctx, run, 0, "U1"), "Applied 0 again")
	r, es = getRun(t, s, run)
	wantCounts(t, r, 3, 2, 0)
	wantEntry(t, es[1], store.EntryApplied, "O2", "")

	// An applied entry never fails.
	wantErr(t, s.Failed(ctx, run, 0, errors.New("late")), store.ErrConflict, "Failed on an applied entry")

	must(t, s.Failed(ctx, run, 2, errors.New("update u3: 500")), "Failed 2")
	runErr := errors.New("1 of 3 changes failed")
	must(t, s.FinishRun(ctx, run, store.RunFailed, "+2 ~0 -0, 1 failed", runErr), "FinishRun")
	wantErr(t, s.FinishRun(ctx, run, store.RunSucceeded, "", nil), store.ErrConflict, "FinishRun twice")
	wantErr(t, s.Plan(ctx, run, nil), store.ErrConflict, "Plan after finish")

	r, es = getRun(t, s, run)
	wantCounts(t, r, 3, 2, 1)
	if r.Status != store.RunFailed || r.Summary != "+2 ~0 -0, 1 failed" || r.Error != runErr.Error() {
		t.Fatalf("finished run = %+v", r)
	}
	if r.FinishedAt.IsZero() || r.FinishedAt.Location() != timeUTC {
		t.Fatalf("finished run FinishedAt = %v, want a UTC time", r.FinishedAt)
	}
	if len(es) != 3 {
		t.Fatalf("finished run has %d entries, want 3", len(es))
	}

	// An empty plan is a plan.
	run2 := startRun(t, s, "hr", store.ModeIncremental)
	must(t, s.Plan(ctx, run2, nil), "Plan nothing")
	must(t, s.FinishRun(ctx, run2, store.RunSucceeded, "nothing to do", nil), "FinishRun empty")
	r, es = getRun(t, s, run2)
	wantCounts(t, r, 0, 0, 0)
	if len(es) != 0 || r.Status != store.RunSucceeded || r.Error != "" {
		t.Fatalf("empty run = %+v with %d entries", r, len(es))
	}
}

func testNotFound(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	run := startRun(t, s, "hr", store.ModeFull)
	must(t, s.Plan(ctx, run, []change.Change{userCreate("u1")}), "Plan")
	missing := run + 1000

	_, _, err := s.Run(ctx, missing)
	wantErr(t, err, store.ErrNotFound, "Run of a missing run")
	wantErr(t, s.Plan(ctx, missing, nil), store.ErrNotFound, "Plan of a missing run")
	wantErr(t, s.Applied(ctx, missing, 0, "X"), store.ErrNotFound, "Applied of a missing run")
	wantErr(t, s.Applied(ctx, run, 1, "X"), store.ErrNotFound, "Applied of a missing entry")
	wantErr(t, s.Applied(ctx, run, -1, "X"), store.ErrNotFound, "Applied of a negative entry")
	wantErr(t, s.Failed(ctx, run, 1, errors.New("x")), store.ErrNotFound, "Failed of a missing entry")
	wantErr(t, s.FinishRun(ctx, missing, store.RunSucceeded, "", nil), store.ErrNotFound, "FinishRun of a missing run")
}

func testInvalidArguments(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	if _, err := s.StartRun(ctx, "", store.ModeFull); err == nil {
		t.Fatal("StartRun with no job: got no error")
	}
	if _, err := s.StartRun(ctx, "hr", "sometimes"); err == nil {
		t.Fatal("StartRun with an unknown mode: got no error")
	}
	run := startRun(t, s, "hr", store.ModeFull)
	for _, st := range []store.RunStatus{store.RunRunning, "", "done"} {
		if err := s.FinishRun(ctx, run, st, "", nil); err == nil {
			t.Fatalf("FinishRun(%q): got no error", st)
		}
	}
	r, _ := getRun(t, s, run)
	if r.Status != store.RunRunning {
		t.Fatalf("run status after refused FinishRun = %q", r.Status)
	}
	runs, err := s.Runs(ctx, "", 0)
	must(t, err, "Runs")
	if len(runs) != 1 {
		t.Fatalf("Runs: %d runs, want 1 (the refused StartRun calls recorded nothing)", len(runs))
	}
}

func testDryRun(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	run := startRun(t, s, "hr", store.ModeDryRun)
	must(t, s.Plan(ctx, run, []change.Change{userCreate("u1"), orgCreate("o1", "")}), "Plan")
	wantErr(t, s.Applied(ctx, run, 0, "U1"), store.ErrConflict, "Applied in a dry run")
	must(t, s.FinishRun(ctx, run, store.RunDryRun, "+2", nil), "FinishRun")
	wantLinks(t, s, "hr", store.Links{})
	r, es := getRun(t, s, run)
	wantCounts(t, r, 2, 0, 0)
	if r.Status != store.RunDryRun || r.Mode != store.ModeDryRun {
		t.Fatalf("dry run = %+v", r)
	}
	for _, e := range es {
		wantEntry(t, e, store.EntryPending, "", "")
	}
}

func testInterrupted(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s1 := openStore(t, open)
	a1 := startRun(t, s1, "a", store.ModeFull)
	must(t, s1.Plan(ctx, a1, []change.Change{userCreate("u1"), userCreate("u2"), userCreate("u3"), userCreate("u4")}), "Plan")
	must(t, s1.Applied(ctx, a1, 0, "U1"), "Applied")
	must(t, s1.Failed(ctx, a1, 1, errors.New("409 conflict")), "Failed")
	a2 := startRun(t, s1, "a", store.ModeIncremental)
	must(t, s1.FinishRun(ctx, a2, store.RunSucceeded, "", nil), "FinishRun")
	b1 := startRun(t, s1, "b", store.ModeFull)
	a3 := startRun(t, s1, "a", store.ModeIncremental)
	// The process dies: nothing finishes the running runs.
	must(t, s1.Close(), "Close")

	s2 := openStore(t, open)
	runs, entries, err := s2.Interrupted(ctx, "a")
	must(t, err, "Interrupted(a)")
	if len(runs) != 2 || runs[0].ID != a1 || runs[1].ID != a3 {
		t.Fatalf("Interrupted(a) runs = %+v, want runs %d and %d", runs, a1, a3)
	}
	for _, r := range runs {
		if r.Status != store.RunInterrupted || r.FinishedAt.IsZero() || r.Job != "a" {
			t.Fatalf("interrupted run = %+v", r)
		}
	}
	wantCounts(t, runs[0], 4, 1, 1)
	if len(entries) != 2 {
		t.Fatalf("Interrupted(a) entries = %+v, want the 2 pending entries of run %d", entries, a1)
	}
	for i, e := range entries {
		if e.RunID != a1 || e.Seq != i+2 || e.Change.Key != fmt.Sprintf("u%d", i+3) {
			t.Fatalf("pending entry %d = run %d seq %d key %q", i, e.RunID, e.Seq, e.Change.Key)
		}
		wantEntry(t, e, store.EntryPending, "", "")
	}
	wantLinks(t, s2, "a", store.Links{mapping.KindUser: {"u1": "U1"}})

	// The runs stay interrupted, as Run and Runs show.
	r, _ := getRun(t, s2, a1)
	if r.Status != store.RunInterrupted || !r.FinishedAt.Equal(runs[0].FinishedAt) {
		t.Fatalf("Run(%d) after Interrupted = %+v", a1, r)
	}
	runs, entries, err = s2.Interrupted(ctx, "a")
	must(t, err, "Interrupted(a) again")
	if len(runs) != 0 || len(entries) != 0 {
		t.Fatalf("Interrupted(a) again = %d runs, %d entries, want none", len(runs), len(entries))
	}
	wantErr(t, s2.FinishRun(ctx, a1, store.RunSucceeded, "", nil), store.ErrConflict, "FinishRun of an interrupted run")

	// Another job's running run is left alone until asked for.
	r, _ = getRun(t, s2, b1)
	if r.Status != store.RunRunning {
		t.Fatalf("run of job b = %q, want running", r.Status)
	}
	runs, _, err = s2.Interrupted(ctx, "")
	must(t, err, "Interrupted(all)")
	if len(runs) != 1 || runs[0].ID != b1 {
		t.Fatalf("Interrupted(all) = %+v, want run %d", runs, b1)
	}
	r, _ = getRun(t, s2, a2)
	if r.Status != store.RunSucceeded {
		t.Fatalf("finished run = %q after Interrupted, want succeeded", r.Status)
	}
}

func testRuns(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	var ids []int64
	for _, job := range []string{"a", "b", "a", "a", "b"} {
		ids = append(ids, startRun(t, s, job, store.ModeFull))
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("run ids %v do not grow", ids)
		}
	}
	must(t, s.FinishRun(ctx, ids[1], store.RunRefused, "would delete 80% of users", errors.New("deletion threshold")), "FinishRun")

	check := func(job string, limit int, want ...int64) {
		t.Helper()
		runs, err := s.Runs(ctx, job, limit)
		must(t, err, fmt.Sprintf("Runs(%q, %d)", job, limit))
		var got []int64
		for _, r := range runs {
			got = append(got, r.ID)
			if job != "" && r.Job != job {
				t.Fatalf("Runs(%q) returned a run of job %q", job, r.Job)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Runs(%q, %d) = %v, want %v", job, limit, got, want)
		}
	}
	check("a", 0, ids[3], ids[2], ids[0])
	check("a", 2, ids[3], ids[2])
	check("a", -1, ids[3], ids[2], ids[0])
	check("b", 10, ids[4], ids[1])
	check("", 0, ids[4], ids[3], ids[2], ids[1], ids[0])
	check("", 3, ids[4], ids[3], ids[2])
	check("c", 0)

	runs, err := s.Runs(ctx, "b", 0)
	must(t, err, "Runs(b)")
	if r := runs[1]; r.Status != store.RunRefused || r.Error != "deletion threshold" || r.Summary != "would delete 80% of users" {
		t.Fatalf("refused run = %+v", r)
	}
	r, _ := getRun(t, s, ids[1])
	if !reflect.DeepEqual(r, runs[1]) {
		t.Fatalf("Run(%d) = %+v, Runs gave %+v", ids[1], r, runs[1])
	}
}

func testConcurrentApplied(t *testing.T, open func(t *testing.T) store.Store) {
	const workers, each = 8, 40
	ctx := t.Context()
	s := openStore(t, open)
	run := startRun(t, s, "hr", store.ModeFull)
	changes := make([]change.Change, workers*each)
	for i := range changes {
		changes[i] = userCreate(fmt.Sprintf("u%03d", i))
	}
	must(t, s.Plan(ctx, run, changes), "Plan")

	readCtx, stop := context.WithCancel(ctx)
	var readers, writers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for readCtx.Err() == nil {
				if _, err := s.Links(readCtx, "hr"); err != nil && readCtx.Err() == nil {
					t.Errorf("concurrent Links: %v", err)
					return
				}
				if _, _, err := s.Run(readCtx, run); err != nil && readCtx.Err() == nil {
					t.Errorf("concurrent Run: %v", err)
					return
				}
			}
		})
	}
	for w := range workers {
		writers.Go(func() {
			for seq := w; seq < len(changes); seq += workers {
				if seq%7 == 3 {
					if err := s.Failed(ctx, run, seq, errors.New("transient")); err != nil {
						t.Errorf("Failed(%d): %v", seq, err)
						return
					}
				}
				if err := s.Applied(ctx, run, seq, fmt.Sprintf("U%03d", seq)); err != nil {
					t.Errorf("Applied(%d): %v", seq, err)
					return
				}
			}
		})
	}
	writers.Wait()
	stop()
	readers.Wait()
	if t.Failed() {
		return
	}

	l := links(t, s, "hr")
	if n := l.Len(); n != len(changes) {
		t.Fatalf("%d links after concurrent Applied, want %d", n, len(changes))
	}
	for i := range changes {
		key, want := fmt.Sprintf("u%03d", i), fmt.Sprintf("U%03d", i)
		if got, _ := l.TargetID(mapping.KindUser, key); got != want {
			t.Fatalf("link %s = %q, want %q", key, got, want)
		}
	}
	r, es := getRun(t, s, run)
	wantCounts(t, r, len(changes), len(changes), 0)
	for _, e := range es {
		wantEntry(t, e, store.EntryApplied, fmt.Sprintf("U%03d", e.Seq), "")
	}
}

func testReopen(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s1 := openStore(t, open)
	must(t, s1.Adopt(ctx, "hr", []store.Link{{Kind: mapping.KindGroup, Key: "g1", TargetID: "G1"}}), "Adopt")
	run := startRun(t, s1, "hr", store.ModeFull)
	must(t, s1.Plan(ctx, run, []change.Change{orgCreate("o1", ""), userCreate("u1"), membershipCreate("u1", "o1")}), "Plan")
	must(t, s1.Applied(ctx, run, 0, "O1"), "Applied")
	must(t, s1.Failed(ctx, run, 1, errors.New("422 email taken")), "Failed")
	must(t, s1.FinishRun(ctx, run, store.RunFailed, "+1, 1 failed", errors.New("1 change failed")), "FinishRun")
	running := startRun(t, s1, "crm", store.ModeIncremental)

	wantL := links(t, s1, "hr")
	wantRuns, err := s1.Runs(ctx, "", 0)
	must(t, err, "Runs")
	wantRun, wantEntries := getRun(t, s1, run)
	must(t, s1.Close(), "Close")
	must(t, s1.Close(), "Close twice")

	s2 := openStore(t, open)
	if got := links(t, s2, "hr"); !reflect.DeepEqual(got, wantL) {
		t.Fatalf("links after reopen = %v, want %v", got, wantL)
	}
	gotRuns, err := s2.Runs(ctx, "", 0)
	must(t, err, "Runs after reopen")
	if !reflect.DeepEqual(gotRuns, wantRuns) {
		t.Fatalf("runs after reopen = %+v, want %+v", gotRuns, wantRuns)
	}
	gotRun, gotEntries := getRun(t, s2, run)
	if !reflect.DeepEqual(gotRun, wantRun) || !reflect.DeepEqual(gotEntries, wantEntries) {
		t.Fatalf("run after reopen = %+v %+v, want %+v %+v", gotRun, gotEntries, wantRun, wantEntries)
	}
	next := startRun(t, s2, "hr", store.ModeFull)
	if next <= running {
		t.Fatalf("run id after reopen = %d, want more than %d", next, running)
	}
}

func scimUser(id, name string) store.SCIMResource {
	return store.SCIMResource{Type: store.SCIMUser, ID: id, ExternalID: "ext-" + id, Name: name,
		Doc: []byte(`{"userName":` + jsonString(name) + `,"active":true}`)}
}

func scimGroup(id, name string) store.SCIMResource {
	return store.SCIMResource{Type: store.SCIMGroup, ID: id, Name: name,
		Doc: []byte(`{"displayName":` + jsonString(name) + `}`)}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func scimCreate(t *testing.T, s store.Store, res store.SCIMResource) store.SCIMResource {
	t.Helper()
	got, err := s.SCIMCreate(t.Context(), res)
	must(t, err, fmt.Sprintf("SCIMCreate(%s %q)", res.Type, res.ID))
	return got
}

func scimGet(t *testing.T, s store.Store, typ, id string) store.SCIMResource {
	t.Helper()
	got, err := s.SCIMGet(t.Context(), typ, id)
	must(t, err, fmt.Sprintf("SCIMGet(%s %q)", typ, id))
	return got
}

func scimChanged(t *testing.T, s store.Store, since int64) ([]store.SCIMResource, int64) {
	t.Helper()
	list, hi, err := s.SCIMChanged(t.Context(), since)
	must(t, err, fmt.Sprintf("SCIMChanged(%d)", since))
	return list, hi
}

// scimEqual compares two resources, Doc as bytes (nil and empty alike).
func scimEqual(a, b store.SCIMResource) bool {
	if !bytes.Equal(a.Doc, b.Doc) {
		return false
	}
	a.Doc, b.Doc = nil, nil
	return reflect.DeepEqual(a, b)
}

func wantSCIM(t *testing.T, got, want store.SCIMResource, what string) {
	t.Helper()
	if !scimEqual(got, want) {
		t.Fatalf("%s = %+v (doc %s), want %+v (doc %s)", what, got, got.Doc, want, want.Doc)
	}
}

// scimIDs lists type/id of each resource, in order.
func scimIDs(list []store.SCIMResource) []string {
	ids := []string{}
	for _, r := range list {
		ids = append(ids, r.Type+"/"+r.ID)
	}
	return ids
}

func wantSCIMIDs(t *testing.T, list []store.SCIMResource, what string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := scimIDs(list); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func testSCIMCreateGetList(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	before := time.Now().Add(-time.Second)

	in := scimUser("u-b", "bob@example.com")
	b := scimCreate(t, s, in)
	if b.Type != in.Type || b.ID != in.ID || b.ExternalID != in.ExternalID || b.Name != in.Name || !bytes.Equal(b.Doc, in.Doc) {
		t.Fatalf("SCIMCreate = %+v, want the fields of %+v", b, in)
	}
	if b.Version != 1 || b.Seq <= 0 || b.Deleted {
		t.Fatalf("SCIMCreate: Version %d Seq %d Deleted %v, want 1, > 0, false", b.Version, b.Seq, b.Deleted)
	}
	if b.Created.Location() != timeUTC || b.Modified.Location() != timeUTC || b.Created.Before(before) || !b.Modified.Equal(b.Created) {
		t.Fatalf("SCIMCreate: Created %v Modified %v, want the same UTC time, now", b.Created, b.Modified)
	}
	wantSCIM(t, scimGet(t, s, store.SCIMUser, "u-b"), b, "SCIMGet(u-b)")

	// Created set by the caller is kept, in UTC; List orders by Created then
	// ID. Whole seconds, which every database stores exactly.
	early := time.Date(2024, 4, 1, 9, 0, 0, 0, time.FixedZone("JST", 9*3600))
	in = scimUser("u-z", "zed@example.com")
	in.Created = early
	z := scimCreate(t, s, in)
	if !z.Created.Equal(early) || z.Created.Location() != timeUTC || z.Modified.Before(before) {
		t.Fatalf("SCIMCreate with Created %v: Created %v Modified %v", early, z.Created, z.Modified)
	}
	in = scimUser("u-a", "alice@example.com")
	in.Created = early.UTC()
	a := scimCreate(t, s, in)
	wantSCIM(t, scimGet(t, s, store.SCIMUser, "u-z"), z, "SCIMGet(u-z)")
	if !(b.Seq < z.Seq && z.Seq < a.Seq) {
		t.Fatalf("Seq of three creates = %d, %d, %d, want them growing", b.Seq, z.Seq, a.Seq)
	}

	created := func(res store.SCIMResource, at time.Time) store.SCIMResource {
		res.Created = at
		return res
	}
	g2 := scimCreate(t, s, created(scimGroup("g-2", "Sales"), early.Add(time.Hour)))
	g1 := scimCreate(t, s, created(scimGroup("g-1", "Engineering"), early.Add(2*time.Hour)))
	// A Group and a User may share an id: resources are keyed by type and id.
	shared := scimCreate(t, s, created(scimGroup("u-a", "Shared id"), early.Add(2*time.Hour)))

	users, err := s.SCIMList(ctx, store.SCIMUser)
	must(t, err, "SCIMList(User)")
	wantSCIMIDs(t, users, "SCIMList(User)", "User/u-a", "User/u-z", "User/u-b")
	for i, want := range []store.SCIMResource{a, z, b} {
		wantSCIM(t, users[i], want, "SCIMList(User) item")
	}
	groups, err := s.SCIMList(ctx, store.SCIMGroup)
	must(t, err, "SCIMList(Group)")
	wantSCIMIDs(t, groups, "SCIMList(Group)", "Group/g-2", "Group/g-1", "Group/u-a")
	for i, want := range []store.SCIMResource{g2, g1, shared} {
		wantSCIM(t, groups[i], want, "SCIMList(Group) item")
	}
	if g := scimGet(t, s, store.SCIMUser, "u-a"); g.Name != "alice@example.com" {
		t.Fatalf("SCIMGet(User u-a) = %+v, want the User", g)
	}
}

func testSCIMDuplicateUserName(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	first := scimCreate(t, s, scimUser("u1", "UserName123"))

	_, err := s.SCIMCreate(ctx, scimUser("u2", "username123"))
	wantErr(t, err, store.ErrDuplicate, "SCIMCreate of a userName differing in case")
	_, err = s.SCIMCreate(ctx, scimUser("u2", "UserName123"))
	wantErr(t, err, store.ErrDuplicate, "SCIMCreate of the same userName")
	scimCreate(t, s, scimUser("e1", "ÉLODIE.Ünal@example.com"))
	_, err = s.SCIMCreate(ctx, scimUser("e2", "élodie.ünal@EXAMPLE.com"))
	wantErr(t, err, store.ErrDuplicate, "SCIMCreate of a non-ASCII userName differing in case")

	// The same id, live or deleted, is a conflict, not a duplicate name.
	_, err = s.SCIMCreate(ctx, scimUser("u1", "someone-else"))
	wantErr(t, err, store.ErrConflict, "SCIMCreate of an existing id")

	// An update may not take another User's name, but may recase its own.
	other := scimCreate(t, s, scimUser("u3", "other"))
	upd := other
	upd.Name = "USERNAME123"
	_, err = s.SCIMUpdate(ctx, upd, other.Version, nil)
	wantErr(t, err, store.ErrDuplicate, "SCIMUpdate to a taken userName")
	wantSCIM(t, scimGet(t, s, store.SCIMUser, "u3"), other, "User after a refused update")
	upd = first
	upd.Name = "USERNAME123"
	first, err = s.SCIMUpdate(ctx, upd, first.Version, nil)
	must(t, err, "SCIMUpdate recasing its own userName")

	// Groups' names may repeat, and may equal a User's.
	scimCreate(t, s, scimGroup("g1", "Sales"))
	scimCreate(t, s, scimGroup("g2", "sales"))
	scimCreate(t, s, scimGroup("g3", "Sales"))
	scimCreate(t, s, scimGroup("g4", "username123"))
	groups, err := s.SCIMList(ctx, store.SCIMGroup)
	must(t, err, "SCIMList(Group)")
	if len(groups) != 4 {
		t.Fatalf("SCIMList(Group): %d groups, want 4", len(groups))
	}

	// A deleted User's name is free again; its id is not.
	must(t, s.SCIMDelete(ctx, store.SCIMUser, "u1", nil), "SCIMDelete(u1)")
	again := scimCreate(t, s, scimUser("u4", "username123"))
	_, err = s.SCIMCreate(ctx, scimUser("u1", "fresh"))
	wantErr(t, err, store.ErrConflict, "SCIMCreate of a deleted id")
	_, err = s.SCIMCreate(ctx, scimUser("u5", "UserName123"))
	wantErr(t, err, store.ErrDuplicate, "SCIMCreate of the new User's name")
	// Deleting the new one too leaves two tombstones of the name.
	must(t, s.SCIMDelete(ctx, store.SCIMUser, again.ID, nil), "SCIMDelete(u4)")
	scimCreate(t, s, scimUser("u6", "userNAME123"))
	users, err := s.SCIMList(ctx, store.SCIMUser)
	must(t, err, "SCIMList(User)")
	if len(users) != 3 { // e1, u3, u6
		t.Fatalf("SCIMList(User) = %v, want 3 live users", scimIDs(users))
	}
}

func testSCIMUpdate(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	u := scimCreate(t, s, scimUser("u1", "alice"))

	in := store.SCIMResource{Type: store.SCIMUser, ID: "u1", ExternalID: "ext-2", Name: "alice.smith",
		Doc: []byte(`{"userName":"alice.smith","active":false}`)}
	got, err := s.SCIMUpdate(ctx, in, 1, nil)
	must(t, err, "SCIMUpdate with the right version")
	if got.Version != 2 || got.Seq <= u.Seq || got.Deleted {
		t.Fatalf("SCIMUpdate: Version %d Seq %d (was %d) Deleted %v, want 2, more, false", got.Version, got.Seq, u.Seq, got.Deleted)
	}
	if got.ExternalID != in.ExternalID || got.Name != in.Name || !bytes.Equal(got.Doc, in.Doc) {
		t.Fatalf("SCIMUpdate = %+v, want the fields of %+v", got, in)
	}
	if !got.Created.Equal(u.Created) || got.Modified.Before(u.Modified) || got.Modified.Location() != timeUTC {
		t.Fatalf("SCIMUpdate: Created %v Modified %v, want Created %v and a later UTC Modified", got.Created, got.Modified, u.Created)
	}
	wantSCIM(t, scimGet(t, s, store.SCIMUser, "u1"), got, "SCIMGet after update")

	// A writer that read version 1 is too late.
	stale := in
	stale.Name = "lost"
	_, err = s.SCIMUpdate(ctx, stale, 1, nil)
	wantErr(t, err, store.ErrStale, "SCIMUpdate with an old version")
	_, err = s.SCIMUpdate(ctx, stale, 3, nil)
	wantErr(t, err, store.ErrStale, "SCIMUpdate with a future version")
	wantSCIM(t, scimGet(t, s, store.SCIMUser, "u1"), got, "SCIMGet after stale updates")

	// The freed name can be taken by another User.
	scimCreate(t, s, scimUser("u2", "Alice"))

	got3, err := s.SCIMUpdate(ctx, in, 2, nil)
	must(t, err, "SCIMUpdate again")
	if got3.Version != 3 || got3.Seq <= got.Seq {
		t.Fatalf("second SCIMUpdate: Version %d Seq %d, want 3 and more than %d", got3.Version, got3.Seq, got.Seq)
	}

	g := scimCreate(t, s, scimGroup("g1", "Sales"))
	gin := scimGroup("g1", "Sales EMEA")
	gin.Doc = nil
	gu, err := s.SCIMUpdate(ctx, gin, g.Version, nil)
	must(t, err, "SCIMUpdate of a group to an empty doc")
	if gu.Version != 2 || len(gu.Doc) != 0 || gu.Name != "Sales EMEA" {
		t.Fatalf("SCIMUpdate(group) = %+v", gu)
	}
	wantSCIM(t, scimGet(t, s, store.SCIMGroup, "g1"), gu, "SCIMGet(group) after update")
}

func testSCIMNotFound(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	u := scimCreate(t, s, scimUser("u1", "alice"))
	scimCreate(t, s, scimGroup("g1", "Sales"))

	_, err := s.SCIMGet(ctx, store.SCIMUser, "nope")
	wantErr(t, err, store.ErrNotFound, "SCIMGet of a missing user")
	_, err = s.SCIMGet(ctx, store.SCIMUser, "g1")
	wantErr(t, err, store.ErrNotFound, "SCIMGet of a group's id as a user")
	_, err = s.SCIMUpdate(ctx, scimUser("nope", "nobody"), 1, nil)
	wantErr(t, err, store.ErrNotFound, "SCIMUpdate of a missing user")
	wantErr(t, s.SCIMDelete(ctx, store.SCIMGroup, "nope", nil), store.ErrNotFound, "SCIMDelete of a missing group")
	wantErr(t, s.SCIMDelete(ctx, store.SCIMGroup, "u1", nil), store.ErrNotFound, "SCIMDelete of a user's id as a group")

	must(t, s.SCIMDelete(ctx, store.SCIMUser, "u1", nil), "SCIMDelete")
	_, err = s.SCIMGet(ctx, store.SCIMUser, "u1")
	wantErr(t, err, store.ErrNotFound, "SCIMGet of a deleted user")
	_, err = s.SCIMUpdate(ctx, u, u.Version, nil)
	wantErr(t, err, store.ErrNotFound, "SCIMUpdate of a deleted user")
	wantErr(t, s.SCIMDelete(ctx, store.SCIMUser, "u1", nil), store.ErrNotFound, "SCIMDelete twice")
	users, err := s.SCIMList(ctx, store.SCIMUser)
	must(t, err, "SCIMList(User)")
	wantSCIMIDs(t, users, "SCIMList(User) after delete")
	groups, err := s.SCIMList(ctx, store.SCIMGroup)
	must(t, err, "SCIMList(Group)")
	wantSCIMIDs(t, groups, "SCIMList(Group)", "Group/g1")
}

func testSCIMInvalidArguments(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	for _, bad := range []store.SCIMResource{
		{Type: "Widget", ID: "w1", Name: "w", Doc: []byte(`{}`)},
		{Type: "", ID: "w1", Name: "w", Doc: []byte(`{}`)},
		{Type: "user", ID: "w1", Name: "w", Doc: []byte(`{}`)},
		{Type: store.SCIMUser, ID: "", Name: "w", Doc: []byte(`{}`)},
		{Type: store.SCIMUser, ID: "w1", Name: "", Doc: []byte(`{}`)},
		{Type: store.SCIMGroup, ID: "w1", Name: "", Doc: []byte(`{}`)},
	} {
		if _, err := s.SCIMCreate(ctx, bad); err == nil {
			t.Fatalf("SCIMCreate(%+v): got no error", bad)
		}
	}
	u := scimCreate(t, s, scimUser("u1", "alice"))
	noName := u
	noName.Name = ""
	if _, err := s.SCIMUpdate(ctx, noName, u.Version, nil); err == nil {
		t.Fatal("SCIMUpdate with an empty Name: got no error")
	}
	if _, err := s.SCIMList(ctx, "Widget"); err == nil {
		t.Fatal("SCIMList(Widget): got no error")
	}
	wantSCIM(t, scimGet(t, s, store.SCIMUser, "u1"), u, "user after refused calls")
	list, hi := scimChanged(t, s, 0)
	wantSCIMIDs(t, list, "SCIMChanged(0)", "User/u1")
	if hi != u.Seq {
		t.Fatalf("SCIMChanged(0) highest Seq = %d, want %d (refused calls take none)", hi, u.Seq)
	}
}

func testSCIMTouch(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	u1 := scimCreate(t, s, scimUser("u1", "alice"))
	u2 := scimCreate(t, s, scimUser("u2", "bob"))
	u3 := scimCreate(t, s, scimUser("u3", "carol"))
	g := scimCreate(t, s, scimGroup("g1", "Sales"))
	must(t, s.SCIMDelete(ctx, store.SCIMUser, "u3", nil), "SCIMDelete(u3)")
	_, since := scimChanged(t, s, 0) // the Seq of u3's tombstone
	if since <= u3.Seq {
		t.Fatalf("highest Seq after deleting u3 = %d, want more than %d", since, u3.Seq)
	}
	u3Deleted := since

	// Adding u1 to the group touches u1; unknown and deleted ids and a
	// group's id are ignored.
	gin := scimGroup("g1", "Sales")
	gin.Doc = []byte(`{"displayName":"Sales","members":[{"value":"u1"}]}`)
	g, err := s.SCIMUpdate(ctx, gin, g.Version, []string{"u1", "nope", "u3", "g1"})
	must(t, err, "SCIMUpdate(group) touching u1")
	list, hi := scimChanged(t, s, since)
	wantSCIMIDs(t, list, "SCIMChanged after a touching update", "Group/g1", "User/u1")
	if list[0].Seq != g.Seq || list[1].Seq != g.Seq || hi != g.Seq {
		t.Fatalf("SCIMChanged: Seqs %d, %d and highest %d, want all %d", list[0].Seq, list[1].Seq, hi, g.Seq)
	}
	wantSCIM(t, list[0], g, "changed group")
	// A touch changes the Seq and nothing else.
	touched := u1
	touched.Seq = g.Seq
	wantSCIM(t, list[1], touched, "touched user")
	wantSCIM(t, scimGet(t, s, store.SCIMUser, "u1"), touched, "SCIMGet of the touched user")
	wantSCIM(t, scimGet(t, s, store.SCIMUser, "u2"), u2, "SCIMGet of an untouched user")

	// Deleting the group touches its members, in the same sequence as the
	// tombstone.
	since = hi
	must(t, s.SCIMDelete(ctx, store.SCIMGroup, "g1", []string{"u2", "u1"}), "SCIMDelete(group) touching u1 and u2")
	list, hi = scimChanged(t, s, since)
	wantSCIMIDs(t, list, "SCIMChanged after a touching delete", "Group/g1", "User/u1", "User/u2")
	if hi <= since {
		t.Fatalf("SCIMChanged highest Seq = %d, want more than %d", hi, since)
	}
	for _, r := range list {
		if r.Seq != hi {
			t.Fatalf("SCIMChanged: %s/%s has Seq %d, want %d", r.Type, r.ID, r.Seq, hi)
		}
	}
	if !list[0].Deleted || !bytes.Equal(list[0].Doc, g.Doc) || list[0].Version != g.Version {
		t.Fatalf("group tombstone = %+v, want Deleted with version and doc kept", list[0])
	}
	if list[1].Deleted || list[1].Version != 1 || list[2].Deleted {
		t.Fatalf("touched users = %+v, want live and unchanged", list[1:])
	}

	// A touching update of a user may name the user itself.
	uin := scimUser("u2", "bob")
	u2b, err := s.SCIMUpdate(ctx, uin, 1, []string{"u2", "u1"})
	must(t, err, "SCIMUpdate(user) touching itself")
	list, _ = scimChanged(t, s, hi)
	wantSCIMIDs(t, list, "SCIMChanged after a user's touching update", "User/u1", "User/u2")
	wantSCIM(t, list[1], u2b, "updated user")
	if got := scimGet(t, s, store.SCIMUser, "u1"); got.Seq != u2b.Seq {
		t.Fatalf("touched u1 Seq = %d, want %d", got.Seq, u2b.Seq)
	}

	// The deleted user was never touched: its Seq is its delete's.
	list, _ = scimChanged(t, s, 0)
	for _, r := range list {
		if r.ID == "u3" && r.Seq != u3Deleted {
			t.Fatalf("deleted user u3 has Seq %d, want %d (never touched)", r.Seq, u3Deleted)
		}
	}
}

func testSCIMChanged(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	list, hi := scimChanged(t, s, 0)
	if len(list) != 0 || hi != 0 {
		t.Fatalf("SCIMChanged(0) on an empty store = %v, %d; want nothing, 0", scimIDs(list), hi)
	}

	u1 := scimCreate(t, s, scimUser("u1", "alice"))
	g1 := scimCreate(t, s, scimGroup("g1", "Sales"))
	u2 := scimCreate(t, s, scimUser("u2", "bob"))
	must(t, s.SCIMDelete(ctx, store.SCIMUser, "u1", nil), "SCIMDelete(u1)")
	g1, err := s.SCIMUpdate(ctx, scimGroup("g1", "Sales EMEA"), g1.Version, nil)
	must(t, err, "SCIMUpdate(g1)")

	list, hi = scimChanged(t, s, 0)
	wantSCIMIDs(t, list, "SCIMChanged(0)", "User/u2", "User/u1", "Group/g1")
	for i := 1; i < len(list); i++ {
		if list[i].Seq <= list[i-1].Seq {
			t.Fatalf("SCIMChanged(0) Seqs %d then %d, want them growing", list[i-1].Seq, list[i].Seq)
		}
	}
	if hi != g1.Seq {
		t.Fatalf("SCIMChanged(0) highest Seq = %d, want %d", hi, g1.Seq)
	}
	tomb := list[1]
	if !tomb.Deleted || tomb.Seq <= u2.Seq || !bytes.Equal(tomb.Doc, u1.Doc) || tomb.Version != 1 ||
		!tomb.Created.Equal(u1.Created) || tomb.Modified.Before(u1.Modified) || tomb.Modified.Location() != timeUTC {
		t.Fatalf("tombstone = %+v, want u1 deleted with a later Seq and Modified", tomb)
	}
	wantSCIM(t, list[0], u2, "changed u2")
	wantSCIM(t, list[2], g1, "changed g1")

	list, hi2 := scimChanged(t, s, u2.Seq)
	wantSCIMIDs(t, list, "SCIMChanged(u2)", "User/u1", "Group/g1")
	if hi2 != hi {
		t.Fatalf("SCIMChanged(%d) highest Seq = %d, want %d", u2.Seq, hi2, hi)
	}
	list, hi2 = scimChanged(t, s, hi)
	if len(list) != 0 || hi2 != hi {
		t.Fatalf("SCIMChanged(%d) = %v, %d; want nothing and the same Seq", hi, scimIDs(list), hi2)
	}
	list, hi2 = scimChanged(t, s, hi+100)
	if len(list) != 0 || hi2 != hi+100 {
		t.Fatalf("SCIMChanged(%d) = %v, %d; want nothing and since itself", hi+100, scimIDs(list), hi2)
	}

	// Sequences are never reused: a new resource, even one that takes a
	// deleted user's name, gets a higher one.
	u3 := scimCreate(t, s, scimUser("u3", "alice"))
	if u3.Seq <= hi {
		t.Fatalf("Seq after a delete = %d, want more than %d", u3.Seq, hi)
	}

	// Changes of equal Seq come by Type, then ID.
	scimCreate(t, s, scimUser("u0", "zoe"))
	scimCreate(t, s, scimGroup("g0", "Ops"))
	_, hi = scimChanged(t, s, 0)
	g0, err := s.SCIMUpdate(ctx, scimGroup("g0", "Ops"), 1, []string{"u3", "u2", "u0"})
	must(t, err, "SCIMUpdate(g0) touching three users")
	list, _ = scimChanged(t, s, hi)
	wantSCIMIDs(t, list, "SCIMChanged of one touching update", "Group/g0", "User/u0", "User/u2", "User/u3")
	for _, r := range list {
		if r.Seq != g0.Seq {
			t.Fatalf("%s/%s Seq = %d, want %d", r.Type, r.ID, r.Seq, g0.Seq)
		}
	}
}

// testSCIMConcurrentUpdates runs read-modify-write loops on one resource
// from many goroutines, retrying on ErrStale: every increment must land.
func testSCIMConcurrentUpdates(t *testing.T, open func(t *testing.T) store.Store) {
	const workers, each = 8, 5
	ctx := t.Context()
	s := openStore(t, open)
	type counter struct {
		N     int      `json:"n"`
		Marks []string `json:"marks"`
	}
	doc := func(c counter) []byte {
		b, err := json.Marshal(c)
		must(t, err, "encode counter")
		return b
	}
	scimCreate(t, s, store.SCIMResource{Type: store.SCIMGroup, ID: "g1", Name: "Counter", Doc: doc(counter{})})

	var wg sync.WaitGroup
	var mu sync.Mutex
	stale := 0
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				for attempt := 0; ; attempt++ {
					if attempt > 1000 {
						t.Errorf("worker %d: no update landed in %d attempts", w, attempt)
						return
					}
					cur, err := s.SCIMGet(ctx, store.SCIMGroup, "g1")
					if err != nil {
						t.Errorf("worker %d: SCIMGet: %v", w, err)
						return
					}
					var c counter
					if err := json.Unmarshal(cur.Doc, &c); err != nil {
						t.Errorf("worker %d: decode %s: %v", w, cur.Doc, err)
						return
					}
					c.N++
					c.Marks = append(c.Marks, fmt.Sprintf("w%d-%d", w, i))
					b, err := json.Marshal(c)
					if err != nil {
						t.Errorf("worker %d: encode: %v", w, err)
						return
					}
					next := cur
					next.Doc = b
					_, err = s.SCIMUpdate(ctx, next, cur.Version, nil)
					if errors.Is(err, store.ErrStale) {
						mu.Lock()
						stale++
						mu.Unlock()
						continue
					}
					if err != nil {
						t.Errorf("worker %d: SCIMUpdate: %v", w, err)
						return
					}
					break
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	got := scimGet(t, s, store.SCIMGroup, "g1")
	var c counter
	must(t, json.Unmarshal(got.Doc, &c), "decode final counter")
	if got.Version != 1+workers*each || c.N != workers*each || len(c.Marks) != workers*each {
		t.Fatalf("after %d concurrent increments: Version %d, n %d, %d marks; want %d, %d, %d",
			workers*each, got.Version, c.N, len(c.Marks), 1+workers*each, workers*each, workers*each)
	}
	seen := map[string]bool{}
	for _, m := range c.Marks {
		if seen[m] {
			t.Fatalf("mark %s recorded twice", m)
		}
		seen[m] = true
	}
	t.Logf("%d stale updates retried", stale)
}

func testSCIMReopen(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s1 := openStore(t, open)
	u1 := scimCreate(t, s1, scimUser("u1", "alice"))
	scimCreate(t, s1, scimUser("u2", "bob"))
	g := scimCreate(t, s1, scimGroup("g1", "Sales"))
	_, err := s1.SCIMUpdate(ctx, scimGroup("g1", "Sales EMEA"), g.Version, []string{"u1"})
	must(t, err, "SCIMUpdate")
	must(t, s1.SCIMDelete(ctx, store.SCIMUser, "u2", nil), "SCIMDelete")
	wantChanged, wantHi := scimChanged(t, s1, 0)
	wantUsers, err := s1.SCIMList(ctx, store.SCIMUser)
	must(t, err, "SCIMList")
	must(t, s1.Close(), "Close")

	s2 := openStore(t, open)
	gotChanged, gotHi := scimChanged(t, s2, 0)
	if gotHi != wantHi || len(gotChanged) != len(wantChanged) {
		t.Fatalf("SCIMChanged(0) after reopen = %v, %d; want %v, %d", scimIDs(gotChanged), gotHi, scimIDs(wantChanged), wantHi)
	}
	for i := range wantChanged {
		wantSCIM(t, gotChanged[i], wantChanged[i], "resource after reopen")
	}
	gotUsers, err := s2.SCIMList(ctx, store.SCIMUser)
	must(t, err, "SCIMList after reopen")
	wantSCIMIDs(t, gotUsers, "SCIMList(User) after reopen", scimIDs(wantUsers)...)
	if got := scimGet(t, s2, store.SCIMUser, "u1"); got.Version != u1.Version || got.Name != u1.Name {
		t.Fatalf("SCIMGet(u1) after reopen = %+v", got)
	}
	_, err = s2.SCIMUpdate(ctx, scimGroup("g1", "x"), g.Version, nil)
	wantErr(t, err, store.ErrStale, "SCIMUpdate with the version from before reopen")
	_, err = s2.SCIMCreate(ctx, scimUser("u2", "bob"))
	wantErr(t, err, store.ErrConflict, "SCIMCreate of a deleted id after reopen")
	u3 := scimCreate(t, s2, scimUser("u3", "bob"))
	if u3.Seq <= wantHi {
		t.Fatalf("Seq after reopen = %d, want more than %d", u3.Seq, wantHi)
	}
}

// testSCIMFind: lookups by id, externalId and name (case-insensitively),
// live resources of the asked type only.
func testSCIMFind(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	scimCreate(t, s, scimUser("u-1", "Alice@Example.com"))
	scimCreate(t, s, scimUser("u-2", "bob@example.com"))
	scimCreate(t, s, scimGroup("g-1", "Sales"))
	scimCreate(t, s, scimGroup("g-2", "sales"))
	gone := scimCreate(t, s, scimUser("u-3", "carol@example.com"))
	must(t, s.SCIMDelete(ctx, store.SCIMUser, gone.ID, nil), "SCIMDelete(u-3)")
	ids := func(list []store.SCIMResource) []string {
		out := []string{}
		for _, r := range list {
			out = append(out, r.ID)
		}
		return out
	}
	tests := []struct {
		typ   string
		field store.SCIMField
		value string
		want  []string
	}{
		{store.SCIMUser, store.SCIMByName, "alice@example.COM", []string{"u-1"}},
		{store.SCIMUser, store.SCIMByExternalID, "ext-u-2", []string{"u-2"}},
		{store.SCIMUser, store.SCIMByExternalID, "EXT-U-2", []string{}},
		{store.SCIMUser, store.SCIMByID, "u-1", []string{"u-1"}},
		{store.SCIMUser, store.SCIMByID, "g-1", []string{}},
		{store.SCIMUser, store.SCIMByName, "carol@example.com", []string{}},
		{store.SCIMGroup, store.SCIMByName, "SALES", []string{"g-1", "g-2"}},
	}
	for _, tt := range tests {
		got, err := s.SCIMFind(ctx, tt.typ, tt.field, tt.value)
		must(t, err, fmt.Sprintf("SCIMFind(%s, %s, %q)", tt.typ, tt.field, tt.value))
		if g := ids(got); fmt.Sprint(g) != fmt.Sprint(tt.want) {
			t.Errorf("SCIMFind(%s, %s, %q) = %v, want %v", tt.typ, tt.field, tt.value, g, tt.want)
		}
	}
	if _, err := s.SCIMFind(ctx, store.SCIMUser, "doc", "x"); err == nil {
		t.Errorf("SCIMFind on an unknown field: no error")
	}
}
