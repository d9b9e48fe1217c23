package connectors

import (
	"context"
	"errors"
	"strings"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors/change"
	"github.com/orgbridge/orgbridge/mapping"
)

// Record is a raw entry read by a source; see mapping.Record.
type Record = mapping.Record

// Source reads every record in its scope. A source that fails part-way
// returns an error and no records: a partial read must never look like a
// mass deletion.
type Source interface {
	Read(ctx context.Context) ([]Record, error)
}

// IncrementalSource is a source that can read only what changed since a
// high-water mark (LDAP's uSNChanged, entryCSN or modifyTimestamp; the scim
// source's change sequence in the store).
// ReadChanged with an empty mark reads everything, like Read. The mark it
// returns is opaque: the runner stores it after a successful run and hands
// it back next time. Records of a partial read are complete in themselves:
// a user's record carries all of its memberships.
type IncrementalSource interface {
	Source
	ReadChanged(ctx context.Context, mark string) (records []Record, newMark string, err error)
}

// The change contract, defined in package change (which the planner
// imports without importing any connector) and named here for targets.
type (
	Capabilities = change.Capabilities
	Action       = change.Action
	Change       = change.Change
	FieldChange  = change.FieldChange
	IDs          = change.IDs
)

// The actions of a plan; see package change.
const (
	ActionCreate  = change.ActionCreate
	ActionUpdate  = change.ActionUpdate
	ActionSuspend = change.ActionSuspend
	ActionDelete  = change.ActionDelete
)

// BatchApplier is implemented by targets that take many user creates in one
// call (pcaid's asynchronous import). The executor hands it the user creates
// of a stage when there are at least MinBatch of them.
type BatchApplier interface {
	MinBatch() int
	// ApplyBatch applies the changes and returns one result and one error
	// (nil on success) per change, in order; a per-row failure fails only
	// its change.
	ApplyBatch(ctx context.Context, changes []Change, ids IDs) ([]Result, []error)
}

// GoneIsDone makes a delete whose object is already gone (err wraps
// ErrNotFound) a success: the goal is met. The executor applies it to every
// change, so a target returns a delete's not-found as it is and forgives
// it nowhere itself.
func GoneIsDone(c Change, err error) error {
	if c.Action == ActionDelete && errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// IgnoreNotFound makes the removal of something already gone a success:
// the goal is met. The executor does the same for a delete (GoneIsDone);
// targets use IgnoreNotFound only where a removal is part of a larger
// change (the members removed before their organization, a role set by
// removing and adding back).
func IgnoreNotFound(err error, log *zap.Logger) error {
	if errors.Is(err, ErrNotFound) {
		log.Info("already gone")
		return nil
	}
	return err
}

// Result is what a target reports of an applied change.
type Result struct {
	// TargetID is the id of the object written (the new id on create).
	TargetID string
}

// Target reads and writes one management API.
type Target interface {
	Capabilities() Capabilities
	// Read returns the actual state, keyed by the target's own ids.
	Read(ctx context.Context) (*mapping.Snapshot, error)
	// Apply makes one change.
	Apply(ctx context.Context, c Change, ids IDs) (Result, error)
}

// Sentinel errors a target wraps so that callers can tell kinds apart.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	// ErrUnresolved: a change refers to an object that has no target id.
	ErrUnresolved = change.ErrUnresolved
)

// TransientError marks an error that may succeed if tried again later (a
// 5xx, a 429 that outlasted its retries, a dropped connection).
type TransientError struct{ Err error }

func (e *TransientError) Error() string { return e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// IsTransient reports whether err is marked transient.
func IsTransient(err error) bool {
	var t *TransientError
	return errors.As(err, &t)
}

// FieldError is a validation error from a target, naming the field path the
// API reported (adminUserIds.1).
type FieldError struct {
	Status  int
	Message string
	Fields  map[string][]string
}

func (e *FieldError) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	// Every field is named, even where the API's message does not say it.
	var parts []string
	seen := false
	for _, k := range sortedKeys(e.Fields) {
		for _, m := range e.Fields[k] {
			parts = append(parts, k+": "+m)
			seen = seen || m == e.Message
		}
	}
	if !seen && e.Message != "" {
		parts = append([]string{e.Message}, parts...)
	}
	return strings.Join(parts, "; ")
}
