package emulator

import (
	"net"
	"net/http"
	"strconv"
	"time"
)

// window is one client's fixed rate-limit window: it opens at the client's
// first request and lasts a minute.
type window struct {
	end  time.Time
	hits int
}

// rateLimit counts the request against ip's window and sets the rate-limit
// headers. It reports false when the window is used up (answer 429). A
// server without a limit (the document's default) sets no headers.
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

// injectFault draws this request's fate: a 429 with Retry-After 1; a 500 or
// a 503 with equal odds; or a dropped connection.
func (s *Server) injectFault(h http.Header) (resp response, drop, faulted bool) {
	f := s.faults
	if f.Rate429 <= 0 && f.Rate5xx <= 0 && f.RateDrop <= 0 {
		return response{}, false, false
	}
	x := s.rng.Float64()
	switch {
	case x < f.Rate429:
		h.Set("Retry-After", "1")
		if s.limit > 0 {
			h.Set("X-RateLimit-Remaining", "0")
		}
		return fail(http.StatusTooManyRequests, msgTooMany), false, true
	case x < f.Rate429+f.Rate5xx:
		if s.rng.IntN(2) == 0 {
			return fail(http.StatusInternalServerError, msgInternal), false, true
		}
		return fail(http.StatusServiceUnavailable, msgUnavailable), false, true
	case x < f.Rate429+f.Rate5xx+f.RateDrop:
		return response{}, true, true
	}
	return response{}, false, false
}

// clientIP is the host part of r.RemoteAddr.
func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
