package scimload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orgbridge/orgbridge/internal/cputime"
)

// The phases, in the order Run runs them.
const (
	OpGet   = "get"
	OpPost  = "post"
	OpPatch = "patch"
)

// Ops are the phases Run knows.
var Ops = []string{OpGet, OpPost, OpPatch}

const (
	userURN  = "urn:ietf:params:scim:schemas:core:2.0:User"
	patchURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	listURN  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	media    = "application/scim+json"
)

// Config is one run.
type Config struct {
	// BaseURL is the endpoint's base, ending in /scim/v2.
	BaseURL string
	// Token is the bearer token; it is sent, never logged.
	Token string
	// Users is how many users were seeded (Seed): the get and patch phases
	// ask for users 0 to Users-1.
	Users int
	// Ops are the phases to run, of Ops; empty means all.
	Ops []string
	// Concurrency is the number of clients sending at once (default 8).
	Concurrency int
	// Requests bounds each phase's requests (default 10,000).
	Requests int
	// Duration bounds each phase's time (default 30s).
	Duration time.Duration
	// AllowRemote lets BaseURL be other than loopback.
	AllowRemote bool
	// Seed makes the users asked for repeatable (default 1).
	Seed uint64
	// Client sends the requests; default one with Concurrency idle
	// connections kept to the host, so that each client reuses its own.
	Client *http.Client
}

// Result is what one phase served.
type Result struct {
	Op       string
	Requests int           // answered, as expected or not
	Errors   int           // answered otherwise than expected, or not at all
	Elapsed  time.Duration // from the first send to the last answer
	P50, P99 time.Duration // of the requests answered as expected
	Max      time.Duration
	// CPU is the CPU time this process used during the phase (0 where
	// the platform does not say): the clients', and the server's too when
	// it runs in the same process. On a shared machine it varies less
	// than the rate.
	CPU time.Duration
	// FirstError is the first unexpected answer, for the report.
	FirstError string
}

// PerSecond is the phase's requests answered as expected a second.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Errors) / r.Elapsed.Seconds()
}

// CPUPerRequest is CPU over the requests answered.
func (r Result) CPUPerRequest() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Requests)
}

// CheckLoopback refuses a base URL whose host is not a loopback address or
// localhost, unless allowRemote.
func CheckLoopback(base string, allowRemote bool) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("url %q: %w", base, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("url %q: want http or https", base)
	}
	if allowRemote {
		return nil
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("url %q: host %q is not loopback; a load generator only loads this machine unless told otherwise (allow remote)", base, host)
}

// Run runs each phase of cfg in turn and returns their results. It stops at
// ctx's end with the phases run so far.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if err := CheckLoopback(cfg.BaseURL, cfg.AllowRemote); err != nil {
		return nil, err
	}
	if cfg.Users <= 0 {
		return nil, errors.New("no seeded users to ask for")
	}
	ops := cfg.Ops
	if len(ops) == 0 {
		ops = Ops
	}
	for _, op := range ops {
		if !slices.Contains(Ops, op) {
			return nil, fmt.Errorf("unknown op %q (want %s)", op, strings.Join(Ops, ", "))
		}
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Requests <= 0 {
		cfg.Requests = 10000
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 30 * time.Second
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = cfg.Concurrency
		tr.MaxConnsPerHost = cfg.Concurrency
		cfg.Client = &http.Client{Transport: tr, Timeout: time.Minute}
		defer tr.CloseIdleConnections()
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	// New users' names are unique to the run, so that runs over one
	// database (a kept one, or a server's) do not collide.
	run := time.Now().UnixNano()
	var out []Result
	for _, op := range ops {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		out = append(out, phase(ctx, cfg, op, run))
	}
	return out, nil
}

// phase runs op with cfg.Concurrency clients until cfg.Requests were sent
// or cfg.Duration passed.
func phase(ctx context.Context, cfg Config, op string, run int64) Result {
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var (
		next     atomic.Int64 // requests handed out
		mu       sync.Mutex
		lat      []time.Duration
		errs     int
		firstErr string
		wg       sync.WaitGroup
	)
	start, cpu0 := time.Now(), cputime.Process()
	for w := range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(w)))
			mine := make([]time.Duration, 0, cfg.Requests/cfg.Concurrency+1)
			var bad int
			var first string
			for ctx.Err() == nil {
				n := next.Add(1)
				if n > int64(cfg.Requests) {
					break
				}
				req, check := request(ctx, cfg, op, run, n, rng)
				t0 := time.Now()
				err := send(cfg.Client, req, check)
				d := time.Since(t0)
				if err != nil {
					if ctx.Err() != nil {
						// Cut by the phase's end: neither answered nor wrong.
						break
					}
					bad++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				mine = append(mine, d)
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			if firstErr == "" {
				firstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res := Result{Op: op, Requests: len(lat) + errs, Errors: errs, Elapsed: time.Since(start), CPU: cputime.Process() - cpu0, FirstError: firstErr}
	if len(lat) > 0 {
		slices.Sort(lat)
		res.P50 = percentile(lat, 50)
		res.P99 = percentile(lat, 99)
		res.Max = lat[len(lat)-1]
	}
	return res
}

// percentile is the nearest-rank p-th percentile of sorted.
func percentile(sorted []time.Duration, p int) time.Duration {
	k := (len(sorted)*p + 99) / 100 // ceil(len*p/100), the rank from 1
	return sorted[max(k, 1)-1]
}

// request is the n-th request of op (from 1) and the check of its answer.
func request(ctx context.Context, cfg Config, op string, run, n int64, rng *rand.Rand) (*http.Request, func(int, []byte) error) {
	var (
		method, path string
		body         []byte
		check        func(int, []byte) error
	)
	switch op {
	case OpGet:
		i := rng.IntN(cfg.Users)
		method = http.MethodGet
		path = "/Users?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq %q`, UserName(i)))
		check = func(status int, b []byte) error {
			if status != http.StatusOK {
				return fmt.Errorf("GET userName eq: %d: %.200s", status, b)
			}
			var page struct {
				Schemas      []string `json:"schemas"`
				TotalResults int      `json:"totalResults"`
			}
			if err := json.Unmarshal(b, &page); err != nil || len(page.Schemas) != 1 || page.Schemas[0] != listURN {
				return fmt.Errorf("GET userName eq: not a ListResponse (%v): %.200s", err, b)
			}
			if page.TotalResults != 1 {
				return fmt.Errorf("GET userName eq %q: totalResults %d, want 1", UserName(i), page.TotalResults)
			}
			return nil
		}
	case OpPost:
		name := fmt.Sprintf("load-%d-%d@example.jp", run, n)
		method, path = http.MethodPost, "/Users"
		body, _ = json.Marshal(map[string]any{
			"schemas": []string{userURN}, "userName": name, "externalId": fmt.Sprintf("load-%d-%d", run, n), "active": true,
			"displayName": fmt.Sprintf("負荷 %d", n), "name": map[string]string{"givenName": "太郎", "familyName": "負荷"},
			"emails": []map[string]any{{"value": name, "type": "work", "primary": true}},
		})
		check = expect("POST /Users", http.StatusCreated)
	case OpPatch:
		i := rng.IntN(cfg.Users)
		method, path = http.MethodPatch, "/Users/"+UserID(i)
		body, _ = json.Marshal(map[string]any{
			"schemas": []string{patchURN},
			"Operations": []map[string]any{
				{"op": "replace", "path": "displayName", "value": fmt.Sprintf("社員 %d (%d)", i, n)},
				{"op": "replace", "path": "active", "value": n%2 == 0},
			},
		})
		check = func(status int, b []byte) error {
			if status != http.StatusNoContent && status != http.StatusOK {
				return fmt.Errorf("PATCH /Users/%s: %d: %.200s", UserID(i), status, b)
			}
			return nil
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, cfg.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		// The URL was checked by CheckLoopback and the rest is ours.
		panic(fmt.Sprintf("scimload: %s %s: %v", method, path, err))
	}
	req.Header.Set("Authorization", "Bearer "+cfg.Token)
	req.Header.Set("Accept", media)
	if body != nil {
		req.Header.Set("Content-Type", media)
	}
	return req, check
}

func expect(what string, want int) func(int, []byte) error {
	return func(status int, b []byte) error {
		if status != want {
			return fmt.Errorf("%s: %d, want %d: %.200s", what, status, want, b)
		}
		return nil
	}
}

// send sends req, reads the whole answer and checks it.
func send(c *http.Client, req *http.Request, check func(int, []byte) error) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", req.Method, req.URL.Path, err)
	}
	return check(resp.StatusCode, b)
}
