package aircourse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/mapping"
)

func readingsOf(t *testing.T, names ...string) emulator.Options {
	t.Helper()
	set, err := emulator.Readings.Parse(names)
	if err != nil {
		t.Fatal(err)
	}
	return emulator.Options{Options: emukit.Options{RateLimit: -1, Readings: set}}
}

// An organization is created with adminUserIds []; a server that wants an
// admin refuses it once, and from then on every create names the tenant's
// global administrator, found in the Read or by one listing. With none the
// create fails saying so.
func TestAdapterOrgAdminsRequired(t *testing.T) {
	tests := []struct {
		name     string
		readings []string
		read     bool // Read before the creates, as a run does
		demote   bool // the tenant has no global administrator
		// wantPosts and wantLookups count POST /organizations and
		// GET /users for two creates.
		wantPosts, wantLookups int
		wantAdmin              bool // the organizations name the tenant's admin
		wantErr                string
	}{
		{name: "default reading", wantPosts: 2},
		{name: "default reading after a Read", read: true, wantPosts: 2},
		{name: "admins required, after a Read", readings: []string{emulator.ReadingAdminsRequired}, read: true, wantPosts: 3, wantAdmin: true},
		{name: "admins required, no Read", readings: []string{emulator.ReadingAdminsRequired}, wantPosts: 3, wantLookups: 1, wantAdmin: true},
		{name: "admins required, only active users listed by default", readings: []string{emulator.ReadingAdminsRequired, emulator.ReadingUsersActiveDefault},
			wantPosts: 3, wantLookups: 1, wantAdmin: true},
		{name: "admins required, no global administrator", readings: []string{emulator.ReadingAdminsRequired}, read: true, demote: true,
			wantPosts: 1, wantErr: "no active global administrator"}, // the second create knows already
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, readingsOf(t, tt.readings...), nil)
			ctx := context.Background()
			if tt.demote {
				if _, err := e.a.Client().Users().Update(ctx, e.emu.TenantAdminID(), Fields{"role": "manager"}); err != nil {
					t.Fatal(err)
				}
			}
			if tt.read {
				e.read()
			}
			e.emu.ResetStats()
			var errs []error
			for _, o := range []mapping.Org{{Key: "hq", Name: "本社", Code: "hq"}, {Key: "dev", Name: "開発部", Code: "dev"}} {
				if _, err := e.try(createOrg(o)); err != nil {
					errs = append(errs, err)
				}
			}
			st := e.emu.Stats().ByRoute
			if st["POST /organizations"] != tt.wantPosts || st["GET /users"] != tt.wantLookups {
				t.Errorf("requests %v; want %d POST /organizations, %d GET /users", st, tt.wantPosts, tt.wantLookups)
			}
			if tt.wantErr != "" {
				if len(errs) != 2 {
					t.Fatalf("errors %v, want both creates to fail", errs)
				}
				for _, err := range errs {
					var fe *connectors.FieldError
					if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "adminUserIds") || connectors.IsTransient(err) {
						t.Errorf("error %q: want it to name adminUserIds and say %q, not transient", err, tt.wantErr)
					}
					if errors.As(err, &fe) && fe.Fields["adminUserIds"] == nil {
						t.Errorf("field error %v does not name adminUserIds", fe.Fields)
					}
				}
				return
			}
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			for _, key := range []string{"hq", "dev"} {
				o, err := e.a.Client().Orgs().Get(ctx, e.id("org", key))
				if err != nil {
					t.Fatal(err)
				}
				want := []string(nil)
				if tt.wantAdmin {
					want = []string{e.emu.TenantAdminID()}
				}
				if !cmp.Equal(want, o.AdminUserIDs, cmpopts.EquateEmpty()) {
					t.Errorf("%s: adminUserIds %v, want %v", key, o.AdminUserIDs, want)
				}
			}
		})
	}
}

// An update of a user's orgs keeps the memberships the change carries as
// foreign (a hand-made org, an admin of the root), whatever the role.
func TestAdapterKeepsForeignOrgMemberships(t *testing.T) {
	for _, role := range []string{RoleMember, RoleAdmin} {
		t.Run(role, func(t *testing.T) {
			e := newEnv(t, readingsOf(t), nil)
			ctx := context.Background()
			e.apply(createOrg(mapping.Org{Key: "sales", Name: "営業部"}))
			e.apply(createOrg(mapping.Org{Key: "dev", Name: "開発部"}))
			u := mapping.User{Key: "u1", Name: "山田太郎", LoginID: "yamada"}
			id := e.apply(createUser(u, orgMember("u1", "sales", "member"))).TargetID
			c := e.a.Client()
			hand, err := c.Orgs().Create(ctx, Fields{"name": "手作業", "parentId": e.emu.RootOrgID(), "adminUserIds": []string{}, "isPublic": true, "isEnableDiscussion": true})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Orgs().Members(hand.ID).Add(ctx, id, role); err != nil {
				t.Fatal(err)
			}
			if err := c.Orgs().Members(e.emu.RootOrgID()).Add(ctx, id, RoleAdmin); err != nil {
				t.Fatal(err)
			}
			// The snapshot shows both, the root as a System org.
			var foreign []mapping.Membership
			for _, m := range e.read().Memberships {
				if m.UserKey == id && (m.ContainerKey == hand.ID || m.ContainerKey == e.emu.RootOrgID()) {
					foreign = append(foreign, m)
				}
			}
			if len(foreign) != 2 {
				t.Fatalf("Read shows %v of the hand-made memberships, want 2", foreign)
			}
			e.apply(connectors.Change{Action: "update", Kind: "user", Key: "u1", TargetID: id, User: &u,
				Diff:                  []connectors.FieldChange{{Field: change.FieldOrgs}},
				OrgMemberships:        []mapping.Membership{orgMember("u1", "dev", "member")},
				ForeignOrgMemberships: foreign})
			got, err := c.Users().Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			wantAdmin, wantMember := []string{e.emu.RootOrgID()}, []string{e.id("org", "dev")}
			if role == RoleAdmin {
				wantAdmin = append(wantAdmin, hand.ID)
			} else {
				wantMember = append(wantMember, hand.ID)
			}
			less := cmpopts.SortSlices(func(a, b string) bool { return a < b })
			if !cmp.Equal(wantAdmin, got.AdminOrganizationIDs, less) || !cmp.Equal(wantMember, got.MemberOrganizationIDs, less) {
				t.Errorf("after the update: admin of %v, member of %v; want %v and %v", got.AdminOrganizationIDs, got.MemberOrganizationIDs, wantAdmin, wantMember)
			}
		})
	}
}

// Read gives the same org memberships whether the server puts them in the
// user objects or only in the organization user lists: members and admins
// of each org, an admin of the root, never a member of the root (the
// server's fallback home).
func TestAdapterReadsOrgMembershipsEitherWay(t *testing.T) {
	tests := []struct {
		readings []string
		// wantOrgUserLists is how many GET /organizations/{id}/users a
		// Read sends (3 orgs with the root, page size 100).
		wantOrgUserLists int
	}{
		{nil, 0},
		{[]string{emulator.ReadingUserOrgsAbsent}, 3},
		{[]string{emulator.ReadingUserOrgsAbsent, emulator.ReadingMemberRowsUserID, emulator.ReadingMetaSnakeCase}, 3},
	}
	for _, tt := range tests {
		t.Run(readingName(tt.readings), func(t *testing.T) {
			e := newEnv(t, readingsOf(t, tt.readings...), nil)
			ctx := context.Background()
			e.apply(createOrg(mapping.Org{Key: "sales", Name: "営業部"}))
			e.apply(createOrg(mapping.Org{Key: "dev", Name: "開発部"}))
			e.apply(createUser(mapping.User{Key: "u1", Name: "山田太郎", LoginID: "yamada"}, orgMember("u1", "sales", "admin"), orgMember("u1", "dev", "member")))
			e.apply(createUser(mapping.User{Key: "u2", Name: "佐藤花子", LoginID: "sato"})) // in the root, for want of an org
			e.apply(createUser(mapping.User{Key: "u3", Name: "鈴木一郎", LoginID: "suzuki"}, orgMember("u3", "dev", "member")))
			if err := e.a.Client().Orgs().Members(e.emu.RootOrgID()).Add(ctx, e.id("user", "u3"), RoleAdmin); err != nil {
				t.Fatal(err)
			}
			e.emu.ResetStats()
			var got []mapping.Membership
			for _, m := range e.read().Memberships {
				if m.Kind == mapping.KindOrg {
					got = append(got, m)
				}
			}
			want := []mapping.Membership{
				orgMember(e.id("user", "u1"), e.id("org", "sales"), "admin"), orgMember(e.id("user", "u1"), e.id("org", "dev"), "member"),
				orgMember(e.id("user", "u3"), e.id("org", "dev"), "member"), orgMember(e.id("user", "u3"), e.emu.RootOrgID(), "admin"),
			}
			less := cmpopts.SortSlices(func(a, b mapping.Membership) bool { return a.ID() < b.ID() })
			if diff := cmp.Diff(want, got, less); diff != "" {
				t.Errorf("org memberships (-want +got):\n%s", diff)
			}
			if n := e.emu.Stats().ByRoute["GET /organizations/{organizationId}/users"]; n != tt.wantOrgUserLists {
				t.Errorf("%d organization user lists read, want %d", n, tt.wantOrgUserLists)
			}
		})
	}
}

// The everyone group is the target's own whether or not it has a code.
func TestAdapterLeavesOutEveryoneGroup(t *testing.T) {
	for _, readings := range [][]string{nil, {emulator.ReadingEveryoneNoCode}} {
		t.Run(readingName(readings), func(t *testing.T) {
			e := newEnv(t, readingsOf(t, readings...), nil)
			e.apply(createUser(mapping.User{Key: "u1", Name: "山田太郎", LoginID: "yamada"}))
			e.emu.ResetStats()
			s := e.read()
			if len(s.Groups) != 0 || len(s.Memberships) != 0 {
				t.Errorf("Read: groups %v, memberships %v; want none (the everyone group is the target's own)", s.Groups, s.Memberships)
			}
			if n := e.emu.Stats().ByRoute["GET /groups/{groupId}/users"]; n != 0 {
				t.Errorf("the everyone group's users were read (%d requests)", n)
			}
		})
	}
}

// Org creates of one stage run concurrently; while the first finds out
// whether adminUserIds [] is taken the others wait, so a server that
// refuses it does so once.
func TestAdapterOrgAdminsProbedOnce(t *testing.T) {
	for _, tt := range []struct {
		readings  []string
		wantPosts int
	}{
		{nil, 8},
		{[]string{emulator.ReadingAdminsRequired}, 9},
	} {
		t.Run(readingName(tt.readings), func(t *testing.T) {
			e := newEnv(t, readingsOf(t, tt.readings...), nil)
			e.read()
			e.emu.ResetStats()
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := e.try(createOrg(mapping.Org{Key: fmt.Sprint("o", i), Name: fmt.Sprint("組織", i)})); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if n := e.emu.Stats().ByRoute["POST /organizations"]; n != tt.wantPosts {
				t.Errorf("%d POST /organizations for 8 creates, want %d", n, tt.wantPosts)
			}
		})
	}
}

// readingName names a subtest by its readings ("default" for none).
func readingName(readings []string) string {
	if len(readings) == 0 {
		return "default"
	}
	return strings.Join(readings, "+")
}

// A user orgbridge puts in no organization is sent as a member of the root
// by its id, so that it lands there whether the server reads two empty
// lists as the root (the default) or as no organization at all
// (empty-lists-no-org): on create and on an update that takes its last
// organization away.
func TestAdapterUserWithoutOrgIsInRoot(t *testing.T) {
	for _, readings := range [][]string{nil, {emulator.ReadingEmptyListsNoOrg}, {emulator.ReadingEmptyListsNoOrg, emulator.ReadingUserOrgsAbsent}} {
		t.Run(readingName(readings), func(t *testing.T) {
			e := newEnv(t, readingsOf(t, readings...), nil)
			e.apply(createOrg(mapping.Org{Key: "sales", Name: "営業部"}))
			u1 := mapping.User{Key: "u1", Name: "山田太郎", LoginID: "yamada"}
			e.apply(createUser(u1, orgMember("u1", "sales", "member")))
			e.apply(createUser(mapping.User{Key: "u2", Name: "佐藤花子", LoginID: "sato"}))
			e.apply(connectors.Change{Action: "update", Kind: "user", Key: "u1", TargetID: e.id("user", "u1"), User: &u1,
				Diff: []connectors.FieldChange{{Field: change.FieldOrgs}}, OrgMemberships: []mapping.Membership{}})
			root := e.emu.RootOrgID()
			for _, u := range e.emu.State().Users {
				if !cmp.Equal(u.MemberOrganizationIDs, []string{root}) || len(u.AdminOrganizationIDs) != 0 {
					t.Errorf("%s: member of %v, admin of %v; want a member of the root only", u.Name, u.MemberOrganizationIDs, u.AdminOrganizationIDs)
				}
			}
			// Read reports no membership of the root: the plan stays empty.
			for _, m := range e.read().Memberships {
				t.Errorf("Read reports %v", m)
			}
		})
	}
}

// Updates go by PUT; a server that takes PATCH only answers 405 once for
// each kind of update (route), and from then on that kind goes by PATCH,
// concurrent calls included. A server that takes neither fails the update
// saying so.
func TestAdapterUpdateMethod(t *testing.T) {
	for _, tt := range []struct {
		readings []string
		want405  int
	}{
		{nil, 0},
		// users, organizations, groups, group user lists.
		{[]string{emulator.ReadingUpdatesPatchOnly}, 4},
		{[]string{emulator.ReadingUpdatesPatchOnly, emulator.ReadingWritesAnswer200}, 4},
	} {
		t.Run(readingName(tt.readings), func(t *testing.T) {
			e := newEnv(t, readingsOf(t, tt.readings...), nil)
			e.apply(createOrg(mapping.Org{Key: "sales", Name: "営業部"}))
			e.apply(createGroup(mapping.Group{Key: "g", Name: "新人研修", OrgKey: "sales"}))
			const n = 8
			users := make([]mapping.User, n)
			for i := range users {
				users[i] = mapping.User{Key: fmt.Sprint("u", i), Name: fmt.Sprint("利用者", i), LoginID: fmt.Sprint("u", i)}
				e.apply(createUser(users[i], orgMember(users[i].Key, "sales", "member")))
				e.apply(membership("create", groupMember(users[i].Key, "g", "member")))
			}
			e.emu.ResetStats()
			var wg sync.WaitGroup
			for i := range users {
				wg.Go(func() {
					u := users[i]
					u.Attributes = map[string]string{"position": "主任"}
					if _, err := e.try(connectors.Change{Action: "update", Kind: "user", Key: u.Key, TargetID: e.id("user", u.Key), User: &u,
						Diff: []connectors.FieldChange{{Field: change.Attr("position")}}}); err != nil {
						t.Error(err)
					}
					if _, err := e.try(membership("update", groupMember(u.Key, "g", "admin"))); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			e.apply(connectors.Change{Action: "update", Kind: "org", Key: "sales", TargetID: e.id("org", "sales"),
				Org: &mapping.Org{Key: "sales", Name: "営業本部"}, Diff: []connectors.FieldChange{{Field: change.FieldName}}})
			e.apply(connectors.Change{Action: "update", Kind: "group", Key: "g", TargetID: e.id("group", "g"),
				Group: &mapping.Group{Key: "g", Name: "新人研修2", OrgKey: "sales"}, Diff: []connectors.FieldChange{{Field: change.FieldName}}})
			st := e.emu.Stats()
			if got := st.Requests - st.Writes; got != tt.want405 {
				t.Errorf("%d requests were not routed (405), want %d: %v", got, tt.want405, st.ByRoute)
			}
			snap := e.read()
			if len(snap.Orgs) != 2 || len(snap.Groups) != 1 || snap.Groups[0].Name != "新人研修2" {
				t.Errorf("orgs %v, groups %v", snap.Orgs, snap.Groups)
			}
			for _, u := range snap.Users {
				if u.Attributes["position"] != "主任" {
					t.Errorf("%s: position %q", u.LoginID, u.Attributes["position"])
				}
			}
			for _, m := range snap.Memberships {
				if m.Kind == mapping.KindGroup && m.Role != mapping.RoleAdmin {
					t.Errorf("group membership %v not updated", m)
				}
			}
		})
	}
}
