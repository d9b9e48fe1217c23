package scheduler_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

// On a target that takes a user's org memberships in the user call, the
// planner compares only memberships in orgs orgbridge manages, and carries
// the user's memberships elsewhere (a hand-made org, the target's root) in
// ForeignOrgMemberships, so that the whole set the target takes keeps them.
func TestPlanKeepsForeignOrgMemberships(t *testing.T) {
	const (
		sales   = "org_sales"   // managed: linked to 営業部
		dev     = "org_dev"     // managed: linked to 開発部
		old     = "org_old"     // managed: linked to 旧組織, no longer in the source
		manual  = "org_manual"  // made by hand: no link
		root    = "org_root"    // the target's own
		yamada  = "usr_yamada"  // managed: linked to 1001
		visitor = "usr_visitor" // made by hand: no link
	)
	actualOrgs := []mapping.Org{
		{Key: root, Name: "ルート組織", System: true},
		{Key: sales, Name: "営業部"}, {Key: dev, Name: "開発部"}, {Key: old, Name: "旧組織"},
		{Key: manual, Name: "手作業の組織"},
	}
	desiredOrgs := []mapping.Org{{Key: "営業部", Name: "営業部"}, {Key: "開発部", Name: "開発部"}}
	links := func() scheduler.Links {
		return scheduler.Links{
			mapping.KindOrg:  {"営業部": sales, "開発部": dev, "旧組織": old},
			mapping.KindUser: {"1001": yamada},
		}
	}
	person := mapping.User{Key: "1001", Name: "山田 太郎", LoginID: "e1001"}
	actualPerson := person
	actualPerson.Key = yamada
	in := func(user, org string, role mapping.Role) mapping.Membership {
		return mapping.Membership{UserKey: user, Kind: mapping.KindOrg, ContainerKey: org, Role: role}
	}

	tests := []struct {
		name    string
		actual  []mapping.Membership // yamada's (and the visitor's) actual org memberships
		desired []mapping.Membership // 1001's desired ones
		// want is the user change planned for 1001, nil for none.
		want *connectors.Change
	}{
		{
			name:    "member of a hand-made org, unchanged",
			actual:  []mapping.Membership{in(yamada, sales, mapping.RoleMember), in(yamada, manual, mapping.RoleMember)},
			desired: []mapping.Membership{in("1001", "営業部", mapping.RoleMember)},
		},
		{
			name:    "admin of a hand-made org and of the root, unchanged",
			actual:  []mapping.Membership{in(yamada, sales, mapping.RoleAdmin), in(yamada, manual, mapping.RoleAdmin), in(yamada, root, mapping.RoleAdmin)},
			desired: []mapping.Membership{in("1001", "営業部", mapping.RoleAdmin)},
		},
		{
			name:    "only in a hand-made org, no org in the source",
			actual:  []mapping.Membership{in(yamada, manual, mapping.RoleMember)},
			desired: nil,
		},
		{
			name:    "a hand-made user in a managed org is not planned for",
			actual:  []mapping.Membership{in(yamada, sales, mapping.RoleMember), in(visitor, sales, mapping.RoleAdmin)},
			desired: []mapping.Membership{in("1001", "営業部", mapping.RoleMember)},
		},
		{
			name:    "a move keeps the hand-made memberships",
			actual:  []mapping.Membership{in(yamada, sales, mapping.RoleMember), in(yamada, manual, mapping.RoleAdmin), in(yamada, root, mapping.RoleAdmin)},
			desired: []mapping.Membership{in("1001", "開発部", mapping.RoleMember)},
			want: &connectors.Change{
				Diff:                  []connectors.FieldChange{{Field: change.FieldOrgs, Old: "営業部(member)", New: "開発部(member)"}},
				OrgMemberships:        []mapping.Membership{in("1001", "開発部", mapping.RoleMember)},
				ForeignOrgMemberships: []mapping.Membership{in(yamada, manual, mapping.RoleAdmin), in(yamada, root, mapping.RoleAdmin)},
			},
		},
		{
			name:    "a role change in a managed org",
			actual:  []mapping.Membership{in(yamada, sales, mapping.RoleMember), in(yamada, manual, mapping.RoleMember)},
			desired: []mapping.Membership{in("1001", "営業部", mapping.RoleAdmin)},
			want: &connectors.Change{
				Diff:                  []connectors.FieldChange{{Field: change.FieldOrgs, Old: "営業部(member)", New: "営業部(admin)"}},
				OrgMemberships:        []mapping.Membership{in("1001", "営業部", mapping.RoleAdmin)},
				ForeignOrgMemberships: []mapping.Membership{in(yamada, manual, mapping.RoleMember)},
			},
		},
		{
			name:    "leaving an org no longer in the source, staying in the hand-made one",
			actual:  []mapping.Membership{in(yamada, old, mapping.RoleMember), in(yamada, manual, mapping.RoleMember)},
			desired: nil,
			want: &connectors.Change{
				Diff:                  []connectors.FieldChange{{Field: change.FieldOrgs, Old: "旧組織(member)", New: ""}},
				OrgMemberships:        []mapping.Membership{},
				ForeignOrgMemberships: []mapping.Membership{in(yamada, manual, mapping.RoleMember)},
			},
		},
		{
			name:    "joining a managed org with no foreign membership",
			actual:  nil,
			desired: []mapping.Membership{in("1001", "営業部", mapping.RoleMember)},
			want: &connectors.Change{
				Diff:           []connectors.FieldChange{{Field: change.FieldOrgs, Old: "", New: "営業部(member)"}},
				OrgMemberships: []mapping.Membership{in("1001", "営業部", mapping.RoleMember)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			actual := &mapping.Snapshot{
				Orgs:        actualOrgs,
				Users:       []mapping.User{actualPerson, {Key: visitor, Name: "来訪 者", LoginID: "visitor"}},
				Memberships: tt.actual,
			}
			desired := &mapping.Snapshot{Orgs: desiredOrgs, Users: []mapping.User{person}, Memberships: tt.desired}
			plan, err := scheduler.MakePlan(desired, actual, links(), fullCaps(), scheduler.PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got *connectors.Change
			for _, c := range plan.Changes {
				if c.Kind == mapping.KindUser {
					if got != nil || c.Key != "1001" || c.Action != connectors.ActionUpdate {
						t.Fatalf("unexpected user change %s %s", c.Action, c.Key)
					}
					c := c
					got = &c
				}
				if c.Kind == mapping.KindMembership && c.Membership.Kind == mapping.KindOrg {
					t.Errorf("an org membership change on a target that folds them: %s %s", c.Action, c.Key)
				}
			}
			if tt.want == nil {
				if got != nil {
					t.Fatalf("planned %s of 1001 (diff %v), want nothing", got.Action, got.Diff)
				}
				return
			}
			if got == nil {
				t.Fatal("no user change planned")
			}
			trim := connectors.Change{Diff: got.Diff, OrgMemberships: got.OrgMemberships, ForeignOrgMemberships: got.ForeignOrgMemberships}
			if diff := cmp.Diff(*tt.want, trim, cmpopts.SortSlices(func(a, b mapping.Membership) bool { return a.ID() < b.ID() })); diff != "" {
				t.Errorf("user change (-want +got):\n%s", diff)
			}
		})
	}
}
