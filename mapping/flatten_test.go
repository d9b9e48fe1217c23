package mapping_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/mapping"
)

func treeSnapshot() *mapping.Snapshot {
	return &mapping.Snapshot{
		Orgs: []mapping.Org{
			{Key: "本社", Name: "本社"},
			{Key: "本社/営業部", Name: "営業部", ParentKey: "本社"},
			{Key: "本社/営業部/第一課", Name: "第一課", ParentKey: "本社/営業部"},
			{Key: "支社", Name: "支社"},
		},
		Groups: []mapping.Group{{Key: "g", Name: "g", OrgKey: "本社/営業部/第一課"}},
		Memberships: []mapping.Membership{
			{UserKey: "1", Kind: mapping.KindOrg, ContainerKey: "本社/営業部", Role: mapping.RoleMember},
			{UserKey: "1", Kind: mapping.KindOrg, ContainerKey: "本社/営業部/第一課", Role: mapping.RoleAdmin},
			{UserKey: "2", Kind: mapping.KindOrg, ContainerKey: "支社", Role: mapping.RoleMember},
			{UserKey: "2", Kind: mapping.KindGroup, ContainerKey: "g", Role: mapping.RoleMember},
		},
	}
}

func TestFlatten(t *testing.T) {
	tests := []struct {
		mode, sep string
		want      *mapping.Snapshot
	}{
		{mapping.FlattenTopLevel, "", &mapping.Snapshot{
			Orgs:   []mapping.Org{{Key: "本社", Name: "本社"}, {Key: "支社", Name: "支社"}},
			Groups: []mapping.Group{{Key: "g", Name: "g", OrgKey: "本社"}},
			Memberships: []mapping.Membership{
				{UserKey: "1", Kind: mapping.KindOrg, ContainerKey: "本社", Role: mapping.RoleAdmin},
				{UserKey: "2", Kind: mapping.KindOrg, ContainerKey: "支社", Role: mapping.RoleMember},
				{UserKey: "2", Kind: mapping.KindGroup, ContainerKey: "g", Role: mapping.RoleMember},
			},
		}},
		{mapping.FlattenPath, "", &mapping.Snapshot{
			Orgs: []mapping.Org{{Key: "本社", Name: "本社"}, {Key: "本社/営業部", Name: "本社 / 営業部"},
				{Key: "本社/営業部/第一課", Name: "本社 / 営業部 / 第一課"}, {Key: "支社", Name: "支社"}},
			Groups:      treeSnapshot().Groups,
			Memberships: treeSnapshot().Memberships,
		}},
		{mapping.FlattenPath, "-", &mapping.Snapshot{
			Orgs: []mapping.Org{{Key: "本社", Name: "本社"}, {Key: "本社/営業部", Name: "本社-営業部"},
				{Key: "本社/営業部/第一課", Name: "本社-営業部-第一課"}, {Key: "支社", Name: "支社"}},
			Groups:      treeSnapshot().Groups,
			Memberships: treeSnapshot().Memberships,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.mode+tt.sep, func(t *testing.T) {
			s := treeSnapshot()
			if err := mapping.Flatten(s, tt.mode, tt.sep); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, s); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if err := mapping.Flatten(treeSnapshot(), "leaves", ""); err == nil {
		t.Error("unknown mode accepted")
	}
}

func TestBuildFlattensByConfig(t *testing.T) {
	m := hrMapping()
	m.Orgs.Flatten = &config.Flatten{Mode: "path", Separator: " > "}
	rules, err := mapping.Compile(m, "m")
	if err != nil {
		t.Fatal(err)
	}
	snap, _, err := rules.Build([]mapping.Record{hrRow(2, "1", "A", "本社/営業部", "一般", "在籍", "")})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range snap.Orgs {
		if o.ParentKey != "" || (o.Key == "本社/営業部" && o.Name != "本社 > 営業部") {
			t.Errorf("org not flattened: %+v", o)
		}
	}
	m.Orgs.Flatten = &config.Flatten{Mode: "leaves"}
	if _, err := mapping.Compile(m, "jobs[0].mapping"); err == nil || err.Error() != `jobs[0].mapping.orgs.flatten.mode: "leaves" is not top_level or path` {
		t.Errorf("Compile err = %v", err)
	}
}

func TestKeep(t *testing.T) {
	s := treeSnapshot()
	s.Users = []mapping.User{{Key: "1"}, {Key: "2"}}
	s.Keep([]mapping.Kind{mapping.KindOrg})
	if len(s.Orgs) != 4 || len(s.Users) != 0 || len(s.Groups) != 0 || len(s.Memberships) != 0 {
		t.Errorf("orgs only: %+v", s)
	}
	s = treeSnapshot()
	s.Users = []mapping.User{{Key: "1"}, {Key: "2"}}
	s.Keep([]mapping.Kind{mapping.KindUser, mapping.KindGroup})
	if len(s.Orgs) != 0 || len(s.Users) != 2 || s.Groups[0].OrgKey != "" || len(s.Memberships) != 1 || s.Memberships[0].Kind != mapping.KindGroup {
		t.Errorf("users and groups: %+v", s)
	}
	s = treeSnapshot()
	s.Keep(nil)
	if len(s.Orgs) != 4 || len(s.Memberships) != 4 {
		t.Errorf("nil kept less than everything: %+v", s)
	}
}
