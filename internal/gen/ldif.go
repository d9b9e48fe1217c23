package gen

import (
	"fmt"
	"io"
	"strconv"

	"github.com/go-ldap/ldap/v3"
)

// WriteLDIF writes the directory as LDIF content records (RFC 2849) for
// OpenLDAP, laid out as configs/ldap-openldap.yaml reads it:
//
//	ou=people,BASE                        users.base_dn; the org tree below it
//	ou=本社,ou=people,BASE                 (ou=本部001,ou=本社,… and so on down)
//	uid=e1000001,ou=<leaf>,…,ou=people,BASE   inetOrgPerson
//	ou=退職者,ou=people,BASE                the leavers (orgs.exclude)
//	ou=groups,BASE                        groupOfNames, member = users' DNs
//
// Parents come before children, so slapadd and ldapadd take it as it is;
// BASE itself is not written (the server's suffix). Suspended users carry
// pwdAccountLockedTime (ppolicy), which the LDAP source reads as disabled.
func (g *Generator) WriteLDIF(w io.Writer) error {
	l := NewLDIFWriter(w, 256<<10)
	base := g.opts.BaseDN
	people := "ou=people," + base
	ou := [2]string{"objectClass", "organizationalUnit"}
	l.Entry(people, ou, [2]string{"ou", "people"})
	var b []byte
	for k, n := range g.counts.Levels {
		for j := range n {
			b = g.appendDN(b[:0], k, j)
			name := g.orgName(k, j)
			l.Entry(string(b), ou, [2]string{"ou", name}, [2]string{"description", name})
		}
	}
	leavers := "ou=" + leaverOU + "," + people
	if g.counts.Leavers > 0 {
		l.Entry(leavers, ou, [2]string{"ou", leaverOU})
	}
	leafLevel := len(g.counts.Levels) - 1
	for u := range g.counts.Users {
		r := g.user(u)
		uid := "e" + strconv.Itoa(r.id)
		attrs := [][2]string{
			{"objectClass", "inetOrgPerson"},
			{"uid", uid},
			{"cn", r.sn + " " + r.gn},
			{"sn", r.sn},
			{"givenName", r.gn},
			{"displayName", r.sn + " " + r.gn},
			{"mail", "u" + strconv.Itoa(r.id) + "@example.co.jp"},
			{"employeeNumber", strconv.Itoa(r.id)},
		}
		if r.manager {
			attrs = append(attrs, [2]string{"title", "課長"}, [2]string{"employeeType", "manager"})
		}
		if r.status == StatusOnLeave {
			attrs = append(attrs, [2]string{"pwdAccountLockedTime", lockedTimestamp})
		}
		l.Entry(g.userDN(r, leafLevel, leavers), attrs...)
	}
	groups := "ou=groups," + base
	if g.counts.Groups > 0 {
		l.Entry(groups, ou, [2]string{"ou", "groups"})
	}
	for i := range g.counts.Groups {
		name := g.groupName(i)
		l.Line("dn", "cn="+ldap.EscapeDN(name)+","+groups)
		l.Line("objectClass", "groupOfNames")
		l.Line("cn", name)
		for k := g.blockStart(i); k < g.blockStart(i+1); k++ {
			l.Line("member", g.userDN(g.user(g.userAt(k%g.active)), leafLevel, leavers))
		}
		l.End()
	}
	if err := l.Flush(); err != nil {
		return fmt.Errorf("write LDIF: %w", err)
	}
	return nil
}

// userDN is the DN of user r: under its leaf OU, or under ou=退職者 for a
// leaver.
func (g *Generator) userDN(r user, leafLevel int, leavers string) string {
	b := append([]byte("uid=e"), strconv.Itoa(r.id)...)
	b = append(b, ',')
	if r.status == StatusLeaver {
		return string(append(b, leavers...))
	}
	return string(g.appendDN(b, leafLevel, r.leaf))
}

// appendDN appends the DN of org j of level k: its OU, its parents' OUs,
// then ou=people and the base.
func (g *Generator) appendDN(b []byte, k, j int) []byte {
	for ; k >= 0; k-- {
		b = append(b, "ou="...)
		b = append(b, ldap.EscapeDN(g.orgName(k, j))...)
		b = append(b, ',')
		j /= g.counts.Fanout
	}
	b = append(b, "ou=people,"...)
	return append(b, g.opts.BaseDN...)
}
