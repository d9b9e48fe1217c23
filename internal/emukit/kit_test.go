package emukit

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *clock { return &clock{t: time.Unix(1_700_000_000, 0)} }

// testConfig answers the limiter with {"error":"limited"} and a fault with
// {"error":"fault"}.
func testConfig(c *clock) Config {
	return Config{
		Name: "test",
		Now:  c.now,
		Limited: func() Response {
			return Response{Status: http.StatusTooManyRequests, Body: map[string]string{"error": "limited"}}
		},
		Fault: func(_ http.Header, status int) Response {
			return Response{Status: status, Body: map[string]string{"error": "fault"}}
		},
		InternalError: []byte(`{"error":"internal"}`),
	}
}

// ok answers 200 {"ok":true}, counting the route and a write for non-GETs.
func ok(k *Kit) Handler {
	return func(r *http.Request, c *Call) Response {
		k.CountRoute(r.Method + " " + r.URL.Path)
		if r.Method != http.MethodGet {
			k.CountWrite()
		}
		return Response{Status: http.StatusOK, Body: map[string]bool{"ok": true}}
	}
}

func serve(k *Kit, h Handler, method, remote string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/things", nil)
	if remote != "" {
		r.RemoteAddr = remote
	}
	w := httptest.NewRecorder()
	k.Serve(w, r, h)
	return w
}

func TestRateLimitWindow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reset ResetHeader
	}{{"none", ResetNone}, {"on limit", ResetOnLimit}, {"always", ResetAlways}} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			cfg := testConfig(c)
			cfg.RateLimit, cfg.ResetHeader = 2, tc.reset
			k := New(cfg)
			h := ok(k)

			for i, want := range []string{"1", "0"} {
				w := serve(k, h, http.MethodGet, "192.0.2.1:1000")
				if w.Code != http.StatusOK || w.Header().Get("X-RateLimit-Limit") != "2" ||
					w.Header().Get("X-RateLimit-Remaining") != want {
					t.Fatalf("request %d: %d %v", i, w.Code, w.Header())
				}
				if got, want := w.Header().Get("X-RateLimit-Reset") != "", tc.reset == ResetAlways; got != want {
					t.Fatalf("request %d: X-RateLimit-Reset present %v, want %v", i, got, want)
				}
				c.add(10 * time.Second)
			}
			// 20s into the window: 40s left.
			w := serve(k, h, http.MethodGet, "192.0.2.1:1001")
			if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "40" ||
				w.Header().Get("X-RateLimit-Remaining") != "0" || !strings.Contains(w.Body.String(), "limited") {
				t.Fatalf("over the limit: %d %v %s", w.Code, w.Header(), w.Body)
			}
			wantReset := map[ResetHeader]string{
				ResetNone:    "",
				ResetOnLimit: "1700000060", // now + Retry-After
				ResetAlways:  "1700000060", // the window's end
			}[tc.reset]
			if got := w.Header().Get("X-RateLimit-Reset"); got != wantReset {
				t.Fatalf("X-RateLimit-Reset = %q, want %q", got, wantReset)
			}
			// Another IP has its own window.
			if w := serve(k, h, http.MethodGet, "192.0.2.2:1000"); w.Code != http.StatusOK {
				t.Fatalf("other IP: %d", w.Code)
			}
			// The window ends a minute after it opened.
			c.add(40 * time.Second)
			if w := serve(k, h, http.MethodGet, "192.0.2.1:1000"); w.Code != http.StatusOK ||
				w.Header().Get("X-RateLimit-Remaining") != "1" {
				t.Fatalf("next window: %d %v", w.Code, w.Header())
			}
			st := k.Stats()
			if st.Requests != 5 || st.RateLimited != 1 || st.ByRoute["GET /things"] != 4 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestRetryAfterAtLeastOneSecond(t *testing.T) {
	c := newClock()
	cfg := testConfig(c)
	cfg.RateLimit, cfg.ResetHeader = 1, ResetOnLimit
	k := New(cfg)
	serve(k, ok(k), http.MethodGet, "")
	c.add(time.Minute - time.Millisecond)
	w := serve(k, ok(k), http.MethodGet, "")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
}

func TestUnlimitedSetsNoHeader(t *testing.T) {
	k := New(testConfig(newClock()))
	for range 100 {
		w := serve(k, ok(k), http.MethodGet, "")
		if w.Code != http.StatusOK || w.Header().Get("X-RateLimit-Limit") != "" {
			t.Fatalf("%d %v", w.Code, w.Header())
		}
	}
}

func TestWindowsArePruned(t *testing.T) {
	c := newClock()
	cfg := testConfig(c)
	cfg.RateLimit = 1
	k := New(cfg)
	for i := range maxWindows {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = "10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256) + ":1"
		k.Serve(httptest.NewRecorder(), r, ok(k))
	}
	c.add(time.Minute)
	serve(k, ok(k), http.MethodGet, "192.0.2.9:1")
	if n := len(k.limiter.windows); n != 1 {
		t.Fatalf("%d windows kept", n)
	}
}

func TestFaultsAreSeeded(t *testing.T) {
	run := func() []int {
		cfg := testConfig(newClock())
		cfg.Faults = Faults{Rate429: 0.2, Rate5xx: 0.3, Seed: 42}
		cfg.ServerErrors = []int{http.StatusBadGateway, http.StatusGatewayTimeout}
		k := New(cfg)
		var codes []int
		for range 200 {
			codes = append(codes, serve(k, ok(k), http.MethodPost, "").Code)
		}
		return codes
	}
	a, b := run(), run()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed drew different faults")
	}
	seen := map[int]int{}
	for _, c := range a {
		seen[c]++
	}
	for code := range seen {
		switch code {
		case http.StatusOK, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusGatewayTimeout:
		default:
			t.Fatalf("unexpected status %d", code)
		}
	}
	if seen[http.StatusOK] == 0 || seen[http.StatusTooManyRequests] == 0 ||
		seen[http.StatusBadGateway] == 0 || seen[http.StatusGatewayTimeout] == 0 {
		t.Fatalf("statuses %v", seen)
	}
}

func TestFaultBeforeHandler(t *testing.T) {
	cfg := testConfig(newClock())
	cfg.Faults = Faults{Rate429: 1}
	var headerSeen string
	cfg.Fault = func(h http.Header, status int) Response {
		headerSeen = h.Get("Retry-After")
		h.Set("X-Extra", "yes")
		return Response{Status: status, Body: "fault"}
	}
	k := New(cfg)
	called := false
	w := serve(k, func(*http.Request, *Call) Response { called = true; return Response{Status: 200} }, http.MethodPost, "")
	if called || w.Code != http.StatusTooManyRequests || headerSeen != "1" || w.Header().Get("X-Extra") != "yes" {
		t.Fatalf("called %v, %d %v", called, w.Code, w.Header())
	}
	st := k.Stats()
	if st.Faulted != 1 || st.Writes != 0 || len(st.ByRoute) != 0 {
		t.Fatalf("stats %+v", st)
	}
	// SetFaults turns them off.
	k.SetFaults(Faults{})
	if w := serve(k, ok(k), http.MethodGet, ""); w.Code != http.StatusOK {
		t.Fatalf("after SetFaults: %d", w.Code)
	}
}

func TestDefaultServerError(t *testing.T) {
	cfg := testConfig(newClock())
	cfg.Faults = Faults{Rate5xx: 1}
	k := New(cfg)
	if w := serve(k, ok(k), http.MethodGet, ""); w.Code != http.StatusInternalServerError {
		t.Fatalf("%d", w.Code)
	}
}

func TestDropClosesTheConnection(t *testing.T) {
	cfg := testConfig(newClock())
	cfg.Faults = Faults{RateDrop: 1}
	k := New(cfg)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { k.Serve(w, r, ok(k)) }))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got %d, want a closed connection", resp.StatusCode)
	}
	if st := k.Stats(); st.Faulted != 1 || len(st.ByRoute) != 0 {
		t.Fatalf("stats %+v", st)
	}
	// A recorder cannot be hijacked: the response is aborted.
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Fatalf("recovered %v", v)
		}
	}()
	serve(k, ok(k), http.MethodGet, "")
}

func TestLatencyAndCancel(t *testing.T) {
	cfg := testConfig(newClock())
	cfg.Faults = Faults{Latency: time.Hour}
	k := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
	w := httptest.NewRecorder()
	called := false
	k.Serve(w, r, func(*http.Request, *Call) Response { called = true; return Response{Status: 200} })
	if called || w.Body.Len() != 0 {
		t.Fatal("a request whose client went away was processed")
	}
	if st := k.Stats(); st.Requests != 1 {
		t.Fatalf("stats %+v", st)
	}

	k.SetFaults(Faults{Latency: 20 * time.Millisecond})
	start := time.Now()
	serve(k, ok(k), http.MethodGet, "")
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Fatalf("served in %v", d)
	}
}

func TestBodyReading(t *testing.T) {
	cfg := testConfig(newClock())
	cfg.MaxBody = 4
	k := New(cfg)
	var got *Call
	h := func(_ *http.Request, c *Call) Response { got = c; return Response{Status: http.StatusNoContent} }
	for _, tc := range []struct {
		method, body string
		want         string
		err          error
	}{
		{http.MethodPost, "abcd", "abcd", nil},
		{http.MethodPut, "abcde", "abcde", ErrBodyTooLarge},
		{http.MethodGet, "abcd", "", nil},
		{http.MethodHead, "abcd", "", nil},
	} {
		r := httptest.NewRequest(tc.method, "/", strings.NewReader(tc.body))
		k.Serve(httptest.NewRecorder(), r, h)
		if string(got.Body) != tc.want || !errors.Is(got.BodyErr, tc.err) {
			t.Errorf("%s %q: body %q, err %v", tc.method, tc.body, got.Body, got.BodyErr)
		}
		if !got.Now.Equal(time.Unix(1_700_000_000, 0)) {
			t.Errorf("Now = %v", got.Now)
		}
	}
}

func TestWrite(t *testing.T) {
	k := New(testConfig(newClock()))

	w := httptest.NewRecorder()
	k.Write(w, Response{Status: http.StatusNoContent, Header: http.Header{"Allow": {"GET"}}})
	if w.Code != http.StatusNoContent || w.Header().Get("Content-Type") != "" || w.Body.Len() != 0 ||
		w.Header().Get("Allow") != "GET" {
		t.Fatalf("no body: %d %v %q", w.Code, w.Header(), w.Body)
	}

	w = httptest.NewRecorder()
	k.Write(w, Response{Status: http.StatusCreated, Body: map[string]int{"id": 1}})
	if w.Code != http.StatusCreated || w.Header().Get("Content-Type") != "application/json" || w.Body.String() != `{"id":1}` {
		t.Fatalf("JSON: %d %v %q", w.Code, w.Header(), w.Body)
	}

	w = httptest.NewRecorder()
	k.Write(w, Response{Status: http.StatusOK, Body: func() {}})
	if w.Code != http.StatusInternalServerError || w.Body.String() != `{"error":"internal"}` {
		t.Fatalf("unencodable: %d %q", w.Code, w.Body)
	}
}

func TestStatsCopyAndReset(t *testing.T) {
	k := New(testConfig(newClock()))
	serve(k, ok(k), http.MethodPost, "")
	serve(k, ok(k), http.MethodGet, "")
	st := k.Stats()
	want := Stats{Requests: 2, Writes: 1, ByRoute: map[string]int{"POST /things": 1, "GET /things": 1}}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
	st.ByRoute["POST /things"] = 99
	if k.Stats().ByRoute["POST /things"] != 1 {
		t.Fatal("Stats shares its map")
	}
	k.ResetStats()
	if st := k.Stats(); !reflect.DeepEqual(st, Stats{ByRoute: map[string]int{}}) {
		t.Fatalf("after reset %+v", st)
	}
}

func TestSharedLock(t *testing.T) {
	var mu sync.Mutex
	cfg := testConfig(newClock())
	cfg.Lock = &mu
	k := New(cfg)
	serve(k, func(*http.Request, *Call) Response {
		if mu.TryLock() {
			t.Error("the handler ran without the lock")
			mu.Unlock()
		}
		return Response{Status: http.StatusOK}
	}, http.MethodGet, "")
	if !mu.TryLock() {
		t.Fatal("the lock is still held")
	}
	mu.Unlock()
}

func TestRequestLog(t *testing.T) {
	for _, tc := range []struct {
		logRoute bool
		route    string
		key      string
		want     string
	}{
		{false, "", "path", "/things"},
		{true, "/things/{id}", "route", "/things/{id}"},
		{true, "", "route", "unrouted"},
	} {
		core, logs := observer.New(zapcore.DebugLevel)
		cfg := testConfig(newClock())
		cfg.Logger, cfg.LogRoute = zap.New(core), tc.logRoute
		k := New(cfg)
		serve(k, func(_ *http.Request, c *Call) Response {
			c.Route = tc.route
			return Response{Status: http.StatusTeapot}
		}, http.MethodGet, "")
		entries := logs.FilterMessage("test emulator request").All()
		if len(entries) != 1 {
			t.Fatalf("%d log entries", len(entries))
		}
		f := entries[0].ContextMap()
		if f[tc.key] != tc.want || f["status"] != int64(http.StatusTeapot) || f["method"] != "GET" {
			t.Errorf("log fields %v", f)
		}
	}
}

func TestClientIP(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.1:1234":  "192.0.2.1",
		"[2001:db8::1]:1": "2001:db8::1",
		"pipe":            "pipe",
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		if got := ClientIP(r); got != want {
			t.Errorf("ClientIP(%q) = %q, want %q", remote, got, want)
		}
	}
}

func TestParseObject(t *testing.T) {
	for _, tc := range []struct {
		ctype, body string
		want        map[string]json.RawMessage
		err         error
	}{
		{"", "", map[string]json.RawMessage{}, nil},
		{"text/plain", "  \n", map[string]json.RawMessage{}, nil},
		{"application/json", `{"a":1,"b":null}`, map[string]json.RawMessage{"a": json.RawMessage("1"), "b": json.RawMessage("null")}, nil},
		{"application/merge-patch+json; charset=utf-8", `{"a":"x"}`, map[string]json.RawMessage{"a": json.RawMessage(`"x"`)}, nil},
		{"text/plain", `{"a":1}`, nil, ErrContentType},
		{"", `{"a":1}`, nil, ErrContentType},
		{"application/json", `[1]`, nil, ErrNotObject},
		{"application/json", `null`, nil, ErrNotObject},
		{"application/json", `{"a":`, nil, ErrNotObject},
		{"application/json", `{"a":1} {}`, nil, ErrTrailingData},
	} {
		got, err := ParseObject(tc.ctype, []byte(tc.body))
		if !errors.Is(err, tc.err) || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseObject(%q, %q) = %v, %v; want %v, %v", tc.ctype, tc.body, got, err, tc.want, tc.err)
		}
	}
}

// TestReadObject: a read error wins over the body; without one the body is
// parsed with the request's Content-Type.
func TestReadObject(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("Content-Type", "application/json")
	if _, err := ReadObject(r, []byte(`{"a":1}`), ErrBodyTooLarge); !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("with a read error: %v, want ErrBodyTooLarge", err)
	}
	got, err := ReadObject(r, []byte(`{"a":1}`), nil)
	if err != nil || string(got["a"]) != "1" {
		t.Errorf("ReadObject = %v, %v; want {a:1}", got, err)
	}
	r.Header.Set("Content-Type", "text/plain")
	if _, err := ReadObject(r, []byte(`{"a":1}`), nil); !errors.Is(err, ErrContentType) {
		t.Errorf("as text/plain: %v, want ErrContentType", err)
	}
}
