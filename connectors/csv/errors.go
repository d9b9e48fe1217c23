package csv

import (
	"fmt"
)

// LineError is a problem at one line of a CSV file, or with the file as a
// whole when Line is 0. Its message is "users.csv:14: ..." ("users.csv: ..."
// for the whole file). Err keeps the cause: a row with the wrong number of
// fields wraps encoding/csv's ErrFieldCount, a quoting error wraps
// ErrBareQuote or ErrQuote.
type LineError struct {
	// File is the base name of the file.
	File string
	// Line is the 1-based physical line, counting the header line and blank
	// lines; for a row, the line where the row starts (for bytes invalid in
	// the file's encoding, where the field holding them starts).
	Line int
	Err  error
}

func (e *LineError) Error() string {
	if e.Line <= 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }
