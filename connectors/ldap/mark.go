package ldap

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// hwMark is an incremental high-water mark: the attribute and its value.
// Its text form, handed to the runner and back, is "attribute:value"
// ("uSNChanged:12345", "modifyTimestamp:20250401093000Z", "entryCSN:…").
type hwMark struct {
	attr, value string
}

func (m hwMark) String() string { return m.attr + ":" + m.value }

var (
	digits    = regexp.MustCompile(`^[0-9]+$`)
	timeValue = regexp.MustCompile(`^[0-9]{14}`)
	csnValue  = regexp.MustCompile(`^[0-9]{14}\.[0-9]{6}Z#[0-9a-f]{6}#[0-9a-f]{3}#[0-9a-f]{6}$`)
)

// parseMark reads a mark returned by an earlier read. ok is false, with
// the reason, when it cannot be used with this config: another attribute
// (the config changed) or a malformed value.
func parseMark(s, attr string) (hwMark, bool, string) {
	a, v, found := strings.Cut(s, ":")
	if !found {
		return hwMark{}, false, "malformed mark"
	}
	if !strings.EqualFold(a, attr) {
		return hwMark{}, false, fmt.Sprintf("the mark is of %s, the config now says %s", a, attr)
	}
	if !validHW(attr, v) {
		return hwMark{}, false, fmt.Sprintf("malformed %s value %q", attr, v)
	}
	return hwMark{attr: attr, value: v}, true, ""
}

func validHW(attr, v string) bool {
	switch attr {
	case "uSNChanged":
		return digits.MatchString(v) && len(v) <= 19
	case "entryCSN":
		return csnValue.MatchString(v)
	default:
		return timeValue.MatchString(v)
	}
}

// hwKey makes values of a high-water attribute comparable as strings:
// USNs zero-padded, times cut to the second (the granularity of the
// filter), CSNs as they are (they sort as text).
// It is called for every entry read, so it checks the forms of digits,
// timeValue and csnValue by hand.
func hwKey(attr, v string) (string, bool) {
	switch attr {
	case "uSNChanged":
		if v == "" || len(v) > 19 || !isDigits(v) {
			return "", false
		}
		return strings.Repeat("0", 19-len(v)) + v, true
	case "entryCSN":
		return v, isCSN(v)
	default:
		if len(v) < 14 || !isDigits(v[:14]) {
			return "", false
		}
		return v[:14], true
	}
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isCSN is csnValue.MatchString(v): 20250401093000.123456Z#000000#000#000000.
func isCSN(v string) bool {
	if len(v) != 40 || !isDigits(v[:14]) || v[14] != '.' || !isDigits(v[15:21]) || v[21:23] != "Z#" ||
		v[29] != '#' || v[33] != '#' {
		return false
	}
	for _, part := range []string{v[23:29], v[30:33], v[34:40]} {
		for i := 0; i < len(part); i++ {
			if c := part[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// filter returns the filter clause that selects entries changed since m:
// uSNChanged>=N+1 (a USN is unique per change), entryCSN>X (as
// (&(entryCSN>=X)(!(entryCSN=X))): a CSN is unique per change too), and
// attr>=T for times (a time has the granularity of a second, so the
// entries changed in the mark's second are read again, which is
// harmless).
func (m hwMark) filter() string {
	v := goldap.EscapeFilter(m.value)
	switch m.attr {
	case "uSNChanged":
		n, _ := strconv.ParseUint(m.value, 10, 64)
		return fmt.Sprintf("(uSNChanged>=%d)", n+1)
	case "entryCSN":
		return "(&(entryCSN>=" + v + ")(!(entryCSN=" + v + ")))"
	}
	return "(" + m.attr + ">=" + v + ")"
}

// changed reports whether an entry's value v of the high-water attribute
// is past the mark, as filter would select it.
func (m hwMark) changed(v string) bool {
	k, ok := hwKey(m.attr, v)
	if !ok {
		return true // unreadable: treat as changed, the safe side
	}
	mk, _ := hwKey(m.attr, m.value)
	switch m.attr {
	case "uSNChanged", "entryCSN":
		return k > mk
	}
	return k >= mk
}

// markFromKey turns the greatest value seen (as hwKey made it) into a
// mark value in the form the server's filter takes.
func markFromKey(attr, key string, ad bool) string {
	switch attr {
	case "uSNChanged":
		if v := strings.TrimLeft(key, "0"); v != "" {
			return v
		}
		return "0"
	case "entryCSN":
		return key
	}
	if ad {
		return key + ".0Z"
	}
	return key + "Z"
}

// backdate makes the greatest time-like value seen during a read (as hwKey
// made it) into a safe mark when the server gave none before the read.
// The greatest value seen cannot be later than the end of the read, so
// every entry changed during the read (after the server began it) changed
// at or after maxKey-elapsed (elapsed is measured by the client around
// the whole read, so it is no shorter than the server's span): that time,
// cut down to the attribute's granularity (a second for times, a
// microsecond for CSNs), is the mark. Entries changed in that window are
// read again next time, which is harmless. USNs are returned as they are.
func backdate(attr, key string, elapsed time.Duration) string {
	switch attr {
	case "uSNChanged":
		return key
	case "entryCSN":
		t, err := time.Parse("20060102150405.000000", key[:min(len(key), 21)])
		if err != nil {
			return key
		}
		return t.Add(-elapsed).Truncate(time.Microsecond).Format("20060102150405.000000") + "Z#000000#000#000000"
	}
	t, err := time.Parse("20060102150405", key[:min(len(key), 14)])
	if err != nil {
		return key
	}
	return t.Add(-elapsed).Truncate(time.Second).Format("20060102150405")
}
