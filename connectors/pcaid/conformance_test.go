package pcaid_test

import (
	"context"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/pcaid"
	"github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
	"github.com/orgbridge/orgbridge/connectors/targettest"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
	"github.com/orgbridge/orgbridge/mapping"
)

const (
	conformanceClientID  = "conformance-client"
	conformanceSecret    = "conformance-secret-8d1f3a"
	conformanceSecretEnv = "PCAID_CONFORMANCE_SECRET"
	faultSeed            = 20250401
)

// TestConformance runs the target conformance suite against the emulator
// under every reading of the document it serves: the default, each alone,
// and all together (once with each of paging-page and paging-none).
func TestConformance(t *testing.T) {
	targettest.RunReadings(t, emulator.Readings.Combinations(), newConformanceHarness)
}

// newConformanceHarness is the pcaid adapter against a fresh emulator: no
// rate limit, no latency, a fake clock shared by both sides, fast retries
// with a budget that outlasts the fault case; the emulator serves
// opts.Readings.
func newConformanceHarness(t *testing.T, opts targettest.Options) *targettest.Harness {
	t.Helper()
	readings, err := emulator.Readings.Parse(opts.Readings)
	if err != nil {
		t.Fatal(err)
	}
	clock := httpkittest.NewFakeClock(time.Time{})
	emu := emulator.New(emulator.Options{Options: emukit.Options{Now: clock.Now, Readings: readings}})
	emu.AddClient(conformanceClientID, conformanceSecret)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)

	t.Setenv(conformanceSecretEnv, conformanceSecret)
	retries := 8
	cfg := pcaid.Config{
		OAuthConfig:  httpkit.OAuthConfig{BaseURL: ts.URL + emulator.Prefix, ClientID: conformanceClientID, ClientSecret: config.Secret{Env: conformanceSecretEnv}},
		PageSize:     opts.PageSize,
		ClientConfig: httpkit.ClientConfig{MaxRetries: &retries},
	}
	logger, logs := httpkittest.ObservedLogger()
	a, err := pcaid.New(context.Background(), cfg, logger,
		pcaid.WithClock(clock), pcaid.WithRetryWait(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { httpkittest.AssertNoSecret(t, conformanceSecret, httpkittest.LogText(logs)) })

	invalid := mapping.Group{Key: "toolong", Name: strings.Repeat("長", 51)} // name: 50 characters at most
	return &targettest.Harness{
		Target: a,
		Faults: func(rate429, rate5xx float64) {
			emu.SetFaults(emulator.Faults{Rate429: rate429, Rate5xx: rate5xx, Seed: faultSeed})
		},
		Faulted:           func() int { return emu.Stats().Faulted },
		ExpireCredentials: emu.ExpireTokens,
		RenewsCredentials: true,
		Writes:            func() int { return emu.Stats().Writes },
		Invalid:           connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindGroup, Key: invalid.Key, Group: &invalid},
		InvalidField:      "name",
		UserAttributes: map[string]string{
			pcaid.AttrEmployeeNumber: "A0001", pcaid.AttrDepartment: "営業部", pcaid.AttrPosition: "課長", pcaid.AttrAdmin: "true",
		},
		// "" clears the position; admin false takes the role back.
		UpdatedUserAttributes: map[string]string{pcaid.AttrDepartment: "企画部", pcaid.AttrPosition: "", pcaid.AttrAdmin: "false"},
		// A pcaid user signs in with its email and has no login id.
		Unsupported: []targettest.Field{targettest.UserLoginID},
	}
}
