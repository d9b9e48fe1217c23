package errlist

import (
	"errors"
	"fmt"
	"slices"
)

// List keeps the first Max errors added and counts all of them. The zero
// List keeps none; set Max.
type List struct {
	Max   int // how many errors are kept; the rest are only counted
	errs  []error
	count int
}

// Add adds err after those added so far.
func (l *List) Add(err error) {
	l.count++
	if len(l.errs) < l.Max {
		l.errs = append(l.errs, err)
	}
}

// Insert adds err as the error at index i, as if it had been added after
// the first i: a problem found late about a record read early still comes
// in the order of the records. Only the first Max are kept.
func (l *List) Insert(i int, err error) {
	l.count++
	if i >= l.Max {
		return
	}
	l.errs = slices.Insert(l.errs, min(i, len(l.errs)), err)
	if len(l.errs) > l.Max {
		l.errs = l.errs[:l.Max]
	}
}

// Len is how many errors were added, kept or not.
func (l *List) Len() int { return l.count }

// Kept returns the errors kept, in order.
func (l *List) Kept() []error { return l.errs }

// Err joins the errors kept, followed by "and N more errors" ("and 1 more
// error") when some were left out; nil when none were added.
func (l *List) Err() error {
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
