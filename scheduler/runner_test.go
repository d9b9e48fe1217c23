package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

// staticSource returns fixed records, or an error.
type staticSource struct {
	records []connectors.Record
	err     error
}

func (s *staticSource) Read(context.Context) ([]connectors.Record, error) { return s.records, s.err }

func hrRecords(n int) []connectors.Record {
	var out []connectors.Record
	for i := 0; i < n; i++ {
		id := fmt.Sprint(2000 + i)
		out = append(out, connectors.Record{Kind: mapping.KindUser, Key: id, Origin: fmt.Sprintf("users.csv:%d", i+2),
			Attrs: map[string][]string{"id": {id}, "name": {"社員 " + id}, "dept": {fmt.Sprintf("本社/部%d", i%3)}}})
	}
	return out
}

func newJob(t *testing.T, src connectors.Source, target connectors.Target) *scheduler.Job {
	t.Helper()
	rules, err := mapping.Compile(config.Mapping{Users: config.UserMapping{
		LoginID: "e{{.id}}", Name: "{{.name}}", OrgPath: &config.OrgPath{Template: "{{.dept}}"},
	}}, "jobs[0].mapping")
	if err != nil {
		t.Fatal(err)
	}
	return &scheduler.Job{Name: "hr", Source: src, Rules: rules, Target: target, Concurrency: 1,
		Guard: scheduler.Guard{MaxDeleteRatio: scheduler.DefaultMaxDeleteRatio, MaxDeleteCount: scheduler.DefaultMaxDeleteCount}}
}

func openStore(t *testing.T, path string) *store.SQLite {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// An apply stopped part-way (SIGINT, a crash) leaves a journal; the next
// run re-plans from the links it recorded and writes only what is left.
func TestSyncResumesAnInterruptedRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st := openStore(t, path)
	fake := newFake(fullCaps())
	job := newJob(t, &staticSource{records: hrRecords(10)}, fake)

	ctx, cancel := context.WithCancel(context.Background())
	runner := &scheduler.Runner{Store: st, Progress: func(ev scheduler.Event) {
		if ev.Done == 5 {
			cancel()
		}
	}}
	res, err := runner.Sync(ctx, job, scheduler.RunOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	total := len(res.Plan.Changes) // 4 orgs + 10 users
	run, entries, err := st.Run(context.Background(), res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != store.RunInterrupted || run.Applied != 5 || run.Planned != total {
		t.Fatalf("run = %+v; want interrupted with 5 of %d applied", run, total)
	}
	pending := 0
	for _, e := range entries {
		if e.Status == store.EntryPending {
			pending++
		}
	}
	if pending != total-5 {
		t.Errorf("%d pending journal entries, want %d", pending, total-5)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// A new process: reopen the store and run again.
	st = openStore(t, path)
	defer st.Close()
	writes := fake.writes
	runner = &scheduler.Runner{Store: st}
	res, err = runner.Sync(context.Background(), job, scheduler.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := fake.writes - writes; got != total-5 || len(res.Plan.Adopt) != 0 {
		t.Errorf("resume wrote %d times and adopted %d; want %d writes, no adoption", got, len(res.Plan.Adopt), total-5)
	}
	res, err = runner.Sync(context.Background(), job, scheduler.RunOptions{})
	if err != nil || len(res.Plan.Changes) != 0 {
		t.Fatalf("after the resume, a run planned %d changes (%v)", len(res.Plan.Changes), err)
	}
	runs, err := st.Runs(context.Background(), "hr", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.RunStatus{store.RunSucceeded, store.RunSucceeded, store.RunInterrupted}
	for i, r := range runs {
		if i < len(want) && r.Status != want[i] {
			t.Errorf("run %d status %s, want %s", r.ID, r.Status, want[i])
		}
	}
}

// A run killed outright leaves its run "running"; the next run marks it
// interrupted and carries on.
func TestSyncRecoversFromACrashedRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st := openStore(t, path)
	id, err := st.StartRun(context.Background(), "hr", store.ModeFull)
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Close() // the process dies here

	st = openStore(t, path)
	defer st.Close()
	fake := newFake(fullCaps())
	if _, err := (&scheduler.Runner{Store: st}).Sync(context.Background(), newJob(t, &staticSource{records: hrRecords(3)}, fake), scheduler.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	run, _, err := st.Run(context.Background(), id)
	if err != nil || run.Status != store.RunInterrupted {
		t.Errorf("crashed run = %+v, %v; want interrupted", run, err)
	}
}

// A source that fails reads nothing into the target and records a failed run.
func TestSyncFailedSourceTouchesNothing(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	defer st.Close()
	fake := newFake(fullCaps())
	src := &staticSource{err: errors.New("users.csv:7: wrong number of fields")}
	_, err := (&scheduler.Runner{Store: st}).Sync(context.Background(), newJob(t, src, fake), scheduler.RunOptions{})
	if err == nil || fake.writes != 0 {
		t.Fatalf("err = %v, writes = %d", err, fake.writes)
	}
	runs, _ := st.Runs(context.Background(), "hr", 1)
	if len(runs) != 1 || runs[0].Status != store.RunFailed || runs[0].Error == "" {
		t.Errorf("runs = %+v; want one failed run with its error", runs)
	}
}

// A dry run records the run and the plan but writes nothing.
func TestSyncDryRunWritesNothing(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	defer st.Close()
	fake := newFake(fullCaps())
	res, err := (&scheduler.Runner{Store: st}).Sync(context.Background(), newJob(t, &staticSource{records: hrRecords(3)}, fake), scheduler.RunOptions{DryRun: true})
	if err != nil || fake.writes != 0 || len(res.Plan.Changes) == 0 {
		t.Fatalf("dry run: err %v, %d writes, %d changes planned", err, fake.writes, len(res.Plan.Changes))
	}
	links, _ := st.Links(context.Background(), "hr")
	if links.Len() != 0 {
		t.Errorf("a dry run stored %d links", links.Len())
	}
}

// changingSource is an incremental source whose records change between
// reads: ReadChanged("") returns every record, a later mark only the
// records changed after it.
type changingSource struct {
	all     []connectors.Record
	changed map[string][]connectors.Record // mark → records changed since
	mark    string
	calls   []string
}

func (s *changingSource) Read(ctx context.Context) ([]connectors.Record, error) {
	recs, _, err := s.ReadChanged(ctx, "")
	return recs, err
}

func (s *changingSource) ReadChanged(_ context.Context, mark string) ([]connectors.Record, string, error) {
	s.calls = append(s.calls, mark)
	if mark == "" {
		return s.all, s.mark, nil
	}
	return s.changed[mark], s.mark, nil
}

func TestSyncIncremental(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	defer st.Close()
	fake := newFake(fullCaps())
	all := hrRecords(10)
	src := &changingSource{all: all, mark: "m1", changed: map[string][]connectors.Record{}}
	job := newJob(t, src, fake)
	runner := &scheduler.Runner{Store: st}
	ctx := context.Background()

	// Without a mark, an incremental run reads in full, and stores m1.
	if _, err := runner.Sync(ctx, job, scheduler.RunOptions{Incremental: true}); err != nil {
		t.Fatal(err)
	}
	if m, _ := st.Mark(ctx, "hr"); m != "m1" {
		t.Fatalf("mark after the first run = %q, want m1", m)
	}

	// One user renamed since m1: the partial read holds only that user,
	// and the other nine are neither suspended nor touched.
	renamed := all[3]
	renamed.Attrs = map[string][]string{"id": {renamed.Key}, "name": {"改名 太郎"}, "dept": renamed.Attrs["dept"]}
	src.changed["m1"] = []connectors.Record{renamed}
	src.mark = "m2"
	writes := fake.writes
	res, err := runner.Sync(ctx, job, scheduler.RunOptions{Incremental: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Plan.Partial || len(res.Plan.Changes) != 1 || res.Plan.Changes[0].Action != connectors.ActionUpdate || fake.writes-writes != 1 {
		t.Fatalf("incremental plan:\n%s", planText(t, res.Plan))
	}
	if m, _ := st.Mark(ctx, "hr"); m != "m2" {
		t.Errorf("mark = %q, want m2", m)
	}
	if got := src.calls[len(src.calls)-1]; got != "m1" {
		t.Errorf("incremental read started at %q, want the stored m1", got)
	}

	// Nothing changed since m2: an empty read is not an empty source.
	src.mark = "m3"
	res, err = runner.Sync(ctx, job, scheduler.RunOptions{Incremental: true})
	if err != nil || len(res.Plan.Changes) != 0 {
		t.Fatalf("empty incremental read: %v\n%s", err, planText(t, res.Plan))
	}

	// A source that reads only in full refuses an incremental run.
	_, err = runner.Sync(ctx, newJob(t, &staticSource{records: all}, fake), scheduler.RunOptions{Incremental: true})
	if !errors.Is(err, scheduler.ErrNotIncremental) {
		t.Errorf("err = %v, want ErrNotIncremental", err)
	}
}
