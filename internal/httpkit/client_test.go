package httpkit

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/orgbridge/orgbridge/internal/errkind"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
)

// TestRetryTable is the status → retry table of every HTTP target, spelled
// out for each method.
func TestRetryTable(t *testing.T) {
	const (
		y = true
		n = false
	)
	methods := []string{"GET", "HEAD", "PUT", "DELETE", "POST", "PATCH"}
	table := []struct {
		status int
		retry  []bool // in the order of methods
	}{
		{200, []bool{n, n, n, n, n, n}},
		{204, []bool{n, n, n, n, n, n}},
		{400, []bool{n, n, n, n, n, n}},
		{401, []bool{n, n, n, n, n, n}},
		{403, []bool{n, n, n, n, n, n}},
		{404, []bool{n, n, n, n, n, n}},
		{405, []bool{n, n, n, n, n, n}},
		{409, []bool{n, n, n, n, n, n}},
		{422, []bool{n, n, n, n, n, n}},
		{429, []bool{y, y, y, y, y, y}},
		{500, []bool{y, y, y, y, n, n}},
		{501, []bool{n, n, n, n, n, n}},
		{502, []bool{y, y, y, y, y, y}},
		{503, []bool{y, y, y, y, y, y}},
		{504, []bool{y, y, y, y, y, y}},
	}
	for _, row := range table {
		for i, m := range methods {
			if got := ShouldRetry(m, row.status); got != row.retry[i] {
				t.Errorf("ShouldRetry(%s, %d) = %v, want %v", m, row.status, got, row.retry[i])
			}
			resp := &http.Response{StatusCode: row.status, Request: httptest.NewRequest(m, "/x", nil)}
			got, err := RetryPolicy(context.Background(), resp, nil)
			if err != nil || got != row.retry[i] {
				t.Errorf("RetryPolicy(%s, %d) = %v, %v; want %v", m, row.status, got, err, row.retry[i])
			}
		}
	}
}

func TestRetryPolicyErrorsAndContext(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	if retry, _ := RetryPolicy(context.Background(), nil, &url.Error{Op: "Get", URL: "http://x/users", Err: reset}); !retry {
		t.Error("a GET whose connection was reset is not retried")
	}
	if retry, _ := RetryPolicy(context.Background(), nil, &url.Error{Op: "Post", URL: "http://x/users", Err: reset}); retry {
		t.Error("a POST whose connection was reset after sending is retried: it may have been applied")
	}
	if retry, _ := RetryPolicy(context.Background(), nil, &url.Error{Op: "Post", URL: "http://x/users", Err: io.EOF}); retry {
		t.Error("a POST that met EOF awaiting its answer is retried")
	}
	timeout := &url.Error{Op: "Post", URL: "http://x/users", Err: timeoutErr{}}
	if retry, _ := RetryPolicy(context.Background(), nil, timeout); retry {
		t.Error("a POST that timed out awaiting its answer is retried")
	}
	if retry, _ := RetryPolicy(MarkIdempotent(context.Background()), nil, timeout); !retry {
		t.Error("an idempotent-marked POST that timed out is not retried")
	}
	if retry, _ := RetryPolicy(context.Background(), nil, &url.Error{Op: "Put", URL: "http://x/users/1", Err: timeoutErr{}}); !retry {
		t.Error("a PUT that timed out is not retried")
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	if retry, _ := RetryPolicy(context.Background(), nil, &url.Error{Op: "Post", URL: "http://x/users", Err: refused}); !retry {
		t.Error("a POST refused at connect is not retried")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	resp := &http.Response{StatusCode: 503, Request: httptest.NewRequest("GET", "/x", nil)}
	if retry, err := RetryPolicy(ctx, resp, nil); retry || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: retry=%v err=%v", retry, err)
	}
	// A POST marked idempotent (a token request) is retried after a 500.
	post := &http.Response{StatusCode: 500, Request: httptest.NewRequest("POST", "/oauth/token", nil)}
	if retry, _ := RetryPolicy(MarkIdempotent(context.Background()), post, nil); !retry {
		t.Error("idempotent-marked POST not retried after 500")
	}
	if retry, _ := RetryPolicy(MarkIdempotent(context.Background()), &http.Response{StatusCode: 400, Request: post.Request}, nil); retry {
		t.Error("idempotent-marked POST retried after 400")
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "Client.Timeout exceeded while awaiting headers" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// statusSequence serves the given statuses in turn, then 200.
func statusSequence(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(statuses[i])
			_, _ = io.WriteString(w, `{"message":"boom"}`)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func fastClient(retries int) *retryablehttp.Client {
	return NewClient(Options{MaxRetries: retries, RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond, Timeout: 5 * time.Second})
}

func TestClientRetries(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		statuses  []int
		retries   int
		attempts  int32
		ok        bool
		transient bool
	}{
		{"GET 500 retried", "GET", []int{500, 500}, 5, 3, true, false},
		{"PUT 502 503 504 retried", "PUT", []int{502, 503, 504}, 5, 4, true, false},
		{"POST 503 retried", "POST", []int{503}, 5, 2, true, false},
		{"POST 429 retried", "POST", []int{429, 429}, 5, 3, true, false},
		{"POST 500 not retried", "POST", []int{500}, 5, 1, false, true},
		{"PATCH 500 not retried", "PATCH", []int{500}, 5, 1, false, true},
		{"GET 422 not retried", "GET", []int{422}, 5, 1, false, false},
		{"GET 503 outlasts retries", "GET", []int{503, 503, 503}, 2, 3, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := statusSequence(t, tt.statuses...)
			req, _ := retryablehttp.NewRequest(tt.method, srv.URL+"/things", strings.NewReader(`{}`))
			resp, err := Do(fastClient(tt.retries), req)
			if got := n.Load(); got != tt.attempts {
				t.Errorf("attempts = %d, want %d", got, tt.attempts)
			}
			if tt.ok {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				resp.Body.Close()
				return
			}
			if err == nil {
				t.Fatal("Do succeeded, want an error")
			}
			if errkind.IsTransient(err) != tt.transient {
				t.Errorf("IsTransient(%v) = %v, want %v", err, !tt.transient, tt.transient)
			}
			if !strings.Contains(err.Error(), tt.method+" /things") || !strings.Contains(err.Error(), "boom") {
				t.Errorf("error %q does not name method, path and message", err)
			}
		})
	}
}

func TestClientConnectionErrorIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	req, _ := retryablehttp.NewRequest("GET", url+"/gone", nil)
	_, err := Do(fastClient(1), req)
	if !errkind.IsTransient(err) || !strings.Contains(err.Error(), "GET /gone") {
		t.Fatalf("err = %v, want a transient error naming GET /gone", err)
	}
}

func TestClientCancelledContextIsNotTransient(t *testing.T) {
	srv, _ := statusSequence(t, 503, 503, 503)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := retryablehttp.NewRequestWithContext(ctx, "GET", srv.URL+"/x", nil)
	_, err := Do(fastClient(3), req)
	if !errors.Is(err, context.Canceled) || errkind.IsTransient(err) {
		t.Fatalf("err = %v, want context.Canceled, not transient", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{" 60 ", time.Minute, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"Tue, 01 Apr 2025 00:00:30 GMT", 30 * time.Second, true},
		{"Tuesday, 01-Apr-25 00:01:00 GMT", time.Minute, true}, // RFC 850
		{"Tue Apr  1 00:00:10 2025", 10 * time.Second, true},   // ANSI C
		{"Mon, 31 Mar 2025 23:59:00 GMT", 0, true},             // in the past
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoff(t *testing.T) {
	resp := func(status int, ra string) *http.Response {
		h := http.Header{}
		if ra != "" {
			h.Set("Retry-After", ra)
		}
		return &http.Response{StatusCode: status, Header: h}
	}
	b := newBackoff(time.Minute, false)
	lo, hi := 100*time.Millisecond, 2*time.Second
	if got := b(lo, hi, 0, resp(429, "3")); got != 3*time.Second {
		t.Errorf("429 Retry-After 3: %v", got)
	}
	if got := b(lo, hi, 0, resp(503, "3")); got != 3*time.Second {
		t.Errorf("503 Retry-After 3: %v", got)
	}
	if got := b(lo, hi, 0, resp(429, "3600")); got != time.Minute {
		t.Errorf("Retry-After above the cap: %v, want 1m", got)
	}
	if got := b(lo, hi, 0, resp(502, "3")); got > lo {
		t.Errorf("502 ignores Retry-After: %v", got)
	}
	// With a pacer, the pacer waits out Retry-After.
	if got := newBackoff(time.Minute, true)(lo, hi, 0, resp(429, "3")); got != 0 {
		t.Errorf("paced 429: %v, want 0", got)
	}
	for attempt := range 12 {
		want := min(lo<<attempt, hi)
		for range 20 {
			got := b(lo, hi, attempt, resp(500, ""))
			if got < want/2 || got > want {
				t.Fatalf("attempt %d: %v not in [%v, %v]", attempt, got, want/2, want)
			}
		}
	}
	if got := ExponentialBackoff(lo, hi, 200); got < hi/2 || got > hi {
		t.Errorf("huge attempt: %v", got)
	}
}

func TestLoggerRedacts(t *testing.T) {
	logger, logs := httpkittest.ObservedLogger()
	l := NewLeveledLogger(logger)
	const secret = "s3cr3t-Value"
	l.Debug("performing request", "method", "POST", "url", "https://api.example/oauth/token?client_secret="+secret+"&x=1")
	l.Error("request failed", "error", errors.New(`Get "https://h/x?access_token=`+secret+`": EOF`), "Authorization", "Bearer "+secret)
	l.Info("retrying", "clientSecret", secret, "remainingCount", 3)
	text := httpkittest.LogText(logs)
	httpkittest.AssertNoSecret(t, secret, text)
	if !strings.Contains(text, "x=1") || !strings.Contains(text, "remaining_count=3") {
		t.Errorf("log lost harmless fields:\n%s", text)
	}
	if logs.FilterMessage("request failed").Len() != 1 || logs.FilterMessage("request failed").All()[0].Level.String() != "warn" {
		t.Errorf("retryablehttp errors should log at warn:\n%s", text)
	}
}

// TestClientPaced wires a pacer into a client against a server with a
// fixed-window limit on the same fake clock.
func TestClientPaced(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	start := clock.Now()
	limiter := &fixedWindowServer{limit: 20}
	refuseNext := atomic.Bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refuseNext.CompareAndSwap(true, false) {
			// A 429 the pacer could not foresee (another client).
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(429)
			return
		}
		resp := limiter.serve(clock.Now())
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
	}))
	defer srv.Close()
	pacer := NewPacer(PacerOptions{Clock: clock})
	c := NewClient(Options{Pacer: pacer, MaxRetries: 2, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	get := func() {
		t.Helper()
		req, _ := retryablehttp.NewRequest("GET", srv.URL+"/users", nil)
		resp, err := Do(c, req)
		if err != nil {
			t.Fatal(err)
		}
		Discard(resp)
	}
	for range 50 {
		get()
	}
	if limiter.refused != 0 {
		t.Errorf("server refused %d requests", limiter.refused)
	}
	if elapsed := clock.Now().Sub(start); elapsed < 2*time.Minute {
		t.Errorf("50 requests at 20/min took %v of fake time", elapsed)
	}
	refuseNext.Store(true)
	before := clock.Now()
	get()
	if waited := clock.Now().Sub(before); waited < 30*time.Second {
		t.Errorf("after a 429 with Retry-After 30 the client waited %v", waited)
	}
}

func TestClientTimeoutRetriesOnlyIdempotent(t *testing.T) {
	var n atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := NewClient(Options{Timeout: 20 * time.Millisecond, MaxRetries: 2, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	for _, tt := range []struct {
		method   string
		attempts int32
	}{{"POST", 1}, {"GET", 3}} {
		n.Store(0)
		req, _ := retryablehttp.NewRequest(tt.method, srv.URL+"/slow", strings.NewReader("{}"))
		_, err := Do(c, req)
		if !errkind.IsTransient(err) {
			t.Errorf("%s: err = %v, want transient", tt.method, err)
		}
		if got := n.Load(); got != tt.attempts {
			t.Errorf("%s timed out: %d attempts, want %d", tt.method, got, tt.attempts)
		}
	}
}
