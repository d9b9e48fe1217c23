package csv

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/mapping"
)

// Config is the source's block of a job (`source: {type: csv, csv:
// {...}}`): HR exports.
type Config struct {
	// Encoding is "auto" (default: a BOM or valid UTF-8 means UTF-8,
	// otherwise Shift_JIS/CP932), "utf-8" or "shift_jis".
	Encoding string `yaml:"encoding"`
	// Delimiter is one character; default ",".
	Delimiter string `yaml:"delimiter"`
	// BadRows says what a malformed row does: "fail" (default: the whole
	// file yields nothing, and the run fails naming every such row) or
	// "skip" (a row whose key can be read is left out of the run with its
	// reason and its object held as it is; the rest goes on).
	BadRows string `yaml:"bad_rows"`
	Users   *File  `yaml:"users"`
	Orgs    *File  `yaml:"orgs"`
	Groups  *File  `yaml:"groups"`
}

// File is one file of a CSV source. Paths are relative to the config
// file's directory.
type File struct {
	Path string `yaml:"path"`
	// KeyColumn holds each row's stable key.
	KeyColumn string `yaml:"key_column"`
	// Required lists columns that must be present in the header.
	Required []string `yaml:"required"`
}

var _ connectors.SourceConfig = (*Config)(nil)

// Validate checks every key without I/O.
func (c *Config) Validate() error {
	_, err := c.check("")
	return err
}

// Open builds the source; files are opened by Read.
func (c *Config) Open(_ context.Context, env connectors.Env) (connectors.Source, error) {
	return New(*c, env.BaseDir, env.Logger)
}

// check checks every key and returns the source's settings, paths resolved
// against baseDir.
func (c *Config) check(baseDir string) (Source, error) {
	var p config.Problems
	var s Source
	var ok bool
	if s.enc, ok = parseEncoding(c.Encoding); !ok {
		p.Add("encoding", "unknown encoding %q (want auto, utf-8 or shift_jis)", c.Encoding)
	}
	s.comma = parseDelimiter(&p, c.Delimiter)
	switch c.BadRows {
	case "", "fail":
	case "skip":
		s.skipBad = true
	default:
		p.Add("bad_rows", "%q is not fail or skip", c.BadRows)
	}
	if c.Users == nil {
		p.Add("users", "required")
	}
	for _, f := range []struct {
		key  string
		kind mapping.Kind
		file *File
	}{
		{"users", mapping.KindUser, c.Users},
		{"orgs", mapping.KindOrg, c.Orgs},
		{"groups", mapping.KindGroup, c.Groups},
	} {
		if f.file != nil {
			s.files = append(s.files, newFileSpec(&p, f.key, f.kind, f.file, baseDir))
		}
	}
	return s, p.Err()
}

func parseDelimiter(p *config.Problems, d string) rune {
	if d == "" {
		return ','
	}
	r, size := utf8.DecodeRuneInString(d)
	if size != len(d) || r == utf8.RuneError {
		p.Add("delimiter", "must be exactly one character, got %q", d)
		return 0
	}
	if r == '"' || r == '\r' || r == '\n' {
		p.Add("delimiter", "%q cannot be a delimiter", d)
		return 0
	}
	return r
}

func newFileSpec(p *config.Problems, key string, kind mapping.Kind, f *File, baseDir string) fileSpec {
	spec := fileSpec{cfgKey: "source.csv." + key, kind: kind, keyColumn: strings.TrimSpace(f.KeyColumn)}
	if strings.TrimSpace(f.Path) == "" {
		p.Add(key+".path", "required")
	} else {
		spec.path = f.Path
		if !filepath.IsAbs(spec.path) {
			spec.path = filepath.Join(baseDir, spec.path)
		}
		spec.name = filepath.Base(spec.path)
	}
	if spec.keyColumn == "" {
		p.Add(key+".key_column", "required")
	}
	for i, col := range f.Required {
		col = strings.TrimSpace(col)
		if col == "" {
			p.Add(fmt.Sprintf("%s.required[%d]", key, i), "empty column name")
			continue
		}
		spec.required = append(spec.required, col)
	}
	return spec
}
