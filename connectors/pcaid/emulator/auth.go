package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// client is a registered OAuth2 client: one organization's admin
// credential.
type client struct {
	secret string
	org    string
	scopes []string // allowed scopes
}

// AddClient registers a client of the default organization allowed every
// scope. Registering an id again replaces it.
func (s *Server) AddClient(clientID, clientSecret string) {
	s.AddClientTo(s.defaultOrg, clientID, clientSecret)
}

// AddClientTo registers a client of the given organization, allowed the
// given scopes (none: every scope). It panics on an unknown organization
// or scope: a mistake in the caller.
func (s *Server) AddClientTo(orgID, clientID, clientSecret string, scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.orgs[orgID] == nil {
		panic("emulator: AddClientTo: unknown organization " + orgID)
	}
	for _, sc := range scopes {
		if !slices.Contains(AllScopes, sc) {
			panic("emulator: AddClientTo: unknown scope " + sc)
		}
	}
	if len(scopes) == 0 {
		scopes = AllScopes
	}
	s.clients[clientID] = &client{secret: clientSecret, org: orgID, scopes: slices.Clone(scopes)}
}

// ExpireTokens revokes every access token issued so far: the next request
// that uses one is answered 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]bool{}
}

// Claims are the payload of an access token (a JWT signed HS256 with a key
// of the server's own).
type Claims struct {
	Issuer         string   `json:"iss"`
	Subject        string   `json:"sub"` // the client id
	OrganizationID string   `json:"organization_id"`
	Roles          []string `json:"roles"` // always ["organization_admin"]
	Scope          string   `json:"scope"` // space-separated
	IssuedAt       int64    `json:"iat"`
	Expires        int64    `json:"exp"`
	ID             string   `json:"jti"`
}

const (
	issuer = "pcaid-emulator"
	// RoleOrganizationAdmin is the 組織管理者ロール a token carries and the
	// admin role a user can be given.
	RoleOrganizationAdmin = "organization_admin"
)

func oauthError(status int, code, desc string) response {
	resp := emukit.JSON(status, map[string]string{"error": code, "error_description": desc})
	resp.Header = http.Header{"Cache-Control": {"no-store"}}
	return resp
}

// issueToken serves POST /oauth2/token (RFC 6749 4.4): a form body,
// client authentication by HTTP Basic (RFC 6749 2.3.1) or by client_id and
// client_secret in the body, not both.
func (s *Server) issueToken(r *http.Request, raw []byte, now time.Time) response {
	form, err := emukit.ParseForm(r.Header.Get("Content-Type"), raw)
	switch {
	case errors.Is(err, emukit.ErrNotForm):
		return oauthError(http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
	case err != nil:
		return oauthError(http.StatusBadRequest, "invalid_request", "the body is not a valid form")
	}
	id, secret, basic := r.BasicAuth()
	if s.readings.Has(ReadingTokenAuthBody) {
		// The form alone authenticates: a Basic header is not read.
		basic = false
	}
	if basic {
		// RFC 6749 2.3.1: both are form-encoded before Basic encoding.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		if form.Has("client_secret") {
			return oauthError(http.StatusBadRequest, "invalid_request", "use one client authentication method, not two")
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if gt := form.Get("grant_type"); gt == "" {
		return oauthError(http.StatusBadRequest, "invalid_request", "grant_type is required")
	} else if gt != "client_credentials" {
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
	}
	cl := s.clients[id]
	if id == "" || cl == nil || !emukit.SecretEqual(cl.secret, secret) {
		resp := oauthError(http.StatusUnauthorized, "invalid_client", "client authentication failed")
		if basic {
			resp.Header.Set("WWW-Authenticate", `Basic realm="pcaid"`)
		}
		return resp
	}
	scopes := strings.Fields(form.Get("scope"))
	if len(scopes) == 0 {
		scopes = cl.scopes
	}
	for _, sc := range scopes {
		if !slices.Contains(cl.scopes, sc) {
			return oauthError(http.StatusBadRequest, "invalid_scope", "scope "+sc+" is unknown or not allowed to this client")
		}
	}
	c := Claims{
		Issuer: issuer, Subject: id, OrganizationID: cl.org,
		Roles: []string{RoleOrganizationAdmin}, Scope: strings.Join(scopes, " "),
		IssuedAt: now.Unix(), Expires: now.Add(s.ttl).Unix(), ID: randomID(24),
	}
	s.tokens[c.ID] = true
	body := map[string]any{
		"access_token": s.sign(c),
		"token_type":   "Bearer",
		"expires_in":   int(s.ttl / time.Second),
		"scope":        c.Scope,
	}
	if s.readings.Has(ReadingTokenNoExpiresIn) {
		// RFC 6749 5.1 only recommends it.
		delete(body, "expires_in")
	}
	resp := emukit.JSON(http.StatusOK, body)
	resp.Header = http.Header{"Cache-Control": {"no-store"}}
	return resp
}

var b64 = base64.RawURLEncoding

func (s *Server) sign(c Claims) string {
	header := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	payload, _ := json.Marshal(c)
	unsigned := header + "." + b64.EncodeToString(payload)
	mac := hmac.New(sha256.New, s.signKey)
	mac.Write([]byte(unsigned))
	return unsigned + "." + b64.EncodeToString(mac.Sum(nil))
}

// verify checks a token's signature and returns its claims.
func (s *Server) verify(tok string) (Claims, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return Claims{}, false
	}
	mac := hmac.New(sha256.New, s.signKey)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := b64.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return Claims{}, false
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		return Claims{}, false
	}
	var c Claims
	if json.Unmarshal(payload, &c) != nil {
		return Claims{}, false
	}
	return c, true
}

func unauthorized() response {
	resp := errResp(http.StatusUnauthorized, "UNAUTHORIZED", msgUnauthorized)
	resp.Header = http.Header{"WWW-Authenticate": {`Bearer realm="pcaid"`}}
	return resp
}

// refused answers a bearer token the server does not accept: 401, or
// under ReadingExpiredToken403 what API Gateway answers when its custom
// authorizer returns a Deny policy: 403 {"Message": …}, a body of the
// gateway's, not the API's (no code, the key capitalised).
func (s *Server) refused() response {
	if s.readings.Has(ReadingExpiredToken403) {
		return emukit.JSON(http.StatusForbidden, map[string]string{"Message": APIGatewayDeny})
	}
	return unauthorized()
}

// authorize checks the bearer token (signature, expiry, revocation), that
// it carries the organization admin role, and the route's scope. The
// token's organization is the only one the request can see.
func (s *Server) authorize(r *http.Request, scope string, now time.Time) (*orgState, response, bool) {
	tok, ok := emukit.BearerToken(r)
	if !ok {
		return nil, unauthorized(), false
	}
	c, ok := s.verify(tok)
	if !ok || !s.tokens[c.ID] {
		return nil, s.refused(), false
	}
	if now.Unix() >= c.Expires {
		delete(s.tokens, c.ID)
		return nil, s.refused(), false
	}
	org := s.orgs[c.OrganizationID]
	if org == nil || !slices.Contains(c.Roles, RoleOrganizationAdmin) {
		return nil, errResp(http.StatusForbidden, "FORBIDDEN", "組織管理者ロールがありません。"), false
	}
	if !slices.Contains(strings.Fields(c.Scope), scope) {
		return nil, errResp(http.StatusForbidden, "FORBIDDEN", "アクセストークンにスコープ "+scope+" がありません。"), false
	}
	return org, response{}, true
}
