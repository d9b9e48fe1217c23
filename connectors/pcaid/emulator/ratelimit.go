package emulator

import (
	"net"
	"net/http"
	"strconv"
	"time"
)

// window is one client IP's fixed rate-limit window: it opens at the IP's
// first request and lasts a minute.
type window struct {
	end  time.Time
	hits int
}

// rateLimit counts the request against ip's window and sets the rate-limit
// headers; it reports false when the window is used up (answer 429). The
// document gives no limit: with Options.RateLimit <= 0 nothing is counted
// and no header is set.
func (s *Server) rateLimit(h http.Header, ip string, now time.Time) bool {
	if s.limit <= 0 {
		return true
	}
	w := s.windows[ip]
	if w == nil || !now.Before(w.end) {
		if len(s.windows) >= 4096 {
			for k, old := range s.windows {
				if !now.Before(old.end) {
					delete(s.windows, k)
				}
			}
		}
		w = &window{end: now.Add(time.Minute)}
		s.windows[ip] = w
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
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

// injectFault draws this request's fate: a 429 with Retry-After 1, or a
// 500, 502, 503 or 504 with equal odds.
func (s *Server) injectFault(h http.Header) (response, bool) {
	f := s.faults
	if f.Rate429 <= 0 && f.Rate5xx <= 0 {
		return response{}, false
	}
	x := s.rng.Float64()
	switch {
	case x < f.Rate429:
		h.Set("Retry-After", "1")
		return errResp(http.StatusTooManyRequests, "TOO_MANY_REQUESTS", msgTooMany), true
	case x < f.Rate429+f.Rate5xx:
		switch s.rng.IntN(4) {
		case 0:
			return errResp(http.StatusInternalServerError, "INTERNAL_ERROR", msgInternal), true
		case 1:
			return errResp(http.StatusBadGateway, "BAD_GATEWAY", "Bad Gateway"), true
		case 2:
			return errResp(http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "Service Unavailable"), true
		default:
			return errResp(http.StatusGatewayTimeout, "GATEWAY_TIMEOUT", "Endpoint request timed out"), true
		}
	}
	return response{}, false
}

// clientIP is the host part of r.RemoteAddr.
func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
