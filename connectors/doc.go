// Package connectors defines what every source and target implements, the
// change type that flows from the planner to a target, and the registry that
// opens a connector from its config type name.
//
// A Source reads raw records (mapping.Record, re-exported as Record). A
// Target reads its actual state as a mapping.Snapshot keyed by its own ids
// and applies one Change at a time; it never diffs. A Target declares its
// Capabilities, and the planner never asks a target for what it lacks.
package connectors
