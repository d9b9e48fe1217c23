package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/internal/config"
)

// fuzzName is the file name a fuzzed config is parsed under.
const fuzzName = "fuzz.yaml"

// located is the start of an error yaml names by line ("fuzz.yaml:12: ").
var located = regexp.MustCompile(`^` + regexp.QuoteMeta(fuzzName) + `:[0-9]+: `)

// FuzzParse parses fuzzed bytes as a config with every connector's rules
// (a config file is written by hand, or generated, and arrives from
// outside) and checks: no panic, and every error names where: each of its
// lines is a *config.FieldError of this file with a key or a line, or
// yaml's "fuzz.yaml:LINE: ...", or the file's own "fuzz.yaml: the config
// is empty". Seeds: every config of testdata (each rule broken) and
// configs/, and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	var files []string
	for _, pattern := range []string{"testdata/*.yaml", "testdata/rules/*.yaml", "../../configs/*.yaml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 10 {
		f.Fatalf("only %d seed configs", len(files))
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	parts := registry.Parts()
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse(data, fuzzName, parts)
		if err == nil {
			if cfg == nil || len(cfg.Jobs) == 0 {
				t.Fatalf("parsed without error to %+v", cfg)
			}
			return
		}
		if cfg != nil {
			t.Errorf("Parse returned a config with its error")
		}
		for _, e := range leafErrors(err) {
			var fe *config.FieldError
			if errors.As(e, &fe) {
				if fe.File != fuzzName || (fe.Key == "" && fe.Line <= 0) {
					t.Errorf("field error %q: file %q, key %q, line %d", e, fe.File, fe.Key, fe.Line)
				}
				continue
			}
			for _, line := range strings.Split(e.Error(), "\n") {
				if !located.MatchString(line) && line != fuzzName+": the config is empty" {
					t.Errorf("error line %q names no line or key of %s", line, fuzzName)
				}
			}
		}
	})
}

// leafErrors lists the errors of a (possibly nested) errors.Join.
func leafErrors(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, leafErrors(e)...)
	}
	return out
}

// TestParseErrorsNameTheirLine: errors FuzzParse found that named no
// line. yaml names none for a problem on the first line (it counts from 0
// and leaves 0 out: testdata/fuzz/FuzzParse/quote_on_first_line); a value
// quoted in a message with its line breaks made one error several lines,
// the later ones naming nothing (multiline_scalar_document).
func TestParseErrorsNameTheirLine(t *testing.T) {
	for _, data := range []string{`"`, `[`, "{a: 1", "0\n\nv", "jobs: \"a\n\n  b\""} {
		_, err := config.Parse([]byte(data), fuzzName, registry.Parts())
		if err == nil {
			t.Errorf("Parse(%q) succeeded", data)
			continue
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !located.MatchString(line) {
				t.Errorf("Parse(%q): error line %q; want %s:LINE: ...", data, line, fuzzName)
			}
		}
	}
}
