package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/orgbridge/orgbridge/internal/store"
)

func heldSummary(list []store.HeldPlan) []string {
	out := make([]string, len(list))
	for i, p := range list {
		out[i] = fmt.Sprintf("%d %s %s %s %s", p.RunID, p.Job, p.Summary, p.Reason, p.Plan)
	}
	return out
}

func wantHeld(t *testing.T, s store.Store, job string, want ...string) {
	t.Helper()
	list, err := s.HeldPlans(t.Context(), job)
	must(t, err, "HeldPlans")
	got := heldSummary(list)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("HeldPlans(%q) = %q, want %q", job, got, want)
	}
	for _, p := range list {
		if p.At.IsZero() || p.At.Location().String() != "UTC" {
			t.Fatalf("held plan of run %d: At = %v, want a UTC time", p.RunID, p.At)
		}
	}
}

// testHeldPlans: a job holds one plan, its latest refusal; plans outlive
// the store's reopening; taking a plan removes it, once.
func testHeldPlans(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s1 := open(t)
	r1 := startRun(t, s1, "hr", store.ModeFull)
	r2 := startRun(t, s1, "crm", store.ModeFull)
	r3 := startRun(t, s1, "hr", store.ModeFull)
	hold := func(s store.Store, run int64, job, plan string) {
		t.Helper()
		must(t, s.HoldPlan(ctx, store.HeldPlan{RunID: run, Job: job, Summary: "sum" + plan, Reason: "refused", Plan: []byte(plan)}), "HoldPlan")
	}
	wantHeld(t, s1, "")
	hold(s1, r1, "hr", `{"p":1}`)
	hold(s1, r2, "crm", `{"p":"日本語\u0000"}`)
	wantHeld(t, s1, "", fmt.Sprintf(`%d hr sum{"p":1} refused {"p":1}`, r1), fmt.Sprintf(`%d crm sum{"p":"日本語\u0000"} refused {"p":"日本語\u0000"}`, r2))
	// A newer refusal of hr replaces its held plan.
	hold(s1, r3, "hr", `{"p":3}`)
	wantHeld(t, s1, "hr", fmt.Sprintf(`%d hr sum{"p":3} refused {"p":3}`, r3))
	must(t, s1.Close(), "Close")

	s := openStore(t, open)
	wantHeld(t, s, "", fmt.Sprintf(`%d crm sum{"p":"日本語\u0000"} refused {"p":"日本語\u0000"}`, r2), fmt.Sprintf(`%d hr sum{"p":3} refused {"p":3}`, r3))
	approve := store.Decision{Verdict: store.DecisionApproved, By: "ops@example.jp"}
	_, err := s.TakeHeldPlan(ctx, r1, approve)
	wantErr(t, err, store.ErrNotFound, "TakeHeldPlan of a replaced plan")
	wantDecision(t, s, r1, store.Decision{})
	_, err = s.TakeHeldPlan(ctx, r3, store.Decision{Verdict: "maybe"})
	wantErr(t, err, nil, "TakeHeldPlan with a bad verdict")
	p, err := s.TakeHeldPlan(ctx, r3, approve)
	must(t, err, "TakeHeldPlan")
	if p.RunID != r3 || p.Job != "hr" || string(p.Plan) != `{"p":3}` || p.Reason != "refused" {
		t.Fatalf("TakeHeldPlan = %+v", p)
	}
	wantDecision(t, s, r3, approve)
	_, err = s.TakeHeldPlan(ctx, r3, store.Decision{Verdict: store.DecisionRejected, By: "api"})
	wantErr(t, err, store.ErrNotFound, "TakeHeldPlan twice")
	wantDecision(t, s, r3, approve) // the second taker records nothing
	wantHeld(t, s, "hr")

	must(t, s.DropHeldPlans(ctx, "crm"), "DropHeldPlans")
	wantHeld(t, s, "")
	must(t, s.DropHeldPlans(ctx, "crm"), "DropHeldPlans of none")

	wantErr(t, s.HoldPlan(ctx, store.HeldPlan{RunID: 999999, Job: "hr", Plan: []byte(`{}`)}), nil, "HoldPlan of an unknown run")
	wantErr(t, s.HoldPlan(ctx, store.HeldPlan{RunID: r1, Job: "hr"}), nil, "HoldPlan without a plan")
	wantErr(t, s.HoldPlan(ctx, store.HeldPlan{RunID: r1, Plan: []byte(`{}`)}), nil, "HoldPlan without a job")
	wantHeld(t, s, "")

	// Two takers of one plan (two replicas, two clicks): one gets it.
	hold(s, r1, "hr", `{"p":1}`)
	var wg sync.WaitGroup
	var mu sync.Mutex
	took, missed := 0, 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.TakeHeldPlan(ctx, r1, store.Decision{Verdict: store.DecisionRejected, By: "api"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				took++
			case isNotFound(err):
				missed++
			default:
				t.Errorf("TakeHeldPlan: %v", err)
			}
		}()
	}
	wg.Wait()
	if took != 1 || missed != 7 {
		t.Fatalf("8 concurrent takes: %d took the plan, %d found none; want 1 and 7", took, missed)
	}
}

// wantDecision checks the decision recorded on run id: verdict and who as
// want, and a UTC time when decided, none when not.
func wantDecision(t *testing.T, s store.Store, id int64, want store.Decision) {
	t.Helper()
	r, _, err := s.Run(t.Context(), id)
	must(t, err, "Run")
	got := r.Decision
	if got.Verdict != want.Verdict || got.By != want.By {
		t.Fatalf("run %d: decision %q by %q, want %q by %q", id, got.Verdict, got.By, want.Verdict, want.By)
	}
	if decided := want.Verdict != ""; decided != !got.At.IsZero() || (decided && got.At.Location().String() != "UTC") {
		t.Fatalf("run %d: decided at %v (decided: %v)", id, got.At, decided)
	}
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
