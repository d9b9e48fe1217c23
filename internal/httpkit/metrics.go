package httpkit

import (
	"net/http"

	"github.com/orgbridge/orgbridge/internal/metrics"
)

// UnknownTarget is the target label of requests from a client built without
// Options.Target.
const UnknownTarget = "unknown"

// countingTransport counts every round trip (each attempt of a retried
// request, each token request, each redirect hop) in
// orgbridge_api_requests_total under the target's name, and 429s in
// orgbridge_api_rate_limited_total. Retries are counted by the client's
// request hook, which knows the attempt number. It also fails, unsent and
// uncounted, an attempt whose preparation failed (see attempt).
type countingTransport struct {
	target string
	next   http.RoundTripper
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if a := attemptFrom(req.Context()); a != nil && a.err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, &authError{err: a.err}
	}
	resp, err := t.next.RoundTrip(req)
	status := 0
	if err == nil && resp != nil {
		status = resp.StatusCode
	}
	metrics.ObserveAPIRequest(t.target, req.Method, status, err)
	return resp, err
}

// CloseIdleConnections passes through to the wrapped transport, so that
// http.Client.CloseIdleConnections (called by the retrying client after a
// failure) still reaches the pool.
func (t *countingTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// Unwrap returns the wrapped transport.
func (t *countingTransport) Unwrap() http.RoundTripper { return t.next }

// instrument wraps rt to count requests of target (UnknownTarget when "").
func instrument(target string, rt http.RoundTripper) http.RoundTripper {
	if target == "" {
		target = UnknownTarget
	}
	return &countingTransport{target: target, next: rt}
}

// baseTransport is the transport under the metrics wrapper: the one given
// in Options.Transport (or the default). Any other transport is returned as
// it is.
func baseTransport(rt http.RoundTripper) http.RoundTripper {
	if t, ok := rt.(*countingTransport); ok {
		return t.next
	}
	return rt
}
