package gen

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"unicode/utf8"
)

// LDIFWriter writes LDIF content records (RFC 2849) through a buffer,
// keeping the first error. A value that is not a SAFE-STRING (non-ASCII, a
// leading space, colon or '<', a trailing space, a control character) is
// written base64-encoded ("attr:: ..."), as the RFC requires; OpenLDAP's
// tools would also take raw UTF-8, but other readers need not. The
// generator's WriteLDIF and ldaptest's fixtures both write through it.
type LDIFWriter struct {
	w   *bufio.Writer
	err error
}

// NewLDIFWriter returns an LDIFWriter on w with a buffer of size bytes
// (bufio's default if size ≤ 0). Call Flush at the end.
func NewLDIFWriter(w io.Writer, size int) *LDIFWriter {
	return &LDIFWriter{w: bufio.NewWriterSize(w, size)}
}

// Line writes one "name: value" line, base64-encoding value if it is not
// LDIFSafe.
func (l *LDIFWriter) Line(name, value string) {
	if l.err != nil {
		return
	}
	if LDIFSafe(value) {
		_, l.err = fmt.Fprintf(l.w, "%s: %s\n", name, value)
	} else {
		_, l.err = fmt.Fprintf(l.w, "%s:: %s\n", name, base64.StdEncoding.EncodeToString([]byte(value)))
	}
}

// End ends the current record (an empty line).
func (l *LDIFWriter) End() {
	if l.err == nil {
		l.err = l.w.WriteByte('\n')
	}
}

// Entry writes one whole record: its DN and its attribute values, in
// order (a name repeated for each value).
func (l *LDIFWriter) Entry(dn string, attrs ...[2]string) {
	l.Line("dn", dn)
	for _, a := range attrs {
		l.Line(a[0], a[1])
	}
	l.End()
}

// Err is the first error so far, so a long loop of writes can stop early.
func (l *LDIFWriter) Err() error { return l.err }

// Flush writes out the buffer and returns the first error of any write.
func (l *LDIFWriter) Flush() error {
	if l.err == nil {
		l.err = l.w.Flush()
	}
	return l.err
}

// LDIFSafe reports whether v is an RFC 2849 SAFE-STRING, which may be
// written as is; any other value must be base64-encoded.
func LDIFSafe(v string) bool {
	if v == "" {
		return true
	}
	switch v[0] {
	case ' ', ':', '<':
		return false
	}
	if v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == 0 || c == '\n' || c == '\r' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
