package ldap

import (
	"fmt"
	"slices"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"
)

// normDN returns the canonical form of a DN used to compare DNs: attribute
// types and values folded to lower case, RDN components sorted, escapes
// normalised ("CN=Alice, OU=Sales" and "cn=alice,ou=sales" are equal).
// Values compare case-insensitively, which is right for the naming
// attributes directories use (cn, ou, uid, dc: caseIgnoreMatch).
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
			nr.Attributes[j] = &goldap.AttributeTypeAndValue{Type: strings.ToLower(a.Type), Value: strings.ToLower(a.Value)}
		}
		out.RDNs[i] = nr
	}
	return out.String()
}

// under reports whether the canonical DN dn is base itself or below it.
// An empty base is the root, above everything.
func under(dn, base string) bool {
	if base == "" {
		return true
	}
	return dn == base || strings.HasSuffix(dn, ","+base)
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
func parseDNList(key string, dns []string, base string) ([]string, []error) {
	var out []string
	var errs []error
	for i, raw := range dns {
		k := fmt.Sprintf("%s[%d]", key, i)
		if strings.TrimSpace(raw) == "" {
			errs = append(errs, fmt.Errorf("%s: empty DN", k))
			continue
		}
		n, err := normDN(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a DN: %v", k, raw, err))
			continue
		}
		if base != "" && !under(n, base) {
			errs = append(errs, fmt.Errorf("%s: %q is not under source.ldap.users.base_dn", k, raw))
			continue
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, errs
}
