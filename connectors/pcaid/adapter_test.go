package pcaid_test

import (
	"context"
	"errors"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zaptest/observer"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/pcaid"
	"github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
	"github.com/orgbridge/orgbridge/mapping"
)

const (
	testClientID  = "adapter-test-client"
	testSecret    = "adapter-test-secret/+&="
	testSecretEnv = "PCAID_ADAPTER_TEST_SECRET"
)

// env is an adapter against an in-process emulator sharing a fake clock;
// calls records every request the adapter made ("POST /users").
type env struct {
	t     *testing.T
	emu   *emulator.Server
	srv   *httptest.Server
	clock *httpkittest.FakeClock
	a     *pcaid.Adapter
	logs  *observer.ObservedLogs
	calls *recorder
	ids   idMap
}

type recorder struct {
	mu    sync.Mutex
	calls []string
	next  http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.calls = append(r.calls, req.Method+" "+strings.TrimPrefix(req.URL.Path, emulator.Prefix))
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// take returns the calls so far (token calls left out) and forgets them.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.calls {
		if !strings.HasSuffix(c, emulator.TokenPath) {
			out = append(out, c)
		}
	}
	r.calls = nil
	return out
}

type idMap map[string]string

func (m idMap) TargetID(kind mapping.Kind, key string) (string, bool) {
	id, ok := m[string(kind)+"/"+key]
	return id, ok
}

func newEnv(t *testing.T, opts emulator.Options, edit func(*pcaid.Config), extra ...pcaid.Option) *env {
	t.Helper()
	clock := httpkittest.NewFakeClock(time.Time{})
	opts.Now = clock.Now
	emu := emulator.New(opts)
	emu.AddClient(testClientID, testSecret)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Setenv(testSecretEnv, testSecret)
	retries := 3
	cfg := pcaid.Config{
		OAuthConfig:  httpkit.OAuthConfig{BaseURL: srv.URL + emulator.Prefix, ClientID: testClientID, ClientSecret: config.Secret{Env: testSecretEnv}},
		ClientConfig: httpkit.ClientConfig{MaxRetries: &retries},
	}
	if edit != nil {
		edit(&cfg)
	}
	rec := &recorder{next: http.DefaultTransport}
	logger, logs := httpkittest.ObservedLogger()
	a, err := pcaid.New(context.Background(), cfg, logger, append([]pcaid.Option{
		pcaid.WithClock(clock), pcaid.WithRetryWait(time.Millisecond, 2*time.Millisecond), pcaid.WithTransport(rec),
	}, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { httpkittest.AssertNoSecret(t, testSecret, httpkittest.LogText(logs)) })
	return &env{t: t, emu: emu, srv: srv, clock: clock, a: a, logs: logs, calls: rec, ids: idMap{}}
}

// apply applies c and records the id of a create under its key.
func (e *env) apply(c connectors.Change) connectors.Result {
	e.t.Helper()
	res, err := e.a.Apply(context.Background(), c, e.ids)
	// A delete of what is gone is done, as the executor counts it.
	if err = connectors.GoneIsDone(c, err); err != nil {
		e.t.Fatalf("Apply(%s %s %s): %v", c.Action, c.Kind, c.Key, err)
	}
	if c.Action == connectors.ActionCreate && c.Kind != mapping.KindMembership {
		e.ids[string(c.Kind)+"/"+c.Key] = res.TargetID
	}
	return res
}

func (e *env) id(kind mapping.Kind, key string) string { return e.ids[string(kind)+"/"+key] }

func createUser(u mapping.User) connectors.Change {
	return connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindUser, Key: u.Key, User: &u}
}

func createGroup(g mapping.Group) connectors.Change {
	return connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindGroup, Key: g.Key, Group: &g}
}

func member(action connectors.Action, user, group string, role mapping.Role) connectors.Change {
	m := mapping.Membership{UserKey: user, Kind: mapping.KindGroup, ContainerKey: group, Role: role}
	return connectors.Change{Action: action, Kind: mapping.KindMembership, Key: m.ID(), Membership: &m}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Setenv(testSecretEnv, testSecret)
	neg := -1
	valid := pcaid.Config{OAuthConfig: httpkit.OAuthConfig{BaseURL: "https://pcaid.example/api/orgs/v1", ClientID: "c", ClientSecret: config.Secret{Env: testSecretEnv}}}
	tests := []struct {
		name string
		edit func(*pcaid.Config)
		want []string
	}{
		{"base_url missing", func(c *pcaid.Config) { c.BaseURL = "" }, []string{"base_url: required"}},
		{"base_url relative", func(c *pcaid.Config) { c.BaseURL = "/api/orgs/v1" }, []string{`base_url: "/api/orgs/v1" is not an absolute http(s) URL`}},
		{"token_url bad", func(c *pcaid.Config) { c.TokenURL = "ftp://x/token" }, []string{`token_url: "ftp://x/token" is not an absolute http(s) URL`}},
		{"client_id missing", func(c *pcaid.Config) { c.ClientID = "" }, []string{"client_id: required"}},
		{"secret unset", func(c *pcaid.Config) { c.ClientSecret.Env = "PCAID_UNSET_FOR_TEST" }, []string{"client_secret: environment variable PCAID_UNSET_FOR_TEST is not set"}},
		{"scope with a space", func(c *pcaid.Config) { c.Scopes = []string{"users services"} }, []string{`scopes[0]: "users services" is not a scope token`}},
		{"page_size", func(c *pcaid.Config) { c.PageSize = 101 }, []string{"page_size: 101 is not within 1..100"}},
		{"import_poll", func(c *pcaid.Config) { c.ImportPoll = -time.Second }, []string{"import_poll: -1s is negative"}},
		{"timeout", func(c *pcaid.Config) { c.Timeout = -time.Second }, []string{"timeout: -1s is negative"}},
		{"max_retries", func(c *pcaid.Config) { c.MaxRetries = &neg }, []string{"max_retries: -1 is negative"}},
		{"several at once", func(c *pcaid.Config) { c.ClientID, c.PageSize = "", -1 }, []string{"client_id: required", "page_size: -1 is not within 1..100"}},
	}
	noNetwork := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("New made a request: %s %s", r.Method, r.URL)
		return nil, errors.New("no network in New")
	})
	for _, tt := range tests {
		cfg := valid
		tt.edit(&cfg)
		_, err := pcaid.New(context.Background(), cfg, nil, pcaid.WithTransport(noNetwork))
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
			continue
		}
		if got := strings.Split(err.Error(), "\n"); !cmp.Equal(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	a, err := pcaid.New(context.Background(), valid, nil, pcaid.WithTransport(noNetwork))
	if err != nil {
		t.Fatal(err)
	}
	if a.MinBatch() != pcaid.DefaultImportThreshold {
		t.Errorf("MinBatch %d, want %d", a.MinBatch(), pcaid.DefaultImportThreshold)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The token URL defaults to the base URL's host + /oauth2/token; a
// configured one is used as it is. Client authentication is HTTP Basic.
func TestTokenURL(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	if _, err := e.a.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	var sawBasic bool
	emu := e.emu
	mux := http.NewServeMux()
	mux.HandleFunc("/auth/token", func(w http.ResponseWriter, r *http.Request) {
		_, _, sawBasic = r.BasicAuth()
		r.URL.Path = emulator.TokenPath
		emu.ServeHTTP(w, r)
	})
	mux.Handle("/", emu)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	e2 := newEnv(t, emulator.Options{}, func(c *pcaid.Config) {
		c.BaseURL, c.TokenURL = srv.URL+emulator.Prefix, srv.URL+"/auth/token"
	})
	if _, err := e2.a.Read(context.Background()); err != nil {
		t.Fatalf("Read through a configured token URL: %v", err)
	}
	if !sawBasic {
		t.Error("the token request did not use HTTP Basic")
	}
}

func TestBadSecretIsAClearError(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	const wrong = "wrong-secret-value"
	t.Setenv("PCAID_WRONG_SECRET", wrong)
	logger, logs := httpkittest.ObservedLogger()
	a, err := pcaid.New(context.Background(), pcaid.Config{
		OAuthConfig: httpkit.OAuthConfig{BaseURL: e.srv.URL + emulator.Prefix, ClientID: testClientID, ClientSecret: config.Secret{Env: "PCAID_WRONG_SECRET"}},
	}, logger)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Read(context.Background())
	if err == nil || connectors.IsTransient(err) || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "client authentication failed") {
		t.Fatalf("Read with a wrong secret: %v; want a permanent error naming 401 and the client authentication", err)
	}
	httpkittest.AssertNoSecret(t, wrong, err.Error(), httpkittest.LogText(logs))
}

func TestRead(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	e.apply(createUser(mapping.User{Key: "taro", Name: "山田 太郎", Email: "taro@example.com", Attributes: map[string]string{
		"employee_number": "1001", "department": "営業部", "admin": "true"}}))
	e.apply(createUser(mapping.User{Key: "hana", Name: "佐藤 花子", Email: "hana@example.com", Suspended: true}))
	e.apply(createGroup(mapping.Group{Key: "kaikei", Name: "会計", Code: "acc", Description: "会計区画"}))
	e.apply(member(connectors.ActionCreate, "taro", "kaikei", mapping.RoleAdmin))
	e.apply(member(connectors.ActionCreate, "hana", "kaikei", mapping.RoleMember))

	got, err := e.a.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	taro, hana, sp := e.id(mapping.KindUser, "taro"), e.id(mapping.KindUser, "hana"), e.id(mapping.KindGroup, "kaikei")
	want := &mapping.Snapshot{
		Users: []mapping.User{
			{Key: taro, Name: "山田 太郎", Email: "taro@example.com", Attributes: map[string]string{
				"employee_number": "1001", "department": "営業部", "position": "", "admin": "true"}},
			{Key: hana, Name: "佐藤 花子", Email: "hana@example.com", Suspended: true, Attributes: map[string]string{
				"employee_number": "", "department": "", "position": "", "admin": "false"}},
		},
		Groups: []mapping.Group{{Key: sp, Name: "会計", Code: "acc", Description: "会計区画"}},
		Memberships: []mapping.Membership{
			{UserKey: taro, Kind: mapping.KindGroup, ContainerKey: sp, Role: mapping.RoleAdmin},
			{UserKey: hana, Kind: mapping.KindGroup, ContainerKey: sp, Role: mapping.RoleMember},
		},
	}
	want.Sort()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
	// taro: create, admin; hana: create, suspend; a partition; taro joins
	// and becomes manager; hana joins.
	if w := e.emu.Stats().Writes; w != 8 {
		t.Errorf("%d writes; Read must add none to the 8 of the setup", w)
	}
}

// Apply's calls for each change, in order: what POST /users does not
// take goes through the role and lifecycle endpoints; a user coming back
// is unsuspended first, one leaving suspended last; a PUT is preceded by
// a GET of the user, whose other fields it carries.
func TestApplyUserCalls(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	u := mapping.User{Key: "k", Name: "山田", Email: "k@example.com", Suspended: true,
		Attributes: map[string]string{"admin": "true", "position": "課長"}}
	e.apply(createUser(u))
	id := e.id(mapping.KindUser, "k")
	steps := []struct {
		name   string
		change connectors.Change
		calls  []string
	}{
		{"create", connectors.Change{}, []string{"POST /users", "POST /users/" + id + "/admin_roles", "POST /users/" + id + "/lifecycle/suspend"}},
		{"come back, lose admin, clear position", update(id, mapping.User{Key: "k", Name: "山田", Email: "k@example.com",
			Attributes: map[string]string{"admin": "false", "position": ""}}, "suspended", "admin", "position"),
			[]string{"POST /users/" + id + "/lifecycle/unsuspend", "GET /users/" + id, "PUT /users/" + id, "POST /users/" + id + "/admin_roles/unassign"}},
		{"rename and leave", update(id, mapping.User{Key: "k", Name: "山田 一郎", Email: "k@example.com", Suspended: true}, "name", "suspended"),
			[]string{"GET /users/" + id, "PUT /users/" + id, "POST /users/" + id + "/lifecycle/suspend"}},
		{"suspend", connectors.Change{Action: connectors.ActionSuspend, Kind: mapping.KindUser, Key: "k", TargetID: id},
			[]string{"POST /users/" + id + "/lifecycle/suspend"}},
		{"delete", connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindUser, Key: "k", TargetID: id},
			[]string{"POST /users/" + id + "/remove"}},
		{"delete again", connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindUser, Key: "k", TargetID: id},
			[]string{"POST /users/" + id + "/remove"}},
	}
	for i, st := range steps {
		if i > 0 {
			e.apply(st.change)
		}
		if got := e.calls.take(); !cmp.Equal(got, st.calls) {
			t.Errorf("%s: calls %q, want %q", st.name, got, st.calls)
		}
	}
}

func update(id string, u mapping.User, fields ...string) connectors.Change {
	c := connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindUser, Key: u.Key, TargetID: id, User: &u}
	for _, f := range fields {
		c.Diff = append(c.Diff, connectors.FieldChange{Field: change.ParseField(mapping.KindUser, f)})
	}
	return c
}

func TestApplyUserUpdateLandsOnTheUser(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	e.apply(createUser(mapping.User{Key: "k", Name: "A", Email: "a@example.com", Attributes: map[string]string{"department": "営業部"}}))
	id := e.id(mapping.KindUser, "k")
	e.apply(update(id, mapping.User{Key: "k", Name: "B", Email: "b@example.com", Attributes: map[string]string{
		"department": "", "employee_number": "77", "admin": "true"}}, "name", "email", "department", "employee_number", "admin"))
	u := e.emu.State().Users[0]
	if u.Name != "B" || u.Email != "b@example.com" || u.Department != nil || *u.EmployeeNumber != "77" || len(u.AdminRoles) != 1 {
		t.Errorf("after update: %+v", u)
	}
}

func TestApplyRefusesWhatPcaidCannotKeep(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	org := mapping.Org{Key: "hq", Name: "本社"}
	orgMember := mapping.Membership{UserKey: "u", Kind: mapping.KindOrg, ContainerKey: "hq", Role: mapping.RoleMember}
	tests := []struct {
		name   string
		change connectors.Change
		want   string
		is     error
	}{
		{"login id", createUser(mapping.User{Key: "u", Name: "U", Email: "u@example.com", LoginID: "u1"}), "login_id", nil},
		{"login id in a diff", update("acc_aaaaaaaaaaaaaaaaaaaa", mapping.User{Key: "u", Name: "U"}, "login_id"), "login_id", nil},
		{"unknown attribute", createUser(mapping.User{Key: "u", Name: "U", Email: "u@example.com", Attributes: map[string]string{"license": "basic"}}), `attribute "license"`, nil},
		{"admin not a boolean", createUser(mapping.User{Key: "u", Name: "U", Email: "u@example.com", Attributes: map[string]string{"admin": "yes"}}), `admin: "yes"`, nil},
		{"an org", connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: "hq", Org: &org}, "no orgs", nil},
		{"an org membership", connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindMembership, Key: orgMember.ID(), Membership: &orgMember}, "service partitions", nil},
		{"unresolved member", member(connectors.ActionCreate, "nobody", "nothing", mapping.RoleMember), "nobody", connectors.ErrUnresolved},
		{"update without id", update("", mapping.User{Key: "u", Name: "U"}, "name"), "target id", connectors.ErrUnresolved},
	}
	for _, tt := range tests {
		_, err := e.a.Apply(context.Background(), tt.change, e.ids)
		if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
			t.Errorf("%s: %v; want an error naming %q", tt.name, err, tt.want)
		}
	}
	if w := e.emu.Stats().Writes; w != 0 {
		t.Errorf("%d writes for refused changes", w)
	}
}

func TestApplyValidationErrorNamesTheField(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	_, err := e.a.Apply(context.Background(), createUser(mapping.User{Key: "u", Name: "U", Email: "not-an-email"}), e.ids)
	var fe *connectors.FieldError
	if !errors.As(err, &fe) || fe.Fields["email"] == nil || connectors.IsTransient(err) {
		t.Fatalf("bad email: %v (%T), want a FieldError on email", err, err)
	}
}

func TestApplyGroupsAndMemberships(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	e.apply(createUser(mapping.User{Key: "u", Name: "U", Email: "u@example.com"}))
	e.apply(createGroup(mapping.Group{Key: "g", Name: "会計", Code: "acc"}))
	uid, sp := e.id(mapping.KindUser, "u"), e.id(mapping.KindGroup, "g")
	e.calls.take()

	g := mapping.Group{Key: "g", Name: "経理", Code: "acc", OrgKey: "ignored"}
	e.apply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindGroup, Key: "g", TargetID: sp, Group: &g,
		Diff: []connectors.FieldChange{{Field: change.FieldName}, {Field: change.FieldOrg}}})
	res := e.apply(member(connectors.ActionCreate, "u", "g", mapping.RoleAdmin))
	if want := "group:" + sp + "/" + uid; res.TargetID != want {
		t.Errorf("membership result %q, want %q", res.TargetID, want)
	}
	e.apply(member(connectors.ActionUpdate, "u", "g", mapping.RoleMember))
	e.apply(member(connectors.ActionDelete, "u", "g", mapping.RoleMember))
	e.apply(member(connectors.ActionDelete, "u", "g", mapping.RoleMember))
	e.apply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindGroup, Key: "g", TargetID: sp})
	e.apply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindGroup, Key: "g", TargetID: sp})
	want := []string{
		"POST /organizations/service_partition",
		"POST /users/" + uid + "/service_partitions", "POST /users/" + uid + "/sp_manager_roles",
		// The first demotion checks that role member took.
		"POST /users/" + uid + "/sp_manager_roles", "GET /organizations/service_partition/users",
		"POST /users/" + uid + "/service_partitions/remove", "POST /users/" + uid + "/service_partitions/remove",
		"POST /organizations/service_partition/remove", "POST /organizations/service_partition/remove",
	}
	if got := e.calls.take(); !cmp.Equal(got, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st := e.emu.State(); len(st.Partitions) != 0 {
		t.Errorf("partitions left: %+v", st.Partitions)
	}
}

// A membership of a user removed meanwhile is already gone.
func TestRemovingAMembershipOfAGoneUser(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	e.apply(createUser(mapping.User{Key: "u", Name: "U", Email: "u@example.com"}))
	e.apply(createGroup(mapping.Group{Key: "g", Name: "会計"}))
	e.apply(member(connectors.ActionCreate, "u", "g", mapping.RoleMember))
	e.apply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindUser, Key: "u", TargetID: e.id(mapping.KindUser, "u")})
	if _, err := e.a.Apply(context.Background(), member(connectors.ActionDelete, "u", "g", mapping.RoleMember), e.ids); err != nil && !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("removing a gone user's membership: %v; want done or ErrNotFound (done for the executor)", err)
	}
}

func TestTransientErrors(t *testing.T) {
	e := newEnv(t, emulator.Options{}, func(c *pcaid.Config) { zero := 0; c.MaxRetries = &zero })
	if _, err := e.a.Read(context.Background()); err != nil { // a token first
		t.Fatal(err)
	}
	e.emu.SetFaults(emulator.Faults{Rate5xx: 1})
	_, err := e.a.Apply(context.Background(), createUser(mapping.User{Key: "u", Name: "U", Email: "u@example.com"}), e.ids)
	if !connectors.IsTransient(err) {
		t.Errorf("a 5xx: %v, want transient", err)
	}
	if !strings.Contains(err.Error(), "POST /api/orgs/v1/users") {
		t.Errorf("%q does not name the call", err)
	}
}
