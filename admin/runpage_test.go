package admin

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

// runFixture is run 12 of hr-to-ad: 4 changes, 2 applied, 1 failed, 1
// pending; its job runs in Tokyo.
func runFixture() RunData {
	r := run("hr-to-ad", 12, store.ModeIncremental, store.RunFailed, 26*time.Hour, 2*time.Minute+5*time.Second, 4, 2, 1, "2 applied, 1 failed", "1 change failed")
	at := r.StartedAt.Add(time.Minute)
	entry := func(seq int, c change.Change, st store.EntryStatus, target, errText string) store.JournalEntry {
		return store.JournalEntry{RunID: 12, Seq: seq, Change: c, Status: st, TargetID: target, Error: errText, UpdatedAt: at}
	}
	return RunData{Now: statusNow, Replica: "orgbridge-0", TimeZone: "Asia/Tokyo", Run: r, Entries: []store.JournalEntry{
		entry(0, change.CreateUser(mapping.User{Key: "E1001", Name: "山田 太郎"}, nil), store.EntryApplied, "u-1001", ""),
		entry(1, change.SuspendUser("E1002", "u-1002", nil), store.EntryApplied, "u-1002", ""),
		entry(2, change.CreateUser(mapping.User{Key: "E1042", Name: "Jane <Doe>"}, nil), store.EntryFailed, "", "insufficient access rights on CN=Jane Doe,OU=Staff"),
		entry(3, change.SuspendUser("E1043", "u-1043", nil), store.EntryPending, "", ""),
	}}
}

func renderRunString(t *testing.T, d RunData) string {
	t.Helper()
	var buf bytes.Buffer
	if err := renderRun(&buf, d); err != nil {
		t.Fatalf("renderRun: %v", err)
	}
	return buf.String()
}

// A run's page: its facts in its job's zone, named once; every change
// with its outcome and a link to why; the outcome filter lists only those
// of the outcome and counts each; a refused run held for approval offers
// approve and reject and says how, never --force; a decided one says who
// and when.
func TestRunPage(t *testing.T) {
	all := renderRunString(t, runFixture())
	mustContain(t, all,
		`<h2 id="run-h">Run #12 of hr-to-ad</h2>`,
		`times in <strong class="zone">Asia/Tokyo (UTC&#43;09:00)</strong>`,
		`<time datetime="2026-11-21T14:57:00Z" title="26h ago">2026-11-21 23:57</time>`,
		`<a href="?outcome=all" aria-current="page">all (4)</a>`,
		`<a href="?outcome=failed">failed (1)</a>`,
		`<a href="?outcome=applied">applied (2)</a>`,
		`<a href="?outcome=pending">pending (1)</a>`,
		`<caption>4 changes</caption>`,
		`<a href="../explain?job=hr-to-ad&amp;key=E1042" title="why?"><code>E1042</code></a>`,
		`<span class="badge st-failed">failed</span>`,
		`insufficient access rights on CN=Jane Doe,OU=Staff`)
	if n := strings.Count(all, "<tr>") - 1; n != 4 {
		t.Errorf("rows = %d, want 4", n)
	}
	d := runFixture()
	d.Outcome = "failed"
	failed := renderRunString(t, d)
	mustContain(t, failed, `<a href="?outcome=failed" aria-current="page">failed (1)</a>`, `<caption>1 change failed</caption>`, `E1042`)
	mustNotContain(t, failed, `<code>E1001</code>`, `<code>E1043</code>`)
	d.Outcome = "pending"
	mustContain(t, renderRunString(t, d), `<code>E1043</code>`)

	refused := runFixture()
	refused.Run.Status, refused.Entries = store.RunRefused, nil
	refused.Run.Error = "refused by the safety guard: 9 of 10 users (90.0%) exceed the limit of 5.0% (raise guard.max_delete_ratio / guard.max_delete_count, or use --force)"
	refused.Held = true
	refused.HeldChanges = []scheduler.HeldChange{{Seq: 1, Symbol: "!", Kind: "user", Key: "1002", Detail: `suspended: "false" → "true"`}}
	held := renderRunString(t, refused)
	mustContain(t, held, `The held plan: 1 change`, `<a href="../explain?job=hr-to-ad&amp;key=1002" title="why?"><strong>1002</strong></a>`, `<form method="post" action="/api/approvals/12/approve">`, `<form method="post" action="/api/approvals/12/reject">`,
		`Its plan is held for approval.`, `(raise guard.max_delete_ratio / guard.max_delete_count)`, `No changes.`)
	mustNotContain(t, held, "--force")
	refused.Held = false
	refused.Run.Decision = store.Decision{Verdict: store.DecisionApproved, By: "ops", At: statusNow.Add(-time.Hour)}
	decided := renderRunString(t, refused)
	mustContain(t, decided, `<dt>Approval</dt><dd>approved by ops at 2026-11-23 00:57</dd>`)
	mustNotContain(t, decided, `<form`)
}

func TestRunPageGolden(t *testing.T) {
	got := styleRE.ReplaceAllString(renderRunString(t, runFixture()), "<style>/* templates/status.css */</style>")
	path := filepath.Join("testdata", "run_12.golden.html")
	if updateGolden() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./admin -run TestRunPageGolden -update)", err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// The run page over HTTP, from the store: 404 for no run, 400 for a bad
// id or outcome, and the journal's entries.
func TestRunPageHandler(t *testing.T) {
	h, st := newHandler(t, statusNow)
	ctx := t.Context()
	id, err := st.StartRun(ctx, "hr", store.ModeFull)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Plan(ctx, id, []change.Change{
		change.CreateUser(mapping.User{Key: "E1", Name: "a"}, nil),
		change.CreateUser(mapping.User{Key: "E2", Name: "b"}, nil),
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Applied(ctx, id, 0, "t-1"); err != nil {
		t.Fatal(err)
	}
	if err := st.Failed(ctx, id, 1, errors.New("boom")); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, id, store.RunFailed, "1 applied, 1 failed", errors.New("1 change failed")); err != nil {
		t.Fatal(err)
	}
	auth := map[string]string{"Authorization": "Bearer " + token}
	rec := do(h, "GET", "/runs/1?outcome=failed", auth)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /runs/1: %d %s", rec.Code, rec.Body)
	}
	mustContain(t, rec.Body.String(), `<code>E2</code>`, `boom`, `<a href="?outcome=failed" aria-current="page">failed (1)</a>`, `<a href="?outcome=applied">applied (1)</a>`)
	mustNotContain(t, rec.Body.String(), `<code>E1</code>`)
	for path, want := range map[string]int{"/runs/2": 404, "/runs/x": 400, "/runs/1?outcome=maybe": 400, "/runs/1": 200} {
		if rec := do(h, "GET", path, auth); rec.Code != want {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
		}
	}
	if rec := do(h, "GET", "/runs/1", nil); rec.Code != 401 {
		t.Errorf("GET /runs/1 without the token: %d", rec.Code)
	}
}
