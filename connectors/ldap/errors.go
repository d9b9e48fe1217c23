package ldap

import (
	"errors"
	"fmt"
	"strings"
)

// ErrMissingAttribute is wrapped by the error of an entry that lacks a
// required attribute or its key attribute.
var ErrMissingAttribute = errors.New("missing required attribute")

// EntryError is a problem with one directory entry; its message starts
// with the entry's DN.
type EntryError struct {
	DN  string
	Err error
}

func (e *EntryError) Error() string { return e.DN + ": " + e.Err.Error() }
func (e *EntryError) Unwrap() error { return e.Err }

// maxProblems is how many problems a failed read reports before
// summarising the rest as "and N more errors".
const maxProblems = 50

// missingError names the attributes an entry lacks.
func missingError(attrs []string) error {
	quoted := make([]string, len(attrs))
	for i, a := range attrs {
		quoted[i] = fmt.Sprintf("%q", a)
	}
	return fmt.Errorf("%w %s", ErrMissingAttribute, strings.Join(quoted, ", "))
}
