package ldap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// A minimal BER reader and writer for the LDAPv3 messages of the users
// search (see "Bulk user search" in doc.go): definite lengths only, tags in
// one byte, no tree. A message is read whole into one buffer, reused from
// message to message; its elements are sub-slices of that buffer.

// BER tags (one byte: class, constructed bit, number) used by LDAP.
const (
	tagBoolean     = 0x01
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagEnumerated  = 0x0a
	tagSequence    = 0x30
	tagSet         = 0x31

	tagBindRequest     = 0x60 // [APPLICATION 0] constructed
	tagBindResponse    = 0x61 // [APPLICATION 1]
	tagSearchRequest   = 0x63 // [APPLICATION 3]
	tagSearchEntry     = 0x64 // [APPLICATION 4]
	tagSearchDone      = 0x65 // [APPLICATION 5]
	tagSearchReference = 0x73 // [APPLICATION 19]
	tagExtendedRequest = 0x77 // [APPLICATION 23]
	tagExtendedResp    = 0x78 // [APPLICATION 24]
	tagControls        = 0xa0 // [0] constructed, in LDAPMessage
	tagReferral        = 0xa3 // [3] constructed, in LDAPResult
)

// maxMessage bounds one LDAP message read by the users search: a larger
// length is a corrupt stream, not an entry.
const maxMessage = 256 << 20

var errBER = errors.New("malformed BER")

func berErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBER, fmt.Sprintf(format, args...))
}

// parseLength reads a definite length at the start of b: the length, the
// bytes it took, or an error (indefinite form, more than 4 length bytes, a
// length that does not fit).
func parseLength(b []byte) (n, size int, err error) {
	if len(b) == 0 {
		return 0, 0, berErrorf("truncated length")
	}
	c := b[0]
	if c < 0x80 {
		return int(c), 1, nil
	}
	k := int(c & 0x7f)
	switch {
	case k == 0:
		return 0, 0, berErrorf("indefinite length")
	case k > 4:
		return 0, 0, berErrorf("length of %d bytes", k)
	case len(b) < 1+k:
		return 0, 0, berErrorf("truncated length")
	}
	var v uint64
	for _, d := range b[1 : 1+k] {
		v = v<<8 | uint64(d)
	}
	if v > maxMessage {
		return 0, 0, berErrorf("length %d too large", v)
	}
	return int(v), 1 + k, nil
}

// readMessage reads one whole TLV (an LDAPMessage) from r into buf (grown
// as needed) and returns its tag and contents, a sub-slice of the returned
// buffer. io.EOF before the first byte is returned as is; EOF inside the
// message as io.ErrUnexpectedEOF.
func readMessage(r *bufio.Reader, buf []byte) (tag byte, content, newBuf []byte, err error) {
	tag, err = r.ReadByte()
	if err != nil {
		return 0, nil, buf, err
	}
	if tag&0x1f == 0x1f {
		return 0, nil, buf, berErrorf("multi-byte tag")
	}
	var hdr [5]byte
	c, err := r.ReadByte()
	if err != nil {
		return 0, nil, buf, unexpected(err)
	}
	hdr[0] = c
	k := 0
	if c >= 0x80 {
		k = int(c & 0x7f)
		if k > 4 {
			k = 0 // parseLength reports it
		}
		// Byte by byte: hdr passed to io.ReadFull would escape, an
		// allocation per message.
		for i := 1; i <= k; i++ {
			if hdr[i], err = r.ReadByte(); err != nil {
				return 0, nil, buf, unexpected(err)
			}
		}
	}
	n, _, err := parseLength(hdr[:1+k])
	if err != nil {
		return 0, nil, buf, err
	}
	if cap(buf) < n {
		buf = make([]byte, n, max(n, 2*cap(buf)))
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, buf, unexpected(err)
	}
	return tag, buf, buf, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// berReader walks the elements of a constructed value's contents.
type berReader struct{ b []byte }

func (r *berReader) empty() bool { return len(r.b) == 0 }

// next returns the next element's tag and contents.
func (r *berReader) next() (tag byte, content []byte, err error) {
	if len(r.b) < 2 {
		return 0, nil, berErrorf("truncated element")
	}
	tag = r.b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, berErrorf("multi-byte tag")
	}
	n, size, err := parseLength(r.b[1:])
	if err != nil {
		return 0, nil, err
	}
	start := 1 + size
	if n > len(r.b)-start {
		return 0, nil, berErrorf("element of %d bytes in %d", n, len(r.b)-start)
	}
	content = r.b[start : start+n : start+n]
	r.b = r.b[start+n:]
	return tag, content, nil
}

// expect reads the next element, which must have tag want.
func (r *berReader) expect(want byte) ([]byte, error) {
	tag, c, err := r.next()
	if err != nil {
		return nil, err
	}
	if tag != want {
		return nil, berErrorf("tag 0x%02x, want 0x%02x", tag, want)
	}
	return c, nil
}

// parseInt decodes an INTEGER or ENUMERATED's contents (two's complement,
// at most 8 bytes).
func parseInt(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 8 {
		return 0, berErrorf("integer of %d bytes", len(b))
	}
	v := int64(int8(b[0]))
	for _, d := range b[1:] {
		v = v<<8 | int64(d)
	}
	return v, nil
}

// appendLength appends a definite length.
func appendLength(dst []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(dst, byte(n))
	case n < 1<<8:
		return append(dst, 0x81, byte(n))
	case n < 1<<16:
		return append(dst, 0x82, byte(n>>8), byte(n))
	case n < 1<<24:
		return append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// appendTLV appends one element.
func appendTLV(dst []byte, tag byte, content []byte) []byte {
	dst = append(dst, tag)
	dst = appendLength(dst, len(content))
	return append(dst, content...)
}

// appendInt appends an INTEGER (or, with another tag, an ENUMERATED).
func appendInt(dst []byte, tag byte, v int64) []byte {
	n := 1
	for n < 8 && (v < -(1<<(8*n-1)) || v >= 1<<(8*n-1)) {
		n++
	}
	dst = append(dst, tag, byte(n))
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*i)))
	}
	return dst
}

// appendString appends an OCTET STRING (or another primitive tag).
func appendString(dst []byte, tag byte, s string) []byte {
	dst = append(dst, tag)
	dst = appendLength(dst, len(s))
	return append(dst, s...)
}
