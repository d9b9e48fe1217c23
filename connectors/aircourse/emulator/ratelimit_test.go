package emulator_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
)

func TestRateLimit(t *testing.T) {
	e := newEnv(t, emulator.Options{}) // the document's 60 a minute; the token call was the first
	for i := 2; i <= emulator.DefaultRateLimit; i++ {
		r := e.mustStatus(200, "GET", "/users", nil)
		if r.header.Get("X-RateLimit-Limit") != "60" || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(60-i) {
			t.Fatalf("request %d: limit %q remaining %q", i, r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"))
		}
	}
	e.clk.Add(20 * time.Second)
	for i := 0; i < 2; i++ {
		r := e.mustStatus(429, "GET", "/users", nil)
		if r.body["message"] != "Too Many Attempts." || r.header.Get("Retry-After") != "40" ||
			r.header.Get("X-RateLimit-Limit") != "60" || r.header.Get("X-RateLimit-Remaining") != "0" {
			t.Errorf("429: %s %v", r.raw, r.header)
		}
	}
	// The token call is limited too, and a 429 has no side effect.
	if r := e.tokenResp(nil); r.status != 429 {
		t.Errorf("token call: %d", r.status)
	}
	e.mustStatus(429, "POST", "/users", map[string]any{"name": "x", "loginId": "x", "license": "free", "role": "user"})
	if n := len(e.srv.State().Users); n != 0 {
		t.Errorf("a limited POST created %d users", n)
	}
	e.clk.Add(39*time.Second + 500*time.Millisecond)
	if r := e.mustStatus(429, "GET", "/users", nil); r.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After rounds up: %q", r.header.Get("Retry-After"))
	}
	if st := e.srv.Stats(); st.RateLimited != 5 || st.Requests != 65 {
		t.Errorf("stats %+v", st)
	}
	// The window ends a minute after its first request; the next opens anew.
	e.clk.Add(500 * time.Millisecond)
	r := e.mustStatus(200, "GET", "/users", nil)
	if r.header.Get("X-RateLimit-Remaining") != "59" {
		t.Errorf("new window remaining %q", r.header.Get("X-RateLimit-Remaining"))
	}
	e.clk.Add(59 * time.Second)
	if r := e.mustStatus(200, "GET", "/users", nil); r.header.Get("X-RateLimit-Remaining") != "58" {
		t.Errorf("same window remaining %q", r.header.Get("X-RateLimit-Remaining"))
	}
	// Errors carry the headers too.
	if r := e.mustStatus(404, "GET", "/nope", nil); r.header.Get("X-RateLimit-Remaining") != "57" {
		t.Errorf("404 remaining %q", r.header.Get("X-RateLimit-Remaining"))
	}
}

func TestRateLimitOptions(t *testing.T) {
	t.Run("custom", func(t *testing.T) {
		e := newEnv(t, emulator.Options{Options: emukit.Options{RateLimit: 3}})
		e.mustStatus(200, "GET", "/users", nil)
		r := e.mustStatus(200, "GET", "/users", nil)
		if r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != "0" {
			t.Errorf("headers %v", r.header)
		}
		e.mustStatus(429, "GET", "/users", nil)
	})
	t.Run("unlimited", func(t *testing.T) {
		e := newEnv(t, unlimited())
		var r result
		for i := 0; i < 100; i++ {
			r = e.mustStatus(200, "GET", "/groups", nil)
		}
		if r.header.Get("X-RateLimit-Limit") != "" {
			t.Errorf("unlimited server sends X-RateLimit-Limit %q", r.header.Get("X-RateLimit-Limit"))
		}
	})
	t.Run("per client IP", func(t *testing.T) {
		clk := newClock()
		srv := emulator.New(emulator.Options{Options: emukit.Options{RateLimit: 1, Now: clk.Now}})
		get := func(addr string) int {
			req := httptest.NewRequest("GET", "/users", nil)
			req.RemoteAddr = addr
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			return rec.Code
		}
		if got := get("10.0.0.1:1111"); got != 401 {
			t.Errorf("first from .1: %d", got)
		}
		if got := get("10.0.0.1:2222"); got != 429 {
			t.Errorf("second from .1 (other port): %d", got)
		}
		if got := get("10.0.0.2:1111"); got != 401 {
			t.Errorf("first from .2: %d", got)
		}
		clk.Add(time.Minute)
		if got := get("10.0.0.1:1111"); got != 401 {
			t.Errorf(".1 after a minute: %d", got)
		}
	})
}

// statuses makes n GET requests and returns their statuses.
func statuses(e *env, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = e.do("GET", "/users", nil).status
	}
	return out
}

func TestFaultRates(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{RateLimit: 100000}})
	e.srv.ResetStats()
	e.srv.SetFaults(emulator.Faults{Rate429: 0.2, Rate5xx: 0.3, Seed: 42})
	counts := map[int]int{}
	const n = 500
	for i := 0; i < n; i++ {
		r := e.do("GET", "/users", nil)
		counts[r.status]++
		if r.header.Get("X-RateLimit-Limit") == "" || r.header.Get("X-RateLimit-Remaining") == "" {
			t.Fatalf("status %d without rate-limit headers", r.status)
		}
		if r.status == 429 && (r.header.Get("Retry-After") == "" || r.body["message"] != "Too Many Attempts.") {
			t.Fatalf("injected 429: %s %v", r.raw, r.header)
		}
		wantMsg := map[int]string{500: "予期せぬエラーが発生しました。", 503: "システムメンテナンス中です。", 504: "タイムアウトエラーが発生しました。"}
		if r.status >= 500 && r.body["message"] != wantMsg[r.status] {
			t.Fatalf("injected %d without a message: %s", r.status, r.raw)
		}
	}
	// Only the document's server error codes: 500, 503 and 504 (no 502).
	c5xx := counts[500] + counts[503] + counts[504]
	if counts[429] < 70 || counts[429] > 130 || c5xx < 110 || c5xx > 190 || counts[500] == 0 || counts[503] == 0 || counts[504] == 0 {
		t.Errorf("counts %v", counts)
	}
	if counts[200]+counts[429]+c5xx != n {
		t.Errorf("unexpected statuses %v", counts)
	}
	st := e.srv.Stats()
	if st.Faulted != counts[429]+c5xx || st.RateLimited != 0 || st.ByRoute["GET /users"] != counts[200] {
		t.Errorf("stats %+v, counts %v", st, counts)
	}
}

func TestFaultsDeterministic(t *testing.T) {
	f := emulator.Faults{Rate429: 0.25, Rate5xx: 0.25, Seed: 7}
	run := func(f emulator.Faults) []int {
		e := newEnv(t, unlimited())
		e.srv.SetFaults(f)
		return statuses(e, 60)
	}
	a, b := run(f), run(f)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("same seed, different faults:\n%v\n%v", a, b)
	}
	f.Seed = 8
	if c := run(f); fmt.Sprint(a) == fmt.Sprint(c) {
		t.Errorf("seeds 7 and 8 gave the same faults")
	}
	// Options.Faults seeds the same way, and SetFaults reseeds.
	opts := unlimited()
	opts.Faults = emulator.Faults{Rate429: 0.25, Rate5xx: 0.25, Seed: 7}
	opts.Now = newClock().Now
	srv := emulator.New(opts)
	var viaOpts []int
	for i := 0; i < 60; i++ {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", "/nope", nil))
		viaOpts = append(viaOpts, rec.Code)
	}
	for i := range viaOpts {
		if (viaOpts[i] == 404) != (a[i] == 200) {
			t.Fatalf("Options.Faults differs from SetFaults at %d: %v vs %v", i, viaOpts, a)
		}
	}
}

func TestFaultsHaveNoSideEffects(t *testing.T) {
	e := newEnv(t, unlimited())
	e.srv.ResetStats()
	e.srv.SetFaults(emulator.Faults{Rate5xx: 1})
	for i := 0; i < 5; i++ {
		r := e.do("POST", "/users", map[string]any{"name": "x", "loginId": "x", "license": "free", "role": "user"})
		if r.status != 500 && r.status != 503 && r.status != 504 {
			t.Fatalf("status %d", r.status)
		}
	}
	e.srv.SetFaults(emulator.Faults{Rate429: 1})
	if r := e.do("DELETE", "/organizations/"+e.srv.RootOrgID(), nil); r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("injected 429: %d %v", r.status, r.header)
	}
	e.srv.SetFaults(emulator.Faults{})
	if n := len(e.srv.State().Users); n != 0 {
		t.Errorf("faulted POSTs created %d users", n)
	}
	if st := e.srv.Stats(); st.Writes != 0 || st.Faulted != 6 || st.Requests != 6 {
		t.Errorf("stats %+v", st)
	}
	e.mustStatus(200, "GET", "/users", nil)
}

func TestFaultDrop(t *testing.T) {
	e := newEnv(t, unlimited())
	e.srv.SetFaults(emulator.Faults{RateDrop: 1})
	req, _ := http.NewRequest("GET", e.ts.URL+"/users", nil)
	req.Header.Set("Authorization", "Bearer "+e.tok)
	resp, err := e.ts.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("dropped request answered %d", resp.StatusCode)
	}
	if st := e.srv.Stats(); st.Faulted == 0 {
		t.Errorf("stats %+v", st)
	}
	// Not hijackable (a recorder): the handler aborts.
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recover() = %v", p)
		}
	}()
	e.srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/users", nil))
}
