package scimtarget

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	scimsource "github.com/orgbridge/orgbridge/connectors/scim"
	"github.com/orgbridge/orgbridge/mapping"
)

// The schema URNs the target writes and reads (RFC 7643 §8.7.1, §4.3).
const (
	userURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	patchURN      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// The canonical user fields an attributes entry may name besides the
// mapping's own attributes.
const (
	FieldLoginID = "login_id"
	FieldEmail   = "email"
	FieldName    = "name"
	// FieldKey is the source key, written on create (externalId by
	// default) and never read back.
	FieldKey = "key"
)

// DefaultAttributes is the attributes map a config starts from: the
// canonical fields, and the user attributes of the scim source
// (connectors/scim) at the SCIM attributes that source reads them from, so
// that a SCIM-to-SCIM relay maps them one to one (multi-valued ones: the
// work value). Suspension is always active (inverted).
var DefaultAttributes = defaultAttributes()

func defaultAttributes() map[string]string {
	m := map[string]string{
		FieldLoginID: "userName",
		FieldKey:     "externalId",
		FieldName:    "displayName",
		FieldEmail:   `emails[type eq "work"].value`,
		"phone":      `phoneNumbers[type eq "work"].value`,
	}
	for _, name := range []string{"givenName", "familyName", "middleName", "formattedName", "nickName", "title", "userType",
		"preferredLanguage", "locale", "timezone", "employeeNumber", "costCenter", "organization", "division", "department", "manager"} {
		m[name] = scimsource.Attribute(mapping.KindUser, name)
	}
	return m
}

// coreAttrs are the core User attributes (RFC 7643 §4.1) a path may name,
// by lower-case name: their sub-attributes ("" for a simple attribute) and
// whether they are multi-valued.
var coreAttrs = map[string]schemaAttr{
	"username":          {name: "userName"},
	"externalid":        {name: "externalId"},
	"displayname":       {name: "displayName"},
	"nickname":          {name: "nickName"},
	"profileurl":        {name: "profileUrl"},
	"title":             {name: "title"},
	"usertype":          {name: "userType"},
	"preferredlanguage": {name: "preferredLanguage"},
	"locale":            {name: "locale"},
	"timezone":          {name: "timezone"},
	"active":            {name: "active"},
	"name":              {name: "name", subs: []string{"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"}},
	"emails":            {name: "emails", multi: true, subs: []string{"value", "display"}},
	"phonenumbers":      {name: "phoneNumbers", multi: true, subs: []string{"value", "display"}},
	"ims":               {name: "ims", multi: true, subs: []string{"value", "display"}},
	"photos":            {name: "photos", multi: true, subs: []string{"value", "display"}},
	"addresses":         {name: "addresses", multi: true, subs: []string{"formatted", "streetAddress", "locality", "region", "postalCode", "country"}},
	"entitlements":      {name: "entitlements", multi: true, subs: []string{"value", "display"}},
	"roles":             {name: "roles", multi: true, subs: []string{"value", "display"}},
}

// enterpriseAttrs are the enterprise extension's (RFC 7643 §4.3).
var enterpriseAttrs = map[string]schemaAttr{
	"employeenumber": {name: "employeeNumber"},
	"costcenter":     {name: "costCenter"},
	"organization":   {name: "organization"},
	"division":       {name: "division"},
	"department":     {name: "department"},
	"manager":        {name: "manager", subs: []string{"value"}},
}

type schemaAttr struct {
	name  string
	subs  []string
	multi bool
}

// attrPath is one checked attribute path: a core or enterprise attribute,
// for a multi-valued one the type of the value it means, and a
// sub-attribute.
type attrPath struct {
	enterprise bool
	attr       string // the schema's spelling
	typ        string // multi-valued: the value's type ("work")
	sub        string // "" for a simple attribute
	multi      bool
	// boolean: the value is written as a JSON boolean (active).
	boolean bool
}

// userRef: the attribute names another user by its SCIM id (the
// enterprise manager, RFC 7643 §4.3), where orgbridge's model names the
// user by source key.
func (ap attrPath) userRef() bool { return ap.enterprise && ap.attr == "manager" }

// activePath is where a user's suspension goes (inverted).
var activePath = attrPath{attr: "active", boolean: true}

// attrMap is the checked attributes map: field or attribute name → path.
type attrMap map[string]attrPath

// parsePath reads an attribute path as RFC 7644 §3.10 writes one
// (userName, name.givenName, emails[type eq "work"].value, the enterprise
// extension's urn:…:User:department, or its attributes by their bare
// names) and checks it names a known attribute.
func parsePath(raw string) (attrPath, error) {
	s := strings.TrimSpace(raw)
	var ap attrPath
	if len(s) > len(enterpriseURN) && strings.EqualFold(s[:len(enterpriseURN)+1], enterpriseURN+":") {
		ap.enterprise = true
		s = s[len(enterpriseURN)+1:]
	} else if strings.HasPrefix(strings.ToLower(s), "urn:") {
		return ap, fmt.Errorf("%q: only the core User schema and the enterprise extension (%s) are known", raw, enterpriseURN)
	}
	name, rest := s, ""
	if i := strings.IndexAny(s, ".["); i >= 0 {
		name, rest = s[:i], s[i:]
	}
	table := coreAttrs
	if ap.enterprise {
		table = enterpriseAttrs
	}
	a, ok := table[strings.ToLower(name)]
	if !ok && !ap.enterprise {
		if a, ok = enterpriseAttrs[strings.ToLower(name)]; ok {
			ap.enterprise = true
		}
	}
	if !ok {
		return ap, fmt.Errorf("%q names no attribute of the core User schema or the enterprise extension", raw)
	}
	ap.attr, ap.multi = a.name, a.multi
	if a.multi {
		f, after, ok := strings.Cut(rest, "]")
		typ, okType := parseTypeFilter(strings.TrimPrefix(f, "["))
		if !strings.HasPrefix(rest, "[") || !ok || !okType {
			return ap, fmt.Errorf("%q: %s is multi-valued: say which value, as %s[type eq \"work\"].value", raw, a.name, a.name)
		}
		ap.typ, rest = typ, after
		if rest == "" {
			rest = ".value"
		}
	}
	if rest != "" {
		sub, ok := strings.CutPrefix(rest, ".")
		if !ok || len(a.subs) == 0 {
			return ap, fmt.Errorf("%q: %s has no sub-attributes", raw, a.name)
		}
		for _, known := range a.subs {
			if strings.EqualFold(known, sub) {
				ap.sub = known
			}
		}
		if ap.sub == "" {
			return ap, fmt.Errorf("%q: %s has no sub-attribute %q (known: %s)", raw, a.name, sub, strings.Join(a.subs, ", "))
		}
	} else if len(a.subs) > 0 {
		if a.name != "manager" {
			return ap, fmt.Errorf("%q: %s is complex: name a sub-attribute (%s)", raw, a.name, strings.Join(a.subs, ", "))
		}
		ap.sub = "value"
	}
	return ap, nil
}

// parseTypeFilter reads `type eq "work"`, the one value filter a path
// may carry.
func parseTypeFilter(f string) (string, bool) {
	fields := strings.Fields(f)
	if len(fields) != 3 || !strings.EqualFold(fields[0], "type") || !strings.EqualFold(fields[1], "eq") {
		return "", false
	}
	var typ string
	if json.Unmarshal([]byte(fields[2]), &typ) != nil || typ == "" {
		return "", false
	}
	return typ, true
}

// String is the path as a PATCH operation names it.
func (ap attrPath) String() string {
	s := ap.attr
	if ap.multi {
		s += "[type eq " + quote(ap.typ) + "]"
	}
	if ap.sub != "" {
		s += "." + ap.sub
	}
	if ap.enterprise {
		s = enterpriseURN + ":" + s
	}
	return s
}

// quote is a filter's or a path's comparison value: a JSON string (RFC
// 7644 §3.4.2.2), quotes and backslashes escaped, nothing else (no HTML
// escaping of <, > and &).
func quote(v string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

// filterEq is the filter `attr eq "value"`.
func filterEq(attr, value string) string { return attr + " eq " + quote(value) }

// resource is a SCIM resource as JSON decodes it, kept whole so that a PUT
// sends back what orgbridge does not map.
type resource map[string]any

// lookup is obj's member name, matched case-insensitively (RFC 7643 §2.1:
// attribute names are case-insensitive); "" when absent.
func lookup(obj map[string]any, name string) (string, any) {
	if v, ok := obj[name]; ok {
		return name, v
	}
	for k, v := range obj {
		if strings.EqualFold(k, name) {
			return k, v
		}
	}
	return "", nil
}

// container is the object ap's attribute lives in: the resource, or its
// enterprise extension (made when create is set).
func (ap attrPath) container(r resource, create bool) map[string]any {
	if !ap.enterprise {
		return r
	}
	k, v := lookup(r, enterpriseURN)
	if m, ok := v.(map[string]any); ok {
		return m
	}
	if !create {
		return nil
	}
	m := map[string]any{}
	if k == "" {
		k = enterpriseURN
	}
	r[k] = m
	return m
}

// get reads ap's value from r as text ("" when absent).
func (ap attrPath) get(r resource) string {
	obj := ap.container(r, false)
	if obj == nil {
		return ""
	}
	_, v := lookup(obj, ap.attr)
	if ap.multi {
		list, _ := v.([]any)
		if el := pickValue(list, ap.typ); el != nil {
			_, v = lookup(el, ap.sub)
			return text(v)
		}
		return ""
	}
	if ap.sub != "" {
		m, _ := v.(map[string]any)
		_, v = lookup(m, ap.sub)
	}
	return text(v)
}

// pickValue is the value of a multi-valued attribute with type typ
// (case-insensitively); failing that, the only value that has no type at
// all (servers that keep one e-mail often drop its type).
func pickValue(list []any, typ string) map[string]any {
	var untyped []map[string]any
	for _, item := range list {
		el, ok := item.(map[string]any)
		if !ok {
			continue
		}
		_, t := lookup(el, "type")
		if ts, _ := t.(string); strings.EqualFold(ts, typ) {
			return el
		} else if t == nil || ts == "" {
			untyped = append(untyped, el)
		}
	}
	if len(untyped) == 1 && len(list) == 1 {
		return untyped[0]
	}
	return nil
}

// set writes v as ap's value in r; "" removes it (for a multi-valued
// attribute, the value of that type).
func (ap attrPath) set(r resource, v string) {
	obj := ap.container(r, v != "")
	if obj == nil {
		return
	}
	k, cur := lookup(obj, ap.attr)
	if k == "" {
		k = ap.attr
	}
	switch {
	case ap.multi:
		list, _ := cur.([]any)
		el := pickValue(list, ap.typ)
		if v == "" {
			out := list[:0:0]
			for _, item := range list {
				if m, ok := item.(map[string]any); !ok || el == nil || !sameMap(m, el) {
					out = append(out, item)
				}
			}
			if len(out) == 0 {
				delete(obj, k)
			} else {
				obj[k] = out
			}
			return
		}
		if el == nil {
			el = map[string]any{"type": ap.typ}
			if len(list) == 0 {
				el["primary"] = true
			}
			obj[k] = append(list, el)
		}
		sk, _ := lookup(el, ap.sub)
		if sk == "" {
			sk = ap.sub
		}
		el[sk] = v
	case ap.sub != "":
		m, _ := cur.(map[string]any)
		if m == nil {
			if v == "" {
				return
			}
			m = map[string]any{}
			obj[k] = m
		}
		sk, _ := lookup(m, ap.sub)
		if sk == "" {
			sk = ap.sub
		}
		if v == "" {
			delete(m, sk)
			if len(m) == 0 {
				delete(obj, k)
			}
			return
		}
		m[sk] = v
	default:
		if v == "" {
			delete(obj, k)
			return
		}
		obj[k] = ap.value(v)
	}
}

func sameMap(a, b map[string]any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// text is a JSON value read leniently as text: a string as it is, a
// number or a boolean as JSON writes it, null and objects as "".
func text(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case bool, float64, json.Number:
		return fmt.Sprint(t)
	}
	return ""
}

// patchOp is one operation of a PATCH (RFC 7644 §3.5.2).
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

// patchOps are the operations that take ap from old to new: a replace,
// or a remove when new is empty; for a multi-valued attribute with no
// value of the type yet, an add of the whole value, since a replace
// through a filter that matches nothing is noTarget (§3.5.2.3).
func (ap attrPath) patchOps(old, new string) []patchOp {
	switch {
	case new == "" && ap.multi:
		p := ap
		p.sub = ""
		return []patchOp{{Op: "remove", Path: p.String()}}
	case new == "":
		return []patchOp{{Op: "remove", Path: ap.String()}}
	case ap.multi && old == "":
		p := attrPath{enterprise: ap.enterprise, attr: ap.attr}
		return []patchOp{{Op: "add", Path: p.String(), Value: []any{map[string]any{"type": ap.typ, ap.sub: new}}}}
	}
	return []patchOp{{Op: "replace", Path: ap.String(), Value: ap.value(new)}}
}

// value is v as JSON writes it: a boolean for active, else the text.
func (ap attrPath) value(v string) any {
	if ap.boolean {
		return v == "true"
	}
	return v
}
