package csv

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
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
	enc    encoding
	comma  rune
	files  []fileSpec
	logger *zap.Logger
}

var _ connectors.Source = (*Source)(nil)

// New validates cfg and returns a Source. Relative paths in cfg are
// resolved against baseDir, the directory of the config file. Files are not
// opened until Read, so a missing file is reported by Read. Every problem in
// cfg is reported, each naming its config key
// ("source.csv.users.key_column: required"). A nil logger logs nothing.
func New(cfg config.CSVSource, baseDir string, logger *zap.Logger) (*Source, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	var errs []error
	enc, ok := parseEncoding(cfg.Encoding)
	if !ok {
		errs = append(errs, fmt.Errorf("source.csv.encoding: unknown encoding %q (want auto, utf-8 or shift_jis)", cfg.Encoding))
	}
	comma, err := parseDelimiter(cfg.Delimiter)
	if err != nil {
		errs = append(errs, err)
	}
	s := &Source{enc: enc, comma: comma, logger: logger.With(zap.String("source", "csv"))}
	if cfg.Users == nil {
		errs = append(errs, errors.New("source.csv.users: required"))
	}
	for _, f := range []struct {
		key  string
		kind mapping.Kind
		file *config.CSVFile
	}{
		{"source.csv.users", mapping.KindUser, cfg.Users},
		{"source.csv.orgs", mapping.KindOrg, cfg.Orgs},
		{"source.csv.groups", mapping.KindGroup, cfg.Groups},
	} {
		if f.file == nil {
			continue
		}
		spec, ferrs := newFileSpec(f.key, f.kind, f.file, baseDir)
		errs = append(errs, ferrs...)
		s.files = append(s.files, spec)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

func parseDelimiter(d string) (rune, error) {
	if d == "" {
		return ',', nil
	}
	r, size := utf8.DecodeRuneInString(d)
	if size != len(d) || r == utf8.RuneError {
		return 0, fmt.Errorf("source.csv.delimiter: must be exactly one character, got %q", d)
	}
	if r == '"' || r == '\r' || r == '\n' {
		return 0, fmt.Errorf("source.csv.delimiter: %q cannot be a delimiter", d)
	}
	return r, nil
}

func newFileSpec(key string, kind mapping.Kind, f *config.CSVFile, baseDir string) (fileSpec, []error) {
	var errs []error
	spec := fileSpec{cfgKey: key, kind: kind, keyColumn: strings.TrimSpace(f.KeyColumn)}
	if strings.TrimSpace(f.Path) == "" {
		errs = append(errs, fmt.Errorf("%s.path: required", key))
	} else {
		spec.path = f.Path
		if !filepath.IsAbs(spec.path) {
			spec.path = filepath.Join(baseDir, spec.path)
		}
		spec.name = filepath.Base(spec.path)
	}
	if spec.keyColumn == "" {
		errs = append(errs, fmt.Errorf("%s.key_column: required", key))
	}
	for i, c := range f.Required {
		c = strings.TrimSpace(c)
		if c == "" {
			errs = append(errs, fmt.Errorf("%s.required[%d]: empty column name", key, i))
			continue
		}
		spec.required = append(spec.required, c)
	}
	return spec, errs
}

// Read reads every configured file, users first, then orgs, then groups.
// On any error it returns no records: every problem found in every file
// (up to 50, then a count of the rest), joined with errors.Join. A
// cancelled ctx stops the read between rows.
func (s *Source) Read(ctx context.Context) ([]connectors.Record, error) {
	errs := &errorList{max: maxErrors}
	var out []connectors.Record
	for i := range s.files {
		recs, err := s.readFile(ctx, &s.files[i], errs)
		if err != nil {
			// Fatal for this read: cancellation, or an I/O error.
			return nil, err
		}
		out = append(out, recs...)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return out, nil
}
