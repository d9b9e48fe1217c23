package ldap

import (
	"errors"
	"fmt"
	"slices"
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

// problemList collects the problems of one read.
type problemList struct {
	errs  []error
	count int
}

func (l *problemList) add(err error) {
	l.count++
	if len(l.errs) < maxProblems {
		l.errs = append(l.errs, err)
	}
}

// insert adds err as the problem at index i, as if added after the first
// i problems: the first maxProblems are kept.
func (l *problemList) insert(i int, err error) {
	l.count++
	if i >= maxProblems {
		return
	}
	l.errs = slices.Insert(l.errs, min(i, len(l.errs)), err)
	if len(l.errs) > maxProblems {
		l.errs = l.errs[:maxProblems]
	}
}

func (l *problemList) err() error {
	if l.count == 0 {
		return nil
	}
	errs := l.errs
	if more := l.count - len(l.errs); more > 0 {
		noun := "errors"
		if more == 1 {
			noun = "error"
		}
		errs = append(errs[:len(errs):len(errs)], fmt.Errorf("and %d more %s", more, noun))
	}
	return errors.Join(errs...)
}

// missingError names the attributes an entry lacks.
func missingError(attrs []string) error {
	quoted := make([]string, len(attrs))
	for i, a := range attrs {
		quoted[i] = fmt.Sprintf("%q", a)
	}
	return fmt.Errorf("%w %s", ErrMissingAttribute, strings.Join(quoted, ", "))
}
