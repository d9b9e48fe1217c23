package admin

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scheduler"
)

//go:embed templates/*
var statusFS embed.FS

var (
	statusTmpl = template.Must(template.ParseFS(statusFS, "templates/status.html"))
	runTmpl    = template.Must(template.ParseFS(statusFS, "templates/run.html"))
	statusCSS  = template.CSS(mustReadStatusFile("templates/status.css"))
)

func mustReadStatusFile(name string) string {
	b, err := statusFS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// How much of the history the page shows.
const (
	statusTableRuns = 10  // runs in a job's table
	statusChartRuns = 30  // runs in a job's chart
	statusErrorLen  = 80  // runes of an error shown before the ellipsis
	statusOpErrLen  = 160 // the same for a failed operation's error
)

// renderStatus writes the status page.
func renderStatus(w io.Writer, d StatusData) error {
	return renderPage(w, statusTmpl, newStatusPage(d))
}

// renderPage executes t with page into a buffer first, so a template error
// writes nothing and the caller may still answer with an error status.
func renderPage(w io.Writer, t *template.Template, page any) error {
	var buf bytes.Buffer
	if err := t.Execute(&buf, page); err != nil {
		return fmt.Errorf("admin: render %s: %w", t.Name(), err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// statusPage is StatusData made ready for the template: every time
// formatted, every run classified, every chart laid out.
type statusPage struct {
	CSS     template.CSS
	Replica string
	Leader  bool
	// Zone names, once at the top, the zone of every time on the page.
	Zone    string
	Now     statusStamp
	Jobs    []statusJob
	Failed  []statusFailedOp
	Pending []statusPending
}

// statusStamp is a time as shown: Abs is absolute with its zone, Rel
// relative to the page's time ("in 3m", "2h 5m ago"), ISO for <time
// datetime>.
type statusStamp struct {
	Abs, Rel, ISO string
}

type statusJob struct {
	ID         string // HTML id, unique on the page
	Name       string
	SourceType string
	TargetType string
	TimeZone   string
	Schedules  []statusSchedule
	Running    bool
	LastStatus *statusBadge // of the last finished run; nil without one

	Quarantined      bool
	QuarantineReason string
	QuarantineUntil  *statusStamp // nil when not given
	RetryingLater    int
	// HeldBack are the records held back, at most statusHeldShown of
	// them; HeldBackTotal counts them all.
	HeldBack                    []statusHeld
	HeldBackTotal, HeldBackMore int

	Runs      []statusRun // newest first, at most statusTableRuns
	TotalRuns int
	Chart     *statusChart // nil without runs
}

type statusHeld struct {
	Kind, Key               string
	ReasonShort, ReasonFull string
}

// statusHeldShown bounds the held-back records listed on a job's card.
const statusHeldShown = 10

type statusSchedule struct {
	Label string // "Full", "Incremental"
	Spec  string // cron spec, "" when none
	Next  *statusStamp
}

type statusBadge struct {
	Label, Class string
}

type statusRun struct {
	ID   int64
	Href string // the run's page
	// Note says what became of a refused run's plan: held (waiting), who
	// approved or rejected it and when, or that a later run replaced it.
	Note     string
	Mode     string
	Status   statusBadge
	Started  statusStamp
	Duration string
	Planned  int
	Applied  int
	Failed   int
	Summary  string
	// ErrorShort is Error cut to statusErrorLen runes on one line; ErrorFull
	// is the whole text (the title attribute).
	ErrorShort, ErrorFull string
}

type statusFailedOp struct {
	Job        string
	RunID      int64
	Href       string // the run's page, its failed changes
	At         statusStamp
	Action     string
	Kind       string
	Key        string
	ErrorShort string
	ErrorFull  string
}

type statusPending struct {
	Job     string
	RunID   int64
	At      statusStamp
	Summary string
	Reason  string
	Changes []scheduler.HeldChange
}

func newStatusPage(d StatusData) statusPage {
	now := d.Now
	if now.IsZero() {
		now = time.Now()
	}
	loc := pageZone(d.Jobs, now.Location())
	p := statusPage{
		CSS:     statusCSS,
		Replica: d.Replica,
		Leader:  d.Leader,
		Zone:    zoneName(loc, now),
		Now:     stampOf(now, now, loc),
	}
	held := map[int64]bool{}
	for _, a := range d.Pending {
		held[a.RunID] = true
	}
	for i, j := range d.Jobs {
		p.Jobs = append(p.Jobs, newStatusJob(i, j, now, loc, held))
	}
	for _, f := range d.Failed {
		p.Failed = append(p.Failed, statusFailedOp{
			Job:        f.Job,
			RunID:      f.RunID,
			Href:       fmt.Sprintf("runs/%d?outcome=failed", f.RunID),
			At:         stampOf(f.At, now, loc),
			Action:     f.Action,
			Kind:       f.Kind,
			Key:        f.Key,
			ErrorShort: truncate(f.Error, statusOpErrLen),
			ErrorFull:  f.Error,
		})
	}
	for _, a := range d.Pending {
		p.Pending = append(p.Pending, statusPending{
			Job:     a.Job,
			RunID:   a.RunID,
			At:      stampOf(a.At, now, loc),
			Summary: a.Summary,
			Reason:  webReason(a.Reason),
			Changes: a.Changes,
		})
	}
	return p
}

func newStatusJob(i int, j JobView, now time.Time, loc *time.Location, held map[int64]bool) statusJob {
	v := statusJob{
		ID:               "job-" + strconv.Itoa(i+1),
		Name:             j.Name,
		SourceType:       j.SourceType,
		TargetType:       j.TargetType,
		TimeZone:         scheduleZone(j.TimeZone, loc),
		Running:          j.Running,
		Quarantined:      j.Quarantined,
		QuarantineReason: j.QuarantineReason,
		RetryingLater:    j.RetryingLater,
		HeldBackTotal:    len(j.HeldBack),
		HeldBackMore:     max(len(j.HeldBack)-statusHeldShown, 0),
		TotalRuns:        len(j.Runs),
	}
	for _, h := range j.HeldBack[:min(len(j.HeldBack), statusHeldShown)] {
		v.HeldBack = append(v.HeldBack, statusHeld{Kind: string(h.Kind), Key: h.Key, ReasonShort: truncate(h.Reason, statusOpErrLen), ReasonFull: h.Reason})
	}
	for _, s := range []struct {
		label, spec string
		next        time.Time
	}{
		{"Full", j.Schedule, j.Next},
		{"Incremental", j.IncrementalSchedule, j.NextIncremental},
	} {
		if s.spec == "" && s.next.IsZero() {
			continue
		}
		sc := statusSchedule{Label: s.label, Spec: s.spec}
		if !s.next.IsZero() {
			st := stampOf(s.next, now, loc)
			sc.Next = &st
		}
		v.Schedules = append(v.Schedules, sc)
	}
	if j.Quarantined && !j.QuarantineUntil.IsZero() {
		st := stampOf(j.QuarantineUntil, now, loc)
		v.QuarantineUntil = &st
	}
	for _, r := range j.Runs {
		if r.Status != store.RunRunning {
			b := badgeOf(r.Status)
			v.LastStatus = &b
			break
		}
	}
	for _, r := range j.Runs[:min(len(j.Runs), statusTableRuns)] {
		errText := r.Error
		if r.Status == store.RunRefused {
			errText = webReason(errText)
		}
		v.Runs = append(v.Runs, statusRun{
			ID:         r.ID,
			Href:       fmt.Sprintf("runs/%d", r.ID),
			Note:       runNote(r, held[r.ID], loc),
			Mode:       strings.ReplaceAll(r.Mode, "_", " "),
			Status:     badgeOf(r.Status),
			Started:    stampOf(r.StartedAt, now, loc),
			Duration:   runDuration(r, now),
			Planned:    r.Planned,
			Applied:    r.Applied,
			Failed:     r.Failed,
			Summary:    r.Summary,
			ErrorShort: truncate(errText, statusErrorLen),
			ErrorFull:  errText,
		})
	}
	v.Chart = newStatusChart(v.ID, j.Runs, loc, held)
	return v
}

// scheduleZone is the zone a job's cron specs are read in, as its card
// names it: "" when it is the page's, which the header names already.
func scheduleZone(name string, page *time.Location) string {
	if name == page.String() {
		return ""
	}
	return name
}

// pageZone is the zone every time of the status page is shown in: the
// jobs' schedule zone when they share one, else fallback (the machine's),
// so that a page never mixes zones.
func pageZone(jobs []JobView, fallback *time.Location) *time.Location {
	var name string
	for _, j := range jobs {
		switch {
		case j.TimeZone == "" || j.TimeZone == name:
		case name == "":
			name = j.TimeZone
		default:
			return fallback
		}
	}
	return zoneOf(name, fallback)
}

// zoneName names loc as the page's header says it: its name and offset
// at now ("Asia/Tokyo (UTC+09:00)"), or the abbreviation for the
// machine's unnamed zone.
func zoneName(loc *time.Location, now time.Time) string {
	name, _ := now.In(loc).Zone()
	if n := loc.String(); n != "Local" && n != "" {
		name = n
	}
	return name + " (UTC" + now.In(loc).Format("-07:00") + ")"
}

// webReason is a guard's refusal as the web page gives it: the page holds
// the plan for approval, so the command-line advice to rerun with --force
// is dropped (the page says how to approve).
func webReason(reason string) string {
	for _, advice := range []string{", or use --force", " or use --force", "use --force"} {
		if strings.Contains(reason, advice) {
			return strings.Replace(reason, advice, "", 1)
		}
	}
	return reason
}

// runNote says what became of a refused run's held plan.
func runNote(r store.Run, held bool, loc *time.Location) string {
	switch {
	case r.Decision.Verdict != "":
		return fmt.Sprintf("%s by %s at %s", r.Decision.Verdict, r.Decision.By, stampOf(r.Decision.At, r.Decision.At, loc).Abs)
	case held:
		return "held for approval: approve or reject it under Plans waiting for approval"
	case r.Status == store.RunRefused:
		return "not held: a later run replaced or dropped its plan"
	}
	return ""
}

// zoneOf loads the named zone; with no name, or one this system does not
// know, times stay in fallback.
func zoneOf(name string, fallback *time.Location) *time.Location {
	if name == "" {
		return fallback
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return fallback
	}
	return loc
}

func badgeOf(s store.RunStatus) statusBadge {
	switch s {
	case store.RunSucceeded, store.RunFailed, store.RunRefused,
		store.RunInterrupted, store.RunRunning:
		return statusBadge{Label: string(s), Class: "st-" + string(s)}
	case store.RunDryRun:
		return statusBadge{Label: "dry run", Class: "st-dry_run"}
	}
	return statusBadge{Label: string(s), Class: "st-other"}
}

// stampLayout has no zone: the page names its one zone at the top.
const stampLayout = "2006-01-02 15:04"

func stampOf(t, now time.Time, loc *time.Location) statusStamp {
	if t.IsZero() {
		return statusStamp{Abs: "—", Rel: "—"}
	}
	return statusStamp{
		Abs: t.In(loc).Format(stampLayout),
		Rel: relative(t, now),
		ISO: t.Format(time.RFC3339),
	}
}

// relative says when t is from now: "in 3m", "2h 5m ago", "now".
func relative(t, now time.Time) string {
	d := t.Sub(now)
	switch {
	case d > -time.Second && d < time.Second:
		return "now"
	case d > 0:
		return "in " + shortDuration(d)
	}
	return shortDuration(-d) + " ago"
}

// shortDuration rounds d to the unit that matters at its size: seconds
// under a minute, minutes under two days, hours beyond.
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d < 48*time.Hour:
		m := int(d.Round(time.Minute) / time.Minute)
		if m < 60 {
			return fmt.Sprintf("%dm", m)
		}
		if m%60 == 0 {
			return fmt.Sprintf("%dh", m/60)
		}
		return fmt.Sprintf("%dh %dm", m/60, m%60)
	}
	h := int(d.Round(time.Hour) / time.Hour)
	if h%24 == 0 {
		return fmt.Sprintf("%dd", h/24)
	}
	return fmt.Sprintf("%dd %dh", h/24, h%24)
}

// runDuration is how long r took, or has taken so far while running.
func runDuration(r store.Run, now time.Time) string {
	if r.StartedAt.IsZero() {
		return "—"
	}
	end, suffix := r.FinishedAt, ""
	if end.IsZero() {
		end, suffix = now, " so far"
	}
	d := end.Sub(r.StartedAt)
	var s string
	switch {
	case d < 0:
		return "—"
	case d < time.Second:
		s = "<1s"
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d/time.Minute))
		if sec := int(d % time.Minute / time.Second); sec > 0 {
			s += fmt.Sprintf(" %ds", sec)
		}
	default:
		s = fmt.Sprintf("%dh", int(d/time.Hour))
		if m := int(d % time.Hour / time.Minute); m > 0 {
			s += fmt.Sprintf(" %dm", m)
		}
	}
	return s + suffix
}

// truncate puts s on one line and cuts it to n runes, ending with an
// ellipsis when cut.
func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// statusChart is the SVG bar chart of one job's runs, laid out in the
// viewBox's units.
type statusChart struct {
	TitleID  string
	Title    string
	W, H     int
	PlotLeft string
	PlotTop  string
	PlotW    string
	PlotH    string
	Baseline string
	Right    string // x of the plot's right edge
	MidX     string
	MidY     string
	XLabelY  string // baseline of the x labels
	XTitleY  string // baseline of the x axis title
	YTicks   []statusTick
	XLabels  []statusXLabel
	Bars     []statusBar
	N        int
}

type statusTick struct {
	Y, Label string
}

type statusXLabel struct {
	X, Anchor, Label string
}

// statusBar is one run, a link to its page: a transparent column (the
// hover target for the title) and the applied and failed bars side by
// side; a refused run (nothing applied) is an outlined amber band the
// plot's height, dashed while its plan is held for approval; a run
// without changes shows a thin grey stub on the baseline.
type statusBar struct {
	Title      string
	Href       string
	RY, RH, RW string // refused bar's top, height and width ("" when none)
	RClass     string // "refused" or "held"
	HitX, HitW string
	X, W       string // applied bar; the failed bar starts at FX
	FX         string
	AY, AH     string // applied bar's top and height ("" when none)
	FY, FH     string // failed bar's
	StubW      string // set when the run has no changes
	StubY      string
}

const (
	chartW, chartH                               = 720, 220
	chartLeft, chartRight, chartTop, chartBottom = 52, 12, 14, 42
)

func newStatusChart(jobID string, runs []store.Run, loc *time.Location, held map[int64]bool) *statusChart {
	n := min(len(runs), statusChartRuns)
	if n == 0 {
		return nil
	}
	// runs are newest first: the chart reads oldest → newest.
	shown := make([]store.Run, n)
	for i := range n {
		shown[i] = runs[n-1-i]
	}
	peak := 0
	for _, r := range shown {
		peak = max(peak, r.Applied, r.Failed)
	}
	top, step := niceScale(peak)

	plotW := float64(chartW - chartLeft - chartRight)
	plotH := float64(chartH - chartTop - chartBottom)
	base := float64(chartTop) + plotH
	y := func(v int) float64 { return base - float64(v)/float64(top)*plotH }
	height := func(v int) float64 {
		if v <= 0 {
			return 0
		}
		return max(float64(v)/float64(top)*plotH, 2)
	}

	c := &statusChart{
		TitleID:  jobID + "-chart",
		Title:    fmt.Sprintf("Applied and failed changes of the last %d %s, oldest to newest", n, plural(n, "run", "runs")),
		W:        chartW,
		H:        chartH,
		PlotLeft: num(chartLeft),
		PlotTop:  num(chartTop),
		PlotW:    num(plotW),
		PlotH:    num(plotH),
		Baseline: num(base),
		Right:    num(chartLeft + plotW),
		MidX:     num(chartLeft + plotW/2),
		MidY:     num(chartTop + plotH/2),
		XLabelY:  num(base + 16),
		XTitleY:  num(chartH - 6),
		N:        n,
	}
	for v := 0; v <= top; v += step {
		c.YTicks = append(c.YTicks, statusTick{Y: num(y(v)), Label: strconv.Itoa(v)})
	}

	slot := plotW / float64(n)
	group := min(slot*0.72, 32)
	for i, r := range shown {
		x0 := chartLeft + float64(i)*slot
		gx := x0 + (slot-group)/2
		title := fmt.Sprintf("run #%d · %s · %s · %d applied, %d failed (%d planned)",
			r.ID, stampOf(r.StartedAt, r.StartedAt, loc).Abs, badgeOf(r.Status).Label,
			r.Applied, r.Failed, r.Planned)
		if note := runNote(r, held[r.ID], loc); note != "" {
			title += " · " + note
		}
		b := statusBar{
			Title: title,
			Href:  fmt.Sprintf("runs/%d", r.ID),
			HitX:  num(x0),
			HitW:  num(slot),
			X:     num(gx),
			W:     num(group / 2),
			FX:    num(gx + group/2),
		}
		if h := height(r.Applied); h > 0 {
			b.AY, b.AH = num(base-h), num(h)
		}
		if h := height(r.Failed); h > 0 {
			b.FY, b.FH = num(base-h), num(h)
		}
		if r.Status == store.RunRefused {
			// A refused run wrote nothing and journaled nothing: it is
			// a band over the whole plot, off the scale of changes, so
			// that it shows however small or large the others are.
			b.RY, b.RH, b.RW, b.RClass = num(chartTop), num(plotH), num(group), "refused"
			if held[r.ID] {
				b.RClass = "held"
			}
		} else if r.Applied <= 0 && r.Failed <= 0 {
			b.StubW, b.StubY = num(group), num(base-2)
		}
		c.Bars = append(c.Bars, b)
	}

	const short = "01-02 15:04"
	first, last := shown[0].StartedAt.In(loc), shown[n-1].StartedAt.In(loc)
	if n == 1 {
		c.XLabels = []statusXLabel{{X: num(chartLeft + slot/2), Anchor: "middle", Label: first.Format(short)}}
	} else {
		c.XLabels = []statusXLabel{
			{X: num(chartLeft), Anchor: "start", Label: first.Format(short)},
			{X: num(chartLeft + plotW), Anchor: "end", Label: last.Format(short)},
		}
	}
	return c
}

// niceScale returns the top of a y axis showing peak and its tick step:
// a step of 1, 2 or 5 times a power of ten, about four ticks.
func niceScale(peak int) (top, step int) {
	if peak <= 0 {
		return 1, 1
	}
	want := float64(peak) / 4
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if step = m * p; float64(step) >= want {
				return (peak + step - 1) / step * step, step
			}
		}
	}
}

// num formats a coordinate with at most one decimal.
func num[T int | float64](v T) string {
	return strconv.FormatFloat(math.Round(float64(v)*10)/10, 'f', -1, 64)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
