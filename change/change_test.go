package change_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/mapping"
)

// The journal entries in testdata were written by the planner before its
// fields were typed: they decode with every field given its sort, and
// encode back byte for byte.
func TestDecodeJournalWrittenBefore(t *testing.T) {
	for _, file := range []string{"testdata/journal_folded.json", "testdata/journal_apart.json"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var rows []json.RawMessage
		if err := json.Unmarshal(raw, &rows); err != nil {
			t.Fatal(err)
		}
		seen := map[change.Field]bool{}
		for _, row := range rows {
			var c change.Change
			if err := json.Unmarshal(row, &c); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			for _, d := range c.Diff {
				seen[d.Field] = true
			}
			again, err := json.Marshal(&c)
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, row); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, want.Bytes()) {
				t.Errorf("%s: re-encoded\n%s\nwant\n%s", file, again, want.Bytes())
			}
		}
		for _, f := range []change.Field{change.FieldName, change.FieldParent, change.FieldDescription, change.FieldOrg,
			change.FieldSuspended, change.Attr("department"), change.TargetSetting("management_email"), change.FieldRole} {
			if !seen[f] {
				t.Errorf("%s: no diff decoded as %s (sort %d)", file, f, f.Kind())
			}
		}
		if file == "testdata/journal_folded.json" && !seen[change.FieldOrgs] {
			t.Errorf("%s: no diff decoded as orgs", file)
		}
	}
}

func TestParseField(t *testing.T) {
	tests := []struct {
		kind mapping.Kind
		name string
		want change.Field
	}{
		{mapping.KindOrg, "parent", change.FieldParent},
		{mapping.KindOrg, "management_email", change.TargetSetting("management_email")},
		{mapping.KindGroup, "org", change.FieldOrg},
		{mapping.KindUser, "login_id", change.FieldLoginID},
		{mapping.KindUser, "department", change.Attr("department")},
		{mapping.KindUser, "role", change.Attr("role")}, // AirCourse's user role is an attribute
		{mapping.KindMembership, "role", change.FieldRole},
	}
	for _, tt := range tests {
		if got := change.ParseField(tt.kind, tt.name); got != tt.want {
			t.Errorf("ParseField(%s, %q) = %v (sort %d), want sort %d", tt.kind, tt.name, got, got.Kind(), tt.want.Kind())
		}
	}
	if name, ok := change.Attr("department").Attribute(); !ok || name != "department" {
		t.Errorf("Attr.Attribute() = %q, %v", name, ok)
	}
	if _, ok := change.FieldName.Attribute(); ok {
		t.Error("FieldName is an attribute")
	}
}

type ids map[string]string

func (m ids) TargetID(kind mapping.Kind, key string) (string, bool) {
	id, ok := m[string(kind)+"/"+key]
	return id, ok
}

// A reference is resolved through IDs or is an id already: a key that
// looks like a target id is not taken for one.
func TestRefs(t *testing.T) {
	known := ids{"org/hq": "org_HQHQHQHQHQHQHQHQ", "user/u1": "usr_1", "group/g1": "grp_1"}
	create := change.CreateOrg(mapping.Org{Key: "sales", ParentKey: "hq"})
	if id, err := create.Parent().Resolve(known); err != nil || id != "org_HQHQHQHQHQHQHQHQ" {
		t.Errorf("create's parent: %q, %v", id, err)
	}
	guess := change.CreateOrg(mapping.Org{Key: "sales", ParentKey: "org_ABCDABCDABCDABCD"})
	if _, err := guess.Parent().Resolve(known); !errors.Is(err, change.ErrUnresolved) {
		t.Errorf("a key that looks like an id: %v, want ErrUnresolved", err)
	}
	del := change.DeleteOrg("sales", "org_SALES", &mapping.Org{Key: "org_SALES", ParentKey: "org_ROOT"})
	if id, err := del.Parent().Resolve(nil); err != nil || id != "org_ROOT" {
		t.Errorf("delete's parent (the actual org's, a target id): %q, %v", id, err)
	}
	if r := change.CreateOrg(mapping.Org{Key: "top"}).Parent(); !r.IsZero() {
		t.Errorf("top-level parent %v, want the zero Ref", r)
	}
	m := change.UpdateMembership(mapping.Membership{UserKey: "u1", Kind: mapping.KindGroup, ContainerKey: "g1", Role: mapping.RoleAdmin}, mapping.RoleMember)
	u, err1 := m.MemberUser().Resolve(known)
	g, err2 := m.Container().Resolve(known)
	if u != "usr_1" || g != "grp_1" || err1 != nil || err2 != nil {
		t.Errorf("membership ends %q %q %v %v", u, g, err1, err2)
	}
	c := change.UpdateUser("usr_1", mapping.User{Key: "usr_1", Name: "a"}, mapping.User{Key: "u1", Name: "a"})
	c.SetOrgs(nil, []mapping.Membership{{UserKey: "u1", Kind: mapping.KindOrg, ContainerKey: "hq", Role: mapping.RoleAdmin}},
		[]mapping.Membership{{UserKey: "usr_1", Kind: mapping.KindOrg, ContainerKey: "org_HAND", Role: mapping.RoleMember}})
	want, foreign := c.DesiredOrgs(), c.ForeignOrgs()
	if len(want) != 1 || want[0].Org != (change.Ref{Kind: mapping.KindOrg, Key: "hq"}) || len(foreign) != 1 || foreign[0].Org != (change.Ref{Kind: mapping.KindOrg, ID: "org_HAND"}) {
		t.Errorf("orgs %v, foreign %v", want, foreign)
	}
	if !c.Changes(change.FieldOrgs) || c.Changes(change.FieldName) {
		t.Errorf("diff %v: want orgs only", c.Diff)
	}
}
