package scim

import (
	"fmt"
	"maps"
	"net/http"
	"slices"

	libscim "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"
	"github.com/scim2/filter-parser/v2"
)

// applyPatch applies PATCH operations (RFC 7644 §3.5.2) to a document, in
// order. The library has validated each operation's path and value against
// the schemas (and lower-cased op); this applies them, including
// value-filtered paths such as emails[type eq "work"].value and
// members[value eq "…"].
func applyPatch(doc map[string]any, ops []libscim.PatchOperation, typ string, m matcher) error {
	p := patcher{doc: doc, m: m, typ: typ}
	for i, op := range ops {
		if op.Path == nil {
			values, ok := op.Value.(map[string]any)
			if !ok {
				return badPatch(i, "an operation without a path needs an object value")
			}
			for key, v := range values {
				path, err := filter.ParsePath([]byte(key))
				if err != nil {
					return badPatch(i, fmt.Sprintf("value key %q is not an attribute path", key))
				}
				if err := p.apply(op.Op, path, v); err != nil {
					return badPatch(i, err.Error())
				}
			}
			continue
		}
		if err := p.apply(op.Op, *op.Path, op.Value); err != nil {
			return badPatch(i, err.Error())
		}
	}
	return nil
}

func badPatch(i int, msg string) error {
	return scimerrors.ScimError{ScimType: scimerrors.ScimTypeInvalidValue, Status: http.StatusBadRequest,
		Detail: fmt.Sprintf("Operations[%d]: %s", i, msg)}
}

type patcher struct {
	doc map[string]any
	m   matcher
	typ string
}

// container returns the map an attribute path lives in: the document, or
// the extension's object for a URN-prefixed path (made when create is set).
func (p patcher) container(path filter.AttributePath, create bool) map[string]any {
	uri := path.URI()
	if uri == "" || uri == p.coreID() {
		return p.doc
	}
	key, ok := lowerKey(p.doc, uri)
	if obj, isObj := p.doc[key].(map[string]any); ok && isObj {
		return obj
	}
	if !create {
		return nil
	}
	obj := map[string]any{}
	p.doc[uri] = obj
	return obj
}

func (p patcher) coreID() string {
	if p.typ == TypeGroup {
		return schema.CoreGroupSchema().ID
	}
	return schema.CoreUserSchema().ID
}

// canonical returns the schema's spelling of an attribute name, so a
// PATCH that says "Active" stores "active".
func (p patcher) canonical(path filter.AttributePath) string {
	var attrs schema.Attributes
	switch {
	case path.URI() == EnterpriseURN:
		attrs = enterpriseSchema().Attributes
	case p.typ == TypeGroup:
		attrs = groupSchema().Attributes
	default:
		attrs = userSchema().Attributes
	}
	if a, ok := attrs.ContainsAttribute(path.AttributeName); ok {
		return a.Name()
	}
	return path.AttributeName
}

func (p patcher) apply(op string, path filter.Path, value any) error {
	attr := path.AttributePath
	c := p.container(attr, op != libscim.PatchOperationRemove)
	if c == nil {
		return nil // removing from an extension the resource lacks
	}
	key, exists := lowerKey(c, attr.AttributeName)
	if !exists {
		key = p.canonical(attr)
	}
	sub := attr.SubAttributeName()
	if sub == "" && path.SubAttribute != nil {
		sub = *path.SubAttribute
	}
	if path.ValueExpression != nil {
		return p.applyFiltered(op, c, key, path.ValueExpression, sub, value)
	}
	switch {
	case sub != "":
		return p.applySub(op, c, key, sub, value)
	case op == libscim.PatchOperationRemove:
		if value == nil {
			delete(c, key)
			return nil
		}
		list, _ := c[key].([]any)
		c[key] = without(list, value)
	case op == libscim.PatchOperationAdd:
		if list, ok := c[key].([]any); ok {
			c[key] = appendNew(list, value)
			return nil
		}
		setOrMerge(c, key, value)
	default: // replace
		setOrMerge(c, key, value)
	}
	return nil
}

// setOrMerge sets c[key] to value; where both are complex, it sets the
// sub-attributes value gives and keeps the others: adding to a complex
// attribute and replacing one do the same (RFC 7644 §3.5.2.1, §3.5.2.3).
func setOrMerge(c map[string]any, key string, value any) {
	if obj, ok := c[key].(map[string]any); ok {
		if sub, ok := value.(map[string]any); ok {
			maps.Copy(obj, sub)
			return
		}
	}
	c[key] = value
}

// applySub sets or removes one sub-attribute (name.givenName) of a complex
// attribute, or of every element of a multi-valued one.
func (p patcher) applySub(op string, c map[string]any, key, sub string, value any) error {
	switch cur := c[key].(type) {
	case []any:
		for _, e := range cur {
			if obj, ok := e.(map[string]any); ok {
				setSub(op, obj, sub, value)
			}
		}
		return nil
	case map[string]any:
		setSub(op, cur, sub, value)
		return nil
	case nil:
		if op == libscim.PatchOperationRemove {
			return nil
		}
		obj := map[string]any{}
		setSub(op, obj, sub, value)
		c[key] = obj
		return nil
	}
	return fmt.Errorf("%s is not a complex attribute", key)
}

func setSub(op string, obj map[string]any, sub string, value any) {
	k, _ := lowerKey(obj, sub)
	if op == libscim.PatchOperationRemove {
		delete(obj, k)
		return
	}
	obj[k] = value
}

// applyFiltered applies an operation to the elements of a multi-valued
// attribute that match a value filter. An add or replace that matches
// nothing adds an element built from the filter's eq terms, as Entra
// expects of emails[type eq "work"].value on a user without a work email.
func (p patcher) applyFiltered(op string, c map[string]any, key string, expr filter.Expression, sub string, value any) error {
	list, _ := c[key].([]any)
	var kept []any
	hit := false
	for _, e := range list {
		obj, ok := e.(map[string]any)
		if !ok || !p.m.match(obj, expr) {
			kept = append(kept, e)
			continue
		}
		hit = true
		switch {
		case op == libscim.PatchOperationRemove && sub == "":
			continue // drop the element
		case sub != "":
			setSub(op, obj, sub, value)
		default:
			if repl, ok := value.(map[string]any); ok {
				for k, v := range repl {
					obj[k] = v
				}
			}
		}
		kept = append(kept, obj)
	}
	if !hit && op != libscim.PatchOperationRemove {
		obj := eqTerms(expr)
		if obj == nil {
			return fmt.Errorf("no value of %s matches the filter, and the filter does not say how to make one", key)
		}
		if sub != "" {
			setSub(op, obj, sub, value)
		} else if repl, ok := value.(map[string]any); ok {
			for k, v := range repl {
				obj[k] = v
			}
		}
		kept = append(kept, obj)
	}
	if len(kept) == 0 {
		delete(c, key)
		return nil
	}
	c[key] = kept
	return nil
}

// eqTerms turns a filter of eq terms joined by and into the element they
// describe; nil for any other filter.
func eqTerms(expr filter.Expression) map[string]any {
	switch e := expr.(type) {
	case *filter.AttributeExpression:
		if e.Operator != filter.EQ || e.AttributePath.SubAttribute != nil || e.AttributePath.URIPrefix != nil {
			return nil
		}
		return map[string]any{e.AttributePath.AttributeName: e.CompareValue}
	case *filter.LogicalExpression:
		if e.Operator != filter.AND {
			return nil
		}
		l, r := eqTerms(e.Left), eqTerms(e.Right)
		if l == nil || r == nil {
			return nil
		}
		for k, v := range r {
			l[k] = v
		}
		return l
	}
	return nil
}

// sameValue compares two elements of a multi-valued attribute: complex
// elements by their "value" sub-attribute, others as they are.
func sameValue(a, b any) bool {
	ao, aok := a.(map[string]any)
	bo, bok := b.(map[string]any)
	if aok && bok {
		av, _ := ao["value"].(string)
		bv, _ := bo["value"].(string)
		return av != "" && av == bv
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// appendNew appends the values of value (one, or a list) that list has no
// same value of (sameValue).
func appendNew(list []any, value any) []any {
	for _, v := range valueList(value) {
		if !hasSame(list, v) {
			list = append(list, v)
		}
	}
	return list
}

// without removes the given values (Entra removes a member with
// {"op":"Remove","path":"members","value":[{"value":"id"}]}).
func without(list []any, value any) []any {
	drop := valueList(value)
	out := list[:0:0]
	for _, e := range list {
		if !hasSame(drop, e) {
			out = append(out, e)
		}
	}
	return out
}

// valueList is a patch value as a list: a list as it is, one value alone.
func valueList(value any) []any {
	if list, ok := value.([]any); ok {
		return list
	}
	return []any{value}
}

// hasSame reports whether list holds an element sameValue as v.
func hasSame(list []any, v any) bool {
	return slices.ContainsFunc(list, func(e any) bool { return sameValue(e, v) })
}
