package csv

import (
	"bytes"
	"context"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zaptest"
	"golang.org/x/text/encoding/japanese"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

// The header of the users fixtures.
var usersHeader = []string{"社員番号", "氏名", "所属", "役割", "在籍区分"}

// rec builds the expected record of a row.
func rec(kind mapping.Kind, origin string, header []string, vals ...string) connectors.Record {
	attrs := make(map[string][]string, len(header))
	for i, h := range header {
		attrs[h] = []string{vals[i]}
	}
	return connectors.Record{Kind: kind, Key: strings.TrimSpace(vals[0]), Attrs: attrs, Origin: origin}
}

func user(origin string, vals ...string) connectors.Record {
	return rec(mapping.KindUser, origin, usersHeader, vals...)
}

// usersOf is the content of users_utf8.csv and its variants, as records.
func usersOf(file string) []connectors.Record {
	return []connectors.Record{
		user(file+":2", "1001", "山田 太郎", "本社/営業部/第一課", "部長", "在籍"),
		user(file+":3", "1002", "佐藤 花子", "本社/営業部", "一般", "在籍"),
		user(file+":4", "1003", "鈴木 一郎", "本社/開発部", "一般", "休職"),
	}
}

// usersCSV is the text of users_utf8.csv.
const usersCSV = "社員番号,氏名,所属,役割,在籍区分\n" +
	"1001,山田 太郎,本社/営業部/第一課,部長,在籍\n" +
	"1002,佐藤 花子,本社/営業部,一般,在籍\n" +
	"1003,鈴木 一郎,本社/開発部,一般,休職\n"

// usersFile configures a users file keyed by 社員番号.
func usersFile(path string, required ...string) *File {
	return &File{Path: path, KeyColumn: "社員番号", Required: required}
}

// read opens a source on cfg, with paths relative to dir, and reads it.
//
// The records come back with their attributes in Attrs (Record.Map), so
// that tests compare them with records written as maps; read first checks
// that the rows of one file share one Columns and have a value for each.
func read(t testing.TB, cfg Config, dir string) ([]connectors.Record, error) {
	t.Helper()
	s, err := New(cfg, dir, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	recs, err := s.Read(context.Background())
	return asAttrs(t, recs), err
}

// asAttrs checks the records' Columns and Ends and returns them with
// their attributes in Attrs instead.
func asAttrs(t testing.TB, recs []connectors.Record) []connectors.Record {
	t.Helper()
	cols := map[mapping.Kind]*mapping.Columns{}
	for i := range recs {
		r := &recs[i]
		if r.Problem != "" {
			if r.Columns != nil || r.Attrs != nil {
				t.Errorf("%s: a problem record with attributes", r.Origin)
			}
			continue
		}
		if r.Columns == nil || r.Attrs != nil {
			t.Fatalf("%s: Columns %v, Attrs %v; want Columns and no Attrs", r.Origin, r.Columns, r.Attrs)
		}
		if c := cols[r.Kind]; c == nil {
			cols[r.Kind] = r.Columns
		} else if c != r.Columns {
			t.Errorf("%s: Columns not the ones of the file's other rows", r.Origin)
		}
		if len(r.Ends) != len(r.Columns.Names()) || cap(r.Ends) != len(r.Ends) {
			t.Errorf("%s: %d values (cap %d) for %d columns", r.Origin, len(r.Ends), cap(r.Ends), len(r.Columns.Names()))
		}
		r.Attrs, r.Columns, r.Row, r.Ends = r.Map(), nil, "", nil
	}
	return recs
}

// sjis encodes s in Shift_JIS (CP932).
func sjis(t testing.TB, s string) []byte {
	t.Helper()
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q in Shift_JIS: %v", s, err)
	}
	return b
}

// writeFile writes data to name in a new temporary directory and returns
// the directory.
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestNewConfigErrors(t *testing.T) {
	ok := usersFile("users.csv")
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no users", Config{}, "users: required"},
		{"users without path and key", Config{Users: &File{Path: " ", KeyColumn: " "}},
			"users.path: required\nusers.key_column: required"},
		{"users without key_column", Config{Users: &File{Path: "users.csv"}},
			"users.key_column: required"},
		{"empty required column", Config{Users: usersFile("users.csv", "氏名", "", "所属")},
			"users.required[1]: empty column name"},
		{"orgs without key_column", Config{Users: ok, Orgs: &File{Path: "orgs.csv"}},
			"orgs.key_column: required"},
		{"groups without path", Config{Users: ok, Groups: &File{KeyColumn: "id"}},
			"groups.path: required"},
		{"unknown encoding", Config{Encoding: "latin1", Users: ok},
			`encoding: unknown encoding "latin1" (want auto, utf-8 or shift_jis)`},
		{"delimiter of two characters", Config{Delimiter: ";;", Users: ok},
			`delimiter: must be exactly one character, got ";;"`},
		{"delimiter of invalid UTF-8", Config{Delimiter: "\xff", Users: ok},
			`delimiter: must be exactly one character, got "\xff"`},
		{"quote as delimiter", Config{Delimiter: `"`, Users: ok},
			`delimiter: "\"" cannot be a delimiter`},
		{"newline as delimiter", Config{Delimiter: "\n", Users: ok},
			`delimiter: "\n" cannot be a delimiter`},
		{"every problem at once", Config{Encoding: "ebcdic", Delimiter: "ab"},
			"encoding: unknown encoding \"ebcdic\" (want auto, utf-8 or shift_jis)\n" +
				"delimiter: must be exactly one character, got \"ab\"\n" +
				"users: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.cfg, "", nil)
			if err == nil {
				t.Fatalf("New succeeded, want error %q", tt.want)
			}
			if s != nil {
				t.Errorf("New returned a source with its error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestNewAccepts(t *testing.T) {
	tests := []struct {
		encoding, delimiter string
		wantEnc             encoding
		wantComma           rune
	}{
		{"", "", encAuto, ','},
		{"AUTO", ",", encAuto, ','},
		{"utf-8", "\t", encUTF8, '\t'},
		{"UTF8", ";", encUTF8, ';'},
		{"Shift_JIS", "|", encShiftJIS, '|'},
		{"sjis", "、", encShiftJIS, '、'},
		{"CP932", "", encShiftJIS, ','},
		{"Windows-31J", "", encShiftJIS, ','},
		{" ms932 ", "", encShiftJIS, ','},
	}
	for _, tt := range tests {
		t.Run(tt.encoding+"/"+tt.delimiter, func(t *testing.T) {
			s, err := New(Config{Encoding: tt.encoding, Delimiter: tt.delimiter, Users: usersFile("users.csv")}, "/base", nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.enc != tt.wantEnc || s.comma != tt.wantComma {
				t.Errorf("encoding %v, delimiter %q; want %v, %q", s.enc, s.comma, tt.wantEnc, tt.wantComma)
			}
			if got, want := s.files[0].path, filepath.Join("/base", "users.csv"); got != want {
				t.Errorf("path %q, want %q", got, want)
			}
		})
	}
}

func TestReadUsers(t *testing.T) {
	sjisDir := writeFile(t, "users_sjis.csv", sjis(t, usersCSV))
	sjisCRLFDir := writeFile(t, "users_sjis_crlf.csv", sjis(t, strings.ReplaceAll(usersCSV, "\n", "\r\n")))
	tests := []struct {
		name     string
		dir      string
		file     string
		encoding string
		want     []connectors.Record
	}{
		{"UTF-8", "testdata", "users_utf8.csv", "", usersOf("users_utf8.csv")},
		{"UTF-8 explicit", "testdata", "users_utf8.csv", "utf-8", usersOf("users_utf8.csv")},
		{"UTF-8 with BOM", "testdata", "users_bom.csv", "", usersOf("users_bom.csv")},
		{"UTF-8 with BOM explicit", "testdata", "users_bom.csv", "utf8", usersOf("users_bom.csv")},
		{"CRLF", "testdata", "users_crlf.csv", "", usersOf("users_crlf.csv")},
		{"Shift_JIS detected", sjisDir, "users_sjis.csv", "", usersOf("users_sjis.csv")},
		{"Shift_JIS explicit", sjisDir, "users_sjis.csv", "cp932", usersOf("users_sjis.csv")},
		{"Shift_JIS CRLF", sjisCRLFDir, "users_sjis_crlf.csv", "", usersOf("users_sjis_crlf.csv")},
		{"quoted fields, embedded newlines, blank lines", "testdata", "users_quoted.csv", "", []connectors.Record{
			user("users_quoted.csv:2", "1001", "山田, 太郎", "本社/営業部/第一課", "部長", "在籍"),
			user("users_quoted.csv:4", "1002", `佐藤 "花子"`, "本社/営業部\n第二課\n(兼務)", "一般", "在籍"),
			user("users_quoted.csv:9", " 1003 ", "鈴木 一郎", "本社/開発部", "一般", "休職\n"),
			user("users_quoted.csv:11", "1004", "高橋 次郎", "本社", "一般", "在籍"),
		}},
		{"blank rows skipped", "testdata", "users_blank_rows.csv", "", []connectors.Record{
			user("users_blank_rows.csv:2", "1001", "山田 太郎", "本社/営業部/第一課", "部長", "在籍"),
			user("users_blank_rows.csv:6", "1002", "佐藤 花子", "本社/営業部", "一般", "在籍"),
		}},
		{"header only", "testdata", "header_only.csv", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Encoding: tt.encoding, Users: usersFile(tt.file, usersHeader...)}
			got, err := read(t, cfg, tt.dir)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadOrgsAndGroups(t *testing.T) {
	cfg := Config{
		Users:  usersFile("users_utf8.csv"),
		Orgs:   &File{Path: "orgs.csv", KeyColumn: "組織コード", Required: []string{"組織名", "親組織コード"}},
		Groups: &File{Path: "groups.csv", KeyColumn: "グループID"},
	}
	abs, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	got, err := read(t, cfg, abs)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	orgH := []string{"組織コード", "組織名", "親組織コード"}
	groupH := []string{"グループID", "グループ名"}
	want := append(usersOf("users_utf8.csv"),
		rec(mapping.KindOrg, "orgs.csv:2", orgH, "HQ", "本社", ""),
		rec(mapping.KindOrg, "orgs.csv:3", orgH, "SALES", "営業部", "HQ"),
		rec(mapping.KindOrg, "orgs.csv:4", orgH, "DEV", "開発部", "HQ"),
		rec(mapping.KindGroup, "groups.csv:2", groupH, "g-admins", "管理者"),
		rec(mapping.KindGroup, "groups.csv:3", groupH, "g-all", "全社員"),
	)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestReadDelimiter(t *testing.T) {
	tests := []struct {
		delimiter string
		sep       string
	}{
		{"\t", "\t"},
		{";", ";"},
		{"、", "、"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.delimiter), func(t *testing.T) {
			dir := writeFile(t, "users.tsv", []byte(strings.ReplaceAll(usersCSV, ",", tt.sep)))
			got, err := read(t, Config{Delimiter: tt.delimiter, Users: usersFile("users.tsv")}, dir)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(usersOf("users.tsv"), got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadCP932 reads characters that only CP932 (not JIS X 0208 Shift_JIS)
// has: NEC special characters and IBM extensions, as Excel on Windows
// writes them.
func TestReadCP932(t *testing.T) {
	text := "社員番号,氏名,所属,役割,在籍区分\n" +
		"2001,髙橋 﨑子,本社/第①課,一般,在籍\n" +
		"2002,山田～太郎,本社/Ⅱ部,一般,在籍\n"
	dir := writeFile(t, "users.csv", sjis(t, text))
	got, err := read(t, Config{Users: usersFile("users.csv")}, dir)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	want := []connectors.Record{
		user("users.csv:2", "2001", "髙橋 﨑子", "本社/第①課", "一般", "在籍"),
		user("users.csv:3", "2002", "山田～太郎", "本社/Ⅱ部", "一般", "在籍"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// TestReadExplicitEncoding checks that an explicit encoding wins over what
// detection would choose.
func TestReadExplicitEncoding(t *testing.T) {
	t.Run("shift_jis on a file that is valid UTF-8", func(t *testing.T) {
		// The UTF-8 bytes of 氏名 happen to be valid Shift_JIS too.
		dir := writeFile(t, "users.csv", []byte("社員番号,name\n1001,氏名\n"))
		got, err := read(t, Config{Encoding: "shift_jis", Users: usersFile("users.csv")}, dir)
		if err == nil {
			t.Fatalf("Read succeeded with %v; want the key column not found, the header having been read as Shift_JIS", got)
		}
		mojibake, _ := japanese.ShiftJIS.NewDecoder().String("社員番号")
		want := fmt.Sprintf(`users.csv:1: missing key column "社員番号" (header: %q, "name")`, mojibake)
		if err.Error() == want {
			return
		}
		t.Errorf("error:\n got %q\nwant %q", err, want)
	})
	t.Run("shift_jis value decoded", func(t *testing.T) {
		dir := writeFile(t, "users.csv", []byte("id,name\n1001,氏名\n"))
		got, err := read(t, Config{Encoding: "shift_jis", Users: &File{Path: "users.csv", KeyColumn: "id"}}, dir)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		mojibake, _ := japanese.ShiftJIS.NewDecoder().String("氏名")
		if len(got) != 1 || got[0].Get("name") != mojibake || mojibake == "氏名" {
			t.Errorf("records %v; want name %q (the UTF-8 bytes read as Shift_JIS)", got, mojibake)
		}
	})
	t.Run("utf-8 on a Shift_JIS header", func(t *testing.T) {
		dir := writeFile(t, "users.csv", sjis(t, "id,氏名\n1001,yamada\n"))
		_, err := read(t, Config{Encoding: "UTF8", Users: &File{Path: "users.csv", KeyColumn: "id"}}, dir)
		want := `users.csv:1: header column 2: invalid UTF-8 (source.csv.encoding is utf-8)`
		if err == nil || err.Error() != want {
			t.Errorf("error:\n got %v\nwant %q", err, want)
		}
	})
	t.Run("utf-8 on a Shift_JIS file", func(t *testing.T) {
		dir := writeFile(t, "users.csv", sjis(t, "id,name\n1001,yamada\n1002,山田\n"))
		_, err := read(t, Config{Encoding: "utf-8", Users: &File{Path: "users.csv", KeyColumn: "id"}}, dir)
		want := `users.csv:3: column "name": invalid UTF-8 (source.csv.encoding is utf-8)`
		if err == nil || err.Error() != want {
			t.Errorf("error:\n got %v\nwant %q", err, want)
		}
	})
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		cfg  func(*Config)
		want string
		is   error
	}{
		{"wrong number of fields", "err_fieldcount.csv", nil,
			"err_fieldcount.csv:3: wrong number of fields: got 4, want 5\n" +
				"err_fieldcount.csv:4: wrong number of fields: got 6, want 5", stdcsv.ErrFieldCount},
		{"bare quote", "err_bare_quote.csv", nil,
			`err_bare_quote.csv:3: column "氏名": bare " in non-quoted-field`, stdcsv.ErrBareQuote},
		{"unterminated quote", "err_unterminated.csv", nil,
			`err_unterminated.csv:3: column "氏名", line 4: extraneous or missing " in quoted-field`, stdcsv.ErrQuote},
		{"quote error on a later line of the row", "err_quote_later_line.csv", nil,
			`err_quote_later_line.csv:3: column "氏名", line 4: extraneous or missing " in quoted-field`, stdcsv.ErrQuote},
		{"quote in the header", "err_header_quote.csv", nil,
			`err_header_quote.csv:1: header column 2: bare " in non-quoted-field`, stdcsv.ErrBareQuote},
		{"quote errors past the header's columns and on a later line", "err_extra_field_quote.csv", nil,
			"err_extra_field_quote.csv:3: field 4: bare \" in non-quoted-field\n" +
				"err_extra_field_quote.csv:4: column \"氏名\", line 5: extraneous or missing \" in quoted-field", stdcsv.ErrQuote},
		{"empty key", "err_empty_key.csv", nil, `err_empty_key.csv:3: empty key column "社員番号"`, nil},
		{"duplicate key after trimming", "err_dup_key.csv", nil, `err_dup_key.csv:5: duplicate key "1001" (first on line 2)`, nil},
		{"duplicate column", "err_dup_header.csv", nil, `err_dup_header.csv:1: duplicate column "氏名" in header (columns 2 and 4)`, nil},
		{"empty column name", "err_empty_header.csv", nil, `err_empty_header.csv:1: empty column name in header column 3`, nil},
		{"missing key and required columns", "err_missing_columns.csv",
			func(c *Config) { c.Users.Required = []string{"社員番号", "氏名", "所属", "役割"} },
			"err_missing_columns.csv:1: missing key column \"社員番号\" (header: \"ID\", \"氏名\", \"役割\")\n" +
				"err_missing_columns.csv:1: missing required column \"所属\" (header: \"ID\", \"氏名\", \"役割\")", nil},
		{"every row error in the file", "err_mixed.csv", nil,
			"err_mixed.csv:3: wrong number of fields: got 2, want 5\n" +
				"err_mixed.csv:4: empty key column \"社員番号\"\n" +
				"err_mixed.csv:5: duplicate key \"1001\" (first on line 2)", nil},
		{"a key twice after a row error, and one from before it", "err_dup_after_error.csv", nil,
			"err_dup_after_error.csv:3: wrong number of fields: got 2, want 5\n" +
				"err_dup_after_error.csv:5: duplicate key \"1003\" (first on line 4)\n" +
				"err_dup_after_error.csv:6: duplicate key \"1001\" (first on line 2)", nil},
		{"empty file", "empty.csv", nil, "empty.csv: empty file: a header line is required", nil},
		{"blank lines only", "blank_only.csv", nil, "blank_only.csv: empty file: a header line is required", nil},
		{"BOM only", "bom_only.csv", nil, "bom_only.csv: empty file: a header line is required", nil},
		{"UTF-16", "utf16.csv", nil, "utf16.csv: starts with a UTF-16 byte order mark: UTF-16 is not supported, save the file as UTF-8 or Shift_JIS", nil},
		{"missing file", "nope.csv", nil,
			"source.csv.users.path: open " + filepath.Join("testdata", "nope.csv") + ": no such file or directory", fs.ErrNotExist},
		{"errors of every file", "err_empty_key.csv",
			func(c *Config) {
				c.Orgs = &File{Path: "missing_orgs.csv", KeyColumn: "id"}
				c.Groups = &File{Path: "groups.csv", KeyColumn: "id"}
			},
			"err_empty_key.csv:3: empty key column \"社員番号\"\n" +
				"source.csv.orgs.path: open " + filepath.Join("testdata", "missing_orgs.csv") + ": no such file or directory\n" +
				"groups.csv:1: missing key column \"id\" (header: \"グループID\", \"グループ名\")", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Users: usersFile(tt.file)}
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			got, err := read(t, cfg, "testdata")
			if err == nil {
				t.Fatalf("Read succeeded, want error %q", tt.want)
			}
			if got != nil {
				t.Errorf("Read returned %d records with its error, want none", len(got))
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %q\nwant %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(err, %v) = false", tt.is)
			}
			var le *LineError
			if tt.is != fs.ErrNotExist && !errors.As(err, &le) {
				t.Errorf("error is not a *LineError")
			}
		})
	}
}

func TestReadErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("社員番号,氏名\n")
	for i := 0; i < 60; i++ {
		b.WriteString(",名無し\n")
	}
	b.WriteString("1001,山田\n")
	dir := writeFile(t, "users.csv", []byte(b.String()))
	got, err := read(t, Config{Users: usersFile("users.csv")}, dir)
	if err == nil || got != nil {
		t.Fatalf("Read = %d records, %v; want an error and no records", len(got), err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 51 {
		t.Fatalf("error has %d lines, want 50 errors and a summary", len(lines))
	}
	if want := `users.csv:2: empty key column "社員番号"`; lines[0] != want {
		t.Errorf("first error %q, want %q", lines[0], want)
	}
	if want := `users.csv:51: empty key column "社員番号"`; lines[49] != want {
		t.Errorf("50th error %q, want %q", lines[49], want)
	}
	if want := "and 10 more errors"; lines[50] != want {
		t.Errorf("last line %q, want %q", lines[50], want)
	}
}

func TestReadInvalidShiftJIS(t *testing.T) {
	data := sjis(t, "社員番号,氏名\n1001,山田\n")
	data = append(data, sjis(t, "1002,")...)
	data = append(data, 0x81, 0x20, '\n') // a lead byte followed by a space
	dir := writeFile(t, "users.csv", data)
	tests := []struct {
		encoding, want string
	}{
		{"", `users.csv:3: column "氏名": invalid Shift_JIS byte sequence (encoding auto chose shift_jis because the first 64 KiB are not valid UTF-8)`},
		{"sjis", `users.csv:3: column "氏名": invalid Shift_JIS byte sequence (source.csv.encoding is shift_jis)`},
	}
	for _, tt := range tests {
		_, err := read(t, Config{Encoding: tt.encoding, Users: usersFile("users.csv")}, dir)
		if err == nil || err.Error() != tt.want {
			t.Errorf("encoding %q: error\n got %v\nwant %q", tt.encoding, err, tt.want)
		}
	}
}

func TestReadCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := New(Config{Users: usersFile("users_utf8.csv")}, "testdata", zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Read(ctx)
	if !errors.Is(err, context.Canceled) || got != nil {
		t.Errorf("Read = %d records, %v; want none and context.Canceled", len(got), err)
	}
}

func TestSniff(t *testing.T) {
	a := func(n int) []byte { return bytes.Repeat([]byte("a"), n) }
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	aa := []byte("あ") // E3 81 82
	tests := []struct {
		name   string
		prefix []byte
		more   bool
		want   encoding
	}{
		{"ASCII", []byte("id,name\n1,a\n"), false, encUTF8},
		{"empty", nil, false, encUTF8},
		{"BOM", cat(utf8BOM, sjis(t, "氏名")), false, encUTF8},
		{"UTF-8", []byte("社員番号,氏名\n"), false, encUTF8},
		{"Shift_JIS", sjis(t, "社員番号,氏名\n"), false, encShiftJIS},
		{"UTF-8 cut after 1 of 3 bytes", cat(a(sniffSize-1), aa[:1]), true, encUTF8},
		{"UTF-8 cut after 2 of 3 bytes", cat(a(sniffSize-2), aa[:2]), true, encUTF8},
		{"UTF-8 cut after 3 of 4 bytes", cat(a(sniffSize-3), []byte("𠮷")[:3]), true, encUTF8},
		{"whole UTF-8 character at the end", cat(a(sniffSize-3), aa), true, encUTF8},
		{"cut character at end of file", cat(a(10), aa[:2]), false, encShiftJIS},
		{"Shift_JIS lead byte at the end", cat(sjis(t, "山田"), a(sniffSize-5), []byte{0x8e}), true, encShiftJIS},
		{"invalid byte before the cut", cat(a(sniffSize-4), []byte{0xff}, aa[:2]), true, encShiftJIS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sniff(tt.prefix, tt.more); got != tt.want {
				t.Errorf("sniff = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestReadSniffBoundary reads a UTF-8 file in which a character straddles
// the end of the sniffed prefix: it must still be read as UTF-8.
func TestReadSniffBoundary(t *testing.T) {
	for cut := 1; cut <= 2; cut++ {
		t.Run(fmt.Sprintf("cut after %d bytes", cut), func(t *testing.T) {
			head := "社員番号,氏名,備考\n1001,山田 太郎,"
			// Row 2 starts with "1002,"; its name's first character "あ"
			// starts at sniffSize-cut.
			pad := sniffSize - cut - len(head) - len("\n1002,")
			text := head + strings.Repeat("x", pad) + "\n1002,あいう,-\n"
			if i := strings.Index(text, "あ"); i != sniffSize-cut {
				t.Fatalf("あ at %d, want %d", i, sniffSize-cut)
			}
			dir := writeFile(t, "users.csv", []byte(text))
			got, err := read(t, Config{Users: usersFile("users.csv")}, dir)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			h := []string{"社員番号", "氏名", "備考"}
			want := []connectors.Record{
				rec(mapping.KindUser, "users.csv:2", h, "1001", "山田 太郎", strings.Repeat("x", pad)),
				rec(mapping.KindUser, "users.csv:3", h, "1002", "あいう", "-"),
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadShiftJISAfterASCIIPrefix: a file whose first 64 KiB are ASCII is
// read as UTF-8; Shift_JIS further on is an error naming the file and line,
// never mojibake.
func TestReadShiftJISAfterASCIIPrefix(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("id,name,dept\n")
	line := 1
	for i := 0; b.Len() < sniffSize+100; i++ {
		fmt.Fprintf(&b, "%d,user%d,sales\n", 1000+i, i)
		line++
	}
	b.Write(sjis(t, "9001,山田 太郎,営業部\n"))
	b.WriteString("9002,ascii,sales\n")
	dir := writeFile(t, "users.csv", b.Bytes())

	got, err := read(t, Config{Users: &File{Path: "users.csv", KeyColumn: "id"}}, dir)
	want := fmt.Sprintf(`users.csv:%d: column "name": invalid UTF-8 (encoding auto chose utf-8 from the first 64 KiB; set source.csv.encoding to shift_jis if the file is Shift_JIS)`, line+1)
	if err == nil || err.Error() != want {
		t.Fatalf("Read = %d records, %v; want error %q", len(got), err, want)
	}
	if got != nil {
		t.Errorf("Read returned %d records with its error", len(got))
	}

	// With the encoding given, the same file reads (ASCII is the same in
	// both).
	got, err = read(t, Config{Encoding: "shift_jis", Users: &File{Path: "users.csv", KeyColumn: "id"}}, dir)
	if err != nil {
		t.Fatalf("Read with shift_jis: %v", err)
	}
	if r := got[len(got)-2]; r.Key != "9001" || r.Get("name") != "山田 太郎" || r.Origin != fmt.Sprintf("users.csv:%d", line+1) {
		t.Errorf("record %+v, want 9001 山田 太郎 on line %d", r, line+1)
	}
}
