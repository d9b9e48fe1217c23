package scim_test

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// This file is a generic SCIM client: it knows nothing of orgbridge's
// schemas but what /Schemas and /ResourceTypes say, builds its model from
// them (RFC 7643 §7), builds resources from that model only and checks every
// answer against it, as an independent RFC 7643/7644 checker would.

// attrDef is an attribute definition as /Schemas serves it.
type attrDef struct {
	Name            string    `json:"name"`
	Type            string    `json:"type"`
	MultiValued     bool      `json:"multiValued"`
	Required        bool      `json:"required"`
	Mutability      string    `json:"mutability"`
	Returned        string    `json:"returned"`
	CanonicalValues []string  `json:"canonicalValues"`
	ReferenceTypes  []string  `json:"referenceTypes"`
	SubAttributes   []attrDef `json:"subAttributes"`
}

type schemaDef struct {
	ID         string    `json:"id"`
	Attributes []attrDef `json:"attributes"`
}

type resourceTypeDef struct {
	Name             string `json:"name"`
	Endpoint         string `json:"endpoint"`
	Schema           string `json:"schema"`
	SchemaExtensions []struct {
		Schema   string `json:"schema"`
		Required bool   `json:"required"`
	} `json:"schemaExtensions"`
}

// model is what a client knows after discovery.
type model struct {
	schemas map[string]schemaDef
	types   map[string]resourceTypeDef
}

var attrTypes = map[string]bool{"string": true, "boolean": true, "decimal": true, "integer": true,
	"dateTime": true, "binary": true, "reference": true, "complex": true}

// discover reads /Schemas and /ResourceTypes and checks that they are
// complete enough to build a model from: every attribute has a known type,
// a reference its referenceTypes (RFC 7643 §2.3.7), a complex attribute its
// subAttributes; every resource type's schemas are served.
func discover(t *testing.T, e *env) model {
	t.Helper()
	m := model{schemas: map[string]schemaDef{}, types: map[string]resourceTypeDef{}}
	var schemas struct {
		Resources []schemaDef `json:"Resources"`
	}
	decodeInto(t, e.list(t, "Schemas"), &schemas)
	if len(schemas.Resources) == 0 {
		t.Fatal("/Schemas lists no schema")
	}
	var check func(where string, attrs []attrDef, sub bool)
	check = func(where string, attrs []attrDef, sub bool) {
		for _, a := range attrs {
			at := where + "." + a.Name
			if a.Name == "" || !attrTypes[a.Type] {
				t.Errorf("%s: type %q", at, a.Type)
			}
			if a.Type == "reference" && len(a.ReferenceTypes) == 0 {
				t.Errorf("%s: a reference without referenceTypes", at)
			}
			if a.Type == "complex" {
				if sub {
					t.Errorf("%s: a complex sub-attribute", at)
				}
				if len(a.SubAttributes) == 0 {
					t.Errorf("%s: complex without subAttributes", at)
				}
				check(at, a.SubAttributes, true)
			}
		}
	}
	for _, s := range schemas.Resources {
		check(s.ID, s.Attributes, false)
		m.schemas[s.ID] = s
		// Each schema is served by itself too.
		var one schemaDef
		_, body := e.must(t, http.StatusOK, http.MethodGet, "/scim/v2/Schemas/"+s.ID, "")
		decodeInto(t, body, &one)
		if !equalJSON(one, s) {
			t.Errorf("/Schemas/%s differs from its entry in /Schemas", s.ID)
		}
	}
	var types struct {
		Resources []resourceTypeDef `json:"Resources"`
	}
	typeList := e.list(t, "ResourceTypes")
	decodeInto(t, typeList, &types)
	// Schemas and resource types are resources too (RFC 7643 §6, §7):
	// meta.location is their absolute URL, the Content-Location of a GET
	// of it; a page's itemsPerPage is its number of resources.
	for kind, list := range map[string]map[string]any{"Schema": e.list(t, "Schemas"), "ResourceType": typeList} {
		if n := len(resources(t, list)); list["itemsPerPage"] != float64(n) {
			t.Errorf("%s list: itemsPerPage %v, %d resources", kind, list["itemsPerPage"], n)
		}
		for _, r := range resources(t, list) {
			loc := str(r, "meta", "location")
			if str(r, "meta", "resourceType") != kind || !strings.HasPrefix(loc, e.srv.URL+"/scim/v2/"+kind+"s/") {
				t.Errorf("%s %s: meta %v", kind, str(r, "id"), r["meta"])
				continue
			}
			h, one := e.must(t, http.StatusOK, http.MethodGet, strings.TrimPrefix(loc, e.srv.URL), "")
			if h.Get("Content-Location") != loc || !equalJSON(one, r) {
				t.Errorf("GET %s: Content-Location %q, body %v", loc, h.Get("Content-Location"), one)
			}
		}
	}
	for _, rt := range types.Resources {
		if _, ok := m.schemas[rt.Schema]; !ok {
			t.Errorf("resource type %s: schema %s is not in /Schemas", rt.Name, rt.Schema)
		}
		for _, x := range rt.SchemaExtensions {
			if _, ok := m.schemas[x.Schema]; !ok {
				t.Errorf("resource type %s: extension %s is not in /Schemas", rt.Name, x.Schema)
			}
		}
		m.types[rt.Name] = rt
	}
	return m
}

func decodeInto(t testing.TB, v, out any) {
	t.Helper()
	if err := json.Unmarshal([]byte(jsonBody(t, v)), out); err != nil {
		t.Fatal(err)
	}
}

// ref is a resource a reference may point at.
type ref struct{ id, location string }

// build makes a value for every attribute a client may write (not
// readOnly), from the attribute's definition alone. refs are the resources
// of each type a reference may point at; a complex attribute with a $ref
// gets value and $ref of one of them, or is left out when there is none.
func build(attrs []attrDef, refs map[string]ref, tag string) map[string]any {
	out := map[string]any{}
	for _, a := range attrs {
		if a.Mutability == "readOnly" {
			continue
		}
		v, ok := buildValue(a, refs, tag)
		if !ok {
			continue
		}
		if a.MultiValued {
			v = []any{v}
		}
		out[a.Name] = v
	}
	return out
}

func buildValue(a attrDef, refs map[string]ref, tag string) (any, bool) {
	switch a.Type {
	case "string":
		if len(a.CanonicalValues) > 0 {
			return a.CanonicalValues[0], true
		}
		return tag + "-" + a.Name, true
	case "boolean":
		return true, true
	case "decimal":
		return 1.5, true
	case "integer":
		return 7, true
	case "dateTime":
		return "2026-01-02T03:04:05Z", true
	case "binary":
		return base64.StdEncoding.EncodeToString([]byte(tag)), true
	case "reference":
		for _, rt := range a.ReferenceTypes {
			if r, ok := refs[rt]; ok {
				return r.location, true
			}
		}
		return "https://example.com/" + tag + "/" + a.Name, true
	case "complex":
		var target *ref
		for _, s := range a.SubAttributes {
			if s.Name != "$ref" {
				continue
			}
			for _, rt := range s.ReferenceTypes {
				if r, ok := refs[rt]; ok {
					target = &r
					break
				}
			}
			if target == nil && !hasAny(s.ReferenceTypes, "external", "uri") {
				return nil, false
			}
		}
		v := build(a.SubAttributes, refs, tag)
		if target != nil {
			v["value"] = target.id
			v["$ref"] = target.location
		}
		return v, len(v) > 0
	}
	return nil, false
}

func hasAny(list []string, want ...string) bool {
	for _, s := range list {
		for _, w := range want {
			if s == w {
				return true
			}
		}
	}
	return false
}

// body is a whole resource of type rt built from the model.
func (m model) body(t *testing.T, rt string, refs map[string]ref, tag string) map[string]any {
	t.Helper()
	typ, ok := m.types[rt]
	if !ok {
		t.Fatalf("no resource type %s in /ResourceTypes", rt)
	}
	b := build(m.schemas[typ.Schema].Attributes, refs, tag)
	schemas := []any{typ.Schema}
	for _, x := range typ.SchemaExtensions {
		b[x.Schema] = build(m.schemas[x.Schema].Attributes, refs, tag)
		schemas = append(schemas, x.Schema)
	}
	b["schemas"] = schemas
	return b
}

// checkResource checks that every attribute of a resource the server sent
// is in the model with its declared type, that none returned "never" is
// there, and that meta.location is the absolute URL of the resource.
func (m model) checkResource(t *testing.T, e *env, rt string, res map[string]any) {
	t.Helper()
	typ := m.types[rt]
	exts := map[string]bool{}
	for _, x := range typ.SchemaExtensions {
		exts[x.Schema] = true
	}
	for k, v := range res {
		switch {
		case k == "schemas":
			list, ok := v.([]any)
			if !ok || len(list) == 0 || list[0] != typ.Schema {
				t.Errorf("%s: schemas %v", rt, v)
			}
		case exts[k]:
			obj, ok := v.(map[string]any)
			if !ok {
				t.Errorf("%s: extension %s is %T", rt, k, v)
				continue
			}
			checkAttrs(t, rt+"."+k, m.schemas[k].Attributes, obj)
		default:
			checkAttrs(t, rt, m.schemas[typ.Schema].Attributes, map[string]any{k: v})
		}
	}
	want := e.srv.URL + "/scim/v2" + typ.Endpoint + "/" + str(res, "id")
	if loc := str(res, "meta", "location"); loc != want {
		t.Errorf("%s: meta.location %q, want %q", rt, loc, want)
	}
}

func checkAttrs(t *testing.T, where string, defs []attrDef, obj map[string]any) {
	t.Helper()
	for k, v := range obj {
		var def *attrDef
		for i := range defs {
			if strings.EqualFold(defs[i].Name, k) {
				def = &defs[i]
			}
		}
		at := where + "." + k
		if def == nil {
			t.Errorf("%s: not in the model", at)
			continue
		}
		if def.Returned == "never" {
			t.Errorf("%s: returned never, but returned", at)
		}
		if def.MultiValued {
			list, ok := v.([]any)
			if !ok {
				t.Errorf("%s: multi-valued, but %T", at, v)
				continue
			}
			for _, x := range list {
				checkValue(t, at, *def, x)
			}
			continue
		}
		checkValue(t, at, *def, v)
	}
}

func checkValue(t *testing.T, at string, def attrDef, v any) {
	t.Helper()
	bad := func() { t.Errorf("%s: %s, but %T %v", at, def.Type, v, v) }
	switch def.Type {
	case "string":
		if _, ok := v.(string); !ok {
			bad()
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad()
		}
	case "decimal":
		if _, ok := v.(float64); !ok {
			bad()
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != math.Trunc(f) {
			bad()
		}
	case "dateTime":
		if s, ok := v.(string); !ok {
			bad()
		} else if _, err := time.Parse(time.RFC3339, s); err != nil {
			bad()
		}
	case "binary":
		if s, ok := v.(string); !ok {
			bad()
		} else if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			bad()
		}
	case "reference":
		s, ok := v.(string)
		if !ok {
			bad()
			break
		}
		if u, err := url.Parse(s); err != nil || (hasAny(def.ReferenceTypes, "uri") && !u.IsAbs()) {
			t.Errorf("%s: reference %q is not an absolute URI", at, s)
		}
	case "complex":
		obj, ok := v.(map[string]any)
		if !ok {
			bad()
			break
		}
		checkAttrs(t, at, def.SubAttributes, obj)
	default:
		bad()
	}
}

// checkSent checks that every attribute sent that the model says is
// returned came back as sent.
func (m model) checkSent(t *testing.T, rt string, sent, got map[string]any) {
	t.Helper()
	typ := m.types[rt]
	check := func(where string, defs []attrDef, sent, got map[string]any) {
		for _, d := range defs {
			v, ok := sent[d.Name]
			if !ok || d.Returned == "never" {
				continue
			}
			if !equalJSON(got[d.Name], v) {
				t.Errorf("%s.%s: sent %v, got back %v", where, d.Name, v, got[d.Name])
			}
		}
	}
	check(rt, m.schemas[typ.Schema].Attributes, sent, got)
	for _, x := range typ.SchemaExtensions {
		s, _ := sent[x.Schema].(map[string]any)
		g, _ := got[x.Schema].(map[string]any)
		check(rt+"."+x.Schema, m.schemas[x.Schema].Attributes, s, g)
	}
}

// roundTrip POSTs a resource built from the model, GETs it back and checks
// both answers against the model.
func (m model) roundTrip(t *testing.T, e *env, rt string, body map[string]any) map[string]any {
	t.Helper()
	endpoint := "/scim/v2" + m.types[rt].Endpoint
	h, created := e.must(t, http.StatusCreated, http.MethodPost, endpoint, jsonBody(t, body))
	m.checkResource(t, e, rt, created)
	loc := str(created, "meta", "location")
	if h.Get("Location") != loc {
		t.Errorf("%s: Location %q, meta.location %q", rt, h.Get("Location"), loc)
	}
	h, got := e.must(t, http.StatusOK, http.MethodGet, strings.TrimPrefix(loc, e.srv.URL), "")
	m.checkResource(t, e, rt, got)
	if h.Get("Content-Location") != loc {
		t.Errorf("%s: GET Content-Location %q, meta.location %q", rt, h.Get("Content-Location"), loc)
	}
	m.checkSent(t, rt, body, got)
	return got
}

// TestClientModelRoundTrip builds a client's model from /Schemas and
// /ResourceTypes, then round-trips Users and a Group built from that model
// only: POST, GET, PATCH, PUT, DELETE.
func TestClientModelRoundTrip(t *testing.T) {
	e := newEnv(t)
	m := discover(t, e)

	// The first User can reference nothing; the second references the
	// first (the enterprise manager); the Group has the second as member.
	first := m.roundTrip(t, e, "User", m.body(t, "User", nil, "first"))
	refs := map[string]ref{"User": {str(first, "id"), str(first, "meta", "location")}}
	userBody := m.body(t, "User", refs, "second")
	user := m.roundTrip(t, e, "User", userBody)
	refs = map[string]ref{"User": {str(user, "id"), str(user, "meta", "location")}}
	groupBody := m.body(t, "Group", refs, "group")
	group := m.roundTrip(t, e, "Group", groupBody)
	if ids := memberValues(group); len(ids) != 1 || ids[0] != str(user, "id") {
		t.Errorf("group members %v, want [%s]", ids, str(user, "id"))
	}

	// PATCH and PUT, then GET: the answers are still the model's.
	for _, c := range []struct {
		rt   string
		res  map[string]any
		body map[string]any
	}{{"User", user, userBody}, {"Group", group, groupBody}} {
		path := strings.TrimPrefix(str(c.res, "meta", "location"), e.srv.URL)
		e.must(t, http.StatusNoContent, http.MethodPatch, path,
			patchBody(t, map[string]any{"op": "replace", "path": "displayName", "value": "patched " + c.rt}))
		_, got := e.must(t, http.StatusOK, http.MethodGet, path, "")
		m.checkResource(t, e, c.rt, got)
		if str(got, "displayName") != "patched "+c.rt {
			t.Errorf("%s after PATCH: displayName %q", c.rt, str(got, "displayName"))
		}
		c.body["displayName"] = "put " + c.rt
		h, put := e.must(t, http.StatusOK, http.MethodPut, path, jsonBody(t, c.body))
		m.checkResource(t, e, c.rt, put)
		m.checkSent(t, c.rt, c.body, put)
		if h.Get("Content-Location") != str(put, "meta", "location") {
			t.Errorf("%s PUT: Content-Location %q, meta.location %q", c.rt, h.Get("Content-Location"), str(put, "meta", "location"))
		}
	}

	for _, res := range []map[string]any{group, user, first} {
		path := strings.TrimPrefix(str(res, "meta", "location"), e.srv.URL)
		e.must(t, http.StatusNoContent, http.MethodDelete, path, "")
		status, h, body := e.do(t, http.MethodGet, path, "")
		assertSCIMError(t, status, h, body, http.StatusNotFound, "")
	}
	if n := total(e.list(t, "Users")); n != 0 {
		t.Errorf("%d users left", n)
	}
}
