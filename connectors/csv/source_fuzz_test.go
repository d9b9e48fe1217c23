package csv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The settings a fuzzed file is read with, chosen by the fuzzer's opts
// byte: each encoding, the delimiters HR exports use (a multibyte one
// included), and a key column the seeds have or do not have.
var (
	fuzzEncodings  = []string{"auto", "utf-8", "shift_jis"}
	fuzzDelimiters = []string{",", "\t", ";", "|", "、"}
	fuzzKeys       = []string{"社員番号", "組織コード", "ID"}
)

// FuzzRead reads fuzzed bytes as a users file (an export arrives from
// outside: any bytes, any encoding, any quoting) and checks that the read
// never panics and that every error names where: a *LineError of the file,
// at a line within it (or the file as a whole), and at most the final "and
// N more errors". What a successful read returns must be what was asked
// for: one record a row, with a non-empty, unique, trimmed key, and an
// origin at a line of the file. `make fuzz` runs it; the seeds (every
// testdata file, in each encoding) and testdata/fuzz/FuzzRead run with
// plain `go test`.
func FuzzRead(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.csv"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no testdata files: %v", err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, opts := range []uint8{0, 1, 2, 15} {
			f.Add(data, opts)
		}
	}
	f.Add(sjis(f, usersCSV), uint8(2))
	f.Add(sjis(f, strings.ReplaceAll(usersCSV, ",", "、")), uint8(4*3+2))
	f.Add([]byte(strings.ReplaceAll(usersCSV, ",", "\t")), uint8(1*3))

	// One file per worker, rewritten for each input: a directory per input
	// would cost more than the read.
	dir := f.TempDir()
	path := filepath.Join(dir, "users.csv")
	f.Fuzz(func(t *testing.T, data []byte, opts uint8) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		key := fuzzKeys[int(opts/15)%len(fuzzKeys)]
		cfg := Config{
			Encoding:  fuzzEncodings[int(opts)%len(fuzzEncodings)],
			Delimiter: fuzzDelimiters[int(opts/3)%len(fuzzDelimiters)],
			Users:     &File{Path: "users.csv", KeyColumn: key},
		}
		s, err := New(cfg, dir, nil)
		if err != nil {
			t.Fatalf("New(%+v): %v", cfg, err)
		}
		recs, err := s.Read(context.Background())
		// A line number is at most the number of line breaks plus one.
		lines := strings.Count(string(data), "\n") + strings.Count(string(data), "\r") + 1
		if err != nil {
			if recs != nil {
				t.Errorf("Read returned %d records with its error", len(recs))
			}
			checkReadError(t, err, lines)
			return
		}
		seen := map[string]bool{}
		for _, r := range recs {
			if r.Key == "" || r.Key != strings.TrimSpace(r.Key) {
				t.Errorf("record %q: key empty or untrimmed", r.Key)
			}
			if seen[r.Key] {
				t.Errorf("record %q returned twice", r.Key)
			}
			seen[r.Key] = true
			if got := strings.TrimSpace(r.Get(key)); got != r.Key {
				t.Errorf("record %q: key column holds %q", r.Key, got)
			}
			n, ok := strings.CutPrefix(r.Origin, "users.csv:")
			line, err := strconv.Atoi(n)
			if !ok || err != nil || line < 2 || line > lines {
				t.Errorf("record %q: origin %q is not a row of users.csv (%d lines)", r.Key, r.Origin, lines)
			}
		}
	})
}

// checkReadError checks that each error of a failed read names the file,
// and the line where it names one.
func checkReadError(t *testing.T, err error, lines int) {
	t.Helper()
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for i, e := range errs {
		var le *LineError
		switch {
		case errors.As(e, &le):
			if le.File != "users.csv" || le.Line < 0 || le.Line > lines {
				t.Errorf("error %q: file %q, line %d of %d", e, le.File, le.Line, lines)
			}
			if !strings.HasPrefix(e.Error(), "users.csv:") {
				t.Errorf("error %q does not start with the file", e)
			}
		case i == len(errs)-1 && strings.HasPrefix(e.Error(), "and ") && strings.HasSuffix(e.Error(), " more errors"):
		case i == len(errs)-1 && e.Error() == "and 1 more error":
		default:
			t.Errorf("error %q (%T) does not name the file and line", e, e)
		}
	}
}
