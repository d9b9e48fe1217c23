package scheduler_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

// BenchmarkSavedPlan20k: saving a plan of 20,000 renames (a digest of
// each object on both sides) and the drift check of applying it, from
// snapshots already read (the reads cost what a plan's reads cost).
func BenchmarkSavedPlan20k(b *testing.B) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "state.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rules, err := mapping.Compile(config.Mapping{Users: config.UserMapping{
		LoginID: "e{{.id}}", Name: "{{.name}}", OrgPath: &config.OrgPath{Template: "{{.dept}}"},
	}}, "jobs[0].mapping")
	if err != nil {
		b.Fatal(err)
	}
	src := &staticSource{records: hrRecords(20000)}
	job := &scheduler.Job{Name: "hr", Source: src, Rules: rules, Target: newFake(fullCaps()), Concurrency: 1,
		Guard: scheduler.Guard{MaxDeleteRatio: 1, MaxDeleteCount: 1 << 30}}
	runner := &scheduler.Runner{Store: st}
	if _, err := runner.Sync(ctx, job, scheduler.RunOptions{}); err != nil {
		b.Fatal(err)
	}
	names := map[string]string{}
	for _, r := range src.records {
		names[r.Key] = "改 " + r.Key
	}
	src.records = renamed(src.records, names)
	res, err := runner.Plan(ctx, job, false)
	if err != nil {
		b.Fatal(err)
	}
	links, err := st.Links(ctx, job.Name)
	if err != nil {
		b.Fatal(err)
	}
	sp := scheduler.NewSavedPlan(job.Name, "", false, res, time.Unix(0, 0))
	if len(sp.Plan.Changes) != 20000 {
		b.Fatalf("%d changes, want 20000", len(sp.Plan.Changes))
	}
	if d := sp.Drift(sp.Plan, res.Desired, res.Actual, scheduler.Links(links)); d != nil {
		b.Fatalf("drift on unchanged snapshots: %v", d)
	}
	b.Run("save", func(b *testing.B) {
		for b.Loop() {
			scheduler.NewSavedPlan(job.Name, "", false, res, time.Unix(0, 0))
		}
	})
	b.Run("drift-check", func(b *testing.B) {
		for b.Loop() {
			sp.Drift(sp.Plan, res.Desired, res.Actual, scheduler.Links(links))
		}
	})
	// 20,000 new users beside the 20,000 there: each create's digest looks
	// its natural keys up among the target's users.
	src.records = hrRecords(40000)[20000:]
	res, err = runner.Plan(ctx, job, false)
	if err != nil {
		b.Fatal(err)
	}
	if n := res.Plan.Count(mapping.KindUser, "create"); n != 20000 {
		b.Fatalf("%d creates, want 20000", n)
	}
	b.Run("save-creates", func(b *testing.B) {
		for b.Loop() {
			scheduler.NewSavedPlan(job.Name, "", false, res, time.Unix(0, 0))
		}
	})
}
