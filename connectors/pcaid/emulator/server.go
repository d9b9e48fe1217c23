package emulator

import (
	crand "crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// Defaults of Options.
const (
	// DefaultTokenTTL is the lifetime of an access token (expires_in 3600).
	DefaultTokenTTL = time.Hour
	// DefaultImportRowsPerPoll is how many rows of a running import one
	// status poll processes.
	DefaultImportRowsPerPoll = 50
	// DefaultOrganizationName names the organization New creates.
	DefaultOrganizationName = "サンプル株式会社"
)

// Prefix is the path every API endpoint is served under (the document's
// "api/orgs/v1"); the token endpoint is TokenPath, outside it.
const (
	Prefix    = "/api/orgs/v1"
	TokenPath = "/oauth2/token"
)

// maxBody bounds a request body (an import of 10000 rows fits); a larger
// one is answered 400.
const maxBody = 8 << 20

// Faults makes the emulator misbehave on purpose (see emukit.Faults): an
// injected 5xx is a 500, 502, 503 or 504.
type Faults = emukit.Faults

// Options configure a Server. The zero value serves the contract with no
// rate limit.
type Options struct {
	// Readings, RateLimit, Faults, Now and Logger. 0 RateLimit is none, as the document gives none.
	emukit.Options
	// TokenTTL is an access token's lifetime; default one hour.
	TokenTTL time.Duration
	// ImportRowsPerPoll is how many rows of a running import each status
	// poll processes; default 50 (see the package doc).
	ImportRowsPerPoll int
	// OrganizationName names the organization New creates.
	OrganizationName string
}

// Stats counts what the emulator was asked (see emukit.Stats). Writes are
// POST/PUT routed to an API resource, except the token call and import
// status polls; ByRoute keys are method and pattern, e.g.
// "POST /users/{account_id}/lifecycle/suspend".
type Stats = emukit.Stats

// Server is an in-memory pcaid organization API (api/orgs/v1). It is an
// http.Handler, safe for concurrent use.
type Server struct {
	mu              sync.Mutex // also the kit's lock
	kit             *emukit.Kit
	emukit.Controls // the kit's Stats, ResetStats and SetFaults
	ttl             time.Duration
	perPoll         int
	readings        emukit.Set

	signKey []byte
	clients map[string]*client // client id → client
	tokens  map[string]bool    // jti of every token not revoked

	seq        int64
	defaultOrg string
	orgs       map[string]*orgState
}

// New returns a server holding one organization (Options.OrganizationName)
// with no users and no service partitions. Register a client with
// AddClient.
func New(opts Options) *Server {
	s := &Server{
		ttl:      opts.TokenTTL,
		perPoll:  opts.ImportRowsPerPoll,
		readings: opts.Readings,
		clients:  map[string]*client{},
		tokens:   map[string]bool{},
		orgs:     map[string]*orgState{},
		signKey:  make([]byte, 32),
	}
	_, _ = crand.Read(s.signKey)
	switch {
	case s.ttl > 0:
	case s.readings.Has(ReadingTokenNoExpiresIn):
		s.ttl = NoExpiresInTTL
	default:
		s.ttl = DefaultTokenTTL
	}
	if s.perPoll <= 0 {
		s.perPoll = DefaultImportRowsPerPoll
	}
	internal, _ := json.Marshal(apiError{Code: "INTERNAL_ERROR", Message: msgInternal})
	s.kit = emukit.New(emukit.Config{
		Name:      "pcaid",
		Lock:      &s.mu,
		Now:       opts.Now,
		Logger:    opts.Logger,
		RateLimit: opts.RateLimit,
		Limited: func() emukit.Response {
			return s.shape(errResp(http.StatusTooManyRequests, "TOO_MANY_REQUESTS", msgTooMany))
		},
		Faults: opts.Faults,
		ServerErrors: []int{http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout},
		Fault:         func(h http.Header, status int) emukit.Response { return s.shape(fault(h, status)) },
		MaxBody:       maxBody,
		InternalError: internal,
	})
	s.Controls = s.kit.Controls()
	name := opts.OrganizationName
	if name == "" {
		name = DefaultOrganizationName
	}
	s.defaultOrg = s.addOrganization(name)
	return s
}

// Demo credentials: NewDemo registers them, configs/pcaid.yaml uses them
// (the secret through DemoSecretEnv). They guard nothing but a local
// emulator.
const (
	DemoClientID     = "pcaid-demo-client"
	DemoClientSecret = "pcaid-demo-secret"
	DemoSecretEnv    = "PCAID_CLIENT_SECRET"
	// DefaultPort is where `orgbridge emulate pcaid` listens by default.
	DefaultPort = 8084
	// DemoOrganizationName names the demo's organization.
	DemoOrganizationName = "デモ株式会社"
)

// NewDemo returns an emulator ready for configs/pcaid.yaml: the demo
// organization, empty, with the demo client registered.
func NewDemo(logger *zap.Logger) *Server {
	s := New(Options{Options: emukit.Options{Logger: logger}, OrganizationName: DemoOrganizationName})
	s.AddClient(DemoClientID, DemoClientSecret)
	return s
}

// DefaultOrganizationID returns the id of the organization New created.
func (s *Server) DefaultOrganizationID() string { return s.defaultOrg }

// AddOrganization adds another organization and returns its id; register
// its clients with AddClientTo.
func (s *Server) AddOrganization(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addOrganization(name)
}

func (s *Server) addOrganization(name string) string {
	id := s.newID(prefixOrg)
	ts := s.stamp()
	s.orgs[id] = &orgState{
		org:        Organization{OrganizationID: id, Name: name, CreatedAt: ts, UpdatedAt: ts},
		users:      map[string]*userRec{},
		partitions: map[string]*partitionRec{},
		members:    map[string]map[string]string{},
		tasks:      map[string]*importTask{},
		emails:     map[string]string{},
		numbers:    map[string]string{},
	}
	return id
}

// fault answers an injected fault: a 429 with Retry-After 1, or a 500, 502,
// 503 or 504.
func fault(_ http.Header, status int) emukit.Response {
	switch status {
	case http.StatusTooManyRequests:
		return errResp(status, "TOO_MANY_REQUESTS", msgTooMany)
	case http.StatusBadGateway:
		return errResp(status, "BAD_GATEWAY", "Bad Gateway")
	case http.StatusServiceUnavailable:
		return errResp(status, "SERVICE_UNAVAILABLE", "Service Unavailable")
	case http.StatusGatewayTimeout:
		return errResp(status, "GATEWAY_TIMEOUT", "Endpoint request timed out")
	default:
		return errResp(status, "INTERNAL_ERROR", msgInternal)
	}
}

// response is what a handler returns; the kit writes it.
type response = emukit.Response

// apiError is the error body of every API endpoint.
type apiError struct {
	Code    string    `json:"code"`
	Message string    `json:"message"`
	Errors  *errorBag `json:"errors,omitempty"`
}

func errResp(status int, code, msg string) response {
	return emukit.JSON(status, apiError{Code: code, Message: msg})
}

// Error codes and messages of the contract.
const (
	msgBadRequest     = "リクエストの形式が正しくありません。"
	msgUnauthorized   = "Unauthorized"
	msgNotFound       = "指定されたリソースが見つかりません。"
	msgNotAllowed     = "許可されていないHTTPメソッドです。"
	msgTooMany        = "Too Many Requests"
	msgNotImplemented = "このエンドポイントはエミュレーターでは提供していません。"
	msgInternal       = "予期しないエラーが発生しました。"
)

// shape gives an error body the shape of the readings: under
// ReadingErrorsAsList {"message"} and, for a 422, "errors" as a list of
// {"field","message"}. Other bodies pass unchanged.
func (s *Server) shape(r response) response {
	e, ok := r.Body.(apiError)
	if !ok {
		return r
	}
	if r.Status == http.StatusUnprocessableEntity && s.readings.Has(ReadingValidation400) {
		// The same body under 400, or 409 when every error is a value
		// already in use.
		r.Status = http.StatusBadRequest
		if e.Errors.allTaken() {
			r.Status, e.Code = http.StatusConflict, "CONFLICT"
			r.Body = e
		}
	}
	if !s.readings.Has(ReadingErrorsAsList) {
		return r
	}
	out := map[string]any{"message": e.Message}
	if e.Errors != nil && !e.Errors.Empty() {
		list := []map[string]string{}
		for _, k := range e.Errors.Keys() {
			list = append(list, map[string]string{"field": k, "message": e.Errors.Message(k)})
		}
		out["errors"] = list
	}
	r.Body = out
	return r
}

func badRequest() response { return errResp(http.StatusBadRequest, "BAD_REQUEST", msgBadRequest) }
func notFound() response   { return errResp(http.StatusNotFound, "NOT_FOUND", msgNotFound) }

// ServeHTTP serves the API. Order: latency, rate limit, faults, route
// (404/405), token (401/403), body (400), the handler (404 for an unknown
// id, 422 for validation).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.kit.Serve(w, r, func(r *http.Request, c *emukit.Call) emukit.Response {
		return s.shape(s.handle(r, c.Body, c.BodyErr, c.Now))
	})
}

func (s *Server) handle(r *http.Request, raw []byte, readErr error, now time.Time) response {
	if r.URL.Path == TokenPath {
		s.kit.CountRoute(r.Method + " " + TokenPath)
		if r.Method != http.MethodPost {
			resp := errResp(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", msgNotAllowed)
			resp.Header = http.Header{"Allow": {http.MethodPost}}
			return resp
		}
		if readErr != nil {
			return oauthError(http.StatusBadRequest, "invalid_request", "the request body could not be read")
		}
		return s.issueToken(r, raw, now)
	}
	path, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		return notFound()
	}
	rt, params, allowed := match(r.Method, path)
	if rt == nil {
		if len(allowed) == 0 {
			return notFound()
		}
		resp := errResp(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", msgNotAllowed)
		resp.Header = http.Header{"Allow": {strings.Join(allowed, ", ")}}
		return resp
	}
	s.kit.CountRoute(r.Method + " " + rt.pattern)
	if r.Method != http.MethodGet && !rt.readOnly {
		s.kit.CountWrite()
	}
	org, resp, ok := s.authorize(r, rt.scope, now)
	if !ok {
		return resp
	}
	c := &call{s: s, org: org, r: r, params: params, query: r.URL.Query(), now: now}
	if r.Method != http.MethodGet {
		in, err := emukit.ReadObject(r, raw, readErr)
		if err != nil {
			return badRequest()
		}
		c.in = in
	}
	return rt.handler(c)
}

// call is one routed, authorized request.
type call struct {
	s      *Server
	org    *orgState
	r      *http.Request
	params map[string]string
	query  url.Values
	in     body
	now    time.Time
}

func (c *call) q(key string) string { return c.query.Get(key) }
