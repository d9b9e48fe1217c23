package plan_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/plan"
)

// A user attribute the target names as a reference to another user is
// compared in source keys (the actual one, a target id, through the
// links), and a login id differing only in case is no change where the
// target says it does not tell case apart; without the capabilities both
// are changes.
func TestUserInDesiredTerms(t *testing.T) {
	boss := mapping.User{Key: "e1", LoginID: "boss"}
	desired := &mapping.Snapshot{Users: []mapping.User{
		boss,
		{Key: "e2", LoginID: "Sato", Attributes: map[string]string{"manager": "e1"}},
	}}
	actual := &mapping.Snapshot{Users: []mapping.User{
		{Key: "id-1", LoginID: "boss"},
		{Key: "id-2", LoginID: "sato", Attributes: map[string]string{"manager": "id-1"}},
	}}
	links := plan.Links{mapping.KindUser: {"e1": "id-1", "e2": "id-2"}}
	base := change.Capabilities{Users: true, CreatesUsers: true}
	for _, tc := range []struct {
		name string
		caps func(*change.Capabilities)
		want []change.FieldChange
	}{
		{name: "without the capabilities", caps: func(*change.Capabilities) {},
			want: []change.FieldChange{{Field: change.FieldLoginID, Old: "sato", New: "Sato"}, {Field: change.Attr("manager"), Old: "id-1", New: "e1"}}},
		{name: "manager a reference", caps: func(c *change.Capabilities) { c.UserAttributeRefs = []string{"manager"} },
			want: []change.FieldChange{{Field: change.FieldLoginID, Old: "sato", New: "Sato"}}},
		{name: "both", caps: func(c *change.Capabilities) {
			c.UserAttributeRefs = []string{"manager"}
			c.LoginIDCaseInsensitive = true
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			caps := base
			tc.caps(&caps)
			p, err := plan.Make(desired, actual, links, caps, plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []change.FieldChange
			for _, c := range p.Changes {
				got = append(got, c.Diff...)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diff (-want +got):\n%s", diff)
			}
			if actual.Users[1].Attributes["manager"] != "id-1" {
				t.Error("the planner changed the actual snapshot")
			}
		})
	}
}
