package admin

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the fixtures' zones, whatever the machine has

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

// updateGolden is -update: rewrite admin/testdata from the current output
// (go test ./admin -run TestStatus -update). Another test file of the
// package may define the same flag; then both share it.
var updateGolden = boolFlag("update", "rewrite the golden files in testdata")

func boolFlag(name, usage string) func() bool {
	if flag.Lookup(name) == nil {
		flag.Bool(name, false, usage)
	}
	return func() bool {
		g, ok := flag.Lookup(name).Value.(flag.Getter)
		if !ok {
			return false
		}
		v, _ := g.Get().(bool)
		return v
	}
}

// statusNow is the fixtures' page time: 2026-11-23 01:57 in Tokyo.
var statusNow = time.Date(2026, 11, 22, 16, 57, 0, 0, time.UTC)

// run makes a run of job that started ago before statusNow and took took
// (still running when took is 0 and status is running).
func run(job string, id int64, mode string, status store.RunStatus, ago, took time.Duration, planned, applied, failed int, summary, errText string) store.Run {
	r := store.Run{
		ID: id, Job: job, Mode: mode, Status: status,
		StartedAt: statusNow.Add(-ago),
		Planned:   planned, Applied: applied, Failed: failed,
		Summary: summary, Error: errText,
	}
	if status != store.RunRunning {
		r.FinishedAt = r.StartedAt.Add(took)
	}
	return r
}

// hrJob has a run of every status, newest first, one without changes.
func hrJob() JobView {
	const j = "hr-to-ad"
	return JobView{JobInfo: scheduler.JobInfo{
		Name: j, SourceType: "workday", TargetType: "ad",
		Schedule: "0 2 * * *", IncrementalSchedule: "*/15 * * * *", TimeZone: "Asia/Tokyo",
		Next:            statusNow.Add(3 * time.Minute),
		NextIncremental: statusNow.Add(12*time.Minute + 20*time.Second),
		Running:         true,
	},
		Runs: []store.Run{
			run(j, 17, store.ModeIncremental, store.RunRunning, 95*time.Second, 0, 12, 7, 0, "", ""),
			run(j, 16, store.ModeIncremental, store.RunSucceeded, 15*time.Minute, 8*time.Second, 0, 0, 0, "no changes", ""),
			run(j, 15, store.ModeDryRun, store.RunDryRun, 2*time.Hour, 41*time.Second, 64, 0, 0, "plan: 60 updates, 4 creates", ""),
			run(j, 14, store.ModeFull, store.RunInterrupted, 5*time.Hour, 3*time.Minute, 120, 75, 0, "", "interrupted by shutdown"),
			run(j, 13, store.ModeFull, store.RunRefused, 24*time.Hour, 12*time.Second, 950, 0, 0, "", "guard: 950 deletes exceed the limit of 50 (5%)"),
			run(j, 12, store.ModeIncremental, store.RunFailed, 26*time.Hour, 2*time.Minute+5*time.Second, 40, 31, 9,
				"31 applied, 9 failed", "9 changes failed; first: LDAP Result Code 50 \"Insufficient Access Rights\": 00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0"),
			run(j, 11, store.ModeFull, store.RunSucceeded, 48*time.Hour, 1*time.Hour+4*time.Minute, 1200, 1200, 0, "1200 applied", ""),
		},
	}
}

// googleJob has one run and only a full schedule.
func googleJob() JobView {
	const j = "people-to-google"
	return JobView{JobInfo: scheduler.JobInfo{
		Name: j, SourceType: "scim", TargetType: "google",
		Schedule: "30 3 * * 1-5", TimeZone: "Europe/Berlin",
		Next: statusNow.Add(10*time.Hour + 33*time.Minute),
	},
		Runs: []store.Run{
			run(j, 9, store.ModeFull, store.RunSucceeded, 3*time.Hour, 700*time.Millisecond, 3, 3, 0, "3 applied", ""),
		},
	}
}

func quarantinedJob() JobView {
	const j = "lms-export"
	return JobView{JobInfo: scheduler.JobInfo{
		Name: j, SourceType: "ldap", TargetType: "scim",
		Schedule: "0 * * * *", TimeZone: "UTC",
		Next:             statusNow.Add(4 * time.Hour),
		Quarantined:      true,
		QuarantineReason: "3 failed runs in a row",
		QuarantineUntil:  statusNow.Add(4 * time.Hour),
	},
		Runs: []store.Run{
			run(j, 23, store.ModeFull, store.RunFailed, 1*time.Hour, 20*time.Second, 5, 0, 5, "", "target unreachable: dial tcp 10.0.0.7:443: i/o timeout"),
			run(j, 22, store.ModeFull, store.RunFailed, 2*time.Hour, 20*time.Second, 5, 0, 5, "", "target unreachable: dial tcp 10.0.0.7:443: i/o timeout"),
			run(j, 21, store.ModeFull, store.RunFailed, 3*time.Hour, 20*time.Second, 5, 0, 5, "", "target unreachable: dial tcp 10.0.0.7:443: i/o timeout"),
		},
	}
}

// heldJob holds back records that cannot be mapped, more than the card
// lists.
func heldJob() JobView {
	const j = "scim-to-aircourse"
	v := JobView{JobInfo: scheduler.JobInfo{Name: j, SourceType: "scim", TargetType: "aircourse"},
		Runs: []store.Run{run(j, 31, store.ModeIncremental, store.RunSucceeded, 2*time.Minute, time.Second, 15, 3, 12, "3 to create; 12 record(s) left out: they cannot be mapped", "")}}
	v.HeldBack = append(v.HeldBack,
		mapping.LeftOut{Kind: mapping.KindUser, Key: "0b5e11f0-bad1", Reason: `SCIM User 0b5e11f0-bad1 (solo@example.jp): user "0b5e11f0-bad1": empty name`},
		mapping.LeftOut{Kind: mapping.KindUser, Key: "7c2d-a", Reason: `SCIM User 7c2d-a (a@x.test): user "7c2d-a": email "shared@x.test" is also used by user "7c2d-b"`})
	for i := range 10 {
		v.HeldBack = append(v.HeldBack, mapping.LeftOut{Kind: mapping.KindUser, Key: fmt.Sprintf("k%02d", i), Reason: "m.users.role.template: value \"部長\" is not in the role map and no default is set"})
	}
	return v
}

// manyRunsJob has 35 runs, more than the chart shows; mostly no schedule.
func manyRunsJob() JobView {
	const j = "bulk"
	v := JobView{JobInfo: scheduler.JobInfo{Name: j, SourceType: "csv", TargetType: "ldap"}}
	for i := range 35 {
		id := int64(200 - i)
		status := store.RunSucceeded
		failed := 0
		if i%7 == 3 {
			status, failed = store.RunFailed, i%5+1
		}
		v.Runs = append(v.Runs, run(j, id, store.ModeFull, status, time.Duration(i+1)*6*time.Hour, 30*time.Second, (i*13)%40+failed, (i*13)%40, failed, "", ""))
	}
	return v
}

// zeroJob's runs changed nothing.
func zeroJob() JobView {
	const j = "quiet"
	return JobView{JobInfo: scheduler.JobInfo{
		Name: j, SourceType: "ldap", TargetType: "ldap",
		IncrementalSchedule: "*/5 * * * *", TimeZone: "Asia/Tokyo",
		NextIncremental: statusNow.Add(3 * time.Minute),
	},
		Runs: []store.Run{
			run(j, 3, store.ModeIncremental, store.RunSucceeded, 5*time.Minute, time.Second, 0, 0, 0, "no changes", ""),
			run(j, 2, store.ModeIncremental, store.RunSucceeded, 10*time.Minute, time.Second, 0, 0, 0, "no changes", ""),
		},
	}
}

func pending() []scheduler.PendingApproval {
	return []scheduler.PendingApproval{
		{Job: "hr-to-ad", RunID: 13, At: statusNow.Add(-24 * time.Hour), Summary: "950 deletes, 3 updates", Reason: "950 deletes exceed the limit of 50 (5%)"},
		{Job: "people-to-google", RunID: 42, At: statusNow.Add(-20 * time.Minute), Summary: "120 suspends", Reason: "120 suspends exceed the limit of 25",
			Changes: []scheduler.HeldChange{
				{Seq: 1, Symbol: "!", Kind: "user", Key: "1003", Detail: `鈴木 一郎  login=e1003  (left the source: suspend); suspended: "false" → "true"`},
				{Seq: 2, Symbol: "!", Kind: "user", Key: "1004", Detail: `高橋 健太  login=e1004  (left the source: suspend); suspended: "false" → "true"`},
				{Seq: 3, Symbol: "-", Kind: "group", Key: "<新人研修>"},
			}},
	}
}

func failedOps() []FailedOp {
	return []FailedOp{
		{Job: "hr-to-ad", RunID: 12, At: statusNow.Add(-26 * time.Hour), Action: "update", Kind: "user", Key: "E1042", Error: "insufficient access rights on CN=Jane Doe,OU=Staff"},
		{Job: "hr-to-ad", RunID: 12, At: statusNow.Add(-26*time.Hour - time.Minute), Action: "create", Kind: "group", Key: "sales-emea", Error: "entry already exists"},
	}
}

func statusCases() []struct {
	name string
	data StatusData
} {
	return []struct {
		name string
		data StatusData
	}{
		{"empty", StatusData{Now: statusNow, Replica: "orgbridge-1"}},
		{"jobs", StatusData{Now: statusNow, Replica: "orgbridge-0", Leader: true, Jobs: []JobView{hrJob(), googleJob()}}},
		{"quarantine", StatusData{Now: statusNow, Replica: "orgbridge-0", Leader: true, Jobs: []JobView{quarantinedJob()}}},
		{"charts", StatusData{Now: statusNow, Leader: true, Jobs: []JobView{
			{JobInfo: scheduler.JobInfo{Name: "never-ran", SourceType: "csv", TargetType: "scim"}}, googleJob(), zeroJob(), manyRunsJob(),
		}}},
		{"held", StatusData{Now: statusNow, Replica: "orgbridge-0", Leader: true, Jobs: []JobView{heldJob()},
			Failed: []FailedOp{{Job: "scim-to-aircourse", RunID: 31, At: statusNow.Add(-2 * time.Minute), Action: "leave_out", Kind: "user", Key: "0b5e11f0-bad1",
				Error: `SCIM User 0b5e11f0-bad1 (solo@example.jp): user "0b5e11f0-bad1": empty name`}}}},
		{"approvals", StatusData{Now: statusNow, Replica: "orgbridge-0", Leader: true, Pending: pending(), Failed: failedOps()}},
		{"escaping", StatusData{Now: statusNow, Replica: `r"1<b>`, Jobs: []JobView{{
			JobInfo: scheduler.JobInfo{Name: "a&b <i>", SourceType: "ldap", TargetType: "scim",
				Schedule: `0 2 * * *"><script>x</script>`, TimeZone: "Mars/Olympus"},
			Runs: []store.Run{run("a&b", 5, store.ModeFull, store.RunFailed, time.Hour, time.Minute, 1, 0, 1,
				`<b>bold</b>`, `bad <script>alert(1)</script> "quoted" & more`)},
		}}, Failed: []FailedOp{{Job: "a&b", RunID: 5, At: statusNow, Action: "create", Kind: "user", Key: `<k>`,
			Error: `<img src=x onerror=alert(2)>`}},
			Pending: []scheduler.PendingApproval{{Job: "a&b", RunID: 5, At: statusNow, Summary: "<u>s</u>", Reason: `"><script>alert(3)</script>`}},
		}},
		{"full", fullStatus()},
	}
}

// fullStatus has a bit of everything (the browser test loads it).
func fullStatus() StatusData {
	return StatusData{
		Now: statusNow, Replica: "orgbridge-0", Leader: true,
		Jobs:    []JobView{hrJob(), quarantinedJob(), heldJob(), manyRunsJob(), {JobInfo: scheduler.JobInfo{Name: "never-ran", SourceType: "csv", TargetType: "scim"}}},
		Failed:  failedOps(),
		Pending: pending(),
	}
}

func render(t *testing.T, d StatusData) string {
	t.Helper()
	var buf bytes.Buffer
	if err := renderStatus(&buf, d); err != nil {
		t.Fatalf("renderStatus: %v", err)
	}
	return buf.String()
}

// wantBars is the number of runs the charts of d show.
func wantBars(d StatusData) int {
	n := 0
	for _, j := range d.Jobs {
		n += min(len(j.Runs), 30)
	}
	return n
}

var barRE = regexp.MustCompile(`<g class="bar">`)

var styleRE = regexp.MustCompile(`(?s)<style>.*?</style>`)

func TestStatusGolden(t *testing.T) {
	for _, tc := range statusCases() {
		t.Run(tc.name, func(t *testing.T) {
			// The stylesheet is the embedded templates/status.css as it is:
			// each golden file holds the page around it, not a copy of it.
			got := styleRE.ReplaceAllString(render(t, tc.data), "<style>/* templates/status.css */</style>")
			path := filepath.Join("testdata", "status_"+tc.name+".golden.html")
			if updateGolden() {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./admin -run TestStatus -update)", err)
			}
			if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
				t.Errorf("%s differs (-want +got); if the change is meant, run go test ./admin -run TestStatus -update:\n%s", path, diff)
			}
		})
	}
}

func TestStatusPage(t *testing.T) {
	for _, tc := range statusCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := render(t, tc.data)
			for _, want := range []string{
				`<html lang="en">`,
				`<meta http-equiv="refresh" content="30">`,
				`<main>`,
				`<h1>orgbridge</h1>`,
				`Plans waiting for approval`,
				`Recent failed operations`,
			} {
				if !strings.Contains(got, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			if n, want := len(barRE.FindAllStringIndex(got, -1)), wantBars(tc.data); n != want {
				t.Errorf("SVG bars = %d, want %d (one per run, at most 30 per job)", n, want)
			}
			if n, want := strings.Count(got, "<svg "), jobsWithRuns(tc.data); n != want {
				t.Errorf("charts = %d, want %d", n, want)
			}
			// Every <th> of a table head is a column header.
			if strings.Contains(got, "<thead><tr><th>") {
				t.Error("a column header lacks scope")
			}
		})
	}
}

func jobsWithRuns(d StatusData) int {
	n := 0
	for _, j := range d.Jobs {
		if len(j.Runs) > 0 {
			n++
		}
	}
	return n
}

func TestStatusFacts(t *testing.T) {
	t.Run("header", func(t *testing.T) {
		leader := render(t, StatusData{Now: statusNow, Replica: "orgbridge-0", Leader: true})
		standby := render(t, StatusData{Now: statusNow, Replica: "orgbridge-1"})
		mustContain(t, leader, `replica <strong>orgbridge-0</strong>`, `>leader</span>`, `rendered <time datetime="2026-11-22T16:57:00Z">2026-11-22 16:57</time>`,
			`times in <strong class="zone">UTC (UTC&#43;00:00)</strong>`)
		mustContain(t, standby, `>standby</span>`)
		mustNotContain(t, standby, `>leader</span>`)
	})
	t.Run("schedule", func(t *testing.T) {
		got := render(t, StatusData{Now: statusNow, Jobs: []JobView{hrJob()}})
		mustContain(t, got,
			`<code>0 2 * * *</code>`+"\n",
			`times in <strong class="zone">Asia/Tokyo (UTC&#43;09:00)</strong>`,
			`rendered <time datetime="2026-11-22T16:57:00Z">2026-11-23 01:57</time>`,
			`in 3m (2026-11-23 02:00)`,
			`in 12m (2026-11-23 02:09)`,
			`<span class="badge st-running">running</span>`,
			`<span class="badge st-succeeded" title="status of the last finished run">last run: succeeded</span>`,
			`workday → ad`)
	})
	t.Run("held back", func(t *testing.T) {
		got := render(t, StatusData{Now: statusNow, Jobs: []JobView{heldJob()}})
		mustContain(t, got,
			`>12 held back</span>`,
			`<strong>12 records held back</strong>`,
			`user <a href="explain?job=scim-to-aircourse&amp;key=0b5e11f0-bad1" title="why?"><code>0b5e11f0-bad1</code></a>`,
			`email &#34;shared@x.test&#34; is also used by user &#34;7c2d-b&#34;`,
			`and 2 more`)
		one := heldJob()
		one.HeldBack = one.HeldBack[:1]
		got = render(t, StatusData{Now: statusNow, Jobs: []JobView{one}})
		mustContain(t, got, `>1 held back</span>`, `<strong>1 record held back</strong>: it cannot be mapped`)
		mustNotContain(t, got, `more (see`)
		mustNotContain(t, render(t, StatusData{Now: statusNow, Jobs: []JobView{hrJob()}}), `held back`)
	})
	t.Run("statuses", func(t *testing.T) {
		got := render(t, StatusData{Now: statusNow, Jobs: []JobView{hrJob()}})
		for _, s := range []string{"succeeded", "failed", "refused", "interrupted", "running", "dry_run"} {
			label := strings.ReplaceAll(s, "_", " ")
			mustContain(t, got, fmt.Sprintf(`<span class="badge st-%s">%s</span>`, s, label))
		}
		mustContain(t, got, `<td class="when">1m 35s so far</td>`, `<td class="when">1h 4m</td>`)
	})
	t.Run("quarantine", func(t *testing.T) {
		got := render(t, StatusData{Now: statusNow, Jobs: []JobView{quarantinedJob()}})
		mustContain(t, got, `<span class="badge quarantine">quarantined</span>`,
			`until <time datetime="2026-11-22T20:57:00Z">2026-11-22 20:57</time> (in 4h): 3 failed runs in a row.`)
	})
	t.Run("error truncated, whole in title", func(t *testing.T) {
		got := render(t, StatusData{Now: statusNow, Jobs: []JobView{hrJob()}})
		mustContain(t, got,
			`title="9 changes failed; first: LDAP Result Code 50 &#34;Insufficient Access Rights&#34;: 00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0">`,
			`9 changes failed; first: LDAP Result Code 50 &#34;Insufficient Access Rights&#34;: 0000…</span>`)
	})
	t.Run("approvals", func(t *testing.T) {
		got := render(t, StatusData{Now: statusNow, Pending: pending()})
		mustContain(t, got,
			`<form method="post" action="/api/approvals/42/approve"><button type="submit" class="approve"`,
			`<form method="post" action="/api/approvals/42/reject"><button type="submit" class="reject"`,
			`<form method="post" action="/api/approvals/13/approve">`,
			`120 suspends exceed the limit of 25`)
		empty := render(t, StatusData{Now: statusNow})
		mustContain(t, empty, `No plans are waiting for approval.`, `No failed operations.`, `No jobs are configured.`)
		mustNotContain(t, empty, `<form`)
	})
	t.Run("failed ops", func(t *testing.T) {
		got := render(t, StatusData{Now: statusNow, Failed: failedOps()})
		mustContain(t, got, `<th scope="row">hr-to-ad</th>`, `<td><a href="explain?job=hr-to-ad&amp;key=sales-emea" title="why?"><code>sales-emea</code></a></td>`, `entry already exists`)
	})
	t.Run("escaping", func(t *testing.T) {
		var esc StatusData
		for _, tc := range statusCases() {
			if tc.name == "escaping" {
				esc = tc.data
			}
		}
		got := render(t, esc)
		mustNotContain(t, got, "<script", "<img", "<b>", "<u>", "<i>", "<k>")
		mustContain(t, got,
			`bad &lt;script&gt;alert(1)&lt;/script&gt; &#34;quoted&#34; &amp; more`,
			`&lt;img src=x onerror=alert(2)&gt;`,
			`&#34;&gt;&lt;script&gt;alert(3)&lt;/script&gt;`,
			`a&amp;b &lt;i&gt;`,
			`replica <strong>r&#34;1&lt;b&gt;</strong>`)
	})
	t.Run("chart caps at 30 runs, oldest first", func(t *testing.T) {
		got := render(t, StatusData{Now: statusNow, Jobs: []JobView{manyRunsJob()}})
		if n := len(barRE.FindAllStringIndex(got, -1)); n != 30 {
			t.Errorf("bars = %d, want 30", n)
		}
		first, last := strings.Index(got, "<title>run #171 "), strings.Index(got, "<title>run #200 ")
		if first < 0 || last < 0 || first > last {
			t.Errorf("bars of runs #171 (oldest shown) and #200 (newest) at %d, %d; want both, oldest first", first, last)
		}
		mustNotContain(t, got, "<title>run #170 ")
		mustContain(t, got, `<caption>Last 10 of 35 runs</caption>`)
	})
	t.Run("chart with one run and with no changes", func(t *testing.T) {
		one := render(t, StatusData{Now: statusNow, Jobs: []JobView{googleJob()}})
		mustContain(t, one, `<title>run #9 · 2026-11-22 14:57 · succeeded · 3 applied, 0 failed (3 planned)</title>`,
			`text-anchor="middle">11-22 14:57</text>`)
		zero := render(t, StatusData{Now: statusNow, Jobs: []JobView{zeroJob()}})
		if n := strings.Count(zero, `<rect class="zero"`); n != 2 {
			t.Errorf("zero stubs = %d, want 2", n)
		}
		mustNotContain(t, zero, `class="applied" x=`, `class="failed" x=`, "NaN", "Inf")
		none := render(t, StatusData{Now: statusNow, Jobs: []JobView{{JobInfo: scheduler.JobInfo{Name: "never-ran"}}}})
		mustContain(t, none, `No runs yet.`, `Not scheduled: runs only when triggered.`)
		mustNotContain(t, none, "<svg")
	})
}

// One zone per page (issue 20 item 5): the jobs' zone when they share one,
// else the machine's, named once at the top; no time carries a zone of
// its own, so JST and UTC never mix.
func TestStatusOneZone(t *testing.T) {
	tokyo := render(t, StatusData{Now: statusNow, Jobs: []JobView{hrJob(), zeroJob()}, Failed: failedOps(), Pending: pending()})
	mustContain(t, tokyo, `times in <strong class="zone">Asia/Tokyo (UTC&#43;09:00)</strong>`,
		// the failed op 26h ago and the held plan, in Tokyo's time
		`<time datetime="2026-11-21T14:57:00Z" title="26h ago">2026-11-21 23:57</time>`,
		`<time datetime="2026-11-21T16:57:00Z" title="24h ago">2026-11-22 01:57</time>`)
	mixed := render(t, StatusData{Now: statusNow, Jobs: []JobView{hrJob(), googleJob()}})
	mustContain(t, mixed, `times in <strong class="zone">UTC (UTC&#43;00:00)</strong>`, `in 10h 33m (2026-11-23 03:30)`,
		// each cron spec is read in its own zone, which its card names
		`<code>0 2 * * *</code> <span class="tz">Asia/Tokyo</span>`, `<code>30 3 * * 1-5</code> <span class="tz">Europe/Berlin</span>`)
	mustNotContain(t, tokyo, `<span class="tz">`)
	for _, page := range []string{tokyo, mixed} {
		if n := strings.Count(page, "times in "); n != 1 {
			t.Errorf("the zone is named %d times, want once", n)
		}
		mustNotContain(t, page, " JST<", " UTC<", " CET<", " JST)", " UTC)", " CET)")
	}
}

// Every run, bar and failed operation links to the run's page; a refused
// run is drawn (its planned changes, outlined; dashed while held) and
// says what became of its plan; the web page's refusal says how to
// approve on the page, never "use --force".
func TestStatusLinksAndRefusals(t *testing.T) {
	j := hrJob()
	j.Runs[4].Error = "refused by the safety guard: 950 of 1000 users (95.0%) exceed the limit of 5.0% (raise guard.max_delete_ratio / guard.max_delete_count, or use --force)"
	decided := j.Runs[4]
	decided.ID, decided.Decision = 10, store.Decision{Verdict: store.DecisionRejected, By: "ops@example.jp", At: statusNow.Add(-20 * time.Hour)}
	j.Runs = append(j.Runs, decided)
	got := render(t, StatusData{Now: statusNow, Jobs: []JobView{j}, Failed: failedOps(), Pending: pending()})
	for _, r := range j.Runs {
		mustContain(t, got, fmt.Sprintf(`<a href="runs/%d">#%d</a>`, r.ID, r.ID))
		if n := strings.Count(got, fmt.Sprintf(`<a href="runs/%d">`, r.ID)); n < 2 {
			t.Errorf("run %d: %d links, want the table's and the chart's", r.ID, n)
		}
	}
	mustContain(t, got,
		`<a href="runs/12?outcome=failed">#12</a>`,
		`<rect class="held" x=`,
		`<rect class="refused" x=`,
		`held for approval: approve or reject it under Plans waiting for approval`,
		`rejected by ops@example.jp at 2026-11-22 05:57`,
		`(raise guard.max_delete_ratio / guard.max_delete_count)`,
		`Approve applies the plan as it was planned`)
	mustNotContain(t, got, "--force")
	if webReason("x (raise a, or use --force)") != "x (raise a)" {
		t.Errorf("webReason kept the --force advice")
	}
}

func mustContain(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func mustNotContain(t *testing.T, got string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(got, b) {
			t.Errorf("page contains %q", b)
		}
	}
}

func TestStatusHelpers(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "now"},
		{42 * time.Second, "in 42s"},
		{-42 * time.Second, "42s ago"},
		{3*time.Minute - 10*time.Second, "in 3m"},
		{90 * time.Minute, "in 1h 30m"},
		{-2 * time.Hour, "2h ago"},
		{47*time.Hour + 59*time.Minute, "in 47h 59m"},
		{3*24*time.Hour + 5*time.Hour + 20*time.Minute, "in 3d 5h"},
		{-7 * 24 * time.Hour, "7d ago"},
	} {
		if got := relative(statusNow.Add(tc.d), statusNow); got != tc.want {
			t.Errorf("relative(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	for _, tc := range []struct{ peak, top, step int }{
		{0, 1, 1}, {1, 1, 1}, {3, 3, 1}, {4, 4, 1}, {5, 6, 2}, {9, 10, 5}, {40, 40, 10}, {41, 60, 20}, {1200, 1500, 500},
	} {
		if top, step := niceScale(tc.peak); top != tc.top || step != tc.step {
			t.Errorf("niceScale(%d) = %d, %d; want %d, %d", tc.peak, top, step, tc.top, tc.step)
		}
	}
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"two\nlines", 20, "two lines"},
		{"exactly ten", 11, "exactly ten"},
		{"ünïcödé text here", 8, "ünïcödé…"},
	} {
		if got := truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
