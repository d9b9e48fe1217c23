// Package connectors defines what every source and target implements, names
// the change contract the planner hands a target (Change, FieldChange,
// Action, Capabilities, IDs: aliases of package connectors/change, where
// the typed fields, references and constructors live), and the errors a
// target wraps (ErrNotFound, TransientError, FieldError). The registry that
// opens a connector from its config type name is package
// connectors/registry, which imports every connector.
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
package connectors
