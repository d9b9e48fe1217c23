package httpkit

import (
	"cmp"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Clock is the time source of the pacer and the token source. Tests pass a
// fake (httpkittest.FakeClock) so that nothing waits on the wall clock.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends, returning ctx.Err() in that case.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
var SystemClock Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// PacerOptions configure a Pacer. The zero value is usable.
type PacerOptions struct {
	// Window is the length of the server's window, fixed or sliding;
	// default one minute.
	Window time.Duration
	// Slack is added to every wait for the server's window to move on: a
	// request the pacer admits reaches the server a little later, and one
	// sent late by the network may be counted later than its neighbours;
	// X-RateLimit-Reset has whole seconds. Default one second; negative is
	// none.
	Slack time.Duration
	// Reserve is the count of requests left unused in each window, for
	// other clients of the same quota and for answers still on their way;
	// default 1, and never more than a tenth of the limit.
	Reserve int
	// MaxWait caps a wait ordered by Retry-After; default 5 minutes.
	MaxWait time.Duration
	Clock   Clock
	Logger  *zap.Logger
}

// maxLog bounds the log of sends while the limit is unknown.
const maxLog = 4096

// Pacer keeps a client under a rate limit of "N requests a window" learned
// from the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset
// response headers, whether the server counts the window as a fixed minute
// or as the last 60 seconds. It is safe for concurrent use; one pacer is
// shared by every client of one quota.
//
// The model has two parts, and a request must pass both:
//
//   - A log of its own sends. No Window+Slack ever holds more than the
//     limit less the reserve of them. That is right under either kind of
//     window, because a fixed window is a stretch of Window too, and it needs
//     no knowledge of when the server's window started.
//   - The server's count, for the requests the log cannot know (another
//     client of the quota, an earlier run): the last X-RateLimit-Remaining,
//     less the requests still unanswered when it came and those admitted
//     since. When it is down to the reserve, requests wait until
//     X-RateLimit-Reset (plus Slack) if the server sent one, else until the
//     oldest send the server had counted leaves the window; after that the
//     count is taken as unknown until the next answer.
//
// A 429 (or 503) with Retry-After holds every caller until then, but for
// a 429 without X-RateLimit-* headers, which holds only the call it
// answered.
type Pacer struct {
	window, slack, maxWait time.Duration
	reserve                int
	clock                  Clock
	logger                 *zap.Logger

	mu    sync.Mutex
	limit int         // 0: not known yet
	sent  []time.Time // own admissions of the last window+slack, oldest first
	// The server's count: remaining requests as of observed, less the
	// admissions since; valid when counted.
	remaining int
	counted   bool
	resetAt   time.Time // X-RateLimit-Reset of the last answer; zero: none
	// freeAt is when the oldest send the server had counted at its last
	// answer leaves the window; zero: there was none.
	freeAt       time.Time
	inflight     int // admitted, no answer yet
	blockedUntil time.Time
}

// NewPacer returns a pacer that knows nothing yet: it admits every request
// until a response tells it the limit.
func NewPacer(o PacerOptions) *Pacer {
	if o.Window <= 0 {
		o.Window = time.Minute
	}
	if o.Slack < 0 {
		o.Slack = 0
	} else if o.Slack == 0 {
		o.Slack = time.Second
	}
	if o.Reserve <= 0 {
		o.Reserve = 1
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxRetryAfter
	}
	if o.Clock == nil {
		o.Clock = SystemClock
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return &Pacer{
		window: o.Window, slack: o.Slack, maxWait: o.MaxWait,
		reserve: o.Reserve, clock: o.Clock, logger: o.Logger,
	}
}

// PacerState is a snapshot of what a pacer believes, for logs and tests.
type PacerState struct {
	Limit int
	// Remaining is the server's count as the pacer estimates it; -1 when
	// it is not known.
	Remaining int
	// Sent is the count of the pacer's own sends in the last window.
	Sent int
	// WindowEnd is when the oldest of those leaves the window (zero when
	// there is none).
	WindowEnd    time.Time
	ResetAt      time.Time
	BlockedUntil time.Time
}

// State returns what the pacer currently believes.
func (p *Pacer) State() PacerState {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prune(p.clock.Now())
	s := PacerState{Limit: p.limit, Remaining: -1, Sent: len(p.sent), ResetAt: p.resetAt, BlockedUntil: p.blockedUntil}
	if p.counted {
		s.Remaining = p.remaining
	}
	if len(p.sent) > 0 {
		s.WindowEnd = p.leaves(p.sent[0])
	}
	return s
}

// Wait blocks until one more request may be sent, and counts it. It
// returns ctx.Err() if ctx ends first.
func (p *Pacer) Wait(ctx context.Context) error {
	_, err := p.wait(ctx)
	return err
}

// wait is Wait returning the time the request was admitted, for sent.
func (p *Pacer) wait(ctx context.Context) (time.Time, error) {
	for {
		if err := ctx.Err(); err != nil {
			return time.Time{}, err
		}
		now := p.clock.Now()
		var d time.Duration
		why := "retry-after of this call"
		if h := callHoldOf(ctx); h != nil {
			d = h.wait(now)
		}
		if d <= 0 {
			p.mu.Lock()
			d, why = p.admit(now)
			p.mu.Unlock()
		}
		if d <= 0 {
			return now, nil
		}
		if ce := p.logger.Check(zap.DebugLevel, "rate limit: waiting"); ce != nil {
			ce.Write(zap.Duration("wait", d), zap.String("reason", why))
		}
		if err := p.clock.Sleep(ctx, d); err != nil {
			return time.Time{}, err
		}
	}
}

// sending tells the pacer that the request admitted at admitted goes out
// only now (its credentials took a token call first), so that the log
// holds when the server will count it.
func (p *Pacer) sending(admitted time.Time) {
	now := p.clock.Now()
	if !now.After(admitted) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.sent) - 1; i >= 0; i-- {
		if p.sent[i].Equal(admitted) {
			p.sent = append(p.sent[:i], p.sent[i+1:]...)
			p.sent = append(p.sent, now)
			return
		}
	}
}

// leaves is when a send at t no longer counts in the server's window.
func (p *Pacer) leaves(t time.Time) time.Time { return t.Add(p.window + p.slack) }

// prune drops the sends that have left the window. Called with p.mu held.
func (p *Pacer) prune(now time.Time) {
	i := 0
	for i < len(p.sent) && !now.Before(p.leaves(p.sent[i])) {
		i++
	}
	if i > 0 {
		p.sent = append(p.sent[:0], p.sent[i:]...)
	}
	// A request sent a window ago has been answered or has failed.
	p.inflight = min(p.inflight, len(p.sent))
}

func (p *Pacer) effectiveReserve() int {
	return min(p.reserve, p.limit/10)
}

// admit admits a request now (returning 0) or says how long to wait before
// asking again. Called with p.mu held.
func (p *Pacer) admit(now time.Time) (time.Duration, string) {
	if now.Before(p.blockedUntil) {
		return p.blockedUntil.Sub(now), "retry-after"
	}
	p.prune(now)
	if p.limit > 0 {
		reserve := p.effectiveReserve()
		if budget := p.limit - reserve; len(p.sent) >= budget {
			return p.leaves(p.sent[len(p.sent)-budget]).Sub(now), "own requests fill the window"
		}
		if p.counted && p.remaining <= reserve {
			switch {
			case !p.resetAt.IsZero():
				if until := p.resetAt.Add(p.slack); now.Before(until) {
					return until.Sub(now), "server window exhausted"
				}
			case !p.freeAt.IsZero():
				// The oldest send the server had counted leaves first; a
				// fixed window may end later, which a 429 will tell.
				if now.Before(p.freeAt) {
					return p.freeAt.Sub(now), "server window exhausted"
				}
			}
			// The server has moved on since its count: unknown until the
			// next answer.
			p.counted = false
		}
	}
	if p.counted {
		p.remaining--
	}
	p.sent = append(p.sent, now)
	if bound := cmp.Or(p.limit, maxLog); len(p.sent) > bound {
		p.sent = append(p.sent[:0], p.sent[len(p.sent)-bound:]...)
	}
	p.inflight++
	return 0, ""
}

// Observe learns from a response: the limit, the remaining count and the
// reset time, and a 429's (or 503's) Retry-After. Pass every response of
// the paced client.
func (p *Pacer) Observe(resp *http.Response) {
	if resp == nil {
		return
	}
	now := p.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()

	if p.inflight > 0 {
		p.inflight--
	}
	if limit, ok := headerInt(resp.Header, "X-RateLimit-Limit"); ok && limit > 0 {
		p.limit = limit
	}
	if rem, ok := headerInt(resp.Header, "X-RateLimit-Remaining"); ok && rem >= 0 {
		// Requests still unanswered may not be in rem yet: count them
		// as spent, which errs on the side of waiting.
		p.remaining, p.counted = max(rem-p.inflight, 0), true
		p.resetAt, p.freeAt = time.Time{}, time.Time{}
		p.prune(now)
		if len(p.sent) > 0 {
			p.freeAt = p.leaves(p.sent[0])
		}
		if at, ok := parseReset(resp.Header.Get("X-RateLimit-Reset"), now); ok {
			// Capped like Retry-After: a value read the wrong way must
			// not hold the client for hours.
			p.resetAt = minTime(at, now.Add(p.maxWait))
		}
	}

	status := resp.StatusCode
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return
	}
	d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	if !ok {
		return
	}
	d = min(d, p.maxWait)
	until := now.Add(d)
	_, quota := headerInt(resp.Header, "X-RateLimit-Remaining")
	if status == http.StatusTooManyRequests && !quota {
		// A 429 that says nothing of a quota (no X-RateLimit-*: a
		// throttle in front of the API, a refusal of this one request)
		// holds only the call it answered, for its Retry-After: holding
		// every caller would stop the whole run for each such refusal,
		// a second at a time (issue 12). A call sent through Do carries
		// its hold; one that does not is held with every caller.
		if h := holdFrom(resp); h != nil {
			h.extend(until)
			p.logger.Debug("rate limited: holding the call",
				zap.Int("status", status), zap.Duration("retry_after", d))
			return
		}
	}
	if until.After(p.blockedUntil) {
		p.blockedUntil = until
	}
	if status == http.StatusTooManyRequests {
		// The server has room again when Retry-After ends; how much,
		// the next answer says.
		p.counted = false
	}
	p.logger.Info("rate limited: holding requests",
		zap.Int("status", status), zap.Duration("retry_after", d))
}

// callHold is when one call (all its attempts) may be sent again: a 429
// that spoke of no quota holds the call it answered and no other.
type callHold struct {
	mu    sync.Mutex
	until time.Time
}

type callHoldKey struct{}

// withCallHold gives the call made with ctx a hold of its own.
func withCallHold(ctx context.Context) context.Context {
	return context.WithValue(ctx, callHoldKey{}, &callHold{})
}

func callHoldOf(ctx context.Context) *callHold {
	h, _ := ctx.Value(callHoldKey{}).(*callHold)
	return h
}

func holdFrom(resp *http.Response) *callHold {
	if resp.Request == nil {
		return nil
	}
	return callHoldOf(resp.Request.Context())
}

func (h *callHold) extend(until time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if until.After(h.until) {
		h.until = until
	}
}

func (h *callHold) wait(now time.Time) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.until.Sub(now)
}

// parseReset reads X-RateLimit-Reset: Unix seconds (GitHub, most APIs),
// Unix milliseconds for a very large number, or, for a small one, seconds
// from now (the IETF RateLimit draft's reading).
func parseReset(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	switch {
	case n < 1_000_000_000: // before 2001 as Unix time: a delta
		return now.Add(time.Duration(n) * time.Second), true
	case n >= 100_000_000_000: // after 5138 as Unix seconds: milliseconds
		return time.UnixMilli(n), true
	}
	return time.Unix(n, 0), true
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
func headerInt(h http.Header, name string) (int, bool) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false
	}
	return n, true
}
