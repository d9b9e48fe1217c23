package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	libscim "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/google/uuid"
	"github.com/scim2/filter-parser/v2"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/store"
)

// Retries of a PUT or PATCH whose read-modify-write lost the race to
// another writer of the same resource (store.ErrStale; within one process
// the keyed lock prevents that, so the other writer is another replica on
// the same PostgreSQL): each waits a jittered, exponentially growing delay,
// from retryBase up to retryMax, and the retries go on until writeTimeout
// after the request began, or the request context's deadline if sooner.
// Then, or when waiting for the resource's lock outlasts the same
// deadline, the answer is 503 with Retry-After: the IdP retries.
const (
	retryBase    = 2 * time.Millisecond
	retryMax     = 250 * time.Millisecond
	writeTimeout = 20 * time.Second
	// retryAfter is the Retry-After, in seconds, of a 503.
	retryAfter = "1"
)

// errBusy is the answer to a write that could not be made before its
// deadline because other writes to the resource kept coming first.
var errBusy = scimerrors.ScimError{Status: http.StatusServiceUnavailable,
	Detail: "the resource is being written by other requests; retry later"}

// resources implements the library's ResourceHandler for one resource type
// over the state store. Every write is a read-modify-write guarded by the
// stored version, so concurrent requests never lose a write; within the
// process, writes to one resource take its lock first, so they queue
// instead of racing.
type resources struct {
	typ   string
	store store.Store
	match matcher
	log   *zap.Logger
	locks *keyedLock
	// admit refuses what the jobs reading the endpoint could not map
	// (admission.go); nil admits everything.
	admit *admission
	// endpoint ("/Users"), schemas and schemasJSON (them encoded) are
	// the resource type's, as the library serves it (describe).
	endpoint    string
	schemas     []string
	schemasJSON []byte
}

// lockResource takes the process's lock on the resource id until deadline
// (or the request's end). It answers errBusy when the deadline passes
// first, and the cancellation's 503 when the request ends.
func (h *resources) lockResource(ctx context.Context, id string, deadline time.Time) (func(), error) {
	lctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	unlock, err := h.locks.lock(lctx, h.typ+"/"+id)
	if err != nil {
		if ctx.Err() != nil {
			return nil, h.storeError(ctx.Err(), id, "")
		}
		return nil, errBusy
	}
	return unlock, nil
}

// writeDeadline is when a write begun now gives up: writeTimeout from now,
// or the context's deadline if sooner.
func writeDeadline(ctx context.Context) time.Time {
	deadline := time.Now().Add(writeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	return deadline
}

// backoff is the wait before retry attempt (0 for the first retry): a
// random duration in [d/2, d), d being retryBase doubled attempt times,
// at most retryMax.
func backoff(attempt int) time.Duration {
	d := retryMax
	if attempt < 16 {
		d = min(retryBase<<attempt, retryMax)
	}
	return d/2 + rand.N(d/2)
}

// sleepUntil waits d unless that would pass deadline (false) or ctx ends
// first (its error).
func sleepUntil(ctx context.Context, d time.Duration, deadline time.Time) (bool, error) {
	if time.Now().Add(d).After(deadline) {
		return false, nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

var _ libscim.ResourceHandler = (*resources)(nil)

// etag is the weak entity tag of a stored version.
func etag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// split separates what the store keeps in columns (externalId, the unique
// name) from the attributes kept as the document.
func (h *resources) split(attrs libscim.ResourceAttributes) (externalID, name string, doc map[string]any) {
	doc = make(map[string]any, len(attrs))
	for k, v := range attrs {
		switch k {
		case "id", "meta", "schemas":
			continue
		case "password":
			// Write-only and returned never (RFC 7643 §4.1.1); orgbridge
			// has no use for it, so it is not kept at all.
			continue
		case "externalId":
			externalID, _ = v.(string)
			continue
		}
		doc[k] = v
	}
	if h.typ == TypeGroup {
		doc["members"] = normalizeMembers(doc["members"])
		if len(doc["members"].([]any)) == 0 {
			delete(doc, "members")
		}
	}
	return externalID, h.nameOf(doc), doc
}

func (h *resources) nameOf(doc map[string]any) string {
	key := "userName"
	if h.typ == TypeGroup {
		key = "displayName"
	}
	s, _ := doc[key].(string)
	return s
}

// normalizeMembers keeps one entry per member value, in order.
func normalizeMembers(v any) []any {
	list, _ := v.([]any)
	out := make([]any, 0, len(list))
	seen := map[string]bool{}
	for _, m := range list {
		obj, ok := m.(map[string]any)
		if !ok {
			continue
		}
		id, _ := obj["value"].(string)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, obj)
	}
	return out
}

// memberIDs lists the member values of a group document.
func memberIDs(doc map[string]any) map[string]bool {
	ids := map[string]bool{}
	for _, m := range normalizeMembers(doc["members"]) {
		ids[m.(map[string]any)["value"].(string)] = true
	}
	return ids
}

// touched lists the users whose group memberships differ between two group
// documents: the incremental read re-reads them.
func touched(before, after map[string]any) []string {
	b, a := memberIDs(before), memberIDs(after)
	var out []string
	for id := range b {
		if !a[id] {
			out = append(out, id)
		}
	}
	for id := range a {
		if !b[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func decodeStored(res store.SCIMResource) (map[string]any, error) {
	doc := map[string]any{}
	if len(res.Doc) == 0 {
		return doc, nil
	}
	if err := json.Unmarshal(res.Doc, &doc); err != nil {
		return nil, fmt.Errorf("decode stored %s %s: %w", res.Type, res.ID, err)
	}
	return doc, nil
}

// resource turns a stored resource into the library's representation.
func (h *resources) resource(res store.SCIMResource, doc map[string]any) libscim.Resource {
	created, modified := res.Created, res.Modified
	r := libscim.Resource{
		ID:         res.ID,
		Attributes: doc,
		Meta:       libscim.Meta{Created: &created, LastModified: &modified, Version: etag(res.Version)},
	}
	if res.ExternalID != "" {
		r.ExternalID = optional.NewString(res.ExternalID)
	}
	return r
}

// full is the representation filters are evaluated against: the document
// with id, externalId and meta.
func full(res store.SCIMResource, doc map[string]any) map[string]any {
	m := make(map[string]any, len(doc)+3)
	for k, v := range doc {
		m[k] = v
	}
	m["id"] = res.ID
	if res.ExternalID != "" {
		m["externalId"] = res.ExternalID
	}
	m["meta"] = map[string]any{
		"resourceType": res.Type,
		// Seconds, as the library serves them: a filter on a value a
		// client read back must match.
		"created":      res.Created.Format(time.RFC3339),
		"lastModified": res.Modified.Format(time.RFC3339),
		"version":      etag(res.Version),
	}
	return m
}

// storeError turns a store error into the SCIM error a client understands.
func (h *resources) storeError(err error, id, name string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return scimerrors.ScimErrorResourceNotFound(id)
	case errors.Is(err, store.ErrDuplicate):
		return scimerrors.ScimError{ScimType: scimerrors.ScimTypeUniqueness, Status: http.StatusConflict,
			Detail: fmt.Sprintf("userName %q is already taken by another User", name)}
	case errors.Is(err, store.ErrConflict):
		return scimerrors.ScimError{ScimType: scimerrors.ScimTypeUniqueness, Status: http.StatusConflict, Detail: err.Error()}
	case errors.Is(err, context.Canceled):
		return scimerrors.ScimError{Status: http.StatusServiceUnavailable, Detail: "the request was cancelled"}
	case errors.Is(err, context.DeadlineExceeded):
		return errBusy
	}
	h.log.Error("store", zap.String("resource_type", h.typ), zap.String("id", id), zap.Error(err))
	return scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: "the state store failed; see the server log"}
}

func (h *resources) Create(r *http.Request, attrs libscim.ResourceAttributes) (libscim.Resource, error) {
	externalID, name, doc := h.split(attrs)
	if name == "" {
		return libscim.Resource{}, scimerrors.ScimError{ScimType: scimerrors.ScimTypeInvalidValue, Status: http.StatusBadRequest,
			Detail: fmt.Sprintf("%s: must not be empty", nameAttr(h.typ))}
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return libscim.Resource{}, err
	}
	want := store.SCIMResource{Type: h.typ, ID: uuid.NewString(), ExternalID: externalID, Name: name, Doc: raw}
	if err := h.admit.check(r.Context(), want, false); err != nil {
		return libscim.Resource{}, unavailable(r, h.admissionError(err, "", name))
	}
	res, err := h.store.SCIMCreate(r.Context(), want)
	if err != nil {
		return libscim.Resource{}, unavailable(r, h.storeError(err, "", name))
	}
	h.log.Info("created", zap.String("resource_type", h.typ), zap.String("id", res.ID))
	return h.resource(res, doc), nil
}

func nameAttr(typ string) string {
	if typ == TypeGroup {
		return "displayName"
	}
	return "userName"
}

func (h *resources) Get(r *http.Request, id string) (libscim.Resource, error) {
	res, err := h.store.SCIMGet(r.Context(), h.typ, id)
	if err != nil {
		return libscim.Resource{}, h.storeError(err, id, "")
	}
	doc, err := decodeStored(res)
	if err != nil {
		return libscim.Resource{}, h.storeError(err, id, "")
	}
	out := h.resource(res, doc)
	h.projectResource(r, &out)
	return out, nil
}

// projectResource applies the attributes and excludedAttributes query
// parameters, which the library leaves to the handler.
func (h *resources) projectResource(r *http.Request, res *libscim.Resource) {
	q := r.URL.Query()
	attrs, excluded := splitAttrList(q.Get("attributes")), splitAttrList(q.Get("excludedAttributes"))
	if len(attrs) == 0 && len(excluded) == 0 {
		return
	}
	doc := map[string]any(res.Attributes)
	if res.ExternalID.Present() {
		doc["externalId"] = res.ExternalID.Value()
	}
	doc = project(doc, attrs, excluded)
	if v, ok := doc["externalId"].(string); ok {
		res.ExternalID = optional.NewString(v)
		delete(doc, "externalId")
	} else {
		res.ExternalID = optional.String{}
	}
	res.Attributes = doc
}

func (h *resources) GetAll(r *http.Request, params libscim.ListRequestParams) (libscim.Page, error) {
	var expr filter.Expression
	if v := params.FilterValidator; v != nil {
		expr = v.GetFilter()
	}
	list, err := h.list(r.Context(), expr, params.StartIndex-1, params.Count)
	if err != nil {
		return libscim.Page{}, err
	}
	if note, ok := r.Context().Value(renderedKey{}).(*renderedPage); ok {
		// A GET of a collection (Server.list): the page is rendered
		// here, once, and the library answers an empty one that
		// Server.list replaces (renderedPage). The root search
		// (searchAll) reads the library's rendering.
		out, err := h.renderPage(r, list.Resources)
		if err != nil {
			return libscim.Page{}, err
		}
		note.resources, note.total, note.startIndex, note.done = out, list.TotalResults, params.StartIndex, true
		return libscim.Page{TotalResults: list.TotalResults, Resources: []libscim.Resource{}}, nil
	}
	page := libscim.Page{TotalResults: list.TotalResults, Resources: make([]libscim.Resource, 0, len(list.Resources))}
	for _, l := range list.Resources {
		doc := l.doc
		if doc == nil {
			if doc, err = decodeStored(l.SCIMResource); err != nil {
				return libscim.Page{}, h.storeError(err, l.ID, "")
			}
		}
		res := h.resource(l.SCIMResource, doc)
		h.projectResource(r, &res)
		page.Resources = append(page.Resources, res)
	}
	return page, nil
}

// listPage is a page of resources and how many match in all.
type listPage struct {
	Resources    []listed
	TotalResults int
}

// listed is a resource of a page: as stored, and its document when the
// filter needed it decoded (nil otherwise).
type listed struct {
	store.SCIMResource
	doc map[string]any
}

// list is the page of count resources from offset among those matching
// expr (nil: all), and how many match. A filter the store's index answers
// (storeFilter) is run and paged by the store, so a page costs the same at
// any offset and size; any other reads every resource of the type and
// matches it here.
func (h *resources) list(ctx context.Context, expr filter.Expression, offset, count int) (listPage, error) {
	where, none, indexed := storeFilter(h.typ, expr)
	if indexed {
		if none {
			return listPage{}, nil
		}
		list, total, err := h.store.SCIMQuery(ctx, h.typ, where, offset, count)
		if err != nil {
			return listPage{}, h.storeError(err, "", "")
		}
		page := listPage{Resources: make([]listed, len(list)), TotalResults: total}
		for i, res := range list {
			page.Resources[i].SCIMResource = res
		}
		return page, nil
	}
	list, err := h.store.SCIMList(ctx, h.typ)
	if err != nil {
		return listPage{}, h.storeError(err, "", "")
	}
	matched := make([]listed, 0, len(list))
	for _, res := range list {
		doc, err := decodeStored(res)
		if err != nil {
			return listPage{}, h.storeError(err, res.ID, "")
		}
		if !h.match.match(full(res, doc), expr) {
			continue
		}
		matched = append(matched, listed{SCIMResource: res, doc: doc})
	}
	page := listPage{TotalResults: len(matched)}
	if offset < len(matched) && count > 0 {
		page.Resources = matched[offset:min(offset+count, len(matched))]
	}
	return page, nil
}

// update is the read-modify-write loop of PUT and PATCH: change returns the
// new document (and false when nothing changed). It holds the resource's
// lock, so in this process no other write to it runs between the read and
// the write; a race lost to another replica re-reads and applies change
// again, after a backoff, until the deadline (writeDeadline), and then
// answers errBusy (503, retryable).
func (h *resources) update(r *http.Request, id string, change func(cur store.SCIMResource, doc map[string]any) (externalID string, next map[string]any, changed bool, err error)) (libscim.Resource, bool, error) {
	ctx := r.Context()
	deadline := writeDeadline(ctx)
	unlock, err := h.lockResource(ctx, id, deadline)
	if err != nil {
		return libscim.Resource{}, false, err
	}
	defer unlock()
	for attempt := 0; ; attempt++ {
		cur, err := h.store.SCIMGet(ctx, h.typ, id)
		if err != nil {
			return libscim.Resource{}, false, h.storeError(err, id, "")
		}
		if m := r.Header.Get("If-Match"); m != "" && m != "*" && m != etag(cur.Version) {
			return libscim.Resource{}, false, scimerrors.ScimError{Status: http.StatusPreconditionFailed,
				Detail: fmt.Sprintf("If-Match %s does not match the current version %s", m, etag(cur.Version))}
		}
		doc, err := decodeStored(cur)
		if err != nil {
			return libscim.Resource{}, false, h.storeError(err, id, "")
		}
		externalID, next, changed, err := change(cur, doc)
		if err != nil {
			return libscim.Resource{}, false, err
		}
		if !changed {
			return h.resource(cur, doc), false, nil
		}
		name := h.nameOf(next)
		if name == "" {
			return libscim.Resource{}, false, scimerrors.ScimError{ScimType: scimerrors.ScimTypeInvalidValue, Status: http.StatusBadRequest,
				Detail: fmt.Sprintf("%s: must not be empty", nameAttr(h.typ))}
		}
		raw, err := json.Marshal(next)
		if err != nil {
			return libscim.Resource{}, false, err
		}
		if err := h.admit.check(ctx, store.SCIMResource{Type: h.typ, ID: id, ExternalID: externalID, Name: name, Doc: raw}, true); err != nil {
			return libscim.Resource{}, false, h.admissionError(err, id, name)
		}
		var touch []string
		if h.typ == TypeGroup {
			touch = touched(doc, next)
		}
		res, err := h.store.SCIMUpdate(ctx, store.SCIMResource{Type: h.typ, ID: id, ExternalID: externalID, Name: name, Doc: raw}, cur.Version, touch)
		if errors.Is(err, store.ErrStale) {
			h.log.Debug("stale version: another replica wrote first; retrying", zap.String("resource_type", h.typ), zap.String("id", id),
				zap.Int("attempt", attempt+1))
			ok, err := sleepUntil(ctx, backoff(attempt), deadline)
			if err != nil {
				return libscim.Resource{}, false, h.storeError(err, id, name)
			}
			if !ok {
				h.log.Warn("write gave up: the resource kept changing", zap.String("resource_type", h.typ), zap.String("id", id),
					zap.Int("attempts", attempt+1))
				return libscim.Resource{}, false, errBusy
			}
			continue
		}
		if err != nil {
			return libscim.Resource{}, false, h.storeError(err, id, name)
		}
		h.log.Info("updated", zap.String("resource_type", h.typ), zap.String("id", id), zap.Int64("version", res.Version))
		return h.resource(res, next), true, nil
	}
}

func (h *resources) Replace(r *http.Request, id string, attrs libscim.ResourceAttributes) (libscim.Resource, error) {
	externalID, _, next := h.split(attrs)
	res, _, err := h.update(r, id, func(cur store.SCIMResource, doc map[string]any) (string, map[string]any, bool, error) {
		changed, err := differ(doc, next)
		return externalID, next, changed || cur.ExternalID != externalID, err
	})
	if err != nil {
		return libscim.Resource{}, unavailable(r, err)
	}
	h.projectResource(r, &res)
	return res, nil
}

// differ reports whether two documents differ once encoded.
func differ(a, b map[string]any) (bool, error) {
	ra, err := json.Marshal(a)
	if err != nil {
		return false, err
	}
	rb, err := json.Marshal(b)
	if err != nil {
		return false, err
	}
	return string(ra) != string(rb), nil
}

func (h *resources) Delete(r *http.Request, id string) error {
	return unavailable(r, h.delete(r, id))
}

func (h *resources) delete(r *http.Request, id string) error {
	ctx := r.Context()
	unlock, err := h.lockResource(ctx, id, writeDeadline(ctx))
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := h.store.SCIMGet(ctx, h.typ, id)
	if err != nil {
		return h.storeError(err, id, "")
	}
	if m := r.Header.Get("If-Match"); m != "" && m != "*" && m != etag(cur.Version) {
		return scimerrors.ScimError{Status: http.StatusPreconditionFailed,
			Detail: fmt.Sprintf("If-Match %s does not match the current version %s", m, etag(cur.Version))}
	}
	var touch []string
	if h.typ == TypeGroup {
		doc, err := decodeStored(cur)
		if err != nil {
			return h.storeError(err, id, "")
		}
		touch = touched(doc, nil)
	}
	if err := h.store.SCIMDelete(ctx, h.typ, id, touch); err != nil {
		return h.storeError(err, id, "")
	}
	h.log.Info("deleted", zap.String("resource_type", h.typ), zap.String("id", id))
	return nil
}

// Patch applies the operations and answers 204 No Content, as RFC 7644
// §3.5.2 allows and Microsoft's test collection expects, with the new
// version as its ETag header; a request that names attributes or
// excludedAttributes gets 200 with the resource.
func (h *resources) Patch(r *http.Request, id string, ops []libscim.PatchOperation) (libscim.Resource, error) {
	res, _, err := h.update(r, id, func(cur store.SCIMResource, doc map[string]any) (string, map[string]any, bool, error) {
		next := deepCopyMap(doc)
		if cur.ExternalID != "" {
			next["externalId"] = cur.ExternalID
		}
		if err := applyPatch(next, ops, h.typ, h.match); err != nil {
			return "", nil, false, err
		}
		externalID, _ := next["externalId"].(string)
		delete(next, "externalId")
		delete(next, "password")
		if h.typ == TypeGroup {
			next["members"] = normalizeMembers(next["members"])
			if len(next["members"].([]any)) == 0 {
				delete(next, "members")
			}
		}
		changed, err := differ(doc, next)
		return externalID, next, changed || externalID != cur.ExternalID, err
	})
	if err != nil {
		return libscim.Resource{}, unavailable(r, err)
	}
	q := r.URL.Query()
	if q.Get("attributes") == "" && q.Get("excludedAttributes") == "" {
		if note, ok := r.Context().Value(patchedKey{}).(*patchedVersion); ok {
			note.etag = res.Meta.Version
		}
		return libscim.Resource{}, nil
	}
	h.projectResource(r, &res)
	return res, nil
}

// lowerKey finds the key of m equal to name case-insensitively.
func lowerKey(m map[string]any, name string) (string, bool) {
	if _, ok := m[name]; ok {
		return name, true
	}
	for k := range m {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return name, false
}

// describe notes what the library adds to each resource of t it serves,
// for renderPage to add the same: the endpoint (of meta.location) and the
// schemas.
func (h *resources) describe(t libscim.ResourceType) {
	schemas := []string{t.Schema.ID}
	for _, e := range t.SchemaExtensions {
		schemas = append(schemas, e.Schema.ID)
	}
	h.endpoint, h.schemas = t.Endpoint, schemas
	h.schemasJSON, _ = json.Marshal(schemas)
}

// renderedKey is the context key of a list request's *renderedPage.
type renderedKey struct{}

// renderedPage carries a page that GetAll rendered past the library to
// Server.list, which writes the list response around it. The library
// would decode each stored document, add to it and encode it again, and
// leave meta.location relative, for the response to be decoded and
// encoded once more to make it absolute: at 100 resources a page, most of
// a list request's cost.
type renderedPage struct {
	done       bool
	resources  []json.RawMessage
	total      int
	startIndex int
}

// renderPage renders each resource of a page as the library does (the
// document with id, externalId, schemas and meta, after the attributes and
// excludedAttributes projection), with meta.location absolute. Without a
// projection, a stored document is copied into the response as it is,
// never decoded.
func (h *resources) renderPage(r *http.Request, list []listed) ([]json.RawMessage, error) {
	q := r.URL.Query()
	projected := q.Get("attributes") != "" || q.Get("excludedAttributes") != ""
	base := baseURL(r) + BasePath + h.endpoint + "/"
	out := make([]json.RawMessage, 0, len(list))
	var scratch bytes.Buffer
	for _, l := range list {
		if !projected {
			if b, ok := h.renderStored(&scratch, l.SCIMResource, base); ok {
				out = append(out, b)
				continue
			}
		}
		doc := l.doc
		if doc == nil {
			var err error
			if doc, err = decodeStored(l.SCIMResource); err != nil {
				return nil, h.storeError(err, l.ID, "")
			}
		}
		res := h.resource(l.SCIMResource, doc)
		h.projectResource(r, &res)
		b, err := json.Marshal(h.response(res, base))
		if err != nil {
			return nil, h.storeError(fmt.Errorf("encode %s %s: %w", h.typ, l.ID, err), l.ID, "")
		}
		out = append(out, b)
	}
	return out, nil
}

// response is what the library answers for res (libscim's
// Resource.response): its attributes with id, externalId, schemas and
// meta set, meta.location being absolute (base + the escaped id).
func (h *resources) response(res libscim.Resource, base string) map[string]any {
	m := map[string]any(res.Attributes)
	if m == nil {
		m = map[string]any{}
	}
	m["id"] = res.ID
	if res.ExternalID.Present() {
		m["externalId"] = res.ExternalID.Value()
	}
	m["schemas"] = h.schemas
	m["meta"] = map[string]string{
		"resourceType": h.typ,
		"created":      res.Meta.Created.Format(time.RFC3339),
		"lastModified": res.Meta.LastModified.Format(time.RFC3339),
		"location":     base + url.PathEscape(res.ID),
		"version":      res.Meta.Version,
	}
	return m
}

// reservedKeys are the members the library sets on every resource, which
// renderStored writes itself: a stored document holding any of these
// strings (split keeps them out, but a PATCH might not) is rendered by
// decoding it, as the library would.
var reservedKeys = [][]byte{[]byte(`"id"`), []byte(`"externalId"`), []byte(`"schemas"`), []byte(`"meta"`)}

// renderStored writes a stored resource as response does without
// decoding its document: the document's members (compacted) between
// schemas, id and externalId, and meta. It answers false when the document
// is not a JSON object or may hold a reserved key.
func (h *resources) renderStored(scratch *bytes.Buffer, res store.SCIMResource, base string) (json.RawMessage, bool) {
	doc := res.Doc
	if len(doc) == 0 {
		doc = []byte("{}")
	}
	for _, k := range reservedKeys {
		if bytes.Contains(doc, k) {
			return nil, false
		}
	}
	scratch.Reset()
	if json.Compact(scratch, doc) != nil {
		return nil, false
	}
	c := scratch.Bytes()
	if len(c) < 2 || c[0] != '{' || c[len(c)-1] != '}' {
		return nil, false
	}
	members := c[1 : len(c)-1]
	b := make([]byte, 0, len(members)+len(base)+256)
	b = append(b, `{"schemas":`...)
	b = append(b, h.schemasJSON...)
	b = append(b, `,"id":`...)
	b = appendJSONString(b, res.ID)
	if res.ExternalID != "" {
		b = append(b, `,"externalId":`...)
		b = appendJSONString(b, res.ExternalID)
	}
	if len(members) > 0 {
		b = append(b, ',')
		b = append(b, members...)
	}
	b = append(b, `,"meta":{"created":"`...)
	b = res.Created.AppendFormat(b, time.RFC3339)
	b = append(b, `","lastModified":"`...)
	b = res.Modified.AppendFormat(b, time.RFC3339)
	b = append(b, `","location":`...)
	b = appendJSONString(b, base+url.PathEscape(res.ID))
	b = append(b, `,"resourceType":`...)
	b = appendJSONString(b, h.typ)
	b = append(b, `,"version":`...)
	b = appendJSONString(b, etag(res.Version))
	b = append(b, "}}"...)
	return b, true
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it (HTML characters included).
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
