package capgo_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/capgo"
	"github.com/orgbridge/orgbridge/connectors/capgo/emulator"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
	"github.com/orgbridge/orgbridge/mapping"
)

const (
	testKey    = "test-key-9b8a7c"
	testKeyEnv = "CAPGO_TEST_KEY"
	testUser   = "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a"
	testEmail  = "owner@example.com"
	otherKey   = "other-key-1c2d"
	otherUser  = "3e4f5a6b-7c8d-4e9f-8a1b-2c3d4e5f6a7b"
)

func ptr[T any](v T) *T { return &v }

// fixture is an adapter against a fresh emulator.
type fixture struct {
	emu  *emulator.Server
	a    *capgo.Adapter
	logs *observer.ObservedLogs
	url  string
}

func newFixture(t *testing.T, mutate func(*capgo.Config)) *fixture {
	t.Helper()
	emu := emulator.New(emulator.Options{})
	emu.AddAPIKey(testKey, testUser, testEmail)
	emu.AddAPIKey(otherKey, otherUser, "other@example.com")
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	return newFixtureAt(t, emu, ts.URL, mutate)
}

func newFixtureAt(t *testing.T, emu *emulator.Server, url string, mutate func(*capgo.Config)) *fixture {
	t.Helper()
	t.Setenv(testKeyEnv, testKey)
	cfg := capgo.Config{
		BaseURL:      url,
		APIKey:       config.Secret{Env: testKeyEnv},
		ClientConfig: httpkit.ClientConfig{MaxRetries: ptr(3)},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	logger, logs := httpkittest.ObservedLogger()
	a, err := capgo.New(context.Background(), cfg, logger,
		connectors.WithClock(httpkittest.NewFakeClock(time.Time{})), connectors.WithRetryWait(time.Millisecond, 2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { httpkittest.AssertNoSecret(t, testKey, httpkittest.LogText(logs)) })
	return &fixture{emu: emu, a: a, logs: logs, url: url}
}

func createOrg(name string) connectors.Change {
	o := mapping.Org{Key: name, Name: name}
	return connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: name, Org: &o}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Setenv("CAPGO_SET", "k")
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte("file-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	valid := capgo.Config{BaseURL: "https://api.capgo.app", APIKey: config.Secret{Env: "CAPGO_SET"}}
	tests := []struct {
		name   string
		mutate func(*capgo.Config)
		want   []string
	}{
		{"valid", nil, nil},
		{"valid, key from a file, email, trailing slash", func(c *capgo.Config) {
			c.BaseURL, c.APIKey, c.ManagementEmail = "https://api.capgo.app/", config.Secret{File: keyFile}, "it@example.com"
		}, nil},
		{"no base_url", func(c *capgo.Config) { c.BaseURL = "" }, []string{"base_url: required"}},
		{"relative base_url", func(c *capgo.Config) { c.BaseURL = "api.capgo.app" }, []string{`base_url: "api.capgo.app" is not an absolute http(s) URL`}},
		{"base_url with a query", func(c *capgo.Config) { c.BaseURL = "https://api.capgo.app?x=1" }, []string{"base_url:"}},
		{"no api_key", func(c *capgo.Config) { c.APIKey = config.Secret{} }, []string{"api_key: required: set env"}},
		{"api_key env and file", func(c *capgo.Config) { c.APIKey = config.Secret{Env: "CAPGO_SET", File: keyFile} }, []string{"api_key: set only one of env and file"}},
		{"api_key env unset", func(c *capgo.Config) { c.APIKey = config.Secret{Env: "CAPGO_UNSET_VARIABLE"} }, []string{"api_key: environment variable CAPGO_UNSET_VARIABLE is not set"}},
		{"api_key file missing", func(c *capgo.Config) { c.APIKey = config.Secret{File: filepath.Join(dir, "nope")} }, []string{"api_key: read secret file"}},
		{"bad management_email", func(c *capgo.Config) { c.ManagementEmail = "IT <it@example.com>" }, []string{`management_email: "IT <it@example.com>" is not an email address`}},
		{"negative timeout and retries", func(c *capgo.Config) {
			c.Timeout, c.MaxRetries = -time.Second, ptr(-1)
		}, []string{"timeout: -1s is negative", "max_retries: -1 is negative"}},
		{"every problem at once", func(c *capgo.Config) {
			c.BaseURL, c.APIKey, c.ManagementEmail = "", config.Secret{}, "x"
		}, []string{"base_url: required", "api_key: required", "management_email:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			if tt.mutate != nil {
				tt.mutate(&cfg)
			}
			_, err := capgo.New(context.Background(), cfg, nil)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New accepted %+v", cfg)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// failingTransport fails the test on any request.
type failingTransport struct{ t *testing.T }

func (f failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
	return nil, errors.New("no network in this test")
}

func TestNewMakesNoRequest(t *testing.T) {
	t.Setenv(testKeyEnv, testKey)
	a, err := capgo.New(context.Background(), capgo.Config{BaseURL: "https://api.capgo.app", APIKey: config.Secret{Env: testKeyEnv}},
		zap.NewNop(), connectors.WithTransport(failingTransport{t}))
	if err != nil {
		t.Fatal(err)
	}
	if c := a.Capabilities(); !c.Orgs || c.Users || c.Groups || c.NestedOrgs || c.CreatesUsers || c.GroupMemberships || c.OrgMembershipsInUser {
		t.Errorf("Capabilities = %+v; want orgs only", c)
	}
}

func TestCreateSetsManagementEmail(t *testing.T) {
	tests := []struct {
		name      string
		email     string
		wantEmail string
		writes    int
	}{
		{"configured: a follow-up PUT", "it-admin@example.co.jp", "it-admin@example.co.jp", 2},
		{"not configured: Capgo's default, the key user's address", "", testEmail, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *capgo.Config) { c.ManagementEmail = tt.email })
			res, err := f.a.Apply(t.Context(), createOrg("本社 / 営業部"), nil)
			if err != nil {
				t.Fatal(err)
			}
			st := f.emu.State()
			if len(st.Orgs) != 1 || st.Orgs[0].ID != res.TargetID || st.Orgs[0].Name != "本社 / 営業部" || st.Orgs[0].ManagementEmail != tt.wantEmail {
				t.Errorf("state %+v, result %+v", st.Orgs, res)
			}
			if w := f.emu.Stats().Writes; w != tt.writes {
				t.Errorf("writes = %d, want %d", w, tt.writes)
			}
		})
	}
}

func TestCreateFollowUpFails(t *testing.T) {
	emu := emulator.New(emulator.Options{})
	emu.AddAPIKey(testKey, testUser, testEmail)
	// Every PUT is answered 503: the organization exists, its
	// management_email could not be set.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(503)
			fmt.Fprint(w, `{"error":"Service unavailable","status":"KO"}`)
			return
		}
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	f := newFixtureAt(t, emu, ts.URL, func(c *capgo.Config) { c.ManagementEmail = "it@example.com" })
	res, err := f.a.Apply(t.Context(), createOrg("本社"), nil)
	if err == nil {
		t.Fatal("Apply succeeded although the management_email PUT failed")
	}
	if res.TargetID == "" || !strings.Contains(err.Error(), "created as "+res.TargetID+", then set management_email") || !connectors.IsTransient(err) {
		t.Errorf("result %+v, err %v; want the new id, a transient error saying what failed", res, err)
	}
}

func TestUpdateAndDelete(t *testing.T) {
	f := newFixture(t, nil)
	res, err := f.a.Apply(t.Context(), createOrg("営業部"), nil)
	if err != nil {
		t.Fatal(err)
	}
	renamed := mapping.Org{Key: "営業部", Name: "本社 / 営業部"}
	upd := connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: renamed.Key, TargetID: res.TargetID, Org: &renamed,
		Diff: []connectors.FieldChange{{Field: change.FieldName, Old: "営業部", New: renamed.Name}}}
	if _, err := f.a.Apply(t.Context(), upd, nil); err != nil {
		t.Fatal(err)
	}
	snap, err := f.a.Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Orgs) != 1 || snap.Orgs[0] != (mapping.Org{Key: res.TargetID, Name: "本社 / 営業部"}) {
		t.Errorf("Read = %+v", snap.Orgs)
	}

	del := connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindOrg, Key: renamed.Key, TargetID: res.TargetID, Org: &snap.Orgs[0]}
	for i := range 2 { // the second finds it gone: done, as the executor counts it
		if _, err := f.a.Apply(t.Context(), del, nil); connectors.GoneIsDone(del, err) != nil {
			t.Fatalf("delete %d: %v", i+1, err)
		}
	}
	if n := len(f.emu.State().Orgs); n != 0 {
		t.Errorf("%d orgs left", n)
	}
	// An update of an org that is gone.
	if _, err := f.a.Apply(t.Context(), upd, nil); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("update of a deleted org: %v; want ErrNotFound", err)
	}
}

func TestRefusesWhatCapgoCannotKeep(t *testing.T) {
	f := newFixture(t, nil)
	id := f.emu.AddOrg(testUser, "本社").ID
	org := func(mut func(*mapping.Org)) *mapping.Org {
		o := mapping.Org{Key: "hq", Name: "本社"}
		mut(&o)
		return &o
	}
	tests := []struct {
		name string
		c    connectors.Change
		want string
	}{
		{"create with a parent", connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: "hq",
			Org: org(func(o *mapping.Org) { o.ParentKey = "root" })}, "set mapping.orgs.flatten"},
		{"create with a code", connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: "hq",
			Org: org(func(o *mapping.Org) { o.Code = "HQ" })}, "leave mapping.orgs.code unset"},
		{"create with a description", connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: "hq",
			Org: org(func(o *mapping.Org) { o.Description = "本社" })}, "leave mapping.orgs.description unset"},
		{"update of a description", connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "hq", TargetID: id,
			Org: org(func(*mapping.Org) {}), Diff: []connectors.FieldChange{{Field: change.FieldDescription, New: "x"}}}, "leave mapping.orgs.description unset"},
		{"update of a parent", connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "hq", TargetID: id,
			Org: org(func(*mapping.Org) {}), Diff: []connectors.FieldChange{{Field: change.FieldParent, New: "x"}}}, "do not nest"},
		{"update of an unknown field", connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "hq", TargetID: id,
			Org: org(func(*mapping.Org) {}), Diff: []connectors.FieldChange{{Field: change.TargetSetting("colour")}}}, `field "colour" is not a field`},
		{"update without target id", connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "hq",
			Org: org(func(*mapping.Org) {})}, "reference has no target id"},
		{"a user", connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindUser, Key: "u", User: &mapping.User{Key: "u"}}, "organizations only"},
		{"a membership", connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindMembership, Key: "m"}, "organizations only"},
		{"suspend", connectors.Change{Action: connectors.ActionSuspend, Kind: mapping.KindOrg, Key: "hq", TargetID: id}, `action "suspend" is not supported`},
	}
	f.emu.ResetStats()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.a.Apply(t.Context(), tt.c, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) || connectors.IsTransient(err) {
				t.Errorf("Apply: %v; want a permanent error containing %q", err, tt.want)
			}
		})
	}
	if n := f.emu.Stats().Requests; n != 0 {
		t.Errorf("refused changes sent %d requests", n)
	}
}

func TestInvalidAPIKey(t *testing.T) {
	f := newFixture(t, nil)
	f.emu.RevokeAPIKeys()
	_, readErr := f.a.Read(t.Context())
	_, applyErr := f.a.Apply(t.Context(), createOrg("本社"), nil)
	for what, err := range map[string]error{"Read": readErr, "Apply": applyErr} {
		if err == nil {
			t.Fatalf("%s with a revoked key succeeded", what)
		}
		msg := err.Error()
		for _, w := range []string{"api_key (environment variable " + testKeyEnv + ")", "401", "Invalid API key", "cannot be renewed"} {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q does not say %q", what, msg, w)
			}
		}
		var se *httpkit.StatusError
		if !errors.Is(err, capgo.ErrInvalidAPIKey) || connectors.IsTransient(err) || !errors.As(err, &se) || se.Status != 401 {
			t.Errorf("%s: %v; want ErrInvalidAPIKey wrapping a 401, not transient", what, err)
		}
		httpkittest.AssertNoSecret(t, testKey, msg)
	}
	if n := f.emu.Stats().Requests; n != 2 {
		t.Errorf("%d requests; a refused key is not retried (want 2)", n)
	}
}

func TestAdminRoleRequired(t *testing.T) {
	f := newFixture(t, nil)
	shared := f.emu.AddOrg(otherUser, "共有組織")
	f.emu.SetRole(shared.ID, testUser, emulator.RoleMember)
	snap, err := f.a.Read(t.Context())
	if err != nil || len(snap.Orgs) != 1 || snap.Orgs[0].Key != shared.ID {
		t.Fatalf("Read = %+v, %v; want the org the key's user is a member of", snap, err)
	}
	o := mapping.Org{Key: "shared", Name: "改名"}
	for _, c := range []connectors.Change{
		{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "shared", TargetID: shared.ID, Org: &o},
		{Action: connectors.ActionDelete, Kind: mapping.KindOrg, Key: "shared", TargetID: shared.ID, Org: &o},
	} {
		_, err := f.a.Apply(t.Context(), c, nil)
		if !errors.Is(err, capgo.ErrAdminRoleRequired) || connectors.IsTransient(err) || !strings.Contains(err.Error(), "403") {
			t.Errorf("%s: %v; want ErrAdminRoleRequired, a permanent 403", c.Action, err)
		}
	}
}

func TestValidationIsAFieldError(t *testing.T) {
	f := newFixture(t, nil)
	id := f.emu.AddOrg(testUser, "本社").ID
	blank := mapping.Org{Key: "hq", Name: " "}
	for _, c := range []connectors.Change{
		createOrg(""),
		{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "hq", TargetID: id, Org: &blank},
	} {
		_, err := f.a.Apply(t.Context(), c, nil)
		var fe *connectors.FieldError
		if !errors.As(err, &fe) || fe.Status != 400 || len(fe.Fields["name"]) != 1 || connectors.IsTransient(err) {
			t.Errorf("%s: %v (%+v); want a 400 FieldError on name", c.Action, err, fe)
		}
	}
}

func TestPostAnswered500IsNotRepeated(t *testing.T) {
	f := newFixture(t, nil)
	f.emu.SetFaults(emulator.Faults{Rate5xx: 1, Seed: 2})
	_, err := f.a.Apply(t.Context(), createOrg("本社"), nil)
	if !connectors.IsTransient(err) {
		t.Fatalf("err = %v; want transient", err)
	}
	st := f.emu.Stats()
	// 500s are not repeated on a POST; 503s are, up to the budget (3).
	if st.Faulted < 1 || st.Faulted > 4 {
		t.Errorf("faulted %d", st.Faulted)
	}
	// The error (which the executor logs) names the call.
	if !strings.Contains(err.Error(), "POST /organization/: 50") {
		t.Errorf("error %q does not name the call", err)
	}
}
