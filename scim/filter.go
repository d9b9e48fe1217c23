package scim

import (
	"cmp"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/orgbridge/orgbridge/internal/store"
)

// matcher evaluates parsed SCIM filters against full representations.
// The library only validates filters; applying them is the handler's job, and
// its own Validator.PassesFilter panics on unexpected types, so we keep our own.
type matcher struct {
	core       schema.Schema
	extensions []schema.Schema
}

// newMatcher returns a matcher for resources of the core schema and its
// extensions. The common attributes (id, externalId, meta, schemas) are added
// to the core schema when it lacks them, because the library's core schemas
// leave them out but filters use them all the time.
func newMatcher(core schema.Schema, extensions ...schema.Schema) matcher {
	attrs := make(schema.Attributes, 0, len(core.Attributes)+4)
	attrs = append(attrs, core.Attributes...)
	for _, a := range schema.CommonAttributes() {
		if _, ok := attrs.ContainsAttribute(a.Name()); !ok {
			attrs = append(attrs, a)
		}
	}
	core.Attributes = attrs
	return matcher{core: core, extensions: append([]schema.Schema(nil), extensions...)}
}

// attrDef is what the schemas say about an attribute; the zero value stands
// for an attribute no schema describes (compared case-insensitively, typed by
// the filter's value).
type attrDef struct {
	known bool
	attr  schema.CoreAttribute
}

func (d attrDef) typ() string {
	if !d.known {
		return ""
	}
	return d.attr.AttributeType()
}

func (d attrDef) sub(name string) attrDef {
	if !d.known {
		return attrDef{}
	}
	a, ok := d.attr.SubAttributes().ContainsAttribute(name)
	return attrDef{known: ok, attr: a}
}

func defIn(attrs schema.Attributes, name string) attrDef {
	a, ok := attrs.ContainsAttribute(name)
	return attrDef{known: ok, attr: a}
}

// match reports whether doc matches expr. A nil expr (no filter) matches
// everything; an expression of an unknown type matches nothing.
func (m matcher) match(doc map[string]any, expr filter.Expression) bool {
	if expr == nil {
		return true
	}
	return m.eval(doc, m.core.Attributes, true, expr)
}

// eval evaluates expr against obj, whose attributes attrs describes. root is
// false inside a value path, where names are relative to one element and
// URNs and extensions do not apply.
func (m matcher) eval(obj map[string]any, attrs schema.Attributes, root bool, expr filter.Expression) bool {
	switch e := expr.(type) {
	case *filter.AttributeExpression:
		if e == nil {
			return false
		}
		return m.evalAttr(obj, attrs, root, *e)
	case *filter.LogicalExpression:
		if e == nil {
			return false
		}
		return m.evalLogical(obj, attrs, root, *e)
	case *filter.NotExpression:
		if e == nil || e.Expression == nil {
			return false
		}
		return !m.eval(obj, attrs, root, e.Expression)
	case *filter.ValuePath:
		if e == nil {
			return false
		}
		return m.evalValuePath(obj, attrs, root, *e)
	default:
		return false
	}
}

func (m matcher) evalLogical(obj map[string]any, attrs schema.Attributes, root bool, e filter.LogicalExpression) bool {
	if e.Left == nil || e.Right == nil {
		return false
	}
	switch strings.ToLower(string(e.Operator)) {
	case string(filter.AND):
		return m.eval(obj, attrs, root, e.Left) && m.eval(obj, attrs, root, e.Right)
	case string(filter.OR):
		return m.eval(obj, attrs, root, e.Left) || m.eval(obj, attrs, root, e.Right)
	default:
		return false
	}
}

// evalValuePath matches when any element of the attribute passes the value
// filter, e.g. emails[type eq "work" and value co "@example.com"].
func (m matcher) evalValuePath(obj map[string]any, attrs schema.Attributes, root bool, e filter.ValuePath) bool {
	if e.ValueFilter == nil {
		return false
	}
	values, def := m.resolve(obj, attrs, root, e.AttributePath)
	var subAttrs schema.Attributes
	if def.known {
		subAttrs = def.attr.SubAttributes()
	}
	for _, v := range values {
		if elem, ok := v.(map[string]any); ok && m.eval(elem, subAttrs, false, e.ValueFilter) {
			return true
		}
	}
	return false
}

func (m matcher) evalAttr(obj map[string]any, attrs schema.Attributes, root bool, e filter.AttributeExpression) bool {
	values, def := m.resolve(obj, attrs, root, e.AttributePath)
	op := strings.ToLower(string(e.Operator))
	cv := e.CompareValue
	if s, ok := cv.(string); ok {
		cv = unescape(s)
	}
	anyPresent := func() bool {
		for _, v := range values {
			if present(v) {
				return true
			}
		}
		return false
	}
	anyEqual := func() bool {
		if cv == nil { // eq null: the attribute has no value
			return !anyPresent()
		}
		for _, v := range values {
			if compare(v, "eq", cv, def) {
				return true
			}
		}
		return false
	}
	switch op {
	case string(filter.PR):
		return anyPresent()
	case string(filter.EQ):
		return anyEqual()
	case string(filter.NE):
		// "Not equal" is the negation of eq: a missing attribute is not equal
		// to anything, and a multi-valued one is "ne" only when no value is.
		return !anyEqual()
	case string(filter.CO), string(filter.SW), string(filter.EW),
		string(filter.GT), string(filter.GE), string(filter.LT), string(filter.LE):
		if cv == nil {
			return false
		}
		for _, v := range values {
			if compare(v, op, cv, def) {
				return true
			}
		}
		return false
	default:
		return false
	}
}

// resolve returns the values an attribute path selects in obj (multi-valued
// attributes flattened) and what the schemas say about the last path element.
func (m matcher) resolve(obj map[string]any, attrs schema.Attributes, root bool, p filter.AttributePath) ([]any, attrDef) {
	name := p.AttributeName
	container := obj
	if root {
		container, attrs = m.container(obj, p.URI(), name)
	}
	if container == nil {
		return nil, attrDef{}
	}
	raw, ok := lookup(container, name)
	if !ok {
		return nil, attrDef{}
	}
	def := defIn(attrs, name)
	sub := p.SubAttributeName()
	if sub == "" {
		return flatten(raw), def
	}
	var out []any
	for _, v := range flatten(raw) {
		if elem, ok := v.(map[string]any); ok {
			if sv, ok := lookup(elem, sub); ok {
				out = append(out, flatten(sv)...)
			}
		}
	}
	return out, def.sub(sub)
}

// container finds the map holding a root-level attribute and the schema
// attributes describing it: the document itself for core attributes, or the
// URN-keyed object of an extension. An unprefixed name missing at the top
// level is looked up in the extensions, as RFC 7644 lets clients omit the URN.
func (m matcher) container(doc map[string]any, uri, name string) (map[string]any, schema.Attributes) {
	if uri != "" {
		if strings.EqualFold(uri, m.core.ID) {
			return doc, m.core.Attributes
		}
		var attrs schema.Attributes
		for _, ext := range m.extensions {
			if strings.EqualFold(uri, ext.ID) {
				attrs = ext.Attributes
				break
			}
		}
		v, _ := lookup(doc, uri)
		c, _ := v.(map[string]any)
		return c, attrs
	}
	if _, ok := lookup(doc, name); ok {
		return doc, m.core.Attributes
	}
	for _, ext := range m.extensions {
		v, _ := lookup(doc, ext.ID)
		if c, ok := v.(map[string]any); ok {
			if _, ok := lookup(c, name); ok {
				return c, ext.Attributes
			}
		}
	}
	return nil, nil
}

// lookup is store.DocLookup: the store's index reads documents the same
// way, so that a filter answered from it and one matched here agree.
func lookup(m map[string]any, name string) (any, bool) { return store.DocLookup(m, name) }

// flatten turns a multi-valued attribute into its elements and a single value
// into a one-element list.
func flatten(v any) []any {
	switch l := v.(type) {
	case []any:
		return l
	case []string:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out
	case []map[string]any:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out
	default:
		return []any{v}
	}
}

// present implements "pr": a non-empty value; a complex or multi-valued
// attribute is present when something inside it is.
func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case map[string]any:
		for _, e := range x {
			if present(e) {
				return true
			}
		}
		return false
	case []any, []string, []map[string]any:
		for _, e := range flatten(x) {
			if present(e) {
				return true
			}
		}
		return false
	default:
		return true
	}
}

// compare applies one comparison operator (not pr or ne) to one value.
func compare(v any, op string, cv any, def attrDef) bool {
	if v == nil {
		return false
	}
	if obj, ok := v.(map[string]any); ok {
		// A complex value without a sub-attribute compares its "value",
		// so `emails co "example.com"` works as in RFC 7644's examples.
		inner, ok := lookup(obj, "value")
		if !ok {
			return false
		}
		if _, nested := inner.(map[string]any); nested {
			return false
		}
		return compare(inner, op, cv, def.sub("value"))
	}
	switch def.typ() {
	case "dateTime":
		return compareTime(v, op, cv)
	case "boolean":
		return compareBool(v, op, cv)
	case "decimal", "integer":
		return compareNumber(v, op, cv)
	case "string", "reference", "binary":
		return compareString(v, op, cv, def.attr.CaseExact())
	}
	// No schema type: let the filter's value decide.
	switch cv.(type) {
	case bool:
		return compareBool(v, op, cv)
	case string:
		return compareString(v, op, cv, false)
	default:
		return compareNumber(v, op, cv)
	}
}

func compareString(v any, op string, cv any, caseExact bool) bool {
	a, ok1 := toString(v)
	b, ok2 := toString(cv)
	if !ok1 || !ok2 {
		return false
	}
	return compareStrings(a, op, b, caseExact)
}

// compareStrings compares lexicographically for gt/ge/lt/le, as RFC 7644
// says, after lowercasing when the attribute is not case-exact.
func compareStrings(a, op, b string, caseExact bool) bool {
	if !caseExact {
		a, b = strings.ToLower(a), strings.ToLower(b)
	}
	switch op {
	case "co":
		return strings.Contains(a, b)
	case "sw":
		return strings.HasPrefix(a, b)
	case "ew":
		return strings.HasSuffix(a, b)
	}
	return compareOrdered(a, op, b)
}

// compareBool accepts "true"/"True" strings on either side because some
// clients (Azure AD among them) store and send booleans as strings.
func compareBool(v any, op string, cv any) bool {
	a, ok1 := toBool(v)
	b, ok2 := toBool(cv)
	return ok1 && ok2 && op == "eq" && a == b
}

func compareNumber(v any, op string, cv any) bool {
	switch op {
	case "co", "sw", "ew": // substring operators only make sense on the text
		return compareString(v, op, cv, false)
	}
	a, ok1 := toFloat(v)
	b, ok2 := toFloat(cv)
	if !ok1 || !ok2 {
		return false
	}
	return compareOrdered(a, op, b)
}

func compareTime(v any, op string, cv any) bool {
	switch op {
	case "co", "sw", "ew":
		return compareString(v, op, cv, false)
	}
	a, ok1 := toTime(v)
	b, ok2 := toTime(cv)
	if !ok1 || !ok2 {
		return false
	}
	return compareOrdered(a.Compare(b), op, 0)
}

func compareOrdered[T cmp.Ordered](a T, op string, b T) bool {
	switch op {
	case "eq":
		return a == b
	case "gt":
		return a > b
	case "ge":
		return a >= b
	case "lt":
		return a < b
	case "le":
		return a <= b
	default:
		return false
	}
}

func toString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case json.Number:
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case uint:
		return strconv.FormatUint(uint64(x), 10), true
	default:
		return "", false
	}
}

func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch s := strings.TrimSpace(x); {
		case strings.EqualFold(s, "true"):
			return true, true
		case strings.EqualFold(s, "false"):
			return false, true
		}
	}
	return false, false
}

// toFloat also parses numeric strings: numbers pushed as strings are common.
// NaN and infinities are refused so that they never compare.
func toFloat(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case int32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case uint:
		f = float64(x)
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, false
		}
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// dateTimeLayouts are RFC 3339 (fractional seconds are accepted by
// time.Parse even when the layout has none) and the xsd:dateTime form
// without a zone, read as UTC.
var dateTimeLayouts = [...]string{time.RFC3339, "2006-01-02T15:04:05"}

func toTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		s := strings.TrimSpace(x)
		for _, layout := range dateTimeLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// unescape decodes the JSON escapes the filter parser leaves in string
// values (`"a\"b"` reaches us as `a\"b`); undecodable text is kept as is.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var out string
	if err := json.Unmarshal([]byte(`"`+s+`"`), &out); err != nil {
		return s
	}
	return out
}

// normalizeFilter makes a lenient filter string parseable by quoting
// comparison values that are bare words, e.g. `userName sw O` becomes
// `userName sw "O"` and `meta.created gt 2015-10-10T14:38:21-07:00` gets its
// timestamp quoted; Microsoft's SCIM test collection sends such filters.
// Filters that already parse are returned unchanged, and so is the input when
// quoting does not make it parse, so that errors quote what the client sent.
//
// A filter quoting leaves as it is, as identity providers send theirs, is
// returned without being parsed: whether it parses or not, the answer is
// s. Parsing it here cost as much as the library's own parse of it, an
// eighth of the CPU of a GET by userName among 100,000 users.
func normalizeFilter(s string) string {
	out := quoteBareValues(s)
	if out == s || parses(s) || !parses(out) {
		return s
	}
	return out
}

// parses reports whether the filter parser accepts s; a panic in the parser
// counts as a rejection.
func parses(s string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	_, err := filter.ParseFilter([]byte(s))
	return err == nil
}

type tokenKind int

const (
	tokSpace tokenKind = iota
	tokWord
	tokString
	tokPunct // one of ( ) [ ]
)

type token struct {
	kind tokenKind
	text string
}

// tokenize splits a filter into spaces, quoted strings (escapes included,
// possibly unterminated), brackets/parentheses and words; concatenating the
// tokens gives back s.
func tokenize(s string) []token {
	var toks []token
	for i := 0; i < len(s); {
		start := i
		switch c := s[i]; {
		case isSpace(c):
			for i < len(s) && isSpace(s[i]) {
				i++
			}
			toks = append(toks, token{tokSpace, s[start:i]})
		case c == '"':
			i++
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			i = min(i+1, len(s))
			toks = append(toks, token{tokString, s[start:i]})
		case c == '(' || c == ')' || c == '[' || c == ']':
			i++
			toks = append(toks, token{tokPunct, s[start:i]})
		default:
			for i < len(s) && !isSpace(s[i]) && !strings.ContainsRune(`"()[]`, rune(s[i])) {
				i++
			}
			toks = append(toks, token{tokWord, s[start:i]})
		}
	}
	return toks
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// quoteBareValues walks the tokens with a small state machine (attribute,
// operator, value, logical operator) and quotes words in value position that
// are not true, false, null or a JSON number. Everything else is kept.
func quoteBareValues(s string) string {
	const (
		wantAttr = iota
		wantOp
		wantValue
		wantLogic
	)
	toks := tokenize(strings.TrimSpace(s))
	state := wantAttr
	var b strings.Builder
	for i, t := range toks {
		text := t.text
		switch t.kind {
		case tokSpace:
			text = " " // the grammar only knows SP
		case tokPunct:
			switch text {
			case "(":
				state = wantAttr
			case "[":
				state = wantAttr
			case ")", "]":
				state = wantLogic
			}
		case tokString:
			if state == wantValue {
				state = wantLogic
			}
		case tokWord:
			lower := strings.ToLower(text)
			switch state {
			case wantAttr:
				if lower == "not" && nextIsOpenParen(toks[i+1:]) {
					break
				}
				state = wantOp
			case wantOp:
				switch lower {
				case "pr":
					state = wantLogic
				case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
					state = wantValue
				}
			case wantValue:
				if !isLiteral(lower) {
					text = quote(text)
				}
				state = wantLogic
			case wantLogic:
				if lower == "and" || lower == "or" {
					state = wantAttr
				}
			}
		}
		b.WriteString(text)
	}
	return b.String()
}

func nextIsOpenParen(toks []token) bool {
	for _, t := range toks {
		if t.kind != tokSpace {
			return t.kind == tokPunct && t.text == "("
		}
	}
	return false
}

// isLiteral reports whether a lowercased bare word is a valid compare value
// as it stands: true, false, null or a JSON number.
func isLiteral(w string) bool {
	switch w {
	case "true", "false", "null":
		return true
	}
	return isJSONNumber(w)
}

// isJSONNumber checks the RFC 8259 number grammar: -?int frac? exp?.
func isJSONNumber(s string) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// quote writes w as a filter string. Only the escapes the filter grammar
// knows are used (\uXXXX with upper-case hex), so strconv.Quote and
// json.Marshal do not fit.
func quote(w string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range w {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xF])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
