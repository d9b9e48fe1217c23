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

// window is one client IP's rate-limit window. A fixed window opens at the
// IP's first request and lasts a minute (end, hits); a sliding window is
// the log of the requests the IP made in the last minute (sent, oldest
// first), so that it holds at most limit entries.
type window struct {
	end  time.Time
	hits int
	sent []time.Time
}

// limiter counts the requests of each client IP in a one-minute window,
// fixed or sliding.
type limiter struct {
	limit   int // <= 0: unlimited
	reset   ResetHeader
	kind    Window
	windows map[string]*window
}

func newLimiter(limit int, reset ResetHeader, kind Window) limiter {
	return limiter{limit: limit, reset: reset, kind: kind, windows: map[string]*window{}}
}

// expired reports whether w counts no request at now.
func (l *limiter) expired(w *window, now time.Time) bool {
	if l.kind == WindowSliding {
		return len(w.sent) == 0 || !now.Before(w.sent[len(w.sent)-1].Add(time.Minute))
	}
	return !now.Before(w.end)
}

// allow counts the request against ip's window and sets the rate-limit
// headers. It reports false when the window is used up (answer 429). An
// unlimited limiter sets no header.
//
// Under both windows X-RateLimit-Reset (ResetAlways) is the time a request
// is next counted out of the window: the end of a fixed window, the moment
// the oldest request of a sliding one is a minute old. Retry-After on a
// refused request is the wait until then, so a client that waits it out is
// let through.
func (l *limiter) allow(h http.Header, ip string, now time.Time) bool {
	if l.limit <= 0 {
		return true
	}
	w := l.windows[ip]
	if w == nil || l.expired(w, now) {
		if len(l.windows) >= maxWindows {
			for k, old := range l.windows {
				if l.expired(old, now) {
					delete(l.windows, k)
				}
			}
		}
		w = &window{end: now.Add(time.Minute)}
		l.windows[ip] = w
	}
	if l.kind == WindowSliding {
		// Drop the requests that are a minute old or older; what is left
		// is the count of the last 60 seconds.
		i := 0
		for i < len(w.sent) && !now.Before(w.sent[i].Add(time.Minute)) {
			i++
		}
		w.sent = w.sent[i:]
		w.hits = len(w.sent)
		w.end = now.Add(time.Minute) // the window of a request counted now
		if len(w.sent) > 0 {
			w.end = w.sent[0].Add(time.Minute)
		}
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.limit))
	if w.hits >= l.limit {
		retry := max(int((w.end.Sub(now)+time.Second-1)/time.Second), 1)
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("Retry-After", strconv.Itoa(retry))
		switch l.reset {
		case ResetOnLimit:
			h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()+int64(retry), 10))
		case ResetAlways:
			h.Set("X-RateLimit-Reset", strconv.FormatInt(w.end.Unix(), 10))
		}
		return false
	}
	w.hits++
	if l.kind == WindowSliding {
		w.sent = append(w.sent, now)
		w.end = w.sent[0].Add(time.Minute)
	}
	if l.reset == ResetAlways {
		h.Set("X-RateLimit-Reset", strconv.FormatInt(w.end.Unix(), 10))
	}
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
