// Package scheduler plans, guards and applies a sync, and runs jobs.
//
// The planner lives in package plan, which imports no connector (only
// mapping and the change contract, package change), so its purity is
// kept by what it can import; MakePlan, Plan, PlanOptions and Links here
// are its names, kept for the scheduler's callers. Desired and actual
// snapshots, the links the store holds and the target's capabilities in,
// typed changes out, in stages (see package plan).
//
// The guard (Guard.Check) refuses a plan that would delete or suspend more
// than a share of the managed objects of a kind (default 5%) or more than a
// count (default 500), or whose source came back empty while orgbridge
// manages objects, unless forced.
//
// The executor (Executor.Apply) runs a plan stage by stage with bounded concurrency,
// resolving source keys to target ids as creates complete, journaling each
// change in the store as it lands, so that an interrupted run is visible and
// the next run, re-planning from links and matching, resumes it. After the
// plan's pass it retries, in passes of its own, what failed with a
// transient error and what failed unresolved behind it; a create that may
// have landed is first looked up through the target's connectors.Finder
// and adopted if found (retry.go), so that one run converges on a flaky API.
//
// The Daemon is the service `orgbridge serve` runs; the command binds the
// listeners and the signals and leaves the policy here. Start holds the
// first election and runs the daemon in the background until Stop: the
// replica that holds the Elector's lock runs each job on its cron
// schedule, one run of a job at a time whatever starts it, quarantines a
// job whose runs mostly fail and holds a plan the guard refuses for
// approval. With SCIMOptions, NotifySCIM (the SCIM endpoint's OnChange)
// is debounced into an incremental run of every job whose source is scim;
// a job found running is tried again after the next debounce, so no push
// is left unserved; at start, what was acknowledged but not yet applied
// is applied; with Poll (a shared PostgreSQL store) the leader also
// watches the store's SCIM change sequence for pushes another replica
// took. Reload swaps the jobs (SIGHUP): schedules restart, runs in flight
// finish with the job they started with, quarantine and held plans carry
// over by name. Stop stops the schedules and the debounce, cancels the
// runs' context (each finishes the change it is applying and journals the
// rest), waits for them and gives up the lock; a caller closes its
// listeners first, so Start keeps its context's values but not its end.
// The shape is alertmanager's dispatcher (Run under a context of its own,
// Stop cancels it and waits) with http.Server.Shutdown's bounded wait.
//
// The daemon stays in this package rather than a package of its own: it
// is the jobs' runner with a clock and a lock (RunJob, quarantine and the
// per-change retry backoff work on the runner's results and the job
// state), and the admin API already speaks to *scheduler.Daemon.
package scheduler
