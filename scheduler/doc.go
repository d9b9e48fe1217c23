// Package scheduler plans, guards and applies a sync, and runs jobs.
//
// The planner (Plan) is pure: desired and actual snapshots, the links the
// store holds and the target's capabilities in, an ordered list of changes
// out, with no I/O, so it is tested with tables and golden files alone. It
// matches each desired object to the target: first through a stored link,
// then, for an object orgbridge has never seen, by login id or mail (users),
// code or name path (orgs), code or name (groups), so that a pre-existing
// object is adopted rather than duplicated. It updates only where a mapped
// field differs, and deletes or suspends only what the store says
// orgbridge owns.
//
// Changes come in stages: org creates parent-first (one stage per depth),
// org updates, group creates and updates, user creates and updates (with
// their org memberships folded in when the target takes them in the user
// call), membership creates and updates, membership deletes, user suspends
// and deletes, group deletes, then org deletes children-first.
//
// The guard (Guard.Check) refuses a plan that would delete or suspend more
// than a share of the managed objects of a kind (default 5%) or more than a
// count (default 500), or whose source came back empty while orgbridge
// manages objects, unless forced.
//
// The executor (Apply) runs a plan stage by stage with bounded concurrency,
// resolving source keys to target ids as creates complete, journaling each
// change in the store as it lands, so that an interrupted run is visible and
// the next run, re-planning from links and matching, resumes it.
package scheduler
