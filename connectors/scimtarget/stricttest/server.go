package stricttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	libscim "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
)

// DefaultToken is the bearer token when Options.Token is empty.
const DefaultToken = "stricttest-token-7b1d"

// URNs of the schemas and messages it serves.
const (
	UserURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	PatchOpURN    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	spcURN        = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	errorURN      = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// Options are the readings it serves (see the package doc for the RFC
// section that allows each). The zero value is the strict server with
// every optional feature of a plain provider: PATCH supported, no limit on
// operations, no ETags, pages of up to 1000, lists without a filter.
type Options struct {
	// Token is the bearer token; DefaultToken when empty.
	Token string
	// PatchUnsupported: patch.supported false, and PATCH is 501.
	PatchUnsupported bool
	// MaxOperations > 0: a PATCH with more operations is refused.
	MaxOperations int
	// MaxOperationsStatus is how: 413 (the default) or 400 tooMany.
	MaxOperationsStatus int
	// ETags: meta.version, ETag headers, If-Match checked (412).
	ETags bool
	// RequireIfMatch (with ETags): a write without If-Match is 428.
	RequireIfMatch bool
	// PageCap > 0: at most this many resources a page, whatever count asks.
	PageCap int
	// FilterRequired: a list without a filter is 400 tooMany.
	FilterRequired bool
	// RateLimit K > 0: every Kth request is 429 with Retry-After: 1.
	RateLimit int
	// MembersNotReturned: members only when attributes names them.
	MembersNotReturned bool
	// FoldUserName: userName stored and returned in lower case.
	FoldUserName bool
}

// Request is one request the server answered.
type Request struct {
	Method string
	Path   string // under the base URL: /Users/ID
	Query  string
	Status int
}

// Server is a running strict SCIM service provider.
type Server struct {
	// URL is the base URL: http://127.0.0.1:PORT/scim/v2.
	URL string
	// Token is the bearer token it takes.
	Token string

	opts Options
	lib  libscim.Server
	http *httptest.Server

	// writes serializes the requests that change something, so that the
	// If-Match check and the change it guards are one step.
	writes sync.Mutex
	count  atomic.Int64 // requests counted by RateLimit

	mu       sync.Mutex
	seq      int
	users    map[string]*stored
	groups   map[string]*stored
	requests []Request
}

// stored is one resource as held: attrs has the canonical attribute names
// of the schemas (the extension under its URN), without id and externalId.
type stored struct {
	seq        int
	id         string
	externalID *string
	attrs      map[string]any
	version    int
	created    time.Time
	modified   time.Time
}

// New starts a server on a port the kernel picks; it stops when the test
// ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := newServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.http = httptest.NewServer(s)
	t.Cleanup(s.http.Close)
	s.URL = s.http.URL + "/scim/v2"
	return s
}

func newServer(opts Options) (*Server, error) {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.MaxOperationsStatus == 0 {
		opts.MaxOperationsStatus = http.StatusRequestEntityTooLarge
	}
	s := &Server{Token: opts.Token, opts: opts, users: map[string]*stored{}, groups: map[string]*stored{}}
	maxResults := 1000
	if opts.PageCap > 0 {
		maxResults = opts.PageCap
	}
	lib, err := libscim.NewServer(&libscim.ServerArgs{
		ServiceProviderConfig: &libscim.ServiceProviderConfig{MaxResults: maxResults, SupportFiltering: true, SupportPatch: !opts.PatchUnsupported},
		ResourceTypes: []libscim.ResourceType{
			{
				ID: optional.NewString("User"), Name: "User", Endpoint: "/Users",
				Description:      optional.NewString("User Account"),
				Schema:           schema.CoreUserSchema(),
				SchemaExtensions: []libscim.SchemaExtension{{Schema: schema.ExtensionEnterpriseUser()}},
				Handler:          handler{s: s, kind: userKind},
			},
			{
				ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups",
				Description: optional.NewString("Group"),
				Schema:      s.groupSchema(),
				Handler:     handler{s: s, kind: groupKind},
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("stricttest: the SCIM server: %w", err)
	}
	s.lib = lib
	return s, nil
}

// groupSchema is the core Group schema (RFC 7643 §4.2, §8.7.1), written
// out so that members can be returned "request" under MembersNotReturned.
func (s *Server) groupSchema() schema.Schema {
	returned := schema.AttributeReturnedDefault()
	if s.opts.MembersNotReturned {
		returned = schema.AttributeReturnedRequest()
	}
	return schema.Schema{
		ID:          GroupURN,
		Name:        optional.NewString("Group"),
		Description: optional.NewString("Group"),
		Attributes: []schema.CoreAttribute{
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
				Description: optional.NewString("A human-readable name for the Group. REQUIRED."),
				Name:        "displayName",
				Required:    true,
			})),
			schema.ComplexCoreAttribute(schema.ComplexParams{
				Description: optional.NewString("A list of members of the Group."),
				MultiValued: true,
				Name:        "members",
				Returned:    returned,
				SubAttributes: []schema.SimpleParams{
					schema.SimpleStringParams(schema.StringParams{
						Description: optional.NewString("Identifier of the member of this Group."),
						Mutability:  schema.AttributeMutabilityImmutable(),
						Name:        "value",
					}),
					schema.SimpleReferenceParams(schema.ReferenceParams{
						Description:    optional.NewString("The URI corresponding to a SCIM resource that is a member of this Group."),
						Mutability:     schema.AttributeMutabilityImmutable(),
						Name:           "$ref",
						ReferenceTypes: []schema.AttributeReferenceType{"User", "Group"},
					}),
					schema.SimpleStringParams(schema.StringParams{
						CanonicalValues: []string{"User", "Group"},
						Description:     optional.NewString("A label indicating the type of resource, e.g., 'User' or 'Group'."),
						Mutability:      schema.AttributeMutabilityImmutable(),
						Name:            "type",
					}),
					schema.SimpleStringParams(schema.StringParams{
						Description: optional.NewString("A human-readable name for the group member, primarily used for display purposes."),
						Mutability:  schema.AttributeMutabilityImmutable(),
						Name:        "display",
					}),
				},
			}),
		},
	}
}

// ServeHTTP answers one request: auth, rate limit and the readings here,
// then the library (PATCH is applied here).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	sub := strings.TrimPrefix(r.URL.Path, "/scim/v2")
	defer func() {
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: sub, Query: r.URL.RawQuery, Status: rec.status})
		s.mu.Unlock()
	}()
	if !strings.HasPrefix(r.URL.Path, "/scim/v2/") {
		writeError(rec, http.StatusNotFound, "", "not a SCIM path: the base URL is /scim/v2")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		rec.Header().Set("WWW-Authenticate", `Bearer realm="stricttest"`)
		writeError(rec, http.StatusUnauthorized, "", "a bearer token is required")
		return
	}
	if k := s.opts.RateLimit; k > 0 && s.count.Add(1)%int64(k) == 0 {
		rec.Header().Set("Retry-After", "1")
		writeError(rec, http.StatusTooManyRequests, "", "rate limited: retry after 1 second")
		return
	}
	s.serve(rec, r, sub)
}

// serve is ServeHTTP after auth and rate limit; seeds enter here.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, sub string) {
	if r.Method != http.MethodGet {
		s.writes.Lock()
		defer s.writes.Unlock()
	}
	kind, id := route(sub)
	switch {
	case sub == "/ServiceProviderConfig" && r.Method == http.MethodGet:
		s.serviceProviderConfig(w)
		return
	case kind != "" && id == "" && r.Method == http.MethodGet:
		ctx, ok := s.listQuery(w, r, kind)
		if !ok {
			return
		}
		r = r.WithContext(ctx)
	case kind != "" && id != "" && r.Method == http.MethodGet:
		r = r.WithContext(context.WithValue(r.Context(), queryKey{}, query{members: s.membersAsked(r)}))
	case kind != "" && (r.Method == http.MethodPost && id == "" || r.Method == http.MethodPut && id != ""):
		if id != "" && !s.precondition(w, r, kind, id) {
			return
		}
		if !s.checkBody(w, r, kind) {
			return
		}
	case kind != "" && id != "" && r.Method == http.MethodPatch:
		s.patch(w, r, kind, id)
		return
	case kind != "" && id != "" && r.Method == http.MethodDelete:
		if !s.precondition(w, r, kind, id) {
			return
		}
	}
	lr := r.Clone(r.Context())
	lr.URL.Path = "/v2" + sub
	lr.URL.RawPath = ""
	s.lib.ServeHTTP(w, lr)
}

// route names the resource kind and id of a path under the base URL.
func route(sub string) (kind, id string) {
	for _, k := range []string{userKind, groupKind} {
		if sub == "/"+k {
			return k, ""
		}
		if rest, ok := strings.CutPrefix(sub, "/"+k+"/"); ok && rest != "" && !strings.Contains(rest, "/") {
			return k, rest
		}
	}
	return "", ""
}

const (
	userKind  = "Users"
	groupKind = "Groups"
)

type queryKey struct{}

// query is what a GET asked that the library does not pass on: the
// filter (taken out of the URL so that the library does not judge it) and
// whether members are wanted.
type query struct {
	filter  *filter.Validator
	members bool
}

// listQuery checks a list's filter (and FilterRequired) and moves it into
// the request's context.
func (s *Server) listQuery(w http.ResponseWriter, r *http.Request, kind string) (context.Context, bool) {
	q := r.URL.Query()
	raw := strings.TrimSpace(q.Get("filter"))
	if raw == "" && s.opts.FilterRequired {
		writeError(w, http.StatusBadRequest, "tooMany", "a filter is required: this provider does not list every "+strings.TrimSuffix(kind, "s"))
		return nil, false
	}
	got := query{members: s.membersAsked(r)}
	if raw != "" {
		v, err := filter.NewValidator(raw, withCommon(s.schemaOf(kind)), s.extensionsOf(kind)...)
		if err == nil {
			err = v.Validate()
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalidFilter", fmt.Sprintf("filter %q: %v", raw, err))
			return nil, false
		}
		got.filter = &v
	}
	q.Del("filter")
	r.URL.RawQuery = q.Encode()
	return context.WithValue(r.Context(), queryKey{}, got), true
}

// membersAsked says whether a Group's members go in the answer.
func (s *Server) membersAsked(r *http.Request) bool {
	names := func(param string) []string {
		var out []string
		for _, v := range r.URL.Query()[param] {
			for _, n := range strings.Split(v, ",") {
				out = append(out, strings.ToLower(strings.TrimSpace(strings.TrimPrefix(n, GroupURN+":"))))
			}
		}
		return out
	}
	for _, n := range names("excludedAttributes") {
		if n == "members" {
			return false
		}
	}
	if !s.opts.MembersNotReturned {
		return true
	}
	for _, n := range names("attributes") {
		if n == "members" || strings.HasPrefix(n, "members.") {
			return true
		}
	}
	return false
}

func (s *Server) schemaOf(kind string) schema.Schema {
	if kind == userKind {
		return schema.CoreUserSchema()
	}
	return s.groupSchema()
}

func (s *Server) extensionsOf(kind string) []schema.Schema {
	if kind == userKind {
		return []schema.Schema{schema.ExtensionEnterpriseUser()}
	}
	return nil
}

// withCommon is a resource schema with id, externalId and meta, as a
// filter sees it.
func withCommon(sc schema.Schema) schema.Schema {
	attrs := make(schema.Attributes, 0, len(sc.Attributes)+4)
	attrs = append(attrs, sc.Attributes...)
	attrs = append(attrs, schema.CommonAttributes()...)
	sc.Attributes = attrs
	return sc
}

// checkBody reads a POST or PUT body and refuses what the library would
// let through: an attribute no schema defines (the library drops it),
// schemas without the resource's core URN. The body is put back for the
// library.
func (s *Server) checkBody(w http.ResponseWriter, r *http.Request, kind string) bool {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalidSyntax", "reading the body: "+err.Error())
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	doc, err := decodeObject(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalidSyntax", "the body is not a JSON object: "+err.Error())
		return false
	}
	if !hasSchema(doc, s.schemaOf(kind).ID) {
		writeError(w, http.StatusBadRequest, "invalidSyntax", "schemas must list "+s.schemaOf(kind).ID)
		return false
	}
	if _, err := s.canonResource(kind, doc); err != nil {
		writeError(w, http.StatusBadRequest, "invalidValue", err.Error())
		return false
	}
	return true
}

func decodeObject(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, fmt.Errorf("null")
	}
	if d.More() {
		return nil, fmt.Errorf("data after the object")
	}
	return doc, nil
}

func hasSchema(doc map[string]any, urn string) bool {
	for k, v := range doc {
		if !strings.EqualFold(k, "schemas") {
			continue
		}
		list, _ := v.([]any)
		for _, u := range list {
			if u == urn {
				return true
			}
		}
	}
	return false
}

// precondition checks If-Match under ETags: 412 when it names another
// version, 428 when absent and RequireIfMatch. A resource that does not
// exist is left to the handler (404).
func (s *Server) precondition(w http.ResponseWriter, r *http.Request, kind, id string) bool {
	if !s.opts.ETags {
		return true
	}
	s.mu.Lock()
	res, ok := s.table(kind)[id]
	var current string
	if ok {
		current = etag(res.version)
	}
	s.mu.Unlock()
	if !ok {
		return true
	}
	match := r.Header.Get("If-Match")
	if match == "" {
		if s.opts.RequireIfMatch {
			writeError(w, http.StatusPreconditionRequired, "", "If-Match is required: GET the resource for its ETag")
			return false
		}
		return true
	}
	for _, tag := range strings.Split(match, ",") {
		if tag = strings.TrimSpace(tag); tag == "*" || tag == current {
			return true
		}
	}
	w.Header().Set("ETag", current)
	writeError(w, http.StatusPreconditionFailed, "", fmt.Sprintf("If-Match %s: the resource is at %s", match, current))
	return false
}

func etag(version int) string { return `W/"` + strconv.Itoa(version) + `"` }

// serviceProviderConfig is written here, not by the library, which
// cannot say etag.supported or a maxOperations (RFC 7643 §5).
func (s *Server) serviceProviderConfig(w http.ResponseWriter) {
	maxResults := 1000
	if s.opts.PageCap > 0 {
		maxResults = s.opts.PageCap
	}
	spc := map[string]any{
		"schemas":          []string{spcURN},
		"documentationUri": "https://www.rfc-editor.org/rfc/rfc7644",
		"patch":            map[string]bool{"supported": !s.opts.PatchUnsupported},
		"bulk":             map[string]any{"supported": false, "maxOperations": s.opts.MaxOperations, "maxPayloadSize": 1 << 20},
		"filter":           map[string]any{"supported": true, "maxResults": maxResults},
		"changePassword":   map[string]bool{"supported": false},
		"sort":             map[string]bool{"supported": false},
		"etag":             map[string]bool{"supported": s.opts.ETags},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
			"description": "Authentication scheme using the OAuth Bearer Token Standard",
			"specUri":     "https://www.rfc-editor.org/rfc/rfc6750",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": s.URL + "/ServiceProviderConfig"},
	}
	writeJSON(w, http.StatusOK, spc)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes a SCIM error body (RFC 7644 §3.12).
func writeError(w http.ResponseWriter, status int, scimType, detail string) {
	body := map[string]any{"schemas": []string{errorURN}, "status": strconv.Itoa(status), "detail": detail}
	if scimType != "" {
		body["scimType"] = scimType
	}
	writeJSON(w, status, body)
}

// scimError is an error the library writes as it is (its status must be
// one the library allows for the method).
func scimError(status int, scimType scimerrors.ScimType, format string, args ...any) error {
	return scimerrors.ScimError{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Requests returns every request answered so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// seed sends one request as another client would, past auth and the rate
// limit, and returns the created id.
func (s *Server) seed(t testing.TB, path, body string) string {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://stricttest/scim/v2"+path, strings.NewReader(body))
	w := httptest.NewRecorder()
	s.serve(w, r, path)
	if w.Code != http.StatusCreated {
		t.Fatalf("stricttest: seed POST %s: %d %s", path, w.Code, w.Body)
	}
	var out struct{ ID string }
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.ID == "" {
		t.Fatalf("stricttest: seed POST %s: no id in %s (%v)", path, w.Body, err)
	}
	return out.ID
}

// SeedUser creates a User as another client would (a foreign one): body is
// its JSON; schemas may be left out. It returns its id.
func (s *Server) SeedUser(t testing.TB, body string) string {
	t.Helper()
	return s.seed(t, "/Users", withSchemas(t, body, UserURN))
}

// SeedGroup creates a Group with the given members (ids) as another
// client would, and returns its id.
func (s *Server) SeedGroup(t testing.TB, displayName string, members ...string) string {
	t.Helper()
	m := make([]map[string]string, 0, len(members))
	for _, id := range members {
		m = append(m, map[string]string{"value": id})
	}
	body, err := json.Marshal(map[string]any{"schemas": []string{GroupURN}, "displayName": displayName, "members": m})
	if err != nil {
		t.Fatal(err)
	}
	return s.seed(t, "/Groups", string(body))
}

// SeedMember adds a member to a group as another client would.
func (s *Server) SeedMember(t testing.TB, groupID, memberID string) {
	t.Helper()
	body := fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"add","path":"members","value":[{"value":%q}]}]}`, PatchOpURN, memberID)
	r := httptest.NewRequest(http.MethodPatch, "http://stricttest/scim/v2/Groups/"+url.PathEscape(groupID), strings.NewReader(body))
	if s.opts.ETags {
		s.mu.Lock()
		if g, ok := s.groups[groupID]; ok {
			r.Header.Set("If-Match", etag(g.version))
		}
		s.mu.Unlock()
	}
	w := httptest.NewRecorder()
	s.patchAnyway(w, r, groupKind, groupID)
	if w.Code != http.StatusOK {
		t.Fatalf("stricttest: seed member %s in %s: %d %s", memberID, groupID, w.Code, w.Body)
	}
}

func withSchemas(t testing.TB, body, urn string) string {
	t.Helper()
	doc, err := decodeObject([]byte(body))
	if err != nil {
		t.Fatalf("stricttest: seed body %s: %v", body, err)
	}
	if _, ok := doc["schemas"]; !ok {
		schemas := []string{urn}
		if _, ext := doc[EnterpriseURN]; ext {
			schemas = append(schemas, EnterpriseURN)
		}
		doc["schemas"] = schemas
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
