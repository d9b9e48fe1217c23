package stricttest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
	scimfilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/schema"
	fparser "github.com/scim2/filter-parser/v2"
)

// patch answers a PATCH (RFC 7644 §3.5.2), or 501 under PatchUnsupported.
func (s *Server) patch(w http.ResponseWriter, r *http.Request, kind, id string) {
	if s.opts.PatchUnsupported {
		writeError(w, http.StatusNotImplemented, "", "PATCH is not supported (ServiceProviderConfig patch.supported false): use PUT")
		return
	}
	s.patchAnyway(w, r, kind, id)
}

// patchAnyway parses, checks and applies a PATCH as one change: every
// operation in order on a copy, then the checks of a PUT over the result;
// any failure leaves the resource as it was. The answer is the resource,
// 200, as a GET renders it.
func (s *Server) patchAnyway(w http.ResponseWriter, r *http.Request, kind, id string) {
	doc, ok := s.lookup(kind, id)
	if !ok {
		writeError(w, http.StatusNotFound, "", fmt.Sprintf("Resource %s not found.", id))
		return
	}
	if !s.precondition(w, r, kind, id) {
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalidSyntax", "reading the body: "+err.Error())
		return
	}
	body, err := decodeObject(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalidSyntax", "the body is not a JSON object: "+err.Error())
		return
	}
	if !hasSchema(body, PatchOpURN) {
		writeError(w, http.StatusBadRequest, "invalidSyntax", "schemas must be ["+PatchOpURN+"]")
		return
	}
	ops, err := operations(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalidSyntax", err.Error())
		return
	}
	if n := s.opts.MaxOperations; n > 0 && len(ops) > n {
		detail := fmt.Sprintf("%d operations in one PATCH; at most %d (ServiceProviderConfig bulk.maxOperations)", len(ops), n)
		if s.opts.MaxOperationsStatus == http.StatusBadRequest {
			writeError(w, http.StatusBadRequest, "tooMany", detail)
		} else {
			writeError(w, http.StatusRequestEntityTooLarge, "", detail)
		}
		return
	}
	for i, op := range ops {
		if err := s.applyOp(kind, doc, op); err != nil {
			var se scimerrors.ScimError
			if !errors.As(err, &se) {
				se = scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidValue, Detail: err.Error()}
			}
			writeError(w, se.Status, string(se.ScimType), fmt.Sprintf("Operations[%d]: %s", i, se.Detail))
			return
		}
	}
	if doc, err = s.canonResource(kind, doc); err != nil {
		writeError(w, http.StatusBadRequest, "invalidValue", err.Error())
		return
	}
	valid, err := s.validate(kind, doc)
	if err == nil {
		_, err = s.commit(kind, id, valid)
	}
	if err != nil {
		var se scimerrors.ScimError
		if !errors.As(err, &se) {
			se = scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: err.Error()}
		}
		writeError(w, se.Status, string(se.ScimType), se.Detail)
		return
	}
	get := r.Clone(r.Context())
	get.Method = http.MethodGet
	get.Body = http.NoBody
	s.serve(w, get, "/"+kind+"/"+id)
}

// operation is one PATCH operation as sent.
type operation struct {
	op      string // add, remove or replace
	path    string
	hasPath bool
	value   any
}

// operations reads a PATCH body's Operations (member names compared
// without regard to case, RFC 7643 §2.1).
func operations(body map[string]any) ([]operation, error) {
	var list []any
	found := false
	for k, v := range body {
		if strings.EqualFold(k, "Operations") {
			found = true
			list, _ = v.([]any)
		}
	}
	if !found {
		return nil, fmt.Errorf(`the body has no "Operations" (RFC 7644 §3.5.2)`)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf(`"Operations" must be an array of one or more operations`)
	}
	ops := make([]operation, 0, len(list))
	for i, x := range list {
		obj, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("operation %d is not an object", i)
		}
		var o operation
		for k, v := range obj {
			switch strings.ToLower(k) {
			case "op":
				name, _ := v.(string)
				o.op = strings.ToLower(name)
			case "path":
				p, ok := v.(string)
				if !ok {
					return nil, fmt.Errorf("operation %d: path is not a string", i)
				}
				o.path, o.hasPath = p, true
			case "value":
				o.value = v
			default:
				return nil, fmt.Errorf("operation %d has %q: an operation has op, path and value only", i, k)
			}
		}
		switch o.op {
		case "add", "remove", "replace":
		default:
			return nil, fmt.Errorf("operation %d: op %v must be add, remove or replace", i, obj["op"])
		}
		if o.op != "remove" && o.value == nil {
			return nil, fmt.Errorf("operation %d: %s needs a value", i, o.op)
		}
		ops = append(ops, o)
	}
	return ops, nil
}

func patchError(status int, scimType scimerrors.ScimType, format string, args ...any) error {
	return scimerrors.ScimError{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

// target is where a path lands: the map holding the attribute and its
// definition.
type target struct {
	container map[string]any
	attr      schema.CoreAttribute
	schemaID  string
}

// resolve finds the attribute of a path in the resource's schemas,
// creating the extension's object when asked to.
func (s *Server) resolve(kind string, doc map[string]any, uri, name string, create bool) (target, error) {
	if strings.EqualFold(name, "id") || strings.EqualFold(name, "meta") || strings.EqualFold(name, "schemas") {
		return target{}, patchError(http.StatusBadRequest, scimerrors.ScimTypeMutability, "%s is read-only", name)
	}
	core := s.schemaOf(kind)
	switch {
	case uri == "" || strings.EqualFold(uri, core.ID):
		attrs := append(schema.Attributes{externalIDAttr()}, core.Attributes...)
		a, ok := findAttr(attrs, name)
		if !ok {
			return target{}, patchError(http.StatusBadRequest, scimerrors.ScimTypeInvalidPath, "%q is not an attribute of %s", name, core.ID)
		}
		return target{container: doc, attr: a, schemaID: core.ID}, nil
	case kind == userKind && strings.EqualFold(uri, EnterpriseURN):
		a, ok := findAttr(schema.ExtensionEnterpriseUser().Attributes, name)
		if !ok {
			return target{}, patchError(http.StatusBadRequest, scimerrors.ScimTypeInvalidPath, "%q is not an attribute of %s", name, EnterpriseURN)
		}
		ext, ok := doc[EnterpriseURN].(map[string]any)
		if !ok {
			ext = map[string]any{}
			if create {
				doc[EnterpriseURN] = ext
			}
		}
		return target{container: ext, attr: a, schemaID: EnterpriseURN}, nil
	default:
		return target{}, patchError(http.StatusBadRequest, scimerrors.ScimTypeInvalidPath, "schema %q is not one of this resource's", uri)
	}
}

// applyOp applies one operation to doc.
func (s *Server) applyOp(kind string, doc map[string]any, o operation) error {
	if !o.hasPath {
		// RFC 7644 §3.5.2.2: a remove needs a path.
		if o.op == "remove" {
			return patchError(http.StatusBadRequest, scimerrors.ScimTypeNoTarget, "remove without a path")
		}
		// §3.5.2.1/§3.5.2.3: the value is a set of attributes of the
		// resource; a name that is not one (as "name.givenName") is not
		// an attribute, and is refused as any unknown attribute is.
		obj, ok := o.value.(map[string]any)
		if !ok {
			return patchError(http.StatusBadRequest, scimerrors.ScimTypeInvalidValue, "without a path the value must be an object of attributes")
		}
		for _, k := range sortedKeys(obj) {
			if kind == userKind && strings.EqualFold(k, EnterpriseURN) {
				ext, ok := obj[k].(map[string]any)
				if !ok {
					return patchError(http.StatusBadRequest, scimerrors.ScimTypeInvalidValue, "%s must be an object", EnterpriseURN)
				}
				for _, ek := range sortedKeys(ext) {
					t, err := s.resolve(kind, doc, EnterpriseURN, ek, true)
					if err != nil {
						return patchError(http.StatusBadRequest, scimerrors.ScimTypeInvalidValue, "%s", err.(scimerrors.ScimError).Detail)
					}
					if err := set(o.op, t, ext[ek]); err != nil {
						return err
					}
				}
				continue
			}
			t, err := s.resolve(kind, doc, "", k, true)
			if err != nil {
				return patchError(http.StatusBadRequest, scimerrors.ScimTypeInvalidValue, "%s", err.(scimerrors.ScimError).Detail)
			}
			if err := set(o.op, t, obj[k]); err != nil {
				return err
			}
		}
		return nil
	}
	if kind == userKind && strings.EqualFold(o.path, EnterpriseURN) {
		// The extension as a whole: its attributes in the value.
		return s.applyOp(kind, doc, operation{op: o.op, value: map[string]any{EnterpriseURN: o.value}})
	}
	p, err := fparser.ParsePath([]byte(o.path))
	if err != nil {
		return patchError(http.StatusBadRequest, scimerrors.ScimTypeInvalidPath, "path %q: %v", o.path, err)
	}
	t, err := s.resolve(kind, doc, p.AttributePath.URI(), p.AttributePath.AttributeName, o.op != "remove")
	if err != nil {
		return err
	}
	sub := p.AttributePath.SubAttributeName()
	if p.SubAttribute != nil {
		sub = *p.SubAttribute
	}
	if sub != "" {
		sa, ok := findAttr(t.attr.SubAttributes(), sub)
		if !ok {
			return patchError(http.StatusBadRequest, scimerrors.ScimTypeInvalidPath, "%q has no sub-attribute %q", t.attr.Name(), sub)
		}
		sub = sa.Name()
	}
	name := t.attr.Name()
	if p.ValueExpression == nil {
		switch {
		case sub == "" && o.op == "remove":
			// §3.5.2.2: a single value is unassigned; a multi-valued
			// attribute without a filter loses ALL its values, whatever
			// value the operation carries.
			delete(t.container, name)
			return nil
		case sub == "":
			return set(o.op, t, o.value)
		case t.attr.MultiValued():
			// emails.value: every value's sub-attribute.
			list, _ := t.container[name].([]any)
			for _, x := range list {
				if obj, ok := x.(map[string]any); ok {
					setSub(o.op, obj, sub, o.value)
				}
			}
			return nil
		default:
			obj, ok := t.container[name].(map[string]any)
			if !ok {
				if o.op == "remove" {
					return nil
				}
				obj = map[string]any{}
				t.container[name] = obj
			}
			setSub(o.op, obj, sub, o.value)
			if len(obj) == 0 {
				delete(t.container, name)
			}
			return nil
		}
	}
	// A value filter: members[value eq "…"], emails[type eq "work"].value.
	if !t.attr.MultiValued() || !t.attr.HasSubAttributes() {
		return patchError(http.StatusBadRequest, scimerrors.ScimTypeInvalidPath, "a value filter on %q, which is not a multi-valued complex attribute", name)
	}
	match := scimfilter.NewFilterValidator(p.ValueExpression, schema.Schema{ID: t.schemaID, Attributes: t.attr.SubAttributes()})
	if err := match.Validate(); err != nil {
		return patchError(http.StatusBadRequest, scimerrors.ScimTypeInvalidFilter, "path %q: %v", o.path, err)
	}
	list, _ := t.container[name].([]any)
	var kept []any
	matched := 0
	for _, x := range list {
		obj, ok := x.(map[string]any)
		if !ok || match.PassesFilter(obj) != nil {
			kept = append(kept, x)
			continue
		}
		matched++
		switch {
		case o.op == "remove" && sub == "":
			continue // dropped
		case sub != "":
			setSub(o.op, obj, sub, o.value)
		default:
			nv, ok := o.value.(map[string]any)
			if !ok {
				return patchError(http.StatusBadRequest, scimerrors.ScimTypeInvalidValue, "path %q: the value must be an object", o.path)
			}
			cv, err := canonValue(t.attr, nv, name)
			if err != nil {
				return patchError(http.StatusBadRequest, scimerrors.ScimTypeInvalidValue, "%v", err)
			}
			if o.op == "replace" {
				obj = map[string]any{}
			}
			for k, v := range cv.(map[string]any) {
				obj[k] = v
			}
		}
		kept = append(kept, obj)
	}
	if matched == 0 && o.op != "remove" {
		// §3.5.2.3: no value matched the filter: noTarget, not an add.
		return patchError(http.StatusBadRequest, scimerrors.ScimTypeNoTarget, "path %q matches no value", o.path)
	}
	if len(kept) == 0 {
		delete(t.container, name)
	} else {
		t.container[name] = kept
	}
	return nil
}

// set applies add or replace of a whole attribute (§3.5.2.1, §3.5.2.3):
// a multi-valued one gains the values (add, skipping a value it already
// has) or is replaced by them; a complex one has the given sub-attributes
// set and keeps the others; any other is replaced.
func set(op string, t target, value any) error {
	name := t.attr.Name()
	cv, err := canonValue(t.attr, value, name)
	if err != nil {
		return patchError(http.StatusBadRequest, scimerrors.ScimTypeInvalidValue, "%v", err)
	}
	switch {
	case t.attr.MultiValued():
		values, ok := cv.([]any)
		if !ok {
			values = []any{cv}
		}
		if op == "replace" {
			t.container[name] = values
			return nil
		}
		list, _ := t.container[name].([]any)
	next:
		for _, v := range values {
			for _, have := range list {
				if sameValue(have, v) {
					continue next
				}
			}
			list = append(list, v)
		}
		t.container[name] = list
	case t.attr.HasSubAttributes():
		nv, ok := cv.(map[string]any)
		if !ok {
			t.container[name] = cv // the library answers the type
			return nil
		}
		obj, ok := t.container[name].(map[string]any)
		if !ok {
			obj = map[string]any{}
		}
		for k, v := range nv {
			obj[k] = v
		}
		t.container[name] = obj
	default:
		t.container[name] = cv
	}
	return nil
}

func setSub(op string, obj map[string]any, sub string, value any) {
	if op == "remove" {
		delete(obj, sub)
		return
	}
	obj[sub] = value
}
