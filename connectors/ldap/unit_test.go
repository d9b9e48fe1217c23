package ldap

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/errlist"
)

func TestFormatGUID(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		// The bytes of {3f2504e0-4f89-11d3-9a0c-0305e82c3301} as AD stores them.
		{[]byte{0xe0, 0x04, 0x25, 0x3f, 0x89, 0x4f, 0xd3, 0x11, 0x9a, 0x0c, 0x03, 0x05, 0xe8, 0x2c, 0x33, 0x01}, "3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
		{make([]byte, 16), "00000000-0000-0000-0000-000000000000"},
		{[]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, "03020100-0504-0706-0809-0a0b0c0d0e0f"},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}, "ffffffff-ffff-ffff-ffff-fffffffffffe"},
	} {
		got, err := formatGUID(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("formatGUID(% x) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := formatGUID([]byte("short")); err == nil || !strings.Contains(err.Error(), "16 bytes, got 5") {
		t.Errorf("short GUID: %v", err)
	}
	// renderValue applies it by attribute name, ignoring case.
	raw := string([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	if got, _ := renderValue("OBJECTGUID", raw); got != "03020100-0504-0706-0809-0a0b0c0d0e0f" {
		t.Errorf("renderValue objectGUID = %q", got)
	}
}

func TestFormatSID(t *testing.T) {
	// S-1-5-21-1004336348-1177238915-682003330-512
	sid := []byte{1, 5, 0, 0, 0, 0, 0, 5,
		21, 0, 0, 0,
		0xdc, 0xf4, 0xdc, 0x3b,
		0x83, 0x3d, 0x2b, 0x46,
		0x82, 0x8b, 0xa6, 0x28,
		0x00, 0x02, 0x00, 0x00}
	got, err := formatSID(sid)
	if err != nil || got != "S-1-5-21-1004336348-1177238915-682003330-512" {
		t.Errorf("formatSID = %q, %v", got, err)
	}
	if _, err := formatSID(sid[:10]); err == nil {
		t.Error("truncated SID: no error")
	}
}

func TestRenderValue(t *testing.T) {
	for _, tc := range []struct{ attr, in, want string }{
		{"cn", "山田 太郎", "山田 太郎"},
		{"mail", "", ""},
		{"jpegPhoto", "\xff\xd8\xff\xe0", "/9j/4A=="},
	} {
		got, err := renderValue(tc.attr, tc.in)
		if err != nil || got != tc.want {
			t.Errorf("renderValue(%s, %q) = %q, %v; want %q", tc.attr, tc.in, got, err, tc.want)
		}
	}
}

func TestParseRangeAttr(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    rangeAttr
		ok      bool
		wantErr bool
	}{
		{in: "member"},
		{in: "member;binary"},
		{in: "member;range=0-1499", want: rangeAttr{"member", 0, 1499}, ok: true},
		{in: "member;range=1500-*", want: rangeAttr{"member", 1500, -1}, ok: true},
		{in: "Member;Range=3000-4499", want: rangeAttr{"Member", 3000, 4499}, ok: true},
		{in: "member;range=0-0", want: rangeAttr{"member", 0, 0}, ok: true},
		{in: "member;x-opt;range=10-*", want: rangeAttr{"member;x-opt", 10, -1}, ok: true},
		{in: "member;range=1500", ok: true, wantErr: true},
		{in: "member;range=a-*", ok: true, wantErr: true},
		{in: "member;range=10-5", ok: true, wantErr: true},
		{in: "member;range=-1-5", ok: true, wantErr: true},
		{in: "member;range=0-x", ok: true, wantErr: true},
	} {
		got, ok, err := parseRangeAttr(tc.in)
		if ok != tc.ok || (err != nil) != tc.wantErr {
			t.Errorf("parseRangeAttr(%q): ok %v err %v; want ok %v err %v", tc.in, ok, err, tc.ok, tc.wantErr)
			continue
		}
		if tc.ok && !tc.wantErr && got != tc.want {
			t.Errorf("parseRangeAttr(%q) = %+v; want %+v", tc.in, got, tc.want)
		}
	}
}

func TestUniqueMemberDN(t *testing.T) {
	for in, want := range map[string]string{
		"cn=a,dc=x":          "cn=a,dc=x",
		"cn=a,dc=x#'0101'B":  "cn=a,dc=x",
		"cn=a\\#b,dc=x":      "cn=a\\#b,dc=x",
		"cn=a#'01'B,dc=x'B'": "cn=a#'01'B,dc=x'B'",
	} {
		if got := uniqueMemberDN(in); got != want {
			t.Errorf("uniqueMemberDN(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestNormDN(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"CN=Alice,OU=Sales,DC=Example,DC=Test", "cn=alice,ou=sales,dc=example,dc=test"},
		{"cn=Alice, ou=Sales, dc=example", "cn=alice,ou=sales,dc=example"},
		{"ou=\\E6\\9C\\AC\\E7\\A4\\BE,dc=x", "ou=本社,dc=x"},
		{"cn=a+sn=b,dc=x", "sn=b+cn=a,dc=x"},
		{"cn=Smith\\, John,dc=x", "CN=smith\\, john,DC=X"},
	} {
		a, err1 := normDN(tc.a)
		b, err2 := normDN(tc.b)
		if err1 != nil || err2 != nil || a != b {
			t.Errorf("normDN(%q) = %q, %v; normDN(%q) = %q, %v: want equal", tc.a, a, err1, tc.b, b, err2)
		}
	}
	a, _ := normDN("cn=smith\\, john,dc=x")
	if under(a, "dc=x") != true || under(a, "john,dc=x") {
		t.Errorf("under with an escaped comma: %q", a)
	}
}

// TestNormDNRFC4518 is DN comparison by RFC 4514 and RFC 4518: case,
// escaped and hex-escaped characters, insignificant spaces (leading and
// trailing ones removed, inner runs one space), multi-valued RDNs.
func TestNormDNRFC4518(t *testing.T) {
	for _, tc := range []struct {
		a, b  string
		equal bool
	}{
		// case
		{"UID=Kim,OU=Sales,DC=Example,DC=JP", "uid=kim,ou=sales,dc=example,dc=jp", true},
		{"uid=ÉMILE,dc=x", "uid=émile,dc=x", true},
		// escaped comma, as "\," and as the hex escape "\2C" or "\2c"
		{"ou=Sales\\, East,dc=x", "ou=Sales\\2C East,dc=x", true},
		{"ou=Sales\\2c East,dc=x", "OU=SALES\\2C EAST,DC=X", true},
		{"ou=\\E6\\9C\\AC\\E7\\A4\\BE,dc=x", "ou=本社,dc=x", true},
		{"cn=a\\3Db,dc=x", "cn=a=b,dc=x", true},
		// inner runs of spaces: one space (the case)
		{"UID=Kim,OU=SALES\\,  EAST,DC=example,DC=jp", "uid=kim,ou=Sales\\2C East,dc=example,dc=jp", true},
		{"cn=Kim   Lee,dc=x", "cn=kim lee,dc=x", true},
		{"cn=Kim\\20\\20Lee,dc=x", "cn=Kim Lee,dc=x", true},
		{"cn=Kim\\ \\ Lee,dc=x", "cn=Kim Lee,dc=x", true},
		{"cn=Kim\tLee,dc=x", "cn=Kim Lee,dc=x", true},
		{"cn=Kim\u00a0Lee,dc=x", "cn=Kim Lee,dc=x", true},
		{"cn=KimLee,dc=x", "cn=Kim Lee,dc=x", false},
		// leading and trailing spaces in values, escaped or not, and
		// around separators
		{"cn=\\ Kim,dc=x", "cn=Kim,dc=x", true},
		{"cn=Kim\\ ,dc=x", "cn=Kim,dc=x", true},
		{"cn=\\20Kim\\20,dc=x", "cn=Kim,dc=x", true},
		{"cn = Kim , ou = Sales ,dc=x", "cn=Kim,ou=Sales,dc=x", true},
		{"cn=\\ ,dc=x", "cn=\\20\\20,dc=x", true},
		// multi-valued RDNs, in any order and spacing
		{"cn=Kim+uid=KIM,dc=x", "uid=kim+cn=kim,dc=x", true},
		{"cn=Kim  Lee + uid=k,dc=x", "uid=K+cn=kim lee,dc=x", true},
		{"cn=Kim+uid=k,dc=x", "cn=Kim,uid=k,dc=x", false},
		// different entries stay different
		{"uid=kim,ou=sales,dc=x", "uid=kim,ou=sales east,dc=x", false},
		{"ou=a\\,b,dc=x", "ou=a,ou=b,dc=x", false},
	} {
		a, err1 := normDN(tc.a)
		b, err2 := normDN(tc.b)
		if err1 != nil || err2 != nil || (a == b) != tc.equal {
			t.Errorf("normDN(%q) = %q, %v; normDN(%q) = %q, %v: want equal %v", tc.a, a, err1, tc.b, b, err2, tc.equal)
		}
	}
}

// TestSplitAgreesWithNormDN: the users' fast path (parentCache.split,
// plainRDN) gives what normDN gives, spaces included.
func TestSplitAgreesWithNormDN(t *testing.T) {
	var c parentCache
	for _, dn := range []string{
		"uid=kim,ou=Sales\\2C  East,dc=example,dc=jp",
		"cn=Kim  Lee,ou=Sales,dc=x",
		"cn=Kim Lee,ou=Sales,dc=x",
		"cn=Kim Lee ,ou=Sales,dc=x",
		"cn=\\ Kim,ou=Sales,dc=x",
		"CN=KIM   LEE,OU=SALES  EAST , DC=X",
		"cn=a+uid=b,ou=x,dc=x",
	} {
		want, err := normDN(dn)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := c.split(dn, 1)
		if err != nil || got != want {
			t.Errorf("split(%q) = %q, %v; normDN gives %q", dn, got, err, want)
		}
	}
}

// TestUnder: base checks on canonical DNs; a comma that is escaped in a
// value is no RDN boundary.
func TestUnder(t *testing.T) {
	n := func(dn string) string {
		s, err := normDN(dn)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		dn, base string
		want     bool
	}{
		{"uid=a,ou=x,dc=org", "ou=x,dc=org", true},
		{"ou=x,dc=org", "ou=x,dc=org", true},
		{"UID=a,OU=X,  DC=Org", "ou=x,dc=org", true},
		{"uid=a,ou=Sales  East,dc=org", "ou=sales east,dc=org", true},
		{"cn=a\\,ou=x,dc=org", "ou=x,dc=org", false},
		{"cn=a\\2Cou=x,dc=org", "ou=x,dc=org", false},
		{"cn=a\\\\,ou=x,dc=org", "ou=x,dc=org", true}, // a value ending in a backslash
		{"uid=a,ou=xx,dc=org", "ou=x,dc=org", false},
		{"uid=a,dc=org", "", true},
	} {
		base := tc.base
		if base != "" {
			base = n(base)
		}
		if got := under(n(tc.dn), base); got != tc.want {
			t.Errorf("under(%q, %q) = %v; want %v", n(tc.dn), base, got, tc.want)
		}
	}
}

// TestUnresolvedMembers: member values that are no user of the read nor a
// group of the set, counted once each per group, quoted as the group holds
// them.
func TestUnresolvedMembers(t *testing.T) {
	gs := newGroupSet()
	mk := func(dn string, members []string, uids ...string) *group {
		n, _ := normDN(dn)
		g := &group{key: dn, dn: dn, ndn: n, uids: uids}
		for _, m := range members {
			mn, err := normDN(m)
			if err != nil {
				t.Fatal(err)
			}
			g.members = append(g.members, mn)
			g.raw = append(g.raw, m)
		}
		gs.add(g)
		return g
	}
	mk("cn=G1,dc=x", []string{"UID=Kim,OU=SALES\\,  EAST,DC=x", "uid=gone,dc=x", "cn=G2,dc=x", "uid=GONE,dc=x", "cn=svc,dc=x"}, "kim", "ghost")
	mk("cn=G2,dc=x", []string{"uid=kim,ou=Sales\\2C East,dc=x"})
	users := map[string]bool{}
	for _, dn := range []string{"uid=kim,ou=Sales\\, East,dc=x"} {
		n, _ := normDN(dn)
		users[n] = true
	}
	got := gs.unresolved(func(*group) bool { return true }, users, map[string]bool{"kim": true})
	if len(got) != 1 || got[0].dn != "cn=G1,dc=x" || got[0].count != 3 ||
		!slices.Equal(got[0].examples, []string{"uid=gone,dc=x", "cn=svc,dc=x", "memberUid: ghost"}) {
		t.Errorf("unresolved = %+v", got)
	}
	if got := gs.unresolved(func(g *group) bool { return g.dn == "cn=G2,dc=x" }, users, nil); len(got) != 0 {
		t.Errorf("unresolved of G2 only = %+v; want none", got)
	}
}

func TestOUPath(t *testing.T) {
	base := "ou=users,dc=example,dc=org"
	bd, _ := goldap.ParseDN(base)
	for _, tc := range []struct {
		dn      string
		self    bool
		want    string
		wantErr string
	}{
		{dn: "uid=a,ou=users,dc=example,dc=org", want: ""},
		{dn: "uid=a,ou=第一課,ou=営業部,ou=本社,ou=users,dc=example,dc=org", want: "本社/営業部/第一課"},
		{dn: "ou=第一課,ou=営業部,ou=本社,ou=users,dc=example,dc=org", self: true, want: "本社/営業部/第一課"},
		{dn: "ou=本社,ou=users,dc=example,dc=org", self: true, want: "本社"},
		{dn: "uid=a,ou=Sales,cn=Staff,ou=users,dc=example,dc=org", want: "Sales"},
		{dn: "uid=a,OU=Sales+l=Tokyo,ou=users,dc=example,dc=org", want: "Sales"},
		{dn: "uid=a,ou=R\\2FD,ou=users,dc=example,dc=org", wantErr: `OU name "R/D" contains "/"`},
		{dn: "uid=a,ou=x\\2cy,ou=users,dc=example,dc=org", want: "x,y"},
	} {
		d, err := goldap.ParseDN(tc.dn)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ouPath(d, len(bd.RDNs), tc.self)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ouPath(%q): %v; want error %q", tc.dn, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ouPath(%q, self %v) = %q, %v; want %q", tc.dn, tc.self, got, err, tc.want)
		}
	}
}

func TestScopeRule(t *testing.T) {
	n := func(dn string) string {
		s, err := normDN(dn)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := "dc=x"
	r := scopeRule{
		include: []string{n("ou=Sales,dc=x"), n("ou=Dev,dc=x")},
		exclude: []string{n("ou=Old,ou=Sales,dc=x"), n("ou=Dev,dc=x")},
	}
	for _, tc := range []struct {
		dn   string
		rule scopeRule
		want bool
	}{
		{"uid=a,dc=x", scopeRule{}, true},
		{"uid=a,ou=any,dc=x", scopeRule{exclude: r.exclude}, true},
		{"uid=a,ou=old,ou=sales,dc=x", scopeRule{exclude: r.exclude}, false},
		{"ou=Old,ou=Sales,dc=x", scopeRule{exclude: r.exclude}, false},
		{"uid=a,dc=x", r, false}, // include set: directly under the base is out
		{"ou=Sales,dc=x", r, true},
		{"uid=a,ou=East,ou=SALES,dc=x", r, true},
		{"uid=a,ou=Old,ou=Sales,dc=x", r, false},
		{"uid=a,ou=Dev,dc=x", r, false}, // included and excluded: exclusion wins
		{"uid=a,ou=Salesforce,dc=x", r, false},
	} {
		if got := tc.rule.in(n(tc.dn)); got != tc.want {
			t.Errorf("in(%q) = %v; want %v", tc.dn, got, tc.want)
		}
	}
	_ = base
}

func TestGroupExpansion(t *testing.T) {
	// G1 ∋ alice, G2; G2 ∋ bob, G3; G3 ∋ carol, G1 (a cycle); P (posix) ∋ uid dave;
	// G4 ∋ an entry that is neither a user nor a group.
	gs := newGroupSet()
	mk := func(key, dn string, members []string, uids ...string) *group {
		n, _ := normDN(dn)
		g := &group{key: key, dn: dn, ndn: n, uids: uids}
		for _, m := range members {
			mn, _ := normDN(m)
			g.members = append(g.members, mn)
		}
		gs.add(g)
		return g
	}
	g1 := mk("k1", "cn=G1,ou=groups,dc=x", []string{"uid=alice,dc=x", "CN=G2,ou=groups,dc=x"})
	mk("k2", "cn=G2,ou=groups,dc=x", []string{"uid=bob,dc=x", "cn=G3,ou=groups,dc=x"})
	mk("k3", "cn=G3,ou=groups,dc=x", []string{"uid=carol,dc=x", "cn=G1,ou=groups,dc=x"})
	mk("kp", "cn=P,ou=groups,dc=x", nil, "dave")
	mk("k4", "cn=G4,ou=groups,dc=x", []string{"cn=printer,dc=x"})

	var cycles []string
	ix := gs.index(true, func(g *group) { cycles = append(cycles, g.key) })
	slices.Sort(cycles)
	if !slices.Equal(cycles, []string{"k1", "k2", "k3"}) {
		t.Errorf("cycles = %v", cycles)
	}
	for _, tc := range []struct {
		dn   string
		uids []string
		want string
	}{
		{"uid=alice,dc=x", nil, "k1;k2;k3"},
		{"uid=bob,dc=x", nil, "k1;k2;k3"},
		{"uid=carol,dc=x", nil, "k1;k2;k3"},
		{"uid=dave,dc=x", []string{"dave"}, "kp"},
		{"uid=erin,dc=x", []string{"erin"}, ""},
	} {
		n, _ := normDN(tc.dn)
		if got := ix.groupsOf(n, tc.uids); got != tc.want {
			t.Errorf("nested groupsOf(%s) = %q; want %q", tc.dn, got, tc.want)
		}
	}

	flat := gs.index(false, nil)
	for dn, want := range map[string]string{"uid=alice,dc=x": "k1", "uid=bob,dc=x": "k2", "uid=carol,dc=x": "k3"} {
		n, _ := normDN(dn)
		if got := flat.groupsOf(n, nil); got != want {
			t.Errorf("flat groupsOf(%s) = %q; want %q", dn, got, want)
		}
	}

	dns, _ := gs.members(g1, true)
	slices.Sort(dns)
	if !slices.Equal(dns, []string{"uid=alice,dc=x", "uid=bob,dc=x", "uid=carol,dc=x"}) {
		t.Errorf("members(G1) = %v", dns)
	}
}

func TestMarks(t *testing.T) {
	for _, tc := range []struct {
		mark, attr string
		ok         bool
		filter     string
	}{
		{"uSNChanged:12345", "uSNChanged", true, "(uSNChanged>=12346)"},
		{"modifyTimestamp:20250401093000Z", "modifyTimestamp", true, "(modifyTimestamp>=20250401093000Z)"},
		{"whenChanged:20250401093000.0Z", "whenChanged", true, "(whenChanged>=20250401093000.0Z)"},
		{"entryCSN:20250401093000.123456Z#000000#000#000000", "entryCSN", true, "(&(entryCSN>=20250401093000.123456Z#000000#000#000000)(!(entryCSN=20250401093000.123456Z#000000#000#000000)))"},
		{"uSNChanged:12345", "modifyTimestamp", false, ""},
		{"uSNChanged:12a", "uSNChanged", false, ""},
		{"modifyTimestamp:yesterday", "modifyTimestamp", false, ""},
		{"entryCSN:20250401093000Z", "entryCSN", false, ""},
		{"12345", "uSNChanged", false, ""},
	} {
		m, ok, reason := parseMark(tc.mark, tc.attr)
		if ok != tc.ok {
			t.Errorf("parseMark(%q, %s) ok = %v (%s); want %v", tc.mark, tc.attr, ok, reason, tc.ok)
			continue
		}
		if ok && (m.filter() != tc.filter || m.String() != tc.mark) {
			t.Errorf("parseMark(%q): filter %q, string %q", tc.mark, m.filter(), m.String())
		}
	}
	usn := hwMark{"uSNChanged", "100"}
	if usn.changed("100") || !usn.changed("101") || !usn.changed("1000") || usn.changed("99") {
		t.Error("uSNChanged.changed compares wrongly")
	}
	csn := hwMark{"entryCSN", "20250401093000.123456Z#000000#000#000000"}
	if csn.changed("20250401093000.123456Z#000000#000#000000") || !csn.changed("20250401093000.123457Z#000000#000#000000") {
		t.Error("entryCSN.changed compares wrongly")
	}
	ts := hwMark{"modifyTimestamp", "20250401093000Z"}
	if !ts.changed("20250401093000Z") || !ts.changed("20250401093001Z") || ts.changed("20250401092959Z") {
		t.Error("modifyTimestamp.changed compares wrongly")
	}
	if got := backdate("modifyTimestamp", "20250401093000", 2500*time.Millisecond); got != "20250401092957" {
		t.Errorf("backdate = %q", got)
	}
	if got := backdate("modifyTimestamp", "20250401093000", 0); got != "20250401093000" {
		t.Errorf("backdate = %q", got)
	}
	if got := backdate("entryCSN", "20250401093000.123456Z#000003#000#000002", 200*time.Millisecond); got != "20250401092959.923456Z#000000#000#000000" {
		t.Errorf("backdate CSN = %q", got)
	}
	if got := markFromKey("uSNChanged", "0000000000000012345", true); got != "12345" {
		t.Errorf("markFromKey USN = %q", got)
	}
	if got := markFromKey("whenChanged", "20250401093000", true); got != "20250401093000.0Z" {
		t.Errorf("markFromKey AD time = %q", got)
	}
}

// validConfig is a config New accepts; tests change one thing at a time.
func validConfig(t *testing.T) Config {
	t.Setenv("ORGBRIDGE_TEST_LDAP_PW", "s3cret-Passw0rd")
	return Config{
		URL:          "ldaps://127.0.0.1:6360",
		BindDN:       "cn=admin,dc=example,dc=org",
		BindPassword: config.Secret{Env: "ORGBRIDGE_TEST_LDAP_PW"},
		Users:        Search{BaseDN: "ou=people,dc=example,dc=org"},
	}
}

func TestNewDefaults(t *testing.T) {
	cfg := validConfig(t)
	s, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.s.timeout != DefaultTimeout || s.s.pageSize != DefaultPageSize || s.s.keyAttr != "entryUUID" ||
		s.s.hwAttr != "modifyTimestamp" || !s.s.nested || s.s.skip || s.s.users.filter != openLDAPUserFilter ||
		s.s.addr != "127.0.0.1:6360" || s.s.tlsConfig.ServerName != "127.0.0.1" || s.s.password() != "s3cret-Passw0rd" {
		t.Errorf("openldap defaults: %+v", s.s)
	}
	for _, f := range []string{"%v", "%+v", "%#v"} {
		if out := fmt.Sprintf(f, s); strings.Contains(out, "s3cret") {
			t.Errorf("%s of the source shows the password: %s", f, out)
		}
	}
	cfg.Flavor = "ad"
	cfg.URL = "ldap://dc1.example.test"
	cfg.StartTLS = true
	cfg.Groups = &Search{BaseDN: "ou=groups,dc=example,dc=org", Filter: "objectClass=group"}
	s, err = New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.s.keyAttr != "objectGUID" || s.s.hwAttr != "uSNChanged" || s.s.users.filter != adUserFilter ||
		s.s.groups.filter != "(objectClass=group)" || s.s.addr != "dc1.example.test:389" || !s.s.startTLS {
		t.Errorf("ad defaults: %+v", s.s)
	}
}

func TestNewErrors(t *testing.T) {
	f := false
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"no url", func(c *Config) { c.URL = "" }, []string{"url: required (ldaps://host:636 or ldap://host:389)"}},
		{"http url", func(c *Config) { c.URL = "http://dc1" }, []string{`url: "http://dc1" is not an ldap:// or ldaps:// URL with a host`}},
		{"url with base", func(c *Config) { c.URL = "ldaps://dc1/dc=x" }, []string{`url: "ldaps://dc1/dc=x": give the scheme, host and port only; the base DN goes in users.base_dn`}},
		{"plain", func(c *Config) { c.URL = "ldap://dc1:389" }, []string{`url: "ldap://dc1:389" is plain LDAP: the bind password would cross the network in clear; use ldaps://, set start_tls: true, or set allow_plain: true to accept it`}},
		{"ldaps and starttls", func(c *Config) { c.StartTLS = true }, []string{"start_tls: cannot be used with an ldaps:// URL, which is already TLS"}},
		{"missing ca", func(c *Config) { c.CAFile = "/nonexistent/ca.pem" }, []string{"ca_file: read CA file: open /nonexistent/ca.pem: no such file or directory"}},
		{"no bind dn", func(c *Config) { c.BindDN = "" }, []string{"bind_dn: required"}},
		{"bad bind dn", func(c *Config) { c.BindDN = "admin" }, []string{`bind_dn: "admin" is not a DN, user@realm or DOMAIN\user`}},
		{"no password", func(c *Config) { c.BindPassword = config.Secret{} }, []string{"bind_password: required: set env (an environment variable's name) or file (a path); the secret itself never goes in the config"}},
		{"unset env", func(c *Config) { c.BindPassword = config.Secret{Env: "ORGBRIDGE_TEST_UNSET_VAR"} }, []string{"bind_password: environment variable ORGBRIDGE_TEST_UNSET_VAR is not set"}},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, []string{"timeout: -1s is negative"}},
		{"negative page", func(c *Config) { c.PageSize = -1 }, []string{"page_size: -1 is not between 1 and 2147483647"}},
		{"flavor", func(c *Config) { c.Flavor = "389ds" }, []string{`flavor: "389ds" is not ad or openldap`}},
		{"key attribute", func(c *Config) { c.KeyAttribute = "entry UUID" }, []string{`key_attribute: "entry UUID" is not an attribute name`}},
		{"no users base", func(c *Config) { c.Users.BaseDN = "" }, []string{"users.base_dn: required"}},
		{"bad users base", func(c *Config) { c.Users.BaseDN = "people" }, []string{`users.base_dn: "people" is not a DN`}},
		{"bad filter", func(c *Config) { c.Users.Filter = "(objectClass=user" }, []string{`users.filter: "(objectClass=user": `}},
		{"bad scope", func(c *Config) { c.Users.Scope = "base" }, []string{`users.scope: "base" is not sub or one`}},
		{"no groups base", func(c *Config) { c.Groups = &Search{} }, []string{"groups.base_dn: required"}},
		{"no orgs from", func(c *Config) { c.Orgs = &Orgs{} }, []string{"orgs.from: required (ou or attribute)"}},
		{"bad orgs from", func(c *Config) { c.Orgs = &Orgs{From: "tree"} }, []string{`orgs.from: "tree" is not ou or attribute`}},
		{"attribute without name", func(c *Config) { c.Orgs = &Orgs{From: "attribute"} }, []string{"orgs.attribute: required with from: attribute"}},
		{"include with attribute", func(c *Config) {
			c.Orgs = &Orgs{From: "attribute", Attribute: "department", Include: []string{"ou=a,ou=people,dc=example,dc=org"}}
		}, []string{"orgs.include: only with from: ou"}},
		{"exclude outside base", func(c *Config) {
			c.Orgs = &Orgs{From: "ou", Exclude: []string{"ou=x,dc=other", "nonsense"}}
		}, []string{`orgs.exclude[0]: "ou=x,dc=other" is not under users.base_dn`, `orgs.exclude[1]: "nonsense" is not a DN`}},
		{"ou with scope one", func(c *Config) { c.Orgs = &Orgs{From: "ou"}; c.Users.Scope = "one" }, []string{"orgs.from: ou needs users.scope sub"}},
		{"computed attribute", func(c *Config) { c.Attributes = []string{"mail", "cn", "groups"} }, []string{`attributes[2]: "groups" is computed by the source (dn, ou_path, groups, disabled) and cannot be read`}},
		{"duplicate attribute", func(c *Config) { c.Attributes = []string{"mail", "Mail"} }, []string{`attributes[1]: "Mail" is also attributes[0]`}},
		{"empty required", func(c *Config) { c.Required = []string{"mail", ""} }, []string{"required[1]: empty attribute name"}},
		{"on missing", func(c *Config) { c.OnMissing = "ignore" }, []string{`on_missing: "ignore" is not fail or skip`}},
		{"incremental", func(c *Config) { c.Incremental = "whenCreated" }, []string{`incremental: "whenCreated" is not uSNChanged, whenChanged, modifyTimestamp or entryCSN`}},
		{"usn on openldap", func(c *Config) { c.Incremental = "usnchanged" }, []string{"incremental: uSNChanged is Active Directory's; on OpenLDAP use modifyTimestamp (default) or entryCSN"}},
		{"several", func(c *Config) {
			c.URL = ""
			c.BindDN = ""
			c.Users.BaseDN = ""
			c.NestedGroups = &f
		}, []string{"url: required", "bind_dn: required", "users.base_dn: required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig(t)
			tc.change(&cfg)
			_, err := New(cfg, nil)
			if err == nil {
				t.Fatalf("no error; want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error holds the password: %v", err)
			}
		})
	}
}

func TestNewAcceptsAllowPlain(t *testing.T) {
	cfg := validConfig(t)
	cfg.URL = "ldap://127.0.0.1:3890"
	cfg.AllowPlain = true
	s, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.s.tlsConfig != nil || s.s.ldaps || s.s.startTLS {
		t.Errorf("plain: %+v", s.s)
	}
}

func TestProblemList(t *testing.T) {
	l := errlist.List{Max: maxProblems}
	for i := 0; i < maxProblems+2; i++ {
		l.Add(&EntryError{DN: "uid=x", Err: missingError([]string{"mail", "sn"})})
	}
	err := l.Err()
	if !errors.Is(err, ErrMissingAttribute) {
		t.Error("not ErrMissingAttribute")
	}
	if !strings.Contains(err.Error(), `uid=x: missing required attribute "mail", "sn"`) || !strings.HasSuffix(err.Error(), "and 2 more errors") {
		t.Errorf("err = %v", err)
	}
}
