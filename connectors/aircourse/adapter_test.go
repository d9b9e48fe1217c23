package aircourse

import (
	"context"
	"errors"
	"fmt"
	"maps"
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
	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/httpkit/httpkittest"
	"github.com/orgbridge/orgbridge/mapping"
)

// env is an adapter against an in-process emulator sharing a fake clock,
// and the ids of what the test created (the scheduler's part).
type env struct {
	t     *testing.T
	emu   *emulator.Server
	clock *httpkittest.FakeClock
	a     *Adapter
	logs  *observer.ObservedLogs

	mu  sync.Mutex
	ids map[string]string // "kind/key" → target id
}

func newEnv(t *testing.T, opts emulator.Options, edit func(*Config)) *env {
	t.Helper()
	clock := httpkittest.NewFakeClock(time.Time{})
	opts.Now = clock.Now
	emu := emulator.New(opts)
	emu.AddClient(testClientID, testSecret)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)

	cfg := testConfig(t, ts.URL)
	retries := 5
	cfg.MaxRetries = &retries
	if edit != nil {
		edit(&cfg)
	}
	logger, logs := httpkittest.ObservedLogger()
	a, err := New(context.Background(), cfg, logger,
		connectors.WithClock(clock), connectors.WithRetryWait(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, emu: emu, clock: clock, a: a, logs: logs, ids: map[string]string{}}
	t.Cleanup(func() { httpkittest.AssertNoSecret(t, testSecret, httpkittest.LogText(logs)) })
	return e
}

func (e *env) TargetID(kind mapping.Kind, key string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id, ok := e.ids[string(kind)+"/"+key]
	return id, ok
}

func (e *env) id(kind mapping.Kind, key string) string {
	e.t.Helper()
	id, ok := e.TargetID(kind, key)
	if !ok {
		e.t.Fatalf("no id for %s %s", kind, key)
	}
	return id
}

// try applies c, recording the id of a created object.
func (e *env) try(c connectors.Change) (connectors.Result, error) {
	res, err := e.a.Apply(context.Background(), c, e)
	if err == nil && c.Action == connectors.ActionCreate && c.Kind != mapping.KindMembership {
		e.mu.Lock()
		e.ids[string(c.Kind)+"/"+c.Key] = res.TargetID
		e.mu.Unlock()
	}
	return res, err
}

func (e *env) apply(c connectors.Change) connectors.Result {
	e.t.Helper()
	res, err := e.try(c)
	// A delete of what is gone is done, as the executor counts it.
	if err = connectors.GoneIsDone(c, err); err != nil {
		e.t.Fatalf("apply %s %s %s: %v", c.Action, c.Kind, c.Key, err)
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

// toTarget rewrites a snapshot written with source keys into target ids.
func (e *env) toTarget(s mapping.Snapshot) *mapping.Snapshot {
	e.t.Helper()
	ref := func(kind mapping.Kind, key string) string {
		if key == "" {
			return ""
		}
		return e.id(kind, key)
	}
	out := &mapping.Snapshot{}
	for _, o := range s.Orgs {
		o.Key, o.ParentKey = ref("org", o.Key), ref("org", o.ParentKey)
		out.Orgs = append(out.Orgs, o)
	}
	for _, u := range s.Users {
		u.Key = ref("user", u.Key)
		out.Users = append(out.Users, u)
	}
	for _, g := range s.Groups {
		g.Key, g.OrgKey = ref("group", g.Key), ref("org", g.OrgKey)
		out.Groups = append(out.Groups, g)
	}
	for _, m := range s.Memberships {
		m.UserKey, m.ContainerKey = ref("user", m.UserKey), ref(m.Kind, m.ContainerKey)
		out.Memberships = append(out.Memberships, m)
	}
	out.Sort()
	return out
}

// check compares a Read with want, less the root organization, which Read
// reports once as a System org.
func (e *env) check(want mapping.Snapshot) {
	e.t.Helper()
	got := e.read()
	var orgs []mapping.Org
	roots := 0
	for _, o := range got.Orgs {
		if o.System {
			roots++
			if o.Key != e.emu.RootOrgID() || o.ParentKey != "" {
				e.t.Errorf("Read: system org %+v is not the root", o)
			}
			continue
		}
		orgs = append(orgs, o)
	}
	if roots != 1 {
		e.t.Errorf("Read: %d system orgs, want the root once", roots)
	}
	got.Orgs = orgs
	if diff := cmp.Diff(e.toTarget(want), got); diff != "" {
		e.t.Errorf("Read (-want +got):\n%s", diff)
	}
}

// attrs is every AirCourse attribute as Read reports it: the defaults, with
// overrides.
// attrs is a read user's attributes: the emulator's defaults and kv, a
// field without a value left out (as Read leaves it out).
func attrs(kv ...string) map[string]string {
	m := map[string]string{"license": "free", "role": "user", "hasAiKnowledgeLicense": "0", "isEnabledPasswordLogin": "false"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	maps.DeleteFunc(m, func(_, v string) bool { return v == "" })
	return m
}

func orgMember(user, org string, r mapping.Role) mapping.Membership {
	return mapping.Membership{UserKey: user, Kind: mapping.KindOrg, ContainerKey: org, Role: r}
}

func groupMember(user, group string, r mapping.Role) mapping.Membership {
	return mapping.Membership{UserKey: user, Kind: mapping.KindGroup, ContainerKey: group, Role: r}
}

func createOrg(o mapping.Org) connectors.Change {
	return connectors.Change{Action: "create", Kind: "org", Key: o.Key, Org: &o}
}

func createUser(u mapping.User, orgs ...mapping.Membership) connectors.Change {
	if orgs == nil {
		orgs = []mapping.Membership{}
	}
	return connectors.Change{Action: "create", Kind: "user", Key: u.Key, User: &u, OrgMemberships: orgs}
}

func createGroup(g mapping.Group) connectors.Change {
	return connectors.Change{Action: "create", Kind: "group", Key: g.Key, Group: &g}
}

func membership(action connectors.Action, m mapping.Membership) connectors.Change {
	return connectors.Change{Action: action, Kind: "membership", Key: m.ID(), Membership: &m}
}

func TestAdapterLifecycle(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{RateLimit: -1}}, nil)

	// Create: an org tree, users with their orgs in one call each, a group
	// with members.
	hq := mapping.Org{Key: "hq", Name: "本社", Code: "hq"}
	dev := mapping.Org{Key: "dev", Name: "開発部", Code: "dev", Description: "開発"}
	sales := mapping.Org{Key: "sales", Name: "営業部", Code: "sales", ParentKey: "hq"}
	sales1 := mapping.Org{Key: "sales1", Name: "第一課", Code: "sales1", ParentKey: "sales"}
	for _, o := range []mapping.Org{hq, dev, sales, sales1} {
		e.apply(createOrg(o))
	}
	u1 := mapping.User{Key: "u1", Name: "山田太郎", LoginID: "yamada", Email: "yamada@example.com",
		Attributes: map[string]string{"userNumber": "0001", "department": "営業部", "gender": "0", "birthday": "1981-01-01"}}
	u2 := mapping.User{Key: "u2", Name: "佐藤花子", Email: "sato@example.com",
		Attributes: map[string]string{"license": "basic", "role": "manager", "gender": "1"}}
	u3 := mapping.User{Key: "u3", Name: "鈴木一郎", LoginID: "suzuki"}
	u4 := mapping.User{Key: "u4", Name: "田中次郎", LoginID: "tanaka", Suspended: true}
	e.apply(createUser(u1, orgMember("u1", "sales1", "member"), orgMember("u1", "sales", "admin")))
	e.apply(createUser(u2, orgMember("u2", "dev", "member")))
	e.apply(createUser(u3))
	e.apply(createUser(u4, orgMember("u4", "hq", "admin"), orgMember("u4", "hq", "member")))
	g1 := mapping.Group{Key: "g1", Name: "推進", Code: "promo", OrgKey: "sales"}
	e.apply(createGroup(g1))
	e.apply(membership("create", groupMember("u1", "g1", "admin")))
	e.apply(membership("create", groupMember("u2", "g1", "member")))

	st := e.emu.Stats().ByRoute
	if st["POST /users"] != 4 || st["PUT /users/{userId}"] != 1 || st["POST /organizations/{organizationId}/users"] != 0 {
		t.Errorf("user writes: %v (want 4 creates, 1 suspend, no org user calls)", st)
	}

	withAttrs := func(u mapping.User, kv ...string) mapping.User {
		var flat []string
		for k, v := range u.Attributes {
			flat = append(flat, k, v)
		}
		u.Attributes = attrs(append(flat, kv...)...)
		return u
	}
	want := mapping.Snapshot{
		Orgs:   []mapping.Org{hq, dev, sales, sales1},
		Users:  []mapping.User{withAttrs(u1), withAttrs(u2), withAttrs(u3), withAttrs(u4)},
		Groups: []mapping.Group{g1},
		Memberships: []mapping.Membership{
			orgMember("u1", "sales1", "member"), orgMember("u1", "sales", "admin"),
			orgMember("u2", "dev", "member"), orgMember("u4", "hq", "admin"),
			groupMember("u1", "g1", "admin"), groupMember("u2", "g1", "member"),
		},
	}
	e.check(want)

	// Update: rename and move an org, change a user's attribute and orgs,
	// rename the group, promote a member.
	sales1.Name, sales1.ParentKey = "第一営業課", "dev"
	e.apply(connectors.Change{Action: "update", Kind: "org", Key: "sales1", TargetID: e.id("org", "sales1"), Org: &sales1,
		Diff: []connectors.FieldChange{{Field: change.FieldName}, {Field: change.FieldParent}}})
	u1.Attributes["department"] = "企画部"
	e.apply(connectors.Change{Action: "update", Kind: "user", Key: "u1", TargetID: e.id("user", "u1"), User: &u1,
		Diff:           []connectors.FieldChange{{Field: change.Attr("department"), Old: "営業部", New: "企画部"}},
		OrgMemberships: []mapping.Membership{orgMember("u1", "sales", "member")}})
	g1.Name = "推進グループ"
	e.apply(connectors.Change{Action: "update", Kind: "group", Key: "g1", TargetID: e.id("group", "g1"), Group: &g1,
		Diff: []connectors.FieldChange{{Field: change.FieldName}}})
	e.apply(membership("update", groupMember("u2", "g1", "admin")))
	want.Orgs = []mapping.Org{hq, dev, sales, sales1}
	want.Users[0] = withAttrs(u1)
	want.Groups = []mapping.Group{g1}
	want.Memberships = []mapping.Membership{
		orgMember("u1", "sales", "member"), orgMember("u2", "dev", "member"), orgMember("u4", "hq", "admin"),
		groupMember("u1", "g1", "admin"), groupMember("u2", "g1", "admin"),
	}
	e.check(want)

	// Suspend.
	e.apply(connectors.Change{Action: "suspend", Kind: "user", Key: "u2", TargetID: e.id("user", "u2")})
	want.Users[1].Suspended = true
	e.check(want)

	// Delete: a membership, an org (its users and groups move to the
	// parent), a user; then the group; deleting again is fine.
	e.apply(membership("delete", groupMember("u1", "g1", "")))
	e.apply(connectors.Change{Action: "delete", Kind: "org", Key: "sales", TargetID: e.id("org", "sales")})
	e.apply(connectors.Change{Action: "delete", Kind: "user", Key: "u3", TargetID: e.id("user", "u3")})
	e.apply(connectors.Change{Action: "delete", Kind: "user", Key: "u3", TargetID: e.id("user", "u3")})
	g1.OrgKey = "hq"
	want.Orgs = []mapping.Org{hq, dev, sales1}
	want.Users = []mapping.User{withAttrs(u1), want.Users[1], want.Users[3]}
	want.Groups = []mapping.Group{g1}
	want.Memberships = []mapping.Membership{
		orgMember("u1", "hq", "member"), orgMember("u2", "dev", "member"), orgMember("u4", "hq", "admin"),
		groupMember("u2", "g1", "admin"),
	}
	e.check(want)
	e.apply(connectors.Change{Action: "delete", Kind: "group", Key: "g1", TargetID: e.id("group", "g1")})
	want.Groups = nil
	want.Memberships = want.Memberships[:3]
	e.check(want)
}

func TestAdapterPagination(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{RateLimit: -1}}, func(c *Config) { c.PageSize = 2 })
	for i := range 5 {
		e.apply(createOrg(mapping.Org{Key: fmt.Sprint("o", i), Name: fmt.Sprint("組織", i), Code: fmt.Sprint("o", i)}))
	}
	for i := range 7 {
		e.apply(createUser(mapping.User{Key: fmt.Sprint("u", i), Name: fmt.Sprint("ユーザ", i), LoginID: fmt.Sprint("user", i)},
			orgMember(fmt.Sprint("u", i), fmt.Sprint("o", i%5), "member")))
	}
	for i := range 3 {
		g := fmt.Sprint("g", i)
		e.apply(createGroup(mapping.Group{Key: g, Name: g, Code: g}))
		for j := range 3 {
			e.apply(membership("create", groupMember(fmt.Sprint("u", (i+j)%7), g, "member")))
		}
	}
	e.emu.ResetStats()
	s := e.read()
	if len(s.Orgs) != 5+1 || len(s.Users) != 7 || len(s.Groups) != 3 || len(s.Memberships) != 7+9 {
		t.Errorf("read %d orgs, %d users, %d groups, %d memberships; want 6 (with the root), 7, 3, 16",
			len(s.Orgs), len(s.Users), len(s.Groups), len(s.Memberships))
	}
	st := e.emu.Stats().ByRoute
	want := map[string]int{
		"GET /users":                  4, // 7 users, 2 a page
		"GET /organizations":          3, // 5 + the root
		"GET /groups":                 2, // 3 + everyone
		"GET /groups/{groupId}/users": 6, // 3 members each: 2 pages each, the everyone group not read
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestAdapterFaultBurst runs a sync loop (create what a Read does not show,
// as the scheduler would) while the emulator answers 429s, 5xx and drops.
// Retried requests and POSTs that failed with a 500 must not leave
// duplicates.
func TestAdapterFaultBurst(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{RateLimit: -1}}, func(c *Config) {
		retries := 8
		c.MaxRetries = &retries
	})
	e.apply(createOrg(mapping.Org{Key: "base", Name: "基盤", Code: "base"}))
	e.emu.SetFaults(emulator.Faults{Rate429: 0.1, Rate5xx: 0.2, RateDrop: 0.05, Seed: 7})

	const nOrgs, nUsers = 8, 24
	transient := 0
	for round := 0; ; round++ {
		if round == 10 {
			t.Fatal("not converged after 10 rounds")
		}
		s := e.read()
		orgByCode, userByLogin, members := map[string]string{}, map[string]string{}, map[string]bool{}
		for _, o := range s.Orgs {
			orgByCode[o.Code] = o.Key
		}
		for _, u := range s.Users {
			userByLogin[u.LoginID] = u.Key
		}
		groupID := ""
		for _, g := range s.Groups {
			if g.Code == "all" {
				groupID = g.Key
			}
		}
		for _, m := range s.Memberships {
			if m.Kind == mapping.KindGroup {
				members[m.UserKey] = true
			}
		}
		// Link what exists, as the store would.
		e.mu.Lock()
		for code, id := range orgByCode {
			e.ids["org/"+code] = id
		}
		for login, id := range userByLogin {
			e.ids["user/"+login] = id
		}
		if groupID != "" {
			e.ids["group/all"] = groupID
		}
		e.mu.Unlock()

		missing := 0
		note := func(err error) {
			missing++
			if err != nil {
				if !connectors.IsTransient(err) {
					t.Fatalf("round %d: %v", round, err)
				}
				transient++
			}
		}
		for i := range nOrgs {
			code := fmt.Sprint("org", i)
			if orgByCode[code] == "" {
				_, err := e.try(createOrg(mapping.Org{Key: code, Name: code, Code: code, ParentKey: "base"}))
				note(err)
			}
		}
		for i := range nUsers {
			login := fmt.Sprint("user", i)
			org := fmt.Sprint("org", i%nOrgs)
			if userByLogin[login] != "" {
				continue
			}
			if _, ok := e.TargetID("org", org); !ok {
				missing++
				continue // next round, once its org exists
			}
			_, err := e.try(createUser(mapping.User{Key: login, Name: login, LoginID: login}, orgMember(login, org, "member")))
			note(err)
		}
		if groupID == "" {
			_, err := e.try(createGroup(mapping.Group{Key: "all", Name: "全社", Code: "all"}))
			note(err)
		} else {
			for login, id := range userByLogin {
				if !members[id] && strings.HasPrefix(login, "user") {
					_, err := e.try(membership("create", groupMember(login, "all", "member")))
					note(err)
				}
			}
		}
		if missing == 0 {
			break
		}
	}
	st := e.emu.Stats()
	if st.Faulted == 0 {
		t.Fatal("no fault was injected")
	}
	t.Logf("%d requests, %d faulted, %d transient errors surfaced", st.Requests, st.Faulted, transient)

	// Nothing duplicated.
	e.emu.SetFaults(emulator.Faults{})
	dump := e.emu.State()
	codes, logins := map[string]int{}, map[string]int{}
	for _, o := range dump.Orgs {
		if o.Code != nil {
			codes[*o.Code]++
		}
	}
	for _, u := range dump.Users {
		logins[*u.LoginID]++
	}
	if len(dump.Orgs) != nOrgs+2 || len(dump.Users) != nUsers || len(dump.Groups) != 2 {
		t.Errorf("dump holds %d orgs, %d users, %d groups; want %d, %d, 2", len(dump.Orgs), len(dump.Users), len(dump.Groups), nOrgs+2, nUsers)
	}
	for k, n := range codes {
		if n != 1 {
			t.Errorf("org code %s: %d copies", k, n)
		}
	}
	for k, n := range logins {
		if n != 1 {
			t.Errorf("user %s: %d copies", k, n)
		}
	}
	if n := len(dump.GroupMembers[e.id("group", "all")]); n != nUsers {
		t.Errorf("group has %d members, want %d", n, nUsers)
	}
}

func TestAdapterRenewsToken(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{RateLimit: -1}, TokenTTL: 10 * time.Minute}, nil)
	e.apply(createOrg(mapping.Org{Key: "a", Name: "a"}))
	e.emu.ExpireTokens()
	e.apply(createOrg(mapping.Org{Key: "b", Name: "b"}))
	if n := e.emu.Stats().ByRoute["POST /oauth/token"]; n != 2 {
		t.Errorf("token calls = %d after ExpireTokens, want 2", n)
	}
	// A token is renewed a tenth of its life before it expires: no 401.
	e.clock.Advance(9*time.Minute + time.Second)
	e.emu.ResetStats()
	e.apply(createOrg(mapping.Org{Key: "c", Name: "c"}))
	if st := e.emu.Stats().ByRoute; st["POST /oauth/token"] != 1 || st["POST /organizations"] != 1 {
		t.Errorf("after 9m1s: %v, want one token call and one create", st)
	}
}

func TestAdapterFieldError(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{RateLimit: -1}}, nil)
	e.mu.Lock()
	e.ids["org/ghost"] = "org_GHOSTGHOSTGHOST"
	e.mu.Unlock()
	_, err := e.try(createUser(mapping.User{Key: "x", Name: "x", LoginID: "x"},
		orgMember("x", "ghost", "admin")))
	var fe *connectors.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a FieldError", err)
	}
	if _, ok := fe.Fields["adminOrganizationIds.0"]; !ok || fe.Status != 422 {
		t.Errorf("FieldError = %+v, want adminOrganizationIds.0", fe)
	}
	if !strings.Contains(err.Error(), "aircourse: create user x: POST /users: 422") ||
		!strings.Contains(err.Error(), "adminOrganizationIds.0") || connectors.IsTransient(err) {
		t.Errorf("err = %v", err)
	}
	_, err = e.try(createOrg(mapping.Org{Key: "long", Name: "n", Code: "a-code-longer-than-ten"}))
	if !errors.As(err, &fe) || len(fe.Fields["code"]) == 0 {
		t.Errorf("err = %v, want a FieldError on code", err)
	}
}

// TestAdapterPacing applies many changes from four workers under the
// document's 60 a minute, counted in a fixed minute or over the last 60
// seconds, with 60-minute or 20-second tokens: the pacer keeps (nearly)
// every request under the limit. The emulator and the pacer share a fake
// clock, so the minutes of waiting take no real time. Pages of ten make
// the read at the end twenty pages of users, read four at a time once the
// first gives the last page: the pacer holds those callers too.
func TestAdapterPacing(t *testing.T) {
	for _, readings := range [][]string{nil, {emulator.ReadingSlidingWindow}, {emulator.ReadingSlidingWindow, emulator.ReadingTokenShort},
		{emulator.ReadingRateLimitNoRetry}, {emulator.ReadingRateLimitNoRetry, emulator.ReadingSlidingWindow}} {
		t.Run(readingName(readings), func(t *testing.T) {
			opts := readingsOf(t, readings...)
			opts.RateLimit = 60
			testPacing(t, newEnv(t, opts, func(c *Config) { c.PageSize = 10 }))
		})
	}
}

func testPacing(t *testing.T, e *env) {
	start := e.clock.Now()
	e.apply(createOrg(mapping.Org{Key: "o", Name: "o"}))
	const n = 200
	var wg sync.WaitGroup
	work := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range work {
				key := fmt.Sprint("u", i)
				if _, err := e.try(createUser(mapping.User{Key: key, Name: key, LoginID: key}, orgMember(key, "o", "member"))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if s := e.read(); len(s.Users) != n {
		t.Errorf("read %d users, want %d", len(s.Users), n)
	}
	st := e.emu.Stats()
	t.Logf("%d requests, %d rate limited, %v of fake time", st.Requests, st.RateLimited, e.clock.Now().Sub(start))
	if st.RateLimited > st.Requests/50 {
		t.Errorf("%d of %d requests were rate limited", st.RateLimited, st.Requests)
	}
	if elapsed := e.clock.Now().Sub(start); elapsed < 3*time.Minute {
		t.Errorf("%d requests at 60 a minute took %v of fake time: the pacer did not wait", st.Requests, elapsed)
	}
}

// Another client of the same IP (an earlier run, a script) has spent the
// minute when the adapter starts: its first requests meet 429s, with or
// without Retry-After and X-RateLimit-Reset (ratelimit-no-retry-after),
// and it waits the window out instead of failing.
func TestAdapterWaitsOutASpentQuota(t *testing.T) {
	for _, readings := range [][]string{nil, {emulator.ReadingRateLimitNoRetry}, {emulator.ReadingRateLimitNoRetry, emulator.ReadingSlidingWindow}} {
		t.Run(readingName(readings), func(t *testing.T) {
			opts := readingsOf(t, readings...)
			opts.RateLimit = 60
			e := newEnv(t, opts, nil)
			start := e.clock.Now()
			for range 60 {
				r := httptest.NewRequest(http.MethodGet, "/users", nil)
				r.RemoteAddr = "127.0.0.1:1"
				e.emu.ServeHTTP(httptest.NewRecorder(), r)
			}
			e.clock.Advance(10 * time.Second)
			e.apply(createOrg(mapping.Org{Key: "o", Name: "o"}))
			e.apply(createUser(mapping.User{Key: "u", Name: "u", LoginID: "u"}, orgMember("u", "o", "member")))
			if s := e.read(); len(s.Users) != 1 || len(s.Orgs) != 2 {
				t.Errorf("read %d users and %d orgs, want 1 and 2 (the root)", len(s.Users), len(s.Orgs))
			}
			st := e.emu.Stats()
			elapsed := e.clock.Now().Sub(start)
			t.Logf("%d requests, %d rate limited, %v of fake time", st.Requests, st.RateLimited, elapsed)
			if st.RateLimited == 0 || st.RateLimited > 3 {
				t.Errorf("%d requests were rate limited, want 1 to 3", st.RateLimited)
			}
			if elapsed < time.Minute {
				t.Errorf("done after %v: the spent minute was not waited out", elapsed)
			}
		})
	}
}
