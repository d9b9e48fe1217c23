package emulator

import (
	"net/http"
	"strings"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// AddToken registers an admin token: requests bearing it are accepted
// until it is revoked.
func (s *Server) AddToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = true
}

// RevokeToken makes one token invalid: the next request bearing it is
// answered 401.
func (s *Server) RevokeToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
}

// ExpireTokens makes every registered token invalid, as an administrator
// revoking them or their expiry would.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]bool{}
}

// authorize accepts "Authorization: Bearer <token>" with a registered token
// (the scheme case-insensitively, RFC 7235), else answers 401 with a
// WWW-Authenticate challenge (RFC 6750), or 403 without one under the
// token-403 reading.
func (s *Server) authorize(r *http.Request) (response, bool) {
	tok, ok := emukit.BearerToken(r)
	var resp response
	switch {
	case strings.TrimSpace(r.Header.Get("Authorization")) == "":
		resp = errorResp(http.StatusUnauthorized, "missing Authorization: Bearer token")
		resp.Header = http.Header{"Www-Authenticate": {`Bearer realm="tenant-admin"`}}
	case !ok || !s.tokens[tok]:
		resp = errorResp(http.StatusUnauthorized, "invalid, expired or revoked token")
		resp.Header = http.Header{"Www-Authenticate": {`Bearer realm="tenant-admin", error="invalid_token"`}}
	default:
		return response{}, true
	}
	if s.readings.Has(ReadingToken403) {
		resp = errorResp(http.StatusForbidden, resp.Body.(errorBody).Message)
	}
	return resp, false
}
