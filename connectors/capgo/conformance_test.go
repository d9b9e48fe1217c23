package capgo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/capgo"
	"github.com/orgbridge/orgbridge/connectors/capgo/emulator"
	"github.com/orgbridge/orgbridge/connectors/targettest"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
	"github.com/orgbridge/orgbridge/mapping"
)

const (
	conformanceKey    = "conformance-key-5f2c9e"
	conformanceKeyEnv = "CAPGO_CONFORMANCE_KEY"
	conformanceUser   = "7c2d4e6f-8a0b-4c1d-9e2f-3a4b5c6d7e8f"
	conformanceEmail  = "owner@example.com"
	faultSeed         = 20250401
)

// TestConformance runs the target conformance suite against the emulator
// under every reading of the document it serves: the default, each alone,
// and all together (both of each excluding pair).
func TestConformance(t *testing.T) {
	targettest.RunReadings(t, emulator.Readings.Combinations(), func(t *testing.T, opts targettest.Options) *targettest.Harness {
		return newConformanceHarness(t, opts, nil)
	})
}

// TestConformanceCapgoShapes runs the suite again against the emulator
// behind a rewriter that answers as Capgo's own server does where the
// document is silent or differs: lists as bare arrays, one organization as
// a bare object, a create as {"id"} alone. The adapter must read both.
func TestConformanceCapgoShapes(t *testing.T) {
	targettest.Run(t, func(t *testing.T, opts targettest.Options) *targettest.Harness {
		return newConformanceHarness(t, opts, capgoShapes)
	})
}

// newConformanceHarness is the adapter against a fresh emulator: no rate
// limit, no latency, a fake clock for the pacer, fast retries with a budget
// large enough for the fault case; the emulator serves opts.Readings. wrap,
// when set, wraps the emulator.
func newConformanceHarness(t *testing.T, opts targettest.Options, wrap func(http.Handler) http.Handler) *targettest.Harness {
	t.Helper()
	readings, err := emulator.Readings.Parse(opts.Readings)
	if err != nil {
		t.Fatal(err)
	}
	clock := httpkittest.NewFakeClock(time.Time{})
	// PageSize only matters under list-paged, where every list then spans
	// pages.
	emu := emulator.New(emulator.Options{Options: emukit.Options{Now: clock.Now, Readings: readings}, PageSize: opts.PageSize})
	emu.AddAPIKey(conformanceKey, conformanceUser, conformanceEmail)
	var h http.Handler = emu
	if wrap != nil {
		h = wrap(emu)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)

	t.Setenv(conformanceKeyEnv, conformanceKey)
	retries := 8
	cfg := capgo.Config{
		BaseURL:         ts.URL,
		APIKey:          config.Secret{Env: conformanceKeyEnv},
		ManagementEmail: "it-admin@example.com",
		ClientConfig:    httpkit.ClientConfig{MaxRetries: &retries},
	}
	logger, logs := httpkittest.ObservedLogger()
	a, err := capgo.New(context.Background(), cfg, logger,
		connectors.WithClock(clock), connectors.WithRetryWait(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { httpkittest.AssertNoSecret(t, conformanceKey, httpkittest.LogText(logs)) })

	invalid := mapping.Org{Key: "blank", Name: ""} // the document's "Name is required"
	return &targettest.Harness{
		Target: a,
		Faults: func(rate429, rate5xx float64) {
			emu.SetFaults(emulator.Faults{Rate429: rate429, Rate5xx: rate5xx, Seed: faultSeed})
		},
		Faulted:           func() int { return emu.Stats().Faulted },
		ExpireCredentials: emu.RevokeAPIKeys,
		RenewsCredentials: false, // an API key cannot be renewed
		Writes:            func() int { return emu.Stats().Writes },
		Invalid:           connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: invalid.Key, Org: &invalid},
		InvalidField:      "name",
		Unsupported:       []targettest.Field{targettest.OrgCode, targettest.OrgDescription},
	}
}

// capgoShapes rewrites the emulator's 2xx bodies into the shapes Capgo's
// server answers: {"data":[…]} → […], {"data":{…}} on GET → {…}, and a
// create's {"status","id"} → {"id"}.
func capgoShapes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if rec.Code/100 == 2 {
			var doc map[string]json.RawMessage
			if json.Unmarshal(body, &doc) == nil {
				switch {
				case r.Method == http.MethodGet && doc["data"] != nil:
					body = doc["data"]
				case r.Method == http.MethodPost:
					body, _ = json.Marshal(map[string]json.RawMessage{"id": doc["id"]})
				}
			}
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(bytes.TrimSpace(body))
	})
}
