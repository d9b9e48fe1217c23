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
// headers. It reports false when the window is used up (answer 429). An
// unlimited server sets no headers.
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
		h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()+int64(retry), 10))
		return false
	}
	w.hits++
	h.Set("X-RateLimit-Remaining", strconv.Itoa(s.limit-w.hits))
	return true
}

// injectFault draws this request's fate: a 429 like the limiter's
// (Retry-After 1), or a 500, 502 or 503 with equal odds.
func (s *Server) injectFault(h http.Header) (response, bool) {
	f := s.faults
	if f.Rate429 <= 0 && f.Rate5xx <= 0 {
		return response{}, false
	}
	x := s.rng.Float64()
	switch {
	case x < f.Rate429:
		h.Set("Retry-After", "1")
		if s.limit > 0 {
			h.Set("X-RateLimit-Remaining", "0")
		}
		return message(http.StatusTooManyRequests, "Too many requests: retry after the time in Retry-After."), true
	case x < f.Rate429+f.Rate5xx:
		switch s.rng.IntN(3) {
		case 0:
			return message(http.StatusInternalServerError, "Internal server error."), true
		case 1:
			return message(http.StatusBadGateway, "Bad gateway."), true
		default:
			h.Set("Retry-After", "1")
			return message(http.StatusServiceUnavailable, "Service unavailable."), true
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
