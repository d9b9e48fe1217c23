package httpkit

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
)

// simClock is a discrete-event clock for several callers: time stands
// still while any of them works (sends a request, reads an answer) and,
// when every one of them sleeps, jumps to the earliest wake-up. Unlike
// httpkittest.FakeClock, the sleeps of concurrent callers do not add up, so
// the figures of a run with several callers are what real time would give
// with instant networking.
type simClock struct {
	mu       sync.Mutex
	now      time.Time
	active   int // callers still running
	sleepers []*sleeper
}

type sleeper struct {
	wake time.Time
	ch   chan struct{}
}

func newSimClock(callers int) *simClock {
	return &simClock{now: httpkittest.NewFakeClock(time.Time{}).Now(), active: callers}
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	c.mu.Lock()
	s := &sleeper{wake: c.now.Add(d), ch: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	c.advance()
	c.mu.Unlock()
	select {
	case <-s.ch:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		c.sleepers = slices.DeleteFunc(c.sleepers, func(o *sleeper) bool { return o == s })
		c.advance()
		c.mu.Unlock()
		return ctx.Err()
	}
}

// done takes a caller that has finished out of the count.
func (c *simClock) done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active--
	c.advance()
}

// advance moves time to the earliest wake-up when every caller sleeps, and
// wakes those due. Called with c.mu held.
func (c *simClock) advance() {
	if len(c.sleepers) == 0 || len(c.sleepers) < c.active {
		return
	}
	earliest := c.sleepers[0].wake
	for _, s := range c.sleepers {
		if s.wake.Before(earliest) {
			earliest = s.wake
		}
	}
	if earliest.After(c.now) {
		c.now = earliest
	}
	c.sleepers = slices.DeleteFunc(c.sleepers, func(s *sleeper) bool {
		if s.wake.After(c.now) {
			return false
		}
		close(s.ch)
		return true
	})
}

// delayTransport holds each request latency(n) (n counts from 0) on the
// caller's clock before it reaches the server, so that the server counts it
// later than the pacer admitted it.
type delayTransport struct {
	clock   Clock
	latency func(n int) time.Duration
	n       atomic.Int64
	next    http.RoundTripper
}

func (t *delayTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.latency != nil {
		if err := t.clock.Sleep(req.Context(), t.latency(int(t.n.Add(1)-1))); err != nil {
			return nil, err
		}
	}
	return t.next.RoundTrip(req)
}

// limitedServer is emukit's rate limiter (the one every emulator uses) in
// front of a handler answering 200, on the test's clock.
type limitedServer struct {
	*httptest.Server
	kit      *emukit.Kit
	mu       sync.Mutex
	received []time.Time // of the requests the limiter let through
}

func newLimitedServer(t *testing.T, clock Clock, limit int, window emukit.Window, reset emukit.ResetHeader) *limitedServer {
	s := &limitedServer{}
	s.kit = emukit.New(emukit.Config{
		Name: "test", Now: clock.Now, RateLimit: limit, Window: window, ResetHeader: reset,
		Limited: func() emukit.Response {
			return emukit.Response{Status: http.StatusTooManyRequests, Body: map[string]string{"message": "Too Many Attempts."}}
		},
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.kit.Serve(w, r, func(r *http.Request, c *emukit.Call) emukit.Response {
			s.mu.Lock()
			s.received = append(s.received, c.Now)
			s.mu.Unlock()
			return emukit.Response{Status: http.StatusOK, Body: map[string]bool{"ok": true}}
		})
	}))
	t.Cleanup(s.Close)
	return s
}

// steadyRate is the requests a minute the server let through once the
// first window is over: the count after the first minute over the time
// from the first minute to the last request. The first minute holds a
// burst no later minute can repeat, so leaving it out gives the rate a
// long run settles at.
func (s *limitedServer) steadyRate() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.received) < 2 {
		return 0
	}
	from := s.received[0].Add(time.Minute)
	n := 0
	for _, at := range s.received {
		if !at.Before(from) {
			n++
		}
	}
	span := s.received[len(s.received)-1].Sub(from)
	if span <= 0 {
		return 0
	}
	return float64(n) / span.Minutes()
}

// maxInMinute is the most requests the server let through in any 60
// seconds.
func (s *limitedServer) maxInMinute() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	most := 0
	for i := range s.received {
		j := i
		for j < len(s.received) && s.received[j].Sub(s.received[i]) < time.Minute {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

// TestPacerAgainstEmukitLimiter sends 600 requests through a paced client
// against emukit's limiter at the documents' 60 a minute, under each window
// and each way of sending X-RateLimit-Reset, with and without network
// delay. Every call must succeed; the share of 429s must stay under 0.5%
// (at most 2 of 600 attempts); a single caller must reach at least 58
// requests a minute once past the first minute. The figures are computed
// on a simulated clock (simClock), never timed: run with -v to see them.
func TestPacerAgainstEmukitLimiter(t *testing.T) {
	const limit, calls = 60, 600
	latencies := []struct {
		name string
		f    func(n int) time.Duration
	}{
		{"instant", nil},
		{"200ms", func(int) time.Duration { return 200 * time.Millisecond }},
		// Delays that vary by up to 900ms, within the pacer's 1s slack.
		{"jitter", func(n int) time.Duration { return time.Duration(n*7919%10) * 100 * time.Millisecond }},
	}
	for _, window := range []struct {
		name string
		w    emukit.Window
	}{{"fixed", emukit.WindowFixed}, {"sliding", emukit.WindowSliding}} {
		for _, reset := range []struct {
			name string
			r    emukit.ResetHeader
		}{{"no-reset", emukit.ResetNone}, {"reset-on-limit", emukit.ResetOnLimit}, {"reset-always", emukit.ResetAlways}} {
			for _, lat := range latencies {
				for _, workers := range []int{1, 4} {
					name := fmt.Sprintf("%s/%s/%s/%d-callers", window.name, reset.name, lat.name, workers)
					t.Run(name, func(t *testing.T) {
						clock := newSimClock(workers)
						srv := newLimitedServer(t, clock, limit, window.w, reset.r)
						pacer := NewPacer(PacerOptions{Clock: clock})
						c := NewClient(Options{
							Pacer: pacer, MaxRetries: 5, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond,
							Transport: &delayTransport{clock: clock, latency: lat.f, next: http.DefaultTransport},
						})
						var wg sync.WaitGroup
						var mu sync.Mutex
						var failed []error
						for w := range workers {
							wg.Go(func() {
								defer clock.done()
								for range calls / workers {
									req, _ := retryablehttp.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/users", nil)
									resp, err := Do(c, req)
									if err != nil {
										mu.Lock()
										failed = append(failed, fmt.Errorf("caller %d: %w", w, err))
										mu.Unlock()
										continue
									}
									Discard(resp)
								}
							})
						}
						wg.Wait()
						st := srv.kit.Stats()
						share := float64(st.RateLimited) / float64(st.Requests)
						rate := srv.steadyRate()
						t.Logf("%d calls: %d requests, %d answered 429 (%.2f%%), %.2f requests a minute after the first minute, at most %d in any 60s",
							calls, st.Requests, st.RateLimited, 100*share, rate, srv.maxInMinute())
						if len(failed) > 0 {
							t.Errorf("%d calls failed, first: %v", len(failed), failed[0])
						}
						if share >= 0.005 {
							t.Errorf("429 share %.2f%% (%d of %d), want under 0.5%%", 100*share, st.RateLimited, st.Requests)
						}
						if rate < 58 {
							t.Errorf("%.2f requests a minute, want at least 58", rate)
						}
					})
				}
			}
		}
	}
}
