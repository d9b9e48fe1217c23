package scim

import (
	"strings"
	"time"
	"unicode/utf8"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/orgbridge/orgbridge/internal/store"
)

// A filter whose every part the store's index answers is run by the store
// (store.SCIMQuery), paged there too; any other is evaluated by the
// matcher over every stored resource of the type. The translation is
// exact, not approximate: the store's answer equals the matcher's, which
// TestIndexedFiltersMatchTheMatcher checks filter by filter. So what it
// translates follows the matcher's rules:
//
//   - userName, displayName and emails (the value of each element) compare
//     lower-cased (caseExact false), id and externalId exactly; co and ew
//     of these two are left to the matcher, as is any other attribute.
//   - emails[value op "x"] and emails[type eq "t" and value op "x"] ask for
//     one element; a value path of another shape goes to the matcher.
//   - meta.created and meta.lastModified compare as the matcher sees them,
//     at whole seconds (the form the library serves them in): `gt T` is a
//     stored time at or after T's second plus one, and so on.
//   - ne and not are the negation of the condition; eq null, a value that
//     is not a string and a URI other than the core schema's go to the
//     matcher.

// konst is what a part of a filter is known to be without the store.
type konst int

const (
	notConst konst = iota
	alwaysTrue
	alwaysFalse
)

// translated is a part of a filter as a store condition, or a constant.
type translated struct {
	f *store.SCIMFilter
	k konst
}

func constant(b bool) translated {
	if b {
		return translated{k: alwaysTrue}
	}
	return translated{k: alwaysFalse}
}

// storeFilter translates expr for resources of typ; ok is false when some
// part of it is not indexed. A nil result with ok is every resource; the
// constant false is reported by none.
func storeFilter(typ string, expr filter.Expression) (where *store.SCIMFilter, none, ok bool) {
	if expr == nil {
		return nil, false, true
	}
	t, ok := translate(typ, expr)
	if !ok {
		return nil, false, false
	}
	return t.f, t.k == alwaysFalse, true
}

func translate(typ string, expr filter.Expression) (translated, bool) {
	switch e := expr.(type) {
	case *filter.AttributeExpression:
		if e == nil {
			return translated{}, false
		}
		return translateAttr(typ, *e)
	case *filter.LogicalExpression:
		if e == nil || e.Left == nil || e.Right == nil {
			return translated{}, false
		}
		l, ok := translate(typ, e.Left)
		if !ok {
			return translated{}, false
		}
		r, ok := translate(typ, e.Right)
		if !ok {
			return translated{}, false
		}
		switch strings.ToLower(string(e.Operator)) {
		case string(filter.AND):
			return combine(store.SCIMAnd, l, r), true
		case string(filter.OR):
			return combine(store.SCIMOr, l, r), true
		}
		return translated{}, false
	case *filter.NotExpression:
		if e == nil || e.Expression == nil {
			return translated{}, false
		}
		t, ok := translate(typ, e.Expression)
		if !ok {
			return translated{}, false
		}
		return negate(t), true
	case *filter.ValuePath:
		if e == nil {
			return translated{}, false
		}
		return translateValuePath(typ, *e)
	}
	return translated{}, false
}

// combine is l op r (and, or), folding constants and flattening nested
// uses of the same operator.
func combine(op store.SCIMOp, l, r translated) translated {
	absorbing, neutral := alwaysFalse, alwaysTrue
	if op == store.SCIMOr {
		absorbing, neutral = alwaysTrue, alwaysFalse
	}
	switch {
	case l.k == absorbing || r.k == absorbing:
		return translated{k: absorbing}
	case l.k == neutral:
		return r
	case r.k == neutral:
		return l
	}
	out := &store.SCIMFilter{Op: op}
	for _, t := range []translated{l, r} {
		if t.f.Op == op {
			out.Args = append(out.Args, t.f.Args...)
		} else {
			out.Args = append(out.Args, t.f)
		}
	}
	return translated{f: out}
}

func negate(t translated) translated {
	switch t.k {
	case alwaysTrue:
		return constant(false)
	case alwaysFalse:
		return constant(true)
	}
	if t.f.Op == store.SCIMNot {
		return translated{f: t.f.Args[0]}
	}
	return translated{f: &store.SCIMFilter{Op: store.SCIMNot, Args: []*store.SCIMFilter{t.f}}}
}

// coreURI reports whether a path's URI, if any, is the core schema of typ.
func coreURI(typ string, p filter.AttributePath) bool {
	uri := p.URI()
	if uri == "" {
		return true
	}
	core := userSchema().ID
	if typ == TypeGroup {
		core = groupSchema().ID
	}
	return strings.EqualFold(uri, core)
}

// indexedAttr is the store attribute a root-level path names, if indexed.
func indexedAttr(typ string, p filter.AttributePath) (store.SCIMAttr, bool) {
	if !coreURI(typ, p) {
		return "", false
	}
	name, sub := p.AttributeName, p.SubAttributeName()
	is := func(s string) bool { return strings.EqualFold(name, s) }
	switch {
	case is("id") && sub == "":
		return store.SCIMAttrID, true
	case is("externalId") && sub == "":
		return store.SCIMAttrExternalID, true
	case is("meta") && strings.EqualFold(sub, "created"):
		return store.SCIMAttrCreated, true
	case is("meta") && strings.EqualFold(sub, "lastModified"):
		return store.SCIMAttrModified, true
	case is("displayName") && sub == "":
		return store.SCIMAttrDisplayName, true
	case typ == TypeUser && is("userName") && sub == "":
		return store.SCIMAttrUserName, true
	case typ == TypeUser && is("emails") && (sub == "" || strings.EqualFold(sub, "value")):
		// emails op x compares each element's value, as emails.value.
		return store.SCIMAttrEmails, true
	}
	return "", false
}

func translateAttr(typ string, e filter.AttributeExpression) (translated, bool) {
	attr, ok := indexedAttr(typ, e.AttributePath)
	if !ok {
		return translated{}, false
	}
	op := store.SCIMOp(strings.ToLower(string(e.Operator)))
	if attr == store.SCIMAttrEmails && e.AttributePath.SubAttribute == nil && op == store.SCIMPr {
		// emails pr is any sub-attribute of an element present, not
		// its value.
		return translated{}, false
	}
	return leaf(attr, "", op, e.CompareValue)
}

// leaf is the condition attr op cv (on emails of type tag, if not "").
func leaf(attr store.SCIMAttr, tag string, op store.SCIMOp, cv any) (translated, bool) {
	if op == store.SCIMPr {
		if attr == store.SCIMAttrCreated || attr == store.SCIMAttrModified || attr == store.SCIMAttrID {
			return constant(true), true // always set
		}
		return translated{f: &store.SCIMFilter{Op: op, Attr: attr, Tag: tag}}, true
	}
	negated := false
	if op == "ne" {
		op, negated = store.SCIMEq, true
	}
	s, ok := cv.(string)
	if !ok {
		return translated{}, false // eq null, numbers, booleans
	}
	s = unescape(s)
	var t translated
	switch attr {
	case store.SCIMAttrCreated, store.SCIMAttrModified:
		if t, ok = timeLeaf(attr, op, s); !ok {
			return translated{}, false
		}
	case store.SCIMAttrID, store.SCIMAttrExternalID:
		switch op {
		case store.SCIMEq, store.SCIMSw, store.SCIMGt, store.SCIMGe, store.SCIMLt, store.SCIMLe:
		default:
			return translated{}, false // co and ew would need a case-exact index
		}
		if !utf8.ValidString(s) || len(s) > maxIndexedValue {
			return translated{}, false
		}
		t = translated{f: &store.SCIMFilter{Op: op, Attr: attr, Value: s}}
	default:
		switch op {
		case store.SCIMEq, store.SCIMSw, store.SCIMCo, store.SCIMEw, store.SCIMGt, store.SCIMGe, store.SCIMLt, store.SCIMLe:
		default:
			return translated{}, false
		}
		if len(s) > maxIndexedValue {
			return translated{}, false
		}
		t = translated{f: &store.SCIMFilter{Op: op, Attr: attr, Tag: tag, Value: s}}
	}
	if negated {
		t = negate(t)
	}
	return t, true
}

// maxIndexedValue is the longest value the store compares (longer values
// are indexed by their beginning only).
const maxIndexedValue = 990

// timeLeaf is meta.created or meta.lastModified op s, as the matcher
// compares them: the stored time cut to whole seconds (the form served),
// against the time s.
func timeLeaf(attr store.SCIMAttr, op store.SCIMOp, s string) (translated, bool) {
	at := func(op store.SCIMOp, t time.Time) translated {
		return translated{f: &store.SCIMFilter{Op: op, Attr: attr, Time: t}}
	}
	switch op {
	case store.SCIMEq, store.SCIMGt, store.SCIMGe, store.SCIMLt, store.SCIMLe:
	default:
		return translated{}, false // co, sw, ew compare the text
	}
	t, ok := toTime(s)
	if !ok {
		return constant(false), true
	}
	floor := t.Truncate(time.Second)
	next := floor.Add(time.Second)
	ceil := floor
	if !floor.Equal(t) {
		ceil = next
	}
	switch op {
	case store.SCIMGt: // second(m) > t
		return at(store.SCIMGe, next), true
	case store.SCIMGe:
		return at(store.SCIMGe, ceil), true
	case store.SCIMLt:
		return at(store.SCIMLt, ceil), true
	case store.SCIMLe:
		return at(store.SCIMLt, next), true
	}
	if !floor.Equal(t) {
		return constant(false), true // no whole second equals t
	}
	return combine(store.SCIMAnd, at(store.SCIMGe, floor), at(store.SCIMLt, next)), true
}

// translateValuePath takes emails[value op "x"] and emails[type eq "t" and
// value op "x"] (either order): a condition on one element.
func translateValuePath(typ string, e filter.ValuePath) (translated, bool) {
	p := e.AttributePath
	if typ != TypeUser || !coreURI(typ, p) || !strings.EqualFold(p.AttributeName, "emails") || p.SubAttribute != nil || e.ValueFilter == nil {
		return translated{}, false
	}
	elemLeaf := func(x filter.Expression, name string) (filter.AttributeExpression, bool) {
		a, ok := x.(*filter.AttributeExpression)
		if !ok || a == nil || a.AttributePath.URIPrefix != nil || a.AttributePath.SubAttribute != nil ||
			!strings.EqualFold(a.AttributePath.AttributeName, name) {
			return filter.AttributeExpression{}, false
		}
		return *a, true
	}
	value := func(x filter.Expression, tag string) (translated, bool) {
		a, ok := elemLeaf(x, "value")
		op := store.SCIMOp(strings.ToLower(string(a.Operator)))
		if !ok || op == "ne" { // ne inside one element is no negation of the whole
			return translated{}, false
		}
		return leaf(store.SCIMAttrEmails, tag, op, a.CompareValue)
	}
	if t, ok := value(e.ValueFilter, ""); ok {
		return t, true
	}
	and, ok := e.ValueFilter.(*filter.LogicalExpression)
	if !ok || and == nil || !strings.EqualFold(string(and.Operator), string(filter.AND)) {
		return translated{}, false
	}
	for _, pair := range [][2]filter.Expression{{and.Left, and.Right}, {and.Right, and.Left}} {
		a, ok := elemLeaf(pair[0], "type")
		if !ok || !strings.EqualFold(string(a.Operator), string(filter.EQ)) {
			continue
		}
		tag, ok := a.CompareValue.(string)
		if tag = unescape(tag); !ok || tag == "" || len(tag) > maxIndexedValue {
			continue
		}
		return value(pair[1], tag)
	}
	return translated{}, false
}
