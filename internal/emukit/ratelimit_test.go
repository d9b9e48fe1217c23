package emukit

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestRateLimitWindows plays one request sequence (limit 3 a minute) against
// both windows: they agree until the first minute is over, then the fixed
// window lets a fresh burst through where the sliding one frees one request
// at a time, as each counted request turns a minute old.
func TestRateLimitWindows(t *testing.T) {
	type step struct {
		at        time.Duration // since the first request
		status    int
		remaining string
		retry     string // Retry-After, refused requests only
		reset     string // X-RateLimit-Reset under ResetAlways, as an offset in seconds
	}
	fixed := []step{
		{0, 200, "2", "", "60"},
		{10 * time.Second, 200, "1", "", "60"},
		{20 * time.Second, 200, "0", "", "60"},
		{30 * time.Second, 429, "0", "30", "60"},
		{59*time.Second + 500*time.Millisecond, 429, "0", "1", "60"},
		{60 * time.Second, 200, "2", "", "120"},
		{61 * time.Second, 200, "1", "", "120"},
		{62 * time.Second, 200, "0", "", "120"},
		{63 * time.Second, 429, "0", "57", "120"},
	}
	sliding := []step{
		{0, 200, "2", "", "60"},
		{10 * time.Second, 200, "1", "", "60"},
		{20 * time.Second, 200, "0", "", "60"},
		{30 * time.Second, 429, "0", "30", "60"},
		{59*time.Second + 500*time.Millisecond, 429, "0", "1", "60"},
		// The request of 0s leaves the window: one place, no more.
		{60 * time.Second, 200, "0", "", "70"},
		{61 * time.Second, 429, "0", "9", "70"},
		{70 * time.Second, 200, "0", "", "80"},
		// Refused requests are not counted: 20s leaves at 80s.
		{80 * time.Second, 200, "0", "", "120"},
		// Nothing for a minute after the last request: a full window.
		{200 * time.Second, 200, "2", "", "260"},
	}
	for _, tc := range []struct {
		name  string
		kind  Window
		steps []step
	}{{"fixed", WindowFixed, fixed}, {"sliding", WindowSliding, sliding}} {
		for _, reset := range []ResetHeader{ResetNone, ResetOnLimit, ResetAlways} {
			t.Run(fmt.Sprintf("%s/reset%d", tc.name, reset), func(t *testing.T) {
				c := newClock()
				start := c.now()
				cfg := testConfig(c)
				cfg.RateLimit, cfg.ResetHeader, cfg.Window = 3, reset, tc.kind
				k := New(cfg)
				h := ok(k)
				limited := 0
				for _, s := range tc.steps {
					c.add(start.Add(s.at).Sub(c.now()))
					w := serve(k, h, http.MethodGet, "192.0.2.1:1000")
					hd := w.Header()
					if w.Code != s.status || hd.Get("X-RateLimit-Remaining") != s.remaining || hd.Get("Retry-After") != s.retry {
						t.Fatalf("at %v: %d remaining %q retry %q, want %d %q %q",
							s.at, w.Code, hd.Get("X-RateLimit-Remaining"), hd.Get("Retry-After"), s.status, s.remaining, s.retry)
					}
					var wantReset string
					switch {
					case reset == ResetAlways:
						wantReset = offset(start, s.reset)
					case reset == ResetOnLimit && s.status == 429:
						// now + Retry-After, in whole seconds
						wantReset = fmt.Sprint(start.Add(s.at).Unix() + int64(atoi(t, s.retry)))
					}
					if got := hd.Get("X-RateLimit-Reset"); got != wantReset {
						t.Fatalf("at %v: X-RateLimit-Reset %q, want %q", s.at, got, wantReset)
					}
					if s.status == 429 {
						limited++
					}
				}
				if st := k.Stats(); st.RateLimited != limited {
					t.Fatalf("RateLimited = %d, want %d", st.RateLimited, limited)
				}
				// Another IP has its own window.
				if w := serve(k, h, http.MethodGet, "192.0.2.2:1000"); w.Code != 200 || w.Header().Get("X-RateLimit-Remaining") != "2" {
					t.Fatalf("other IP: %d %v", w.Code, w.Header())
				}
			})
		}
	}
}

func offset(start time.Time, secs string) string {
	var n int64
	fmt.Sscan(secs, &n)
	return fmt.Sprint(start.Unix() + n)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("atoi %q: %v", s, err)
	}
	return n
}

// TestSlidingWindowIsPruned: a sliding window whose last request is a minute
// old is dropped like an ended fixed one.
func TestSlidingWindowIsPruned(t *testing.T) {
	c := newClock()
	cfg := testConfig(c)
	cfg.RateLimit, cfg.Window = 1, WindowSliding
	k := New(cfg)
	for i := range maxWindows {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = fmt.Sprintf("10.0.%d.%d:1", i/256, i%256)
		k.Serve(httptest.NewRecorder(), r, ok(k))
	}
	c.add(time.Minute)
	serve(k, ok(k), http.MethodGet, "192.0.2.9:1")
	if n := len(k.limiter.windows); n != 1 {
		t.Fatalf("%d windows kept", n)
	}
}

// TestSlidingWindowHoldsTheRate: at most limit requests in any 60 seconds,
// whatever the pattern; the fixed window lets nearly twice the limit through
// across a boundary (one request opens it, nine come just before its end and
// ten just after).
func TestSlidingWindowHoldsTheRate(t *testing.T) {
	for _, tc := range []struct {
		kind    Window
		maxIn60 int
	}{{WindowFixed, 19}, {WindowSliding, 10}} {
		c := newClock()
		start := c.now()
		cfg := testConfig(c)
		cfg.RateLimit, cfg.Window = 10, tc.kind
		k := New(cfg)
		var allowed []time.Time
		// One request at 0, then one every 700ms from 50s for four minutes.
		for i := -1; i < 340; i++ {
			at := time.Duration(0)
			if i >= 0 {
				at = 50*time.Second + time.Duration(i)*700*time.Millisecond
			}
			c.add(start.Add(at).Sub(c.now()))
			if w := serve(k, ok(k), http.MethodGet, ""); w.Code == 200 {
				allowed = append(allowed, c.now())
			}
		}
		most := 0
		for i := range allowed {
			n := 0
			for j := i; j < len(allowed) && allowed[j].Sub(allowed[i]) < time.Minute; j++ {
				n++
			}
			most = max(most, n)
		}
		if most != tc.maxIn60 {
			t.Errorf("window %d: at most %d requests in 60s, want %d", tc.kind, most, tc.maxIn60)
		}
	}
}
