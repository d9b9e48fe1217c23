package directory_test

import (
	"context"
	"errors"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/zap/zaptest/observer"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/directory"
	"github.com/orgbridge/orgbridge/connectors/directory/emulator"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
	"github.com/orgbridge/orgbridge/mapping"
)

const (
	testClientID  = "adapter-test-client"
	testSecret    = "adapter-secret/+&=9f3"
	testSecretEnv = "DIRECTORY_TEST_SECRET"
	testOrg       = "org-test"
)

// env is an adapter against an in-process emulator sharing a fake clock,
// with a log of the API requests the emulator received.
type env struct {
	t     *testing.T
	emu   *emulator.Server
	clock *httpkittest.FakeClock
	a     *directory.Adapter
	logs  *observer.ObservedLogs

	mu   sync.Mutex
	sent []string // "METHOD path" of every API request, not the token call
	// intercept, when set, may answer an API request instead of the
	// emulator (it reports whether it did).
	intercept func(w http.ResponseWriter, r *http.Request) bool
}

func newEnv(t *testing.T, opts emulator.Options, edit func(*directory.Config), aopts ...directory.Option) *env {
	t.Helper()
	e := &env{t: t, clock: httpkittest.NewFakeClock(time.Time{})}
	opts.Now = e.clock.Now
	if opts.RateLimit == 0 {
		opts.RateLimit = -1
	}
	e.emu = emulator.New(opts)
	e.emu.AddClient(testClientID, testSecret)
	e.emu.AddOrganization(testOrg,
		emulator.AccountType{Code: "standard", Name: "一般利用者"},
		emulator.AccountType{Code: "admin", Name: "管理者"},
		emulator.AccountType{Code: "auditor", Name: "監査"})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != emulator.TokenPath {
			e.mu.Lock()
			e.sent = append(e.sent, r.Method+" "+r.URL.EscapedPath())
			intercept := e.intercept
			e.mu.Unlock()
			if intercept != nil && intercept(w, r) {
				return
			}
		}
		e.emu.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)

	t.Setenv(testSecretEnv, testSecret)
	retries := 3
	cfg := directory.Config{
		OAuthConfig:    httpkit.OAuthConfig{BaseURL: ts.URL, ClientID: testClientID, ClientSecret: config.Secret{Env: testSecretEnv}},
		OrganizationID: testOrg,
		ClientConfig:   httpkit.ClientConfig{MaxRetries: &retries},
	}
	if edit != nil {
		edit(&cfg)
	}
	logger, logs := httpkittest.ObservedLogger()
	aopts = append([]directory.Option{directory.WithClock(e.clock), directory.WithRetryWait(time.Millisecond, 2*time.Millisecond)}, aopts...)
	a, err := directory.New(context.Background(), cfg, logger, aopts...)
	if err != nil {
		t.Fatal(err)
	}
	e.a, e.logs = a, logs
	t.Cleanup(func() { httpkittest.AssertNoSecret(t, testSecret, httpkittest.LogText(logs)) })
	return e
}

// requests returns the API requests sent since the last call, paths
// relative to the organization's accounts.
func (e *env) requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, len(e.sent))
	for i, s := range e.sent {
		out[i] = strings.Replace(s, "/directory/orgs/"+testOrg+"/accounts/users", "", 1)
	}
	e.sent = nil
	return out
}

func (e *env) seed(subject, code, status string) {
	e.t.Helper()
	if err := e.emu.Assign(testOrg, subject, code, status); err != nil {
		e.t.Fatal(err)
	}
}

// assignments returns the emulator's assignments as "subject/code=status".
func (e *env) assignments() []string {
	var out []string
	for _, a := range e.emu.State().Organization(testOrg).Assignments {
		out = append(out, a.SubjectID+"/"+a.Code+"="+a.Status)
	}
	return out
}

func (e *env) apply(c connectors.Change) (connectors.Result, error) {
	return e.a.Apply(context.Background(), c, nil)
}

func (e *env) mustApply(c connectors.Change) connectors.Result {
	e.t.Helper()
	res, err := e.apply(c)
	if err != nil {
		e.t.Fatalf("Apply(%s %s): %v", c.Action, c.Key, err)
	}
	return res
}

func (e *env) read() *mapping.Snapshot {
	e.t.Helper()
	s, err := e.a.Read(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func user(login, types string, suspended bool) *mapping.User {
	u := &mapping.User{Key: "k-" + login, Name: login, LoginID: login, Suspended: suspended}
	if types != "-" {
		u.Attributes = map[string]string{directory.AttrAccountType: types}
	}
	return u
}

func create(u *mapping.User) connectors.Change {
	return connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindUser, Key: u.Key, User: u}
}

func update(subject string, u *mapping.User, diff ...connectors.FieldChange) connectors.Change {
	return connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindUser, Key: u.Key, TargetID: subject, User: u, Diff: diff}
}

func field(name, old, new string) connectors.FieldChange {
	return connectors.FieldChange{Field: change.ParseField(mapping.KindUser, name), Old: old, New: new}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Setenv(testSecretEnv, testSecret)
	good := func() directory.Config {
		return directory.Config{
			OAuthConfig: httpkit.OAuthConfig{BaseURL: "https://directory.example.com/api", ClientID: "c", ClientSecret: config.Secret{Env: testSecretEnv}}, OrganizationID: "org",
		}
	}
	neg := -1
	tests := []struct {
		name string
		edit func(*directory.Config)
		opts []directory.Option
		want []string
	}{
		{"missing", func(c *directory.Config) {
			*c = directory.Config{OAuthConfig: httpkit.OAuthConfig{ClientSecret: c.ClientSecret}}
		},
			nil, []string{"base_url: required", "client_id: required", "organization_id: required"}},
		{"urls", func(c *directory.Config) { c.BaseURL, c.TokenURL = "directory.example.com", "/oauth2/token" },
			nil, []string{`base_url: "directory.example.com" is not an absolute http(s) URL`, `token_url: "/oauth2/token" is not an absolute http(s) URL`}},
		{"numbers", func(c *directory.Config) { c.Timeout, c.MaxRetries = -time.Second, &neg },
			nil, []string{"timeout: -1s is negative", "max_retries: -1 is negative"}},
		{"scopes", func(c *directory.Config) { c.Scopes = []string{"read", "a b", ""} },
			nil, []string{`scopes[1]: "a b" is not a scope`, `scopes[2]: "" is not a scope`}},
		{"secret", func(c *directory.Config) { c.ClientSecret = config.Secret{Env: "DIRECTORY_UNSET_SECRET"} },
			nil, []string{"client_secret: environment variable DIRECTORY_UNSET_SECRET is not set"}},
		{"default account type", nil, []directory.Option{directory.WithDefaultAccountType("a,b")},
			[]string{`default account type "a,b" is not one code`}},
		{"status values", func(c *directory.Config) {
			c.StatusValues = directory.StatusValues{Active: " ACTIVE", Suspended: "Active"}
		}, nil, []string{
			`status_values.active: " ACTIVE" has surrounding spaces or control characters`,
		}},
		{"status values equal", func(c *directory.Config) {
			c.StatusValues = directory.StatusValues{Active: "on", Suspended: "ON"}
		}, nil, []string{`status_values: active and suspended are both "on"; they must differ`}},
		{"status values equal to a default", func(c *directory.Config) {
			c.StatusValues = directory.StatusValues{Active: "suspended"}
		}, nil, []string{`status_values: active and suspended are both "suspended"`}},
		{"managed account types", func(c *directory.Config) {
			c.ManagedAccountTypes = []string{"admin", "a,b", "", "admin"}
		}, nil, []string{
			`managed_account_types[1]: "a,b" is not an account type code`,
			`managed_account_types[2]: "" is not an account type code`,
			`managed_account_types[3]: "admin" is named twice`,
			`managed_account_types: admin, a,b, , admin leaves out "standard", the account type a user without account_type is given`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good()
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			_, err := directory.New(context.Background(), cfg, nil, tt.opts...)
			if err == nil {
				t.Fatal("New accepted the config")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	// A valid config opens without a request.
	noNet := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("New sent %s %s", r.Method, r.URL)
		return nil, errors.New("no network")
	})
	if _, err := directory.New(context.Background(), good(), nil, directory.WithTransport(noNet)); err != nil {
		t.Fatal(err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCapabilities(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	want := connectors.Capabilities{Users: true, CreatesUsers: true, SuspendsUsers: true, UserAttributes: []string{"account_type"}}
	if diff := cmp.Diff(want, e.a.Capabilities()); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}
}

func TestReadGroupsBySubject(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	e.seed("zed@example.com", "standard", "")
	e.seed("amy@example.com", "standard", emulator.StatusSuspended)
	e.seed("amy@example.com", "admin", "")
	e.seed("bob@example.com", "auditor", emulator.StatusSuspended)
	e.seed("bob@example.com", "standard", emulator.StatusSuspended)
	got := e.read()
	u := func(s, types string, suspended bool) mapping.User {
		return mapping.User{Key: s, LoginID: s, Name: s, Suspended: suspended, Attributes: map[string]string{"account_type": types}}
	}
	want := &mapping.Snapshot{Users: []mapping.User{
		u("amy@example.com", "admin,standard", false), // one active code: not suspended
		u("bob@example.com", "auditor,standard", true),
		u("zed@example.com", "standard", false),
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
	if r := e.requests(); len(r) != 1 || r[0] != "GET " {
		t.Errorf("requests %q, want one GET", r)
	}
}

func TestCreate(t *testing.T) {
	tests := []struct {
		name     string
		seed     [][3]string
		user     *mapping.User
		requests []string
		want     []string
	}{
		{"one code", nil, user("a@example.com", "admin", false),
			[]string{"POST /a@example.com/admin"}, []string{"a@example.com/admin=active"}},
		{"default code", nil, user("a@example.com", "-", false),
			[]string{"POST /a@example.com/standard"}, []string{"a@example.com/standard=active"}},
		{"empty is the default", nil, user("a@example.com", " ", false),
			[]string{"POST /a@example.com/standard"}, []string{"a@example.com/standard=active"}},
		{"suspended", nil, user("a@example.com", "admin", true),
			[]string{"POST /a@example.com/admin", "PUT /a@example.com/admin"}, []string{"a@example.com/admin=suspended"}},
		{"two codes", nil, user("a@example.com", "standard, admin", false),
			[]string{"POST /a@example.com/admin", "POST /a@example.com/standard"},
			[]string{"a@example.com/admin=active", "a@example.com/standard=active"}},
		{"already held, suspended: read, and the status is set", [][3]string{{"a@example.com", "admin", "suspended"}}, user("a@example.com", "admin", false),
			[]string{"POST /a@example.com/admin", "GET ", "PUT /a@example.com/admin"}, []string{"a@example.com/admin=active"}},
		{"already held, as wanted: read, nothing more", [][3]string{{"a@example.com", "admin", "active"}}, user("a@example.com", "admin", false),
			[]string{"POST /a@example.com/admin", "GET "}, []string{"a@example.com/admin=active"}},
		{"escaped subject", nil, user("x/y", "standard", false),
			[]string{"POST /x%2Fy/standard"}, []string{"x/y/standard=active"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, emulator.Options{}, nil)
			for _, s := range tt.seed {
				e.seed(s[0], s[1], s[2])
			}
			res := e.mustApply(create(tt.user))
			if res.TargetID != tt.user.LoginID {
				t.Errorf("TargetID %q, want the subject id %q", res.TargetID, tt.user.LoginID)
			}
			if diff := cmp.Diff(tt.requests, e.requests()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, e.assignments()); diff != "" {
				t.Errorf("assignments (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateRefused(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	_, err := e.apply(create(&mapping.User{Key: "k", Name: "n"}))
	if err == nil || !strings.Contains(err.Error(), "login_id: required") {
		t.Errorf("no login id: %v", err)
	}

	// Before any Read the adapter does not know the account types: the
	// server refuses the code.
	_, err = e.apply(create(user("a@example.com", "owner", false)))
	var fe *connectors.FieldError
	if !errors.As(err, &fe) || fe.Status != 422 || len(fe.Fields["code"]) == 0 || connectors.IsTransient(err) {
		t.Errorf("unknown code from the server: %v (%T)", err, err)
	}
	// After a Read it refuses the code itself, before any write.
	e.read()
	e.requests()
	_, err = e.apply(create(user("a@example.com", "admin,owner", false)))
	if !errors.As(err, &fe) || len(fe.Fields["code"]) == 0 || !strings.Contains(err.Error(), `"owner"`) {
		t.Errorf("unknown code: %v", err)
	}
	if r := e.requests(); len(r) != 0 {
		t.Errorf("requests %q, want none", r)
	}
	if a := e.assignments(); len(a) != 0 {
		t.Errorf("assignments %q, want none", a)
	}
}

func TestUpdate(t *testing.T) {
	const s = "a@example.com"
	tests := []struct {
		name     string
		seed     [][3]string
		change   connectors.Change
		requests []string
		want     []string
		targetID string
	}{
		{"account type: PUT of the new code is 404 here, so assign, then remove",
			[][3]string{{s, "standard", "active"}},
			update(s, user(s, "admin", false), field("account_type", "standard", "admin")),
			[]string{"PUT /" + s + "/admin", "POST /" + s + "/admin", "DELETE /" + s + "/standard"},
			[]string{s + "/admin=active"}, s},
		{"account type of a suspended user",
			[][3]string{{s, "standard", "suspended"}},
			update(s, user(s, "admin", true), field("account_type", "standard", "admin")),
			[]string{"PUT /" + s + "/admin", "POST /" + s + "/admin", "PUT /" + s + "/admin", "DELETE /" + s + "/standard"},
			[]string{s + "/admin=suspended"}, s},
		{"a code added, one kept",
			[][3]string{{s, "standard", "active"}},
			update(s, user(s, "standard,auditor", false), field("account_type", "standard", "auditor,standard")),
			[]string{"POST /" + s + "/auditor"},
			[]string{s + "/auditor=active", s + "/standard=active"}, s},
		{"suspend through an update",
			[][3]string{{s, "admin", "active"}, {s, "standard", "active"}},
			update(s, user(s, "admin,standard", true), field("suspended", "false", "true")),
			[]string{"PUT /" + s + "/admin", "PUT /" + s + "/standard"},
			[]string{s + "/admin=suspended", s + "/standard=suspended"}, s},
		{"reactivate, account type not mapped: the codes are read",
			[][3]string{{s, "auditor", "suspended"}},
			update(s, user(s, "-", false), field("suspended", "true", "false")),
			[]string{"GET ", "PUT /" + s + "/auditor"},
			[]string{s + "/auditor=active"}, s},
		{"no diff: everything, from a fresh read",
			[][3]string{{s, "auditor", "active"}, {s, "standard", "suspended"}},
			update(s, user(s, "standard", false)),
			[]string{"GET ", "DELETE /" + s + "/auditor", "PUT /" + s + "/standard"},
			[]string{s + "/standard=active"}, s},
		{"login id: the assignments move",
			[][3]string{{s, "admin", "suspended"}},
			update(s, user("b@example.com", "admin", true), field("login_id", s, "b@example.com")),
			[]string{"POST /b@example.com/admin", "PUT /b@example.com/admin", "DELETE /" + s + "/admin"},
			[]string{"b@example.com/admin=suspended"}, "b@example.com"},
		{"same set in another order: nothing to do",
			[][3]string{{s, "admin", "active"}, {s, "standard", "active"}},
			update(s, user(s, "standard,admin", false), field("account_type", "admin,standard", "standard,admin")),
			nil,
			[]string{s + "/admin=active", s + "/standard=active"}, s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, emulator.Options{}, nil)
			for _, sd := range tt.seed {
				e.seed(sd[0], sd[1], sd[2])
			}
			res := e.mustApply(tt.change)
			if res.TargetID != tt.targetID {
				t.Errorf("TargetID %q, want %q", res.TargetID, tt.targetID)
			}
			if diff := cmp.Diff(tt.requests, e.requests(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, e.assignments()); diff != "" {
				t.Errorf("assignments (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateRefusesUnkeptFields(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	e.seed("a@example.com", "standard", "")
	tests := []struct {
		field string
		want  string
	}{
		{"name", "map users.name to the same template as users.login_id"},
		{"email", "leave users.email unmapped"},
		{"department", "is not a directory field"},
	}
	for _, tt := range tests {
		c := update("a@example.com", user("a@example.com", "admin", false),
			field("account_type", "standard", "admin"), field(tt.field, "x", "y"))
		_, err := e.apply(c)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("diff on %s: %v, want an error naming it and saying %q", tt.field, err, tt.want)
		}
	}
	if r := e.requests(); len(r) != 0 {
		t.Errorf("requests %q: a refused update wrote something", r)
	}
	if _, err := e.apply(update("", user("a@example.com", "admin", false), field("account_type", "standard", "admin"))); !errors.Is(err, connectors.ErrUnresolved) {
		t.Errorf("no target id: %v", err)
	}
}

func TestSuspendAndDelete(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	e.seed("a@example.com", "admin", "")
	e.seed("a@example.com", "standard", "")
	e.seed("b@example.com", "standard", "")
	actual := e.read().Users[0] // a@example.com, as the planner passes it
	e.requests()

	e.mustApply(connectors.Change{Action: connectors.ActionSuspend, Kind: mapping.KindUser, Key: "k-a", TargetID: actual.Key, User: &actual})
	if diff := cmp.Diff([]string{"PUT /a@example.com/admin", "PUT /a@example.com/standard"}, e.requests()); diff != "" {
		t.Errorf("suspend requests (-want +got):\n%s", diff)
	}
	del := connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindUser, Key: "k-a", TargetID: actual.Key, User: &actual}
	e.mustApply(del)
	if diff := cmp.Diff([]string{"DELETE /a@example.com/admin", "DELETE /a@example.com/standard"}, e.requests()); diff != "" {
		t.Errorf("delete requests (-want +got):\n%s", diff)
	}
	e.mustApply(del) // already gone: 404s count as done
	// Without the actual user's codes, they are read first; none is done.
	e.mustApply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindUser, Key: "k-a", TargetID: "a@example.com"})
	if diff := cmp.Diff([]string{"b@example.com/standard=active"}, e.assignments()); diff != "" {
		t.Errorf("assignments (-want +got):\n%s", diff)
	}
	if _, err := e.apply(connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: "o", Org: &mapping.Org{Key: "o", Name: "本社"}}); err == nil {
		t.Error("an org create was accepted")
	}
}

func TestUnknownOrganization(t *testing.T) {
	e := newEnv(t, emulator.Options{}, func(c *directory.Config) { c.OrganizationID = "org-missing" })
	_, err := e.a.Read(context.Background())
	if !errors.Is(err, connectors.ErrNotFound) || connectors.IsTransient(err) || !strings.Contains(err.Error(), "org-missing") {
		t.Errorf("Read of an unknown organization: %v, want a permanent not-found naming it", err)
	}
}

func TestTokenRenewedAfter401(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	e.read()
	e.emu.ExpireTokens()
	e.mustApply(create(user("a@example.com", "admin", false)))
	st := e.emu.Stats()
	if n := st.ByRoute["POST "+emulator.RouteToken]; n != 2 {
		t.Errorf("token requests %d, want 2 (one renewal)", n)
	}
	if n := st.ByRoute["POST "+emulator.RouteAssignment]; n != 2 {
		t.Errorf("POSTs %d, want 2 (the refused one, then again)", n)
	}
}

func TestWrongSecretIsClearAndHidden(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	e.emu.AddClient(testClientID, "another")
	_, err := e.a.Read(context.Background())
	if err == nil {
		t.Fatal("Read succeeded with a wrong secret")
	}
	if connectors.IsTransient(err) || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "oauth2/token") {
		t.Errorf("error %q: want a permanent 401 naming the token call", err)
	}
	httpkittest.AssertNoSecret(t, testSecret, err.Error(), httpkittest.LogText(e.logs))
}

func TestTransientErrors(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	e.read() // a token first
	e.emu.SetFaults(emulator.Faults{Rate5xx: 1, Seed: 1})
	if _, err := e.a.Read(context.Background()); !connectors.IsTransient(err) {
		t.Errorf("Read under 5xx: %v, want transient", err)
	}
	if _, err := e.apply(create(user("a@example.com", "admin", false))); !connectors.IsTransient(err) {
		t.Errorf("create under 5xx: %v, want transient", err)
	}
	e.emu.SetFaults(emulator.Faults{})
	// A POST that failed with a 500 may have been applied; applying the
	// create again finds it held (409) and counts it done.
	e.seed("b@example.com", "admin", "")
	e.mustApply(create(user("b@example.com", "admin", false)))
}

func TestPacedUnderRateLimit(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{RateLimit: 10}}, nil)
	for i := range 25 {
		e.mustApply(create(user("u"+string(rune('a'+i))+"@example.com", "standard", false)))
	}
	if st := e.emu.Stats(); st.RateLimited > 1 {
		t.Errorf("%d requests were refused by the rate limit; the pacer should keep under it", st.RateLimited)
	}
	if n, _ := e.clock.Sleeps(); n == 0 {
		t.Error("the pacer never waited")
	}
	if got := len(e.assignments()); got != 25 {
		t.Errorf("%d assignments, want 25", got)
	}
}
