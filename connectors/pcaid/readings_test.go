package pcaid_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/orgbridge/orgbridge/connectors/pcaid"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

// readingsEnv is newEnv with the emulator serving the readings.
func readingsEnv(t *testing.T, names []string, edit func(*pcaid.Config)) *env {
	t.Helper()
	set, err := emulator.Readings.Parse(names)
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, emulator.Options{Options: emukit.Options{Readings: set}}, edit)
}

func name(readings []string) string {
	return strings.Join(append([]string{"default"}, readings...), "+")
}

// Under every reading of the import's answer, each row's outcome lands on
// its own change: the created users get their ids, the failed rows a
// FieldError naming the row and the field.
func TestImportUnderReadings(t *testing.T) {
	for _, readings := range [][]string{
		nil,
		{emulator.ReadingImportTaskWords},
		{emulator.ReadingImportFailedWithRows},
		{emulator.ReadingImportResultLists},
		{emulator.ReadingImportTaskWords, emulator.ReadingImportFailedWithRows, emulator.ReadingImportResultLists, emulator.ReadingErrorsAsList},
	} {
		t.Run(name(readings), func(t *testing.T) {
			e := readingsEnv(t, readings, nil)
			users := people(110)
			users[3].Email = "not-an-email"
			users[77].Name = strings.Repeat("名", 101)
			out := e.sync(users)
			if n := e.emu.Stats().ByRoute["POST /users/import"]; n != 1 {
				t.Errorf("%d imports, want 1", n)
			}
			if out.Applied != 108 || out.Failed != 2 {
				t.Fatalf("applied %d, failed %d; want 108, 2: %v", out.Applied, out.Failed, out.Errors)
			}
			want := map[string]string{"0003": "email", "0077": "name"}
			for _, ce := range out.Errors {
				var fe *connectors.FieldError
				if !errors.As(ce.Err, &fe) || fe.Fields[want[ce.Change.Key]] == nil || connectors.IsTransient(ce.Err) {
					t.Errorf("%s: %v; want a FieldError on %s", ce.Change.Key, ce.Err, want[ce.Change.Key])
				}
			}
			if n := len(e.emu.State().Users); n != 108 {
				t.Errorf("%d users, want 108", n)
			}
		})
	}
}

// A user given an admin role by hand keeps it when orgbridge grants or
// takes back the organization admin role, under every reading of the
// admin_roles calls.
func TestHandMadeAdminRoleIsKept(t *testing.T) {
	for _, readings := range [][]string{nil, {emulator.ReadingAdminRolesSeveral}, {emulator.ReadingAdminRolesSeveral, emulator.ReadingPutReplaces}} {
		t.Run(name(readings), func(t *testing.T) {
			e := readingsEnv(t, readings, nil)
			u := mapping.User{Key: "k", Name: "山田", Email: "k@example.com", Attributes: map[string]string{"admin": "true"}}
			e.apply(createUser(u))
			id := e.id(mapping.KindUser, "k")
			several := slices.Contains(readings, emulator.ReadingAdminRolesSeveral)
			handMade := []string{emulator.RoleOrganizationAdmin}
			if several {
				handMade = append(handMade, emulator.RoleUserAdmin) // given in the console
			}
			e.emu.SetAdminRoles(id, handMade...)
			roles := func() []string {
				r := slices.Clone(e.emu.State().Users[0].AdminRoles)
				slices.Sort(r)
				return r
			}
			u.Attributes["admin"] = "false"
			e.apply(update(id, u, "admin"))
			if got := roles(); several && !slices.Equal(got, []string{emulator.RoleUserAdmin}) || !several && len(got) != 0 {
				t.Errorf("after admin false: %v", got)
			}
			u.Attributes["admin"] = "true"
			e.apply(update(id, u, "admin"))
			want := []string{emulator.RoleOrganizationAdmin}
			if several {
				want = append(want, emulator.RoleUserAdmin)
			}
			if got := roles(); !slices.Equal(got, want) {
				t.Errorf("after admin true: %v, want %v", got, want)
			}
			snap, err := e.a.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if a := snap.Users[0].Attributes["admin"]; a != "true" {
				t.Errorf("Read: admin %q", a)
			}
			// With user_admin alone the user is no organization admin.
			if several {
				e.emu.SetAdminRoles(id, emulator.RoleUserAdmin)
				if snap, _ = e.a.Read(context.Background()); snap.Users[0].Attributes["admin"] != "false" {
					t.Errorf("user_admin alone reads as admin %q", snap.Users[0].Attributes["admin"])
				}
			}
		})
	}
}

// A profile field orgbridge does not map (position, set by hand) survives
// an update, whether PUT merges or replaces.
func TestHandMadeProfileFieldIsKept(t *testing.T) {
	for _, readings := range [][]string{nil, {emulator.ReadingPutReplaces}} {
		t.Run(name(readings), func(t *testing.T) {
			e := readingsEnv(t, readings, nil)
			u := mapping.User{Key: "k", Name: "山田", Email: "k@example.com", Attributes: map[string]string{"department": "営業部"}}
			e.apply(createUser(u))
			id := e.id(mapping.KindUser, "k")
			// position and employee_number set by hand; orgbridge maps neither.
			hand := readingsClient(t, e)
			hand.must(200, "PUT", "/users/"+id, map[string]any{"email": "k@example.com", "name": "山田", "department": "営業部", "position": "課長", "employee_number": "E9"})

			u.Name, u.Attributes["department"] = "山田 太郎", "企画部"
			e.apply(update(id, u, "name", "department"))
			got := e.emu.State().Users[0]
			if got.Name != "山田 太郎" || deref(got.Department) != "企画部" || deref(got.Position) != "課長" || deref(got.EmployeeNumber) != "E9" {
				t.Errorf("after the update: name %q department %q position %q employee_number %q", got.Name, deref(got.Department), deref(got.Position), deref(got.EmployeeNumber))
			}
			// A mapped field set to "" is cleared all the same.
			u.Attributes["department"] = ""
			e.apply(update(id, u, "department"))
			if got := e.emu.State().Users[0]; got.Department != nil || deref(got.Position) != "課長" {
				t.Errorf("after clearing department: %+v", got)
			}
		})
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// A manager made a member again is a member under every reading of
// sp_manager_roles; the first demotion tells which, later ones follow it.
func TestDemotionUnderReadings(t *testing.T) {
	tests := []struct {
		readings []string
		first    []string // calls of the first demotion
		second   []string
	}{
		{nil,
			[]string{"POST sp_manager_roles", "GET /organizations/service_partition/users"},
			[]string{"POST sp_manager_roles"}},
		{[]string{emulator.ReadingSPManagerGrantOnly},
			[]string{"POST sp_manager_roles", "GET /organizations/service_partition/users", "POST service_partitions/remove", "POST service_partitions"},
			[]string{"POST service_partitions/remove", "POST service_partitions"}},
		{[]string{emulator.ReadingSPManagerGrantOnly, emulator.ReadingPartitionIDSingle, emulator.ReadingPagingPage},
			[]string{"POST sp_manager_roles", "GET /organizations/service_partition/users", "POST service_partitions/remove", "POST service_partitions"},
			[]string{"POST service_partitions/remove", "POST service_partitions"}},
	}
	for _, tt := range tests {
		t.Run(name(tt.readings), func(t *testing.T) {
			e := readingsEnv(t, tt.readings, nil)
			e.apply(createUser(mapping.User{Key: "a", Name: "甲", Email: "a@example.com"}))
			e.apply(createUser(mapping.User{Key: "b", Name: "乙", Email: "b@example.com"}))
			e.apply(createGroup(mapping.Group{Key: "g", Name: "会計"}))
			sp := e.id(mapping.KindGroup, "g")
			for _, k := range []string{"a", "b"} {
				e.apply(member(connectors.ActionCreate, k, "g", mapping.RoleAdmin))
			}
			e.calls.take()
			for i, k := range []string{"a", "b"} {
				e.apply(member(connectors.ActionUpdate, k, "g", mapping.RoleMember))
				want := [][]string{tt.first, tt.second}[i]
				if got := shortCalls(e.calls.take()); !slices.Equal(got, want) {
					t.Errorf("demotion %d: calls %q, want %q", i+1, got, want)
				}
			}
			for id, role := range e.emu.State().PartitionUsers[sp] {
				if role != emulator.RoleMember {
					t.Errorf("%s is %s after the demotion", id, role)
				}
			}
		})
	}
}

// shortCalls drops the user id from "POST /users/{id}/x" calls.
func shortCalls(calls []string) []string {
	var out []string
	for _, c := range calls {
		method, path, _ := strings.Cut(c, " ")
		if rest, ok := strings.CutPrefix(path, "/users/"); ok {
			if _, tail, ok := strings.Cut(rest, "/"); ok {
				path = tail
			}
		}
		out = append(out, method+" "+path)
	}
	return out
}

// A partition member orgbridge did not make (a user outside the source,
// a hand-made manager) stays through syncs that rename the partition and
// add and remove orgbridge's own members, under every reading of the
// partition calls and lists.
func TestHandMadePartitionMemberIsKept(t *testing.T) {
	for _, readings := range [][]string{
		nil,
		{emulator.ReadingPartitionIDSingle, emulator.ReadingSPManagerGrantOnly},
		{emulator.ReadingPagingPage, emulator.ReadingUsersListActive, emulator.ReadingSuspendedAsStatus},
		{emulator.ReadingPagingNone, emulator.ReadingUsersListRemoved},
	} {
		t.Run(name(readings), func(t *testing.T) {
			e := readingsEnv(t, readings, func(c *pcaid.Config) { c.PageSize = 2 })
			desired := &mapping.Snapshot{
				Users: []mapping.User{
					{Key: "1", Name: "甲", Email: "a@example.com"}, {Key: "2", Name: "乙", Email: "b@example.com"},
					{Key: "3", Name: "丙", Email: "c@example.com"},
				},
				Groups: []mapping.Group{{Key: "g", Name: "会計"}},
				Memberships: []mapping.Membership{
					{UserKey: "1", Kind: mapping.KindGroup, ContainerKey: "g", Role: mapping.RoleMember},
					{UserKey: "2", Kind: mapping.KindGroup, ContainerKey: "g", Role: mapping.RoleAdmin},
				},
			}
			links := e.run(desired, nil)
			sp := links[mapping.KindGroup]["g"]
			// By hand: an outsider joins as manager, another (suspended) as member.
			hand := readingsClient(t, e)
			out1 := hand.createUser("x@example.com", "外部")
			out2 := hand.createUser("y@example.com", "外部二")
			e.emu.SetPartitionMember(sp, out1, emulator.RoleManager)
			e.emu.SetPartitionMember(sp, out2, emulator.RoleMember)
			hand.must(200, "POST", "/users/"+out2+"/lifecycle/suspend", nil)

			desired.Groups[0].Name = "経理"
			desired.Memberships = []mapping.Membership{
				{UserKey: "2", Kind: mapping.KindGroup, ContainerKey: "g", Role: mapping.RoleMember}, // demoted
				{UserKey: "3", Kind: mapping.KindGroup, ContainerKey: "g", Role: mapping.RoleAdmin},  // new
			} // 1 leaves
			e.run(desired, links)
			got := e.emu.State().PartitionUsers[sp]
			want := map[string]string{
				out1: emulator.RoleManager, out2: emulator.RoleMember,
				links[mapping.KindUser]["2"]: emulator.RoleMember, links[mapping.KindUser]["3"]: emulator.RoleManager,
			}
			if len(got) != len(want) {
				t.Errorf("members %v, want %v", got, want)
			}
			for id, role := range want {
				if got[id] != role {
					t.Errorf("member %s is %q, want %q", id, got[id], role)
				}
			}
			// A third run changes nothing.
			before := e.emu.Stats().Writes
			if plan := e.plan(desired, links); len(plan.Changes) != 0 {
				t.Errorf("third run plans %d changes: %+v", len(plan.Changes), plan.Changes)
			}
			if w := e.emu.Stats().Writes - before; w != 0 {
				t.Errorf("reading wrote %d times", w)
			}
		})
	}
}

// Links are what a run leaves in the store: source key → target id.
type Links = scheduler.Links

func (e *env) plan(desired *mapping.Snapshot, links Links) *scheduler.Plan {
	e.t.Helper()
	actual, err := e.a.Read(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	plan, err := scheduler.MakePlan(desired, actual, links, e.a.Capabilities(), scheduler.PlanOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return plan
}

// run plans and applies as a sync does and returns the links after it.
func (e *env) run(desired *mapping.Snapshot, links Links) Links {
	e.t.Helper()
	plan := e.plan(desired, links)
	rec := &linkRecorder{plan: plan, links: Links{}}
	for k, m := range links {
		rec.links[k] = map[string]string{}
		for key, id := range m {
			rec.links[k][key] = id
		}
	}
	for _, a := range plan.Adopt {
		rec.set(a.Kind, a.Key, a.TargetID)
	}
	out, err := (&scheduler.Executor{Target: e.a, Journal: rec}).Apply(context.Background(), plan, links)
	if err != nil || out.Failed != 0 {
		e.t.Fatalf("apply: %+v %v", out, err)
	}
	return rec.links
}

// linkRecorder is the store's part in a run: the links of the objects
// created (and adopted), the deleted ones dropped.
type linkRecorder struct {
	mu    sync.Mutex
	plan  *scheduler.Plan
	links Links
}

func (r *linkRecorder) set(kind mapping.Kind, key, id string) {
	if r.links[kind] == nil {
		r.links[kind] = map[string]string{}
	}
	r.links[kind][key] = id
}

func (r *linkRecorder) Applied(_ context.Context, _ int64, seq int, targetID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.plan.Changes[seq]
	if c.Kind == mapping.KindMembership {
		return nil
	}
	switch c.Action {
	case connectors.ActionCreate:
		r.set(c.Kind, c.Key, targetID)
	case connectors.ActionDelete:
		delete(r.links[c.Kind], c.Key)
	}
	return nil
}

func (r *linkRecorder) Failed(context.Context, int64, int, error) error { return nil }

// readingsClient is a client of the emulator with a token of its own, for
// changes made by hand.
func readingsClient(t *testing.T, e *env) *handClient {
	t.Helper()
	e.emu.AddClient("hand", "hand-secret")
	return &handClient{t: t, base: e.srv.URL, token: handToken(t, e.srv.URL)}
}

// handClient calls the API as a person in pcaid's console would.
type handClient struct {
	t     *testing.T
	base  string
	token string
}

func handToken(t *testing.T, base string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+emulator.TokenPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("hand", "hand-secret")
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if status := doJSON(t, req, &out); status != 200 {
		t.Fatalf("hand token: %d", status)
	}
	return out.AccessToken
}

func doJSON(t *testing.T, req *http.Request, out any) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", req.Method, req.URL.Path, err, b)
		}
	}
	return resp.StatusCode
}

func (h *handClient) must(status int, method, path string, body any) map[string]any {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.base+emulator.Prefix+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	var out map[string]any
	if got := doJSON(h.t, req, &out); got != status {
		h.t.Fatalf("%s %s: %d, want %d: %v", method, path, got, status, out)
	}
	return out
}

func (h *handClient) createUser(email, name string) string {
	h.t.Helper()
	return h.must(201, "POST", "/users", map[string]any{"email": email, "name": name})["account_id"].(string)
}

// Read sees a suspended user that GET /users leaves out, and not a removed
// one that it keeps; a removed user's address can be used again.
func TestReadUnderListReadings(t *testing.T) {
	for _, readings := range [][]string{
		nil,
		{emulator.ReadingUsersListActive},
		{emulator.ReadingUsersListRemoved},
		{emulator.ReadingUsersListActive, emulator.ReadingUsersListRemoved, emulator.ReadingSuspendedAsStatus, emulator.ReadingPagingPage},
		{emulator.ReadingUsersListActive, emulator.ReadingUsersListRemoved, emulator.ReadingPagingOffset, emulator.ReadingIDsUUID},
		{emulator.ReadingUsersListActive, emulator.ReadingUsersListRemoved, emulator.ReadingPagingNextToken, emulator.ReadingExpiredToken403},
		{emulator.ReadingUsersListRemoved, emulator.ReadingPagingNone, emulator.ReadingValidation400},
	} {
		t.Run(name(readings), func(t *testing.T) {
			e := readingsEnv(t, readings, func(c *pcaid.Config) { c.PageSize = 1 })
			e.apply(createUser(mapping.User{Key: "s", Name: "休職", Email: "s@example.com", Suspended: true}))
			e.apply(createUser(mapping.User{Key: "r", Name: "退職", Email: "r@example.com"}))
			e.apply(createUser(mapping.User{Key: "a", Name: "在籍", Email: "a@example.com"}))
			e.apply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindUser, Key: "r", TargetID: e.id(mapping.KindUser, "r")})
			e.apply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindUser, Key: "r", TargetID: e.id(mapping.KindUser, "r")})
			snap, err := e.a.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range snap.Users {
				got = append(got, u.Email+map[bool]string{true: " suspended"}[u.Suspended])
			}
			slices.Sort(got)
			if want := []string{"a@example.com", "s@example.com suspended"}; !slices.Equal(got, want) {
				t.Errorf("Read users %q, want %q", got, want)
			}
			e.apply(createUser(mapping.User{Key: "r2", Name: "再入社", Email: "r@example.com"}))
		})
	}
}

// Without expires_in the token is kept until refused; a refused one is
// renewed and the call sent again.
func TestTokenWithoutExpiresIn(t *testing.T) {
	e := readingsEnv(t, []string{emulator.ReadingTokenNoExpiresIn}, nil)
	if _, err := e.a.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(emulator.NoExpiresInTTL + time.Minute)
	if _, err := e.a.Read(context.Background()); err != nil {
		t.Fatalf("a Read after the token lapsed: %v", err)
	}
	if n := e.emu.Stats().ByRoute["POST "+emulator.TokenPath]; n != 2 {
		t.Errorf("%d token calls, want 2", n)
	}
}

// A 422 whose field errors come as a list still names its fields.
func TestValidationUnderErrorsAsList(t *testing.T) {
	e := readingsEnv(t, []string{emulator.ReadingErrorsAsList}, nil)
	_, err := e.a.Apply(context.Background(), createUser(mapping.User{Key: "u", Name: "U", Email: "not-an-email"}), e.ids)
	var fe *connectors.FieldError
	if !errors.As(err, &fe) || fe.Fields["email"] == nil || fe.Status != 422 || connectors.IsTransient(err) {
		t.Fatalf("bad email: %v (%+v), want a FieldError on email", err, fe)
	}
	_, err = e.a.Apply(context.Background(), connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindUser, Key: "x", TargetID: "acc_aaaaaaaaaaaaaaaaaaaa"}, e.ids)
	if !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("delete of a missing user: %v; want ErrNotFound (done for the executor)", err)
	}
}

// Under expired-token-403 a lapsed or revoked token is answered 403 (the
// gateway's Deny): the token is renewed and the call sent again, as after
// a 401; a second 403 is the answer.
func TestTokenRefusedWith403(t *testing.T) {
	for _, readings := range [][]string{
		{emulator.ReadingExpiredToken403},
		{emulator.ReadingExpiredToken403, emulator.ReadingTokenNoExpiresIn},
	} {
		t.Run(name(readings), func(t *testing.T) {
			e := readingsEnv(t, readings, nil)
			if _, err := e.a.Read(context.Background()); err != nil {
				t.Fatal(err)
			}
			e.emu.ExpireTokens()
			if _, err := e.a.Read(context.Background()); err != nil {
				t.Fatalf("a Read after the token was revoked: %v", err)
			}
			e.emu.ExpireTokens()
			e.apply(createUser(mapping.User{Key: "u", Name: "U", Email: "u@example.com"}))
			if n := e.emu.Stats().ByRoute["POST "+emulator.TokenPath]; n != 3 {
				t.Errorf("%d token calls, want 3", n)
			}
			if n := len(e.emu.State().Users); n != 1 {
				t.Errorf("%d users, want 1", n)
			}
		})
	}
	// A client without the scope: renewed once, then the 403 stands.
	e := readingsEnv(t, []string{emulator.ReadingExpiredToken403}, func(c *pcaid.Config) { c.Scopes = []string{emulator.ScopeUsers} })
	_, err := e.a.Apply(context.Background(), createGroup(mapping.Group{Key: "g", Name: "区画"}), e.ids)
	if err == nil || !strings.Contains(err.Error(), "403") || connectors.IsTransient(err) {
		t.Errorf("a call outside the token's scope: %v; want a permanent 403", err)
	}
	if n := e.emu.Stats().ByRoute["POST /organizations/service_partition"]; n != 2 {
		t.Errorf("%d tries, want 2 (one with a new token)", n)
	}
}

// Under token-auth-body the token endpoint refuses HTTP Basic: the client
// goes in the form, then and from then on.
func TestTokenEndpointTakingTheFormOnly(t *testing.T) {
	e := readingsEnv(t, []string{emulator.ReadingTokenAuthBody}, nil)
	if _, err := e.a.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.emu.ExpireTokens()
	if _, err := e.a.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Basic refused once, then the form twice.
	if n := e.emu.Stats().ByRoute["POST "+emulator.TokenPath]; n != 3 {
		t.Errorf("%d token calls, want 3", n)
	}
	if e.logs.FilterMessage("the token endpoint refused HTTP Basic and took the client in the form: the form from now on").Len() != 1 {
		t.Error("the switch to the form is not logged once")
	}

	// A wrong secret fails both ways, and says so.
	bad := readingsEnv(t, []string{emulator.ReadingTokenAuthBody}, func(c *pcaid.Config) { c.ClientID = "someone-else" })
	_, err := bad.a.Read(context.Background())
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "in the form instead") {
		t.Errorf("a refused client: %v", err)
	}
}

// Under validation-400 a refused body is a FieldError all the same, and
// an address in use one that wraps ErrConflict.
func TestValidationAs400And409(t *testing.T) {
	e := readingsEnv(t, []string{emulator.ReadingValidation400}, nil)
	_, err := e.a.Apply(context.Background(), createUser(mapping.User{Key: "u", Name: "U", Email: "not-an-email"}), e.ids)
	var fe *connectors.FieldError
	if !errors.As(err, &fe) || fe.Status != 400 || !strings.Contains(fe.Message, "email") || connectors.IsTransient(err) {
		t.Errorf("bad email: %v (%+v); want a 400 FieldError naming email", err, fe)
	}
	e.apply(createUser(mapping.User{Key: "a", Name: "A", Email: "a@example.com"}))
	_, err = e.a.Apply(context.Background(), createUser(mapping.User{Key: "b", Name: "B", Email: "a@example.com"}), e.ids)
	if !errors.As(err, &fe) || fe.Status != 409 || !errors.Is(err, connectors.ErrConflict) {
		t.Errorf("an address in use: %v (%+v); want a 409 FieldError wrapping ErrConflict", err, fe)
	}
}

// Under partition-unknown-422 a partition that is gone is refused as a bad
// field: removing it (or a membership in it) again is done, updating it
// is ErrNotFound; one that is there but refused keeps its error.
func TestGonePartitionUnderReadings(t *testing.T) {
	for _, readings := range [][]string{
		nil,
		{emulator.ReadingPartitionUnknown422},
		{emulator.ReadingPartitionUnknown422, emulator.ReadingValidation400, emulator.ReadingErrorsAsList, emulator.ReadingPartitionIDSingle},
	} {
		t.Run(name(readings), func(t *testing.T) {
			e := readingsEnv(t, readings, nil)
			e.apply(createUser(mapping.User{Key: "u", Name: "U", Email: "u@example.com"}))
			e.apply(createGroup(mapping.Group{Key: "g", Name: "会計"}))
			e.apply(createGroup(mapping.Group{Key: "h", Name: "総務"}))
			e.apply(member(connectors.ActionCreate, "u", "g", mapping.RoleMember))
			sp := e.id(mapping.KindGroup, "g")
			del := connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindGroup, Key: "g", TargetID: sp}
			e.apply(del)
			e.apply(del)
			e.apply(member(connectors.ActionDelete, "u", "g", mapping.RoleMember))
			upd := connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindGroup, Key: "g", TargetID: sp, Group: &mapping.Group{Key: "g", Name: "経理"}}
			if _, err := e.a.Apply(context.Background(), upd, e.ids); !errors.Is(err, connectors.ErrNotFound) {
				t.Errorf("update of a gone partition: %v; want ErrNotFound", err)
			}
			// A partition that is there, refused for its name: not gone.
			taken := connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindGroup, Key: "h", TargetID: e.id(mapping.KindGroup, "h"),
				Group: &mapping.Group{Key: "h", Name: strings.Repeat("長", 51)}}
			_, err := e.a.Apply(context.Background(), taken, e.ids)
			var fe *connectors.FieldError
			if !errors.As(err, &fe) || errors.Is(err, connectors.ErrNotFound) {
				t.Errorf("a refused update of a partition that is there: %v; want its FieldError", err)
			}
		})
	}
}

// Under every id format a membership change resolves its ends through the
// IDs given to Apply (the executor's: links and adoptions), never by how a
// string looks: an id the IDs do not hold is ErrUnresolved, even one Read
// listed.
func TestMembershipByListedIDs(t *testing.T) {
	for _, readings := range [][]string{nil, {emulator.ReadingIDsUUID}} {
		t.Run(name(readings), func(t *testing.T) {
			e := readingsEnv(t, readings, nil)
			h := readingsClient(t, e)
			uid := h.createUser("u@example.com", "U")
			sp := h.must(201, "POST", "/organizations/service_partition", map[string]any{"name": "会計"})["service_partition_id"].(string)
			if _, err := e.a.Read(context.Background()); err != nil {
				t.Fatal(err)
			}
			ids := idMap{"user/u": uid, "group/g": sp}
			if _, err := e.a.Apply(context.Background(), member(connectors.ActionCreate, "u", "g", mapping.RoleMember), ids); err != nil {
				t.Fatalf("a membership by linked keys: %v", err)
			}
			if m := e.emu.State().PartitionUsers[sp]; m[uid] != emulator.RoleMember {
				t.Errorf("members %v", m)
			}
			_, err := e.a.Apply(context.Background(), member(connectors.ActionCreate, uid, sp, mapping.RoleMember), nil)
			if !errors.Is(err, connectors.ErrUnresolved) {
				t.Errorf("listed ids with no link: %v; want ErrUnresolved", err)
			}
		})
	}
}
