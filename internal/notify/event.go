package notify

import (
	"fmt"
	"strings"
	"time"
)

// Kind is what happened.
type Kind string

// The kinds of event.
const (
	KindPlanHeld    Kind = "plan_held"
	KindQuarantined Kind = "quarantined"
	KindRecovered   Kind = "recovered"
	KindRunFailed   Kind = "run_failed"
	KindHeldBack    Kind = "records_held_back"
)

// Event is one thing people should know about one job.
type Event struct {
	Kind Kind
	Job  string
	At   time.Time
	// RunID is the run the event is about; 0 when none.
	RunID int64
	// Title is one line: what happened ("plan held for approval").
	Title string
	// Details are further lines: the reason, the error, the records.
	Details []string
}

// PlanHeld: the guard refused the plan of run runID; it waits for approval.
func PlanHeld(job string, runID int64, summary, reason string) Event {
	ev := Event{Kind: KindPlanHeld, Job: job, RunID: runID, Title: "plan held for approval: the guard refused it"}
	ev.Details = nonEmpty("Plan: "+summary, "Reason: "+reason, "Approve or reject it on the status page.")
	return ev
}

// Quarantined: the job's runs mostly fail; its scheduled runs pause until
// until.
func Quarantined(job, reason string, until time.Time) Event {
	ev := Event{Kind: KindQuarantined, Job: job, Title: "quarantined: its scheduled runs pause"}
	var next string
	if !until.IsZero() {
		next = "Next scheduled run not before " + until.UTC().Format(time.RFC3339) + "."
	}
	ev.Details = nonEmpty("Reason: "+reason, next)
	return ev
}

// Recovered: a run succeeded and lifted the quarantine.
func Recovered(job string) Event {
	return Event{Kind: KindRecovered, Job: job, Title: "recovered: a run succeeded and the quarantine is lifted"}
}

// RunFailed: run runID failed (err says why).
func RunFailed(job string, runID int64, err string) Event {
	return Event{Kind: KindRunFailed, Job: job, RunID: runID, Title: "a run failed", Details: nonEmpty("Error: " + err)}
}

// HeldBack: the job holds back n records that cannot be mapped; reasons
// are some of them, one a line.
func HeldBack(job string, n int, reasons []string) Event {
	ev := Event{Kind: KindHeldBack, Job: job, Title: fmt.Sprintf("%d record(s) held back: they cannot be mapped", n)}
	for _, r := range reasons {
		ev.Details = append(ev.Details, "- "+r)
	}
	if len(reasons) < n {
		ev.Details = append(ev.Details, fmt.Sprintf("(and %d more)", n-len(reasons)))
	}
	ev.Details = append(ev.Details, "Nothing of theirs is written or removed until they are fixed in the source or gone.")
	return ev
}

// nonEmpty drops lines whose text after a "Label: " is empty.
func nonEmpty(lines ...string) []string {
	var out []string
	for _, l := range lines {
		if i := strings.Index(l, ": "); i >= 0 && strings.TrimSpace(l[i+2:]) == "" {
			continue
		}
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Subject is the event's one-line summary: "job hr: a run failed (run 12)".
func (e Event) Subject() string {
	s := "job " + e.Job + ": " + e.Title
	if e.RunID > 0 {
		s += fmt.Sprintf(" (run %d)", e.RunID)
	}
	return s
}

// Text is the whole message as plain text, ending with the status page's
// link.
func (e Event) Text(statusURL string) string {
	var b strings.Builder
	b.WriteString("orgbridge: " + e.Subject() + "\n")
	for _, d := range e.Details {
		b.WriteString(d + "\n")
	}
	if statusURL != "" {
		b.WriteString("Status page: " + statusURL + "\n")
	}
	return b.String()
}
