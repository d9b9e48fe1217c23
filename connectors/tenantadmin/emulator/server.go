package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// maxBody bounds a request body; a larger one is answered 400.
const maxBody = 1 << 20

// Faults makes the emulator misbehave on purpose (see emukit.Faults): an
// injected 5xx is a 500, 502 or 503.
type Faults = emukit.Faults

// Options configures a Server. The zero value is a tenant with no users, no
// token and no rate limit.
type Options struct {
	// Readings, RateLimit, Faults, Now and Logger. 0 RateLimit is none, as the document gives none.
	emukit.Options
	// Users are the tenant's users (they are managed outside this API).
	Users []User
	// Tokens are the admin tokens accepted from the start.
	Tokens []string
}

// Stats counts what the emulator was asked (see emukit.Stats). Writes are
// POST/PUT/DELETE past the token check and routed to a resource, whatever
// their outcome; ByRoute keys are method and pattern, e.g.
// "POST /api/admin/organizations/{id}/members".
type Stats = emukit.Stats

// Server is an in-memory tenant admin organizations API. It is safe for
// concurrent use.
type Server struct {
	mu              sync.Mutex // also the kit's lock
	kit             *emukit.Kit
	emukit.Controls // the kit's Stats, ResetStats and SetFaults

	tokens   map[string]bool
	readings emukit.Set

	orgs    map[string]*Org
	issued  map[string]bool // every org id ever issued: ids are never reused
	users   map[string]User
	members map[string]map[string]*Member // org id → user id → member
}

// New returns a tenant holding opts.Users and no organization.
func New(opts Options) *Server {
	s := &Server{
		tokens:   map[string]bool{},
		orgs:     map[string]*Org{},
		issued:   map[string]bool{},
		users:    map[string]User{},
		members:  map[string]map[string]*Member{},
		readings: opts.Readings,
	}
	s.kit = emukit.New(emukit.Config{
		Name:        "tenantadmin",
		Lock:        &s.mu,
		Now:         opts.Now,
		Logger:      opts.Logger,
		RateLimit:   opts.RateLimit,
		ResetHeader: emukit.ResetAlways,
		Limited: func() emukit.Response {
			return s.shape(errorResp(http.StatusTooManyRequests, msgTooMany))
		},
		Faults:       opts.Faults,
		ServerErrors: []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable},
		Fault: func(h http.Header, status int) emukit.Response {
			return s.shape(fault(h, status))
		},
		MaxBody:       maxBody,
		InternalError: internalError(opts.Readings),
	})
	s.Controls = s.kit.Controls()
	for _, u := range opts.Users {
		s.users[u.ID] = u
	}
	for _, t := range opts.Tokens {
		s.tokens[t] = true
	}
	return s
}

const msgTooMany = "too many requests"

// fault answers an injected fault: a 429 with Retry-After 1, or a 500, 502
// or 503.
func fault(_ http.Header, status int) emukit.Response {
	if status == http.StatusTooManyRequests {
		return errorResp(status, msgTooMany)
	}
	return errorResp(status, "injected fault")
}

// response is what a handler returns; the kit writes it.
type response = emukit.Response

// errorBody is the shape of every error response.
type errorBody struct {
	Error   string    `json:"error"`
	Message string    `json:"message"`
	Errors  *errorBag `json:"errors,omitempty"`
}

// nestedError is an error body under the errors-nested reading.
type nestedError struct {
	Error nestedDetail `json:"error"`
}

type nestedDetail struct {
	Code    string    `json:"code"`
	Message string    `json:"message"`
	Errors  *errorBag `json:"errors,omitempty"`
}

// internalError is the body of a 500 the kit writes when a response cannot
// be encoded, in the reading's error shape.
func internalError(readings emukit.Set) []byte {
	if readings.Has(ReadingErrorsNested) {
		return []byte(`{"error":{"code":"internal_error","message":"internal error"}}`)
	}
	return []byte(`{"error":"internal_error","message":"internal error"}`)
}

// shape turns a response into the reading's: a validation 422 into a 400
// (validation-400), an error body into the nested shape (errors-nested), a
// success body into one without nulls (null-ignored). Every response
// passes through here, so that each reading holds for all.
func (s *Server) shape(resp response) response {
	eb, ok := resp.Body.(errorBody)
	if !ok {
		if s.readings.Has(ReadingNullIgnored) && resp.Body != nil {
			resp.Body = omitEmpty(resp.Body)
		}
		return resp
	}
	if resp.Status == http.StatusUnprocessableEntity && s.readings.Has(ReadingValidation400) {
		resp.Status = http.StatusBadRequest
		eb.Error = errorCodes[http.StatusBadRequest]
	}
	if s.readings.Has(ReadingErrorsNested) {
		resp.Body = nestedError{Error: nestedDetail{Code: eb.Error, Message: eb.Message, Errors: eb.Errors}}
	} else {
		resp.Body = eb
	}
	return resp
}

// omitEmpty renders a success body as a server whose fields are pointers
// with omitempty would (null-ignored): no null anywhere, no empty
// "children" or "metadata".
func omitEmpty(body any) any {
	raw, err := json.Marshal(body)
	if err != nil {
		return body // the kit reports it when it encodes the original
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return body
	}
	return prune(v)
}

func prune(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			switch y := x.(type) {
			case nil:
				delete(t, k)
				continue
			case []any:
				if len(y) == 0 && k == "children" {
					delete(t, k)
					continue
				}
			case map[string]any:
				if len(y) == 0 && k == "metadata" {
					delete(t, k)
					continue
				}
			}
			t[k] = prune(x)
		}
	case []any:
		for i := range t {
			t[i] = prune(t[i])
		}
	}
	return v
}

func errorResp(status int, msg string) response {
	return emukit.JSON(status, errorBody{Error: errorCodes[status], Message: msg})
}

// errorCodes are the machine-readable codes of the error body, by status.
var errorCodes = map[int]string{
	http.StatusBadRequest:          "invalid_request",
	http.StatusUnauthorized:        "unauthorized",
	http.StatusForbidden:           "forbidden",
	http.StatusNotFound:            "not_found",
	http.StatusMethodNotAllowed:    "method_not_allowed",
	http.StatusConflict:            "conflict",
	http.StatusUnprocessableEntity: "validation_failed",
	http.StatusTooManyRequests:     "rate_limited",
	http.StatusInternalServerError: "internal_error",
	http.StatusBadGateway:          "bad_gateway",
	http.StatusServiceUnavailable:  "service_unavailable",
}

// ServeHTTP serves the API: latency, rate limit (429), fault injection,
// bearer token (401), route (404/405), body (400), then the handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.kit.Serve(w, r, func(r *http.Request, c *emukit.Call) emukit.Response {
		return s.shape(s.handle(r, c.Body, c.BodyErr, c.Now))
	})
}

func (s *Server) handle(r *http.Request, raw []byte, readErr error, now time.Time) response {
	if resp, ok := s.authorize(r); !ok {
		return resp
	}
	rt, allowed := match(r.Method, r.URL.Path)
	if rt == nil {
		if len(allowed) == 0 {
			return errorResp(http.StatusNotFound, "no such endpoint: "+r.URL.Path)
		}
		resp := errorResp(http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed here")
		resp.Header = http.Header{"Allow": {strings.Join(allowed, ", ")}}
		return resp
	}
	s.kit.CountRoute(r.Method + " " + rt.pattern)
	if r.Method != http.MethodGet {
		s.kit.CountWrite()
	}
	c := &call{s: s, r: r, id: rt.id, userID: rt.userID, query: r.URL.Query(), now: now.Unix()}
	if rt.body {
		if readErr != nil {
			return errorResp(http.StatusBadRequest, "the request body could not be read or exceeds 1 MiB")
		}
		in, err := parseBody(r.Header.Get("Content-Type"), raw)
		if err != nil {
			return errorResp(http.StatusBadRequest, err.Error())
		}
		c.in = in
	}
	return rt.h(c)
}

// call is one routed request.
type call struct {
	s      *Server
	r      *http.Request
	id     string // the organization id of the path, if any
	userID string // the user id of the path, if any
	in     input  // the JSON body, for routes that take one
	query  url.Values
	now    int64 // Unix seconds
}

func (c *call) q(key string) string { return c.query.Get(key) }

type routed struct {
	pattern    string
	id, userID string
	body       bool
	h          func(*call) response
}

// prefix is the path of the organizations collection.
const prefix = "/api/admin/organizations"

// match finds the route of method and path. Without one it returns the
// methods the path serves (none: 404; some: 405).
func match(method, path string) (*routed, []string) {
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok || (rest != "" && rest[0] != '/') {
		return nil, nil
	}
	var seg []string
	if rest != "" {
		seg = strings.Split(rest[1:], "/")
	}
	for _, s := range seg {
		if s == "" {
			return nil, nil // a trailing or doubled slash
		}
	}
	type entry struct {
		method string
		h      func(*call) response
	}
	var (
		pattern    string
		id, userID string
		table      []entry
	)
	switch {
	case len(seg) == 0:
		pattern = prefix
		table = []entry{{http.MethodGet, (*call).listOrgs}, {http.MethodPost, (*call).createOrg}}
	case len(seg) == 1:
		pattern, id = prefix+"/{id}", seg[0]
		table = []entry{{http.MethodGet, (*call).getOrg}, {http.MethodPut, (*call).updateOrg}, {http.MethodDelete, (*call).deleteOrg}}
	case len(seg) == 2 && seg[1] == "members":
		pattern, id = prefix+"/{id}/members", seg[0]
		table = []entry{{http.MethodGet, (*call).listMembers}, {http.MethodPost, (*call).addMember}}
	case len(seg) == 3 && seg[1] == "members":
		pattern, id, userID = prefix+"/{id}/members/{userId}", seg[0], seg[2]
		table = []entry{{http.MethodDelete, (*call).removeMember}}
	case len(seg) == 2 && seg[1] == "hierarchy":
		pattern, id = prefix+"/{id}/hierarchy", seg[0]
		table = []entry{{http.MethodGet, (*call).hierarchy}}
	default:
		return nil, nil
	}
	e, ok, allowed := emukit.PickMethod(table, method, func(e entry) string { return e.method })
	if !ok {
		return nil, allowed
	}
	return &routed{pattern: pattern, id: id, userID: userID, body: method == http.MethodPost || method == http.MethodPut, h: e.h}, nil
}
