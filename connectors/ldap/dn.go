package ldap

import (
	"fmt"
	"github.com/orgbridge/orgbridge/internal/config"
	"slices"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"
)

// normDN returns the canonical form of a DN used to compare DNs, wherever
// the source compares or maps DNs (a group's member to a user, a DN to a
// base, an include or exclude, the naming context): RFC 4514 parsing
// (go-ldap's ParseDN: escapes such as "\," and hex escapes such as "\2C"
// decoded, unescaped spaces around types and values dropped), then each
// value compared as RFC 4518 prepares a case-ignore string: folded to lower
// case, white space (any Unicode space) mapped to a space, leading and
// trailing spaces removed and inner runs of spaces collapsed to one (its
// insignificant space handling); attribute types folded to lower case, the
// components of a multi-valued RDN sorted, and the whole written back with
// go-ldap's escapes. So "UID=Kim,OU=SALES\,  EAST,DC=Example" and
// "uid=kim,ou=Sales\2C East,dc=example" are equal, as slapd and AD (both
// distinguishedNameMatch with caseIgnoreMatch values) hold them. Values
// compare case-insensitively, which is right for the naming attributes
// directories use (cn, ou, uid, dc: caseIgnoreMatch). What RFC 4518 does
// beyond that (NFKC, characters mapped to nothing) is not done.
func normDN(dn string) (string, error) {
	d, err := goldap.ParseDN(dn)
	if err != nil {
		return "", err
	}
	return normParsed(d), nil
}

func normParsed(d *goldap.DN) string {
	out := &goldap.DN{RDNs: make([]*goldap.RelativeDN, len(d.RDNs))}
	for i, r := range d.RDNs {
		nr := &goldap.RelativeDN{Attributes: make([]*goldap.AttributeTypeAndValue, len(r.Attributes))}
		for j, a := range r.Attributes {
			nr.Attributes[j] = &goldap.AttributeTypeAndValue{Type: strings.ToLower(a.Type), Value: normValue(a.Value)}
		}
		out.RDNs[i] = nr
	}
	return out.String()
}

// normValue prepares a decoded attribute value for comparison as RFC 4518
// does for caseIgnoreMatch: lower case, every white space character a
// space, leading and trailing spaces removed, inner runs of spaces one
// space; a value of spaces only is one space.
func normValue(v string) string {
	plain := v != "" && v[0] != ' ' && v[len(v)-1] != ' '
	for i := 0; plain && i < len(v); i++ {
		c := v[i]
		plain = ' ' < c && c <= '~' && !('A' <= c && c <= 'Z') || c == ' ' && v[i-1] != ' '
	}
	if plain {
		return v
	}
	f := strings.Fields(strings.ToLower(v))
	if len(f) == 0 {
		if v == "" {
			return ""
		}
		return " "
	}
	return strings.Join(f, " ")
}

// under reports whether the canonical DN dn is base itself or below it:
// base is the end of dn, after a comma that is not escaped (a value
// "a,ou=x" is written "a\,ou=x", and is not below ou=x). An empty base is
// the root, above everything.
func under(dn, base string) bool {
	if base == "" || dn == base {
		return true
	}
	i := len(dn) - len(base) - 1
	if i < 1 || dn[i] != ',' || dn[i+1:] != base {
		return false
	}
	// An odd run of backslashes before the comma escapes it ("\\" is a
	// backslash).
	n := 0
	for j := i - 1; j >= 0 && dn[j] == '\\'; j-- {
		n++
	}
	return n%2 == 0
}

// scopeRule is the include/exclude rule of orgs.include and orgs.exclude:
// canonical DNs. An entry is in scope when no include is set or it is at or
// below an included DN, and it is not at or below an excluded DN
// (exclusion wins).
type scopeRule struct {
	include, exclude []string
}

func (r scopeRule) in(ndn string) bool {
	for _, x := range r.exclude {
		if under(ndn, x) {
			return false
		}
	}
	if len(r.include) == 0 {
		return true
	}
	for _, x := range r.include {
		if under(ndn, x) {
			return true
		}
	}
	return false
}

// pathSep separates the names of an OU path.
const pathSep = "/"

// ouNames returns the values of the ou components of d's RDNs from depth
// (the number of RDNs of the base) up, top-down: the OU names between the
// base and the entry. self says whether the entry's own RDN counts (an OU's
// own path) or not (a user's parent path). Components other than ou (an AD
// CN=Users container) are not OUs and are left out. A name that holds the
// path separator "/" is an error, since the path could not be split back.
func ouNames(d *goldap.DN, baseDepth int, self bool) ([]string, error) {
	first := 1
	if self {
		first = 0
	}
	var names []string
	for i := len(d.RDNs) - baseDepth - 1; i >= first; i-- {
		for _, a := range d.RDNs[i].Attributes {
			if !strings.EqualFold(a.Type, "ou") {
				continue
			}
			if strings.Contains(a.Value, pathSep) {
				return nil, fmt.Errorf("OU name %q contains %q, the org path separator", a.Value, pathSep)
			}
			names = append(names, a.Value)
			break
		}
	}
	return names, nil
}

// ouPath joins ouNames with "/" ("本社/営業部/第一課"); "" for an entry
// directly under the base.
func ouPath(d *goldap.DN, baseDepth int, self bool) (string, error) {
	names, err := ouNames(d, baseDepth, self)
	if err != nil {
		return "", err
	}
	return strings.Join(names, pathSep), nil
}

// ouRDNValue is the ou value of an OU entry's own RDN, or "".
func ouRDNValue(d *goldap.DN) string {
	if len(d.RDNs) == 0 {
		return ""
	}
	for _, a := range d.RDNs[0].Attributes {
		if strings.EqualFold(a.Type, "ou") {
			return a.Value
		}
	}
	return ""
}

// parseDNList parses config DNs, each under base (canonical), returning
// canonical forms; problems name key[i].
func parseDNList(p *config.Problems, key string, dns []string, base string) []string {
	var out []string
	for i, raw := range dns {
		k := fmt.Sprintf("%s[%d]", key, i)
		if strings.TrimSpace(raw) == "" {
			p.Add(k, "empty DN")
			continue
		}
		n, err := normDN(raw)
		if err != nil {
			p.Add(k, "%q is not a DN: %v", raw, err)
			continue
		}
		if base != "" && !under(n, base) {
			p.Add(k, "%q is not under users.base_dn", raw)
			continue
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// parentInfo is what a user's parent DN gives the user: the canonical
// parent, and the user's OU path with its error.
type parentInfo struct {
	ndn     string
	path    string
	pathErr error
}

// parentCache caches parentInfo by parent DN as the server spells it: the
// users of one OU share it, so each entry's DN is parsed down to its own
// RDN only.
type parentCache map[string]*parentInfo

// maxParents bounds the cache (a directory with more distinct parents
// than that just parses more).
const maxParents = 1 << 16

// split returns the canonical form of a user's DN, the same as
// normDN(dn), and what its parent gives it (with ouPath(d, baseDepth,
// false) as its path). A DN whose first RDN is not plain (quotes, a
// multi-valued RDN, no parent) is parsed whole.
func (c *parentCache) split(dn string, baseDepth int) (string, *parentInfo, error) {
	i := firstRDNEnd(dn)
	if i < 0 {
		return c.whole(dn, baseDepth)
	}
	rdn, parent := dn[:i], dn[i+1:]
	p := (*c)[parent]
	if p == nil {
		pd, err := goldap.ParseDN(parent)
		if err != nil || len(pd.RDNs) == 0 {
			return c.whole(dn, baseDepth)
		}
		p = &parentInfo{ndn: normParsed(pd)}
		p.path, p.pathErr = ouPath(pd, baseDepth, true)
		if *c == nil {
			*c = parentCache{}
		}
		if len(*c) < maxParents {
			(*c)[parent] = p
		}
	}
	if n, ok := plainRDN(rdn); ok {
		return n + "," + p.ndn, p, nil
	}
	rd, err := goldap.ParseDN(rdn)
	if err != nil || len(rd.RDNs) != 1 {
		return c.whole(dn, baseDepth)
	}
	return normParsed(rd) + "," + p.ndn, p, nil
}

// plainRDN returns the canonical form of an RDN type=value whose type is a
// name and whose value is printable ASCII that needs no escape and has no
// insignificant space (no leading or trailing space, no run of spaces, no
// leading "#", none of "+,;<>\=): the whole of it in lower case, as
// normParsed gives it.
func plainRDN(rdn string) (string, bool) {
	eq := strings.IndexByte(rdn, '=')
	if eq < 1 || eq == len(rdn)-1 {
		return "", false
	}
	for i := 0; i < eq; i++ {
		c := rdn[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && ('0' <= c && c <= '9' || c == '-')) {
			return "", false
		}
	}
	v := rdn[eq+1:]
	if v[0] == ' ' || v[0] == '#' || v[len(v)-1] == ' ' {
		return "", false
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c < ' ' || c > '~':
			return "", false
		case c == '"' || c == '+' || c == ',' || c == ';' || c == '<' || c == '>' || c == '\\' || c == '=':
			return "", false
		case c == ' ' && v[i-1] == ' ':
			return "", false
		}
	}
	return strings.ToLower(rdn), true
}

func (c *parentCache) whole(dn string, baseDepth int) (string, *parentInfo, error) {
	d, err := goldap.ParseDN(dn)
	if err != nil {
		return "", nil, err
	}
	p := &parentInfo{}
	p.path, p.pathErr = ouPath(d, baseDepth, false)
	return normParsed(d), p, nil
}

// firstRDNEnd is the index of the comma that ends dn's first RDN, or -1
// when the RDN holds a quote, a "+" or a ";", or there is no comma.
func firstRDNEnd(dn string) int {
	for i := 0; i < len(dn); i++ {
		switch dn[i] {
		case '\\':
			i++
		case '"', '+', ';':
			return -1
		case ',':
			return i
		}
	}
	return -1
}
