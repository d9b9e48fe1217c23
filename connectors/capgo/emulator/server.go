package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// maxBody bounds a request body; a larger one is answered 400.
const maxBody = 1 << 20

// Demo credentials: NewDemo accepts DemoAPIKey, owned by the user
// DemoUserID whose address is DemoEmail. configs/capgo.yaml reads the key
// from the environment variable DemoAPIKeyEnv. They guard nothing but a
// local emulator.
const (
	DemoAPIKey    = "3f9d2c1a-7b4e-4c8d-9e0f-a1b2c3d4e5f6"
	DemoAPIKeyEnv = "CAPGO_API_KEY"
	DemoUserID    = "6b1e4f3a-2c5d-4e7f-8a9b-0c1d2e3f4a5b"
	DemoEmail     = "owner@example.co.jp"
)

// DefaultPort is where `orgbridge emulate capgo` listens by default.
const DefaultPort = 8083

// Faults makes the emulator misbehave on purpose. Shares are drawn, in
// order, from one generator seeded with Seed, once per request that got past
// the rate limiter, so the same request sequence meets the same faults.
type Faults struct {
	Rate429 float64       // share answered 429 (before any processing, so no side effect)
	Rate5xx float64       // share answered 500 or 503 (before processing)
	Latency time.Duration // added to every request (real time)
	Seed    int64
	// RateDrop is the share of requests whose connection is closed without
	// any response (before processing).
	RateDrop float64
}

// Options configures a Server. The zero value serves the document: no rate
// limit, no faults.
type Options struct {
	// RateLimit is requests per minute per client IP. The document has no
	// rate limit, so 0 (like any negative value) means none.
	RateLimit int
	Faults    Faults           // injected from the first request on; see SetFaults
	Now       func() time.Time // clock, for tests; nil = time.Now
	Logger    *zap.Logger      // nil = nop
}

// Stats counts what the emulator was asked.
type Stats struct {
	Requests    int // every request, whatever became of it
	Writes      int // POST/PUT/DELETE routed to /organization/, whatever their outcome
	RateLimited int // answered 429 by the rate limiter
	Faulted     int // answered by fault injection (429, 5xx or dropped)
	// ByRoute counts routed requests by method and path, e.g.
	// "PUT /organization/".
	ByRoute map[string]int
}

// Server is an in-memory Capgo organization API. It is safe for concurrent
// use.
type Server struct {
	mu    sync.Mutex
	now   func() time.Time
	log   *zap.Logger
	limit int // <= 0: unlimited

	faults Faults
	rng    *rand.Rand

	keys    map[string]*apiKey
	users   map[string]string // user id → email
	windows map[string]*window
	stats   Stats

	seq     int64
	orgs    map[string]*orgRec
	members map[string]map[string]string // org → user → role
}

// New returns an empty server: no organization and no API key. Register a
// key with AddAPIKey before use.
func New(opts Options) *Server {
	s := &Server{
		now:     opts.Now,
		log:     opts.Logger,
		limit:   opts.RateLimit,
		keys:    map[string]*apiKey{},
		users:   map[string]string{},
		windows: map[string]*window{},
		stats:   Stats{ByRoute: map[string]int{}},
		orgs:    map[string]*orgRec{},
		members: map[string]map[string]string{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	s.setFaults(opts.Faults)
	return s
}

// NewDemo returns an emulator ready for configs/capgo.yaml: DemoAPIKey is
// registered for DemoUserID (DemoEmail). Capgo needs no pre-existing object,
// so it holds no organization.
func NewDemo(logger *zap.Logger) *Server {
	s := New(Options{Logger: logger})
	s.AddAPIKey(DemoAPIKey, DemoUserID, DemoEmail)
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
	body   any
	header http.Header
}

func jsonResp(status int, body any) response { return response{status: status, body: body} }

// fail is the document's error shape: {"error": msg, "status": "KO"}.
func fail(status int, msg string) response {
	return response{status: status, body: errorBody{Error: msg, Status: "KO"}}
}

type errorBody struct {
	Error  string `json:"error"`
	Status string `json:"status"`
}

// Error messages. The document gives the first three; the others follow
// their style.
const (
	msgInvalidKey    = "Invalid API key"
	msgNameRequired  = "Name is required"
	msgAdminRequired = "Admin role required"
	msgInvalidBody   = "Invalid body"
	msgNameString    = "name must be a string"
	msgNameEmpty     = "Name must not be empty"
	msgOrgIDRequired = "orgId is required"
	msgInvalidEmail  = "Invalid management_email"
	msgInvalidLogo   = "logo must be an https URL"
	msgOrgNotFound   = "Organization not found"
	msgNotFound      = "Not found"
	msgNotAllowed    = "Method not allowed"
	msgTooMany       = "Too many requests"
	msgInternal      = "Internal server error"
	msgUnavailable   = "Service unavailable"
	msgStatusCreated = "Organization created"
	msgStatusUpdated = "Organization updated"
	msgStatusDeleted = "Organization deleted"
)

// allowedMethods is the Allow header of a 405.
const allowedMethods = "GET, POST, PUT, DELETE"

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

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP serves the API. The order of checks: latency, rate limit, fault
// injection, route (404/405), API key (401), body (400), validation (400),
// organization lookup (404), role (403).
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w := &statusWriter{ResponseWriter: rw}
	defer func() {
		s.log.Debug("capgo emulator request",
			zap.String("method", r.Method),
			zap.String("path", r.URL.Path),
			zap.Int("status", w.status),
			zap.Duration("duration", time.Since(start)))
	}()

	s.mu.Lock()
	s.stats.Requests++
	latency := s.faults.Latency
	s.mu.Unlock()
	if latency > 0 && !sleepCtx(r.Context(), latency) {
		return // the client went away; nothing was processed
	}

	// The body is read before taking the lock so that a slow client cannot
	// hold up the others.
	var raw []byte
	var readErr error
	if r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
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
		s.write(w, fail(http.StatusTooManyRequests, msgTooMany))
		return
	}
	if resp, drop, faulted := s.injectFault(w.Header()); faulted {
		s.stats.Faulted++
		if drop {
			dropConnection(w)
			return
		}
		s.write(w, resp)
		return
	}
	s.write(w, s.handle(r, raw, readErr, now))
}

func (s *Server) handle(r *http.Request, raw []byte, readErr error, now time.Time) response {
	if r.URL.Path != "/organization/" && r.URL.Path != "/organization" {
		return fail(http.StatusNotFound, msgNotFound)
	}
	var h func(*call) response
	switch r.Method {
	case http.MethodGet:
		h = s.getOrgs
	case http.MethodPost:
		h = s.createOrg
	case http.MethodPut:
		h = s.updateOrg
	case http.MethodDelete:
		h = s.deleteOrg
	default:
		resp := fail(http.StatusMethodNotAllowed, msgNotAllowed)
		resp.header = http.Header{"Allow": {allowedMethods}}
		return resp
	}
	s.stats.ByRoute[r.Method+" /organization/"]++
	if r.Method != http.MethodGet {
		s.stats.Writes++
	}
	userID, ok := s.authenticate(r)
	if !ok {
		return fail(http.StatusUnauthorized, msgInvalidKey)
	}
	c := &call{r: r, user: userID, now: now, query: r.URL.Query()}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if readErr != nil {
			return fail(http.StatusBadRequest, msgInvalidBody)
		}
		in, err := parseBody(r.Header.Get("Content-Type"), raw)
		if err != nil {
			return fail(http.StatusBadRequest, msgInvalidBody)
		}
		c.in = in
	}
	return h(c)
}

// write encodes resp; every response has a JSON body.
func (s *Server) write(w http.ResponseWriter, resp response) {
	for k, vs := range resp.header {
		w.Header()[k] = vs
	}
	b, err := json.Marshal(resp.body)
	if err != nil {
		s.log.Error("capgo emulator: encode response", zap.Error(err))
		b, _ = json.Marshal(errorBody{Error: msgInternal, Status: "KO"})
		resp.status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.status)
	_, _ = w.Write(b)
}

// call is one routed, authenticated request.
type call struct {
	r     *http.Request
	user  string // the API key's owner
	now   time.Time
	in    body // the JSON body of POST and PUT
	query map[string][]string
}

func (c *call) q(key string) string {
	if v := c.query[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// body is a decoded JSON object body, values kept raw so that absent, null
// and mistyped fields can be told apart.
type body map[string]json.RawMessage

var errNotJSON = errors.New("not a JSON object")

// parseBody decodes a JSON object. An empty body is an empty object; a
// non-empty body must be sent as application/json and be one JSON object.
func parseBody(contentType string, raw []byte) (body, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return body{}, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil, errNotJSON
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var in body
	if err := dec.Decode(&in); err != nil || in == nil {
		return nil, errNotJSON
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errNotJSON // trailing data
	}
	return in, nil
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

// dropConnection closes the client connection without a response.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2, a recorder): abort the response; net/http
		// resets the stream and does not log http.ErrAbortHandler.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
