package directory_test

import (
	"context"
	"net/http/httptest"
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

// TestConformance runs the target conformance suite against the emulator.
func TestConformance(t *testing.T) {
	targettest.Run(t, newConformanceHarness)
}

// newConformanceHarness is the adapter against a fresh emulator: no rate
// limit, no latency, a fake clock shared by both sides, fast retries with a
// budget that outlasts the fault case.
//
// The directory keeps no user name (Read reports the subjectId as the
// name, and an update naming it is refused) and no email: both are
// Harness.Unsupported, so the suite neither writes nor compares them, and
// tells its users apart by login id, the subjectId. It has no orgs or
// groups (Capabilities), so their optional fields do not arise.
func newConformanceHarness(t *testing.T, opts targettest.Options) *targettest.Harness {
	t.Helper()
	clock := httpkittest.NewFakeClock(time.Time{})
	emu := emulator.New(emulator.Options{RateLimit: -1, Now: clock.Now})
	emu.AddClient(conformanceClientID, conformanceSecret)
	emu.AddOrganization(conformanceOrg,
		emulator.AccountType{Code: "standard", Name: "一般利用者"},
		emulator.AccountType{Code: "admin", Name: "管理者"},
		emulator.AccountType{Code: "auditor", Name: "監査"})
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)

	t.Setenv(conformanceSecretEnv, conformanceSecret)
	retries := 8
	cfg := config.DirectoryTarget{
		BaseURL:        ts.URL,
		ClientID:       conformanceClientID,
		ClientSecret:   config.Secret{Env: conformanceSecretEnv},
		OrganizationID: conformanceOrg,
		HTTPClient:     config.HTTPClient{MaxRetries: &retries},
	}
	_ = opts.PageSize // the document's list has no pages: every read is one request
	logger, logs := httpkittest.ObservedLogger()
	a, err := directory.New(context.Background(), cfg, logger,
		directory.WithClock(clock), directory.WithRetryWait(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { httpkittest.AssertNoSecret(t, conformanceSecret, httpkittest.LogText(logs)) })

	invalid := mapping.User{Key: "invalid", Name: "無効 太郎", LoginID: "invalid@example.com",
		Attributes: map[string]string{directory.AttrAccountType: "owner"}}
	return &targettest.Harness{
		Target: a,
		Faults: func(rate429, rate5xx float64) {
			emu.SetFaults(emulator.Faults{Rate429: rate429, Rate5xx: rate5xx, Seed: faultSeed})
		},
		Faulted:           func() int { return emu.Stats().Faulted },
		ExpireCredentials: emu.ExpireTokens,
		RenewsCredentials: true,
		Writes:            func() int { return emu.Stats().Writes },
		Invalid:           connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindUser, Key: invalid.Key, User: &invalid},
		InvalidField:      "code",
		UserAttributes:    map[string]string{directory.AttrAccountType: "admin"},
		// Two codes: the set is read back sorted.
		UpdatedUserAttributes: map[string]string{directory.AttrAccountType: "auditor,standard"},
		Unsupported:           []targettest.Field{targettest.UserName, targettest.UserEmail},
	}
}
