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

func TestPacerWaitsForItsOwnSendsToLeave(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	start := clock.Now()
	p := NewPacer(PacerOptions{Clock: clock})
	ctx := context.Background()
	// The server allows 60 a minute; the pacer keeps a reserve of 1.
	for i := range 59 {
		if err := p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		p.Observe(rlResponse(200, 60, 59-i, ""))
		clock.Advance(100 * time.Millisecond)
	}
	if n, _ := clock.Sleeps(); n != 0 {
		t.Fatalf("slept %d times within the first 59 requests", n)
	}
	if s := p.State(); s.Limit != 60 || s.Remaining != 1 || s.Sent != 59 {
		t.Fatalf("state = %+v, want limit 60, remaining 1, 59 sent", s)
	}
	if err := p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	// The 60th request waits for the first to leave the window, plus the
	// slack.
	if got, want := clock.Now().Sub(start), time.Minute+time.Second; got != want {
		t.Errorf("60th request admitted after %v, want %v", got, want)
	}
	if s := p.State(); s.Remaining != -1 || s.Sent != 59 {
		t.Errorf("after the wait: %+v, want an unknown server count and 59 sent", s)
	}
}

func TestPacerFollowsLowerServerCount(t *testing.T) {
	tests := []struct {
		name  string
		reset string // X-RateLimit-Reset of the answer that reports 1 left
		wait  time.Duration
	}{
		// No reset time: until the oldest request the server counted
		// (the first, at 0s) leaves, plus the slack.
		{"no reset", "", time.Minute + time.Second},
		// The server's word, plus the slack (Reset has whole seconds).
		{"unix reset", "1743465630", 31 * time.Second}, // 09:00:30 JST
		{"delta reset", "20", 21 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := httpkittest.NewFakeClock(time.Time{})
			start := clock.Now()
			p := NewPacer(PacerOptions{Clock: clock})
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
			resp := rlResponse(200, 60, 1, "")
			if tt.reset != "" {
				resp.Header.Set("X-RateLimit-Reset", tt.reset)
			}
			p.Observe(resp)
			_ = p.Wait(ctx)
			if n, _ := clock.Sleeps(); n != 1 {
				t.Errorf("sleeps = %d, want 1 wait for the server's window", n)
			}
			if got := clock.Now().Sub(start); got != tt.wait {
				t.Errorf("admitted after %v, want %v", got, tt.wait)
			}
		})
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
	// After the Retry-After the server's count is unknown until it answers.
	if s := p.State(); s.Remaining != -1 {
		t.Errorf("remaining after the wait = %d, want -1 (unknown)", s.Remaining)
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

func TestParseReset(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"1700000042", time.Unix(1_700_000_042, 0), true},
		{"42", now.Add(42 * time.Second), true},
		{"1700000042500", time.UnixMilli(1_700_000_042_500), true},
		{" 0 ", now, true},
		{"", time.Time{}, false},
		{"-3", time.Time{}, false},
		{"soon", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := parseReset(tt.in, now)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("parseReset(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPacerCapsReset(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	p := NewPacer(PacerOptions{Clock: clock, MaxWait: time.Minute})
	_ = p.Wait(context.Background())
	resp := rlResponse(200, 60, 0, "")
	resp.Header.Set("X-RateLimit-Reset", strconv.FormatInt(clock.Now().Add(24*time.Hour).Unix(), 10))
	p.Observe(resp)
	before := clock.Now()
	_ = p.Wait(context.Background())
	if got := clock.Now().Sub(before); got != time.Minute+time.Second {
		t.Errorf("waited %v for a reset a day away, want the 1m cap plus the slack", got)
	}
}

func TestPacerLogIsBounded(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	p := NewPacer(PacerOptions{Clock: clock})
	for range 2 * maxLog {
		_ = p.Wait(context.Background())
	}
	if s := p.State(); s.Sent != maxLog {
		t.Errorf("%d sends kept without a known limit, want %d", s.Sent, maxLog)
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
