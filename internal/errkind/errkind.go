// Package errkind holds the kinds of error a target's call ends in: the
// sentinels ErrNotFound and ErrConflict, a TransientError for what may
// succeed later, and a FieldError naming the fields an API refused.
//
// They live in internal, below everything, and errkind imports nothing of
// orgbridge, so that the HTTP kit (internal/httpkit) makes them without
// importing a connector (DESIGN: internal imports none of cmd, admin,
// scheduler, scim, the registry or the connectors). Package connectors
// re-exports each name as an alias (connectors.ErrNotFound is
// errkind.ErrNotFound, and so on), and targets and their callers say
// connectors.… as before.
package errkind

import (
	"errors"
	"maps"
	"slices"
	"strings"
)

// Sentinel errors a target wraps so that callers can tell kinds apart.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
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
	for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
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
