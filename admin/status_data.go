package admin

import (
	"time"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scheduler"
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
	Pending []scheduler.PendingApproval
}

// JobView is one job on the status page: the daemon's JobInfo (its
// Pending is not read: StatusData.Pending lists every held plan) and the
// job's last runs.
type JobView struct {
	scheduler.JobInfo
	// Runs are the job's last runs, newest first.
	Runs []store.Run
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
