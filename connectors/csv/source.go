package csv

import (
	"context"
	"strings"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/errlist"
	"github.com/orgbridge/orgbridge/mapping"
)

// encoding is the character encoding a CSV file is read in.
type encoding int

const (
	encAuto encoding = iota
	encUTF8
	encShiftJIS
)

func (e encoding) String() string {
	switch e {
	case encUTF8:
		return "utf-8"
	case encShiftJIS:
		return "shift_jis"
	}
	return "auto"
}

// parseEncoding maps a config value (case-insensitive, aliases allowed) to
// an encoding.
func parseEncoding(s string) (encoding, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return encAuto, true
	case "utf-8", "utf8":
		return encUTF8, true
	case "shift_jis", "shift-jis", "shiftjis", "sjis", "cp932", "ms932", "windows-31j":
		return encShiftJIS, true
	}
	return encAuto, false
}

// maxErrors is how many row errors a read reports before summarising the
// rest as "and N more errors".
const maxErrors = 50

// fileSpec is one configured file, validated and resolved.
type fileSpec struct {
	// cfgKey is the file's config key ("source.csv.users"), used in errors
	// about the file as a whole.
	cfgKey    string
	kind      mapping.Kind
	path      string // resolved against baseDir
	name      string // base name, used in errors and Origin
	keyColumn string
	required  []string
}

// Source reads the users, orgs and groups files of one CSV source. It is
// safe for concurrent use: Read keeps no state between calls.
type Source struct {
	enc     encoding
	comma   rune
	skipBad bool // bad_rows: skip
	files   []fileSpec
	logger  *zap.Logger
}

var _ connectors.Source = (*Source)(nil)

// New checks cfg and returns a Source. Relative paths in cfg are resolved
// against baseDir, the directory of the config file. Files are not opened
// until Read, so a missing file is reported by Read. The errors are
// *config.FieldErrors keyed below the block ("users.key_column: required"),
// all of them at once. A nil logger logs nothing.
func New(cfg Config, baseDir string, logger *zap.Logger) (*Source, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	s, err := cfg.check(baseDir)
	if err != nil {
		return nil, err
	}
	s.logger = logger.With(zap.String("source", "csv"))
	return &s, nil
}

// Read reads every configured file, users first, then orgs, then groups.
// On any error it returns no records: every problem found in every file
// (up to 50, then a count of the rest), joined with errors.Join. A
// cancelled ctx stops the read between rows.
func (s *Source) Read(ctx context.Context) ([]connectors.Record, error) {
	errs := &errlist.List{Max: maxErrors}
	// One list for every file, each file's rows appended in place: a
	// million users' records copied into a list of them and the orgs'
	// were 100 MB more at the read's end (issue 13).
	var out []connectors.Record
	for i := range s.files {
		var err error
		if out, err = s.readFile(ctx, &s.files[i], errs, out); err != nil {
			// Fatal for this read: cancellation, or an I/O error.
			return nil, err
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
