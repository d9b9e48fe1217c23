package stricttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"

	libscim "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	"github.com/google/uuid"
)

// Resource is a snapshot of one stored User or Group.
type Resource struct {
	ID         string
	ExternalID string // "" when it has none
	// Attributes as stored: the schemas' attribute names, the enterprise
	// extension under EnterpriseURN, JSON values (string, bool,
	// json.Number, []any, map[string]any); no id, externalId or meta.
	Attributes map[string]any
	Version    int
}

// Get returns the value at a path: "userName", "name.givenName",
// EnterpriseURN+":department"; nil when absent.
func (r Resource) Get(path string) any {
	m := r.Attributes
	if rest, ok := strings.CutPrefix(path, EnterpriseURN+":"); ok {
		m, _ = m[EnterpriseURN].(map[string]any)
		path = rest
	}
	name, sub, dotted := strings.Cut(path, ".")
	v := m[name]
	if dotted {
		inner, _ := v.(map[string]any)
		return inner[sub]
	}
	return v
}

// String is Get as a string ("" when absent or not a string).
func (r Resource) String(path string) string {
	s, _ := r.Get(path).(string)
	return s
}

// Members returns a Group's member ids, sorted.
func (r Resource) Members() []string {
	var ids []string
	list, _ := r.Attributes["members"].([]any)
	for _, m := range list {
		if obj, ok := m.(map[string]any); ok {
			if v, ok := obj["value"].(string); ok {
				ids = append(ids, v)
			}
		}
	}
	sort.Strings(ids)
	return ids
}

// Users returns every stored User, in creation order.
func (s *Server) Users() []Resource { return s.snapshot(userKind) }

// Groups returns every stored Group, in creation order.
func (s *Server) Groups() []Resource { return s.snapshot(groupKind) }

func (s *Server) snapshot(kind string) []Resource {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Resource, 0, len(s.table(kind)))
	for _, st := range s.sorted(kind) {
		r := Resource{ID: st.id, Attributes: deepCopy(st.attrs).(map[string]any), Version: st.version}
		if st.externalID != nil {
			r.ExternalID = *st.externalID
		}
		out = append(out, r)
	}
	return out
}

func (s *Server) table(kind string) map[string]*stored {
	if kind == userKind {
		return s.users
	}
	return s.groups
}

// sorted lists a kind in creation order; s.mu held.
func (s *Server) sorted(kind string) []*stored {
	list := make([]*stored, 0, len(s.table(kind)))
	for _, st := range s.table(kind) {
		list = append(list, st)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	return list
}

// commit stores a validated document (the schemas' attribute names, with
// externalId and the extension) as resource id of kind, or as a new one
// when id is "", after the checks the library does not make: a non-empty
// userName unique without regard to case, a non-empty displayName,
// members that exist.
func (s *Server) commit(kind, id string, doc map[string]any) (*stored, error) {
	doc = deepCopy(doc).(map[string]any)
	var externalID *string
	for k, v := range doc {
		if strings.EqualFold(k, "externalId") {
			delete(doc, k)
			if str, ok := v.(string); ok {
				externalID = &str
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var existing *stored
	if id != "" {
		var ok bool
		if existing, ok = s.table(kind)[id]; !ok {
			return nil, scimerrors.ScimErrorResourceNotFound(id)
		}
	}
	switch kind {
	case userKind:
		name, _ := doc["userName"].(string)
		if strings.TrimSpace(name) == "" {
			return nil, scimError(http.StatusBadRequest, scimerrors.ScimTypeInvalidValue, "userName is required and must not be empty")
		}
		if s.opts.FoldUserName {
			name = strings.ToLower(name)
			doc["userName"] = name
		}
		for _, u := range s.users {
			if u.id != id && strings.EqualFold(u.attrs["userName"].(string), name) {
				return nil, scimError(http.StatusConflict, scimerrors.ScimTypeUniqueness, "userName %q is taken by User %s (compared without regard to case)", name, u.id)
			}
		}
	case groupKind:
		if name, _ := doc["displayName"].(string); strings.TrimSpace(name) == "" {
			return nil, scimError(http.StatusBadRequest, scimerrors.ScimTypeInvalidValue, "displayName is required and must not be empty")
		}
		if list, ok := doc["members"].([]any); ok {
			var kept []any
			seen := map[string]bool{}
			for _, m := range list {
				obj, _ := m.(map[string]any)
				v, _ := obj["value"].(string)
				if v == "" {
					return nil, scimError(http.StatusBadRequest, scimerrors.ScimTypeInvalidValue, "a member without a value (the member's id)")
				}
				_, user := s.users[v]
				_, group := s.groups[v]
				if !user && !group {
					return nil, scimError(http.StatusBadRequest, scimerrors.ScimTypeInvalidValue, "member %q: no User or Group has this id (ids are case-exact)", v)
				}
				if v == id {
					return nil, scimError(http.StatusBadRequest, scimerrors.ScimTypeInvalidValue, "a group cannot be its own member")
				}
				if !seen[v] {
					seen[v] = true
					kept = append(kept, obj)
				}
			}
			if len(kept) == 0 {
				delete(doc, "members")
			} else {
				doc["members"] = kept
			}
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	if existing == nil {
		s.seq++
		prefix := "U"
		if kind == groupKind {
			prefix = "G"
		}
		// Upper and lower case in every id: a client that folds the case
		// of an id (caseExact, RFC 7643 §3.1) finds nothing.
		u := uuid.NewString()
		existing = &stored{seq: s.seq, id: prefix + strings.ToUpper(u[:8]) + u[8:], created: now}
		s.table(kind)[existing.id] = existing
	}
	existing.attrs = doc
	existing.externalID = externalID
	existing.version++
	existing.modified = now
	return existing, nil
}

// remove deletes a resource, and a User or Group from every group.
func (s *Server) remove(kind, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.table(kind)[id]; !ok {
		return scimerrors.ScimErrorResourceNotFound(id)
	}
	delete(s.table(kind), id)
	for _, g := range s.groups {
		list, _ := g.attrs["members"].([]any)
		var kept []any
		for _, m := range list {
			if obj, _ := m.(map[string]any); obj["value"] != id {
				kept = append(kept, m)
			}
		}
		if len(kept) != len(list) {
			if len(kept) == 0 {
				delete(g.attrs, "members")
			} else {
				g.attrs["members"] = kept
			}
			g.version++
		}
	}
	return nil
}

// lookup returns a copy of a stored resource as a document with its
// externalId, for PATCH.
func (s *Server) lookup(kind, id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.table(kind)[id]
	if !ok {
		return nil, false
	}
	doc := deepCopy(st.attrs).(map[string]any)
	if st.externalID != nil {
		doc["externalId"] = *st.externalID
	}
	return doc, true
}

// render is a stored resource as the library writes it; s.mu held.
func (s *Server) render(st *stored, members bool) libscim.Resource {
	attrs := deepCopy(st.attrs).(map[string]any)
	if !members {
		delete(attrs, "members")
	}
	created, modified := st.created, st.modified
	res := libscim.Resource{ID: st.id, Attributes: attrs, Meta: libscim.Meta{Created: &created, LastModified: &modified}}
	if st.externalID != nil {
		res.ExternalID = optional.NewString(*st.externalID)
	}
	if s.opts.ETags {
		res.Meta.Version = etag(st.version)
	}
	return res
}

// filterView is a stored resource as a filter reads it: the extension's
// attributes under "URN:name", id, externalId and meta beside.
func filterView(st *stored, kind string) map[string]any {
	m := deepCopy(st.attrs).(map[string]any)
	if ext, ok := m[EnterpriseURN].(map[string]any); ok {
		delete(m, EnterpriseURN)
		for k, v := range ext {
			m[EnterpriseURN+":"+k] = v
		}
	}
	m["id"] = st.id
	if st.externalID != nil {
		m["externalId"] = *st.externalID
	}
	m["meta"] = map[string]any{
		"resourceType": strings.TrimSuffix(kind, "s"),
		"created":      st.created.Format(time.RFC3339),
		"lastModified": st.modified.Format(time.RFC3339),
	}
	return m
}

// handler is the library's ResourceHandler for one kind.
type handler struct {
	s    *Server
	kind string
}

func (h handler) membersAsked(r *http.Request) bool {
	if q, ok := r.Context().Value(queryKey{}).(query); ok {
		return q.members
	}
	return !h.s.opts.MembersNotReturned
}

func (h handler) Create(r *http.Request, attrs libscim.ResourceAttributes) (libscim.Resource, error) {
	st, err := h.s.commit(h.kind, "", attrs)
	if err != nil {
		return libscim.Resource{}, err
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	return h.s.render(st, h.membersAsked(r)), nil
}

func (h handler) Get(r *http.Request, id string) (libscim.Resource, error) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	st, ok := h.s.table(h.kind)[id]
	if !ok {
		return libscim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	return h.s.render(st, h.membersAsked(r)), nil
}

func (h handler) GetAll(r *http.Request, params libscim.ListRequestParams) (libscim.Page, error) {
	q, _ := r.Context().Value(queryKey{}).(query)
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	var matched []*stored
	for _, st := range h.s.sorted(h.kind) {
		if q.filter == nil || q.filter.PassesFilter(filterView(st, h.kind)) == nil {
			matched = append(matched, st)
		}
	}
	count := params.Count
	if c := h.s.opts.PageCap; c > 0 && count > c {
		count = c
	}
	page := libscim.Page{TotalResults: len(matched), Resources: []libscim.Resource{}}
	for i := params.StartIndex - 1; i >= 0 && i < len(matched) && len(page.Resources) < count; i++ {
		page.Resources = append(page.Resources, h.s.render(matched[i], q.members))
	}
	return page, nil
}

func (h handler) Replace(r *http.Request, id string, attrs libscim.ResourceAttributes) (libscim.Resource, error) {
	st, err := h.s.commit(h.kind, id, attrs)
	if err != nil {
		return libscim.Resource{}, err
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	return h.s.render(st, h.membersAsked(r)), nil
}

func (h handler) Delete(_ *http.Request, id string) error { return h.s.remove(h.kind, id) }

// Patch is not reached: Server.patch answers PATCH before the library.
func (h handler) Patch(*http.Request, string, []libscim.PatchOperation) (libscim.Resource, error) {
	return libscim.Resource{}, scimError(http.StatusNotImplemented, "", "PATCH is applied by stricttest, not the library")
}

// deepCopy copies a decoded JSON value.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = deepCopy(x)
		}
		return out
	case libscim.ResourceAttributes:
		return deepCopy(map[string]any(v))
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = deepCopy(x)
		}
		return out
	default:
		return v
	}
}

// findAttr finds an attribute by name without regard to case (RFC 7643
// §2.1: attribute names are case insensitive).
func findAttr(attrs schema.Attributes, name string) (schema.CoreAttribute, bool) {
	for _, a := range attrs {
		if strings.EqualFold(a.Name(), name) {
			return a, true
		}
	}
	return schema.CoreAttribute{}, false
}

// externalIDAttr is externalId as the library adds it to each resource
// schema (RFC 7643 §3.1: caseExact).
func externalIDAttr() schema.CoreAttribute {
	return schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{CaseExact: true, Name: "externalId"}))
}

// canonResource checks that every attribute of a resource body is in its
// schemas, at every depth, and returns the body with their names as the
// schemas spell them (id, meta and schemas are left out).
func (s *Server) canonResource(kind string, doc map[string]any) (map[string]any, error) {
	core := append(schema.Attributes{externalIDAttr()}, s.schemaOf(kind).Attributes...)
	out := map[string]any{}
	for _, k := range sortedKeys(doc) {
		v := doc[k]
		switch {
		case strings.EqualFold(k, "schemas"), strings.EqualFold(k, "id"), strings.EqualFold(k, "meta"):
			continue
		case kind == userKind && strings.EqualFold(k, EnterpriseURN):
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s must be an object", EnterpriseURN)
			}
			ext := map[string]any{}
			for _, sk := range sortedKeys(obj) {
				a, ok := findAttr(schema.ExtensionEnterpriseUser().Attributes, sk)
				if !ok {
					return nil, fmt.Errorf("%s:%s is not an attribute of the enterprise extension", EnterpriseURN, sk)
				}
				cv, err := canonValue(a, obj[sk], EnterpriseURN+":"+a.Name())
				if err != nil {
					return nil, err
				}
				ext[a.Name()] = cv
			}
			out[EnterpriseURN] = ext
		default:
			a, ok := findAttr(core, k)
			if !ok {
				return nil, fmt.Errorf("%q is not an attribute of %s", k, s.schemaOf(kind).ID)
			}
			cv, err := canonValue(a, v, a.Name())
			if err != nil {
				return nil, err
			}
			out[a.Name()] = cv
		}
	}
	return out, nil
}

// canonValue checks the sub-attribute names of a complex value (one object,
// or a list of them when multi-valued) and spells them as the schema does.
// Types are the library's to check.
func canonValue(a schema.CoreAttribute, v any, where string) (any, error) {
	if !a.HasSubAttributes() {
		return v, nil
	}
	one := func(x any) (any, error) {
		obj, ok := x.(map[string]any)
		if !ok {
			return x, nil // the library answers the type
		}
		out := map[string]any{}
		for _, k := range sortedKeys(obj) {
			sub, ok := findAttr(a.SubAttributes(), k)
			if !ok {
				return nil, fmt.Errorf("%s.%s is not a sub-attribute of %s", where, k, where)
			}
			out[sub.Name()] = obj[k]
		}
		return out, nil
	}
	if list, ok := v.([]any); ok && a.MultiValued() {
		out := make([]any, 0, len(list))
		for _, x := range list {
			cx, err := one(x)
			if err != nil {
				return nil, err
			}
			out = append(out, cx)
		}
		return out, nil
	}
	return one(v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sameValue says whether two values of a multi-valued attribute are the
// same one: members by their value, anything else whole.
func sameValue(a, b any) bool {
	ma, okA := a.(map[string]any)
	mb, okB := b.(map[string]any)
	if okA && okB && ma["value"] != nil {
		return ma["value"] == mb["value"] && (ma["type"] == nil || mb["type"] == nil || ma["type"] == mb["type"])
	}
	return reflect.DeepEqual(a, b)
}

// validate runs the library's schema checks (types, required) over a
// document, as a PUT would, and returns what it keeps.
func (s *Server) validate(kind string, doc map[string]any) (map[string]any, error) {
	sc := s.schemaOf(kind)
	sc.Attributes = append(schema.Attributes{externalIDAttr()}, sc.Attributes...)
	core := map[string]any{}
	for k, v := range doc {
		if k != EnterpriseURN {
			core[k] = v
		}
	}
	core["schemas"] = []any{sc.ID}
	out, serr := sc.Validate(roundTrip(core))
	if serr != nil {
		return nil, *serr
	}
	if ext, ok := doc[EnterpriseURN].(map[string]any); ok && kind == userKind {
		e := deepCopy(ext).(map[string]any)
		e["schemas"] = []any{EnterpriseURN}
		eout, serr := schema.ExtensionEnterpriseUser().Validate(roundTrip(e))
		if serr != nil {
			return nil, *serr
		}
		if len(eout) > 0 {
			out[EnterpriseURN] = eout
		}
	}
	return out, nil
}

// roundTrip makes a document's values what the library's decoder makes
// (json.Number for numbers), whatever built them.
func roundTrip(doc map[string]any) map[string]any {
	raw, err := json.Marshal(doc)
	if err != nil {
		return doc
	}
	out, err := decodeObject(raw)
	if err != nil {
		return doc
	}
	return out
}
