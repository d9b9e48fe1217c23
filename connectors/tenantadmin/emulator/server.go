package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// maxBody bounds a request body; a larger one is answered 400.
const maxBody = 1 << 20

// Faults makes the emulator misbehave on purpose. One generator seeded with
// Seed draws once per request that got past the rate limiter, so the same
// request sequence meets the same faults.
type Faults struct {
	Rate429 float64       // share answered 429 (before any processing: no side effect)
	Rate5xx float64       // share answered 500, 502 or 503 (before any processing)
	Latency time.Duration // real time added to every request
	Seed    int64
}

// Options configures a Server. The zero value is a tenant with no users, no
// token and no rate limit.
type Options struct {
	// RateLimit is requests per minute per client IP. The document has no
	// rate limit, so 0 means none, like a negative value.
	RateLimit int
	Faults    Faults           // injected from the first request on; see SetFaults
	Now       func() time.Time // clock of timestamps and the rate-limit window; nil = time.Now
	Logger    *zap.Logger      // nil = nop
	// Users are the tenant's users (they are managed outside this API).
	Users []User
	// Tokens are the admin tokens accepted from the start.
	Tokens []string
}

// Stats counts what the emulator was asked.
type Stats struct {
	Requests    int // every request, whatever became of it
	Writes      int // POST/PUT/DELETE past the token check and routed to a resource, whatever their outcome
	RateLimited int // answered 429 by the rate limiter
	Faulted     int // answered by fault injection
	// ByRoute counts routed requests by method and pattern, e.g.
	// "POST /api/admin/organizations/{id}/members".
	ByRoute map[string]int
}

// Server is an in-memory tenant admin organizations API. It is safe for
// concurrent use.
type Server struct {
	mu    sync.Mutex
	now   func() time.Time
	log   *zap.Logger
	limit int // <= 0: unlimited

	faults Faults
	rng    *rand.Rand

	tokens  map[string]bool
	windows map[string]*window
	stats   Stats

	orgs    map[string]*Org
	issued  map[string]bool // every org id ever issued: ids are never reused
	users   map[string]User
	members map[string]map[string]*Member // org id → user id → member
}

// New returns a tenant holding opts.Users and no organization.
func New(opts Options) *Server {
	s := &Server{
		now:     opts.Now,
		log:     opts.Logger,
		limit:   opts.RateLimit,
		tokens:  map[string]bool{},
		windows: map[string]*window{},
		stats:   Stats{ByRoute: map[string]int{}},
		orgs:    map[string]*Org{},
		issued:  map[string]bool{},
		users:   map[string]User{},
		members: map[string]map[string]*Member{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	s.setFaults(opts.Faults)
	for _, u := range opts.Users {
		s.users[u.ID] = u
	}
	for _, t := range opts.Tokens {
		s.tokens[t] = true
	}
	return s
}

// SetFaults replaces the fault settings and reseeds the fault generator.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setFaults(f)
}

func (s *Server) setFaults(f Faults) {
	s.faults = f
	seed := uint64(f.Seed)
	s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByRoute = maps.Clone(s.stats.ByRoute)
	return st
}

// ResetStats sets every counter to zero.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = Stats{ByRoute: map[string]int{}}
}

// response is what a handler returns; write encodes it.
type response struct {
	status int
	body   any // nil: no body
	header http.Header
}

func jsonResp(status int, body any) response { return response{status: status, body: body} }

// errorBody is the shape of every error response.
type errorBody struct {
	Error   string    `json:"error"`
	Message string    `json:"message"`
	Errors  *errorBag `json:"errors,omitempty"`
}

func errorResp(status int, msg string) response {
	return jsonResp(status, errorBody{Error: errorCodes[status], Message: msg})
}

// errorCodes are the machine-readable codes of the error body, by status.
var errorCodes = map[int]string{
	http.StatusBadRequest:          "invalid_request",
	http.StatusUnauthorized:        "unauthorized",
	http.StatusNotFound:            "not_found",
	http.StatusMethodNotAllowed:    "method_not_allowed",
	http.StatusConflict:            "conflict",
	http.StatusUnprocessableEntity: "validation_failed",
	http.StatusTooManyRequests:     "rate_limited",
	http.StatusInternalServerError: "internal_error",
	http.StatusBadGateway:          "bad_gateway",
	http.StatusServiceUnavailable:  "service_unavailable",
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// ServeHTTP serves the API: latency, rate limit (429), fault injection,
// bearer token (401), route (404/405), body (400), then the handler.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w := &statusWriter{ResponseWriter: rw}
	defer func() {
		s.log.Debug("tenantadmin emulator request",
			zap.String("method", r.Method), zap.String("path", r.URL.Path),
			zap.Int("status", w.status), zap.Duration("duration", time.Since(start)))
	}()

	s.mu.Lock()
	s.stats.Requests++
	latency := s.faults.Latency
	s.mu.Unlock()
	if latency > 0 && !sleepCtx(r.Context(), latency) {
		return // the client went away; nothing was processed
	}
	// Read the body outside the lock so that a slow client holds up no one.
	var raw []byte
	var readErr error
	if r.Body != nil && r.Method != http.MethodGet {
		raw, readErr = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if readErr == nil && len(raw) > maxBody {
			readErr = errors.New("body too large")
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !s.rateLimit(w.Header(), clientIP(r), now) {
		s.stats.RateLimited++
		s.write(w, errorResp(http.StatusTooManyRequests, "too many requests"))
		return
	}
	if resp, faulted := s.injectFault(w.Header()); faulted {
		s.stats.Faulted++
		s.write(w, resp)
		return
	}
	s.write(w, s.handle(r, raw, readErr, now))
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
		resp.header = http.Header{"Allow": {strings.Join(allowed, ", ")}}
		return resp
	}
	s.stats.ByRoute[r.Method+" "+rt.pattern]++
	if r.Method != http.MethodGet {
		s.stats.Writes++
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

// write encodes resp; a body is always application/json.
func (s *Server) write(w http.ResponseWriter, resp response) {
	for k, vs := range resp.header {
		w.Header()[k] = vs
	}
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	b, err := json.Marshal(resp.body)
	if err != nil {
		s.log.Error("tenantadmin emulator: encode response", zap.Error(err))
		b = []byte(`{"error":"internal_error","message":"internal error"}`)
		resp.status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.status)
	_, _ = w.Write(b)
}

// call is one routed request.
type call struct {
	s      *Server
	r      *http.Request
	id     string // the organization id of the path, if any
	userID string // the user id of the path, if any
	in     input  // the JSON body, for routes that take one
	query  map[string][]string
	now    int64 // Unix seconds
}

func (c *call) q(key string) string {
	if v := c.query[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

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
	allowed := make([]string, 0, len(table))
	for _, e := range table {
		if e.method == method {
			return &routed{pattern: pattern, id: id, userID: userID, body: method == http.MethodPost || method == http.MethodPut, h: e.h}, nil
		}
		allowed = append(allowed, e.method)
	}
	return nil, allowed
}

// injectFault draws this request's fate: a 429 with Retry-After 1, or a
// 500, 502 or 503 with equal odds.
func (s *Server) injectFault(h http.Header) (response, bool) {
	f := s.faults
	if f.Rate429 <= 0 && f.Rate5xx <= 0 {
		return response{}, false
	}
	x := s.rng.Float64()
	switch {
	case x < f.Rate429:
		h.Set("Retry-After", "1")
		return errorResp(http.StatusTooManyRequests, "too many requests"), true
	case x < f.Rate429+f.Rate5xx:
		status := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}[s.rng.IntN(3)]
		return errorResp(status, "injected fault"), true
	}
	return response{}, false
}

// sleepCtx waits d or until ctx is done; it reports whether d elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
