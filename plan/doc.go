// Package plan is the pure planner: desired and actual snapshots, the links
// the store holds and the target's capabilities in, an ordered list of
// typed changes (package change) out, with no I/O, so it is
// tested with tables and golden files alone. It imports mapping and the
// change contract and nothing else of orgbridge: no connector, no store,
// no logger, so its purity is kept by what it can import (`go list -deps
// ./plan`). The scheduler guards, applies and records what it returns.
//
// Make matches each desired object to the target: first through a stored
// link, then, for an object orgbridge has never seen, by login id or mail
// (users), code or name path (orgs), code or name (groups), so that a
// pre-existing object is adopted rather than duplicated. It updates only
// where a mapped field differs, and deletes or suspends only what the
// store says orgbridge owns. Every change is built by the constructors of
// package change, which the conformance suite uses too: an update's Diff
// names typed fields, and the planner compares references in source keys
// (an actual parent or org orgbridge does not know keeps its target id, so
// it differs from every key).
//
// Changes come in stages: org creates parent-first (one stage per depth),
// org updates, group creates and updates, user creates and updates (with
// their org memberships folded in when the target takes them in the user
// call), membership creates and updates, membership deletes, user suspends
// and deletes, group deletes, then org deletes children-first.
package plan
