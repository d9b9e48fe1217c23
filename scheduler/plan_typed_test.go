package scheduler_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

// The plans saved in change/testdata were made by the planner
// before its changes were typed: the typed planner makes the same plan,
// its JSON (the journal's, `plan --json`'s) and its printed lines alike.
func TestPlanSameAsBeforeTypedChanges(t *testing.T) {
	desired := &mapping.Snapshot{
		Orgs: []mapping.Org{{Key: "hq", Name: "本社", Code: "HQ"}, {Key: "sales", Name: "営業本部", Code: "S1", ParentKey: "hq", Description: "営業"}, {Key: "dev", Name: "開発部", ParentKey: "hq"}},
		Users: []mapping.User{
			{Key: "1001", Name: "山田 太郎", LoginID: "yamada", Email: "yamada@example.jp", Attributes: map[string]string{"department": "企画部", "license": "basic"}},
			{Key: "1003", Name: "新人 三郎", LoginID: "shinjin", Email: "shinjin@example.jp"},
		},
		Groups: []mapping.Group{{Key: "g1", Name: "新人研修2", OrgKey: "dev", Code: "G1"}},
		Memberships: []mapping.Membership{
			{UserKey: "1001", Kind: mapping.KindOrg, ContainerKey: "sales", Role: mapping.RoleAdmin},
			{UserKey: "1003", Kind: mapping.KindOrg, ContainerKey: "dev", Role: mapping.RoleMember},
			{UserKey: "1001", Kind: mapping.KindGroup, ContainerKey: "g1", Role: mapping.RoleAdmin},
		},
	}
	actual := &mapping.Snapshot{
		Orgs: []mapping.Org{{Key: "o1", Name: "本社", Code: "HQ"}, {Key: "o2", Name: "営業部", Code: "S1", ParentKey: "o9", Drift: mapping.Drift{Field: "management_email", Old: "x@example.com", New: "it@example.jp"}}, {Key: "o9", Name: "旧組織"}, {Key: "o3", Name: "開発部", ParentKey: "o1"}},
		Users: []mapping.User{
			{Key: "u1", Name: "山田 太郎", LoginID: "yamada", Email: "yamada@example.jp", Attributes: map[string]string{"department": "営業部", "license": "basic"}},
			{Key: "u2", Name: "退職 次郎", LoginID: "taishoku", Email: "taishoku@example.jp"},
		},
		Groups: []mapping.Group{{Key: "gg1", Name: "新人研修", OrgKey: "o1", Code: "G1"}},
		Memberships: []mapping.Membership{
			{UserKey: "u1", Kind: mapping.KindOrg, ContainerKey: "o9", Role: mapping.RoleMember},
			{UserKey: "u1", Kind: mapping.KindOrg, ContainerKey: "o1", Role: mapping.RoleMember},
			{UserKey: "u1", Kind: mapping.KindGroup, ContainerKey: "gg1", Role: mapping.RoleMember},
		},
	}
	links := scheduler.Links{mapping.KindOrg: {"hq": "o1", "sales": "o2", "old": "o9"}, mapping.KindUser: {"1001": "u1", "1002": "u2"}, mapping.KindGroup: {"g1": "gg1"}}
	for _, tt := range []struct {
		name string
		fold bool
	}{{"folded", true}, {"apart", false}} {
		t.Run(tt.name, func(t *testing.T) {
			caps := connectors.Capabilities{Orgs: true, Users: true, Groups: true, NestedOrgs: true, CreatesUsers: true, SuspendsUsers: true,
				Roles: []mapping.Role{mapping.RoleMember, mapping.RoleAdmin}, OrgMembershipsInUser: tt.fold, GroupMemberships: true}
			p, err := scheduler.MakePlan(desired, actual, links, caps, scheduler.PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var rows []json.RawMessage
			for _, c := range p.Changes {
				js, err := json.Marshal(&c)
				if err != nil {
					t.Fatal(err)
				}
				rows = append(rows, js)
			}
			got, _ := json.MarshalIndent(rows, "", "  ")
			want, err := os.ReadFile("../change/testdata/journal_" + tt.name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(append(got, '\n'), want) {
				t.Errorf("JSON differs from the saved plan:\n%s", got)
			}
			var text bytes.Buffer
			if err := scheduler.WriteText(&text, "gen", p); err != nil {
				t.Fatal(err)
			}
			wantText, err := os.ReadFile("../change/testdata/plan_" + tt.name + ".txt")
			if err != nil {
				t.Fatal(err)
			}
			if text.String() != string(wantText) {
				t.Errorf("printed plan:\n%s\nwant:\n%s", text.String(), wantText)
			}
		})
	}
}
