package httpkit

import (
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
	// Window is the length of the server's fixed window; default one
	// minute.
	Window time.Duration
	// Slack is added to the end of each window, because the server starts
	// its window when it receives the first request, a little after the
	// pacer admits it; default one second.
	Slack time.Duration
	// Reserve is the count of requests left unused in each window, for
	// other clients of the same quota and for estimates that run behind;
	// default 2, and never more than a tenth of the limit.
	Reserve int
	// SpreadBelow is the share of the limit under which the remaining
	// requests are spread evenly over what is left of the window; default
	// 0.25. A negative value disables spreading.
	SpreadBelow float64
	// MaxWait caps a wait ordered by Retry-After; default 5 minutes.
	MaxWait time.Duration
	Clock   Clock
	Logger  *zap.Logger
}

// Pacer keeps a client under a fixed-window rate limit learned from the
// X-RateLimit-Limit and X-RateLimit-Remaining response headers. It is safe
// for concurrent use; one pacer is shared by every client of one quota.
//
// The model: a window starts when the pacer admits the first request after
// the previous window ended and lasts Window (+Slack). Each admission counts
// one request against the estimate of the remaining count; each response
// lowers the estimate to what the server reports, never raises it (responses
// of concurrent requests arrive out of order). A new window starts from the
// full limit. A server whose window really began earlier than the pacer
// thinks resets sooner than expected, which only makes the pacer cautious.
type Pacer struct {
	window, slack, maxWait time.Duration
	reserve                int
	spreadBelow            float64
	clock                  Clock
	logger                 *zap.Logger

	mu           sync.Mutex
	limit        int       // 0: not known yet
	remaining    int       // estimate for the current window, valid when counted
	counted      bool      // remaining has been learned in this window
	inflight     int       // admitted in this window, no response yet
	windowStart  time.Time // zero: no current window
	lastAdmit    time.Time
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
		o.Reserve = 2
	}
	if o.SpreadBelow == 0 {
		o.SpreadBelow = 0.25
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
		reserve: o.Reserve, spreadBelow: o.SpreadBelow,
		clock: o.Clock, logger: o.Logger,
	}
}

// PacerState is a snapshot of what a pacer believes, for logs and tests.
type PacerState struct {
	Limit        int
	Remaining    int
	WindowEnd    time.Time
	BlockedUntil time.Time
}

// State returns what the pacer currently believes.
func (p *Pacer) State() PacerState {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := PacerState{Limit: p.limit, Remaining: p.remaining, BlockedUntil: p.blockedUntil}
	if !p.windowStart.IsZero() {
		s.WindowEnd = p.windowEnd()
	}
	return s
}

// Wait blocks until one more request may be sent, and counts it. It
// returns ctx.Err() if ctx ends first.
func (p *Pacer) Wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.mu.Lock()
		d, why := p.admit(p.clock.Now())
		p.mu.Unlock()
		if d <= 0 {
			return nil
		}
		if ce := p.logger.Check(zap.DebugLevel, "rate limit: waiting"); ce != nil {
			ce.Write(zap.Duration("wait", d), zap.String("reason", why))
		}
		if err := p.clock.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

func (p *Pacer) windowEnd() time.Time { return p.windowStart.Add(p.window + p.slack) }

func (p *Pacer) effectiveReserve() int {
	return min(p.reserve, p.limit/10)
}

// admit admits a request now (returning 0) or says how long to wait before
// asking again. Called with p.mu held.
func (p *Pacer) admit(now time.Time) (time.Duration, string) {
	if now.Before(p.blockedUntil) {
		return p.blockedUntil.Sub(now), "retry-after"
	}
	if p.windowStart.IsZero() || !now.Before(p.windowEnd()) {
		p.windowStart = now
		p.remaining = p.limit
		p.counted = p.limit > 0
		p.inflight = 0
		p.lastAdmit = time.Time{}
	}
	if p.limit > 0 && p.counted {
		reserve := p.effectiveReserve()
		if p.remaining <= reserve {
			return p.windowEnd().Sub(now), "window exhausted"
		}
		if p.spreadBelow > 0 && float64(p.remaining) < p.spreadBelow*float64(p.limit) && !p.lastAdmit.IsZero() {
			interval := p.windowEnd().Sub(now) / time.Duration(p.remaining-reserve+1)
			if next := p.lastAdmit.Add(interval); now.Before(next) {
				return next.Sub(now), "spreading"
			}
		}
		p.remaining--
	}
	p.inflight++
	p.lastAdmit = now
	return 0, ""
}

// Observe learns from a response: the limit and remaining count, and a
// 429's (or 503's) Retry-After. Pass every response of the paced client.
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
		switch {
		case p.windowStart.IsZero() || !now.Before(p.windowEnd()):
			// A late answer after the window the pacer knew ended:
			// assume a window that started now, which is cautious.
			p.windowStart = now
			p.remaining, p.counted, p.inflight = rem, true, 0
		case !p.counted:
			// First count in this window (the limit was not known when
			// it began): the requests still in flight are not in rem.
			p.remaining, p.counted = max(rem-p.inflight, 0), true
		default:
			p.remaining = min(p.remaining, rem)
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
	if until.After(p.blockedUntil) {
		p.blockedUntil = until
	}
	if status == http.StatusTooManyRequests {
		// The server's window ends when it says; a new one starts at the
		// first request after that.
		p.remaining, p.counted = 0, true
		p.windowStart = until.Add(-p.window - p.slack)
	}
	p.logger.Info("rate limited: holding requests",
		zap.Int("status", status), zap.Duration("retry_after", d))
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
