package tenantadmin_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest/observer"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/tenantadmin"
	"github.com/orgbridge/orgbridge/connectors/tenantadmin/emulator"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
	"github.com/orgbridge/orgbridge/mapping"
)

const (
	testToken    = "adapter-test-token-93kd"
	testTokenEnv = "TENANTADMIN_TEST_TOKEN"
)

type idMap map[string]string

func (m idMap) TargetID(kind mapping.Kind, key string) (string, bool) {
	id, ok := m[string(kind)+"/"+key]
	return id, ok
}

func (m idMap) set(kind mapping.Kind, key, id string) { m[string(kind)+"/"+key] = id }

type fixture struct {
	t    *testing.T
	emu  *emulator.Server
	a    *tenantadmin.Adapter
	ids  idMap
	logs *observer.ObservedLogs
}

// newFixture is the adapter against a demo-users emulator, with retries
// that cost no time and maxRetries of them.
func newFixture(t *testing.T, maxRetries int) *fixture {
	t.Helper()
	emu := emulator.New(emulator.Options{Users: emulator.DemoUsers(), Tokens: []string{testToken}})
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	a, logs := newAdapter(t, ts.URL, maxRetries)
	return &fixture{t: t, emu: emu, a: a, ids: idMap{}, logs: logs}
}

func newAdapter(t *testing.T, baseURL string, maxRetries int) (*tenantadmin.Adapter, *observer.ObservedLogs) {
	t.Helper()
	t.Setenv(testTokenEnv, testToken)
	logger, logs := httpkittest.ObservedLogger()
	a, err := tenantadmin.New(context.Background(), tenantadmin.Config{
		BaseURL: baseURL, Token: config.Secret{Env: testTokenEnv}, PageSize: 2,
		ClientConfig: httpkit.ClientConfig{MaxRetries: &maxRetries},
	}, logger, connectors.WithClock(httpkittest.NewFakeClock(time.Time{})), connectors.WithRetryWait(time.Millisecond, 2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { httpkittest.AssertNoSecret(t, testToken, httpkittest.LogText(logs)) })
	return a, logs
}

func (f *fixture) apply(c connectors.Change) (connectors.Result, error) {
	f.t.Helper()
	res, err := f.a.Apply(context.Background(), c, f.ids)
	if err == nil && c.Action == connectors.ActionCreate && c.Kind == mapping.KindOrg {
		f.ids.set(mapping.KindOrg, c.Key, res.TargetID)
	}
	return res, err
}

func (f *fixture) mustApply(c connectors.Change) connectors.Result {
	f.t.Helper()
	res, err := f.apply(c)
	// A delete of what is gone is done, as the executor counts it.
	if err = connectors.GoneIsDone(c, err); err != nil {
		f.t.Fatalf("Apply(%s %s %s): %v", c.Action, c.Kind, c.Key, err)
	}
	return res
}

func (f *fixture) createOrg(o mapping.Org) string {
	f.t.Helper()
	return f.mustApply(connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: o.Key, Org: &o}).TargetID
}

func (f *fixture) read() *mapping.Snapshot {
	f.t.Helper()
	s, err := f.a.Read(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func member(user, org string, role mapping.Role) *mapping.Membership {
	return &mapping.Membership{UserKey: user, Kind: mapping.KindOrg, ContainerKey: org, Role: role}
}

func memberChange(action connectors.Action, m *mapping.Membership) connectors.Change {
	return connectors.Change{Action: action, Kind: mapping.KindMembership, Key: m.ID(), Membership: m}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Setenv(testTokenEnv, testToken)
	neg, zero := -1, 0
	ok := tenantadmin.Config{BaseURL: "https://acme.example.com", Token: config.Secret{Env: testTokenEnv}}
	tests := []struct {
		name string
		edit func(*tenantadmin.Config)
		want []string // every line of the error, in order; nil: valid
	}{
		{"valid", func(*tenantadmin.Config) {}, nil},
		{"base_url with the API path", func(c *tenantadmin.Config) { c.BaseURL += "/api/admin/" }, nil},
		{"zero retries", func(c *tenantadmin.Config) { c.MaxRetries = &zero }, nil},
		{"no base_url", func(c *tenantadmin.Config) { c.BaseURL = "" }, []string{"base_url: required"}},
		{"relative base_url", func(c *tenantadmin.Config) { c.BaseURL = "acme.example.com" },
			[]string{`base_url: "acme.example.com" is not an absolute http(s) URL`}},
		{"page_size too large", func(c *tenantadmin.Config) { c.PageSize = 101 },
			[]string{"page_size: 101 is not within 1..100 (the API's limit)"}},
		{"negative timeout and retries", func(c *tenantadmin.Config) { c.Timeout = -time.Second; c.MaxRetries = &neg },
			[]string{"timeout: -1s is negative", "max_retries: -1 is negative"}},
		{"token env unset", func(c *tenantadmin.Config) { c.Token = config.Secret{Env: "TENANTADMIN_TEST_UNSET"} },
			[]string{"token: environment variable TENANTADMIN_TEST_UNSET is not set"}},
		{"no token", func(c *tenantadmin.Config) { c.Token = config.Secret{} }, []string{"token: required: set env (an environment variable's name) or file (a path); the secret itself never goes in the config"}},
		{"token from env and file", func(c *tenantadmin.Config) { c.Token.File = "token.txt" }, []string{"token: set only one of env and file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			// No request is made: a transport that is called fails the test.
			_, err := tenantadmin.New(context.Background(), cfg, nil, connectors.WithTransport(failTransport{t}))
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != nil && (err == nil || err.Error() != strings.Join(tt.want, "\n")):
				t.Fatalf("New: %v; want %q", err, strings.Join(tt.want, "\n"))
			}
		})
	}
}

type failTransport struct{ t *testing.T }

func (f failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
	return nil, errors.New("no requests here")
}

func TestCapabilities(t *testing.T) {
	f := newFixture(t, 0)
	c := f.a.Capabilities()
	if !c.Orgs || !c.NestedOrgs || !c.Users || c.CreatesUsers || c.SuspendsUsers || c.Groups || c.GroupMemberships ||
		c.OrgMembershipsInUser || c.UserRef != "user_id" || len(c.Roles) != 2 || len(c.UserAttributes) != 1 || c.UserAttributes[0] != "user_id" {
		t.Errorf("capabilities %+v", c)
	}
}

// TestRevokedTokenIsAClearError: a static token cannot be renewed, so a
// 401 fails at once, not transiently, naming the config key.
func TestRevokedTokenIsAClearError(t *testing.T) {
	f := newFixture(t, 3)
	f.read()
	f.emu.ExpireTokens()
	f.emu.ResetStats()
	_, err := f.a.Read(context.Background())
	if !errors.Is(err, tenantadmin.ErrTokenRefused) || connectors.IsTransient(err) {
		t.Fatalf("Read with a revoked token: %v (transient %v), want ErrTokenRefused", err, connectors.IsTransient(err))
	}
	for _, want := range []string{"401", "tenantadmin.token", "GET /api/admin/organizations"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if n := f.emu.Stats().Requests; n != 1 {
		t.Errorf("%d requests; a refused token is not retried", n)
	}
	o := mapping.Org{Key: "x", Name: "X", Code: "x"}
	if _, err := f.apply(connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: "x", Org: &o}); !errors.Is(err, tenantadmin.ErrTokenRefused) {
		t.Errorf("Apply with a revoked token: %v", err)
	}
	httpkittest.AssertNoSecret(t, testToken, err.Error(), httpkittest.LogText(f.logs))
}

// TestOrgNames: a code that fits is the name; one that does not (or none)
// gives a stable slug, and the code lives in metadata, where Read finds
// it with one GET per such org.
func TestOrgNames(t *testing.T) {
	tests := []struct {
		org  mapping.Org
		want string
	}{
		{mapping.Org{Key: "本社", Code: "HQ"}, "HQ"},
		{mapping.Org{Key: "本社/営業部/第一課", Code: "SALES-1_a"}, "SALES-1_a"},
		{mapping.Org{Key: "本社/開発部", Code: "開発"}, "org-"},
		{mapping.Org{Key: "本社/開発部", Code: "DEV.1"}, "org-"},
		{mapping.Org{Key: "本社/開発部"}, "org-"},
	}
	for _, tt := range tests {
		got := tenantadmin.OrgName(tt.org)
		if tt.want == "org-" {
			if !tenantadmin.IsSlug(got) || got != tenantadmin.OrgName(mapping.Org{Key: tt.org.Key}) {
				t.Errorf("OrgName(%+v) = %q, want the slug of the key", tt.org, got)
			}
		} else if got != tt.want {
			t.Errorf("OrgName(%+v) = %q, want %q", tt.org, got, tt.want)
		}
	}
	if a, b := tenantadmin.OrgName(mapping.Org{Key: "a"}), tenantadmin.OrgName(mapping.Org{Key: "b"}); a == b {
		t.Error("two keys share a slug")
	}

	f := newFixture(t, 0)
	hq := f.createOrg(mapping.Org{Key: "本社", Name: "本社", Code: "HQ", Description: "本社です"})
	dev := f.createOrg(mapping.Org{Key: "本社/開発部", Name: "開発部", Code: "開発", ParentKey: "本社"})
	none := f.createOrg(mapping.Org{Key: "本社/人事部", Name: "人事部", ParentKey: "本社"})
	f.emu.ResetStats()
	snap := f.read()
	want := map[string]mapping.Org{
		hq:   {Key: hq, Name: "本社", Code: "HQ", Description: "本社です"},
		dev:  {Key: dev, Name: "開発部", Code: "開発", ParentKey: hq},
		none: {Key: none, Name: "人事部", ParentKey: hq},
	}
	for _, o := range snap.Orgs {
		if o != want[o.Key] {
			t.Errorf("read %+v, want %+v", o, want[o.Key])
		}
	}
	if n := f.emu.Stats().ByRoute["GET /api/admin/organizations/{id}"]; n != 2 {
		t.Errorf("%d detail GETs, want 2 (the slug-named orgs only)", n)
	}
	st := f.emu.State()
	for _, o := range st.Orgs {
		if o.ID == dev && (o.Metadata["code"] != "開発" || o.Metadata["orgbridge_key"] != "本社/開発部" || o.DisplayName != "開発部") {
			t.Errorf("stored %+v", o)
		}
	}
}

// TestCodeChangeKeepsOthersMetadata: PUT replaces metadata whole, so a
// code change sends what was there with orgbridge's keys updated.
func TestCodeChangeKeepsOthersMetadata(t *testing.T) {
	f := newFixture(t, 0)
	o := mapping.Org{Key: "本社", Name: "本社", Code: "HQ"}
	id := f.createOrg(o)
	if _, err := f.a.Client().UpdateOrg(context.Background(), id, tenantadmin.Fields{"metadata": map[string]any{
		"cost_center": "CC-001", "orgbridge_key": "本社", "code": "HQ"}}); err != nil {
		t.Fatal(err)
	}
	o.Code, o.Name = "本店コード", "本店"
	f.mustApply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: o.Key, TargetID: id, Org: &o,
		Diff: []connectors.FieldChange{{Field: change.FieldName, Old: "本社", New: "本店"}, {Field: change.FieldCode, Old: "HQ", New: "本店コード"}}})
	got := f.emu.State().Orgs[0]
	if got.Name != tenantadmin.OrgName(o) || got.DisplayName != "本店" || got.Metadata["cost_center"] != "CC-001" || got.Metadata["code"] != "本店コード" {
		t.Errorf("after the code change %+v", got)
	}
	if snap := f.read(); snap.Orgs[0].Code != "本店コード" {
		t.Errorf("read code %q", snap.Orgs[0].Code)
	}
	// An update of another field reads the organization and sends it
	// whole with that field changed: what others put there stays.
	f.emu.ResetStats()
	o.Description = "説明"
	f.mustApply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: o.Key, TargetID: id, Org: &o,
		Diff: []connectors.FieldChange{{Field: change.FieldDescription, New: "説明"}}})
	st := f.emu.Stats()
	got = f.emu.State().Orgs[0]
	if st.Requests != 2 || st.ByRoute["GET /api/admin/organizations/{id}"] != 1 || st.ByRoute["PUT /api/admin/organizations/{id}"] != 1 {
		t.Errorf("a description change took %v, want one GET and one PUT", st.ByRoute)
	}
	if got.Description != "説明" || got.Metadata["cost_center"] != "CC-001" || got.Metadata["code"] != "本店コード" || got.DisplayName != "本店" {
		t.Errorf("after the description change %+v", got)
	}
	if _, err := f.apply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: o.Key, TargetID: id, Org: &o,
		Diff: []connectors.FieldChange{{Field: change.TargetSetting("colour")}}}); err == nil || !strings.Contains(err.Error(), `"colour"`) {
		t.Errorf("unknown diff field: %v", err)
	}
}

func TestMemberships(t *testing.T) {
	f := newFixture(t, 0)
	f.createOrg(mapping.Org{Key: "hq", Name: "本社", Code: "HQ"})
	f.ids.set(mapping.KindUser, "1001", "usr_1001")
	f.ids.set(mapping.KindUser, "1099", "usr_1099") // not a user of the tenant

	m := member("1001", "hq", mapping.RoleMember)
	res := f.mustApply(memberChange(connectors.ActionCreate, m))
	if want := "org:" + f.ids["org/hq"] + "/usr_1001"; res.TargetID != want {
		t.Errorf("TargetID %q, want %q", res.TargetID, want)
	}
	// Added again (a POST whose answer was lost): 409, counted as done.
	f.mustApply(memberChange(connectors.ActionCreate, m))

	// A role change: remove and add back.
	f.emu.ResetStats()
	m.Role = mapping.RoleAdmin
	f.mustApply(memberChange(connectors.ActionUpdate, m))
	st := f.emu.Stats()
	if st.ByRoute["DELETE /api/admin/organizations/{id}/members/{userId}"] != 1 || st.ByRoute["POST /api/admin/organizations/{id}/members"] != 1 {
		t.Errorf("role change took %v", st.ByRoute)
	}
	snap := f.read()
	if len(snap.Memberships) != 1 || snap.Memberships[0].Role != mapping.RoleAdmin || len(snap.Users) != 1 ||
		snap.Users[0].Name != "山田 太郎" || snap.Users[0].Email != "taro.yamada@example.co.jp" || snap.Users[0].Attributes["user_id"] != "usr_1001" {
		t.Errorf("read %+v", snap)
	}

	// A user_id the tenant does not know: the API's 422 on user_id.
	_, err := f.apply(memberChange(connectors.ActionCreate, member("1099", "hq", mapping.RoleMember)))
	var fe *connectors.FieldError
	if !errors.As(err, &fe) || fe.Fields["user_id"] == nil {
		t.Errorf("unknown user_id: %v, want a FieldError on user_id", err)
	}
	// A user the planner gave no user_id: unresolved, nothing sent.
	f.emu.ResetStats()
	_, err = f.apply(memberChange(connectors.ActionCreate, member("1002", "hq", mapping.RoleMember)))
	if !errors.Is(err, connectors.ErrUnresolved) || !strings.Contains(err.Error(), "user_id") {
		t.Errorf("user without user_id: %v", err)
	}
	_, err = f.apply(memberChange(connectors.ActionCreate, member("1001", "nowhere", mapping.RoleMember)))
	if !errors.Is(err, connectors.ErrUnresolved) {
		t.Errorf("unknown org: %v", err)
	}
	if n := f.emu.Stats().Requests; n != 0 {
		t.Errorf("%d requests for unresolved changes", n)
	}

	f.mustApply(memberChange(connectors.ActionDelete, m))
	f.mustApply(memberChange(connectors.ActionDelete, m)) // already gone
	if len(f.read().Memberships) != 0 {
		t.Error("membership not removed")
	}
	g := &mapping.Membership{UserKey: "1001", Kind: mapping.KindGroup, ContainerKey: "g", Role: mapping.RoleMember}
	if _, err := f.apply(memberChange(connectors.ActionCreate, g)); err == nil {
		t.Error("a group membership was accepted")
	}
}

// TestDeleteOrgNeverTakesChildren: the hierarchy is checked before the
// DELETE, whatever the server would do with a subtree.
func TestDeleteOrgNeverTakesChildren(t *testing.T) {
	f := newFixture(t, 0)
	hq := f.createOrg(mapping.Org{Key: "hq", Name: "本社", Code: "HQ"})
	child, err := f.a.Client().CreateOrg(context.Background(), tenantadmin.Fields{"name": "Unmanaged", "display_name": "誰かの組織", "parent_id": hq})
	if err != nil {
		t.Fatal(err)
	}
	f.emu.ResetStats()
	_, err = f.apply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindOrg, Key: "hq", TargetID: hq})
	if !errors.Is(err, connectors.ErrConflict) || !strings.Contains(err.Error(), child.ID) || !strings.Contains(err.Error(), "誰かの組織") {
		t.Errorf("delete with a child: %v", err)
	}
	if w := f.emu.Stats().Writes; w != 0 {
		t.Errorf("%d writes: the DELETE was sent", w)
	}
	if err := f.a.Client().DeleteOrg(context.Background(), child.ID); err != nil {
		t.Fatal(err)
	}
	f.mustApply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindOrg, Key: "hq", TargetID: hq})
	f.mustApply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindOrg, Key: "hq", TargetID: hq}) // gone
	if len(f.emu.State().Orgs) != 0 {
		t.Error("org not deleted")
	}
}

func TestOrgMoves(t *testing.T) {
	f := newFixture(t, 0)
	f.createOrg(mapping.Org{Key: "a", Name: "A", Code: "a"})
	b := mapping.Org{Key: "b", Name: "B", Code: "b", ParentKey: "a"}
	bid := f.createOrg(b)
	_, err := f.apply(connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: "c",
		Org: &mapping.Org{Key: "c", Name: "C", ParentKey: "nowhere"}})
	if !errors.Is(err, connectors.ErrUnresolved) {
		t.Errorf("unknown parent: %v", err)
	}
	b.ParentKey = ""
	f.mustApply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "b", TargetID: bid, Org: &b,
		Diff: []connectors.FieldChange{{Field: change.FieldParent, Old: "a"}}})
	for _, o := range f.read().Orgs {
		if o.ParentKey != "" {
			t.Errorf("%s still has parent %s", o.Key, o.ParentKey)
		}
	}
	// A move below itself is the API's 422.
	a := mapping.Org{Key: "a", Name: "A", Code: "a", ParentKey: "b"}
	f.mustApply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "a", TargetID: f.ids["org/a"], Org: &a,
		Diff: []connectors.FieldChange{{Field: change.FieldParent, New: "b"}}})
	b.ParentKey = "a"
	_, err = f.apply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "b", TargetID: bid, Org: &b,
		Diff: []connectors.FieldChange{{Field: change.FieldParent, New: "a"}}})
	var fe *connectors.FieldError
	if !errors.As(err, &fe) || fe.Fields["parent_id"] == nil {
		t.Errorf("a cycle: %v", err)
	}
}

func TestUsersAreNotWritten(t *testing.T) {
	f := newFixture(t, 0)
	u := mapping.User{Key: "1001", Name: "山田 太郎", Attributes: map[string]string{"user_id": "usr_1001"}}
	_, err := f.apply(connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindUser, Key: u.Key, User: &u})
	if err == nil || !strings.Contains(err.Error(), "user_id") {
		t.Errorf("user create: %v", err)
	}
	if f.emu.Stats().Requests != 0 {
		t.Error("a user change made a request")
	}
}

// TestReadSkipsEmptyOrgs: member_count 0 saves the member list request.
func TestReadSkipsEmptyOrgs(t *testing.T) {
	f := newFixture(t, 0)
	for i := range 5 {
		f.createOrg(mapping.Org{Key: fmt.Sprint(i), Name: fmt.Sprintf("組織%d", i), Code: fmt.Sprintf("o%d", i)})
	}
	f.ids.set(mapping.KindUser, "1001", "usr_1001")
	f.mustApply(memberChange(connectors.ActionCreate, member("1001", "3", mapping.RoleMember)))
	f.emu.ResetStats()
	snap := f.read()
	st := f.emu.Stats()
	if st.ByRoute["GET /api/admin/organizations/{id}/members"] != 1 || st.ByRoute["GET /api/admin/organizations"] != 3 {
		t.Errorf("requests %v; want 3 org pages of 2 and one member list", st.ByRoute)
	}
	if len(snap.Orgs) != 5 || len(snap.Memberships) != 1 {
		t.Errorf("read %+v", snap)
	}
}

func TestTransientFaults(t *testing.T) {
	f := newFixture(t, 1)
	f.emu.SetFaults(emulator.Faults{Rate5xx: 1, Seed: 7})
	_, err := f.a.Read(context.Background())
	if !connectors.IsTransient(err) {
		t.Errorf("Read under 5xx: %v, want transient", err)
	}
	o := mapping.Org{Key: "x", Name: "X", Code: "x"}
	f.emu.ResetStats()
	_, err = f.apply(connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: "x", Org: &o})
	if !connectors.IsTransient(err) {
		t.Errorf("create under 5xx: %v, want transient", err)
	}
}

// TestPacedUnderAnAnnouncedLimit: the document has no rate limit, but a
// server that announces one in X-RateLimit-* headers is paced (on a fake
// clock shared with the emulator), so a run meets no 429.
func TestPacedUnderAnAnnouncedLimit(t *testing.T) {
	clock := httpkittest.NewFakeClock(time.Time{})
	emu := emulator.New(emulator.Options{Options: emukit.Options{RateLimit: 10, Now: clock.Now}, Tokens: []string{testToken}})
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	t.Setenv(testTokenEnv, testToken)
	a, err := tenantadmin.New(context.Background(), tenantadmin.Config{BaseURL: ts.URL, Token: config.Secret{Env: testTokenEnv}},
		nil, connectors.WithClock(clock), connectors.WithRetryWait(time.Millisecond, 2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		o := mapping.Org{Key: fmt.Sprint(i), Name: fmt.Sprint("組織", i), Code: fmt.Sprint("o", i)}
		if _, err := a.Apply(context.Background(), connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: o.Key, Org: &o}, idMap{}); err != nil {
			t.Fatal(err)
		}
	}
	if st := emu.Stats(); st.RateLimited != 0 || len(emu.State().Orgs) != 25 {
		t.Errorf("%d requests refused by the limit, %d orgs", st.RateLimited, len(emu.State().Orgs))
	}
	if n, _ := clock.Sleeps(); n == 0 {
		t.Error("the pacer never waited")
	}
}
