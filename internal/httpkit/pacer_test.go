package httpkit

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
)

func rlResponse(status, limit, remaining int, retryAfter string) *http.Response {
	h := http.Header{}
	if limit >= 0 {
		h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return &http.Response{StatusCode: status, Header: h}
}

func TestPacerWithoutHeadersNeverWaits(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	p := NewPacer(PacerOptions{Clock: clock})
	for range 500 {
		if err := p.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		p.Observe(rlResponse(200, -1, 0, ""))
	}
	if n, _ := clock.Sleeps(); n != 0 {
		t.Errorf("slept %d times without any rate limit header", n)
	}
}

func TestPacerWaitsForWindowAtReserve(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	start := clock.Now()
	p := NewPacer(PacerOptions{Clock: clock, SpreadBelow: -1})
	ctx := context.Background()
	// The server allows 60 a minute; the pacer keeps a reserve of 2.
	for i := range 58 {
		if err := p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		p.Observe(rlResponse(200, 60, 59-i, ""))
	}
	if n, _ := clock.Sleeps(); n != 0 {
		t.Fatalf("slept %d times within the first 58 requests", n)
	}
	if s := p.State(); s.Limit != 60 || s.Remaining != 2 {
		t.Fatalf("state = %+v, want limit 60, remaining 2", s)
	}
	if err := p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	// The 59th request waits for the window (which began at the first
	// request) to end, plus the slack.
	if got, want := clock.Now().Sub(start), time.Minute+time.Second; got != want {
		t.Errorf("59th request admitted after %v, want %v", got, want)
	}
	if s := p.State(); s.Remaining != 59 {
		t.Errorf("new window: remaining %d, want 59", s.Remaining)
	}
}

func TestPacerFollowsLowerServerCount(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	p := NewPacer(PacerOptions{Clock: clock, SpreadBelow: -1})
	ctx := context.Background()
	_ = p.Wait(ctx)
	p.Observe(rlResponse(200, 60, 59, ""))
	_ = p.Wait(ctx)
	// Someone else on the same quota used most of it.
	p.Observe(rlResponse(200, 60, 3, ""))
	_ = p.Wait(ctx) // remaining 3 → 2
	if n, _ := clock.Sleeps(); n != 0 {
		t.Fatal("waited too early")
	}
	p.Observe(rlResponse(200, 60, 2, ""))
	_ = p.Wait(ctx)
	if n, _ := clock.Sleeps(); n != 1 {
		t.Errorf("sleeps = %d, want 1 wait for the window", n)
	}
	// An out-of-order answer reporting more than the estimate is ignored
	// within the window.
	_ = p.Wait(ctx) // new window: 60 → 59 → 58
	p.Observe(rlResponse(200, 60, 59, ""))
	if s := p.State(); s.Remaining != 58 {
		t.Errorf("remaining = %d, want 58", s.Remaining)
	}
}

func TestPacerSpreadsWhenLow(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	start := clock.Now()
	p := NewPacer(PacerOptions{Clock: clock})
	ctx := context.Background()
	var admitted []time.Duration
	for i := range 58 {
		if err := p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		admitted = append(admitted, clock.Now().Sub(start))
		p.Observe(rlResponse(200, 60, 59-i, ""))
	}
	// Below a quarter of the limit (15) the requests are spread: each
	// later one waits, and all stay inside the first window.
	for i := 46; i < 58; i++ {
		if admitted[i] <= admitted[i-1] {
			t.Errorf("request %d admitted at %v, not after %v", i, admitted[i], admitted[i-1])
		}
	}
	if last := admitted[57]; last >= time.Minute+time.Second {
		t.Errorf("last request of the window admitted at %v, after the window", last)
	}
	for i := 1; i < 45; i++ {
		if admitted[i] != 0 {
			t.Fatalf("request %d waited (%v) while the quota was plentiful", i, admitted[i])
		}
	}
}

func TestPacerHonoursRetryAfter(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	p := NewPacer(PacerOptions{Clock: clock})
	ctx := context.Background()
	_ = p.Wait(ctx)
	p.Observe(rlResponse(200, 60, 59, ""))
	_ = p.Wait(ctx)
	start := clock.Now()
	p.Observe(rlResponse(429, 60, 0, "17"))
	if err := p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if got := clock.Now().Sub(start); got != 17*time.Second {
		t.Errorf("waited %v after a 429 with Retry-After 17, want 17s", got)
	}
	// The server's window ended with the Retry-After: the quota is whole.
	if s := p.State(); s.Remaining != 59 {
		t.Errorf("remaining after the wait = %d, want 59", s.Remaining)
	}
	// A 503 with Retry-After (maintenance) holds callers too.
	p.Observe(rlResponse(503, -1, 0, "5"))
	before := clock.Now()
	_ = p.Wait(ctx)
	if got := clock.Now().Sub(before); got != 5*time.Second {
		t.Errorf("waited %v after a 503 with Retry-After 5", got)
	}
	// An absurd Retry-After is capped.
	p2 := NewPacer(PacerOptions{Clock: clock, MaxWait: time.Minute})
	p2.Observe(rlResponse(429, 60, 0, "86400"))
	if s := p2.State(); s.BlockedUntil.Sub(clock.Now()) != time.Minute {
		t.Errorf("blocked until %v, want now+1m", s.BlockedUntil)
	}
}

func TestPacerWaitHonoursContext(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	p := NewPacer(PacerOptions{Clock: clock})
	p.Observe(rlResponse(429, 60, 0, "30"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
	// With the real clock, a cancelled wait returns without sleeping 30s.
	real := NewPacer(PacerOptions{})
	real.Observe(rlResponse(429, 60, 0, "30"))
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := real.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want context.DeadlineExceeded", err)
	}
}

// fixedWindowServer is Laravel's throttle: a window of one minute starts at
// the first request after the previous window ended.
type fixedWindowServer struct {
	mu          sync.Mutex
	limit       int
	windowStart time.Time
	count       int
	served      int
	refused     int
}

func (s *fixedWindowServer) serve(now time.Time) *http.Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.windowStart.IsZero() || !now.Before(s.windowStart.Add(time.Minute)) {
		s.windowStart, s.count = now, 0
	}
	if s.count >= s.limit {
		s.refused++
		ra := s.windowStart.Add(time.Minute).Sub(now)
		return rlResponse(429, s.limit, 0, strconv.Itoa(int((ra+time.Second-1)/time.Second)))
	}
	s.count++
	s.served++
	return rlResponse(200, s.limit, s.limit-s.count, "")
}

func TestPacerKeepsConcurrentCallersUnderLimit(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	srv := &fixedWindowServer{limit: 60}
	p := NewPacer(PacerOptions{Clock: clock})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				if err := p.Wait(context.Background()); err != nil {
					t.Error(err)
					return
				}
				p.Observe(srv.serve(clock.Now()))
			}
		})
	}
	wg.Wait()
	if srv.refused != 0 {
		t.Errorf("server refused %d of %d requests", srv.refused, srv.served+srv.refused)
	}
	if srv.served != 400 {
		t.Errorf("served %d, want 400", srv.served)
	}
}
