package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

type downSource struct{}

func (downSource) Read(context.Context) ([]connectors.Record, error) {
	return nil, errors.New("source unreachable")
}

// /readyz and /healthz?verbose tell the truth: records held back are named
// (ready: the rest flows), a quarantined job makes the process not ready.
func TestHealthSaysHeldBackAndQuarantine(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// A run that left one record out, as the runner journals it.
	id, _ := st.StartRun(ctx, "hr", store.ModeIncremental)
	if err := st.Plan(ctx, id, []change.Change{{Kind: mapping.KindUser, Action: scheduler.ActionLeaveOut, Key: "u-bad"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Failed(ctx, id, 0, errors.New(`SCIM User u-bad (solo@x.test): user "u-bad": empty name`)); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, id, store.RunSucceeded, "", nil); err != nil {
		t.Fatal(err)
	}
	rules, err := mapping.Compile(config.Mapping{Users: config.UserMapping{LoginID: "{{.id}}", Name: "{{.name}}"}}, "m")
	if err != nil {
		t.Fatal(err)
	}
	var held []int
	// The target is read while the source is (and stopped when it fails).
	d := scheduler.NewDaemon([]*scheduler.Job{{Name: "hr", Source: downSource{}, Rules: rules, Target: snapshotTarget{}}},
		scheduler.DaemonOptions{Store: st, Hooks: scheduler.DaemonHooks{HeldBack: func(_ string, n int) { held = append(held, n) }}})
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop(ctx) })
	h, err := New(Options{Store: st, Daemon: d, Token: token, ReadyMaxFailedAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 1 || held[0] != 1 {
		t.Errorf("HeldBack hook at start = %v, want [1] (read from the store)", held)
	}

	rec := do(h, "GET", "/readyz", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `job hr: 1 record(s) held back: they cannot be mapped (first: user u-bad: SCIM User u-bad`) {
		t.Errorf("/readyz with a record held back: %d %s", rec.Code, rec.Body)
	}
	if rec := do(h, "GET", "/healthz", nil); strings.Contains(rec.Body.String(), "jobs") {
		t.Errorf("/healthz without verbose says more than ok: %s", rec.Body)
	}
	var verbose struct {
		Jobs []jobHealth `json:"jobs"`
	}
	rec = do(h, "GET", "/healthz?verbose", nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &verbose); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("/healthz?verbose: %d %s (%v)", rec.Code, rec.Body, err)
	}
	if len(verbose.Jobs) != 1 || verbose.Jobs[0].HeldBack != 1 || verbose.Jobs[0].HeldBackRecords[0].Key != "u-bad" || verbose.Jobs[0].Quarantined {
		t.Errorf("/healthz?verbose = %+v", verbose.Jobs)
	}

	// The source fails as a whole: the job is quarantined, and not ready.
	if _, err := d.RunJob(ctx, "hr", scheduler.RunOptions{}, scheduler.TriggerManual); err == nil {
		t.Fatal("the run of a down source succeeded")
	}
	rec = do(h, "GET", "/readyz", nil)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "job hr: quarantined until") || !strings.Contains(rec.Body.String(), "source unreachable") {
		t.Errorf("/readyz of a quarantined job: %d %s", rec.Code, rec.Body)
	}
	rec = do(h, "GET", "/healthz?verbose", nil)
	_ = json.Unmarshal(rec.Body.Bytes(), &verbose)
	if rec.Code != http.StatusOK || !verbose.Jobs[0].Quarantined || verbose.Jobs[0].QuarantineUntil == nil || verbose.Jobs[0].HeldBack != 1 {
		t.Errorf("/healthz?verbose of a quarantined job: %d %s", rec.Code, rec.Body)
	}
}
