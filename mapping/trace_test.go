package mapping_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/internal/config"

	"github.com/orgbridge/orgbridge/mapping"
)

// TestTrace: every template that reads a user record, rendered on its
// own, in the build's order: the conditions (matched or not), a value, a
// missing column as an error that stops nothing, the role's map.
func TestTrace(t *testing.T) {
	rules, err := mapping.Compile(hrMapping(), "jobs[0].mapping")
	if err != nil {
		t.Fatal(err)
	}
	rec := hrRow(3, "1008", "中村 大輔", "本社/開発部", "管理者", "退職", "")
	delete(rec.Attrs, "title")
	want := []mapping.Traced{
		{Key: "jobs[0].mapping.users.scope.exclude[0].template", Template: "{{.status}}", Value: "退職", Condition: true, Match: true},
		{Key: "jobs[0].mapping.users.suspended[0].template", Template: "{{.status}}", Value: "退職", Condition: true},
		{Key: "jobs[0].mapping.users.login_id", Template: "e{{.id}}", Value: "e1008"},
		{Key: "jobs[0].mapping.users.email", Template: "{{.mail | lower}}", Value: "u1008@example.jp"},
		{Key: "jobs[0].mapping.users.name", Template: "{{.name}}", Value: "中村 大輔"},
		{Key: "jobs[0].mapping.users.attributes.license", Template: "basic", Value: "basic"},
		{Key: "jobs[0].mapping.users.attributes.position", Template: "{{.title}}", Err: `map has no entry for key "title"`},
		{Key: "jobs[0].mapping.users.org_path.template", Template: "{{.dept}}", Value: "本社/開発部"},
		{Key: "jobs[0].mapping.users.role.template", Template: "{{.role}}", Value: "管理者", Role: mapping.RoleAdmin},
		{Key: "jobs[0].mapping.users.groups.template", Template: "{{.groups}}", Value: ""},
	}
	if diff := cmp.Diff(want, rules.Trace(rec)); diff != "" {
		t.Errorf("Trace (-want +got):\n%s", diff)
	}
	// A role value the map lacks takes the default ("" here: none).
	rec = hrRow(4, "1009", "x", "本社", "社長", "在籍", "")
	for _, tr := range rules.Trace(rec) {
		if tr.Key == "jobs[0].mapping.users.role.template" && (tr.Value != "社長" || tr.Role != "") {
			t.Errorf("role of an unmapped value: %+v", tr)
		}
	}
	// An org record reads the orgs templates only; a kind none reads, none.
	orgRules, err := mapping.Compile(orgsMappingForTrace(), "")
	if err != nil {
		t.Fatal(err)
	}
	got := orgRules.Trace(mapping.Record{Kind: mapping.KindOrg, Key: "本社", Attrs: map[string][]string{"code": {"HQ"}}})
	if len(got) != 1 || got[0].Key != "orgs.code" || got[0].Value != "HQ" {
		t.Errorf("Trace of an org record = %+v", got)
	}
	if got := orgRules.Trace(mapping.Record{Kind: mapping.KindGroup, Key: "g"}); len(got) != 0 {
		t.Errorf("Trace of a group record with no group templates = %+v", got)
	}
}

func orgsMappingForTrace() (m config.Mapping) {
	m = hrMapping()
	m.Orgs.Code = "{{.code}}"
	return m
}
