package emukit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
)

// DefaultMaxBody is the body bound of a zero Config.MaxBody.
const DefaultMaxBody = 1 << 20

// ErrBodyTooLarge is Call.BodyErr for a body over Config.MaxBody.
var ErrBodyTooLarge = errors.New("body too large")

// Response is what a handler returns; Kit writes it.
type Response struct {
	Status int
	Header http.Header // copied onto the response's header
	Body   any         // encoded as JSON; nil: no body
}

// JSON is a Response of status with body encoded as JSON.
func JSON(status int, body any) Response { return Response{Status: status, Body: body} }

// NoContent is a 204 with no body.
func NoContent() Response { return Response{Status: http.StatusNoContent} }

// Call is what Kit hands a handler besides the request.
type Call struct {
	Body    []byte    // the body read (never for GET and HEAD)
	BodyErr error     // a read error, or ErrBodyTooLarge
	Now     time.Time // Config.Now, read once under the lock
	// Route, set by the handler, is logged instead of the path when
	// Config.LogRoute is set.
	Route string
}

// ReadObject is the JSON object body of a request whose body Kit read
// (Call.Body and Call.BodyErr): the read's error (ErrBodyTooLarge
// included) or ParseObject's, the body's Content-Type taken from r.
func ReadObject(r *http.Request, raw []byte, readErr error) (Object, error) {
	if readErr != nil {
		return nil, readErr
	}
	return ParseObject(r.Header.Get("Content-Type"), raw)
}

// Handler serves a request that got past the rate limiter and the faults.
// It runs with Config.Lock held.
type Handler func(r *http.Request, c *Call) Response

// Config configures a Kit.
type Config struct {
	// Name names the emulator in log messages ("<Name> emulator request").
	Name string
	// Lock guards the Kit's state; pass the emulator's own mutex so that a
	// handler (which runs with it held) and the Kit share one lock. nil: the
	// Kit has its own.
	Lock   sync.Locker
	Now    func() time.Time // clock of the rate-limit window and Call.Now; nil = time.Now
	Logger *zap.Logger      // nil = nop

	// RateLimit is requests per minute per client IP; <= 0 is none.
	RateLimit int
	// ResetHeader chooses the X-RateLimit-Reset header.
	ResetHeader ResetHeader
	// Window chooses a fixed or a sliding one-minute window.
	Window Window
	// Limited answers a request the rate limiter turned away; the
	// rate-limit headers are set already.
	Limited func() Response

	// Faults are injected from the first request on; see SetFaults.
	Faults Faults
	// ServerErrors are the statuses an injected 5xx is drawn from, with
	// equal odds. Empty: http.StatusInternalServerError.
	ServerErrors []int
	// Fault answers an injected fault of status (429 or one of
	// ServerErrors). Retry-After: 1 is set on h already for a 429.
	Fault func(h http.Header, status int) Response

	// MaxBody bounds a request body; 0 is DefaultMaxBody.
	MaxBody int64
	// InternalError is the body of the 500 written when a Response cannot
	// be encoded.
	InternalError []byte
	// LogRoute logs Call.Route ("unrouted" when unset) as "route" instead
	// of the path as "path", for APIs whose paths hold personal ids.
	LogRoute bool
}

// Kit is the shared front of an emulator: rate limit, faults, statistics,
// body reading, JSON writing and the request log. It is safe for
// concurrent use.
type Kit struct {
	cfg     Config
	mu      sync.Locker
	now     func() time.Time
	log     *zap.Logger
	limiter limiter
	faults  injector
	stats   Stats
}

// New returns a Kit configured by cfg.
func New(cfg Config) *Kit {
	k := &Kit{
		cfg:     cfg,
		mu:      cfg.Lock,
		now:     cfg.Now,
		log:     cfg.Logger,
		limiter: newLimiter(cfg.RateLimit, cfg.ResetHeader, cfg.Window),
		faults:  newInjector(cfg.ServerErrors),
		stats:   Stats{ByRoute: map[string]int{}},
	}
	if k.mu == nil {
		k.mu = new(sync.Mutex)
	}
	if k.cfg.MaxBody <= 0 {
		k.cfg.MaxBody = DefaultMaxBody
	}
	if k.now == nil {
		k.now = time.Now
	}
	if k.log == nil {
		k.log = zap.NewNop()
	}
	k.faults.set(cfg.Faults)
	return k
}

// Now reads the kit's clock (Config.Now): the emulator's clock of
// timestamps, the one the rate limiter and Call.Now read.
func (k *Kit) Now() time.Time { return k.now() }

// SetFaults replaces the fault settings and reseeds the fault generator
// with f.Seed.
func (k *Kit) SetFaults(f Faults) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.faults.set(f)
}

// Serve serves one request: see the package doc for the steps.
func (k *Kit) Serve(rw http.ResponseWriter, r *http.Request, h Handler) {
	start := time.Now()
	w := &statusWriter{ResponseWriter: rw}
	c := &Call{}
	defer func() {
		where := zap.String("path", r.URL.Path)
		if k.cfg.LogRoute {
			route := c.Route
			if route == "" {
				route = "unrouted"
			}
			where = zap.String("route", route)
		}
		k.log.Debug(k.cfg.Name+" emulator request",
			zap.String("method", r.Method), where,
			zap.Int("status", w.status), zap.Duration("duration", time.Since(start)))
	}()

	k.mu.Lock()
	k.stats.Requests++
	latency := k.faults.f.Latency
	k.mu.Unlock()
	if latency > 0 && !sleepCtx(r.Context(), latency) {
		return // the client went away; nothing was processed
	}

	if r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
		c.Body, c.BodyErr = io.ReadAll(io.LimitReader(r.Body, k.cfg.MaxBody+1))
		if c.BodyErr == nil && int64(len(c.Body)) > k.cfg.MaxBody {
			c.BodyErr = ErrBodyTooLarge
		}
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	c.Now = k.now()
	if !k.limiter.allow(w.Header(), ClientIP(r), c.Now) {
		k.stats.RateLimited++
		k.Write(w, k.cfg.Limited())
		return
	}
	if status, drop := k.faults.draw(); status != 0 || drop {
		k.stats.Faulted++
		if drop {
			dropConnection(w)
			return
		}
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		k.Write(w, k.cfg.Fault(w.Header(), status))
		return
	}
	k.Write(w, h(r, c))
}

// Write writes resp: its headers, then, with a body, Content-Type
// application/json and the JSON encoding. A body that cannot be encoded is
// logged and answered 500 with Config.InternalError.
func (k *Kit) Write(w http.ResponseWriter, resp Response) {
	for key, vs := range resp.Header {
		w.Header()[key] = vs
	}
	if resp.Body == nil {
		w.WriteHeader(resp.Status)
		return
	}
	b, err := json.Marshal(resp.Body)
	if err != nil {
		k.log.Error(k.cfg.Name+" emulator: encode response", zap.Error(err))
		b = k.cfg.InternalError
		resp.Status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.Status)
	_, _ = w.Write(b)
}

// ClientIP is the host part of r.RemoteAddr (all of it when it has no
// port).
func ClientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// sleepCtx waits d or until ctx is done; it reports whether d elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dropConnection closes the client connection without a response.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2, a recorder): abort the response; net/http
		// resets the stream and does not log http.ErrAbortHandler.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
