package ldap

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
	"go.uber.org/zap"
)

func TestParseLength(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []byte
		n, size int
		err     string
	}{
		{"short", []byte{0x05}, 5, 1, ""},
		{"short max", []byte{0x7f}, 127, 1, ""},
		{"long 1", []byte{0x81, 0x80}, 128, 2, ""},
		{"long 1 small", []byte{0x81, 0x05}, 5, 2, ""},
		{"long 2", []byte{0x82, 0x01, 0x00}, 256, 3, ""},
		{"long 3", []byte{0x83, 0x01, 0x00, 0x00}, 65536, 4, ""},
		{"long 4", []byte{0x84, 0x00, 0x01, 0x00, 0x00}, 65536, 5, ""},
		{"empty", nil, 0, 0, "truncated length"},
		{"indefinite", []byte{0x80}, 0, 0, "indefinite length"},
		{"truncated long", []byte{0x82, 0x01}, 0, 0, "truncated length"},
		{"5 length bytes", []byte{0x85, 0, 0, 0, 0, 1}, 0, 0, "length of 5 bytes"},
		{"too large", []byte{0x84, 0xff, 0xff, 0xff, 0xff}, 0, 0, "too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, size, err := parseLength(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, errBER) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || n != tc.n || size != tc.size {
				t.Fatalf("got %d, %d, %v; want %d, %d", n, size, err, tc.n, tc.size)
			}
		})
	}
}

func TestReadMessage(t *testing.T) {
	long := bytes.Repeat([]byte{'x'}, 300)
	for _, tc := range []struct {
		name    string
		in      []byte
		tag     byte
		content []byte
		err     string
	}{
		{"short", []byte{0x30, 0x03, 1, 2, 3}, 0x30, []byte{1, 2, 3}, ""},
		{"empty content", []byte{0x30, 0x00}, 0x30, []byte{}, ""},
		{"long form", append([]byte{0x30, 0x82, 0x01, 0x2c}, long...), 0x30, long, ""},
		{"nothing", nil, 0, nil, "EOF"},
		{"tag only", []byte{0x30}, 0, nil, "unexpected EOF"},
		{"truncated long length", []byte{0x30, 0x82, 0x01}, 0, nil, "unexpected EOF"},
		{"truncated content", []byte{0x30, 0x05, 1, 2}, 0, nil, "unexpected EOF"},
		{"indefinite", []byte{0x30, 0x80, 1, 2, 0, 0}, 0, nil, "indefinite length"},
		{"multi-byte tag", []byte{0x3f, 0x01, 0x01}, 0, nil, "multi-byte tag"},
		{"huge", []byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff}, 0, nil, "too large"},
		{"8 length bytes", []byte{0x30, 0x88, 0, 0, 0, 0, 0, 0, 0, 1, 0}, 0, nil, "length of 8 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tag, content, _, err := readMessage(bufio.NewReader(bytes.NewReader(tc.in)), nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || tag != tc.tag || !bytes.Equal(content, tc.content) {
				t.Fatalf("got %#x %v %v", tag, content, err)
			}
		})
	}
	// The buffer is reused from message to message.
	in := []byte{0x30, 0x03, 1, 2, 3, 0x30, 0x02, 4, 5}
	br := bufio.NewReader(bytes.NewReader(in))
	_, c1, buf, err := readMessage(br, nil)
	if err != nil || !bytes.Equal(c1, []byte{1, 2, 3}) {
		t.Fatal(c1, err)
	}
	_, c2, buf2, err := readMessage(br, buf)
	if err != nil || !bytes.Equal(c2, []byte{4, 5}) || &buf2[0] != &buf[0] {
		t.Fatal(c2, err)
	}
	if _, _, _, err := readMessage(br, buf2); err != io.EOF {
		t.Fatalf("after the last message: %v", err)
	}
}

func TestBerReader(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want []string // "tag:content" of each element
		err  string
	}{
		{"two", []byte{0x04, 0x01, 'a', 0x02, 0x01, 0x05}, []string{"04:a", "02:\x05"}, ""},
		{"empty", nil, nil, ""},
		{"long form", append([]byte{0x04, 0x81, 0x03}, "abc"...), []string{"04:abc"}, ""},
		{"one byte", []byte{0x04}, nil, "truncated element"},
		{"overrun", []byte{0x04, 0x05, 'a'}, nil, "element of 5 bytes in 1"},
		{"truncated long length", []byte{0x04, 0x82, 0x01}, nil, "truncated length"},
		{"indefinite", []byte{0x30, 0x80, 0x00, 0x00}, nil, "indefinite length"},
		{"long overrun", []byte{0x04, 0x84, 0x00, 0xff, 0xff, 0xff, 'a'}, nil, "element of"},
		{"multi-byte tag", []byte{0x1f, 0x01, 0x00}, nil, "multi-byte tag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := berReader{tc.in}
			var got []string
			var err error
			for !r.empty() {
				var tag byte
				var c []byte
				if tag, c, err = r.next(); err != nil {
					break
				}
				got = append(got, string([]byte{hex[tag>>4], hex[tag&15]})+":"+string(c))
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

const hex = "0123456789abcdef"

func TestIntegers(t *testing.T) {
	for _, v := range []int64{0, 1, 127, 128, 255, 256, -1, -128, -129, 1 << 30, 1<<31 - 1, -1 << 40, 1<<63 - 1, -1 << 63} {
		b := appendInt(nil, tagInteger, v)
		r := berReader{b}
		c, err := r.expect(tagInteger)
		if err != nil {
			t.Fatal(v, err)
		}
		got, err := parseInt(c)
		if err != nil || got != v {
			t.Errorf("%d: encoded % x, decoded %d, %v", v, b, got, err)
		}
	}
	for _, bad := range [][]byte{nil, make([]byte, 9)} {
		if _, err := parseInt(bad); err == nil {
			t.Errorf("parseInt(% x): no error", bad)
		}
	}
	for _, n := range []int{0, 127, 128, 255, 256, 65535, 65536, 1 << 24} {
		b := appendLength(nil, n)
		got, size, err := parseLength(b)
		if err != nil || got != n || size != len(b) {
			t.Errorf("length %d: % x → %d, %d, %v", n, b, got, size, err)
		}
	}
}

// entryMessage encodes a SearchResultEntry message.
func entryMessage(id int64, dn string, attrs ...[]string) []byte {
	var list []byte
	for _, a := range attrs {
		var set []byte
		for _, v := range a[1:] {
			set = appendString(set, tagOctetString, v)
		}
		pa := appendString(nil, tagOctetString, a[0])
		pa = appendTLV(pa, tagSet, set)
		list = appendTLV(list, tagSequence, pa)
	}
	op := appendString(nil, tagOctetString, dn)
	op = appendTLV(op, tagSequence, list)
	msg := appendInt(nil, tagInteger, id)
	msg = appendTLV(msg, tagSearchEntry, op)
	return appendTLV(nil, tagSequence, msg)
}

// doneMessage encodes a SearchResultDone with a paging cookie (none when
// cookie is nil).
func doneMessage(id int64, code int64, diag string, cookie []byte) []byte {
	res := appendInt(nil, tagEnumerated, code)
	res = appendString(res, tagOctetString, "")
	res = appendString(res, tagOctetString, diag)
	msg := appendInt(nil, tagInteger, id)
	msg = appendTLV(msg, tagSearchDone, res)
	if cookie != nil {
		pv := appendInt(nil, tagInteger, 0)
		pv = appendTLV(pv, tagOctetString, cookie)
		ctl := appendString(nil, tagOctetString, goldap.ControlTypePaging)
		ctl = appendTLV(ctl, tagOctetString, appendTLV(nil, tagSequence, pv))
		msg = appendTLV(msg, tagControls, appendTLV(nil, tagSequence, ctl))
	}
	return appendTLV(nil, tagSequence, msg)
}

func testFastSearch(fn func(*goldap.Entry) error) *fastSearch {
	return &fastSearch{
		sess: &session{log: zap.NewNop(), src: &Source{}},
		sp:   searchSpec{base: "dc=x", attrs: []string{"cn", "mail"}, paged: true},
		fn:   fn,
	}
}

func TestMessages(t *testing.T) {
	var got []*goldap.Entry
	fs := testFastSearch(func(e *goldap.Entry) error {
		c := &goldap.Entry{DN: e.DN}
		for _, a := range e.Attributes {
			c.Attributes = append(c.Attributes, &goldap.EntryAttribute{Name: a.Name, Values: a.Values})
		}
		got = append(got, c)
		return nil
	})
	stream := bytes.Join([][]byte{
		entryMessage(7, "uid=a,ou=営業,dc=x", []string{"CN", "Alice", "Al"}, []string{"mail", "a@x"}, []string{"photo", "\xff\x00"}),
		entryMessage(8, "uid=other,dc=x", []string{"cn", "not ours"}), // another message ID: ignored
		entryMessage(7, "uid=b,dc=x", []string{"cn"}),
		doneMessage(7, 0, "", []byte("next")),
	}, nil)
	br := bufio.NewReader(bytes.NewReader(stream))
	var buf []byte
	var cookie []byte
	for {
		_, c, b, err := readMessage(br, buf)
		buf = b
		if err != nil {
			t.Fatal(err)
		}
		done, ck, err := fs.message(c, 7)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			cookie = ck
			break
		}
	}
	if string(cookie) != "next" {
		t.Errorf("cookie %q", cookie)
	}
	if len(got) != 2 {
		t.Fatalf("%d entries", len(got))
	}
	a := got[0]
	if a.DN != "uid=a,ou=営業,dc=x" || a.GetEqualFoldAttributeValue("cn") != "Alice" ||
		strings.Join(a.GetEqualFoldAttributeValues("CN"), ";") != "Alice;Al" ||
		a.GetAttributeValue("mail") != "a@x" || a.GetAttributeValue("photo") != "\xff\x00" {
		t.Errorf("entry a: %+v", a)
	}
	if a.Attributes[0].Name != "cn" { // the requested spelling
		t.Errorf("name %q", a.Attributes[0].Name)
	}
	if b := got[1]; b.DN != "uid=b,dc=x" || len(b.Attributes) != 1 || len(b.Attributes[0].Values) != 0 {
		t.Errorf("entry b: %+v", b)
	}

	// A result code other than success: go-ldap's error.
	msg := doneMessage(7, 32, "no such base", nil)
	_, c, _, _ := readMessage(bufio.NewReader(bytes.NewReader(msg)), nil)
	done, _, err := fs.message(c, 7)
	var oe *opError
	if !done || !errors.As(err, &oe) || err.Error() != `LDAP Result Code 32 "No Such Object": no such base` ||
		!goldap.IsErrorWithCode(err, 32) {
		t.Errorf("done %v, err %v", done, err)
	}
	// The last page: no cookie.
	msg = doneMessage(7, 0, "", []byte{})
	_, c, _, _ = readMessage(bufio.NewReader(bytes.NewReader(msg)), nil)
	if done, ck, err := fs.message(c, 7); !done || ck != nil || err != nil {
		t.Errorf("last page: %v %q %v", done, ck, err)
	}
}

func TestMessagesMalformed(t *testing.T) {
	fs := testFastSearch(func(*goldap.Entry) error { return nil })
	good := entryMessage(7, "uid=a,dc=x", []string{"cn", "A"})
	_, content, _, _ := readMessage(bufio.NewReader(bytes.NewReader(good)), nil)
	// Every truncation of the message's contents is an error, never a
	// panic or an entry.
	for n := 0; n < len(content); n++ {
		calls := 0
		fs.fn = func(*goldap.Entry) error { calls++; return nil }
		_, _, err := fs.message(content[:n], 7)
		var ce *connError
		if n > 0 && (err == nil || !errors.As(err, &ce) || calls != 0) {
			t.Errorf("truncated to %d: err %v, %d entries", n, err, calls)
		}
	}
	for _, tc := range []struct {
		name string
		msg  []byte
	}{
		{"unknown op", appendTLV(appendInt(nil, tagInteger, 7), 0x6a, nil)},
		{"value not an octet string", appendTLV(appendInt(nil, tagInteger, 7), tagSearchEntry,
			append(appendString(nil, tagOctetString, "dc=x"), appendTLV(nil, tagSequence,
				appendTLV(nil, tagSequence, append(appendString(nil, tagOctetString, "cn"), appendTLV(nil, tagSet, appendInt(nil, tagInteger, 1))...)))...))},
		{"indefinite in entry", appendTLV(appendInt(nil, tagInteger, 7), tagSearchEntry, []byte{0x04, 0x80, 0, 0})},
		{"notice of disconnection", appendTLV(appendInt(nil, tagInteger, 0), tagExtendedResp,
			append(appendInt(nil, tagEnumerated, 52), append(appendString(nil, tagOctetString, ""), appendString(nil, tagOctetString, "bye")...)...))},
	} {
		_, _, err := fs.message(tc.msg, 7)
		var ce *connError
		if !errors.As(err, &ce) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestSplitDN(t *testing.T) {
	for _, dn := range []string{
		"uid=a,ou=people,dc=example,dc=org",
		"UID=Alice,OU=Sales,DC=Example,DC=org",
		"uid=a, ou=people, dc=example,dc=org",
		"cn=Smith\\, John,ou=people,dc=example,dc=org",
		"cn=a\\2Cb,ou=x\\,y,dc=example,dc=org",
		"cn=\"quoted, name\",ou=people,dc=example,dc=org",
		"cn=a+sn=b,ou=people,dc=example,dc=org",
		"uid=a;ou=people;dc=example;dc=org",
		"cn=山田 太郎,ou=第一課,ou=営業部,ou=本社,dc=example,dc=jp",
		"cn=#04024869,ou=people,dc=example,dc=org",
		"cn= spaced ,ou= spaced ou ,dc=example,dc=org",
		"cn=a/b,ou=x/y,ou=people,dc=example,dc=org",
		"cn=trailing\\ ,ou=people,dc=example,dc=org",
		"dc=org",
		"ou=people,dc=example,dc=org",
		"dc=example,dc=org",
		"cn=x,cn=Users,dc=example,dc=org",
		"cn=bad=,dc=example,dc=org",
		"cn=a,,dc=example,dc=org",
		"=a,dc=x",
		"cn=a,dc=x,",
		"cn=a\\",
		"UID=User-01.x@Y,ou=p,dc=example,dc=org",
		"cn=a=b,ou=p,dc=example,dc=org",
		"cn=John Smith,ou=p,dc=example,dc=org",
		"cn=a<b,ou=p,dc=example,dc=org",
		"cn=a~!$%&'()*,ou=p,dc=example,dc=org",
		"1.2.3=x,ou=p,dc=example,dc=org",
		"cn=,ou=p,dc=example,dc=org",
		"c-n=x,ou=p,dc=example,dc=org",
		"9cn=x,ou=p,dc=example,dc=org",
		"cn=x#y,ou=p,dc=example,dc=org",
		"cn=\\#x,ou=p,dc=example,dc=org",
	} {
		for _, depth := range []int{2, 3} {
			var c parentCache
			for round := 0; round < 2; round++ { // uncached, then cached
				ndn, p, err := c.split(dn, depth)
				d, werr := goldap.ParseDN(dn)
				if (err != nil) != (werr != nil) {
					t.Errorf("%q: split err %v, ParseDN err %v", dn, err, werr)
					continue
				}
				if err != nil {
					continue
				}
				want := normParsed(d)
				wpath, wperr := ouPath(d, depth, false)
				if ndn != want || p.path != wpath || (p.pathErr != nil) != (wperr != nil) {
					t.Errorf("%q depth %d: got %q %q %v, want %q %q %v", dn, depth, ndn, p.path, p.pathErr, want, wpath, wperr)
				}
			}
		}
	}
}

// FuzzBER feeds arbitrary bytes to the message reader and the decoders of
// the users search: none may panic, and an entry's values lie within its
// message. `go test` runs the seed corpus only (testdata/fuzz/FuzzBER).
func FuzzBER(f *testing.F) {
	f.Add(entryMessage(7, "uid=a,dc=x", []string{"cn", "A", "B"}, []string{"mail"}))
	f.Add(doneMessage(7, 0, "", []byte("cookie")))
	f.Add(doneMessage(7, 4, "size limit", nil))
	f.Add([]byte{0x30, 0x84, 0x00, 0x00, 0x00, 0x03, 0x02, 0x01, 0x07})
	f.Add([]byte{0x30, 0x80, 0x02, 0x01, 0x07, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := testFastSearch(func(e *goldap.Entry) error {
			total := len(e.DN)
			for _, a := range e.Attributes {
				for _, v := range a.Values {
					total += len(v)
				}
			}
			if total > len(data) {
				t.Fatalf("entry of %d bytes from %d", total, len(data))
			}
			return nil
		})
		br := bufio.NewReader(bytes.NewReader(data))
		var buf []byte
		for i := 0; i < 16; i++ {
			tag, c, b, err := readMessage(br, buf)
			buf = b
			if err != nil {
				return
			}
			if tag == tagSequence {
				_, _, _ = fs.message(c, 7)
			}
			_, _ = parseResult(c)
			_, _ = pagingCookie(c)
		}
	})
}
