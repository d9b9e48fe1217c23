package emulator

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
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
// WWW-Authenticate challenge (RFC 6750).
func (s *Server) authorize(r *http.Request) (response, bool) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, tok, _ := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	var resp response
	switch {
	case h == "":
		resp = errorResp(http.StatusUnauthorized, "missing Authorization: Bearer token")
		resp.header = http.Header{"Www-Authenticate": {`Bearer realm="tenant-admin"`}}
	case !strings.EqualFold(scheme, "Bearer") || tok == "" || !s.tokens[tok]:
		resp = errorResp(http.StatusUnauthorized, "invalid, expired or revoked token")
		resp.header = http.Header{"Www-Authenticate": {`Bearer realm="tenant-admin", error="invalid_token"`}}
	default:
		return response{}, true
	}
	return resp, false
}

// window is one client's fixed rate-limit window of a minute, opened by its
// first request.
type window struct {
	end  time.Time
	hits int
}

// rateLimit counts the request against ip's window and sets
// X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset. It
// reports false when the window is used up (answer 429 with Retry-After).
// An unlimited server sets no header.
func (s *Server) rateLimit(h http.Header, ip string, now time.Time) bool {
	if s.limit <= 0 {
		return true
	}
	w := s.windows[ip]
	if w == nil || !now.Before(w.end) {
		w = &window{end: now.Add(time.Minute)}
		s.windows[ip] = w
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(w.end.Unix(), 10))
	if w.hits >= s.limit {
		retry := max(int((w.end.Sub(now)+time.Second-1)/time.Second), 1)
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("Retry-After", strconv.Itoa(retry))
		return false
	}
	w.hits++
	h.Set("X-RateLimit-Remaining", strconv.Itoa(s.limit-w.hits))
	return true
}

// clientIP is the host part of r.RemoteAddr.
func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
