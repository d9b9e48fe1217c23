package scim

import "strings"

// project returns doc restricted by the attributes / excludedAttributes query
// parameters (RFC 7644 §3.4.2.5). With attributes only the named attributes
// are kept, plus id, schemas and meta; with excludedAttributes the named ones
// are dropped, but never id or schemas. When both are given both apply,
// attributes first. Names are case-insensitive; "name.givenName" selects a
// sub-attribute (in every element of a multi-valued attribute), and
// URN-prefixed names reach into extensions. A value-filter path such as
// emails[type eq "work"].value stands for its attribute, "emails": Microsoft's
// test collection sends those, and the filter part cannot be honoured here.
// doc is not modified; the result shares nothing with it. Without any names
// doc itself is returned.
func project(doc map[string]any, attributes, excluded []string) map[string]any {
	if len(attributes) == 0 && len(excluded) == 0 {
		return doc
	}
	out := doc
	if len(attributes) > 0 {
		sel := newSelection(doc, attributes)
		for _, always := range []string{"id", "schemas", "meta"} {
			sel.add([]string{always})
		}
		out = keepSelected(out, sel)
	}
	if len(excluded) > 0 {
		sel := newSelection(out, excluded)
		// id and schemas are "returned: always", which exclusion cannot touch.
		delete(sel, "id")
		delete(sel, "schemas")
		out = dropSelected(out, sel)
	}
	return out
}

// selection is a tree of lowercased attribute names; a nil subtree selects
// the whole attribute.
type selection map[string]selection

func newSelection(doc map[string]any, names []string) selection {
	sel := selection{}
	for _, n := range names {
		if segs := attrSegments(doc, n); len(segs) > 0 {
			sel.add(segs)
		}
	}
	return sel
}

// add records a path; selecting a whole attribute wins over selecting parts.
func (s selection) add(segs []string) {
	key := strings.ToLower(segs[0])
	sub, seen := s[key]
	if len(segs) == 1 {
		s[key] = nil
		return
	}
	if seen && sub == nil {
		return // already whole
	}
	if sub == nil {
		sub = selection{}
		s[key] = sub
	}
	sub.add(segs[1:])
}

// attrSegments turns an attribute name into the keys leading to it in doc:
// "name.givenName" -> [name givenName], "urn:…:enterprise:2.0:User:manager.value"
// -> [urn:…:User manager value], "urn:…:core:2.0:User:userName" -> [userName].
// A value filter ("emails[type eq \"work\"].value") reduces to its attribute.
func attrSegments(doc map[string]any, name string) []string {
	name = strings.TrimSpace(name)
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = strings.TrimSpace(name[:i])
	}
	if name == "" {
		return nil
	}
	if !strings.HasPrefix(strings.ToLower(name), "urn:") {
		return splitDots(name)
	}
	if _, ok := lookup(doc, name); ok {
		return []string{name} // a whole extension
	}
	i := strings.LastIndexByte(name, ':')
	uri, rest := name[:i], name[i+1:]
	segs := splitDots(rest)
	if len(segs) == 0 {
		return nil
	}
	if _, ok := lookup(doc, uri); !ok && strings.Contains(strings.ToLower(uri), ":core:") {
		return segs // core schema attributes live at the top level
	}
	return append([]string{uri}, segs...)
}

func splitDots(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ".") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// keepSelected copies what sel selects from obj. Complex values keep only
// their selected parts and disappear when nothing is left.
func keepSelected(obj map[string]any, sel selection) map[string]any {
	out := map[string]any{}
	for k, v := range obj {
		sub, ok := sel[strings.ToLower(k)]
		if !ok {
			continue
		}
		if sub == nil {
			out[k] = deepCopy(v)
			continue
		}
		if kept, ok := keepIn(v, sub); ok {
			out[k] = kept
		}
	}
	return out
}

func keepIn(v any, sel selection) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		kept := keepSelected(x, sel)
		return kept, len(kept) > 0
	case []any, []map[string]any:
		var kept []any
		for _, e := range flatten(x) {
			if m, ok := e.(map[string]any); ok {
				if k := keepSelected(m, sel); len(k) > 0 {
					kept = append(kept, k)
				}
			}
		}
		return kept, len(kept) > 0
	default:
		return nil, false // a simple value has no sub-attributes
	}
}

// dropSelected copies obj without what sel selects.
func dropSelected(obj map[string]any, sel selection) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		sub, ok := sel[strings.ToLower(k)]
		switch {
		case !ok:
			out[k] = deepCopy(v)
		case sub == nil:
			// dropped
		default:
			out[k] = dropIn(v, sub)
		}
	}
	return out
}

func dropIn(v any, sel selection) any {
	switch x := v.(type) {
	case map[string]any:
		return dropSelected(x, sel)
	case []any, []map[string]any:
		l := flatten(x)
		out := make([]any, len(l))
		for i, e := range l {
			if m, ok := e.(map[string]any); ok {
				out[i] = dropSelected(m, sel)
			} else {
				out[i] = deepCopy(e)
			}
		}
		return out
	default:
		return deepCopy(v)
	}
}

// deepCopy copies the containers JSON decoding produces, so that callers may
// change the projection without touching the stored document.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return deepCopyMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i, e := range x {
			out[i] = deepCopyMap(e)
		}
		return out
	case []string:
		return append([]string(nil), x...)
	default:
		return v
	}
}

func deepCopyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopy(v)
	}
	return out
}

// splitAttrList splits a query value such as `userName,emails` or
// `emails[type eq "work"],name.givenName` on the commas outside brackets and
// quotes, trimming spaces and dropping empty items.
func splitAttrList(s string) []string {
	var (
		out      []string
		depth    int
		inQuote  bool
		escaped  bool
		start    int
		flushTil = func(end int) {
			if item := strings.TrimSpace(s[start:end]); item != "" {
				out = append(out, item)
			}
		}
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case inQuote:
			switch c {
			case '\\':
				escaped = true
			case '"':
				inQuote = false
			}
		case c == '"':
			inQuote = true
		case c == '[':
			depth++
		case c == ']':
			if depth > 0 {
				depth--
			}
		case c == ',' && depth == 0:
			flushTil(i)
			start = i + 1
		}
	}
	flushTil(len(s))
	return out
}
