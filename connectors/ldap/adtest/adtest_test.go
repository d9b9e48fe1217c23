package adtest_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/orgbridge/orgbridge/connectors/ldap/adtest"
)

// guidString renders AD's 16 objectGUID bytes the way Windows prints a
// GUID: the first three fields little-endian.
func guidString(b []byte) string {
	if len(b) != 16 {
		return fmt.Sprintf("bad GUID of %d bytes", len(b))
	}
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x",
		binary.LittleEndian.Uint32(b[0:4]), binary.LittleEndian.Uint16(b[4:6]), binary.LittleEndian.Uint16(b[6:8]), b[8:10], b[10:16])
}

func search(t *testing.T, c *ldap.Conn, base string, scope int, filter string, attrs ...string) []*ldap.Entry {
	t.Helper()
	res, err := c.SearchWithPaging(ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil), 500)
	if err != nil {
		t.Fatalf("search %s %s: %v", base, filter, err)
	}
	return res.Entries
}

func sams(entries []*ldap.Entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.GetAttributeValue("sAMAccountName"))
	}
	sort.Strings(out)
	return out
}

func TestFixtures(t *testing.T) {
	dc := adtest.Start(t)
	c := dc.Conn(t)
	for _, u := range adtest.Users {
		es := search(t, c, u.DN(), ldap.ScopeBaseObject, "(objectClass=user)",
			"sAMAccountName", "userPrincipalName", "mail", "department", "userAccountControl", "objectGUID", "memberOf")
		if len(es) != 1 {
			t.Fatalf("%s: %d entries", u.DN(), len(es))
		}
		e := es[0]
		got := map[string]string{
			"sAMAccountName":     e.GetAttributeValue("sAMAccountName"),
			"userPrincipalName":  e.GetAttributeValue("userPrincipalName"),
			"mail":               e.GetAttributeValue("mail"),
			"department":         e.GetAttributeValue("department"),
			"userAccountControl": e.GetAttributeValue("userAccountControl"),
		}
		want := map[string]string{
			"sAMAccountName":     u.SAM,
			"userPrincipalName":  u.UPN(),
			"mail":               u.Mail,
			"department":         u.Department,
			"userAccountControl": strconv.Itoa(u.UserAccountControl()),
		}
		for k := range want {
			if got[k] != want[k] {
				t.Errorf("%s: %s = %q, want %q", u.SAM, k, got[k], want[k])
			}
		}
		if u.SAM == "tanaka" && got["userAccountControl"] != "514" {
			t.Errorf("the disabled user has userAccountControl %s", got["userAccountControl"])
		}
		// objectGUID as bytes over LDAP, rendered here, agrees with
		// samba-tool's own rendering.
		if g, w := guidString(e.GetRawAttributeValue("objectGUID")), dc.ObjectGUID(t, u.SAM); g != w {
			t.Errorf("%s: objectGUID %s over LDAP, %s from samba-tool", u.SAM, g, w)
		}
	}
	// Direct memberships (memberOf) agree with GroupsOf.
	for _, u := range adtest.Users {
		e := search(t, c, u.DN(), ldap.ScopeBaseObject, "(objectClass=*)", "memberOf")[0]
		var got []string
		for _, dn := range e.GetAttributeValues("memberOf") {
			for _, g := range adtest.Groups {
				if strings.EqualFold(dn, g.DN()) {
					got = append(got, g.SAM)
				}
			}
		}
		sort.Strings(got)
		want := slices.Clone(adtest.GroupsOf(u.SAM, false))
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: memberOf %v, want %v", u.SAM, got, want)
		}
	}
	bulk := search(t, c, adtest.BulkBase, ldap.ScopeSingleLevel, "(objectClass=user)", "sAMAccountName", "userAccountControl")
	if len(bulk) != adtest.BulkUsers {
		t.Errorf("%d bulk users, want %d", len(bulk), adtest.BulkUsers)
	}
	for _, e := range bulk {
		if v := e.GetAttributeValue("userAccountControl"); v != "544" {
			t.Fatalf("%s: userAccountControl %s, want 544", e.DN, v)
		}
	}
	// Every OU, with its non-ASCII name.
	for _, p := range adtest.OUs {
		es := search(t, c, adtest.OUDN(p), ldap.ScopeBaseObject, "(objectClass=organizationalUnit)", "ou")
		parts := strings.Split(p, "/")
		if len(es) != 1 || es[0].GetAttributeValue("ou") != parts[len(parts)-1] {
			t.Errorf("OU %s: %v", p, es)
		}
	}
}

func TestInChainRule(t *testing.T) {
	dc := adtest.Start(t)
	c := dc.Conn(t)
	all := adtest.Groups[2]
	if all.SAM != "all-staff" {
		t.Fatal("Groups changed order")
	}
	got := sams(search(t, c, adtest.UsersBase, ldap.ScopeWholeSubtree,
		"(&(objectClass=user)(memberOf:1.2.840.113556.1.4.1941:="+ldap.EscapeFilter(all.DN())+"))", "sAMAccountName"))
	var want []string
	for _, u := range adtest.Users {
		if slices.Contains(adtest.GroupsOf(u.SAM, true), "all-staff") {
			want = append(want, u.SAM)
		}
	}
	sort.Strings(want)
	if !slices.Equal(got, want) || !slices.Contains(got, "yamada") {
		t.Errorf("in-chain members of all-staff: %v, want %v (yamada two levels down)", got, want)
	}
	// Without the rule only direct members match.
	direct := sams(search(t, c, adtest.UsersBase, ldap.ScopeWholeSubtree,
		"(&(objectClass=user)(memberOf="+ldap.EscapeFilter(all.DN())+"))", "sAMAccountName"))
	if !slices.Equal(direct, []string{"sato", "tanaka"}) {
		t.Errorf("direct members of all-staff: %v", direct)
	}
}

func memberValues(e *ldap.Entry) (name string, vals []string) {
	for _, a := range e.Attributes {
		if strings.EqualFold(a.Name, "member") || strings.HasPrefix(strings.ToLower(a.Name), "member;") {
			return a.Name, a.Values
		}
	}
	return "", nil
}

// TestRangeRetrieval pins how Samba answers, and what RangedURL changes.
func TestRangeRetrieval(t *testing.T) {
	dc := adtest.Start(t)
	var big adtest.Group
	for _, g := range adtest.Groups {
		if g.SAM == adtest.BigGroup {
			big = g
		}
	}
	get := func(c *ldap.Conn, attr string) (string, []string) {
		t.Helper()
		es := search(t, c, big.DN(), ldap.ScopeBaseObject, "(objectClass=*)", attr)
		return memberValues(es[0])
	}
	c := dc.Conn(t)
	// Samba: no MaxValRange; a plain "member" is every value.
	if n, v := get(c, "member"); n != "member" || len(v) != adtest.BulkUsers {
		t.Errorf("Samba, member: %s with %d values", n, len(v))
	}
	// Samba implements ranges when asked, as Windows does: the last chunk
	// is named "-*".
	for _, tc := range []struct {
		ask, name string
		n         int
	}{
		{"member;range=0-1499", "member;range=0-1499", 1500},
		{"member;range=1500-*", "member;range=1500-*", 100},
		{"member;range=1500-2999", "member;range=1500-*", 100},
		{"member;range=0-*", "member;range=0-*", adtest.BulkUsers},
	} {
		if n, v := get(c, tc.ask); n != tc.name || len(v) != tc.n {
			t.Errorf("Samba, %s: %s with %d values, want %s with %d", tc.ask, n, len(v), tc.name, tc.n)
		}
	}

	// Through RangedURL, a plain "member" is cut as Windows cuts it, and
	// the client must come back for the rest.
	rc, err := ldap.DialURL(dc.RangedURL)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if err := rc.Bind(dc.BindDN, dc.BindPassword); err != nil {
		t.Fatal(err)
	}
	n, first := get(rc, "member")
	if n != "member;range=0-1499" || len(first) != 1500 {
		t.Fatalf("RangedURL, member: %s with %d values", n, len(first))
	}
	n, rest := get(rc, "member;range=1500-*")
	if n != "member;range=1500-*" || len(rest) != 100 {
		t.Fatalf("RangedURL, member;range=1500-*: %s with %d values", n, len(rest))
	}
	all := map[string]bool{}
	for _, v := range append(first, rest...) {
		all[strings.ToLower(v)] = true
	}
	for i := 0; i < adtest.BulkUsers; i++ {
		if !all[strings.ToLower(adtest.BulkUser(i).DN())] {
			t.Fatalf("%s missing from the ranges", adtest.BulkUser(i).DN())
		}
	}
	// Small groups pass through unchanged, in subtree searches too.
	es := search(t, rc, adtest.GroupsBase, ldap.ScopeSingleLevel, "(objectClass=group)", "member", "sAMAccountName")
	for _, e := range es {
		n, v := memberValues(e)
		sam := e.GetAttributeValue("sAMAccountName")
		if sam == adtest.BigGroup && (n != "member;range=0-1499" || len(v) != 1500) {
			t.Errorf("RangedURL subtree, %s: %s with %d", sam, n, len(v))
		}
		if sam != adtest.BigGroup && n != "member" {
			t.Errorf("RangedURL subtree, %s: %s", sam, n)
		}
	}
}

func TestPagedResults(t *testing.T) {
	dc := adtest.Start(t)
	c := dc.Conn(t)
	res, err := c.SearchWithPaging(ldap.NewSearchRequest(adtest.BulkBase, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=user)", []string{"sAMAccountName"}, nil), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != adtest.BulkUsers {
		t.Errorf("%d users in pages of 100, want %d", len(res.Entries), adtest.BulkUsers)
	}
}

func TestUSNChanged(t *testing.T) {
	dc := adtest.Start(t)
	c := dc.Conn(t)
	root := search(t, c, "", ldap.ScopeBaseObject, "(objectClass=*)", "highestCommittedUSN")[0]
	mark, err := strconv.ParseInt(root.GetAttributeValue("highestCommittedUSN"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	var ito adtest.User
	for _, u := range adtest.Users {
		if u.SAM == adtest.MutableUser {
			ito = u
		}
	}
	m := ldap.NewModifyRequest(ito.DN(), nil)
	m.Replace("telephoneNumber", []string{"03-0000-" + strconv.FormatInt(mark%10000, 10)})
	if err := c.Modify(m); err != nil {
		t.Fatal(err)
	}
	got := sams(search(t, c, adtest.UsersBase, ldap.ScopeWholeSubtree,
		fmt.Sprintf("(&(objectClass=user)(uSNChanged>=%d))", mark+1), "sAMAccountName", "uSNChanged"))
	if !slices.Equal(got, []string{adtest.MutableUser}) {
		t.Errorf("changed since USN %d: %v, want [%s]", mark, got, adtest.MutableUser)
	}
}

func TestTLSAndBinds(t *testing.T) {
	dc := adtest.Start(t)
	pem, err := os.ReadFile(dc.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := ldap.DialURL(dc.LDAPSURL, ldap.DialWithTLSConfig(&tls.Config{RootCAs: pool}))
	if err != nil {
		t.Fatalf("LDAPS: %v", err)
	}
	defer c.Close()
	if err := c.Bind(dc.BindUPN, dc.BindPassword); err != nil {
		t.Fatalf("bind as %s: %v", dc.BindUPN, err)
	}
	// StartTLS on the plain port.
	p, err := ldap.DialURL(dc.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.StartTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	// Fixture users bind; the disabled one is refused with AD's 533.
	for _, u := range adtest.Users {
		err := c.Bind(u.DN(), adtest.UserPassword)
		if u.Disabled {
			if err == nil || !strings.Contains(err.Error(), "data 533") {
				t.Errorf("disabled %s: bind error %v, want data 533", u.SAM, err)
			}
		} else if err != nil {
			t.Errorf("bind as %s: %v", u.SAM, err)
		}
	}
}

func TestGUIDs(t *testing.T) {
	dc := adtest.Start(t)
	c := dc.Conn(t)
	guids := dc.GUIDs(t)
	if len(guids) < len(adtest.Users)+len(adtest.Groups)+adtest.BulkUsers {
		t.Fatalf("%d GUIDs", len(guids))
	}
	for _, sam := range []string{"yamada", "tanaka", "sales", adtest.BigGroup} {
		if g, w := guids[sam], dc.ObjectGUID(t, sam); g != w {
			t.Errorf("%s: GUIDs says %s, samba-tool %s", sam, g, w)
		}
	}
	for _, e := range search(t, c, adtest.BaseDN, ldap.ScopeWholeSubtree, "(|(objectClass=user)(objectClass=group))", "sAMAccountName", "objectGUID") {
		sam := e.GetAttributeValue("sAMAccountName")
		if g := guidString(e.GetRawAttributeValue("objectGUID")); guids[sam] != g {
			t.Fatalf("%s: GUIDs says %s, LDAP's bytes %s", sam, guids[sam], g)
		}
	}
}
