package admin

import (
	"time"

	"github.com/orgbridge/orgbridge/internal/store"
)

// StatusData is what the status page shows.
type StatusData struct {
	Now time.Time
	// Replica names this process; Leader says whether it runs the
	// schedules (with a shared PostgreSQL store one replica does).
	Replica string
	Leader  bool
	Jobs    []JobView
	// Failed are recent failed operations, newest first.
	Failed []FailedOp
	// Pending are plans held for approval, oldest first.
	Pending []PendingApproval
}

// JobView is one job on the status page.
type JobView struct {
	Name       string
	SourceType string
	TargetType string
	// Schedule and IncrementalSchedule are cron specs ("" when none);
	// TimeZone is their location.
	Schedule            string
	IncrementalSchedule string
	TimeZone            string
	// Next and NextIncremental are the next scheduled runs (zero when none).
	Next, NextIncremental time.Time
	Running               bool
	// Quarantined jobs run on a slowed schedule until a run succeeds.
	Quarantined      bool
	QuarantineReason string
	QuarantineUntil  time.Time
	// RetryingLater counts changes that keep failing and wait for their
	// retry backoff.
	RetryingLater int
	// HeldBack are the records the job's last run left out because they
	// cannot be mapped: nothing of theirs is written or removed.
	HeldBack []HeldRecord
	// Runs are the job's last runs, newest first.
	Runs []store.Run
}

// HeldRecord is one source record held back, with the reason.
type HeldRecord struct {
	Kind   string
	Key    string
	Reason string
}

// FailedOp is one change that failed, with the API's error.
type FailedOp struct {
	Job    string
	RunID  int64
	At     time.Time
	Action string
	Kind   string
	Key    string
	Error  string
}

// PendingApproval is a plan the guard refused, held until someone approves
// it (all of it, or the changes ticked: exactly they are applied) or
// rejects it.
type PendingApproval struct {
	Job     string
	RunID   int64
	At      time.Time
	Summary string
	Reason  string
	// Changes are the plan's changes, each with its seq: a checkbox each.
	Changes []HeldChange
}

// HeldChange is one change of a held plan.
type HeldChange struct {
	Seq    int
	Symbol string // + ~ ! -
	Kind   string
	Key    string
	Detail string
}
