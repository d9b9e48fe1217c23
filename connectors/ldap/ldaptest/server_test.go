package ldaptest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/orgbridge/orgbridge/internal/testsrv"
)

func search(t *testing.T, c *ldap.Conn, base, filter string, attrs ...string) []*ldap.Entry {
	t.Helper()
	res, err := c.SearchWithPaging(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		filter, attrs, nil), 100)
	if err != nil {
		t.Fatalf("search %s %s: %v", base, filter, err)
	}
	return res.Entries
}

// ldapsearch runs the ldapsearch program against s and returns its output.
func ldapsearch(t *testing.T, s *Server, args ...string) string {
	t.Helper()
	prog, err := findProgram("ldapsearch", "ORGBRIDGE_LDAPSEARCH", binDirs)
	if err != nil {
		if testsrv.InCI() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	cmd := exec.Command(prog, append([]string{"-LLL", "-o", "ldif-wrap=no"}, args...)...)
	cmd.Env = s.ClientEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ldapsearch %q: %v\n%s", args, err, out)
	}
	return string(out)
}

func countDNs(ldif string) int {
	n := 0
	for _, line := range strings.Split(ldif, "\n") {
		if strings.HasPrefix(line, "dn:") {
			n++
		}
	}
	return n
}

func TestStartBaseSearch(t *testing.T) {
	s := StartBase(t, Options{})
	if !strings.HasPrefix(s.URL, "ldap://127.0.0.1:") || s.LDAPSURL != "" || s.CAFile != "" {
		t.Errorf("URL %q, LDAPSURL %q, CAFile %q", s.URL, s.LDAPSURL, s.CAFile)
	}
	if s.BaseDN != BaseSuffix || s.BindDN != "cn=admin,"+BaseSuffix {
		t.Errorf("BaseDN %q, BindDN %q", s.BaseDN, s.BindDN)
	}

	// ldapsearch, as the root DN and with paging.
	out := ldapsearch(t, s, "-x", "-H", s.URL, "-D", s.BindDN, "-w", s.BindPassword, "-b", s.BaseDN,
		"-E", "pr=5/noprompt", "(objectClass=inetOrgPerson)", "uid")
	if n := countDNs(out); n != len(BaseUsers) {
		t.Errorf("ldapsearch found %d users, want %d:\n%s", n, len(BaseUsers), out)
	}

	// go-ldap, pages of 5.
	c := s.Conn(t)
	users := search(t, c, s.BaseDN, "(objectClass=inetOrgPerson)", "uid", "entryUUID")
	if len(users) != len(BaseUsers) {
		t.Errorf("go-ldap found %d users, want %d", len(users), len(BaseUsers))
	}
	for _, e := range users {
		if e.GetAttributeValue("entryUUID") == "" {
			t.Errorf("%s: no entryUUID", e.DN)
		}
	}
	groups := search(t, c, s.BaseDN, "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))", "cn")
	if len(groups) != len(BaseGroups) {
		t.Errorf("found %d groups, want %d", len(groups), len(BaseGroups))
	}
	ous := search(t, c, s.BaseDN, "(objectClass=organizationalUnit)", "ou")
	if len(ous) != len(BaseOUs) {
		t.Errorf("found %d OUs, want %d", len(ous), len(BaseOUs))
	}
}

func TestAccess(t *testing.T) {
	s := Start(t, Options{})
	// Anonymous: the root DSE, nothing else.
	c, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	root, err := c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"namingContexts"}, nil))
	if err != nil || len(root.Entries) != 1 || root.Entries[0].GetAttributeValue("namingContexts") != s.BaseDN {
		t.Fatalf("anonymous root DSE: %v %+v", err, root)
	}
	res, err := c.Search(ldap.NewSearchRequest(s.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", nil, nil))
	if err == nil && len(res.Entries) > 0 {
		t.Errorf("anonymous search read %d entries", len(res.Entries))
	}
	// The reader binds and reads, but not passwords.
	if err := c.Bind(s.ReaderDN, s.ReaderPassword); err != nil {
		t.Fatalf("reader bind: %v", err)
	}
	res, err = c.Search(ldap.NewSearchRequest(s.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"*"}, nil))
	if err != nil || len(res.Entries) != 2 {
		t.Fatalf("reader search: %v, %d entries, want the suffix and the reader", err, len(res.Entries))
	}
	for _, e := range res.Entries {
		if e.DN != s.ReaderDN && len(e.GetAttributeValues("userPassword")) != 0 {
			t.Errorf("reader read %s's userPassword", e.DN)
		}
	}
	if err := c.Bind(s.ReaderDN, "wrong"); !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		t.Errorf("bind with a wrong password: %v", err)
	}
}

func TestReaderLimits(t *testing.T) {
	dir := t.TempDir()
	bulk := filepath.Join(dir, "bulk.ldif")
	const n = ReaderSizeLimit + 100
	if err := WriteUsers(bulk, n, GenOptions{}); err != nil {
		t.Fatal(err)
	}
	s := Start(t, Options{Preload: []string{bulk}})
	c, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(s.ReaderDN, s.ReaderPassword); err != nil {
		t.Fatal(err)
	}
	req := func() *ldap.SearchRequest {
		return ldap.NewSearchRequest(s.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			"(objectClass=inetOrgPerson)", []string{"uid"}, nil)
	}
	_, err = c.Search(req())
	if !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		t.Errorf("unpaged search of %d entries as the reader: %v, want sizeLimitExceeded", n, err)
	}
	res, err := c.SearchWithPaging(req(), ReaderMaxPageSize)
	if err != nil || len(res.Entries) != n {
		t.Errorf("paged search as the reader: %v, %d entries, want %d", err, len(res.Entries), n)
	}
	big := req()
	big.Controls = []ldap.Control{ldap.NewControlPaging(ReaderMaxPageSize + 1)}
	if _, err := c.Search(big); !ldap.IsErrorWithCode(err, ldap.LDAPResultAdminLimitExceeded) {
		t.Errorf("page size %d as the reader: %v, want adminLimitExceeded", ReaderMaxPageSize+1, err)
	}
	// The root DN has no limit.
	root := s.Conn(t)
	res, err = root.Search(req())
	if err != nil || len(res.Entries) != n {
		t.Errorf("unpaged search as the root DN: %v, %d entries, want %d", err, len(res.Entries), n)
	}
}

func TestPreloadGeneratedUsers(t *testing.T) {
	dir := t.TempDir()
	bulk := filepath.Join(dir, "bulk.ldif")
	const n = 1000
	if err := WriteUsers(bulk, n, GenOptions{}); err != nil {
		t.Fatal(err)
	}
	// Both the fixture and the generated tree fit in one server.
	s := StartBase(t, Options{Preload: []string{bulk}})
	c := s.Conn(t)
	users := search(t, c, "ou=社員,"+s.BaseDN, "(objectClass=inetOrgPerson)", "uid", "cn", "sn", "givenName", "mail", "employeeNumber", "departmentNumber")
	if len(users) != n {
		t.Fatalf("%d generated users, want %d", len(users), n)
	}
	byUID := map[string]*ldap.Entry{}
	for _, e := range users {
		byUID[e.GetAttributeValue("uid")] = e
	}
	e := byUID["user0000001"]
	if e == nil {
		t.Fatal("user0000001 missing")
	}
	if e.DN != "uid=user0000001,ou=第一課,ou=営業部,ou=社員,dc=example,dc=jp" {
		t.Errorf("DN %q", e.DN)
	}
	if got, want := e.GetAttributeValue("cn"), genSurnames[1]+" "+genGiven[0]; got != want {
		t.Errorf("cn %q, want %q", got, want)
	}
	for _, a := range []string{"sn", "givenName", "mail", "employeeNumber", "departmentNumber"} {
		if e.GetAttributeValue(a) == "" {
			t.Errorf("user0000001 has no %s", a)
		}
	}
	// A name outside the BMP survives the round trip.
	found := false
	for _, e := range users {
		if strings.HasPrefix(e.GetAttributeValue("sn"), "𠮷") {
			found = true
			break
		}
	}
	if !found {
		t.Error("no user with sn 𠮷田")
	}
	// The fixture is there too, with its memberOf (loaded by ldapmodify).
	if got := search(t, c, s.BaseDN, "(memberOf="+groupDN("大部屋")+")", "uid"); len(got) != 12 {
		t.Errorf("%d members of 大部屋 by memberOf, want 12", len(got))
	}
}

func TestTLS(t *testing.T) {
	s := StartBase(t, Options{TLS: true})
	if !strings.HasPrefix(s.LDAPSURL, "ldaps://127.0.0.1:") || s.CAFile == "" {
		t.Fatalf("LDAPSURL %q, CAFile %q", s.LDAPSURL, s.CAFile)
	}
	filter := "(uid=kimura.sota)"
	check := func(t *testing.T, c *ldap.Conn) {
		t.Helper()
		if st, ok := c.TLSConnectionState(); !ok || !st.HandshakeComplete {
			t.Fatal("not TLS")
		}
		if err := c.Bind(s.BindDN, s.BindPassword); err != nil {
			t.Fatal(err)
		}
		if got := search(t, c, s.BaseDN, filter, "cn"); len(got) != 1 || got[0].GetAttributeValue("cn") != "木村 蒼太" {
			t.Fatalf("search over TLS: %+v", got)
		}
	}
	t.Run("ldaps go-ldap", func(t *testing.T) {
		c, err := ldap.DialURL(s.LDAPSURL, ldap.DialWithTLSConfig(s.TLSConfig()))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		check(t, c)
	})
	t.Run("StartTLS go-ldap", func(t *testing.T) {
		c, err := ldap.DialURL(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.StartTLS(s.TLSConfig()); err != nil {
			t.Fatal(err)
		}
		check(t, c)
	})
	t.Run("untrusted CA is refused", func(t *testing.T) {
		c, err := ldap.DialURL(s.LDAPSURL, ldap.DialWithTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12}))
		if err == nil {
			c.Close()
			t.Fatal("ldaps with the system roots succeeded")
		}
		var verr *tls.CertificateVerificationError
		if !errors.As(err, &verr) {
			t.Errorf("ldaps with the system roots: %v, want a certificate verification error", err)
		}
	})
	t.Run("ldaps ldapsearch", func(t *testing.T) {
		out := ldapsearch(t, s, "-x", "-H", s.LDAPSURL, "-D", s.BindDN, "-w", s.BindPassword, "-b", s.BaseDN, filter, "uid")
		if countDNs(out) != 1 {
			t.Fatalf("ldapsearch over ldaps:\n%s", out)
		}
	})
	t.Run("StartTLS ldapsearch", func(t *testing.T) {
		out := ldapsearch(t, s, "-x", "-ZZ", "-H", s.URL, "-D", s.BindDN, "-w", s.BindPassword, "-b", s.BaseDN, filter, "uid")
		if countDNs(out) != 1 {
			t.Fatalf("ldapsearch with StartTLS:\n%s", out)
		}
	})
}

func TestModify(t *testing.T) {
	s := StartBase(t, Options{})
	c := s.Conn(t)
	before := search(t, c, s.BaseDN, "(uid=inoue.hina)", "modifyTimestamp", "memberOf", "entryCSN")[0]

	time.Sleep(1100 * time.Millisecond) // modifyTimestamp has a second's granularity
	s.Modify(t, `
dn: uid=inoue.hina,ou=基盤\,運用,ou=開発部,ou=本社,dc=example,dc=jp
changetype: modify
replace: mail
mail: hina.inoue@example.jp

dn: uid=new.user,ou=第一課,ou=営業部,ou=本社,dc=example,dc=jp
objectClass: inetOrgPerson
uid: new.user
cn: 新人 一号
sn: 新人

dn: cn=大部屋,ou=グループ,dc=example,dc=jp
changetype: modify
add: member
member: uid=inoue.hina,ou=基盤\,運用,ou=開発部,ou=本社,dc=example,dc=jp
member: uid=new.user,ou=第一課,ou=営業部,ou=本社,dc=example,dc=jp

dn: uid=hayashi.kaito,ou=退職者,ou=本社,dc=example,dc=jp
changetype: delete
`)
	after := search(t, c, s.BaseDN, "(uid=inoue.hina)", "mail", "modifyTimestamp", "memberOf", "entryCSN")[0]
	if got := after.GetAttributeValue("mail"); got != "hina.inoue@example.jp" {
		t.Errorf("mail %q", got)
	}
	if after.GetAttributeValue("modifyTimestamp") <= before.GetAttributeValue("modifyTimestamp") ||
		after.GetAttributeValue("entryCSN") <= before.GetAttributeValue("entryCSN") {
		t.Errorf("modifyTimestamp %s → %s, entryCSN %s → %s", before.GetAttributeValue("modifyTimestamp"),
			after.GetAttributeValue("modifyTimestamp"), before.GetAttributeValue("entryCSN"), after.GetAttributeValue("entryCSN"))
	}
	if !contains(after.GetAttributeValues("memberOf"), groupDN("大部屋")) {
		t.Errorf("memberOf after the group change: %q", after.GetAttributeValues("memberOf"))
	}
	if got := search(t, c, s.BaseDN, "(uid=new.user)", "memberOf"); len(got) != 1 || !contains(got[0].GetAttributeValues("memberOf"), groupDN("大部屋")) {
		t.Errorf("new.user: %+v", got)
	}
	if got := search(t, c, s.BaseDN, "(uid=hayashi.kaito)"); len(got) != 0 {
		t.Errorf("deleted user still there")
	}
	// The changes since the first read, by modifyTimestamp (one second
	// after the first read's, as LDAP has no ">" filter). The memberof
	// overlay's memberOf updates count as changes of the member.
	ts, err := time.Parse("20060102150405Z", before.GetAttributeValue("modifyTimestamp"))
	if err != nil {
		t.Fatal(err)
	}
	since := ts.Add(time.Second).Format("20060102150405Z")
	changed := search(t, c, s.BaseDN, "(&(objectClass=inetOrgPerson)(modifyTimestamp>="+since+"))", "uid")
	var uids []string
	for _, e := range changed {
		uids = append(uids, e.GetAttributeValue("uid"))
	}
	if len(uids) != 2 || !contains(uids, "inoue.hina") || !contains(uids, "new.user") {
		t.Errorf("changed users: %q, want inoue.hina and new.user", uids)
	}

	// A membership change alone changes the group's modifyTimestamp, not
	// the member's: memberof writes memberOf without touching
	// modifyTimestamp (slapd 2.5). An incremental read must go through
	// the changed groups to see it.
	time.Sleep(1100 * time.Millisecond)
	s.Modify(t, `dn: cn=開発部員,ou=グループ,dc=example,dc=jp
changetype: modify
add: member
member: uid=kato.sakura,ou=第二課,ou=営業部,ou=本社,dc=example,dc=jp
`)
	since = after.GetAttributeValue("modifyTimestamp")
	ts, _ = time.Parse("20060102150405Z", since)
	since = ts.Add(time.Second).Format("20060102150405Z")
	changed = search(t, c, s.BaseDN, "(modifyTimestamp>="+since+")", "cn", "uid")
	var names []string
	for _, e := range changed {
		names = append(names, e.GetAttributeValue("cn"))
	}
	if len(names) != 1 || names[0] != "開発部員" {
		t.Errorf("changed by a membership: %q, want 開発部員 alone", names)
	}
	if got := search(t, c, s.BaseDN, "(uid=kato.sakura)", "memberOf"); len(got) != 1 || !contains(got[0].GetAttributeValues("memberOf"), groupDN("開発部員")) {
		t.Errorf("kato.sakura's memberOf: %+v", got)
	}
}

func TestModifyFails(t *testing.T) {
	s := Start(t, Options{})
	ft := &fakeTB{TB: t}
	func() {
		defer func() { _ = recover() }()
		s.Modify(ft, "dn: cn=nope,dc=elsewhere\nchangetype: delete\n")
	}()
	if !strings.Contains(ft.fatal, "ldapmodify") || !strings.Contains(ft.fatal, "cn=nope,dc=elsewhere") {
		t.Errorf("Modify of a missing entry: fatal %q", ft.fatal)
	}
	if strings.Contains(ft.fatal, s.BindPassword) {
		t.Error("the bind password is in the error")
	}
}

func TestStopRestart(t *testing.T) {
	s := StartBase(t, Options{SyncProv: true})
	c := s.Conn(t)
	search(t, c, s.BaseDN, "(uid=sato.ichiro)", "uid")
	root := search(t, c, s.BaseDN, "(objectClass=dcObject)", "contextCSN")
	if len(root) != 1 || root[0].GetAttributeValue("contextCSN") == "" {
		t.Errorf("SyncProv: the suffix has no contextCSN: %+v", root)
	}

	s.Stop(t)
	s.Stop(t) // twice is fine
	if _, err := c.Search(ldap.NewSearchRequest(s.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(uid=sato.ichiro)", nil, nil)); err == nil {
		t.Fatal("search on a connection to a stopped server succeeded")
	}
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(s.URL, "ldap://"), time.Second); err == nil {
		conn.Close()
		t.Fatal("the port still accepts connections")
	}

	s.Restart(t)
	c2 := s.Conn(t)
	if got := search(t, c2, s.BaseDN, "(objectClass=inetOrgPerson)", "uid"); len(got) != len(BaseUsers) {
		t.Errorf("after restart: %d users", len(got))
	}
}

func TestStartFailureIsReported(t *testing.T) {
	Require(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.ldif")
	if err := os.WriteFile(bad, []byte("dn: uid=x,ou=missing,dc=example,dc=jp\nobjectClass: inetOrgPerson\nuid: x\ncn: x\nsn: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{LDIF: []string{bad}}, {Preload: []string{filepath.Join(dir, "absent.ldif")}}} {
		ft := &fakeTB{TB: t}
		func() {
			defer func() { _ = recover() }()
			Start(ft, opts)
		}()
		if ft.fatal == "" {
			t.Errorf("Start(%+v) did not fail", opts)
		}
		t.Logf("%+v: %s", opts, ft.fatal)
	}
}

func TestFindToolsNamed(t *testing.T) {
	t.Setenv("ORGBRIDGE_SLAPD", "/nonexistent/slapd")
	if _, err := findTools(); err == nil || !strings.Contains(err.Error(), "ORGBRIDGE_SLAPD") {
		t.Errorf("findTools with a bad ORGBRIDGE_SLAPD: %v", err)
	}
}

func TestAppArmorHint(t *testing.T) {
	if apparmorHint("slapd stopped.") != "" {
		t.Error("hint without a denial")
	}
	if h := apparmorHint(`could not open config file "/tmp/x/slapd.conf": Permission denied (13)`); !strings.Contains(h, "aa-complain") {
		t.Errorf("hint %q", h)
	}
}

// fakeTB records Fatalf and Skipf instead of ending the test; they panic
// to stop the caller, as runtime.Goexit would.
type fakeTB struct {
	testing.TB
	fatal, skip string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	panic("fatal")
}
func (f *fakeTB) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skip = fmt.Sprintf(format, args...)
	panic("skip")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       time.Duration
	}{
		{"slapd", "4242 (slapd) S 1 4242 4242 0 -1 4194560 900 0 0 0 152 31 0 0 20 0 5 0 100 0 0", 1830 * time.Millisecond},
		{"name with spaces and parens", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 5 5 0 0", 100 * time.Millisecond},
		{"no name", "4242 slapd S 1", 0},
		{"short", "4242 (slapd) S 1 4242", 0},
		{"not a number", "4242 (slapd) S 1 4242 4242 0 -1 4194560 900 0 0 0 x 31", 0},
		{"empty", "", 0},
	} {
		if got := parseStatCPU(tc.stat); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
