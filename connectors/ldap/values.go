package ldap

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// formatGUID renders a 16-byte AD GUID (objectGUID) as the canonical
// lower-case string 8-4-4-4-12, in the byte order Windows shows it: the
// first three groups little-endian, the last two as stored.
func formatGUID(b []byte) (string, error) {
	if len(b) != 16 {
		return "", fmt.Errorf("a GUID is 16 bytes, got %d", len(b))
	}
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x",
		binary.LittleEndian.Uint32(b[0:4]),
		binary.LittleEndian.Uint16(b[4:6]),
		binary.LittleEndian.Uint16(b[6:8]),
		b[8:10], b[10:16]), nil
}

// formatSID renders a binary security identifier (objectSid) as
// S-1-5-21-….
func formatSID(b []byte) (string, error) {
	if len(b) < 8 {
		return "", fmt.Errorf("a SID is at least 8 bytes, got %d", len(b))
	}
	n := int(b[1])
	if len(b) != 8+4*n {
		return "", fmt.Errorf("a SID with %d sub-authorities is %d bytes, got %d", n, 8+4*n, len(b))
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "S-%d-%d", b[0], auth)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "-%d", binary.LittleEndian.Uint32(b[8+4*i:]))
	}
	return sb.String(), nil
}

// binaryKind says how a binary attribute is rendered as text.
type binaryKind int

const (
	binNone binaryKind = iota
	binGUID
	binSID
)

// binaryAttr reports how an attribute's values are rendered: AD's GUID
// attributes as GUID strings, objectSid as a SID string, anything else as
// text.
func binaryAttr(name string) binaryKind {
	switch {
	case strings.EqualFold(name, "objectGUID"), strings.EqualFold(name, "ms-DS-ConsistencyGuid"), strings.EqualFold(name, "msDS-ConsistencyGuid"):
		return binGUID
	case strings.EqualFold(name, "objectSid"):
		return binSID
	}
	return binNone
}

// renderValue renders one raw attribute value as text: GUID and SID
// attributes in their string forms, a value that is not valid UTF-8 (a
// photo, a certificate) in standard base64 as LDIF writes it, anything
// else as is.
func renderValue(attr, raw string) (string, error) {
	return renderKind(binaryAttr(attr), raw)
}

// renderKind is renderValue for an attribute of the kind given.
func renderKind(kind binaryKind, raw string) (string, error) {
	switch kind {
	case binGUID:
		return formatGUID([]byte(raw))
	case binSID:
		return formatSID([]byte(raw))
	}
	if !utf8.ValidString(raw) {
		return base64.StdEncoding.EncodeToString([]byte(raw)), nil
	}
	return raw, nil
}

// rangeAttr is an attribute description with a range option, as AD
// returns a large multi-valued attribute: "member;range=0-1499", the last
// part "member;range=1500-*".
type rangeAttr struct {
	Name string
	Low  int
	// High is the last value's index, or -1 for "*": the last part.
	High int
}

// parseRangeAttr parses "member;range=0-1499". ok is false when the name
// carries no range option; err is set when it carries a malformed one.
func parseRangeAttr(desc string) (r rangeAttr, ok bool, err error) {
	parts := strings.Split(desc, ";")
	var rng string
	var rest []string
	for _, p := range parts[1:] {
		if v, found := cutPrefixFold(p, "range="); found {
			rng = v
			ok = true
			continue
		}
		rest = append(rest, p)
	}
	if !ok {
		return rangeAttr{}, false, nil
	}
	r.Name = strings.Join(append([]string{parts[0]}, rest...), ";")
	lo, hi, found := strings.Cut(rng, "-")
	if !found {
		return r, true, fmt.Errorf("malformed range option in %q", desc)
	}
	if r.Low, err = strconv.Atoi(lo); err != nil || r.Low < 0 {
		return r, true, fmt.Errorf("malformed range option in %q", desc)
	}
	if hi == "*" {
		r.High = -1
		return r, true, nil
	}
	if r.High, err = strconv.Atoi(hi); err != nil || r.High < r.Low {
		return r, true, fmt.Errorf("malformed range option in %q", desc)
	}
	return r, true, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// uniqueMemberDN strips the optional unique identifier of a
// groupOfUniqueNames member ("cn=a,dc=x#'0101'B" → "cn=a,dc=x").
func uniqueMemberDN(v string) string {
	i := strings.LastIndex(v, "#'")
	if i > 0 && strings.HasSuffix(v, "'B") {
		return v[:i]
	}
	return v
}
