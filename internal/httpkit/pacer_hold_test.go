package httpkit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
)

// TestPacerHoldsOnlyTheRefusedCall: a 429 without rate-limit headers (a
// throttle that speaks of no quota, the emulator's injected faults with no
// limit) holds the call it answered for its Retry-After and lets every
// other call through; one with X-RateLimit-Remaining holds every caller.
func TestPacerHoldsOnlyTheRefusedCall(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	p := NewPacer(PacerOptions{Clock: clock})
	refused := withCallHold(context.Background())
	other := withCallHold(context.Background())
	req, _ := http.NewRequestWithContext(refused, "POST", "http://api/users", nil)
	resp := rlResponse(429, -1, 0, "7")
	resp.Request = req
	p.Observe(resp)

	start := clock.Now()
	if err := p.Wait(other); err != nil {
		t.Fatal(err)
	}
	if got := clock.Now().Sub(start); got != 0 {
		t.Errorf("another call waited %v after a 429 without rate-limit headers, want 0", got)
	}
	if s := p.State(); !s.BlockedUntil.IsZero() {
		t.Errorf("pacer blocked until %v for one call's 429", s.BlockedUntil)
	}
	if err := p.Wait(refused); err != nil {
		t.Fatal(err)
	}
	if got := clock.Now().Sub(start); got != 7*time.Second {
		t.Errorf("the refused call waited %v, want its Retry-After 7s", got)
	}

	// With the quota's headers, the 429 holds everyone (capped).
	capped := NewPacer(PacerOptions{Clock: clock, MaxWait: 3 * time.Second})
	resp = rlResponse(429, 60, 0, "7")
	resp.Request = req
	capped.Observe(resp)
	before := clock.Now()
	if err := capped.Wait(other); err != nil {
		t.Fatal(err)
	}
	if got := clock.Now().Sub(before); got != 3*time.Second {
		t.Errorf("another call waited %v after a quota's 429 with Retry-After 7 capped at 3s, want 3s", got)
	}
}

// TestClientRetriesAfterTheCallsOwnHold sends calls through Do while a
// server refuses one with a bare 429 and Retry-After 30: the refused call
// is retried 30s (fake) later and succeeds, the calls behind it do not wait.
func TestClientRetriesAfterTheCallsOwnHold(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	var refuse atomic.Bool
	refuse.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refuse.CompareAndSwap(true, false) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c := NewClient(Options{Pacer: NewPacer(PacerOptions{Clock: clock}), MaxRetries: 2, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	get := func() time.Duration {
		t.Helper()
		before := clock.Now()
		req, _ := retryablehttp.NewRequest("GET", srv.URL+"/users", nil)
		resp, err := Do(c, req)
		if err != nil {
			t.Fatal(err)
		}
		Discard(resp)
		return clock.Now().Sub(before)
	}
	if waited := get(); waited != 30*time.Second {
		t.Errorf("the refused call waited %v, want 30s", waited)
	}
	for range 3 {
		if waited := get(); waited != 0 {
			t.Errorf("a call after the refused one waited %v", waited)
		}
	}
}
