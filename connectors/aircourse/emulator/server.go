package emulator

import (
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// DefaultRateLimit is the document's limit: 60 requests a minute from one IP.
const DefaultRateLimit = 60

// DefaultTokenTTL is the document's access token lifetime (60 minutes).
const DefaultTokenTTL = 60 * time.Minute

// maxBody bounds a request body; a larger one is answered 400.
const maxBody = 1 << 20

// Faults makes the emulator misbehave on purpose (see emukit.Faults): an
// injected 5xx is a 500, 503 or 504, the document's 5xx codes.
type Faults = emukit.Faults

// Options configures a Server. The zero value serves the document's limits.
type Options struct {
	// Readings, RateLimit, Faults, Now and Logger. 0 RateLimit is the document's 60 a minute.
	emukit.Options
	TokenTTL time.Duration // 0 means 60 minutes (the document)

	// LicenseSeats is the company's licence contract: how many users may
	// hold each paid licence ("basic", "contents"). A user create or update
	// naming a licence with no seat left is stored as "free" (the document:
	// 使用できないライセンスが指定された場合、フリーとして設定されます); a value
	// outside free/basic/contents is still 422. nil, or a licence the map
	// does not name, is unlimited; 0 makes a licence unusable. "free" is
	// never bounded.
	LicenseSeats map[string]int
	// AIKnowledgeSeats is the number of AI knowledge licences. 0 (the
	// default) means none: 割当済み (1) is always stored as なし (0).
	AIKnowledgeSeats int
	// SAMLPerUserPasswordLogin models a company with 「SAML認証を有効にする」
	// and 「特定のユーザのみパスワード認証を使用可能にする」 both on: then
	// isEnabledPasswordLogin is required on user create.
	SAMLPerUserPasswordLogin bool
}

// Stats counts what the emulator was asked (see emukit.Stats). Writes are
// POST/PUT/PATCH/DELETE routed to a resource (not the token call); ByRoute
// keys are method and route pattern, e.g. "POST /users",
// "PUT /organizations/{organizationId}/users".
type Stats = emukit.Stats

// Server is an in-memory AirCourse API 1.3.0. It is safe for concurrent use.
type Server struct {
	mu              sync.Mutex // also the kit's lock
	kit             *emukit.Kit
	emukit.Controls // the kit's Stats, ResetStats and SetFaults
	ttl             time.Duration

	licenseSeats map[string]int // nil: unlimited
	aiSeats      int
	samlPerUser  bool
	readings     emukit.Set

	clients map[string]string // client id → secret
	tokens  map[string]token

	seq           int64
	rootID        string
	everyoneID    string
	tenantAdminID string // the seeded global administrator, or ""
	users         map[string]*userRec
	orgs          map[string]*orgRec
	groups        map[string]*groupRec
	userOrgs      map[string]map[string]string // user → org → role
	orgUsers      map[string]map[string]string // org → user → role
	groupUsers    map[string]map[string]string // group → user → role (not the everyone group)
	mailIdx       map[string]string            // lower-case mail → user
	loginIdx      map[string]string            // lower-case loginId → user

	// usersByAge is sortedUsers' last answer, kept while no user was
	// added or removed: a list of 100,000 users is a hundred pages, and
	// sorting them all for each page was most of its answer time.
	usersByAge struct {
		n    int   // len(users) then
		seq  int64 // seq then: every new user takes a new one
		recs []*userRec
	}
	// lists are the matches of the list queries answered since the last
	// write (listPage).
	lists listCache
}

// New returns a server holding only the root organization (ルート組織) and the
// everyone group (全員). Register a client with AddClient before use.
func New(opts Options) *Server {
	s := &Server{
		ttl:         opts.TokenTTL,
		aiSeats:     opts.AIKnowledgeSeats,
		samlPerUser: opts.SAMLPerUserPasswordLogin,
		readings:    emukit.Set{},
		clients:     map[string]string{},
		tokens:      map[string]token{},
		users:       map[string]*userRec{},
		orgs:        map[string]*orgRec{},
		groups:      map[string]*groupRec{},
		userOrgs:    map[string]map[string]string{},
		orgUsers:    map[string]map[string]string{},
		groupUsers:  map[string]map[string]string{},
		mailIdx:     map[string]string{},
		loginIdx:    map[string]string{},
	}
	if opts.LicenseSeats != nil {
		s.licenseSeats = make(map[string]int, len(opts.LicenseSeats))
		for k, v := range opts.LicenseSeats {
			s.licenseSeats[k] = v
		}
	}
	limit := opts.RateLimit
	if limit == 0 {
		limit = DefaultRateLimit
	}
	for name, on := range opts.Readings {
		s.readings[name] = on
	}
	if s.ttl <= 0 {
		s.ttl = DefaultTokenTTL
	}
	if s.readings.Has(ReadingTokenShort) {
		s.ttl = ShortTokenTTL
	}
	window := emukit.WindowFixed
	if s.readings.Has(ReadingSlidingWindow) {
		window = emukit.WindowSliding
	}
	s.kit = emukit.New(emukit.Config{
		Name:        "aircourse",
		Lock:        &s.mu,
		Now:         opts.Now,
		Logger:      opts.Logger,
		RateLimit:   limit,
		ResetHeader: emukit.ResetOnLimit,
		Window:      window,
		Limited: func() emukit.Response {
			return message(http.StatusTooManyRequests, msgTooMany)
		},
		Faults:        opts.Faults,
		ServerErrors:  []int{http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusGatewayTimeout},
		Fault:         fault(limit),
		MaxBody:       maxBody,
		InternalError: []byte(`{"message":"予期せぬエラーが発生しました。"}`),
	})
	s.Controls = s.kit.Controls()

	ts := s.stamp()
	s.rootID = newID("org_", s.orgs)
	s.orgs[s.rootID] = &orgRec{seq: s.nextSeq(), o: Org{
		ID:                 s.rootID,
		Name:               "ルート組織",
		IsPublic:           true,
		IsEnableDiscussion: true,
		CreatedAt:          ts,
		UpdatedAt:          ts,
	}}
	s.everyoneID = newID("grp_", s.groups)
	everyoneCode := strPtr("everyone")
	if s.readings.Has(ReadingEveryoneNoCode) {
		everyoneCode = nil
	}
	s.groups[s.everyoneID] = &groupRec{seq: s.nextSeq(), g: Group{
		ID:                 s.everyoneID,
		Name:               "全員",
		Code:               everyoneCode,
		OrganizationID:     s.rootID,
		IsViewableMember:   true,
		IsEnableDiscussion: false,
		Description:        strPtr("全てのユーザが所属するグループ"),
		CreatedAt:          ts,
		UpdatedAt:          ts,
	}}
	if s.readings.Has(ReadingAdminsRequired) {
		s.tenantAdminID = s.seedUser(User{
			Name: TenantAdminName, LoginID: strPtr(TenantAdminLoginID), Mail: strPtr(TenantAdminMail),
			License: "free", Role: "admin",
		})
	}
	return s
}

// seedUser stores a user as if it had been made in the tenant's own
// screens (active, a member of the root) and returns its id.
func (s *Server) seedUser(u User) string {
	ts := s.stamp()
	u.ID = newID("usr_", s.users)
	u.Status = statusActive
	u.Notification = []string{}
	u.CreatedAt, u.UpdatedAt = ts, ts
	s.users[u.ID] = &userRec{u: u, password: randomAlnum(8), seq: s.nextSeq()}
	reindex(s.mailIdx, u.ID, nil, u.Mail)
	reindex(s.loginIdx, u.ID, nil, u.LoginID)
	s.setOrgRole(s.rootID, u.ID, roleMember)
	return u.ID
}

// TenantAdminID returns the id of the tenant's own global administrator
// (ReadingAdminsRequired), or "" when the emulator started without one.
func (s *Server) TenantAdminID() string { return s.tenantAdminID }

// RootOrgID returns the id of the root organization.
func (s *Server) RootOrgID() string { return s.rootID }

// EveryoneGroupID returns the id of the everyone group (全員).
func (s *Server) EveryoneGroupID() string { return s.everyoneID }

// fault answers an injected fault: a 429 like the limiter's (Retry-After 1,
// X-RateLimit-Remaining 0), or the document's message of a 500, 503 or 504.
func fault(limit int) func(http.Header, int) emukit.Response {
	return func(h http.Header, status int) emukit.Response {
		switch status {
		case http.StatusTooManyRequests:
			if limit > 0 {
				h.Set("X-RateLimit-Remaining", "0")
			}
			return message(status, msgTooMany)
		case http.StatusServiceUnavailable:
			return message(status, "システムメンテナンス中です。")
		case http.StatusGatewayTimeout:
			return message(status, "タイムアウトエラーが発生しました。")
		default:
			return message(status, "予期せぬエラーが発生しました。")
		}
	}
}

// response is what a handler returns; the kit writes it.
type response = emukit.Response

func message(status int, msg string) response {
	return response{Status: status, Body: map[string]string{"message": msg}}
}

// Messages of the document's status code table, used where it gives no
// other wording.
const (
	msgBadRequest = "リクエストパラメータが不正です。"
	msgNotFound   = "指定したリソースが見つかりません。"
	msgNotAllowed = "サポートされていないHTTPリクエストメソッドです。"
	msgUnauth     = "Unauthenticated."
	msgScope      = "Invalid scope(s) provided."
	msgTooMany    = "Too Many Attempts."
	// msgDone is the status table's 200 (003:34), the body of a write that
	// answers 200 rather than 204 (ReadingWritesAnswer200).
	msgDone = "正常に処理が行われました。"
)

// ServeHTTP serves the API. The order of checks: latency, rate limit, fault
// injection, Accept header, route (404/405), token (401/403), body (400),
// validation (422), resource lookup (404).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.readings.Has(ReadingRateLimitNoRetry) {
		w = &onlyNamedLimitHeaders{ResponseWriter: w}
	}
	s.kit.Serve(w, r, func(r *http.Request, c *emukit.Call) emukit.Response {
		return s.handle(r, c.Body, c.BodyErr, c.Now)
	})
}

func (s *Server) handle(r *http.Request, raw []byte, readErr error, now time.Time) response {
	if !acceptsJSON(r.Header.Values("Accept")) {
		return message(http.StatusBadRequest, msgBadRequest)
	}
	rt, allowed := s.match(r.Method, r.URL.Path)
	if rt == nil {
		if len(allowed) == 0 {
			return message(http.StatusNotFound, msgNotFound)
		}
		resp := message(http.StatusMethodNotAllowed, msgNotAllowed)
		resp.Header = http.Header{"Allow": {strings.Join(allowed, ", ")}}
		return resp
	}
	s.kit.CountRoute(r.Method + " " + rt.pattern)
	if rt.token {
		if readErr != nil {
			return message(http.StatusBadRequest, msgBadRequest)
		}
		return s.issueToken(r, raw, now)
	}
	if r.Method != http.MethodGet {
		s.kit.CountWrite()
		s.lists.drop() // even a refused write: cheap, and never stale
	}
	if resp, ok := s.authorize(r, now); !ok {
		return resp
	}
	var in body
	if rt.body {
		var err error
		if in, err = emukit.ReadObject(r, raw, readErr); err != nil {
			return message(http.StatusBadRequest, msgBadRequest)
		}
	}
	resp := rt.h(&call{r: r, id: rt.id, in: in, query: r.URL.Query(), readings: s.readings, lists: &s.lists})
	if resp.Status == http.StatusNoContent && s.readings.Has(ReadingWritesAnswer200) {
		resp = message(http.StatusOK, msgDone)
	}
	return resp
}

// onlyNamedLimitHeaders sends, of the rate-limit headers, only the two the
// document names (ReadingRateLimitNoRetry): Retry-After and
// X-RateLimit-Reset are dropped from every answer, the limiter's 429 and an
// injected one included. Unwrap lets http.ResponseController reach the
// connection (RateDrop hijacks it).
type onlyNamedLimitHeaders struct {
	http.ResponseWriter
	wrote bool
}

func (w *onlyNamedLimitHeaders) WriteHeader(status int) {
	if !w.wrote {
		w.wrote = true
		w.Header().Del("Retry-After")
		w.Header().Del("X-RateLimit-Reset")
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *onlyNamedLimitHeaders) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *onlyNamedLimitHeaders) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// call is one routed request.
type call struct {
	r        *http.Request
	id       string // the path id, if the route has one
	in       body   // the JSON body, for routes that take one
	query    url.Values
	readings emukit.Set
	lists    *listCache // the server's, under its lock
}

func (c *call) q(key string) string { return c.query.Get(key) }

type routed struct {
	pattern string
	id      string
	token   bool // the token endpoint: form body, no bearer token
	body    bool // takes a JSON body
	h       func(*call) response
}

// match finds the route for method and path. With no route it returns the
// methods the path does serve (none: 404; some: 405).
func (s *Server) match(method, path string) (*routed, []string) {
	seg := strings.Split(strings.TrimPrefix(path, "/"), "/")
	type entry struct {
		method string
		h      func(*call) response
	}
	var (
		pattern string
		id      string
		table   []entry
		token   bool
	)
	withID := func(prefix string) bool {
		id = seg[1]
		return strings.HasPrefix(id, prefix) && len(id) > len(prefix)
	}
	switch {
	case len(seg) == 2 && seg[0] == "oauth" && seg[1] == "token":
		pattern, token = "/oauth/token", true
		table = []entry{{http.MethodPost, nil}}
	case len(seg) == 1 && seg[0] == "users":
		pattern = "/users"
		table = []entry{{http.MethodGet, s.listUsers}, {http.MethodPost, s.createUser}}
	case len(seg) == 2 && seg[0] == "users" && withID("usr_"):
		pattern = "/users/{userId}"
		table = []entry{{http.MethodGet, s.getUser}, {http.MethodPut, s.updateUser},
			{http.MethodPatch, s.updateUser}, {http.MethodDelete, s.deleteUser}}
	case len(seg) == 1 && seg[0] == "organizations":
		pattern = "/organizations"
		table = []entry{{http.MethodGet, s.listOrgs}, {http.MethodPost, s.createOrg}}
	case len(seg) == 2 && seg[0] == "organizations" && withID("org_"):
		pattern = "/organizations/{organizationId}"
		table = []entry{{http.MethodGet, s.getOrg}, {http.MethodPut, s.updateOrg},
			{http.MethodPatch, s.updateOrg}, {http.MethodDelete, s.deleteOrg}}
	case len(seg) == 3 && seg[0] == "organizations" && seg[2] == "users" && withID("org_"):
		pattern = "/organizations/{organizationId}/users"
		table = []entry{{http.MethodGet, s.listOrgUsers}, {http.MethodPost, s.addOrgUser},
			{http.MethodPut, s.updateOrgUser}, {http.MethodDelete, s.removeOrgUser}}
	case len(seg) == 1 && seg[0] == "groups":
		pattern = "/groups"
		table = []entry{{http.MethodGet, s.listGroups}, {http.MethodPost, s.createGroup}}
	case len(seg) == 2 && seg[0] == "groups" && withID("grp_"):
		pattern = "/groups/{groupId}"
		table = []entry{{http.MethodGet, s.getGroup}, {http.MethodPut, s.updateGroup},
			{http.MethodPatch, s.updateGroup}, {http.MethodDelete, s.deleteGroup}}
	case len(seg) == 3 && seg[0] == "groups" && seg[2] == "users" && withID("grp_"):
		pattern = "/groups/{groupId}/users"
		table = []entry{{http.MethodGet, s.listGroupUsers}, {http.MethodPost, s.addGroupUser},
			{http.MethodPut, s.updateGroupUser}, {http.MethodDelete, s.removeGroupUser}}
	default:
		return nil, nil
	}
	if s.readings.Has(ReadingUpdatesPatchOnly) {
		// Every update is PATCH: the resources drop PUT, the user lists
		// take their update as PATCH.
		kept := table[:0:0]
		for _, e := range table {
			switch {
			case e.method != http.MethodPut:
				kept = append(kept, e)
			case !slices.ContainsFunc(table, func(x entry) bool { return x.method == http.MethodPatch }):
				kept = append(kept, entry{http.MethodPatch, e.h})
			}
		}
		table = kept
	}
	e, ok, allowed := emukit.PickMethod(table, method, func(e entry) string { return e.method })
	if !ok {
		return nil, allowed
	}
	return &routed{
		pattern: pattern,
		id:      id,
		token:   token,
		body:    method != http.MethodGet && !token,
		h:       e.h,
	}, nil
}

// acceptsJSON reports whether the Accept header values admit
// application/json: absent, application/json, application/*, */* (or a
// +json type), with a q above zero.
func acceptsJSON(values []string) bool {
	if len(values) == 0 {
		return true
	}
	seen := false
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			seen = true
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			if q, ok := params["q"]; ok && isZeroQ(q) {
				continue
			}
			switch {
			case mt == "application/json", mt == "application/*", mt == "*/*",
				strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"):
				return true
			}
		}
	}
	return !seen // "Accept:" with an empty value counts as absent
}

func isZeroQ(q string) bool {
	f, err := strconv.ParseFloat(strings.TrimSpace(q), 64)
	return err == nil && f == 0
}

// body is a decoded JSON object body, values kept raw so that absent, null
// and mistyped fields can be told apart.
type body = emukit.Object
