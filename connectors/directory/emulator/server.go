package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// DefaultTokenTTL is the lifetime of an access token (the document gives
// none; an hour is the common default of OIDC providers).
const DefaultTokenTTL = time.Hour

// TokenPath is where the token endpoint is served (the document leaves the
// token URL blank).
const TokenPath = "/oauth2/token"

// maxBody bounds a request body; a larger one is answered 413.
const maxBody = 1 << 20

// Faults makes the emulator misbehave on purpose. Shares are drawn, in
// order, from one generator seeded with Seed, once per request that got past
// the rate limiter, so the same request sequence meets the same faults.
type Faults struct {
	Rate429 float64       // share of requests answered 429 (before any processing, so no side effect)
	Rate5xx float64       // share answered 500, 502 or 503 (before processing)
	Latency time.Duration // added to every request, real time
	Seed    int64
}

// Options configures a Server. The zero value serves the document: no rate
// limit, one-hour tokens, the wall clock.
type Options struct {
	// RateLimit is requests per minute per client IP. 0 means the
	// document's, and the document has none: unlimited. Negative is
	// unlimited too.
	RateLimit int
	TokenTTL  time.Duration    // 0: DefaultTokenTTL
	Faults    Faults           // injected from the first request on; see SetFaults
	Now       func() time.Time // clock of tokens, windows and timestamps; nil = time.Now
	Logger    *zap.Logger      // nil = nop
}

// Stats counts what the emulator was asked.
type Stats struct {
	Requests    int // every request, whatever became of it
	Writes      int // POST/PUT/DELETE routed to an assignment (not the token call), whatever their outcome
	RateLimited int // answered 429 by the rate limiter
	Faulted     int // answered by fault injection
	// ByRoute counts routed requests by method and route pattern, e.g.
	// "POST /directory/orgs/{organizationId}/accounts/users/{subjectId}/{code}".
	ByRoute map[string]int
}

// Route patterns, as Stats.ByRoute names them.
const (
	RouteToken      = TokenPath
	RouteAccounts   = "/directory/orgs/{organizationId}/accounts/users"
	RouteAssignment = "/directory/orgs/{organizationId}/accounts/users/{subjectId}/{code}"
)

// Server is an in-memory directory account-type API. It is safe for
// concurrent use.
type Server struct {
	mu    sync.Mutex
	now   func() time.Time
	log   *zap.Logger
	limit int // <= 0: unlimited
	ttl   time.Duration

	faults Faults
	rng    *rand.Rand

	clients map[string]string    // client id → secret
	tokens  map[string]time.Time // access token → expiry
	windows map[string]*window
	stats   Stats

	orgs map[string]*org
}

// New returns a server with no organization and no client: register them
// with AddOrganization and AddClient (or use NewDemo).
func New(opts Options) *Server {
	s := &Server{
		now:     opts.Now,
		log:     opts.Logger,
		limit:   opts.RateLimit,
		ttl:     opts.TokenTTL,
		clients: map[string]string{},
		tokens:  map[string]time.Time{},
		windows: map[string]*window{},
		stats:   Stats{ByRoute: map[string]int{}},
		orgs:    map[string]*org{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.ttl <= 0 {
		s.ttl = DefaultTokenTTL
	}
	s.setFaults(opts.Faults)
	return s
}

// SetFaults replaces the fault settings and reseeds the fault generator
// with f.Seed.
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
	st.ByRoute = make(map[string]int, len(s.stats.ByRoute))
	for k, v := range s.stats.ByRoute {
		st.ByRoute[k] = v
	}
	return st
}

// ResetStats sets every counter to zero.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = Stats{ByRoute: map[string]int{}}
}

// response is what a handler returns; ServeHTTP encodes it.
type response struct {
	status int
	body   any // nil: no body
	header http.Header
}

func jsonResp(status int, body any) response { return response{status: status, body: body} }

// apiError is the error body of every API route: {"message": …} and, on a
// 422, "errors" by field name.
type apiError struct {
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors,omitempty"`
}

func message(status int, msg string) response { return jsonResp(status, apiError{Message: msg}) }

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

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP serves the API. The order of checks: latency, rate limit, fault
// injection, route (404/405), token (401), organization (404), assignment
// (404), body (400/413/415), validation (422), conflict (409).
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w := &statusWriter{ResponseWriter: rw}
	route := "unrouted"
	defer func() {
		// The route pattern, not the path: a path holds subject ids.
		s.log.Debug("directory emulator request",
			zap.String("method", r.Method), zap.String("route", route),
			zap.Int("status", w.status), zap.Duration("duration", time.Since(start)))
	}()

	s.mu.Lock()
	s.stats.Requests++
	latency := s.faults.Latency
	s.mu.Unlock()
	if latency > 0 && !sleepCtx(r.Context(), latency) {
		return // the client went away; nothing was processed
	}

	// Read the body before taking the lock, so that a slow client cannot
	// hold up the others.
	var raw []byte
	var readErr error
	if r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
		raw, readErr = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if readErr == nil && len(raw) > maxBody {
			readErr = errTooLarge
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !s.rateLimit(w.Header(), clientIP(r), now) {
		s.stats.RateLimited++
		s.write(w, message(http.StatusTooManyRequests, "Too many requests: retry after the time in Retry-After."))
		return
	}
	if resp, faulted := s.injectFault(w.Header()); faulted {
		s.stats.Faulted++
		s.write(w, resp)
		return
	}
	resp, pattern := s.handle(r, raw, readErr, now)
	if pattern != "" {
		route = pattern
	}
	s.write(w, resp)
}

var errTooLarge = errors.New("body too large")

// call is one routed API request.
type call struct {
	org     *org
	subject string
	code    string
	raw     []byte
	readErr error
	ctype   string
	now     time.Time
}

func (s *Server) handle(r *http.Request, raw []byte, readErr error, now time.Time) (response, string) {
	rt := match(r.URL)
	if rt == nil {
		return message(http.StatusNotFound, "Not found: no such route."), ""
	}
	h, ok := rt.methods[r.Method]
	if !ok {
		allowed := make([]string, 0, len(rt.methods))
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			if _, ok := rt.methods[m]; ok {
				allowed = append(allowed, m)
			}
		}
		resp := message(http.StatusMethodNotAllowed, "Method not allowed.")
		resp.header = http.Header{"Allow": {strings.Join(allowed, ", ")}}
		return resp, rt.pattern
	}
	s.stats.ByRoute[r.Method+" "+rt.pattern]++
	if rt.pattern == RouteToken {
		return s.issueToken(r, raw, readErr, now), rt.pattern
	}
	if r.Method != http.MethodGet {
		s.stats.Writes++
	}
	if resp, ok := s.authorize(r, now); !ok {
		return resp, rt.pattern
	}
	o := s.orgs[rt.orgID]
	if o == nil {
		return message(http.StatusNotFound, "Organization "+quote(rt.orgID)+" not found."), rt.pattern
	}
	return h(s, &call{
		org: o, subject: rt.subject, code: rt.code,
		raw: raw, readErr: readErr, ctype: r.Header.Get("Content-Type"), now: now,
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
			http.MethodPut:    (*Server).updateStatus,
			http.MethodDelete: (*Server).unassign,
		}}
	}
	return nil
}

// write encodes resp. Every JSON response gets Content-Type
// application/json; a 204 has no body.
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
		s.log.Error("directory emulator: encode response", zap.Error(err))
		b = []byte(`{"message":"Internal server error."}`)
		resp.status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.status)
	_, _ = w.Write(b)
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

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
