package admin

import (
	"time"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

// The admin API's answers. Every one is an explicit struct with snake_case
// names, whatever the internal types look like, so that the API does not
// change when they do; openapi.json describes them and TestOpenAPI checks
// each handler's answers against it. Times are RFC 3339 in UTC, and a time
// that never was (a run still running, a job without a schedule) is null,
// never Go's zero time.

// stamp is t for JSON: nil when zero, else in UTC.
func stamp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// errorJSON is every error answer.
type errorJSON struct {
	Error string `json:"error"`
}

// jobsJSON answers GET /api/jobs.
type jobsJSON struct {
	Leader  bool      `json:"leader"`
	Replica string    `json:"replica"`
	Jobs    []jobJSON `json:"jobs"`
}

// jobJSON is one job: its schedules, state and what it holds.
type jobJSON struct {
	Name                string `json:"name"`
	SourceType          string `json:"source_type"`
	TargetType          string `json:"target_type"`
	Schedule            string `json:"schedule"`             // cron spec, "" when none
	IncrementalSchedule string `json:"incremental_schedule"` // the same
	// TimeZone is the schedules' zone ("" for the machine's).
	TimeZone           string     `json:"time_zone"`
	NextRun            *time.Time `json:"next_run"`
	NextIncrementalRun *time.Time `json:"next_incremental_run"`
	Running            bool       `json:"running"`
	Quarantined        bool       `json:"quarantined"`
	QuarantineReason   string     `json:"quarantine_reason"`
	QuarantineUntil    *time.Time `json:"quarantine_until"`
	RetryingLater      int        `json:"retrying_later"`
	HeldBack           int        `json:"held_back"`
	// HeldBackRecords are the records held back, at most heldListed.
	HeldBackRecords []heldJSON `json:"held_back_records"`
	// Pending is the job's plan waiting for approval, null when none.
	Pending *approvalJSON `json:"pending"`
}

func toJobJSON(info scheduler.JobInfo) jobJSON {
	j := jobJSON{
		Name: info.Name, SourceType: info.SourceType, TargetType: info.TargetType,
		Schedule: info.Schedule, IncrementalSchedule: info.IncrementalSchedule, TimeZone: info.TimeZone,
		NextRun: stamp(info.Next), NextIncrementalRun: stamp(info.NextIncremental),
		Running: info.Running, Quarantined: info.Quarantined, RetryingLater: info.RetryingLater,
		HeldBack: len(info.HeldBack), HeldBackRecords: jsonList(info.HeldBack[:min(len(info.HeldBack), heldListed)], toHeldJSON),
	}
	if info.Quarantined {
		j.QuarantineReason = info.QuarantineReason
		j.QuarantineUntil = stamp(info.QuarantineUntil)
	}
	if info.Pending != nil {
		p := toApprovalJSON(*info.Pending)
		j.Pending = &p
	}
	return j
}

func toHeldJSON(l mapping.LeftOut) heldJSON {
	return heldJSON{Kind: string(l.Kind), Key: l.Key, Reason: l.Reason}
}

// approvalsJSON answers GET /api/approvals.
type approvalsJSON struct {
	Pending []approvalJSON `json:"pending"`
}

// approvalJSON is a plan the guard refused, held for approval.
type approvalJSON struct {
	Job     string           `json:"job"`
	RunID   int64            `json:"run_id"`
	HeldAt  *time.Time       `json:"held_at"`
	Summary string           `json:"summary"`
	Reason  string           `json:"reason"`
	Changes []heldChangeJSON `json:"changes"`
}

// heldChangeJSON is one change of a held plan; seq is what approving
// selected changes names.
type heldChangeJSON struct {
	Seq    int    `json:"seq"`
	Symbol string `json:"symbol"`
	Action string `json:"action"`
	Kind   string `json:"kind"`
	Key    string `json:"key"`
	Detail string `json:"detail"`
}

func toApprovalJSON(p scheduler.PendingApproval) approvalJSON {
	return approvalJSON{Job: p.Job, RunID: p.RunID, HeldAt: stamp(p.At), Summary: p.Summary, Reason: p.Reason, Changes: jsonList(p.Changes, toHeldChangeJSON)}
}

func toHeldChangeJSON(c scheduler.HeldChange) heldChangeJSON {
	return heldChangeJSON{Seq: c.Seq, Symbol: c.Symbol, Action: c.Action, Kind: c.Kind, Key: c.Key, Detail: c.Detail}
}

// jsonList is in converted by to, never nil: the API answers an empty
// list as [], not null.
func jsonList[T, U any](in []T, to func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = to(v)
	}
	return out
}

// decisionJSON answers a decision on a held plan.
type decisionJSON struct {
	Job      string `json:"job"`
	RunID    int64  `json:"run_id"`
	Decision string `json:"decision"` // "approve" or "reject"
	// Seqs are the changes approved; null for the whole plan.
	Seqs []int  `json:"seqs"`
	By   string `json:"by"`
}

// triggerJSON answers POST /api/jobs/{name}/run.
type triggerJSON struct {
	Job         string `json:"job"`
	Started     bool   `json:"started"`
	DryRun      bool   `json:"dry_run"`
	Incremental bool   `json:"incremental"`
}

// runsJSON answers GET /api/runs.
type runsJSON struct {
	Runs []runJSON `json:"runs"`
}

// runJSON is a run as the API shows it.
type runJSON struct {
	ID         int64      `json:"id"`
	Job        string     `json:"job"`
	Mode       string     `json:"mode"`
	Status     string     `json:"status"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Planned    int        `json:"planned"`
	Applied    int        `json:"applied"`
	Failed     int        `json:"failed"`
	Summary    string     `json:"summary"`
	Error      string     `json:"error"`
	// Decision says who approved or rejected a refused run's held plan,
	// and when; null when undecided or never held.
	Decision *runDecisionJSON `json:"decision"`
}

type runDecisionJSON struct {
	Verdict string     `json:"verdict"` // "approved" or "rejected"
	By      string     `json:"by"`
	At      *time.Time `json:"at"`
}

func toRunJSON(r store.Run) runJSON {
	out := runJSON{ID: r.ID, Job: r.Job, Mode: r.Mode, Status: string(r.Status), StartedAt: stamp(r.StartedAt), FinishedAt: stamp(r.FinishedAt),
		Planned: r.Planned, Applied: r.Applied, Failed: r.Failed, Summary: r.Summary, Error: r.Error}
	if r.Decision.Verdict != "" {
		out.Decision = &runDecisionJSON{Verdict: r.Decision.Verdict, By: r.Decision.By, At: stamp(r.Decision.At)}
	}
	return out
}

// runDetailJSON answers GET /api/runs/{id}.
type runDetailJSON struct {
	Run     runJSON     `json:"run"`
	Changes []entryJSON `json:"changes"`
}

// entryJSON is one journal entry: a change and what became of it.
type entryJSON struct {
	Seq       int        `json:"seq"`
	Action    string     `json:"action"`
	Kind      string     `json:"kind"`
	Key       string     `json:"key"`
	Status    string     `json:"status"`
	TargetID  string     `json:"target_id"`
	Error     string     `json:"error"`
	UpdatedAt *time.Time `json:"updated_at"`
	// Change is the change as the journal keeps it (its own snake_case
	// encoding, which saved plans share).
	Change any `json:"change"`
}

func toEntryJSON(e store.JournalEntry) entryJSON {
	return entryJSON{Seq: e.Seq, Action: string(e.Change.Action), Kind: string(e.Change.Kind), Key: e.Change.Key,
		Status: string(e.Status), TargetID: e.TargetID, Error: e.Error, UpdatedAt: stamp(e.UpdatedAt), Change: e.Change}
}

// checkJSON is one line of POST /api/validate's answer: one check of a
// job's source or target, as `orgbridge validate --connect` prints it.
type checkJSON struct {
	Job    string `json:"job"`
	JobKey string `json:"job_key"` // "jobs[0]"
	Part   string `json:"part"`    // "source csv", "target aircourse"
	Check  string `json:"check"`
	// Key is the config key the check concerns, below the job ("" for the
	// whole block).
	Key    string `json:"key"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Error  string `json:"error"`
}

func toCheckJSON(l connectors.Line) checkJSON {
	c := checkJSON{Job: l.Job, JobKey: l.JobKey, Part: l.Part, Check: l.Check, Key: l.Key, OK: l.Err == nil, Detail: l.Detail}
	if l.Err != nil {
		c.Error = l.Err.Error()
	}
	return c
}
