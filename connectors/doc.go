// Package connectors defines what every source and target implements, names
// the change contract the planner hands a target (Change, FieldChange,
// Action, Capabilities, IDs: aliases of package change, where
// the typed fields, references and constructors live), and the errors a
// target wraps (ErrNotFound, ErrConflict, TransientError, FieldError:
// aliases of internal/errkind, so that the HTTP kit under internal needs no
// connector).
//
// Each connector owns its config (dex's pattern): its package defines a
// Config, the block under `source:` or `target:` named by its type, with
// Validate (every key, no I/O; config.Load calls it) and Open (builds the
// connector from the block and Env, without network I/O).
// connectors/registry names every type with its Config in one explicit
// map; OpenSource and OpenTarget open what config.Load decoded.
//
// A Source reads raw records (mapping.Record, re-exported as Record); an
// IncrementalSource (ldap, scim) also reads only what changed since a
// high-water mark. A Target reads its actual state as a mapping.Snapshot
// keyed by its own ids and applies one Change at a time (a BatchApplier,
// pcaid, also takes many user creates in one call); it never diffs. A
// Target declares its Capabilities, and the planner never asks a target for
// what it lacks. A target takes an update's fields from Change.Diff as typed
// change.Field values and its references through Change.Parent, GroupOrg,
// MemberUser, Container, DesiredOrgs and ForeignOrgs: it parses no field
// name and never guesses whether a string is one of its ids.
//
// Every target's Apply goes through an Ops table ((kind, action) → handler),
// which makes the checks all of them need (the object carried, the target
// id of an existing object, a kind or action the target does not take) and
// wraps the error with the target and the change. A target returns errors
// and does not log a failure: the executor logs each failed change once,
// with its fields, and counts the delete of something already gone as done
// (GoneIsDone); IgnoreNotFound is for a removal inside a larger change.
package connectors
