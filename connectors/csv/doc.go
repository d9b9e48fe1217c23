// Package csv is a connectors.Source that reads HR exports in CSV: a users
// file and, optionally, an orgs file and a groups file (Config).
//
// # Records
//
// Every row after the header becomes one connectors.Record: Kind is user,
// org or group after the file it came from; Key is the row's value in the
// file's key_column, with surrounding white space trimmed; Columns (the
// header's, names trimmed, shared by every row of the file) and Row and Ends
// give every header column the row's cell, one value each, exactly as written
// (not trimmed), where other sources fill Attrs (Record.Map gives them as
// Attrs would); Origin is "<base name>:<line>", the physical line
// where the row starts (1-based from the file's first line; the header,
// blank lines and the lines inside quoted fields count). Records come in file order: users, then
// orgs, then groups.
//
// # Format
//
// Files are RFC 4180 as read by encoding/csv: fields may be quoted, a quoted
// field may hold the delimiter, doubled quotes and line breaks (a CRLF inside
// quotes reads as LF); lines may end in LF or CRLF. Quotes are strict (no
// LazyQuotes): a bare quote in an unquoted field is an error. The delimiter
// is one character, "," by default. The first non-blank line is the header;
// it is required, and its column names must be non-empty and distinct.
// key_column and every required column must be in it. Every row must have
// as many fields as the header. Blank lines are skipped, and so is a row
// whose every cell is empty or white space (a spreadsheet's empty row saved
// as ",,,,"), whatever its number of fields. A file with a header and no
// rows is valid and yields no records (the scheduler's guard decides what an
// empty source may do); a file with no header at all is an error.
//
// # Encodings
//
// source.csv.encoding is one of (case-insensitive):
//
//	auto                       (default) detect, see below
//	utf-8, utf8                UTF-8; a leading BOM is dropped
//	shift_jis, sjis, cp932,    Shift_JIS as Windows writes it: CP932 /
//	ms932, windows-31j,        Windows-31J, with the NEC and IBM extensions
//	shift-jis, shiftjis        (golang.org/x/text/encoding/japanese.ShiftJIS)
//
// auto looks at the first 64 KiB of each file (each file is detected on
// its own): a UTF-8 BOM means UTF-8; otherwise, if those bytes are valid
// UTF-8 (a multibyte character cut at the 64 KiB boundary does not count
// against it), UTF-8; otherwise Shift_JIS. The file is read once, as a
// stream: the sniffed prefix is the start of the buffered reader, and a
// Shift_JIS file is decoded through a transform.Reader.
//
// Detection can be fooled by a file whose first 64 KiB are plain ASCII and
// whose later rows hold Shift_JIS. Such a file is read as UTF-8, and the
// rows with Shift_JIS bytes are errors (every field read as UTF-8 is checked)
// naming the file, the line and the column, and suggesting to set
// source.csv.encoding: shift_jis. Mojibake is never produced silently: in a
// Shift_JIS file, a byte sequence that is not Shift_JIS is an error too. A
// file starting with a UTF-16 byte order mark is refused.
//
// An explicit encoding is always honoured, even when detection would choose
// the other one.
//
// # Errors
//
// New checks the config and reports every problem, each naming its config
// key:
//
//	source.csv.encoding: unknown encoding "latin1" (want auto, utf-8 or shift_jis)
//	source.csv.delimiter: must be exactly one character, got ";;"
//	source.csv.delimiter: "\"" cannot be a delimiter
//	source.csv.users: required
//	source.csv.users.path: required
//	source.csv.users.key_column: required
//	source.csv.users.required[2]: empty column name
//
// Files are opened by Read, so a file that does not exist yet at start-up
// is reported by each Read that misses it:
//
//	source.csv.users.path: open /etc/orgbridge/users.csv: no such file or directory
//
// Read reports every problem it finds in every file, not only the first,
// and then returns no records at all: nothing is applied from a source that
// failed to read. It keeps the first 50 problems and ends with "and N more
// errors". The errors are joined with errors.Join; each problem in a file is
// a *LineError whose message names the file's base name and line:
//
//	users.csv: empty file: a header line is required
//	users.csv: starts with a UTF-16 byte order mark: UTF-16 is not supported, save the file as UTF-8 or Shift_JIS
//	users.csv:1: empty column name in header column 3
//	users.csv:1: duplicate column "氏名" in header (columns 2 and 5)
//	users.csv:1: missing key column "社員番号" (header: "ID", "氏名")
//	users.csv:1: missing required column "所属" (header: "社員番号", "氏名")
//	users.csv:1: header column 2: invalid UTF-8 (...)
//	users.csv:14: wrong number of fields: got 5, want 7
//	users.csv:14: column "氏名": bare " in non-quoted-field
//	users.csv:14: column "所属", line 16: extraneous or missing " in quoted-field
//	users.csv:9: empty key column "社員番号"
//	users.csv:12: duplicate key "1001" (first on line 3)
//	users.csv:70001: column "氏名": invalid UTF-8 (encoding auto chose utf-8 from the first 64 KiB; set source.csv.encoding to shift_jis if the file is Shift_JIS)
//	users.csv:5: column "氏名": invalid Shift_JIS byte sequence (source.csv.encoding is shift_jis)
//
// A file whose header is wrong is not read further; every other problem
// leaves the reader going on to the next row. The line is where the row
// starts (for bad bytes, where the field holding them starts); a quoting error names the header column
// of the field it is in, and the line it was found on when that is a later
// line of a multi-line row (a quote never closed runs on to the end of the
// file, whose last line it names). A row with the wrong number of fields wraps
// encoding/csv's ErrFieldCount, a quoting error ErrBareQuote or ErrQuote, a
// missing file fs.ErrNotExist. Read stops between rows when its context is
// cancelled and returns the context's error.
package csv
