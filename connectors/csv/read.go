package csv

import (
	"bufio"
	"bytes"
	"context"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"go.uber.org/zap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/errlist"
	"github.com/orgbridge/orgbridge/mapping"
)

// sniffSize is how much of a file "auto" looks at to choose an encoding.
const sniffSize = 64 << 10

var (
	utf8BOM    = []byte{0xEF, 0xBB, 0xBF}
	utf16LEBOM = []byte{0xFF, 0xFE}
	utf16BEBOM = []byte{0xFE, 0xFF}
)

// sniff chooses the encoding of a file from its first bytes: a UTF-8 BOM or
// valid UTF-8 means UTF-8, anything else Shift_JIS. more says the file may
// go on past prefix, so that a multibyte character cut at the end of prefix
// is not taken for invalid UTF-8.
func sniff(prefix []byte, more bool) encoding {
	if bytes.HasPrefix(prefix, utf8BOM) {
		return encUTF8
	}
	if more {
		prefix = trimIncompleteRune(prefix)
	}
	if utf8.Valid(prefix) {
		return encUTF8
	}
	return encShiftJIS
}

// trimIncompleteRune drops the start of a UTF-8 sequence cut at the end of
// p.
func trimIncompleteRune(p []byte) []byte {
	for i := len(p) - 1; i >= 0 && i > len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				return p[:i]
			}
			return p
		}
	}
	return p
}

// readFile reads one file and appends its records to out, which it
// returns (with nothing of the file's when the file has an error).
// Problems in the file go to errs; the returned error is fatal for the
// whole read (cancellation).
func (s *Source) readFile(ctx context.Context, f *fileSpec, errs *errlist.List, out []connectors.Record) ([]connectors.Record, error) {
	fr, closeFile := s.openFile(f, errs)
	if fr == nil {
		return out, nil
	}
	defer closeFile()
	if !fr.readHeader() {
		return out, nil
	}
	start := len(out)
	out, err := fr.readRows(ctx, out)
	if err != nil {
		return nil, err
	}
	fr.log.Debug("read csv file", zap.Int("records", len(out)-start), zap.Int("blank_rows", fr.blank))
	return out, nil
}

// openFile opens one file and chooses its encoding, ready to read the
// header; nil (the problem in errs) when it cannot be read. The caller
// calls the func returned to close the file.
func (s *Source) openFile(f *fileSpec, errs *errlist.List) (*fileReader, func()) {
	file, err := os.Open(f.path)
	if err != nil {
		errs.Add(fmt.Errorf("%s.path: %w", f.cfgKey, err))
		return nil, nil
	}
	br := bufio.NewReaderSize(file, sniffSize)
	prefix, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF {
		errs.Add(&LineError{File: f.name, Err: fmt.Errorf("read: %w", err)})
		_ = file.Close()
		return nil, nil
	}
	if bytes.HasPrefix(prefix, utf16LEBOM) || bytes.HasPrefix(prefix, utf16BEBOM) {
		errs.Add(&LineError{File: f.name, Err: errors.New("starts with a UTF-16 byte order mark: UTF-16 is not supported, save the file as UTF-8 or Shift_JIS")})
		_ = file.Close()
		return nil, nil
	}
	enc, detected := s.enc, false
	if enc == encAuto {
		enc, detected = sniff(prefix, err == nil), true
	}
	if enc == encUTF8 && bytes.HasPrefix(prefix, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	var in io.Reader = br
	if enc == encShiftJIS {
		in = transform.NewReader(br, japanese.ShiftJIS.NewDecoder())
	}
	fr := &fileReader{
		rowsHint: rowsHint(file, prefix, err == nil),
		skipBad:  s.skipBad,
		spec:     f,
		errs:     errs,
		enc:      enc,
		detected: detected,
		cr:       stdcsv.NewReader(in),
		log:      s.logger.With(zap.String("file", f.name), zap.String("encoding", enc.String()), zap.Bool("encoding_detected", detected)),
	}
	fr.cr.Comma = s.comma
	fr.cr.ReuseRecord = true
	// FieldsPerRecord 0: the header sets the number of fields of every row.
	return fr, func() { _ = file.Close() }
}

// rowsHint guesses how many rows a file holds from the lines in its first
// bytes (prefix) and its size, so that the records are listed in one
// array rather than one grown by copying; more says the file goes on
// past prefix. Quoted line breaks make it guess high, never by much; past
// 4M rows the list grows as it goes.
func rowsHint(file *os.File, prefix []byte, more bool) int {
	lines := bytes.Count(prefix, []byte{'\n'})
	if !more || len(prefix) == 0 {
		return lines + 1
	}
	info, err := file.Stat()
	if err != nil || info.Size() <= int64(len(prefix)) {
		return lines + 1
	}
	// Capped, so that a strange prefix (thousands of blank lines before
	// one huge row) never asks for more than a few hundred MB up front.
	const most = 4 << 20
	return int(min(float64(lines)*float64(info.Size())/float64(len(prefix))*1.02+16, most))
}

// slabRows is how many rows' ends one array holds.
const slabRows = 1024

// fileReader is the state of reading one file.
type fileReader struct {
	// rowsHint is about how many rows the file has (rowsHint).
	rowsHint int
	spec     *fileSpec
	errs     *errlist.List
	enc      encoding
	detected bool
	cr       *stdcsv.Reader

	log *zap.Logger

	header []string
	// cols are the header's columns, which every record of the file
	// shares.
	cols *mapping.Columns
	// headerLine is the header's line in the file.
	headerLine int
	keyIdx     int
	blank      int // rows skipped because every cell is blank
	// skipBad (bad_rows: skip) passes a malformed row whose key can be
	// read as a record with a Problem, instead of failing the file.
	skipBad bool
}

// problemRecord is a malformed row under bad_rows: skip: only its kind and
// key, and why. The mapping leaves it out and the runner holds its object
// as it is; ok is false when the row's key cannot be read, and then the
// row fails the file as under bad_rows: fail (a row that names no object
// would make that object look gone).
func (r *fileReader) problemRecord(rec []string, line int, problem string) (connectors.Record, bool) {
	if !r.skipBad || r.keyIdx >= len(rec) {
		return connectors.Record{}, false
	}
	key := strings.TrimSpace(rec[r.keyIdx])
	if key == "" || r.badBytes(key) {
		return connectors.Record{}, false
	}
	return connectors.Record{Kind: r.spec.kind, Key: key, Origin: r.spec.name + ":" + strconv.Itoa(line), Problem: problem}, true
}

func (r *fileReader) lineErr(line int, format string, args ...any) {
	r.errs.Add(&LineError{File: r.spec.name, Line: line, Err: fmt.Errorf(format, args...)})
}

// parseErr turns an encoding/csv error into a LineError at the line where
// the row starts. rec is the (partial) row Read returned with the error: a
// quoting error is in the field after the last one it holds.
func (r *fileReader) parseErr(err error, rec []string) {
	var pe *stdcsv.ParseError
	if !errors.As(err, &pe) {
		r.errs.Add(&LineError{File: r.spec.name, Err: fmt.Errorf("read: %w", err)})
		return
	}
	if errors.Is(pe.Err, stdcsv.ErrFieldCount) {
		r.lineErr(pe.StartLine, "%w: got %d, want %d", pe.Err, len(rec), len(r.header))
		return
	}
	var col string
	switch i := len(rec); {
	case r.header == nil:
		col = fmt.Sprintf("header column %d", i+1)
	case i < len(r.header):
		col = fmt.Sprintf("column %q", r.header[i])
	default:
		col = fmt.Sprintf("field %d", i+1)
	}
	if pe.Line != pe.StartLine {
		col += fmt.Sprintf(", line %d", pe.Line)
	}
	r.lineErr(pe.StartLine, "%s: %w", col, pe.Err)
}

// encodingHint explains, in an error about bad bytes, how the encoding was
// chosen.
func (r *fileReader) encodingHint() string {
	switch {
	case !r.detected:
		return fmt.Sprintf("source.csv.encoding is %s", r.enc)
	case r.enc == encUTF8:
		return "encoding auto chose utf-8 from the first 64 KiB; set source.csv.encoding to shift_jis if the file is Shift_JIS"
	default:
		return "encoding auto chose shift_jis because the first 64 KiB are not valid UTF-8"
	}
}

// badBytes reports whether v holds bytes that are not valid in the file's
// encoding: invalid UTF-8, or, for Shift_JIS, the U+FFFD the decoder writes
// for an invalid sequence (Shift_JIS has no U+FFFD of its own).
func (r *fileReader) badBytes(v string) bool {
	if r.enc == encShiftJIS {
		return strings.ContainsRune(v, utf8.RuneError)
	}
	return !utf8.ValidString(v)
}

func (r *fileReader) encodingName() string {
	if r.enc == encShiftJIS {
		return "Shift_JIS byte sequence"
	}
	return "UTF-8"
}

// readHeader reads and checks the header; false when the file cannot be
// read further.
func (r *fileReader) readHeader() bool {
	rec, err := r.cr.Read()
	if err == io.EOF {
		r.errs.Add(&LineError{File: r.spec.name, Err: errors.New("empty file: a header line is required")})
		return false
	}
	if err != nil {
		r.parseErr(err, rec)
		return false
	}
	line, _ := r.cr.FieldPos(0)
	r.headerLine = line
	ok := true
	header := make([]string, len(rec))
	index := make(map[string]int, len(rec))
	for i, h := range rec {
		if r.badBytes(h) {
			r.lineErr(line, "header column %d: invalid %s (%s)", i+1, r.encodingName(), r.encodingHint())
			ok = false
			continue
		}
		h = strings.TrimSpace(h)
		header[i] = h
		if h == "" {
			r.lineErr(line, "empty column name in header column %d", i+1)
			ok = false
			continue
		}
		if j, dup := index[h]; dup {
			r.lineErr(line, "duplicate column %q in header (columns %d and %d)", h, j+1, i+1)
			ok = false
			continue
		}
		index[h] = i
	}
	if !ok {
		return false
	}
	r.header = header
	r.cols = mapping.NewColumns(header)
	quoted := make([]string, len(header))
	for i, h := range header {
		quoted[i] = strconv.Quote(h)
	}
	found := strings.Join(quoted, ", ")
	idx, has := index[r.spec.keyColumn]
	if !has {
		r.lineErr(line, "missing key column %q (header: %s)", r.spec.keyColumn, found)
		ok = false
	}
	r.keyIdx = idx
	for _, c := range r.spec.required {
		if _, has := index[c]; !has && c != r.spec.keyColumn {
			r.lineErr(line, "missing required column %q (header: %s)", c, found)
			ok = false
		}
	}
	return ok
}

// readRows reads the rows after the header and appends their records to
// out, which it returns; the records are appended only if the file has no
// error. The error returned is ctx's.
func (r *fileReader) readRows(ctx context.Context, out []connectors.Record) ([]connectors.Record, error) {
	done := ctx.Done()
	n := len(r.header)
	keys := keyLines{list: make([]int32, 0, r.rowsHint)}
	start := len(out)
	out = slices.Grow(out, r.rowsHint)
	failed := false
	var origin []byte // the name of the file and a colon, room for a row's line after
	var slab []uint32 // what is left of the array the next rows' ends go in
	origin = append(append(make([]byte, 0, len(r.spec.name)+1+20), r.spec.name...), ':')
	for {
		select {
		case <-done:
			return nil, fmt.Errorf("%s: %w", r.spec.name, ctx.Err())
		default:
		}
		rec, err := r.cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *stdcsv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, stdcsv.ErrFieldCount) && allBlank(rec) {
				r.blank++
				continue
			}
			if pe != nil && errors.Is(pe.Err, stdcsv.ErrFieldCount) {
				problem := fmt.Sprintf("%v: got %d, want %d", pe.Err, len(rec), len(r.header))
				if pr, ok := r.problemRecord(rec, pe.StartLine, problem); ok {
					out = append(out, pr)
					continue
				}
			}
			r.parseErr(err, rec)
			failed = true
			if pe == nil {
				// Not a parse error: the file cannot be read further.
				return out[:start], nil
			}
			continue
		}
		if allBlank(rec) {
			r.blank++
			continue
		}
		line, _ := r.cr.FieldPos(0)
		bad := false
		for i, v := range rec {
			if r.badBytes(v) {
				problem := fmt.Sprintf("column %q: invalid %s (%s)", r.header[i], r.encodingName(), r.encodingHint())
				if pr, ok := r.problemRecord(rec, line, problem); ok {
					out = append(out, pr)
				} else {
					fl, _ := r.cr.FieldPos(i)
					r.lineErr(fl, "%s", problem)
					failed = true
				}
				bad = true
				break
			}
		}
		if bad {
			continue
		}
		key := strings.TrimSpace(rec[r.keyIdx])
		if key == "" {
			r.lineErr(line, "empty key column %q", r.spec.keyColumn)
			failed = true
			continue
		}
		if first, dup := keys.seen(out, key); dup {
			// Under bad_rows: skip both rows are held: which one is right
			// is not known.
			problem := fmt.Sprintf("duplicate key %q (first on line %d)", key, first)
			if pr, ok := r.problemRecord(rec, line, problem); ok {
				out = append(out, pr)
				continue
			}
			r.lineErr(line, "%s", problem)
			failed = true
			continue
		}
		if failed {
			// Nothing is returned from this file; only look for more
			// errors. The row is no record to list: the map has it.
			keys.asMap(out)[key] = line
			continue
		}
		keys.add(out, key, line) // the record appended next
		// Where the values end: the ends of many rows share one array,
		// cut a row at a time, a thousand allocations for a million rows.
		if len(slab) < n {
			slab = make([]uint32, n*slabRows)
		}
		ends := slab[:n:n]
		slab = slab[n:]
		out = append(out, connectors.Record{
			Kind:    r.spec.kind,
			Key:     key,
			Columns: r.cols,
			Row:     joined(rec, ends),
			Ends:    ends,
			Origin:  string(strconv.AppendInt(origin[:len(r.spec.name)+1], int64(line), 10)),
		})
	}
	if failed {
		return out[:start], nil
	}
	return out, nil
}

// joined returns the fields of rec one after the other, and sets where
// each ends in ends. encoding/csv makes one string of a row's fields and
// cuts each from it, one after the other: that string is returned, not a
// copy, when the fields are found to lie so (else they are joined anew),
// so that a record costs its ends, not 16 bytes a value more.
func joined(rec []string, ends []uint32) string {
	var base *byte // where the fields start, once a field that is not empty is met
	n, contiguous := 0, true
	for i, f := range rec {
		if f != "" && contiguous {
			p := unsafe.StringData(f)
			switch {
			case base == nil:
				base = p // the fields before are empty: n is 0
			case unsafe.Add(unsafe.Pointer(base), n) != unsafe.Pointer(p):
				contiguous = false
			}
		}
		n += len(f)
		ends[i] = uint32(n)
	}
	switch {
	case base == nil:
		return ""
	case contiguous:
		return unsafe.String(base, n)
	}
	return strings.Join(rec, "")
}

// keyLines are the keys of a file's rows so far, each with the line it is
// first on, to find a key used twice. While the keys come in increasing
// order (an export sorted by its key, as most are), a new key is the
// greatest so far and none is looked up: the rows' records are only
// listed, by index. The first key out of order turns the list into a map,
// which every key after goes through. A map of a million keys was a tenth
// of a large plan's CPU, a miss of the cache for each row (issue 13).
type keyLines struct {
	list  []int32 // the records' indexes in the file's list, while byKey is nil
	byKey map[string]int
}

// seen returns the line key is first on, if it has been added; out is the
// list of records so far.
func (k *keyLines) seen(out []connectors.Record, key string) (int, bool) {
	if k.byKey == nil {
		if n := len(k.list); n == 0 || key > out[k.list[n-1]].Key {
			return 0, false
		}
	}
	line, ok := k.asMap(out)[key]
	return line, ok
}

// add adds key, which seen returned false for, of the record appended to
// out next.
func (k *keyLines) add(out []connectors.Record, key string, line int) {
	if k.byKey != nil {
		k.byKey[key] = line
		return
	}
	k.list = append(k.list, int32(len(out)))
}

// asMap turns the list into the map, if it is not one yet, and returns
// it. A record's line is the end of its origin.
func (k *keyLines) asMap(out []connectors.Record) map[string]int {
	if k.byKey == nil {
		k.byKey = make(map[string]int, 2*len(k.list))
		for _, i := range k.list {
			o := out[i].Origin
			line, _ := strconv.Atoi(o[strings.LastIndexByte(o, ':')+1:])
			k.byKey[out[i].Key] = line
		}
		k.list = nil
	}
	return k.byKey
}

// allBlank reports whether every cell of a row is empty or white space: a
// spreadsheet's empty row saved as ",,,,".
func allBlank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
