package aircourse_test

import (
	"context"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/aircourse"
	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/connectors/targettest"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
	"github.com/orgbridge/orgbridge/mapping"
)

const (
	conformanceClientID  = "0b8e7c52-5d1a-4f6e-9c3b-7a2d4e6f8a10"
	conformanceSecret    = "conformance-secret-5f2c9e"
	conformanceSecretEnv = "AIRCOURSE_CONFORMANCE_SECRET"
	faultSeed            = 20250401
)

// TestConformance runs the target conformance suite against the emulator
// under every reading of the document it serves.
func TestConformance(t *testing.T) {
	targettest.RunReadings(t, emulator.Readings.Combinations(), newConformanceHarness)
}

// TestConformanceNarrowed runs the suite again with the adapter declaring
// less than it can: flat orgs, no groups, users that are only referenced
// (pre-seeded), no suspension, org memberships as membership changes
// (/organizations/{id}/users). AirCourse does all of these; the run checks
// those paths of the adapter, and the suite's branches for targets that
// declare such capabilities.
//
// Of the readings, it runs the default and the last "all" set (every
// reading but meta-snake-case, which excludes meta-page-limit): the
// membership-change path reads and writes the organization user lists,
// which member-rows-userid, user-orgs-absent, writes-answer-200,
// updates-patch-only and empty-lists-no-org change.
func TestConformanceNarrowed(t *testing.T) {
	combos := emulator.Readings.Combinations()
	targettest.RunReadings(t, [][]string{combos[0], combos[len(combos)-1]}, func(t *testing.T, opts targettest.Options) *targettest.Harness {
		h := newConformanceHarness(t, opts)
		full := h.Target.(*aircourse.Adapter)
		// Pre-seed the users the target only references.
		ids := idMap{}
		for _, u := range []mapping.User{
			{Key: "ito", Name: "伊藤 美咲", LoginID: "ito", Email: "ito@example.com"},
			{Key: "watanabe", Name: "渡辺 健", LoginID: "watanabe", Email: "watanabe@example.com"},
			{Key: "nakamura", Name: "中村 陽子", LoginID: "nakamura", Email: "nakamura@example.com"},
			{Key: "kobayashi", Name: "小林 誠", LoginID: "kobayashi", Email: "kobayashi@example.com"},
			{Key: "kato", Name: "加藤 恵", LoginID: "kato", Email: "kato@example.com"},
			{Key: "yoshida", Name: "吉田 翔", LoginID: "yoshida", Email: "yoshida@example.com"},
		} {
			if _, err := full.Apply(t.Context(), connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindUser,
				Key: u.Key, User: &u, OrgMemberships: []mapping.Membership{}}, ids); err != nil {
				t.Fatal(err)
			}
		}
		snap, err := full.Read(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range snap.Users {
			if u.LoginID == emulator.TenantAdminLoginID {
				continue // the tenant's own (admins-required): not the suite's to use
			}
			u.Attributes = nil
			h.ExistingUsers = append(h.ExistingUsers, u)
		}
		h.Target = narrowed{full}
		h.UserAttributes, h.UpdatedUserAttributes = nil, nil
		return h
	})
}

type idMap map[string]string

func (m idMap) TargetID(kind mapping.Kind, key string) (string, bool) {
	id, ok := m[string(kind)+"/"+key]
	return id, ok
}

// narrowed is the AirCourse adapter declaring fewer capabilities.
type narrowed struct{ *aircourse.Adapter }

func (n narrowed) Capabilities() connectors.Capabilities {
	c := n.Adapter.Capabilities()
	c.NestedOrgs, c.Groups, c.GroupMemberships = false, false, false
	c.CreatesUsers, c.SuspendsUsers, c.OrgMembershipsInUser = false, false, false
	return c
}

// newConformanceHarness is the AirCourse adapter against a fresh emulator:
// no rate limit, no latency, a fake clock shared by both sides (so a 429's
// Retry-After costs no real time), fast retries with a budget large enough
// for the fault case.
func newConformanceHarness(t *testing.T, opts targettest.Options) *targettest.Harness {
	t.Helper()
	clock := httpkittest.NewFakeClock(time.Time{})
	readings, err := emulator.Readings.Parse(opts.Readings)
	if err != nil {
		t.Fatal(err)
	}
	emu := emulator.New(emulator.Options{Options: emukit.Options{RateLimit: -1, Now: clock.Now, Readings: readings}})
	emu.AddClient(conformanceClientID, conformanceSecret)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)

	t.Setenv(conformanceSecretEnv, conformanceSecret)
	retries := 8
	cfg := aircourse.Config{
		OAuthConfig:  httpkit.OAuthConfig{BaseURL: ts.URL, ClientID: conformanceClientID, ClientSecret: config.Secret{Env: conformanceSecretEnv}},
		PageSize:     opts.PageSize,
		ClientConfig: httpkit.ClientConfig{MaxRetries: &retries},
	}
	logger, logs := httpkittest.ObservedLogger()
	a, err := aircourse.New(context.Background(), cfg, logger,
		connectors.WithClock(clock), connectors.WithRetryWait(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { httpkittest.AssertNoSecret(t, conformanceSecret, httpkittest.LogText(logs)) })

	invalid := mapping.Org{Key: "toolong", Name: strings.Repeat("長", 41)} // name: 40 characters at most
	return &targettest.Harness{
		Target: a,
		Faults: func(rate429, rate5xx float64) {
			emu.SetFaults(emulator.Faults{Rate429: rate429, Rate5xx: rate5xx, Seed: faultSeed})
		},
		Faulted:           func() int { return emu.Stats().Faulted },
		ExpireCredentials: emu.ExpireTokens,
		RenewsCredentials: true,
		Writes:            func() int { return emu.Stats().Writes },
		Invalid:           connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: invalid.Key, Org: &invalid},
		InvalidField:      "name",
		UserAttributes: map[string]string{
			"userNumber": "A0001", "department": "営業部", "position": "課長", "gender": "0", "birthday": "1985-04-01",
		},
		UpdatedUserAttributes: map[string]string{"department": "企画部", "position": "", "gender": "1"}, // "" clears
	}
}
