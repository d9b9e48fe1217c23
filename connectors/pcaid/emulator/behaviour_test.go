package emulator_test

import (
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
)

// The document gives no rate limit: by default there is none, and no
// rate-limit header.
func TestNoRateLimitByDefault(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	for range 200 {
		if r := e.do("GET", "/users", nil); r.status != 200 || r.header.Get("X-RateLimit-Limit") != "" {
			t.Fatalf("%d %v", r.status, r.header)
		}
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{RateLimit: 3}}) // the token call was the first
	for i, want := range []string{"1", "0"} {
		r := e.do("GET", "/users", nil)
		if r.status != 200 || r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != want {
			t.Fatalf("request %d: %d %v", i, r.status, r.header)
		}
	}
	r := e.do("GET", "/users", nil)
	if r.status != 429 || r.header.Get("Retry-After") != "60" || r.str("code") != "TOO_MANY_REQUESTS" {
		t.Fatalf("over the limit: %d %v %s", r.status, r.header, r.raw)
	}
	e.clock.Advance(time.Minute)
	if r := e.do("GET", "/users", nil); r.status != 200 {
		t.Errorf("next window: %d", r.status)
	}
	if st := e.emu.Stats(); st.RateLimited != 1 {
		t.Errorf("RateLimited %d", st.RateLimited)
	}
}

// Faults come from a seeded generator: the same requests meet the same
// faults, and a faulted request changes nothing.
func TestFaultsAreDeterministic(t *testing.T) {
	run := func() ([]int, int) {
		e := newEnv(t, emulator.Options{})
		e.emu.SetFaults(emulator.Faults{Rate429: 0.2, Rate5xx: 0.3, Seed: 7})
		var statuses []int
		for i := range 40 {
			r := e.do("POST", "/users", map[string]any{"email": "u" + itoa(i) + "@example.com", "name": "U"})
			statuses = append(statuses, r.status)
			if r.status == 429 && r.header.Get("Retry-After") != "1" {
				t.Errorf("injected 429 without Retry-After 1")
			}
		}
		e.emu.SetFaults(emulator.Faults{})
		created := 0
		for _, s := range statuses {
			if s == 201 {
				created++
			}
		}
		if n := len(e.emu.State().Users); n != created {
			t.Errorf("%d users for %d created answers: a fault had a side effect", n, created)
		}
		return statuses, e.emu.Stats().Faulted
	}
	a, fa := run()
	b, fb := run()
	seen := map[int]bool{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: %d then %d", i, a[i], b[i])
		}
		seen[a[i]] = true
	}
	if fa != fb || fa == 0 {
		t.Errorf("faulted %d and %d", fa, fb)
	}
	for _, s := range []int{201, 429} {
		if !seen[s] {
			t.Errorf("no %d in %v", s, a)
		}
	}
}

func TestStatsAndDump(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	id := e.createUser("a@example.com", "A", "department", "営業部")
	e.must(200, "POST", "/users/"+id+"/lifecycle/suspend", nil)
	e.do("GET", "/users", nil)
	e.do("PUT", "/users/"+id, map[string]any{"email": ""}) // refused, still a write
	st := e.emu.Stats()
	if st.Writes != 3 || st.ByRoute["POST /users/{account_id}/lifecycle/suspend"] != 1 || st.ByRoute["POST /oauth2/token"] != 1 {
		t.Errorf("stats %+v", st)
	}
	e.emu.ResetStats()
	if st := e.emu.Stats(); st.Requests != 0 || len(st.ByRoute) != 0 {
		t.Errorf("after reset %+v", st)
	}
	d := e.emu.State()
	d.Users[0].Name = "changed"
	*d.Users[0].Department = "x"
	if u := e.emu.State().Users[0]; u.Name != "A" || *u.Department != "営業部" {
		t.Error("Dump is not a copy")
	}
}

func TestNewDemo(t *testing.T) {
	emu := emulator.NewDemo(nil)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	e := &env{t: t, emu: emu, srv: srv}
	tok := e.fetchToken(emulator.DemoClientID, emulator.DemoClientSecret, "")
	org := e.doAs(tok, "GET", "/organizations", nil).json()
	if org["name"] != emulator.DemoOrganizationName {
		t.Errorf("demo organization %v", org)
	}
	if r := e.tokenRequest(emulator.DemoClientID, "wrong", true, url.Values{"grant_type": {"client_credentials"}}); r.status != 401 {
		t.Errorf("wrong demo secret: %d", r.status)
	}
}
