package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/emukit"
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

// Faults makes the emulator misbehave on purpose (see emukit.Faults): an
// injected 5xx is a 500 or a 503.
type Faults = emukit.Faults

// Options configures a Server. The zero value serves the document: no rate
// limit, no faults.
type Options struct {
	// Readings, RateLimit, Faults, Now and Logger. 0 RateLimit is none, as the document gives none.
	emukit.Options
	// PageSize is how many organizations a page holds under
	// ReadingListPaged; 0 is DefaultPageSize.
	PageSize int
}

// Stats counts what the emulator was asked (see emukit.Stats). Writes are
// POST/PUT/DELETE routed to /organization/, whatever their outcome; ByRoute
// keys are method and path, e.g. "PUT /organization/".
type Stats = emukit.Stats

// Server is an in-memory Capgo organization API. It is safe for concurrent
// use.
type Server struct {
	mu              sync.Mutex // also the kit's lock
	kit             *emukit.Kit
	emukit.Controls // the kit's Stats, ResetStats and SetFaults
	readings        emukit.Set
	pageSize        int

	keys  map[string]*apiKey
	users map[string]string // user id → email

	seq     int64
	orgs    map[string]*orgRec
	members map[string]map[string]string // org → user → role
}

// New returns an empty server: no organization and no API key. Register a
// key with AddAPIKey before use.
func New(opts Options) *Server {
	s := &Server{
		readings: opts.Readings,
		pageSize: opts.PageSize,
		keys:     map[string]*apiKey{},
		users:    map[string]string{},
		orgs:     map[string]*orgRec{},
		members:  map[string]map[string]string{},
	}
	if s.pageSize <= 0 {
		s.pageSize = DefaultPageSize
	}
	internal, _ := json.Marshal(errorBody{Error: msgInternal, Status: "KO"})
	s.kit = emukit.New(emukit.Config{
		Name:      "capgo",
		Lock:      &s.mu,
		Now:       opts.Now,
		Logger:    opts.Logger,
		RateLimit: opts.RateLimit,
		Limited: func() emukit.Response {
			return fail(http.StatusTooManyRequests, msgTooMany)
		},
		Faults:        opts.Faults,
		ServerErrors:  []int{http.StatusInternalServerError, http.StatusServiceUnavailable},
		Fault:         fault(opts.RateLimit),
		MaxBody:       maxBody,
		InternalError: internal,
	})
	s.Controls = s.kit.Controls()
	return s
}

// NewDemo returns an emulator ready for configs/capgo.yaml: DemoAPIKey is
// registered for DemoUserID (DemoEmail). Capgo needs no pre-existing object,
// so it holds no organization.
func NewDemo(logger *zap.Logger) *Server {
	s := New(Options{Options: emukit.Options{Logger: logger}})
	s.AddAPIKey(DemoAPIKey, DemoUserID, DemoEmail)
	return s
}

// fault answers an injected fault: a 429 with Retry-After 1 (and
// X-RateLimit-Remaining 0 under a limit), a 500 or a 503.
func fault(limit int) func(http.Header, int) emukit.Response {
	return func(h http.Header, status int) emukit.Response {
		switch status {
		case http.StatusTooManyRequests:
			if limit > 0 {
				h.Set("X-RateLimit-Remaining", "0")
			}
			return fail(status, msgTooMany)
		case http.StatusServiceUnavailable:
			return fail(status, msgUnavailable)
		default:
			return fail(status, msgInternal)
		}
	}
}

// response is what a handler returns; the kit writes it.
type response = emukit.Response

// fail is the document's error shape: {"error": msg, "status": "KO"}.
func fail(status int, msg string) response {
	return response{Status: status, Body: errorBody{Error: msg, Status: "KO"}}
}

// apiFail is an error of the API itself (not of the rate limiter or an
// injected fault): the document's shape, with the status the readings
// give it (ReadingErrorsHTTP200: 200, ReadingErrorsHTTP400: 400).
func (s *Server) apiFail(status int, msg string) response {
	switch {
	case s.readings.Has(ReadingErrorsHTTP200):
		status = http.StatusOK
	case s.readings.Has(ReadingErrorsHTTP400):
		status = http.StatusBadRequest
	}
	return fail(status, msg)
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

// ServeHTTP serves the API. The order of checks: latency, rate limit, fault
// injection, route (404/405), API key (401), body (400), validation (400),
// organization lookup (404), role (403).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.kit.Serve(w, r, func(r *http.Request, c *emukit.Call) emukit.Response {
		return s.handle(r, c.Body, c.BodyErr, c.Now)
	})
}

func (s *Server) handle(r *http.Request, raw []byte, readErr error, now time.Time) response {
	// The document's URL, exactly: https://api.capgo.app/organization/
	// (002:12). Without its slash it is another path, as on a router that
	// does not redirect.
	if r.URL.Path != "/organization/" {
		return s.apiFail(http.StatusNotFound, msgNotFound)
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
		resp := s.apiFail(http.StatusMethodNotAllowed, msgNotAllowed)
		resp.Header = http.Header{"Allow": {allowedMethods}}
		return resp
	}
	s.kit.CountRoute(r.Method + " /organization/")
	if r.Method != http.MethodGet {
		s.kit.CountWrite()
	}
	userID, ok := s.authenticate(r)
	if !ok {
		status := http.StatusUnauthorized
		if s.readings.Has(ReadingInvalidKey403) {
			status = http.StatusForbidden
		}
		return s.apiFail(status, msgInvalidKey)
	}
	c := &call{r: r, user: userID, now: now, query: r.URL.Query()}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		in, err := emukit.ReadObject(r, raw, readErr)
		if err != nil {
			return s.apiFail(http.StatusBadRequest, msgInvalidBody)
		}
		c.in = in
	}
	return h(c)
}

// call is one routed, authenticated request.
type call struct {
	r     *http.Request
	user  string // the API key's owner
	now   time.Time
	in    body // the JSON body of POST and PUT
	query url.Values
}

func (c *call) q(key string) string { return c.query.Get(key) }

// body is a decoded JSON object body, values kept raw so that absent, null
// and mistyped fields can be told apart.
type body = emukit.Object
