package scimtarget_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/scimtarget"
	"github.com/orgbridge/orgbridge/connectors/targettest"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scim"
)

const (
	endpointToken    = "scim-target-conformance-7d2e91c4b0"
	endpointTokenEnv = "SCIM_TARGET_CONFORMANCE_TOKEN"
	faultSeed        = 20250611
)

// TestConformanceOwnEndpoint runs the target conformance suite against
// orgbridge's own SCIM endpoint (package scim over a real SQLite store),
// behind emukit's front for the faults, the request counts and a token
// that can be made to expire.
func TestConformanceOwnEndpoint(t *testing.T) {
	targettest.Run(t, func(t *testing.T, opts targettest.Options) *targettest.Harness {
		st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "state.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		h, err := scim.New(scim.Options{Store: st, Tokens: []string{endpointToken}})
		if err != nil {
			t.Fatal(err)
		}
		front := newFront(h)
		ts := httptest.NewServer(front)
		t.Cleanup(ts.Close)
		return newHarness(t, ts.URL+scim.BasePath, opts, front)
	})
}

// front puts emukit's faults and counts in front of a SCIM handler, and
// refuses every request with 401 once the token expired.
type front struct {
	kit     *emukit.Kit
	next    http.Handler
	expired atomic.Bool
}

func newFront(next http.Handler) *front {
	f := &front{next: next}
	f.kit = emukit.New(emukit.Config{
		Name: "scim",
		Fault: func(h http.Header, status int) emukit.Response {
			return emukit.JSON(status, scimErrorBody(status, "", "injected fault"))
		},
		ServerErrors: []int{http.StatusInternalServerError, http.StatusServiceUnavailable},
	})
	return f
}

func scimErrorBody(status int, scimType, detail string) map[string]any {
	b := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"}, "status": http.StatusText(status), "detail": detail}
	if scimType != "" {
		b["scimType"] = scimType
	}
	return b
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.kit.Serve(w, r, func(r *http.Request, c *emukit.Call) emukit.Response {
		if f.expired.Load() {
			return emukit.JSON(http.StatusUnauthorized, scimErrorBody(http.StatusUnauthorized, "", "the bearer token expired"))
		}
		if r.Method != http.MethodGet {
			f.kit.CountWrite()
		}
		r.Body = io.NopCloser(bytes.NewReader(c.Body))
		rec := httptest.NewRecorder()
		f.next.ServeHTTP(rec, r)
		resp := emukit.Response{Status: rec.Code, Header: rec.Header()}
		if rec.Body.Len() > 0 {
			resp.Body = json.RawMessage(rec.Body.Bytes())
		}
		return resp
	})
}

// newHarness is the adapter against a SCIM server at base behind f: a
// fake clock (a 429's Retry-After costs no real time), fast retries with
// a budget for the fault case.
func newHarness(t *testing.T, base string, opts targettest.Options, f *front) *targettest.Harness {
	t.Helper()
	t.Setenv(endpointTokenEnv, endpointToken)
	retries := 8
	cfg := scimtarget.Config{
		OAuthConfig:  httpkit.OAuthConfig{BaseURL: base},
		Token:        config.Secret{Env: endpointTokenEnv},
		PageSize:     opts.PageSize,
		ClientConfig: httpkit.ClientConfig{MaxRetries: &retries},
	}
	logger, logs := httpkittest.ObservedLogger()
	a, err := scimtarget.New(context.Background(), cfg, logger,
		connectors.WithClock(httpkittest.NewFakeClock(time.Time{})), connectors.WithRetryWait(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { httpkittest.AssertNoSecret(t, endpointToken, httpkittest.LogText(logs)) })
	invalid := mapping.Group{Key: "nameless", Name: ""}
	return &targettest.Harness{
		Target: a,
		Faults: func(rate429, rate5xx float64) {
			f.kit.SetFaults(emukit.Faults{Rate429: rate429, Rate5xx: rate5xx, Seed: faultSeed})
		},
		Faulted:           func() int { return f.kit.Stats().Faulted },
		ExpireCredentials: func() { f.expired.Store(true) },
		Writes:            func() int { return f.kit.Stats().Writes },
		Invalid:           change.CreateGroup(invalid),
		InvalidField:      "displayName",
		UserAttributes: map[string]string{
			"givenName": "太郎", "familyName": "山田", "title": "課長", "department": "営業部", "employeeNumber": "A0001",
		},
		UpdatedUserAttributes: map[string]string{"department": "企画部", "title": ""},
		Unsupported:           []targettest.Field{targettest.OrgDescription, targettest.GroupDescription, targettest.GroupOrg},
	}
}
