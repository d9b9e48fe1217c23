package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/store"
)

// killer sits in front of an emulator and SIGKILLs the orgbridge process
// under test at its Nth write (a POST, PUT, PATCH or DELETE, not the token
// call): after the emulator has applied the write and either before its
// answer leaves (the process never learns the outcome: the journal cannot
// say whether the change landed) or after it was sent (the process may or
// may not have journaled it). Counting at the emulator's door, rather than
// a hook in the product, stops the real binary exactly there.
type killer struct {
	emu      http.Handler
	at       int64 // the write to kill at; 0 never kills
	answered bool  // kill after the answer was sent, not before

	mu     sync.Mutex
	proc   *os.Process
	writes atomic.Int64
	killed atomic.Bool
}

func (k *killer) arm(p *os.Process, at int64, answered bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.proc, k.at, k.answered = p, at, answered
	k.writes.Store(0)
	k.killed.Store(false)
}

func isWrite(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead && !strings.HasSuffix(r.URL.Path, "/oauth/token")
}

func (k *killer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isWrite(r) {
		k.emu.ServeHTTP(w, r)
		return
	}
	n := k.writes.Add(1)
	k.mu.Lock()
	proc, at, answered := k.proc, k.at, k.answered
	k.mu.Unlock()
	if at == 0 || n != at || proc == nil {
		k.emu.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	k.emu.ServeHTTP(rec, r)
	send := func() {
		for key, v := range rec.Header() {
			w.Header()[key] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	if answered {
		send()
	}
	// Marked before the signal: the test's Wait returns once the process
	// is gone, and may look before this handler's next line runs.
	k.killed.Store(true)
	_ = proc.Signal(syscall.SIGKILL)
	if !answered {
		send() // to a closed connection: nobody reads it
	}
}

// canon renders what AirCourse holds, one sorted line per object, with
// everything a sync writes and nothing the emulator makes up (ids, times):
// two states are the same organization when their canons are equal, and
// a duplicate shows as a line twice.
func canon(st emulator.State) []string {
	v := newView(st)
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	var lines []string
	for _, o := range st.Orgs {
		if o.ParentID == nil {
			continue // the root
		}
		lines = append(lines, fmt.Sprintf("org %s code=%q description=%q", v.path(o.ID), str(o.Code), str(o.Description)))
	}
	login := map[string]string{}
	for _, u := range st.Users {
		login[u.ID] = str(u.LoginID)
		if u.LoginID == nil {
			continue // the tenant's own administrator
		}
		lines = append(lines, fmt.Sprintf("user %s name=%q mail=%q number=%q department=%q position=%q license=%s suspended=%v orgs=%s",
			*u.LoginID, u.Name, str(u.Mail), str(u.UserNumber), str(u.Department), str(u.Position), u.License, u.IsSuspended, v.orgs(*u.LoginID)))
	}
	for _, g := range st.Groups {
		var members []string
		for id, role := range st.GroupMembers[g.ID] {
			members = append(members, login[id]+"("+role+")")
		}
		sort.Strings(members)
		lines = append(lines, fmt.Sprintf("group %s code=%q org=%s members=%s", g.Name, str(g.Code), v.path(g.OrganizationID), strings.Join(members, ",")))
	}
	sort.Strings(lines)
	return lines
}

// duplicates lists the lines of a canon that are there more than once.
func duplicates(lines []string) []string {
	var dup []string
	for i := 1; i < len(lines); i++ {
		if lines[i] == lines[i-1] {
			dup = append(dup, lines[i])
		}
	}
	return dup
}

// buildOrgbridge builds the binary once for the test: a SIGKILL needs a
// process of its own.
func buildOrgbridge(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "orgbridge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// journal reads the job's runs, oldest first, each with its entries.
func journal(t *testing.T, dbPath, job string) ([]store.Run, [][]store.JournalEntry) {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(context.Background(), job, 0)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].ID < runs[j].ID })
	entries := make([][]store.JournalEntry, len(runs))
	for i, r := range runs {
		if _, entries[i], err = st.Run(context.Background(), r.ID); err != nil {
			t.Fatal(err)
		}
	}
	return runs, entries
}

// entryKey names the object a journal entry changes.
func entryKey(e store.JournalEntry) string {
	return string(e.Change.Kind) + " " + e.Change.Key
}

// crashPoints are where a run is killed: its first write, its middle one
// and its last, before and after the answer. The last write's answer is
// not waited for: a process that has it needs no more requests, and may
// finish before the signal lands.
func crashPoints(total int64) []struct {
	name     string
	at       int64
	answered bool
} {
	return []struct {
		name     string
		at       int64
		answered bool
	}{
		{"first write, unanswered", 1, false},
		{"first write, answered", 1, true},
		{"middle write, unanswered", (total + 1) / 2, false},
		{"middle write, answered", (total + 1) / 2, true},
		{"last write, unanswered", total, false},
	}
}

// Crash at N, a CSV job: `orgbridge sync` is SIGKILLed at its first, middle
// and last write; the rerun brings AirCourse to exactly what a run that
// was never interrupted leaves (nothing twice, nothing missing), the
// journal shows the killed run interrupted and what it had not recorded
// done by the rerun, and a third run has nothing left to write.
func TestCrashAtNSync(t *testing.T) {
	bin := buildOrgbridge(t)
	// start serves one emulator behind a killer and points the demo config
	// at it.
	start := func(t *testing.T) (cli, *emulator.Server, *killer) {
		c, emu := setup(t)
		k := &killer{emu: emu}
		srv := httptest.NewServer(k)
		t.Cleanup(srv.Close)
		data, err := os.ReadFile(c.config())
		if err != nil {
			t.Fatal(err)
		}
		cfg := regexpBaseURL.ReplaceAllString(string(data), "base_url: "+srv.URL)
		c.write("demo.yaml", cfg)
		return c, emu, k
	}
	// run runs `orgbridge sync`, killed at write at (0: never), and
	// returns how it ended and what it printed (the plan).
	run := func(t *testing.T, c cli, k *killer, at int64, answered bool) (*os.ProcessState, string) {
		var out strings.Builder
		cmd := exec.Command(bin, "sync", "-c", c.config(), "--log-format", "json")
		cmd.Stdout, cmd.Stderr = &out, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		k.arm(cmd.Process, at, answered)
		_ = cmd.Wait()
		return cmd.ProcessState, out.String()
	}

	// The reference: one run never interrupted.
	c, emu, k := start(t)
	if ps, out := run(t, c, k, 0, false); !ps.Success() {
		t.Fatalf("reference sync: %v\n%s", ps, out)
	}
	want := canon(emu.State())
	total := k.writes.Load()
	if total < 10 || len(want) < 10 {
		t.Fatalf("the reference run made %d writes for %d objects: too few to crash in the middle", total, len(want))
	}
	t.Logf("the uninterrupted run makes %d writes for %d objects", total, len(want))
	dbPath := filepath.Join(c.dir, "orgbridge-demo.db")
	_, refEntries := journal(t, dbPath, "hr-to-aircourse")
	planned := map[string]bool{}
	for _, e := range refEntries[0] {
		planned[entryKey(e)] = true
	}

	for _, p := range crashPoints(total) {
		t.Run(p.name, func(t *testing.T) {
			c, emu, k := start(t)
			ps, _ := run(t, c, k, p.at, p.answered)
			if !k.killed.Load() || ps.Success() {
				t.Fatalf("sync was not killed at write %d: %v", p.at, ps)
			}
			if ws, ok := ps.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("sync ended with %v, not SIGKILL", ps)
			}
			if got := canon(emu.State()); p.at < total && equalLines(got, want) {
				t.Fatalf("AirCourse already holds everything after the kill at write %d: the test proves nothing", p.at)
			}

			ps, rerun := run(t, c, k, 0, false)
			if !ps.Success() {
				t.Fatalf("rerun: %v\n%s", ps, rerun)
			}
			got := canon(emu.State())
			if dup := duplicates(got); len(dup) > 0 {
				t.Errorf("after the rerun AirCourse holds twice:\n%s", strings.Join(dup, "\n"))
			}
			if !equalLines(got, want) {
				t.Errorf("after the rerun AirCourse differs from the uninterrupted run:\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}

			// The journal: the killed run is interrupted with changes not
			// recorded done; the rerun succeeded, and each change the
			// killed run had not recorded done is done by the rerun (an
			// entry applied, or nothing left to do: the write had landed
			// and the rerun matched it by its natural key).
			runs, entries := journal(t, filepath.Join(c.dir, "orgbridge-demo.db"), "hr-to-aircourse")
			if len(runs) != 2 || runs[0].Status != store.RunInterrupted || runs[1].Status != store.RunSucceeded {
				t.Fatalf("runs after the kill and the rerun: %+v", runs)
			}
			done := map[string]bool{}
			for _, e := range entries[0] {
				if e.Status == store.EntryApplied {
					done[entryKey(e)] = true
				}
			}
			if len(done) >= len(planned) {
				t.Errorf("the killed run recorded all %d changes done", len(done))
			}
			// Each planned change the killed run had not recorded done is
			// done by the rerun: an applied entry, or, where the write had
			// landed unrecorded, an adoption of the object ("=" in its
			// plan, counted in its summary) or the membership found in
			// place.
			redone := map[string]bool{}
			for _, e := range entries[1] {
				if e.Status != store.EntryApplied {
					t.Errorf("rerun entry %s %s: %s %s", e.Change.Action, entryKey(e), e.Status, e.Error)
				}
				if done[entryKey(e)] {
					t.Errorf("the rerun did again what the killed run recorded done: %s %s", e.Change.Action, entryKey(e))
				}
				redone[entryKey(e)] = true
			}
			adopted, inPlace := 0, 0
			for key := range planned {
				if done[key] || redone[key] {
					continue
				}
				kind, k, _ := strings.Cut(key, " ")
				if kind == "membership" {
					// A membership has no identity to adopt: the rerun
					// read it in place and planned nothing (the state
					// check above shows it there, once).
					inPlace++
					continue
				}
				if !regexp.MustCompile(`(?m)^\s*= ` + regexp.QuoteMeta(kind) + `\s+` + regexp.QuoteMeta(k) + `\s`).MatchString(rerun) {
					t.Errorf("%s: planned, not recorded done by the killed run, and neither applied nor adopted by the rerun", key)
				}
				adopted++
			}
			if adopted > 0 && !strings.Contains(runs[1].Summary, fmt.Sprintf("; %d existing objects adopted", adopted)) {
				t.Errorf("the rerun adopted %d objects; its summary says %q", adopted, runs[1].Summary)
			}
			t.Logf("killed at write %d of %d: the killed run recorded %d of %d changes done; the rerun applied %d, adopted %d and found %d memberships in place (%d writes): %s",
				p.at, total, len(done), len(planned), len(entries[1]), adopted, inPlace, k.writes.Load(), runs[1].Summary)

			if ps, out := run(t, c, k, 0, false); !ps.Success() || k.writes.Load() != 0 {
				t.Errorf("a third run: %v, %d writes; want none\n%s", ps, k.writes.Load(), out)
			}
		})
	}
}

var regexpBaseURL = regexp.MustCompile(`base_url: \S+`)

// equalLines reports whether two canons are the same.
func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// serveProc is one `orgbridge serve` process with its SCIM URL.
type serveProc struct {
	cmd  *exec.Cmd
	scim string
}

// startServeProc runs the binary's serve and waits until its SCIM
// listener is up (the deadline is a hang guard).
func startServeProc(t *testing.T, bin, cfg string) *serveProc {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-c", cfg, "--log-format", "json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			var line struct{ Msg, Listener, URL string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" && line.Listener == "scim" && !sent {
				addr <- line.URL
				sent = true
			}
		}
		if !sent {
			close(addr)
		}
	}()
	select {
	case u, ok := <-addr:
		if !ok {
			t.Fatal("serve exited before listening")
		}
		return &serveProc{cmd: cmd, scim: u + "/scim/v2"}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not listen within a minute")
	}
	return nil
}

// push sends one SCIM request as an identity provider would.
func (s *serveProc) push(t *testing.T, method, path, body string, want int) map[string]any {
	t.Helper()
	req, err := http.NewRequest(method, s.scim+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+scimToken)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

// stop ends a serve process with SIGTERM, as systemd does, and waits.
func (s *serveProc) stop(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}

// pushUsers pushes n users and a group holding them all to a serve whose
// debounce keeps it from applying them: every push acknowledged, none
// applied yet.
func pushUsers(t *testing.T, s *serveProc, n int) {
	t.Helper()
	var members []string
	for i := 1; i <= n; i++ {
		id := s.push(t, "POST", "/Users", userJSON(fmt.Sprintf("user%02d@example.jp", i), fmt.Sprintf("利用者 %02d", i), "True", fmt.Sprintf("%d", 2000+i)), 201)["id"].(string)
		members = append(members, `{"value":"`+id+`"}`)
	}
	group := s.push(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"全社","externalId":"g-all"}`, 201)["id"].(string)
	s.push(t, "PATCH", "/Groups/"+group, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"Add","path":"members","value":[`+strings.Join(members, ",")+`]}]}`, 204)
}

// waitRun polls the store until the job has a succeeded run after the
// first `after` runs (the deadline is a hang guard).
func waitRun(t *testing.T, dbPath, job string, after int) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		runs, _ := journal(t, dbPath, job)
		for _, r := range runs[min(after, len(runs)):] {
			if r.Status == store.RunSucceeded {
				return
			}
		}
	}
	t.Fatalf("no succeeded run of %s within a minute", job)
}

// Crash at N, a SCIM-push job: users an IdP pushed (acknowledged, not yet
// applied) are being applied by `orgbridge serve` when it is SIGKILLed at
// the first, middle and last write to AirCourse; a restarted serve applies
// what was acknowledged, leaving AirCourse as an uninterrupted serve does,
// nothing twice; the journal shows the killed run interrupted and a later
// run succeeded with the changes it had not recorded done; the nightly
// full sync then writes nothing.
func TestCrashAtNServe(t *testing.T) {
	bin := buildOrgbridge(t)
	const users, job = 8, "scim-to-aircourse"
	t.Setenv("SCIM_TOKEN", scimToken)
	t.Setenv(demoSecretEnv, demoClientSecret)
	// start pushes the users to a serve that holds them (debounce 1h),
	// and returns the work dir, the emulator behind its killer and the
	// config that applies within 200ms.
	start := func(t *testing.T) (string, *emulator.Server, *killer, string) {
		emu := emulator.New(emulator.Options{Options: emukit.Options{RateLimit: -1}})
		emu.AddClient(demoClientID, demoClientSecret)
		k := &killer{emu: emu}
		srv := httptest.NewServer(k)
		t.Cleanup(srv.Close)
		work := t.TempDir()
		s := startServeProc(t, bin, scimConfig(t, work, srv.URL, "1h"))
		pushUsers(t, s, users)
		s.stop(t)
		if w := k.writes.Load(); w != 0 {
			t.Fatalf("%d writes before the serve that applies: the test proves nothing", w)
		}
		return work, emu, k, scimConfig(t, work, srv.URL, "200ms")
	}

	work, emu, k, cfg := start(t)
	s := startServeProc(t, bin, cfg)
	waitRun(t, filepath.Join(work, "orgbridge-scim.db"), job, 0)
	s.stop(t)
	want := canon(emu.State())
	total := k.writes.Load()
	if total < 3 || len(want) < users {
		t.Fatalf("the reference serve made %d writes for %d objects", total, len(want))
	}
	t.Logf("the uninterrupted serve makes %d writes for %d objects", total, len(want))

	for _, p := range []struct {
		name     string
		at       int64
		answered bool
	}{
		{"first write, answered", 1, true},
		{"middle write, unanswered", (total + 1) / 2, false},
		{"last write, unanswered", total, false},
	} {
		t.Run(p.name, func(t *testing.T) {
			work, emu, k, cfg := start(t)
			dbPath := filepath.Join(work, "orgbridge-scim.db")
			s := startServeProc(t, bin, cfg)
			k.arm(s.cmd.Process, p.at, p.answered)
			_ = s.cmd.Wait()
			if ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus); !k.killed.Load() || !ok || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("serve was not killed at write %d: %v", p.at, s.cmd.ProcessState)
			}
			k.arm(nil, 0, false)

			s = startServeProc(t, bin, cfg)
			waitRun(t, dbPath, job, 1)
			s.stop(t)
			got := canon(emu.State())
			if dup := duplicates(got); len(dup) > 0 {
				t.Errorf("after the restart AirCourse holds twice:\n%s", strings.Join(dup, "\n"))
			}
			if !equalLines(got, want) {
				t.Errorf("after the restart AirCourse differs from the uninterrupted serve:\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}

			runs, entries := journal(t, dbPath, job)
			if len(runs) < 2 || runs[0].Status != store.RunInterrupted {
				t.Fatalf("runs after the kill and the restart: %+v", runs)
			}
			done := 0
			for _, e := range entries[0] {
				if e.Status == store.EntryApplied {
					done++
				}
			}
			if done == len(entries[0]) {
				t.Errorf("the killed run recorded all %d changes done", done)
			}
			last := runs[len(runs)-1]
			if last.Status != store.RunSucceeded {
				t.Errorf("the last run after the restart: %+v", last)
			}
			// Each change the killed run had not recorded done is applied
			// by a later run, or its object adopted (counted in the
			// summary: serve prints no plan), or, a membership, found in
			// place (the state check above).
			redone, adopted := map[string]bool{}, 0
			for i, r := range runs[1:] {
				for _, e := range entries[i+1] {
					if e.Status == store.EntryApplied {
						redone[entryKey(e)] = true
					}
				}
				if m := regexp.MustCompile(`; (\d+) existing objects adopted`).FindStringSubmatch(r.Summary); m != nil {
					n, _ := strconv.Atoi(m[1])
					adopted += n
				}
			}
			unrecorded := 0
			for _, e := range entries[0] {
				if e.Status != store.EntryApplied && e.Change.Kind != "membership" && !redone[entryKey(e)] {
					unrecorded++
				}
			}
			if unrecorded != adopted {
				t.Errorf("%d objects the killed run had not recorded done were not applied after the restart; %d were adopted", unrecorded, adopted)
			}
			t.Logf("killed at write %d of %d: the killed run recorded %d of %d changes done; after the restart: %s (%d writes)",
				p.at, total, done, len(entries[0]), last.Summary, k.writes.Load())

			// The nightly full run finds nothing left to do.
			k.arm(nil, 0, false)
			cmd := exec.Command(bin, "sync", "-c", cfg, "--log-format", "json")
			if out, err := cmd.CombinedOutput(); err != nil || k.writes.Load() != 0 {
				t.Errorf("full sync after the restart: %v, %d writes\n%s", err, k.writes.Load(), out)
			}
		})
	}
}
