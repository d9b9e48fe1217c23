package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors"
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
		{"NotFound", testNotFound},
		{"InvalidArguments", testInvalidArguments},
		{"DryRun", testDryRun},
		{"Interrupted", testInterrupted},
		{"Runs", testRuns},
		{"ConcurrentApplied", testConcurrentApplied},
		{"Reopen", testReopen},
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

func orgCreate(key, parent string) connectors.Change {
	return connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: key,
		Org: &mapping.Org{Key: key, Name: "Org " + key, ParentKey: parent}}
}

func userCreate(key string) connectors.Change {
	return connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindUser, Key: key,
		User: &mapping.User{Key: key, LoginID: key, Email: key + "@example.com", Name: "User " + key,
			Attributes: map[string]string{"department": "本社/営業部/第一課"}}}
}

func userChange(action connectors.Action, key, targetID string) connectors.Change {
	c := connectors.Change{Action: action, Kind: mapping.KindUser, Key: key, TargetID: targetID}
	switch action {
	case connectors.ActionUpdate:
		c.User = &mapping.User{Key: key, Name: "Renamed " + key}
		c.Diff = []connectors.FieldChange{{Field: "name", Old: "User " + key, New: "Renamed " + key}}
	case connectors.ActionSuspend:
		c.User = &mapping.User{Key: key, Name: "User " + key, Suspended: true}
	}
	return c
}

func membershipCreate(user, org string) connectors.Change {
	m := mapping.Membership{UserKey: user, Kind: mapping.KindOrg, ContainerKey: org, Role: mapping.RoleAdmin}
	return connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindMembership, Key: m.ID(), Membership: &m}
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
	changes := []connectors.Change{
		orgCreate("o1", ""),                              // 0
		userCreate("u1"),                                 // 1
		membershipCreate("u1", "o1"),                     // 2
		userChange(connectors.ActionUpdate, "u1", "U1"),  // 3
		userChange(connectors.ActionSuspend, "u1", "U1"), // 4
		{Action: connectors.ActionDelete, Kind: mapping.KindOrg, Key: "o1", TargetID: "O1"}, // 5
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
	must(t, s.Plan(ctx, run, []connectors.Change{{Action: connectors.ActionDelete, Kind: mapping.KindUser, Key: "u9", TargetID: "U9"}}), "Plan")
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
	changes := []connectors.Change{
		userCreate("u1"),
		orgCreate("o2", "o1"),
		userChange(connectors.ActionUpdate, "u3", "U3"),
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
	must(t, s.Plan(ctx, run, []connectors.Change{userCreate("u1")}), "Plan")
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
	must(t, s.Plan(ctx, run, []connectors.Change{userCreate("u1"), orgCreate("o1", "")}), "Plan")
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
	must(t, s1.Plan(ctx, a1, []connectors.Change{userCreate("u1"), userCreate("u2"), userCreate("u3"), userCreate("u4")}), "Plan")
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
	changes := make([]connectors.Change, workers*each)
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
	must(t, s1.Plan(ctx, run, []connectors.Change{orgCreate("o1", ""), userCreate("u1"), membershipCreate("u1", "o1")}), "Plan")
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
