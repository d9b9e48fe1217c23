// Package connectors defines what every source and target implements, the
// change type that flows from the planner to a target, and the errors a
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
// what it lacks.
package connectors
