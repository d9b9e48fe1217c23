package emukit

import (
	"net/http"
	"strconv"
	"time"
)

// ResetHeader chooses how the rate limiter sends X-RateLimit-Reset.
type ResetHeader int

const (
	// ResetNone sends no X-RateLimit-Reset.
	ResetNone ResetHeader = iota
	// ResetOnLimit sends it on a request turned away only: the Unix time
	// of now plus Retry-After.
	ResetOnLimit
	// ResetAlways sends it on every limited response: the Unix time the
	// window ends.
	ResetAlways
)

// Window chooses how the rate limiter counts "N requests a minute", which
// documents rarely pin down.
type Window int

const (
	// WindowFixed counts requests in a minute that opens at the IP's first
	// request and is followed by a fresh one when it ends.
	WindowFixed Window = iota
	// WindowSliding counts the requests of the last 60 seconds, whenever
	// they were made.
	WindowSliding
)

// maxWindows is how many windows are kept before the expired ones are
// dropped.
const maxWindows = 4096

// window is one client IP's fixed rate-limit window: it opens at the IP's
// first request and lasts a minute.
type window struct {
	end  time.Time
	hits int
}

// limiter is a fixed one-minute window per client IP.
type limiter struct {
	limit   int // <= 0: unlimited
	reset   ResetHeader
	windows map[string]*window
}

func newLimiter(limit int, reset ResetHeader) limiter {
	return limiter{limit: limit, reset: reset, windows: map[string]*window{}}
}

// allow counts the request against ip's window and sets the rate-limit
// headers. It reports false when the window is used up (answer 429). An
// unlimited limiter sets no header.
func (l *limiter) allow(h http.Header, ip string, now time.Time) bool {
	if l.limit <= 0 {
		return true
	}
	w := l.windows[ip]
	if w == nil || !now.Before(w.end) {
		if len(l.windows) >= maxWindows {
			for k, old := range l.windows {
				if !now.Before(old.end) {
					delete(l.windows, k)
				}
			}
		}
		w = &window{end: now.Add(time.Minute)}
		l.windows[ip] = w
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.limit))
	if l.reset == ResetAlways {
		h.Set("X-RateLimit-Reset", strconv.FormatInt(w.end.Unix(), 10))
	}
	if w.hits >= l.limit {
		retry := max(int((w.end.Sub(now)+time.Second-1)/time.Second), 1)
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("Retry-After", strconv.Itoa(retry))
		if l.reset == ResetOnLimit {
			h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()+int64(retry), 10))
		}
		return false
	}
	w.hits++
	h.Set("X-RateLimit-Remaining", strconv.Itoa(l.limit-w.hits))
	return true
}

// ReadingSlidingWindow names the reading of "N requests a minute" as a
// sliding window (Config.Window = WindowSliding), for the emulators whose
// document states a per-minute limit without saying how the minute is
// counted.
const ReadingSlidingWindow = "ratelimit-sliding"

// RateLimitReading returns the ReadingSlidingWindow reading for an
// emulator's catalogue; seed quotes the document's rate-limit line
// ("003:120 「1分あたり60リクエスト」" style). The emulator maps it to
// Config.Window = WindowSliding.
func RateLimitReading(seed string) Reading {
	return Reading{
		Name: ReadingSlidingWindow,
		Seed: seed,
		Doc:  "the N requests a minute are counted over the last 60 seconds (a sliding window) rather than a fixed minute",
	}
}
