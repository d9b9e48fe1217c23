package ldaptest

import (
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// TestBaseFixture checks that BaseUsers, BaseGroups and BaseOUs say what
// base.ldif really holds once loaded: the tables are derived again here from
// the live server, independently of the hand-written values.
func TestBaseFixture(t *testing.T) {
	s := StartBase(t, Options{})
	c := s.Conn(t)

	// OUs.
	ous := search(t, c, s.BaseDN, "(objectClass=organizationalUnit)", "ou")
	if len(ous) != len(BaseOUs) {
		t.Errorf("%d OUs, want %d", len(ous), len(BaseOUs))
	}
	for _, want := range BaseOUs {
		e := findDN(ous, want.DN)
		if e == nil {
			t.Errorf("OU %s missing", want.DN)
			continue
		}
		if got := ouPath(t, e.DN, s.BaseDN); got != want.Path {
			t.Errorf("%s: path %q, want %q", e.DN, got, want.Path)
		}
	}

	// Users.
	users := search(t, c, s.BaseDN, "(objectClass=inetOrgPerson)",
		"uid", "cn", "sn", "givenName", "mail", "employeeNumber", "departmentNumber", "memberOf", "pwdAccountLockedTime", "entryUUID")
	if len(users) != len(BaseUsers) {
		t.Errorf("%d users, want %d", len(users), len(BaseUsers))
	}
	uidOf := map[string]string{} // lower-case normalised DN → uid
	for _, e := range users {
		uidOf[normDN(t, e.DN)] = e.GetAttributeValue("uid")
	}
	for _, want := range BaseUsers {
		e := findDN(users, want.DN)
		if e == nil {
			t.Errorf("user %s missing", want.DN)
			continue
		}
		if got := e.GetAttributeValue("uid"); got != want.UID {
			t.Errorf("%s: uid %q, want %q", e.DN, got, want.UID)
		}
		if got := ouPath(t, e.DN, s.BaseDN); got != want.OUPath {
			t.Errorf("%s: ou path %q, want %q", want.UID, got, want.OUPath)
		}
		if got := e.GetAttributeValues("mail"); !slices.Equal(got, want.Mail) && !(len(got) == 0 && len(want.Mail) == 0) {
			t.Errorf("%s: mail %q, want %q", want.UID, got, want.Mail)
		}
		if got := e.GetAttributeValue("employeeNumber") == ""; got != want.NoEmployeeNumber {
			t.Errorf("%s: employeeNumber %q", want.UID, e.GetAttributeValue("employeeNumber"))
		}
		if got := e.GetAttributeValue("pwdAccountLockedTime") != ""; got != want.Disabled {
			t.Errorf("%s: pwdAccountLockedTime %q, Disabled %v", want.UID, e.GetAttributeValue("pwdAccountLockedTime"), want.Disabled)
		}
		for _, a := range []string{"cn", "sn", "givenName", "departmentNumber", "entryUUID"} {
			if e.GetAttributeValue(a) == "" {
				t.Errorf("%s: no %s", want.UID, a)
			}
		}
		var memberOf []string
		for _, g := range e.GetAttributeValues("memberOf") {
			memberOf = append(memberOf, firstValue(t, g))
		}
		assertSet(t, want.UID+" memberOf", memberOf, want.MemberOf)
	}

	// Groups, and each user's groups derived from them.
	groups := search(t, c, s.BaseDN, "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))",
		"cn", "objectClass", "member", "uniqueMember", "memberUid")
	if len(groups) != len(BaseGroups) {
		t.Errorf("%d groups, want %d", len(groups), len(BaseGroups))
	}
	type node struct {
		cn, class    string
		users, posix []string // direct (posix: by memberUid)
		subs         []string // cn
	}
	byDN := map[string]*node{}
	for _, e := range groups {
		n := &node{cn: e.GetAttributeValue("cn")}
		for _, oc := range e.GetAttributeValues("objectClass") {
			switch oc {
			case "groupOfNames", "groupOfUniqueNames", "posixGroup":
				n.class = oc
			}
		}
		byDN[normDN(t, e.DN)] = n
	}
	knownUID := map[string]bool{}
	for _, u := range uidOf {
		knownUID[u] = true
	}
	for _, e := range groups {
		n := byDN[normDN(t, e.DN)]
		var dns []string
		dns = append(dns, e.GetAttributeValues("member")...)
		for _, v := range e.GetAttributeValues("uniqueMember") {
			// nameAndOptionalUID: drop a trailing #'…'B.
			if i := strings.LastIndex(v, "#'"); i >= 0 && strings.HasSuffix(v, "'B") {
				v = v[:i]
			}
			dns = append(dns, v)
		}
		for _, dn := range dns {
			k := normDN(t, dn)
			if uid, ok := uidOf[k]; ok {
				n.users = append(n.users, uid)
			} else if g, ok := byDN[k]; ok {
				n.subs = append(n.subs, g.cn)
			}
		}
		for _, uid := range e.GetAttributeValues("memberUid") {
			if knownUID[uid] {
				n.posix = append(n.posix, uid)
			}
		}
	}
	byCN := map[string]*node{}
	for _, n := range byDN {
		byCN[n.cn] = n
	}
	var closure func(cn string, seen map[string]bool) []string
	closure = func(cn string, seen map[string]bool) []string {
		if seen[cn] {
			return nil
		}
		seen[cn] = true
		n := byCN[cn]
		out := append(append([]string{}, n.users...), n.posix...)
		for _, sub := range n.subs {
			out = append(out, closure(sub, seen)...)
		}
		return out
	}
	for _, want := range BaseGroups {
		n := byCN[want.CN]
		if n == nil {
			t.Errorf("group %s missing", want.CN)
			continue
		}
		if n.class != want.ObjectClass {
			t.Errorf("%s: objectClass %s, want %s", want.CN, n.class, want.ObjectClass)
		}
		assertSet(t, want.CN+" direct users", append(append([]string{}, n.users...), n.posix...), want.DirectUsers)
		assertSet(t, want.CN+" subgroups", n.subs, want.SubGroups)
		assertSet(t, want.CN+" users", dedup(closure(want.CN, map[string]bool{})), want.Users)
	}
	if n := byCN["大部屋"]; n == nil || len(n.users) <= 5 {
		t.Error("大部屋 must have more members than a page of 5")
	}
	for _, want := range BaseUsers {
		var direct, nested, posix []string
		for cn, n := range byCN {
			if n.class == "posixGroup" {
				if slices.Contains(n.posix, want.UID) {
					posix = append(posix, cn)
				}
				continue
			}
			if slices.Contains(n.users, want.UID) {
				direct = append(direct, cn)
			}
			if slices.Contains(closure(cn, map[string]bool{}), want.UID) {
				nested = append(nested, cn)
			}
		}
		assertSet(t, want.UID+" direct groups", direct, want.DirectGroups)
		assertSet(t, want.UID+" groups", nested, want.Groups)
		assertSet(t, want.UID+" posix groups", posix, want.PosixGroups)
	}
}

func findDN(entries []*ldap.Entry, dn string) *ldap.Entry {
	want, err := ldap.ParseDN(dn)
	if err != nil {
		return nil
	}
	for _, e := range entries {
		if got, err := ldap.ParseDN(e.DN); err == nil && got.EqualFold(want) {
			return e
		}
	}
	return nil
}

// normDN is a DN in a form for map keys: parsed and re-joined, lower case.
func normDN(t *testing.T, dn string) string {
	t.Helper()
	d, err := ldap.ParseDN(dn)
	if err != nil {
		t.Fatalf("parse DN %q: %v", dn, err)
	}
	var parts []string
	for _, r := range d.RDNs {
		var as []string
		for _, a := range r.Attributes {
			as = append(as, strings.ToLower(a.Type)+"="+strings.ToLower(a.Value))
		}
		slices.Sort(as)
		parts = append(parts, strings.Join(as, "+"))
	}
	return strings.Join(parts, ",")
}

// ouPath is the contract's ou_path of dn below base: the ou values of the
// RDNs between them, top-down, joined by "/".
func ouPath(t *testing.T, dn, base string) string {
	t.Helper()
	d, err := ldap.ParseDN(dn)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ldap.ParseDN(base)
	if err != nil {
		t.Fatal(err)
	}
	rdns := d.RDNs[:len(d.RDNs)-len(b.RDNs)]
	var path []string
	for i := len(rdns) - 1; i >= 0; i-- {
		if a := rdns[i].Attributes[0]; strings.EqualFold(a.Type, "ou") {
			path = append(path, a.Value)
		}
	}
	return strings.Join(path, "/")
}

func firstValue(t *testing.T, dn string) string {
	t.Helper()
	d, err := ldap.ParseDN(dn)
	if err != nil {
		t.Fatal(err)
	}
	return d.RDNs[0].Attributes[0].Value
}

func dedup(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func assertSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g := dedup(append([]string{}, got...))
	w := dedup(append([]string{}, want...))
	if len(g) != len(got) {
		t.Errorf("%s: duplicates in %q", what, got)
	}
	if !slices.Equal(g, w) {
		t.Errorf("%s: %q, want %q", what, g, w)
	}
}
