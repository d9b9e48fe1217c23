package scheduler_test

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scheduler"
)

// The daemon as a service: Start, NotifySCIM, Reload, Stop. Every wait
// below is on a condition (a run reported, a log line, a read started);
// none is bounded by the wall clock.

// scimSource reads incrementally, as the scim source does. gate, when set,
// runs at the start of each read.
type scimSource struct {
	staticSource
	gate func(ctx context.Context)
}

func (s *scimSource) ReadChanged(ctx context.Context, _ string) ([]connectors.Record, string, error) {
	if s.gate != nil {
		s.gate(ctx)
	}
	return s.records, "mark", nil
}

// scimJob is a job whose source is the SCIM endpoint.
func scimJob(t *testing.T, name string, src connectors.Source) *scheduler.Job {
	t.Helper()
	job := newJob(t, src, newFake(fullCaps()))
	job.Name, job.SourceType = name, "scim"
	return job
}

// fastSCIM debounces for a millisecond.
func fastSCIM() *scheduler.SCIMOptions {
	return &scheduler.SCIMOptions{Debounce: time.Millisecond, MaxDelay: time.Millisecond}
}

// reportRuns makes the Run hook send "job mode outcome" for each run.
func reportRuns(opts *scheduler.DaemonOptions) chan string {
	ran := make(chan string, 100)
	opts.Hooks.Run = func(job, mode, outcome string, _ time.Duration, _ time.Time) {
		ran <- job + " " + mode + " " + outcome
	}
	return ran
}

// startService starts a daemon with Start and stops it with Stop when the
// test ends.
func startService(t *testing.T, st store.Store, jobs []*scheduler.Job, opts scheduler.DaemonOptions) *scheduler.Daemon {
	t.Helper()
	opts.Store = st
	d := scheduler.NewDaemon(jobs, opts)
	// The test's context ends before its cleanup: the daemon must not stop
	// with it, only with Stop.
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(t.Context()); err == nil {
		t.Error("a second Start was taken")
	}
	t.Cleanup(func() {
		if err := d.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return d
}

func expectRun(t *testing.T, ran <-chan string, want string) {
	t.Helper()
	if got := <-ran; got != want {
		t.Fatalf("run %q, want %q", got, want)
	}
}

// Pushes become incremental runs of the scim jobs only, and what was
// pushed before a start is applied at start.
func TestDaemonSCIMPushesBecomeIncrementalRuns(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	files := newJob(t, &staticSource{records: hrRecords(2)}, newFake(fullCaps()))
	files.Name, files.SourceType = "files", "csv"
	opts := scheduler.DaemonOptions{SCIM: fastSCIM()}
	ran := reportRuns(&opts)
	d := startService(t, st, []*scheduler.Job{files, scimJob(t, "hr", &scimSource{staticSource: staticSource{records: hrRecords(3)}})}, opts)

	expectRun(t, ran, "hr incremental succeeded") // the catch-up at start
	for range 20 {
		d.NotifySCIM()
	}
	expectRun(t, ran, "hr incremental succeeded")

	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(ran) // after Stop no hook runs
	for r := range ran {
		if r != "hr incremental succeeded" {
			t.Errorf("run %q after SCIM pushes; only the scim job runs, incrementally", r)
		}
	}
	if runs, err := st.Runs(context.Background(), "files", 0); err != nil || len(runs) != 0 {
		t.Errorf("the csv job ran on SCIM pushes: %v, %v", runs, err)
	}
}

// A push that finds its job running (a manual run) is served after that
// run, not dropped.
func TestDaemonSCIMRunWaitsForABusyJob(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	started, release := make(chan struct{}), make(chan struct{})
	var reads atomic.Int32
	src := &scimSource{staticSource: staticSource{records: hrRecords(3)}, gate: func(context.Context) {
		if reads.Add(1) == 2 { // the manual run
			close(started)
			<-release
		}
	}}
	busy := make(chan struct{}, 1)
	core, _ := observer.New(zap.DebugLevel)
	logger := zap.New(zapcore.RegisterHooks(core, func(e zapcore.Entry) error {
		if strings.HasPrefix(e.Message, "SCIM pushes wait: the job is running") {
			select {
			case busy <- struct{}{}:
			default:
			}
		}
		return nil
	}))
	opts := scheduler.DaemonOptions{SCIM: fastSCIM(), Logger: logger}
	ran := reportRuns(&opts)
	d := startService(t, st, []*scheduler.Job{scimJob(t, "hr", src)}, opts)

	expectRun(t, ran, "hr incremental succeeded")
	// The hook reports a run just before the job's lock is given back.
	for {
		err := d.Trigger("hr", scheduler.RunOptions{}, scheduler.TriggerManual)
		if err == nil {
			break
		}
		if !errors.Is(err, scheduler.ErrBusy) {
			t.Fatal(err)
		}
		runtime.Gosched()
	}
	<-started
	d.NotifySCIM()
	<-busy // the debounced run found the job running
	close(release)
	expectRun(t, ran, "hr full succeeded")
	expectRun(t, ran, "hr incremental succeeded") // the push, served after it
}

// pollWatch tells when the leader has first looked at the SCIM change
// sequence.
type pollWatch struct {
	store.Store
	once   sync.Once
	looked chan struct{}
}

func (p *pollWatch) SCIMChanged(ctx context.Context, since int64) ([]store.SCIMResource, int64, error) {
	list, top, err := p.Store.SCIMChanged(ctx, since)
	p.once.Do(func() { close(p.looked) })
	return list, top, err
}

// With a shared store the leader notices pushes another replica stored:
// nothing calls NotifySCIM here, the store's change sequence moves.
func TestDaemonLeaderNoticesPushesOfAnotherReplica(t *testing.T) {
	sqlite := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	st := &pollWatch{Store: sqlite, looked: make(chan struct{})}
	scim := fastSCIM()
	scim.Poll, scim.PollEvery = true, time.Millisecond
	opts := scheduler.DaemonOptions{SCIM: scim}
	ran := reportRuns(&opts)
	startService(t, st, []*scheduler.Job{scimJob(t, "hr", &scimSource{staticSource: staticSource{records: hrRecords(3)}})}, opts)

	expectRun(t, ran, "hr incremental succeeded")
	<-st.looked // the leader knows where the sequence stands
	// Another replica's endpoint stores a push in the shared store.
	if _, err := sqlite.SCIMCreate(context.Background(), store.SCIMResource{Type: store.SCIMUser, ID: "u1", Name: "u1@example.com", Doc: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	expectRun(t, ran, "hr incremental succeeded")
}

// Reload swaps the jobs the SCIM pushes run.
func TestDaemonReloadSwapsTheSCIMJobs(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	opts := scheduler.DaemonOptions{SCIM: fastSCIM()}
	ran := reportRuns(&opts)
	d := startService(t, st, []*scheduler.Job{scimJob(t, "hr", &scimSource{staticSource: staticSource{records: hrRecords(3)}})}, opts)
	expectRun(t, ran, "hr incremental succeeded")

	d.Reload([]*scheduler.Job{scimJob(t, "hr2", &scimSource{staticSource: staticSource{records: hrRecords(2)}})})
	if names := d.JobNames(); len(names) != 1 || names[0] != "hr2" {
		t.Fatalf("jobs after reload = %v", names)
	}
	d.NotifySCIM()
	expectRun(t, ran, "hr2 incremental succeeded")
}

// Stop cancels the runs and returns only once the run in flight has
// ended; a Stop whose context ends first says so and leaves the daemon
// stopping.
func TestDaemonStopWaitsForARunInFlight(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	started, cancelled, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
	src := &scimSource{staticSource: staticSource{records: hrRecords(3)}, gate: func(ctx context.Context) {
		close(started)
		<-ctx.Done() // Stop cancels the run's context
		close(cancelled)
		<-release
	}}
	job := newJob(t, src, newFake(fullCaps()))
	opts := scheduler.DaemonOptions{}
	ran := reportRuns(&opts)
	d := scheduler.NewDaemon([]*scheduler.Job{job}, scheduler.DaemonOptions{Store: st, Hooks: opts.Hooks})
	if err := d.Stop(context.Background()); err != nil {
		t.Fatalf("Stop before Start: %v", err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := d.Trigger("hr", scheduler.RunOptions{}, scheduler.TriggerManual); err != nil {
		t.Fatal(err)
	}
	<-started

	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Stop(gone); !errors.Is(err, context.Canceled) {
		t.Fatalf("Stop with an ended context while a run is in flight = %v, want context.Canceled", err)
	}
	<-cancelled
	stopped := make(chan error, 1)
	go func() { stopped <- d.Stop(context.Background()) }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a run was in flight", err)
	default:
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ran:
		t.Logf("the run in flight ended: %s", r)
	default:
		t.Fatal("Stop returned before the run in flight ended")
	}
	if d.IsLeader() {
		t.Error("still the leader after Stop")
	}
	runs, err := st.Runs(context.Background(), "hr", 0)
	if err != nil || len(runs) != 1 || runs[0].Status == store.RunRunning {
		t.Errorf("runs after Stop = %+v, %v; want one, ended", runs, err)
	}
	if err := d.Trigger("hr", scheduler.RunOptions{}, scheduler.TriggerManual); !errors.Is(err, scheduler.ErrNotLeader) {
		t.Errorf("Trigger after Stop = %v, want ErrNotLeader", err)
	}
}

// A replica that becomes leader applies what another replica stored while
// it was a standby, without waiting for the next push.
func TestDaemonNewLeaderCatchesUp(t *testing.T) {
	sqlite := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	el := &fickle{}
	scim := fastSCIM()
	scim.Poll, scim.PollEvery = true, time.Millisecond
	opts := scheduler.DaemonOptions{SCIM: scim, Elector: el, ElectEvery: time.Millisecond}
	ran := reportRuns(&opts)
	d := startService(t, sqlite, []*scheduler.Job{scimJob(t, "hr", &scimSource{staticSource: staticSource{records: hrRecords(3)}})}, opts)
	if d.IsLeader() {
		t.Fatal("the replica leads before the lock is free")
	}
	// Another replica, the leader, stored a push and died before applying it.
	if _, err := sqlite.SCIMCreate(context.Background(), store.SCIMResource{Type: store.SCIMUser, ID: "u1", Name: "u1@example.com", Doc: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	el.set(true, false) // its lock is free: this replica takes over
	expectRun(t, ran, "hr incremental succeeded")
}
