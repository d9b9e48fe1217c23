package tenantadmin_test

import (
	"context"
	"fmt"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/targettest"
	"github.com/orgbridge/orgbridge/connectors/tenantadmin"
	"github.com/orgbridge/orgbridge/connectors/tenantadmin/emulator"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
	"github.com/orgbridge/orgbridge/mapping"
)

const (
	conformanceToken    = "conformance-token-7c41e9"
	conformanceTokenEnv = "TENANTADMIN_CONFORMANCE_TOKEN"
	faultSeed           = 20250401
	// staffOrg is the org every pre-seeded user is a member of, as a real
	// tenant's users are of some org: a user in no org is invisible to
	// this API, so Read could not report it.
	staffOrg = "all-staff"
)

// TestConformance runs the target conformance suite against the emulator
// under every combination of the readings of seed 001 it serves: the
// adapter is configured the same under all of them.
func TestConformance(t *testing.T) {
	targettest.RunReadings(t, emulator.Readings.Combinations(), newConformanceHarness)
}

// existingUsers are the tenant's users (the API does not create users):
// enough for the pagination (5) and faults (12) cases.
func existingUsers() []emulator.User {
	users := make([]emulator.User, 12)
	for i := range users {
		users[i] = emulator.User{
			ID:    fmt.Sprintf("usr_c%03d", i+1),
			Name:  fmt.Sprintf("既存 利用者%02d", i+1),
			Email: fmt.Sprintf("existing%02d@example.com", i+1),
		}
	}
	return users
}

// newConformanceHarness is the adapter against a fresh emulator: no rate
// limit, no latency, fast retries with a budget that outlasts the fault
// case, the users seeded and placed in an org the suite does not know.
func newConformanceHarness(t *testing.T, opts targettest.Options) *targettest.Harness {
	t.Helper()
	users := existingUsers()
	readings, err := emulator.Readings.Parse(opts.Readings)
	if err != nil {
		t.Fatal(err)
	}
	emu := emulator.New(emulator.Options{Options: emukit.Options{Readings: readings}, Users: users, Tokens: []string{conformanceToken}})
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)

	t.Setenv(conformanceTokenEnv, conformanceToken)
	retries := 8
	cfg := tenantadmin.Config{
		BaseURL:      ts.URL,
		Token:        config.Secret{Env: conformanceTokenEnv},
		PageSize:     opts.PageSize,
		ClientConfig: httpkit.ClientConfig{MaxRetries: &retries},
	}
	logger, logs := httpkittest.ObservedLogger()
	a, err := tenantadmin.New(context.Background(), cfg, logger,
		connectors.WithClock(httpkittest.NewFakeClock(time.Time{})), connectors.WithRetryWait(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { httpkittest.AssertNoSecret(t, conformanceToken, httpkittest.LogText(logs)) })

	ctx := context.Background()
	staff, err := a.Client().CreateOrg(ctx, tenantadmin.Fields{"name": staffOrg, "display_name": "全社員"})
	if err != nil {
		t.Fatal(err)
	}
	existing := make([]mapping.User, len(users))
	for i, u := range users {
		if _, err := a.Client().AddMember(ctx, staff.ID, u.ID, tenantadmin.RoleMember); err != nil {
			t.Fatal(err)
		}
		existing[i] = mapping.User{Key: u.ID, Name: u.Name, Email: u.Email}
	}

	invalid := mapping.Org{Key: "noname", Code: "noname"} // display_name is required
	return &targettest.Harness{
		Target: a,
		Faults: func(rate429, rate5xx float64) {
			emu.SetFaults(emulator.Faults{Rate429: rate429, Rate5xx: rate5xx, Seed: faultSeed})
		},
		Faulted:           func() int { return emu.Stats().Faulted },
		ExpireCredentials: emu.ExpireTokens,
		RenewsCredentials: false, // a static token
		Writes:            func() int { return emu.Stats().Writes },
		Invalid:           connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: invalid.Key, Org: &invalid},
		InvalidField:      "display_name",
		ExistingUsers:     existing,
		Unsupported:       []targettest.Field{targettest.UserLoginID},
	}
}
