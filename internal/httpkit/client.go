package httpkit

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/metrics"
)

// Defaults of Options.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultRetryWaitMin  = 500 * time.Millisecond
	DefaultRetryWaitMax  = 30 * time.Second
	DefaultMaxRetryAfter = 5 * time.Minute
)

// Options configure NewClient. The zero value is usable: 30s timeout, no
// retries, no pacing, no logging.
type Options struct {
	// Timeout of one attempt (http.Client.Timeout); default 30s. Time spent
	// waiting for the pacer or backing off is not part of it.
	Timeout time.Duration
	// MaxRetries is the number of retries after the first attempt; 0 means
	// none.
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff; defaults
	// 500ms and 30s.
	RetryWaitMin, RetryWaitMax time.Duration
	// MaxRetryAfter caps a server's Retry-After; default 5 minutes.
	MaxRetryAfter time.Duration
	// Pacer, when set, paces every attempt and learns from every response.
	Pacer *Pacer
	// Logger receives retry and response logs at debug/warn level; nil
	// logs nothing.
	Logger *zap.Logger
	// Transport defaults to a clone of http.DefaultTransport (proxy from
	// the environment, pooled connections). NewClient wraps it to count
	// every attempt in the metrics.
	Transport http.RoundTripper
	// Target names the target in the metrics (orgbridge_api_requests_total
	// and friends); "" counts as "unknown".
	Target string
}

// NewClient builds the retrying client every HTTP target uses. Callers send
// requests through Do, which turns bad responses into errors.
//
// The returned client's CheckRetry, Backoff, ErrorHandler and log hooks
// carry the kit's policy and the pacer: replace them only knowingly.
func NewClient(o Options) *retryablehttp.Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxRetries < 0 {
		o.MaxRetries = 0
	}
	if o.RetryWaitMin <= 0 {
		o.RetryWaitMin = DefaultRetryWaitMin
	}
	if o.RetryWaitMax <= 0 {
		o.RetryWaitMax = DefaultRetryWaitMax
	}
	if o.RetryWaitMax < o.RetryWaitMin {
		o.RetryWaitMax = o.RetryWaitMin
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.Transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16 // keep connections of concurrent writers
		o.Transport = t
	}
	logger := o.Logger
	if logger == nil {
		logger = zap.NewNop()
	}

	target := o.Target
	if target == "" {
		target = UnknownTarget
	}

	c := &retryablehttp.Client{
		HTTPClient:   &http.Client{Transport: instrument(target, o.Transport), Timeout: o.Timeout},
		Logger:       NewLeveledLogger(logger),
		RetryWaitMin: o.RetryWaitMin,
		RetryWaitMax: o.RetryWaitMax,
		RetryMax:     o.MaxRetries,
		CheckRetry:   RetryPolicy,
		Backoff:      newBackoff(o.MaxRetryAfter, o.Pacer != nil),
		// Hand the last response back so that Do can turn it into an
		// error carrying the API's message (the default handler drops it).
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	// The request hook runs before every attempt (attempt 0 is the first
	// one), outside the attempt's http.Client timeout, so pacing never times
	// a request out. It cannot return an error: when the context ends while
	// waiting, the attempt that follows fails at once with the context's
	// error; when the call's credentials cannot be had, the transport fails
	// the attempt unsent (see attempt). It also counts the retries (the
	// attempts themselves are counted by the transport).
	pacer := o.Pacer
	c.RequestLogHook = func(_ retryablehttp.Logger, req *http.Request, n int) {
		if n > 0 {
			metrics.ObserveRetry(target)
		}
		prepareAttempt(req, pacer)
	}
	c.ResponseLogHook = func(_ retryablehttp.Logger, resp *http.Response) {
		if o.Pacer != nil {
			o.Pacer.Observe(resp)
		}
		if ce := logger.Check(zap.DebugLevel, "http response"); ce != nil {
			fields := []zap.Field{zap.Int("status", resp.StatusCode)}
			if resp.Request != nil {
				fields = append(fields, zap.String("method", resp.Request.Method), zap.String("path", resp.Request.URL.Path))
			}
			if v := resp.Header.Get("X-RateLimit-Remaining"); v != "" {
				fields = append(fields, zap.String("ratelimit_remaining", v))
			}
			ce.Write(fields...)
		}
	}
	return c
}

// retryRule says when a status is retried.
type retryRule int

const (
	retryNever retryRule = iota
	retryAlways
	retryIdempotent
)

// retryTable is the status → retry policy of every HTTP target.
var retryTable = map[int]retryRule{
	// The server refused the request before doing anything with it.
	http.StatusTooManyRequests: retryAlways,
	// A 500 can come after the server applied the write. GET, PUT and
	// DELETE can be repeated without harm; a POST that got a 500 might have
	// created the object, so it is not repeated: it comes back as a
	// TransientError and the next run reads the target and matches the
	// object instead of creating it twice.
	http.StatusInternalServerError: retryIdempotent,
	http.StatusBadGateway:          retryAlways,
	http.StatusServiceUnavailable:  retryAlways,
	http.StatusGatewayTimeout:      retryAlways,
}

// IsIdempotent reports whether requests of the method can be repeated
// without changing the outcome.
func IsIdempotent(method string) bool {
	switch strings.ToUpper(method) {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// ShouldRetry reports whether a response of the status to a request of the
// method is retried (see the table in the package doc).
func ShouldRetry(method string, status int) bool {
	switch retryTable[status] {
	case retryAlways:
		return true
	case retryIdempotent:
		return IsIdempotent(method)
	}
	return false
}

type idempotentKey struct{}

// MarkIdempotent marks the requests made with ctx as safe to repeat after a
// 500 whatever their method (a token request, a POST that only reads).
func MarkIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

func markedIdempotent(ctx context.Context) bool {
	v, _ := ctx.Value(idempotentKey{}).(bool)
	return v
}

// RetryPolicy is the kit's retryablehttp.CheckRetry: a cancelled context
// stops; a connection error is retried (except those retryablehttp knows to
// be permanent: a bad scheme, an untrusted certificate, too many redirects,
// and a timeout awaiting the answer to a non-idempotent request, which the
// server may have applied); a response is retried as ShouldRetry says.
func RetryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		if isAuthError(err) {
			// Not sent: the token call behind it had its own retries.
			return false, nil
		}
		// A request that timed out waiting for its answer, or whose
		// connection broke after it was sent (a reset, an EOF awaiting the
		// answer), may have reached the server and been applied: like a
		// 500, only an idempotent one is sent again. Only a failure to
		// connect at all is sure to have done nothing.
		if !IsIdempotent(errMethod(err)) && !markedIdempotent(ctx) && (isTimeout(err) || !isDialError(err)) {
			return false, nil
		}
		retry, _ := retryablehttp.DefaultRetryPolicy(ctx, nil, err)
		return retry, nil
	}
	if resp == nil {
		return false, nil
	}
	method := ""
	if resp.Request != nil {
		method = resp.Request.Method
	}
	if markedIdempotent(ctx) && retryTable[resp.StatusCode] == retryIdempotent {
		return true, nil
	}
	return ShouldRetry(method, resp.StatusCode), nil
}

// isDialError reports a request that never reached the server: the
// connection could not be made.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// errMethod is the method of a failed request, from *url.Error's Op ("Post").
func errMethod(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return strings.ToUpper(ue.Op)
	}
	return ""
}

// prepareAttempt readies one attempt of req: the call's credentials are
// fetched if need be, the pacer waits, and then the credentials are put on
// the attempt, so that a token that expired during the wait (or during the
// backoff before a retry) is never sent.
func prepareAttempt(req *http.Request, pacer *Pacer) {
	ctx := req.Context()
	a := attemptFrom(ctx)
	if a != nil {
		a.err = nil
		// A header map of its own: the previous attempt's connection may
		// still be reading the old one.
		req.Header = req.Header.Clone()
		if a.warm != nil {
			if a.err = a.warm(ctx, req); a.err != nil {
				return
			}
		}
	}
	var admitted time.Time
	if pacer != nil {
		var err error
		if admitted, err = pacer.wait(ctx); err != nil {
			return // the attempt fails at once with the context's error
		}
	}
	if a != nil && a.before != nil {
		if a.err = a.before(ctx, req); a.err != nil {
			return
		}
		a.last = req
	}
	if pacer != nil && !admitted.IsZero() {
		// A token call made by before went out first.
		pacer.sending(admitted)
	}
}

// newBackoff honours Retry-After on 429 and 503 (capped), else backs off
// exponentially with jitter. With a pacer, a parsable Retry-After is left to
// the pacer, which has already seen the response and holds every caller
// until then; sleeping here too would wait twice.
func newBackoff(maxRetryAfter time.Duration, paced bool) retryablehttp.Backoff {
	return func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
			if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				if paced {
					return 0
				}
				return min(d, maxRetryAfter)
			}
		}
		return ExponentialBackoff(lo, hi, attempt)
	}
}

// ExponentialBackoff returns lo·2^attempt capped at hi, with equal jitter:
// a random duration in [d/2, d].
func ExponentialBackoff(lo, hi time.Duration, attempt int) time.Duration {
	d := hi
	if attempt < 62 {
		if m := lo << uint(attempt); m > 0 && m < hi && m>>uint(attempt) == lo {
			d = m
		}
	}
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// ParseRetryAfter reads a Retry-After value: delay seconds or an HTTP date
// (relative to now; a date in the past is a zero wait).
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		if s > int64(365*24*time.Hour/time.Second) {
			s = int64(365 * 24 * time.Hour / time.Second)
		}
		return time.Duration(s) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}
