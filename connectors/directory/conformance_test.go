package directory_test

import (
	"context"
	"errors"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/directory"
	"github.com/orgbridge/orgbridge/connectors/directory/emulator"
	"github.com/orgbridge/orgbridge/connectors/targettest"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
	"github.com/orgbridge/orgbridge/mapping"
)

const (
	conformanceClientID  = "conformance-client"
	conformanceSecret    = "conformance-secret-8d41b7"
	conformanceSecretEnv = "DIRECTORY_CONFORMANCE_SECRET"
	conformanceOrg       = "org-conformance"
	faultSeed            = 20250401
)

// TestConformance runs the target conformance suite against the emulator
// under every combination of its readings that orgbridge can sync: all
// but those holding list-account-types, under which the list says nothing
// of who holds what and the adapter must refuse to sync (that is
// TestConformanceListOfAccountTypesFailsLoudly).
func TestConformance(t *testing.T) {
	var syncable [][]string
	for _, combo := range emulator.Readings.Combinations() {
		if !slices.Contains(combo, emulator.ReadingListAccountTypes) {
			syncable = append(syncable, combo)
		}
	}
	if len(syncable) < len(emulator.Readings) {
		t.Fatalf("%d syncable combinations of %d readings: the catalogue lost its order", len(syncable), len(emulator.Readings))
	}
	targettest.RunReadings(t, syncable, newConformanceHarness)
}

// TestConformanceListOfAccountTypesFailsLoudly: under every combination
// holding list-account-types, Read fails, not transiently, saying why,
// however many assignments the server holds; nothing is reported as if
// the organization were empty.
func TestConformanceListOfAccountTypesFailsLoudly(t *testing.T) {
	for _, combo := range emulator.Readings.Combinations() {
		if !slices.Contains(combo, emulator.ReadingListAccountTypes) {
			continue
		}
		t.Run(strings.Join(combo, "+"), func(t *testing.T) {
			h := newReadingsHarness(t, targettest.Options{PageSize: 2, Readings: combo})
			for _, seeded := range []bool{false, true} {
				if seeded {
					h.seed(t, "hanako@example.jp", "admin")
				}
				snap, err := h.Target.Read(context.Background())
				if err == nil || !errors.Is(err, directory.ErrNoAssignments) || connectors.IsTransient(err) ||
					!strings.Contains(err.Error(), "lists the organization's account types (standard, admin, auditor) and no assignments") {
					t.Errorf("Read (seeded %v): %v, %v; want a permanent error saying the list holds no assignments", seeded, snap, err)
				}
			}
		})
	}
}

// conformanceHarness is the suite's harness and a way to seed the
// emulator.
type conformanceHarness struct {
	*targettest.Harness
	seed func(t *testing.T, subject, code string)
}

// newConformanceHarness is the adapter against a fresh emulator serving
// opts.Readings: no rate limit, no latency, a fake clock shared by both
// sides, fast retries with a budget that outlasts the fault case, pages of
// opts.PageSize under paginated.
//
// The directory keeps no user name (Read reports the subjectId as the
// name, and an update naming it is refused) and no email: both are
// Harness.Unsupported, so the suite neither writes nor compares them, and
// tells its users apart by login id, the subjectId. It has no orgs or
// groups (Capabilities), so their optional fields do not arise.
//
// Where a reading is one the adapter cannot detect, the harness configures
// it as an operator would: status-upper's words in
// directory.status_values. Under single-account-type a user holds one
// code, so the update writes one.
func newConformanceHarness(t *testing.T, opts targettest.Options) *targettest.Harness {
	return newReadingsHarness(t, opts).Harness
}

func newReadingsHarness(t *testing.T, opts targettest.Options) conformanceHarness {
	t.Helper()
	readings, err := emulator.Readings.Parse(opts.Readings)
	if err != nil {
		t.Fatal(err)
	}
	clock := httpkittest.NewFakeClock(time.Time{})
	emu := emulator.New(emulator.Options{Options: emukit.Options{RateLimit: -1, Now: clock.Now, Readings: readings}, PageSize: opts.PageSize})
	emu.AddClient(conformanceClientID, conformanceSecret)
	emu.AddOrganization(conformanceOrg,
		emulator.AccountType{Code: "standard", Name: "一般利用者"},
		emulator.AccountType{Code: "admin", Name: "管理者"},
		emulator.AccountType{Code: "auditor", Name: "監査"})
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)

	t.Setenv(conformanceSecretEnv, conformanceSecret)
	retries := 8
	cfg := directory.Config{
		OAuthConfig:    httpkit.OAuthConfig{BaseURL: ts.URL, ClientID: conformanceClientID, ClientSecret: config.Secret{Env: conformanceSecretEnv}},
		OrganizationID: conformanceOrg,
		ClientConfig:   httpkit.ClientConfig{MaxRetries: &retries},
	}
	if readings.Has(emulator.ReadingStatusUpper) {
		cfg.StatusValues = directory.StatusValues{Active: emulator.StatusUpperActive, Suspended: emulator.StatusUpperSuspended}
	}
	updated := "auditor,standard" // two codes: the set is read back sorted
	if readings.Has(emulator.ReadingSingleAccountType) {
		updated = "auditor"
	}
	logger, logs := httpkittest.ObservedLogger()
	a, err := directory.New(context.Background(), cfg, logger,
		directory.WithClock(clock), directory.WithRetryWait(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { httpkittest.AssertNoSecret(t, conformanceSecret, httpkittest.LogText(logs)) })

	invalid := mapping.User{Key: "invalid", Name: "無効 太郎", LoginID: "invalid@example.com",
		Attributes: map[string]string{directory.AttrAccountType: "owner"}}
	return conformanceHarness{
		Harness: &targettest.Harness{
			Target: a,
			Faults: func(rate429, rate5xx float64) {
				emu.SetFaults(emulator.Faults{Rate429: rate429, Rate5xx: rate5xx, Seed: faultSeed})
			},
			Faulted:               func() int { return emu.Stats().Faulted },
			ExpireCredentials:     emu.ExpireTokens,
			RenewsCredentials:     true,
			Writes:                func() int { return emu.Stats().Writes },
			Invalid:               connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindUser, Key: invalid.Key, User: &invalid},
			InvalidField:          "code",
			UserAttributes:        map[string]string{directory.AttrAccountType: "admin"},
			UpdatedUserAttributes: map[string]string{directory.AttrAccountType: updated},
			Unsupported:           []targettest.Field{targettest.UserName, targettest.UserEmail},
		},
		seed: func(t *testing.T, subject, code string) {
			t.Helper()
			if err := emu.Assign(conformanceOrg, subject, code, ""); err != nil {
				t.Fatal(err)
			}
		},
	}
}
