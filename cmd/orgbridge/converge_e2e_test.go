package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/orgbridge/orgbridge/configs"
	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
)

// convergeUsers is the export size of the convergence test (issue 12).
const convergeUsers = 2000

// TestSyncConvergesUnderFaults is a first sync of a 2,000-user export
// through the CLI into an AirCourse emulator that answers 20% of requests
// 429 and 20% 500, 503 or 504 (a fixed seed), without a rate limit: the
// run must end by itself with exit 0, the emulator holding what the same
// sync makes without faults (every user once, their orgs with roles,
// groups and members), in at most three times the fault-free requests.
// On top, one create in 40 lands and is answered 500 (its answer lost):
// each must be found by its natural key and adopted, not made twice.
// The retry waits are cut to milliseconds by the target's
// retry_wait_min, retry_wait_max and max_retry_after (the emulator's
// Retry-After is 1 s), so the test measures requests, not time.
func TestSyncConvergesUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 users through the CLI twice")
	}
	export := convergeExport(t, convergeUsers)

	clean, cleanEmu := convergeSetup(t, export, emulator.Faults{}, nil)
	code, out, errs := clean.run("sync", "-c", clean.config(), "--log-level", "info")
	if code != exitOK {
		t.Fatalf("fault-free sync: exit %d\n%s\n%s", code, convergeTail(out), convergeTail(errs))
	}
	base := cleanEmu.Stats()
	want := renderState(t, cleanEmu.State())
	applied, _, _, _ := convergeCounts(t, errs)

	lost := &loseAnswers{every: 40}
	faulty, emu := convergeSetup(t, export, emulator.Faults{Rate429: 0.2, Rate5xx: 0.2, Seed: 12}, lost.wrap)
	code, out, errs = faulty.run("sync", "-c", faulty.config(), "--log-level", "info")
	if code != exitOK {
		t.Fatalf("sync under faults: exit %d, want 0 (converged in one run)\n%s\n%s", code, convergeTail(out), convergeTail(errs))
	}
	st := emu.Stats()
	t.Logf("fault-free: %d requests, %d writes; under faults: %d requests (%.2fx), %d writes, %d faulted, %d creates landed and answered 500",
		base.Requests, base.Writes, st.Requests, float64(st.Requests)/float64(base.Requests), st.Writes, st.Faulted, lost.count())

	// The run's counts: every change applied, some of them on a retry.
	gotApplied, failed, retried, adopted := convergeCounts(t, errs)
	t.Logf("applied %d (%d on a retry), failed %d, adopted %d", gotApplied, retried, failed, adopted)
	if gotApplied != applied || failed != 0 {
		t.Errorf("applied %d changes and failed %d under faults; without, applied %d", gotApplied, failed, applied)
	}
	if retried == 0 {
		t.Errorf("no change applied on a retry under 40%% faults:\n%s", convergeTail(errs))
	}
	if want := fmt.Sprintf("%d of them after a transient failure, on ", retried); !strings.Contains(out, want) ||
		!strings.Contains(out, fmt.Sprintf("; %d found already made (a create whose answer was lost) and adopted", adopted)) {
		t.Errorf("the sync's summary does not say %q and how many were adopted (%d):\n%s", want, adopted, convergeTail(out))
	}
	// The emulator faults a request before its handler; loseAnswers
	// lets some creates land and answers them 500: each is found by its
	// natural key and adopted, not made twice.
	if n := lost.count(); n == 0 || adopted != n {
		t.Errorf("%d objects adopted, want one per create whose answer was lost (%d)", adopted, n)
	}
	if strings.Contains(errs, `"change failed"`) {
		t.Errorf("a change is logged failed in a run that converged:\n%s", grepLines(errs, "change failed"))
	}

	// The state: the same as without faults, nothing missing or twice.
	got := renderState(t, emu.State())
	if got != want {
		t.Errorf("the emulator's state under faults differs from the fault-free one:\n%s", convergeDiff(want, got))
	}
	if n := len(emu.State().Users); n != convergeUsers {
		t.Errorf("%d users in the emulator, want %d", n, convergeUsers)
	}

	if st.Requests > 3*base.Requests {
		t.Errorf("%d requests under faults, more than 3x the %d without", st.Requests, base.Requests)
	}
	if st.Faulted == 0 {
		t.Fatal("the emulator injected no fault")
	}

	// Converged: the next run has nothing to do.
	emu.SetFaults(emulator.Faults{})
	emu.ResetStats()
	code, out, errs = faulty.run("plan", "-c", faulty.config())
	if code != exitOK || !strings.Contains(out, "no changes; the target is in step with the source") {
		t.Errorf("plan after the run: exit %d, want nothing to do\n%s\n%s", code, convergeTail(out), convergeTail(errs))
	}
}

// loseAnswers lets every nth create (POST /users, /organizations,
// /groups) that the emulator answers 2xx land, and answers it 500 as a
// server that failed after the write would: the answer, with the new id,
// is lost.
type loseAnswers struct {
	every int
	mu    sync.Mutex
	seen  int
	lost  int
}

func (l *loseAnswers) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

func (l *loseAnswers) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || (r.URL.Path != "/users" && r.URL.Path != "/organizations" && r.URL.Path != "/groups") {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		l.mu.Lock()
		lose := false
		if rec.Code/100 == 2 {
			l.seen++
			if lose = l.seen%l.every == 0; lose {
				l.lost++
			}
		}
		l.mu.Unlock()
		if lose {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"message":"予期せぬエラーが発生しました。"}`))
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// convergeSetup is setup with a generated export and an emulator with
// faults (wrapped by wrap when not nil), and retry waits of milliseconds.
func convergeSetup(t *testing.T, export []byte, faults emulator.Faults, wrap func(http.Handler) http.Handler) (cli, *emulator.Server) {
	t.Helper()
	dir := t.TempDir()
	if err := writeDemoFiles(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "demo", "users.csv"), export, 0o644); err != nil {
		t.Fatal(err)
	}
	emu := emulator.New(emulator.Options{Options: emukit.Options{RateLimit: -1, Faults: faults}})
	emu.AddClient(demoClientID, demoClientSecret)
	var h http.Handler = emu
	if wrap != nil {
		h = wrap(emu)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfgPath := filepath.Join(dir, "demo.yaml")
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "http://127.0.0.1:8081", srv.URL, 1)
	// 2,000 users: the demo's guard ratio does not matter on a first sync.
	s = strings.Replace(s, "          env: AIRCOURSE_CLIENT_SECRET\n",
		"          env: AIRCOURSE_CLIENT_SECRET\n        retry_wait_min: 1ms\n        retry_wait_max: 4ms\n        max_retry_after: 2ms\n", 1)
	if !strings.Contains(s, "max_retry_after") {
		t.Fatal("the demo config has no client_secret env line to add the retry waits after")
	}
	if err := os.WriteFile(cfgPath, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(demoSecretEnv, demoClientSecret)
	return cli{t: t, dir: dir}, emu
}

// convergeExport renders the benchmarks' n-user export (benchExport) over
// the demo's orgs.
func convergeExport(t *testing.T, n int) []byte {
	t.Helper()
	data, err := configs.Files.ReadFile("demo/orgs.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, row := range rows[1:] {
		paths = append(paths, row[0])
	}
	return benchExport(n, paths)
}

// convergeCounts reads the executor's summary from the sync's JSON log:
// the changes applied, failed, applied on a retry, and adopted.
func convergeCounts(t *testing.T, stderr string) (applied, failed, retried, adopted int) {
	t.Helper()
	for _, line := range strings.Split(stderr, "\n") {
		var e struct {
			Msg                               string
			Applied, Failed, Retried, Adopted int
		}
		if json.Unmarshal([]byte(line), &e) == nil && e.Msg == "changes applied" {
			return e.Applied, e.Failed, e.Retried, e.Adopted
		}
	}
	t.Fatalf("no \"changes applied\" line in the sync's log:\n%s", convergeTail(stderr))
	return
}

// renderState renders what the emulator holds without its ids: each org
// by path with its code, each group with its org and members, each user
// by login id with name, mail, suspension, licence and orgs; a user or an
// org held twice shows twice.
func renderState(t *testing.T, st emulator.State) string {
	t.Helper()
	v := newView(st)
	var lines []string
	for _, o := range st.Orgs {
		code := ""
		if o.Code != nil {
			code = *o.Code
		}
		lines = append(lines, fmt.Sprintf("org %s code=%s", v.path(o.ID), code))
	}
	login := map[string]string{}
	for _, u := range st.Users {
		if u.LoginID == nil {
			lines = append(lines, "user without a login id: "+u.Name)
			continue
		}
		login[u.ID] = *u.LoginID
		mail := ""
		if u.Mail != nil {
			mail = *u.Mail
		}
		lines = append(lines, fmt.Sprintf("user %s name=%s mail=%s suspended=%t license=%s orgs=%s",
			*u.LoginID, u.Name, mail, u.IsSuspended, u.License, v.orgs(*u.LoginID)))
	}
	for _, g := range st.Groups {
		var members []string
		for id, role := range st.GroupMembers[g.ID] {
			members = append(members, login[id]+"("+role+")")
		}
		lines = append(lines, fmt.Sprintf("group %s org=%s members=%s", g.Name, v.path(g.OrganizationID), strings.Join(sorted(members), ",")))
	}
	return strings.Join(sorted(lines), "\n")
}

// convergeDiff names the first lines where two renderings part.
func convergeDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d: want %q\n          got  %q (%d lines want, %d got)", i, a, b, len(w), len(g))
		}
	}
	return "(same)"
}

// convergeTail is the last lines of a long output.
func convergeTail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 30 {
		lines = append([]string{"…"}, lines[len(lines)-30:]...)
	}
	return strings.Join(lines, "\n")
}
