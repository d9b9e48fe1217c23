package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// DefaultTokenTTL is the lifetime of an access token (the document gives
// none; an hour is the common default of OIDC providers).
const DefaultTokenTTL = time.Hour

// TokenPath is where the token endpoint is served (the document leaves the
// token URL blank).
const TokenPath = "/oauth2/token"

// maxBody bounds a request body; a larger one is answered 413.
const maxBody = 1 << 20

// Faults makes the emulator misbehave on purpose (see emukit.Faults): an
// injected 5xx is a 500, 502 or 503.
type Faults = emukit.Faults

// Options configures a Server. The zero value serves the document: no rate
// limit, one-hour tokens, the wall clock.
type Options struct {
	// Readings, RateLimit, Faults, Now and Logger. 0 RateLimit is none, as the document gives none.
	emukit.Options
	// TokenTTL is the lifetime of an access token; 0: DefaultTokenTTL, or
	// ShortTokenTTL under token-short-lived.
	TokenTTL time.Duration

	// StatusValues are the status values of the PUT enum. Zero: active and
	// suspended, or ACTIVE and INACTIVE under status-upper; set, they are
	// served under any reading.
	StatusValues StatusValues
	// PageSize is the number of list entries a page under paginated; 0:
	// DefaultPageSize.
	PageSize int
}

// StatusValues are the two values of the status enum, the one that grants
// access and the one that withholds it.
type StatusValues struct {
	Active    string
	Suspended string
}

// Stats counts what the emulator was asked (see emukit.Stats). Writes are
// POST/PUT/DELETE routed to an assignment (not the token call), whatever
// their outcome; ByRoute keys are method and route pattern, e.g.
// "POST /directory/orgs/{organizationId}/accounts/users/{subjectId}/{code}".
type Stats = emukit.Stats

// Route patterns, as Stats.ByRoute names them.
const (
	RouteToken      = TokenPath
	RouteAccounts   = "/directory/orgs/{organizationId}/accounts/users"
	RouteAssignment = "/directory/orgs/{organizationId}/accounts/users/{subjectId}/{code}"
)

// Server is an in-memory directory account-type API. It is safe for
// concurrent use.
type Server struct {
	mu              sync.Mutex // also the kit's lock
	kit             *emukit.Kit
	emukit.Controls // the kit's Stats, ResetStats and SetFaults
	ttl             time.Duration

	clients map[string]string    // client id → secret
	tokens  map[string]time.Time // access token → expiry

	orgs map[string]*org

	readings emukit.Set
	statuses StatusValues
	pageSize int
}

// New returns a server with no organization and no client: register them
// with AddOrganization and AddClient (or use NewDemo).
func New(opts Options) *Server {
	s := &Server{
		ttl:      opts.TokenTTL,
		clients:  map[string]string{},
		tokens:   map[string]time.Time{},
		orgs:     map[string]*org{},
		readings: emukit.Set{},
		statuses: opts.StatusValues,
		pageSize: opts.PageSize,
	}
	for name, on := range opts.Readings {
		s.readings[name] = on
	}
	switch {
	case s.ttl > 0:
	case s.readings.Has(ReadingTokenShortLived):
		s.ttl = ShortTokenTTL
	default:
		s.ttl = DefaultTokenTTL
	}
	switch {
	case s.statuses.Active != "" && s.statuses.Suspended != "":
	case s.readings.Has(ReadingStatusUpper):
		s.statuses = StatusValues{Active: StatusUpperActive, Suspended: StatusUpperSuspended}
	default:
		s.statuses = StatusValues{Active: StatusActive, Suspended: StatusSuspended}
	}
	if s.pageSize <= 0 {
		s.pageSize = DefaultPageSize
	}
	internal := []byte(`{"message":"Internal server error."}`)
	if s.readings.Has(ReadingErrorsNested) {
		internal = []byte(`{"error":{"code":"server_error","message":"Internal server error."}}`)
	}
	s.kit = emukit.New(emukit.Config{
		Name:        "directory",
		Lock:        &s.mu,
		Now:         opts.Now,
		Logger:      opts.Logger,
		RateLimit:   opts.RateLimit,
		ResetHeader: emukit.ResetOnLimit,
		Limited: func() emukit.Response {
			return s.message(http.StatusTooManyRequests, msgTooMany)
		},
		Faults:        opts.Faults,
		ServerErrors:  []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable},
		Fault:         s.fault(opts.RateLimit),
		MaxBody:       maxBody,
		InternalError: internal,
		LogRoute:      true, // a path holds subject ids
	})
	s.Controls = s.kit.Controls()
	return s
}

const msgTooMany = "Too many requests: retry after the time in Retry-After."

// fault answers an injected fault: a 429 like the limiter's (Retry-After
// 1), a 500, a 502 or a 503 (with Retry-After 1).
func (s *Server) fault(limit int) func(http.Header, int) emukit.Response {
	return func(h http.Header, status int) emukit.Response {
		switch status {
		case http.StatusTooManyRequests:
			if limit > 0 {
				h.Set("X-RateLimit-Remaining", "0")
			}
			return s.message(status, msgTooMany)
		case http.StatusBadGateway:
			return s.message(status, "Bad gateway.")
		case http.StatusServiceUnavailable:
			h.Set("Retry-After", "1")
			return s.message(status, "Service unavailable.")
		default:
			return s.message(status, "Internal server error.")
		}
	}
}

// response is what a handler returns; the kit writes it.
type response = emukit.Response

// apiError is the error body of every API route: {"message": …} and, on a
// 422, "errors" by field name. Under errors-nested it is the "error"
// member of nestedError, with a code.
type apiError struct {
	Code    string              `json:"code,omitempty"`
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors,omitempty"`
}

type nestedError struct {
	Error apiError `json:"error"`
}

// message is an error answer with no field errors.
func (s *Server) message(status int, msg string) response { return s.apiError(status, "", msg, nil) }

// apiError is an error answer in the shape of the reading: code is the
// machine-readable code under errors-nested ("" derives one from status).
func (s *Server) apiError(status int, code, msg string, fields map[string][]string) response {
	if !s.readings.Has(ReadingErrorsNested) {
		return emukit.JSON(status, apiError{Message: msg, Errors: fields})
	}
	if code == "" {
		code = errorCode(status)
	}
	return emukit.JSON(status, nestedError{Error: apiError{Code: code, Message: msg, Errors: fields}})
}

// errorCode names a status under errors-nested.
func errorCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "payload_too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusUnprocessableEntity:
		return "validation_failed"
	case http.StatusTooManyRequests:
		return "too_many_requests"
	}
	return "server_error"
}

// ServeHTTP serves the API. The order of checks: latency, rate limit, fault
// injection, route (404/405), token (401), organization (404), assignment
// (404), body (400/413/415), validation (422), conflict (409).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.kit.Serve(w, r, func(r *http.Request, c *emukit.Call) emukit.Response {
		resp, pattern := s.handle(r, c.Body, c.BodyErr, c.Now)
		c.Route = pattern // the request log names the route, not the path
		return resp
	})
}

// errTooLarge is the read error of a body over maxBody (answered 413).
var errTooLarge = emukit.ErrBodyTooLarge

// call is one routed API request.
type call struct {
	org     *org
	subject string
	code    string
	raw     []byte
	readErr error
	ctype   string
	now     time.Time
	// query and the request's origin and escaped path, for the pages of
	// paginated.
	query  url.Values
	origin string
	path   string
}

func (s *Server) handle(r *http.Request, raw []byte, readErr error, now time.Time) (response, string) {
	rt := match(r.URL)
	if rt == nil {
		return s.message(http.StatusNotFound, "Not found: no such route."), ""
	}
	h, ok := rt.methods[r.Method]
	if !ok {
		allowed := make([]string, 0, len(rt.methods))
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			if _, ok := rt.methods[m]; ok {
				allowed = append(allowed, m)
			}
		}
		resp := s.message(http.StatusMethodNotAllowed, "Method not allowed.")
		resp.Header = http.Header{"Allow": {strings.Join(allowed, ", ")}}
		return resp, rt.pattern
	}
	s.kit.CountRoute(r.Method + " " + rt.pattern)
	if rt.pattern == RouteToken {
		return s.issueToken(r, raw, readErr, now), rt.pattern
	}
	if r.Method != http.MethodGet {
		s.kit.CountWrite()
	}
	if resp, ok := s.authorize(r, now); !ok {
		return resp, rt.pattern
	}
	o := s.orgs[rt.orgID]
	if o == nil {
		return s.message(http.StatusNotFound, "Organization "+quote(rt.orgID)+" not found."), rt.pattern
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return h(s, &call{
		org: o, subject: rt.subject, code: rt.code,
		raw: raw, readErr: readErr, ctype: r.Header.Get("Content-Type"), now: now,
		query: r.URL.Query(), origin: scheme + "://" + r.Host, path: r.URL.EscapedPath(),
	}), rt.pattern
}

type handler func(*Server, *call) response

// routed is a matched path: its pattern, its path parameters and the
// handlers by method.
type routed struct {
	pattern string
	orgID   string
	subject string
	code    string
	methods map[string]handler
}

// match routes a URL by its escaped path, unescaping each segment, so that
// a subject id holding an escaped "/" stays one segment. Paths match
// exactly: no trailing slash.
func match(u *url.URL) *routed {
	parts := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	seg := make([]string, len(parts))
	for i, p := range parts {
		v, err := url.PathUnescape(p)
		if err != nil {
			return nil
		}
		seg[i] = v
	}
	switch {
	case len(seg) == 2 && seg[0] == "oauth2" && seg[1] == "token":
		return &routed{pattern: RouteToken, methods: map[string]handler{http.MethodPost: nil}}
	case len(seg) == 5 && seg[0] == "directory" && seg[1] == "orgs" && seg[3] == "accounts" && seg[4] == "users":
		return &routed{pattern: RouteAccounts, orgID: seg[2], methods: map[string]handler{
			http.MethodGet: (*Server).listAccounts,
		}}
	case len(seg) == 7 && seg[0] == "directory" && seg[1] == "orgs" && seg[3] == "accounts" && seg[4] == "users":
		return &routed{pattern: RouteAssignment, orgID: seg[2], subject: seg[5], code: seg[6], methods: map[string]handler{
			http.MethodPost:   (*Server).assign,
			http.MethodPut:    (*Server).update,
			http.MethodDelete: (*Server).unassign,
		}}
	}
	return nil
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
