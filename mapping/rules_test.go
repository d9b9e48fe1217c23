package mapping_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/mapping"
)

func userRec(line int, attrs map[string]string) mapping.Record {
	r := mapping.Record{Kind: mapping.KindUser, Key: attrs["id"], Attrs: map[string][]string{}, Origin: "users.csv:" + strconv.Itoa(line)}
	for k, v := range attrs {
		r.Attrs[k] = []string{v}
	}
	return r
}

func hrMapping() config.Mapping {
	return config.Mapping{Users: config.UserMapping{
		LoginID:    "e{{.id}}",
		Email:      "{{.mail | lower}}",
		Name:       "{{.name}}",
		Attributes: map[string]string{"position": "{{.title}}", "license": "basic"},
		OrgPath:    &config.OrgPath{Template: "{{.dept}}", Separator: "/", MultiSeparator: ";"},
		Role:       &config.RoleMap{Template: "{{.role}}", Values: map[string]string{"管理者": "admin", "一般": "member"}},
		Groups:     &config.ListField{Template: "{{.groups}}", Separator: ";"},
		Scope:      config.Scope{Exclude: []config.Match{{Template: "{{.status}}", Equals: "退職"}}},
		Suspended:  []config.Match{{Template: "{{.status}}", In: []string{"休職"}}},
	}}
}

func hrRow(line int, id, name, dept, role, status, groups string) mapping.Record {
	return userRec(line, map[string]string{"id": id, "name": name, "mail": "U" + id + "@Example.jp", "dept": dept, "title": "", "role": role, "status": status, "groups": groups})
}

func TestBuildHRTree(t *testing.T) {
	rules, err := mapping.Compile(hrMapping(), "jobs[0].mapping")
	if err != nil {
		t.Fatal(err)
	}
	records := []mapping.Record{
		hrRow(2, "1", "山田 太郎", "本社", "管理者", "在籍", ""),
		hrRow(3, "2", "鈴木 一郎", "本社/営業部/第一課", "一般", "在籍", "新人研修; 委員会"),
		hrRow(4, "3", "小林 陽菜", "本社/開発部;本社/営業部", "一般", "休職", ""),
		hrRow(5, "4", "山本 蓮", "本社/営業部/第一課", "一般", "退職", ""),
	}
	snap, report, err := rules.Build(records)
	if err != nil {
		t.Fatal(err)
	}
	if report.Excluded != 1 || report.Records != 4 {
		t.Errorf("report = %+v, want 4 records, 1 excluded", report)
	}
	want := &mapping.Snapshot{
		Orgs: []mapping.Org{
			{Key: "本社", Name: "本社"},
			{Key: "本社/営業部", Name: "営業部", ParentKey: "本社"},
			{Key: "本社/営業部/第一課", Name: "第一課", ParentKey: "本社/営業部"},
			{Key: "本社/開発部", Name: "開発部", ParentKey: "本社"},
		},
		Users: []mapping.User{
			{Key: "1", LoginID: "e1", Email: "u1@example.jp", Name: "山田 太郎", Attributes: map[string]string{"position": "", "license": "basic"}},
			{Key: "2", LoginID: "e2", Email: "u2@example.jp", Name: "鈴木 一郎", Attributes: map[string]string{"position": "", "license": "basic"}},
			{Key: "3", LoginID: "e3", Email: "u3@example.jp", Name: "小林 陽菜", Suspended: true, Attributes: map[string]string{"position": "", "license": "basic"}},
		},
		Groups: []mapping.Group{{Key: "委員会", Name: "委員会"}, {Key: "新人研修", Name: "新人研修"}},
		Memberships: []mapping.Membership{
			{UserKey: "2", Kind: mapping.KindGroup, ContainerKey: "委員会", Role: mapping.RoleMember},
			{UserKey: "2", Kind: mapping.KindGroup, ContainerKey: "新人研修", Role: mapping.RoleMember},
			{UserKey: "1", Kind: mapping.KindOrg, ContainerKey: "本社", Role: mapping.RoleAdmin},
			{UserKey: "3", Kind: mapping.KindOrg, ContainerKey: "本社/営業部", Role: mapping.RoleMember},
			{UserKey: "2", Kind: mapping.KindOrg, ContainerKey: "本社/営業部/第一課", Role: mapping.RoleMember},
			{UserKey: "3", Kind: mapping.KindOrg, ContainerKey: "本社/開発部", Role: mapping.RoleMember},
		},
	}
	if diff := cmp.Diff(want, snap); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}
}

func TestBuildOrgsFileEnrichesPaths(t *testing.T) {
	m := hrMapping()
	m.Orgs = config.OrgMapping{Code: "{{.code}}", Description: "{{.desc}}"}
	rules, err := mapping.Compile(m, "m")
	if err != nil {
		t.Fatal(err)
	}
	orgRec := mapping.Record{Kind: mapping.KindOrg, Key: "本社/営業部", Origin: "orgs.csv:3",
		Attrs: map[string][]string{"code": {"SALES"}, "desc": {"営業"}}}
	snap, _, err := rules.Build([]mapping.Record{hrRow(2, "1", "A", "本社", "一般", "在籍", ""), orgRec})
	if err != nil {
		t.Fatal(err)
	}
	idx := snap.OrgIndex()
	if got := idx["本社/営業部"]; got == nil || got.Code != "SALES" || got.Description != "営業" || got.ParentKey != "本社" {
		t.Errorf("org from orgs file = %+v", got)
	}
}

func TestBuildErrorsNameTheRecord(t *testing.T) {
	refMapping := config.Mapping{
		Users: config.UserMapping{LoginID: "{{.id}}", Name: "{{.name}}", Org: "{{.org}}"},
		Orgs:  config.OrgMapping{Name: "{{.name}}", Parent: "{{.parent}}"},
	}
	orgRec := func(line int, key, parent string) mapping.Record {
		return mapping.Record{Kind: mapping.KindOrg, Key: key, Origin: "orgs.csv:" + strconv.Itoa(line),
			Attrs: map[string][]string{"name": {"N" + key}, "parent": {parent}}}
	}
	refUser := func(line int, id, org string) mapping.Record {
		return userRec(line, map[string]string{"id": id, "name": "N", "org": org})
	}
	tests := []struct {
		name    string
		mapping config.Mapping
		records []mapping.Record
		want    []string
	}{
		{
			name:    "unknown column in a template",
			mapping: config.Mapping{Users: config.UserMapping{LoginID: "{{.id}}", Name: "{{.氏名}}"}},
			records: []mapping.Record{userRec(2, map[string]string{"id": "1", "name": "x"})},
			want:    []string{`users.csv:2: m.users.name: map has no entry for key "氏名"`},
		},
		{
			name:    "role value not in the map",
			mapping: hrMapping(),
			records: []mapping.Record{hrRow(7, "1", "A", "本社", "部長", "在籍", "")},
			want:    []string{`users.csv:7: m.users.role.template: value "部長" is not in the role map and no default is set`},
		},
		{
			name:    "empty path segment",
			mapping: hrMapping(),
			records: []mapping.Record{hrRow(3, "1", "A", "本社//営業部", "一般", "在籍", "")},
			want:    []string{`users.csv:3: m.users.org_path.template: path "本社//営業部" has an empty segment`},
		},
		{
			name:    "duplicate user key",
			mapping: hrMapping(),
			records: []mapping.Record{hrRow(2, "1", "A", "本社", "一般", "在籍", ""), hrRow(9, "1", "B", "本社", "一般", "在籍", "")},
			want:    []string{`users.csv:9: duplicate user key "1" (first at users.csv:2)`},
		},
		{
			name:    "duplicate login id",
			mapping: config.Mapping{Users: config.UserMapping{LoginID: "{{.login}}", Name: "{{.name}}"}},
			records: []mapping.Record{userRec(2, map[string]string{"id": "1", "name": "A", "login": "x"}), userRec(3, map[string]string{"id": "2", "name": "B", "login": "X"})},
			want:    []string{`users.csv:2: user "1": login id "x" is also used by user "2"`, `users.csv:3: user "2": login id "X" is also used by user "1"`},
		},
		{
			name:    "missing name",
			mapping: config.Mapping{Users: config.UserMapping{LoginID: "{{.id}}", Name: "{{.name}}"}},
			records: []mapping.Record{userRec(4, map[string]string{"id": "1", "name": " "})},
			want:    []string{`users.csv:4: user "1": empty name`},
		},
		{
			name:    "org whose parent is missing",
			mapping: refMapping,
			records: []mapping.Record{orgRec(2, "A", ""), orgRec(3, "B", "Z")},
			want:    []string{`orgs.csv:3: org "B": parent "Z" does not exist`},
		},
		{
			name:    "cycle",
			mapping: refMapping,
			records: []mapping.Record{orgRec(2, "A", "C"), orgRec(3, "B", "A"), orgRec(4, "C", "B")},
			want:    []string{`orgs.csv:2: org "A": org tree has a cycle: A → C → B → A`},
		},
		{
			name:    "membership pointing at nothing",
			mapping: refMapping,
			records: []mapping.Record{orgRec(2, "A", ""), refUser(5, "1", "Q")},
			want:    []string{`users.csv:5: user "1": member of org "Q", which does not exist`},
		},
		{
			name:    "group not declared in the groups file",
			mapping: config.Mapping{Users: config.UserMapping{LoginID: "{{.id}}", Name: "{{.name}}", Groups: &config.ListField{Template: "{{.g}}"}}},
			records: []mapping.Record{
				{Kind: mapping.KindGroup, Key: "G1", Origin: "groups.csv:2", Attrs: map[string][]string{}},
				userRec(3, map[string]string{"id": "1", "name": "A", "g": "G1;G2"}),
			},
			want: []string{`users.csv:3: user "1": member of group "G2", which does not exist`},
		},
		{
			name:    "several problems are all reported",
			mapping: config.Mapping{Users: config.UserMapping{LoginID: "{{.id}}", Name: "{{.name}}"}},
			records: []mapping.Record{userRec(2, map[string]string{"id": "1"}), userRec(3, map[string]string{"id": "2"})},
			want:    []string{`users.csv:2: m.users.name: map has no entry for key "name"`, `users.csv:3: m.users.name: map has no entry for key "name"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := mapping.Compile(tt.mapping, "m")
			if err != nil {
				t.Fatal(err)
			}
			snap, _, err := rules.Build(tt.records)
			if err == nil {
				t.Fatalf("Build succeeded with %+v; want an error", snap)
			}
			if snap != nil {
				t.Errorf("Build returned a snapshot with its error")
			}
			if diff := cmp.Diff(tt.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("error lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompileErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name    string
		mapping config.Mapping
		want    string
	}{
		{"name required", config.Mapping{Users: config.UserMapping{LoginID: "x"}}, "jobs[0].mapping.users.name: required"},
		{"login or mail", config.Mapping{Users: config.UserMapping{Name: "x"}}, "jobs[0].mapping.users: one of login_id and email is required"},
		{"bad template", config.Mapping{Users: config.UserMapping{Name: "{{.x", LoginID: "x"}}, "jobs[0].mapping.users.name: template: jobs[0].mapping.users.name:1: unclosed action"},
		{"unknown function", config.Mapping{Users: config.UserMapping{Name: "{{.x | shout}}", LoginID: "x"}}, `jobs[0].mapping.users.name: template: jobs[0].mapping.users.name:1: function "shout" not defined`},
		{"bad role value", config.Mapping{Users: config.UserMapping{Name: "x", LoginID: "x", Role: &config.RoleMap{Template: "{{.r}}", Values: map[string]string{"boss": "owner"}}}}, `jobs[0].mapping.users.role.values.boss: "owner" is not member or admin`},
		{"exclusive org sources", config.Mapping{Users: config.UserMapping{Name: "x", LoginID: "x", Org: "{{.o}}", OrgPath: &config.OrgPath{Template: "{{.p}}"}}}, "jobs[0].mapping.users: org_path and org are exclusive"},
		{"org separator without org", config.Mapping{Users: config.UserMapping{Name: "x", LoginID: "x", OrgSeparator: ";"}}, "jobs[0].mapping.users.org_separator: only used with users.org"},
		{"match without values", config.Mapping{Users: config.UserMapping{Name: "x", LoginID: "x", Scope: config.Scope{Exclude: []config.Match{{Template: "{{.s}}"}}}}}, "jobs[0].mapping.users.scope.exclude[0]: one of equals and in is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mapping.Compile(tt.mapping, "jobs[0].mapping")
			if err == nil || err.Error() != tt.want {
				t.Errorf("Compile error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestBuildOrgSeparatorGivesSeveralOrgs(t *testing.T) {
	rules, err := mapping.Compile(config.Mapping{
		Users: config.UserMapping{LoginID: "{{.id}}", Name: "{{.id}}", Org: "{{.groups}}", OrgSeparator: ";"},
		Orgs:  config.OrgMapping{Name: "{{.displayName}}"},
	}, "m")
	if err != nil {
		t.Fatal(err)
	}
	org := func(key, name string) mapping.Record {
		return mapping.Record{Kind: mapping.KindOrg, Key: key, Attrs: map[string][]string{"displayName": {name}}, Origin: "org " + key}
	}
	snap, _, err := rules.Build([]mapping.Record{
		org("g1", "営業"), org("g2", "開発"),
		userRec(1, map[string]string{"id": "u1", "groups": "g1; g2"}),
		userRec(2, map[string]string{"id": "u2", "groups": ""}),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []mapping.Membership{
		{UserKey: "u1", Kind: mapping.KindOrg, ContainerKey: "g1", Role: mapping.RoleMember},
		{UserKey: "u1", Kind: mapping.KindOrg, ContainerKey: "g2", Role: mapping.RoleMember},
	}
	if diff := cmp.Diff(want, snap.Memberships); diff != "" {
		t.Errorf("memberships (-want +got):\n%s", diff)
	}
	if len(snap.Orgs) != 2 || snap.Orgs[0].Name != "営業" {
		t.Errorf("orgs = %+v", snap.Orgs)
	}
}
