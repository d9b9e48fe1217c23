package pcaid_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/pcaid"
	"github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

// people returns n desired users; every tenth is an admin, every
// seventeenth suspended.
func people(n int) []mapping.User {
	out := make([]mapping.User, n)
	for i := range out {
		out[i] = mapping.User{
			Key: fmt.Sprintf("%04d", i), Name: fmt.Sprintf("利用者%04d", i), Email: fmt.Sprintf("user%04d@example.com", i),
			Attributes: map[string]string{"employee_number": fmt.Sprintf("E%04d", i), "admin": fmt.Sprint(i%10 == 0)},
			Suspended:  i%17 == 0,
		}
	}
	return out
}

// sync plans the users against an empty target and applies the plan with
// the scheduler's executor, as a run does.
func (e *env) sync(users []mapping.User) scheduler.Outcome {
	e.t.Helper()
	desired := &mapping.Snapshot{Users: users}
	plan, err := scheduler.MakePlan(desired, &mapping.Snapshot{}, nil, e.a.Capabilities(), scheduler.PlanOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := (&scheduler.Executor{Target: e.a}).Apply(context.Background(), plan, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// Above the threshold the executor hands the creates to ApplyBatch: one
// import for all of them, polled to completion, each row's outcome on its
// own change.
func TestImportAboveThreshold(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	users := people(120)
	users[3].Email = "not-an-email"
	users[40].Email = users[39].Email                 // a repeat: the later row fails
	users[77].Name = strings.Repeat("名", 101)         // too long
	users[90].Attributes["employee_number"] = "E0089" // taken by row 89

	out := e.sync(users)
	st := e.emu.Stats()
	if n := st.ByRoute["POST /users/import"]; n != 1 {
		t.Errorf("%d imports, want 1", n)
	}
	if n := st.ByRoute["POST /users"]; n != 0 {
		t.Errorf("%d plain creates, want 0", n)
	}
	// pending → running, then 50 + 50 + 20 rows.
	if n := st.ByRoute["POST /users/import/tasks/{task_id}"]; n != 4 {
		t.Errorf("%d polls, want 4", n)
	}
	if sleeps, slept := e.clock.Sleeps(); sleeps < 4 || slept < 4*pcaid.DefaultImportPoll {
		t.Errorf("slept %d times, %s in all; want a poll every %s", sleeps, slept, pcaid.DefaultImportPoll)
	}
	if out.Applied != 116 || out.Failed != 4 {
		t.Errorf("applied %d, failed %d; want 116, 4", out.Applied, out.Failed)
	}
	wantFailed := map[string]struct{ row, field string }{
		"0003": {"row 4 ", "email"}, "0040": {"row 41 ", "email"}, "0077": {"row 78 ", "name"}, "0090": {"row 91 ", "employee_number"},
	}
	for _, ce := range out.Errors {
		w, ok := wantFailed[ce.Change.Key]
		if !ok {
			t.Errorf("unexpected failure: %v", ce)
			continue
		}
		var fe *connectors.FieldError
		if !errors.As(ce.Err, &fe) || fe.Fields[w.field] == nil || !strings.Contains(ce.Err.Error(), w.row) || connectors.IsTransient(ce.Err) {
			t.Errorf("%s: %v; want a FieldError naming %sand %s", ce.Change.Key, ce.Err, w.row, w.field)
		}
	}
	state := e.emu.State()
	if len(state.Users) != 116 {
		t.Fatalf("%d users, want 116", len(state.Users))
	}
	admins, suspended := 0, 0
	for _, u := range state.Users {
		if len(u.AdminRoles) > 0 {
			admins++
		}
		if u.Suspended {
			suspended++
		}
	}
	// Admins: rows 0, 10, … 110 (12) but 40 and 90, which failed.
	// Suspended: 0, 17, … 119 (8), none failed.
	if admins != 10 || suspended != 8 || st.ByRoute["POST /users/{account_id}/lifecycle/suspend"] != 8 {
		t.Errorf("%d admins, %d suspended; want 10, 8", admins, suspended)
	}
	// The users read back as the plan wanted them: a second plan changes
	// nothing but the four that failed.
	actual, err := e.a.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := scheduler.MakePlan(&mapping.Snapshot{Users: users}, actual, nil, e.a.Capabilities(), scheduler.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := plan.Count(mapping.KindUser, connectors.ActionCreate); n != 4 || len(plan.Changes) != 4 {
		t.Errorf("second plan: %d changes, %d creates; want the 4 that failed", len(plan.Changes), n)
	}
}

// Below the threshold every user is a plain POST /users.
func TestPlainCreatesBelowThreshold(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	out := e.sync(people(pcaid.DefaultImportThreshold - 1))
	st := e.emu.Stats()
	if out.Applied != 99 || st.ByRoute["POST /users"] != 99 || st.ByRoute["POST /users/import"] != 0 {
		t.Errorf("applied %d with %d POST /users and %d imports; want 99, 99, 0", out.Applied, st.ByRoute["POST /users"], st.ByRoute["POST /users/import"])
	}
}

func TestImportThresholdConfig(t *testing.T) {
	for _, tt := range []struct{ set, want int }{{0, 100}, {5, 5}, {-1, math.MaxInt}} {
		e := newEnv(t, emulator.Options{}, func(c *pcaid.Config) { c.ImportThreshold = tt.set })
		if got := e.a.MinBatch(); got != tt.want {
			t.Errorf("import_threshold %d: MinBatch %d, want %d", tt.set, got, tt.want)
		}
	}
	e := newEnv(t, emulator.Options{}, func(c *pcaid.Config) { c.ImportThreshold = 3 })
	e.sync(people(3))
	if n := e.emu.Stats().ByRoute["POST /users/import"]; n != 1 {
		t.Errorf("import_threshold 3 and 3 users: %d imports, want 1", n)
	}
}

// active is users with none suspended.
func active(users []mapping.User) []mapping.User {
	for i := range users {
		users[i].Suspended = false
	}
	return users
}

func creates(users []mapping.User) []connectors.Change {
	out := make([]connectors.Change, len(users))
	for i := range users {
		out[i] = createUser(users[i])
	}
	return out
}

// An import still running after import_max_wait fails every row
// transiently; the poll interval is the configured one.
func TestImportGivesUp(t *testing.T) {
	e := newEnv(t, emulator.Options{ImportRowsPerPoll: 1},
		func(c *pcaid.Config) { c.ImportPoll = 3 * time.Second }, pcaid.WithImportMaxWait(10*time.Second))
	results, errs := e.a.ApplyBatch(context.Background(), creates(people(30)), e.ids)
	for i, err := range errs {
		if !connectors.IsTransient(err) || !strings.Contains(err.Error(), "still running after 10s") {
			t.Fatalf("change %d: %v; want a transient error saying the task still runs", i, err)
		}
		if results[i].TargetID != "" {
			t.Errorf("change %d has an id", i)
		}
	}
	if sleeps, slept := e.clock.Sleeps(); sleeps != 4 || slept != 12*time.Second {
		t.Errorf("slept %d times, %s; want 4 polls of 3s", sleeps, slept)
	}
}

// Rows the import refuses before any call (a login id) fail alone; the
// other rows go.
func TestImportRefusesRowsBeforeSending(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	users := people(3)
	users[1].LoginID = "x"
	_, errs := e.a.ApplyBatch(context.Background(), creates(users), e.ids)
	if errs[0] != nil || errs[2] != nil || errs[1] == nil || !strings.Contains(errs[1].Error(), "login_id") {
		t.Errorf("errs %v", errs)
	}
	if n := len(e.emu.State().Users); n != 2 {
		t.Errorf("%d users, want 2", n)
	}
}

// fakeImport serves a token, then answers POST /users/import with a task
// and every status poll from polls in turn (the last one repeats); a
// status of 0 is a 500.
type fakeImport struct {
	polls   []string
	n       atomic.Int32
	rows    atomic.Int32
	badPoll atomic.Int32
}

func (f *fakeImport) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/oauth2/token":
		io.WriteString(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
	case r.URL.Path == "/v1/users/import":
		var in struct{ Users []map[string]any }
		_ = json.NewDecoder(r.Body).Decode(&in)
		f.rows.Store(int32(len(in.Users)))
		w.WriteHeader(202)
		io.WriteString(w, `{"taskId":"T1","status":"queued"}`)
	case strings.HasPrefix(r.URL.Path, "/v1/users/import/tasks/"):
		i := min(int(f.n.Add(1))-1, len(f.polls)-1)
		if f.polls[i] == "" {
			f.badPoll.Add(1)
			w.WriteHeader(500)
			io.WriteString(w, `{"message":"boom"}`)
			return
		}
		io.WriteString(w, f.polls[i])
	default:
		w.WriteHeader(404)
	}
}

func fakeEnv(t *testing.T, f *fakeImport) *pcaid.Adapter {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Setenv(testSecretEnv, testSecret)
	e := newEnv(t, emulator.Options{}, nil) // for its clock
	a, err := pcaid.New(context.Background(), pcaid.Config{
		OAuthConfig: httpkit.OAuthConfig{BaseURL: srv.URL + "/v1", ClientID: "c", ClientSecret: config.Secret{Env: testSecretEnv}},
	}, nil, pcaid.WithClock(e.clock), pcaid.WithRetryWait(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Another server's shapes: camelCase, 1-based rows, errors as a list, a
// row known by email only, "succeeded" for completed; a 500 on a poll is
// retried (the poll is marked idempotent).
func TestImportReadsLeniently(t *testing.T) {
	f := &fakeImport{polls: []string{
		`{"taskId":"T1","status":"processing"}`,
		"",
		`{"taskId":"T1","status":"succeeded","rows":[
			{"row":1,"result":"success","accountId":"acc_1"},
			{"row":2,"errors":[{"field":"email","message":"duplicate"}]},
			{"email":"user0002@example.com","status":"created","account_id":"acc_3"}]}`,
	}}
	a := fakeEnv(t, f)
	results, errs := a.ApplyBatch(context.Background(), creates(active(people(3))), idMap{})
	if f.rows.Load() != 3 || f.badPoll.Load() != 1 {
		t.Errorf("rows %d, failed polls %d", f.rows.Load(), f.badPoll.Load())
	}
	if results[0].TargetID != "acc_1" || errs[0] != nil || results[2].TargetID != "acc_3" || errs[2] != nil {
		t.Errorf("results %v errs %v", results, errs)
	}
	var fe *connectors.FieldError
	if !errors.As(errs[1], &fe) || fe.Fields["email"][0] != "duplicate" || !strings.Contains(errs[1].Error(), "import task T1 row 2 failed") {
		t.Errorf("row 2: %v", errs[1])
	}
}

func TestImportTaskFailed(t *testing.T) {
	f := &fakeImport{polls: []string{`{"task_id":"T1","status":"failed","message":"storage full"}`}}
	a := fakeEnv(t, f)
	_, errs := a.ApplyBatch(context.Background(), creates(active(people(2))), idMap{})
	for i, err := range errs {
		if !connectors.IsTransient(err) || !strings.Contains(err.Error(), "import task T1 failed: storage full") {
			t.Errorf("change %d: %v", i, err)
		}
	}
}

func TestImportMissingRowAndCancel(t *testing.T) {
	f := &fakeImport{polls: []string{`{"task_id":"T1","status":"completed","results":[{"index":0,"status":"created","account_id":"acc_1"}]}`}}
	a := fakeEnv(t, f)
	_, errs := a.ApplyBatch(context.Background(), creates(active(people(2))), idMap{})
	if errs[0] != nil || errs[1] == nil || !strings.Contains(errs[1].Error(), "reported nothing for row 2") {
		t.Errorf("errs %v", errs)
	}

	f = &fakeImport{polls: []string{`{"task_id":"T1","status":"running"}`}}
	a = fakeEnv(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for f.n.Load() < 3 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, errs = a.ApplyBatch(ctx, creates(active(people(2))), idMap{})
	for i, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("change %d after cancel: %v", i, err)
		}
	}
}
