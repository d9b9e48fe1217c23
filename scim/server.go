package scim

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	libscim "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/metrics"
	"github.com/orgbridge/orgbridge/internal/store"
)

// BasePath is where the endpoint is served: /scim/v2/Users and so on.
const BasePath = "/scim/v2"

// contentType is the media type of every SCIM response (RFC 7644 §3.1).
const contentType = "application/scim+json"

// Options configure a Server.
type Options struct {
	Store store.Store
	// Tokens are the bearer tokens accepted (at least one).
	Tokens []string
	// MaxBodyBytes bounds a request body; default 1 MiB.
	MaxBodyBytes int64
	// MaxResults bounds a list page; default 100.
	MaxResults int
	Logger     *zap.Logger
	// OnChange, when set, is called after every write that was accepted
	// (the daemon debounces these into incremental runs).
	OnChange func()
	// PublicURL, when set, is the scheme, host and any path prefix clients
	// reach the endpoint at ("https://scim.example.com"), for the absolute
	// URLs of meta.location, Location and Content-Location; unset, they are
	// derived from each request (baseURL).
	PublicURL string
	// Mappings, when set, are the mappings of the jobs that read the
	// endpoint, asked before each create, PUT and PATCH: what they could
	// not map is refused (admission.go). It is called on every write, so
	// a reloaded config applies to the next push.
	Mappings func() []Mapping
}

// Server is the SCIM 2.0 endpoint: the library's server, wrapped with what
// it lacks (see doc.go).
type Server struct {
	lib      libscim.Server
	tokens   [][]byte
	maxBody  int64
	maxPage  int
	log      *zap.Logger
	onChange func()
	public   string
	// locks serialize the writes to each resource (keyedlock.go).
	locks *keyedLock
}

// New makes the endpoint. It turns on the library's (process-wide) string
// values for booleans and numbers, which Entra sends ("active": "True").
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("scim: no store")
	}
	if len(opts.Tokens) == 0 {
		return nil, errors.New("scim: at least one token is required")
	}
	s := &Server{maxBody: opts.MaxBodyBytes, maxPage: opts.MaxResults, log: opts.Logger, onChange: opts.OnChange}
	if s.maxBody <= 0 {
		s.maxBody = 1 << 20
	}
	if s.maxPage <= 0 {
		s.maxPage = 100
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if opts.PublicURL != "" {
		u, err := url.Parse(opts.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("scim: public URL %q: want http(s)://host[/prefix]", opts.PublicURL)
		}
		s.public = strings.TrimSuffix(opts.PublicURL, "/")
	}
	for i, t := range opts.Tokens {
		if t == "" {
			return nil, fmt.Errorf("scim: token %d is empty", i)
		}
		s.tokens = append(s.tokens, []byte(t))
	}
	schema.SetAllowStringValues(true)
	m := newMatcher(userSchema(), enterpriseSchema())
	locks := &keyedLock{}
	s.locks = locks
	admit := newAdmission(opts.Store, opts.Mappings, s.log)
	users := &resources{typ: TypeUser, store: opts.Store, match: m, log: s.log, locks: locks, admit: admit}
	groups := &resources{typ: TypeGroup, store: opts.Store, match: newMatcher(groupSchema()), log: s.log, locks: locks, admit: admit}
	types := resourceTypes(users, groups)
	for _, t := range types {
		t.Handler.(*resources).describe(t)
	}
	lib, err := libscim.NewServer(&libscim.ServerArgs{
		ServiceProviderConfig: &libscim.ServiceProviderConfig{MaxResults: s.maxPage, SupportFiltering: true, SupportPatch: true},
		ResourceTypes:         types,
	})
	if err != nil {
		return nil, fmt.Errorf("scim: %w", err)
	}
	s.lib = lib
	return s, nil
}

// writeError writes a SCIM error response.
func writeError(w http.ResponseWriter, e scimerrors.ScimError) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(e)
}

// authorized compares the bearer token with every configured token in
// constant time, looking at all of them whichever matches.
func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := []byte(strings.TrimSpace(token))
	match := 0
	for _, t := range s.tokens {
		match |= subtle.ConstantTimeCompare(got, t)
	}
	return match == 1
}

// ServeHTTP authenticates, bounds and normalizes the request, serves it
// with the library and completes the response.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	s.serve(rec, r)
	// Never log the Authorization header or bodies: they carry secrets
	// and personal data.
	s.log.Info("scim request", zap.String("method", r.Method), zap.String("path", r.URL.Path),
		zap.Int("status", rec.status), zap.Duration("duration", time.Since(start)))

	// Metrics: orgbridge_scim_requests_total{method,resource,status}.
	metrics.ObserveSCIMRequest(r.Method, metricsResource(r.URL.Path), rec.status)
}

// metricsResource is the endpoint a path asks for, as the RFC spells it
// ("Users" for /scim/v2/users/1), the metrics' resource label; any other
// path (Me, Bulk, an unknown one) is "other".
func metricsResource(path string) string {
	if rest, ok := strings.CutPrefix(strings.TrimSuffix(path, "/"), BasePath+"/"); ok {
		seg, _, _ := strings.Cut(strings.TrimPrefix(canonicalEndpoint("/"+rest), "/"), "/")
		if slices.Contains(metrics.SCIMResources, seg) {
			return seg
		}
	}
	return metrics.Other
}

func (s *Server) serve(w *recorder, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	if path != BasePath && !strings.HasPrefix(path, BasePath+"/") {
		writeError(w, scimerrors.ScimError{Status: http.StatusNotFound, Detail: "SCIM is served under " + BasePath})
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="orgbridge"`)
		writeError(w, scimerrors.ScimError{Status: http.StatusUnauthorized, Detail: "a valid bearer token is required"})
		return
	}
	if s.public != "" {
		r = r.WithContext(context.WithValue(r.Context(), publicURLKey{}, s.public))
	}
	rest := canonicalEndpoint(strings.TrimPrefix(path, BasePath))
	if rest == "/ServiceProviderConfig" && r.Method == http.MethodGet {
		s.serviceProviderConfig(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, scimerrors.ScimError{Status: http.StatusRequestEntityTooLarge,
				Detail: fmt.Sprintf("the request body exceeds %d bytes", s.maxBody)})
			return
		}
		writeError(w, scimerrors.ScimErrorBadRequest("reading the request body: "+err.Error()))
		return
	}
	if len(body) > 0 && (r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch) {
		if body, err = normalizeBody(body); err != nil {
			writeError(w, scimerrors.ScimError{ScimType: scimerrors.ScimTypeInvalidSyntax, Status: http.StatusBadRequest,
				Detail: "the body is not valid JSON: " + err.Error()})
			return
		}
	}
	// The library routes "/v2/Users/" (a trailing slash, as Microsoft's
	// collection sends with a filter) to Get with an empty id: trim it.
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/v2" + rest
	r2.URL.RawPath = ""
	q := r2.URL.Query()
	if f := q.Get("filter"); f != "" {
		q.Set("filter", normalizeFilter(f))
		r2.URL.RawQuery = q.Encode()
	}
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))

	if r.Method == http.MethodPost && (rest == "/.search" || rest == "/Users/.search" || rest == "/Groups/.search") {
		s.search(w, r2, strings.TrimSuffix(rest, "/.search"), body)
		return
	}
	if rest == "/Bulk" {
		// ServiceProviderConfig says bulk is unsupported; the library
		// would answer 404, as if the endpoint were unknown.
		writeError(w, scimerrors.ScimError{Status: http.StatusNotImplemented, Detail: "bulk operations are not supported"})
		return
	}
	if r.Method == http.MethodPost {
		s.create(w, r2)
		return
	}
	if r.Method == http.MethodGet && (rest == "/Users" || rest == "/Groups") {
		s.list(w, r2)
		return
	}
	var patched patchedVersion
	if r.Method == http.MethodPatch {
		r2 = r2.WithContext(context.WithValue(r2.Context(), patchedKey{}, &patched))
	}
	buf := s.buffered(w, r2)
	if buf.status == http.StatusNoContent && patched.etag != "" {
		// RFC 7644 §3.14: the new version, which the library sets only
		// with a body, so that a client's next write needs no GET.
		w.Header().Set("ETag", patched.etag)
	}
	out := buf.body.Bytes()
	if r.Method == http.MethodGet && buf.status == http.StatusOK {
		out = discoveryMeta(r2, rest, out)
	}
	out, loc := absoluteLocations(r2, out)
	if loc != "" && buf.status == http.StatusOK {
		// RFC 7643 §3.1: meta.location is the Content-Location.
		w.Header().Set("Content-Location", loc)
	}
	buf.send(w, out)
	if w.status/100 == 2 && r.Method != http.MethodGet {
		s.changed()
	}
}

// discoveryMeta completes the documents of /Schemas and /ResourceTypes
// (lists and single ones), which the library serves without meta: each
// gets meta.resourceType ("Schema", "ResourceType") and meta.location, its
// absolute URL (RFC 7643 §6, §7); a list's itemsPerPage becomes the number
// of resources on the page (RFC 7644 §3.4.2), where the library puts the
// count asked for. Other bodies are returned as they are.
func discoveryMeta(r *http.Request, rest string, body []byte) []byte {
	endpoint, _, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	kind, key := "Schema", "id"
	switch endpoint {
	case "Schemas":
	case "ResourceTypes":
		kind, key = "ResourceType", "name"
	default:
		return body
	}
	complete := func(raw json.RawMessage) json.RawMessage {
		var doc map[string]json.RawMessage
		var name string
		if json.Unmarshal(raw, &doc) != nil || json.Unmarshal(doc[key], &name) != nil || name == "" {
			return raw
		}
		if _, ok := doc["meta"]; ok {
			return raw
		}
		doc["meta"], _ = json.Marshal(map[string]string{
			"resourceType": kind,
			"location":     baseURL(r) + BasePath + "/" + endpoint + "/" + url.PathEscape(name),
		})
		if b, err := json.Marshal(doc); err == nil {
			return b
		}
		return raw
	}
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return body
	}
	raw, ok := doc["Resources"]
	if !ok {
		return complete(body)
	}
	var list []json.RawMessage
	_ = json.Unmarshal(raw, &list)
	for i := range list {
		list[i] = complete(list[i])
	}
	if list == nil {
		list = []json.RawMessage{}
	}
	doc["Resources"], _ = json.Marshal(list)
	doc["itemsPerPage"] = json.RawMessage(fmt.Sprint(len(list)))
	if b, err := json.Marshal(doc); err == nil {
		return b
	}
	return body
}

// absoluteLocations makes meta.location absolute in a response body: the
// library writes it relative ("Users/<id>"), where RFC 7643 §3.1 wants the
// resource's URI, the same as Location on create and Content-Location on
// GET. A list has each of its Resources done; a single resource's location
// is returned as well. The scheme and host are the request's (baseURL).
// Bodies that are not JSON objects are returned as they are.
func absoluteLocations(r *http.Request, body []byte) ([]byte, string) {
	var doc map[string]json.RawMessage
	if len(body) == 0 || json.Unmarshal(body, &doc) != nil {
		return body, ""
	}
	if raw, ok := doc["Resources"]; ok {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return body, ""
		}
		for i, res := range list {
			list[i], _ = absoluteLocations(r, res)
		}
		if b, err := json.Marshal(list); err == nil {
			doc["Resources"] = b
		}
		if b, err := json.Marshal(doc); err == nil {
			return b, ""
		}
		return body, ""
	}
	var meta map[string]json.RawMessage
	if json.Unmarshal(doc["meta"], &meta) != nil || meta == nil {
		return body, ""
	}
	var loc string
	if json.Unmarshal(meta["location"], &loc) != nil || loc == "" {
		return body, ""
	}
	if !strings.Contains(loc, "://") {
		loc = baseURL(r) + BasePath + "/" + strings.TrimPrefix(loc, "/")
	}
	meta["location"], _ = json.Marshal(loc)
	m, err := json.Marshal(meta)
	if err != nil {
		return body, ""
	}
	doc["meta"] = m
	b, err := json.Marshal(doc)
	if err != nil {
		return body, ""
	}
	return b, loc
}

// endpoints are the names of the endpoints, in the RFC's spelling.
var endpoints = []string{"Users", "Groups", "Schemas", "ResourceTypes", "ServiceProviderConfig", "Me", "Bulk"}

// canonicalEndpoint spells the endpoint of a path ("/users/1") as the RFC
// does ("/Users/1"): Microsoft's collection asks for /users, and an
// endpoint name is no place for case to matter.
func canonicalEndpoint(rest string) string {
	seg, tail, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	for _, e := range endpoints {
		if strings.EqualFold(seg, e) {
			if tail != "" {
				return "/" + e + "/" + tail
			}
			return "/" + e
		}
	}
	return rest
}

// buffered serves r with the library into a buffer and carries its headers
// over to w, so that the response can be completed before it is sent.
func (s *Server) buffered(w *recorder, r *http.Request) *bufferedResponse {
	buf := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
	note := &unavailableNote{}
	s.lib.ServeHTTP(buf, r.WithContext(context.WithValue(r.Context(), unavailableKey{}, note)))
	if note.err != nil {
		// The library answers 500 for a 503 from a handler
		// (errors.CheckScimError): a write that could not be made in
		// time (errBusy), or a cancelled request. Answer it as it is,
		// retryable.
		buf.header = http.Header{"Content-Type": {contentType}, "Retry-After": {retryAfter}}
		buf.status = note.err.Status
		buf.body.Reset()
		_ = json.NewEncoder(&buf.body).Encode(note.err)
	}
	for k, v := range buf.header {
		w.Header()[k] = v
	}
	return buf
}

// send writes the buffered status with body, which may differ from the
// buffered one.
func (b *bufferedResponse) send(w *recorder, body []byte) {
	w.Header().Del("Content-Length")
	w.WriteHeader(b.status)
	_, _ = w.Write(body)
}

// create serves a POST, buffered so that the Location header the library
// does not set can be added (RFC 7644 §3.3): the new resource's
// meta.location, made absolute.
func (s *Server) create(w *recorder, r *http.Request) {
	buf := s.buffered(w, r)
	body, loc := absoluteLocations(r, buf.body.Bytes())
	if buf.status == http.StatusCreated && loc != "" {
		w.Header().Set("Location", loc)
		w.Header().Set("Content-Location", loc)
	}
	buf.send(w, body)
	if buf.status == http.StatusCreated {
		s.changed()
	}
}

// list serves a GET of a collection. The library parses and checks the
// query (filter, startIndex, count) and calls GetAll, which renders the
// page itself, complete with absolute meta.location (renderedPage); the
// library's answer, a list without resources, is replaced by one written
// around them, its itemsPerPage the number of resources on the page (RFC
// 7644 §3.4.2), where the library puts the count asked for.
func (s *Server) list(w *recorder, r *http.Request) {
	note := &renderedPage{}
	buf := s.buffered(w, r.WithContext(context.WithValue(r.Context(), renderedKey{}, note)))
	if buf.status != http.StatusOK || !note.done {
		buf.send(w, buf.body.Bytes())
		return
	}
	buf.send(w, listResponse(note))
}

// listResponse is the body of a list response of a rendered page, its keys
// in the order encoding/json writes a map's.
func listResponse(p *renderedPage) []byte {
	n := 128
	for _, res := range p.resources {
		n += len(res) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"Resources":[`...)
	for i, res := range p.resources {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, res...)
	}
	b = append(b, `],"itemsPerPage":`...)
	b = strconv.AppendInt(b, int64(len(p.resources)), 10)
	b = append(b, `,"schemas":["`+listURN+`"],"startIndex":`...)
	b = strconv.AppendInt(b, int64(p.startIndex), 10)
	b = append(b, `,"totalResults":`...)
	b = strconv.AppendInt(b, int64(p.total), 10)
	return append(b, '}')
}

func (s *Server) changed() {
	if s.onChange != nil {
		s.onChange()
	}
}

// publicURLKey carries Options.PublicURL in a request's context.
type publicURLKey struct{}

// baseURL is what the absolute URLs served start with: Options.PublicURL
// when set, else the scheme and host the client reached: the request's
// Host header, https when the connection is TLS. Behind a proxy that
// terminates TLS or rewrites Host, either PublicURL is set or the proxy
// passes the public Host on (and the scheme is http unless TLS reaches
// orgbridge); X-Forwarded-* headers are not trusted, as any client could
// send them.
func baseURL(r *http.Request) string {
	if p, ok := r.Context().Value(publicURLKey{}).(string); ok && p != "" {
		return p
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// serviceProviderConfig is served here rather than by the library, whose
// document says ETags are unsupported; this endpoint sends them and honours
// If-Match.
func (s *Server) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	doc := map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": "https://github.com/orgbridge/orgbridge#scim",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": s.maxBody},
		"filter":           map[string]any{"supported": true, "maxResults": s.maxPage},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": false},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
			"description": "A bearer token from the orgbridge configuration (scim.tokens).",
			"specUri":     "https://www.rfc-editor.org/info/rfc6750",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": baseURL(r) + BasePath + "/ServiceProviderConfig"},
	}
	w.Header().Set("Content-Type", contentType)
	_ = json.NewEncoder(w).Encode(doc)
}

// recorder remembers the status written.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// patchedKey is the context key of a PATCH's *patchedVersion.
type patchedKey struct{}

// patchedVersion carries the version a PATCH answered 204 left, for its
// ETag header.
type patchedVersion struct{ etag string }

// bufferedResponse holds a whole response until it is complete.
// unavailableKey is the context key of a request's *unavailableNote.
type unavailableKey struct{}

// unavailableNote carries a handler's 503 past the library, which would
// answer 500 (see unavailable).
type unavailableNote struct {
	err *scimerrors.ScimError
}

// unavailable notes err, when it is a 503 SCIM error, in r's context for
// buffered to answer, and returns it.
func unavailable(r *http.Request, err error) error {
	var e scimerrors.ScimError
	if errors.As(err, &e) && e.Status == http.StatusServiceUnavailable {
		if note, ok := r.Context().Value(unavailableKey{}).(*unavailableNote); ok {
			note.err = &e
		}
	}
	return err
}

type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(code int)        { b.status = code }
