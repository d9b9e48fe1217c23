package httpkit

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/errkind"
	"github.com/orgbridge/orgbridge/internal/metrics"
)

// metricValue reads one series of the process's registry (0 when absent).
func metricValue(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := metrics.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue series
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// TestMetricsCountEveryAttempt sends requests through a target's client
// (as each adapter builds it) and reads the counters under its name.
func TestMetricsCountEveryAttempt(t *testing.T) {
	const target = "metricstest"
	var flaky atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"tok","token_type":"bearer","expires_in":3600}`))
		case "/ok":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{}`))
		case "/flaky": // 429 once, then 200
			if flaky.Add(1) == 1 {
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{}`))
		case "/boom":
			http.Error(w, `{"message":"down"}`, http.StatusInternalServerError)
		}
	}))
	defer srv.Close()

	var problems config.Problems
	settings := ClientConfig{MaxRetries: new(1)}.Check(&problems, target)
	if settings.Target != target {
		t.Fatalf("settings name %q, want %q", settings.Target, target)
	}
	o := ApplyOptions(struct{}{}, []Option[struct{}]{WithRetryWait[struct{}](time.Millisecond, 2*time.Millisecond)})
	h := NewTargetHTTP(settings, o.TargetOptions, nil)
	tokens, err := h.NewTokenSource(TokenSourceOptions{TokenURL: srv.URL + "/token", ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	e := Endpoint{Base: srv.URL, HTTP: h.Client, Auth: BearerTokens{Tokens: tokens}}

	series := func(method, status string) map[string]string {
		return map[string]string{"target": target, "method": method, "status": status}
	}
	type reading struct{ get200, get429, get500, post200, post500, rateLimited, retries float64 }
	read := func() reading {
		return reading{
			get200:      metricValue(t, "orgbridge_api_requests_total", series("GET", "200")),
			get429:      metricValue(t, "orgbridge_api_requests_total", series("GET", "429")),
			get500:      metricValue(t, "orgbridge_api_requests_total", series("GET", "500")),
			post200:     metricValue(t, "orgbridge_api_requests_total", series("POST", "200")),
			post500:     metricValue(t, "orgbridge_api_requests_total", series("POST", "500")),
			rateLimited: metricValue(t, "orgbridge_api_rate_limited_total", map[string]string{"target": target}),
			retries:     metricValue(t, "orgbridge_api_retries_total", map[string]string{"target": target}),
		}
	}
	before := read()

	ctx := context.Background()
	// The token request (POST 200), then GET /ok (200).
	if err := e.JSON(ctx, http.MethodGet, "/ok", nil, nil, nil); err != nil {
		t.Fatalf("GET /ok: %v", err)
	}
	// 429 then 200 after one retry.
	if err := e.JSON(ctx, http.MethodGet, "/flaky", nil, nil, nil); err != nil {
		t.Fatalf("GET /flaky: %v", err)
	}
	// A GET that got a 500 is retried once (the budget), both attempts
	// counted; a POST that got a 500 is not retried.
	if err := e.JSON(ctx, http.MethodGet, "/boom", nil, nil, nil); err == nil {
		t.Fatal("GET /boom succeeded")
	}
	err = e.JSON(ctx, http.MethodPost, "/boom", nil, map[string]string{"a": "b"}, nil)
	var te *errkind.TransientError
	if !errors.As(err, &te) {
		t.Fatalf("POST /boom: %v, want a TransientError", err)
	}

	after := read()
	got := reading{
		get200:      after.get200 - before.get200,
		get429:      after.get429 - before.get429,
		get500:      after.get500 - before.get500,
		post200:     after.post200 - before.post200,
		post500:     after.post500 - before.post500,
		rateLimited: after.rateLimited - before.rateLimited,
		retries:     after.retries - before.retries,
	}
	want := reading{get200: 2, get429: 1, get500: 2, post200: 1, post500: 1, rateLimited: 1, retries: 2}
	if got != want {
		t.Errorf("counted %+v, want %+v", got, want)
	}
}

// TestMetricsCountTransportErrors counts a request that got no response
// under status "error", and a client built without a name under "unknown".
func TestMetricsCountTransportErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more

	labels := map[string]string{"target": UnknownTarget, "method": "GET", "status": metrics.StatusError}
	before := metricValue(t, "orgbridge_api_requests_total", labels)
	retriesBefore := metricValue(t, "orgbridge_api_retries_total", map[string]string{"target": UnknownTarget})
	c := NewClient(Options{MaxRetries: 1, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	if err := JSON(context.Background(), c, http.MethodGet, url+"/x", nil, nil, nil); err == nil {
		t.Fatal("request to a closed server succeeded")
	}
	if d := metricValue(t, "orgbridge_api_requests_total", labels) - before; d != 2 {
		t.Errorf("transport errors counted %v, want 2 (first attempt and one retry)", d)
	}
	if d := metricValue(t, "orgbridge_api_retries_total", map[string]string{"target": UnknownTarget}) - retriesBefore; d != 1 {
		t.Errorf("retries counted %v, want 1", d)
	}
}

// TestCountingTransportKeepsPool checks that the wrapper passes
// CloseIdleConnections on and unwraps to the given transport.
func TestCountingTransportKeepsPool(t *testing.T) {
	rt := &closeCounter{RoundTripper: http.DefaultTransport}
	c := NewClient(Options{Transport: rt, Target: "pool"})
	if baseTransport(c.HTTPClient.Transport) != rt {
		t.Fatalf("transport %T does not wrap the given one", c.HTTPClient.Transport)
	}
	c.HTTPClient.CloseIdleConnections()
	if rt.closed != 1 {
		t.Errorf("CloseIdleConnections reached the transport %d times", rt.closed)
	}
}

type closeCounter struct {
	http.RoundTripper
	closed int
}

func (c *closeCounter) CloseIdleConnections() { c.closed++ }
