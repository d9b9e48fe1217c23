package ldap

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/mapping"
)

// TestHWKey checks the hand-written checks of hwKey against the regular
// expressions they replace.
func TestHWKey(t *testing.T) {
	for _, tc := range []struct {
		attr, v string
		want    string
		ok      bool
	}{
		{"uSNChanged", "12345", "0000000000000012345", true},
		{"uSNChanged", "1234567890123456789", "1234567890123456789", true},
		{"uSNChanged", "12345678901234567890", "", false},
		{"uSNChanged", "", "", false},
		{"uSNChanged", "12a", "", false},
		{"uSNChanged", "-1", "", false},
		{"modifyTimestamp", "20250401093000Z", "20250401093000", true},
		{"whenChanged", "20250401093000.0Z", "20250401093000", true},
		{"modifyTimestamp", "20250401093000", "20250401093000", true},
		{"modifyTimestamp", "2025040109300Z", "", false},
		{"modifyTimestamp", "yesterday", "", false},
		{"modifyTimestamp", "", "", false},
		{"entryCSN", "20250401093000.123456Z#000000#000#000000", "20250401093000.123456Z#000000#000#000000", true},
		{"entryCSN", "20250401093000.123456Z#00000a#00f#0000ff", "20250401093000.123456Z#00000a#00f#0000ff", true},
		{"entryCSN", "20250401093000.123456Z#00000A#000#000000", "", false},
		{"entryCSN", "20250401093000.123456Z#000000#000#000000\n", "", false},
		{"entryCSN", "20250401093000.123456Z#000000#000#00000", "", false},
		{"entryCSN", "20250401093000.123456Z#000000-000#000000", "", false},
		{"entryCSN", "20250401093000Z", "", false},
	} {
		got, ok := hwKey(tc.attr, tc.v)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("hwKey(%s, %q) = %q, %v; want %q, %v", tc.attr, tc.v, got, ok, tc.want, tc.ok)
		}
	}
	// Every one-byte change of valid values, against the expressions.
	for _, v := range []string{"20250401093000.123456Z#00000a#00f#0000ff", "12345", "20250401093000Z"} {
		for i := range len(v) {
			for _, c := range []byte{'0', '9', 'a', 'f', 'g', 'A', 'Z', '#', '.', '-', ' ', 0xff} {
				w := v[:i] + string([]byte{c}) + v[i+1:]
				if _, ok := hwKey("entryCSN", w); ok != csnValue.MatchString(w) {
					t.Errorf("entryCSN %q: %v", w, ok)
				}
				if _, ok := hwKey("modifyTimestamp", w); ok != timeValue.MatchString(w) {
					t.Errorf("modifyTimestamp %q: %v", w, ok)
				}
				if _, ok := hwKey("uSNChanged", w); ok != (digits.MatchString(w) && len(w) <= 19) {
					t.Errorf("uSNChanged %q: %v", w, ok)
				}
			}
		}
	}
}

// TestEntryAt checks where searchUsers says the attributes asked for are:
// the first of each name, case aside, whatever the order.
func TestEntryAt(t *testing.T) {
	var got [][]int32
	fs := testFastSearch(nil) // asks for cn and mail
	fs.fn = func(*goldap.Entry) error {
		bt := fs.batch
		m := len(fs.sp.attrs)
		got = append(got, slices.Clone(bt.at[(len(bt.entries)-1)*m:]))
		return nil
	}
	for _, tc := range []struct {
		name  string
		attrs [][]string
		want  []int32
	}{
		{"in order", [][]string{{"cn", "A"}, {"mail", "a@x"}}, []int32{0, 1}},
		{"the other way", [][]string{{"mail", "a@x"}, {"cn", "A"}}, []int32{1, 0}},
		{"case and others", [][]string{{"photo", "\xff"}, {"MAIL", "a@x"}, {"Cn", "A"}}, []int32{2, 1}},
		{"absent", [][]string{{"photo", "\xff"}}, []int32{-1, -1}},
		{"twice", [][]string{{"cn", "A"}, {"CN", "B"}, {"mail"}}, []int32{0, 2}},
	} {
		got = nil
		if _, _, err := fs.message(messageContent(t, entryMessage(7, "uid=a,dc=x", tc.attrs...)), 7); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(got) != 1 || !slices.Equal(got[0], tc.want) {
			t.Errorf("%s: at %v, want %v", tc.name, got, tc.want)
		}
	}
}

func messageContent(t *testing.T, msg []byte) []byte {
	t.Helper()
	r := berReader{msg}
	c, err := r.expect(tagSequence)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDuplicateUserKeys reads users through the users search from encoded
// pages: on a full read, a user whose key an earlier one has is an error
// placed among the others in read order, and an entry returned twice is
// kept once.
func TestDuplicateUserKeys(t *testing.T) {
	type user struct{ dn, key, mail string }
	for _, tc := range []struct {
		name  string
		users []user
		want  []string // the read's problems, or the users' DNs in key order
		err   bool
	}{
		{"none", []user{
			{"uid=b,ou=p,dc=x", "k2", "b@x"},
			{"uid=a,ou=p,dc=x", "k1", "a@x"},
			{"uid=c,dc=x", "k3", "c@x"},
		}, []string{"uid=a,ou=p,dc=x", "uid=b,ou=p,dc=x", "uid=c,dc=x"}, false},
		{"read twice", []user{
			{"uid=a,ou=p,dc=x", "k1", "a@x"},
			{"uid=b,ou=p,dc=x", "k2", "b@x"},
			{"UID=A,OU=P,DC=X", "k1", "a@x"},
		}, []string{"uid=a,ou=p,dc=x", "uid=b,ou=p,dc=x"}, false},
		{"in read order", []user{
			{"uid=a,ou=p,dc=x", "k1", "a@x"},
			{"uid=b,ou=p,dc=x", "k2", ""},
			{"uid=c,ou=p,dc=x", "k1", "c@x"},
			{"uid=d,ou=p,dc=x", "k0", ""},
			{"uid=e,ou=p,dc=x", "k0", "e@x"},
			{"uid=f,ou=p,dc=x", "k1", "f@x"},
			{"uid=a,ou=p,dc=x", "k1", "a@x"},
		}, []string{
			`uid=b,ou=p,dc=x: missing required attribute "mail"`,
			`uid=c,ou=p,dc=x: duplicate user key "k1" (also uid=a,ou=p,dc=x)`,
			`uid=d,ou=p,dc=x: missing required attribute "mail"`,
			`uid=f,ou=p,dc=x: duplicate user key "k1" (also uid=a,ou=p,dc=x)`,
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var page []byte
			for _, u := range tc.users {
				attrs := [][]string{{"entryUUID", u.key}}
				if u.mail != "" {
					attrs = append(attrs, []string{"mail", u.mail})
				}
				page = append(page, entryMessage(firstFastID+1, u.dn, attrs...)...)
			}
			page = append(page, doneMessage(firstFastID+1, 0, "", []byte{})...)
			src := testSource(t, Config{Attributes: []string{"mail"}, Required: []string{"mail"}})
			sess := &session{src: src, shared: newSharedConn(&pageConn{pages: [][]byte{page}}), log: zap.NewNop()}
			r := src.newReader(sess, nil)
			if err := r.readUsers(context.Background()); err != nil {
				t.Fatal(err)
			}
			res, err := r.assemble()
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			} else {
				for _, rec := range res.records {
					if rec.Kind != mapping.KindUser || rec.Get("mail") == "" || rec.Get(attrDN) != rec.Origin {
						t.Errorf("record %+v", rec)
					}
					got = append(got, rec.Origin)
				}
				if res.users != len(got) {
					t.Errorf("%d users counted, %d records", res.users, len(got))
				}
			}
			if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
				t.Errorf("got %q (err %v), want %q", got, err, tc.want)
			}
		})
	}
}

// testSource is New's Source for cfg, given what New requires.
func testSource(t *testing.T, cfg Config) *Source {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "bind.pw")
	if err := os.WriteFile(pw, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.URL, cfg.AllowPlain = "ldap://127.0.0.1:389", true
	cfg.BindDN, cfg.BindPassword = "cn=admin,dc=x", config.Secret{File: pw}
	cfg.Users = Search{BaseDN: "dc=x"}
	src, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return src
}
