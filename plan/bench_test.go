package plan_test

import (
	"fmt"
	"testing"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/plan"
)

// scaleSnapshots builds a desired state of n users in 100 orgs (10 under
// each of 10 divisions), and an actual state that matches it through links
// except for every 100th user's name.
func scaleSnapshots(n int) (desired, actual *mapping.Snapshot, links plan.Links) {
	desired, actual = &mapping.Snapshot{}, &mapping.Snapshot{}
	links = plan.Links{mapping.KindOrg: {}, mapping.KindUser: {}}
	for d := 0; d < 10; d++ {
		div := fmt.Sprintf("div%d", d)
		desired.Orgs = append(desired.Orgs, mapping.Org{Key: div, Name: div})
		actual.Orgs = append(actual.Orgs, mapping.Org{Key: "o-" + div, Name: div})
		links[mapping.KindOrg][div] = "o-" + div
		for s := 0; s < 10; s++ {
			key := fmt.Sprintf("%s/sec%d", div, s)
			desired.Orgs = append(desired.Orgs, mapping.Org{Key: key, Name: fmt.Sprintf("sec%d", s), ParentKey: div})
			actual.Orgs = append(actual.Orgs, mapping.Org{Key: "o-" + key, Name: fmt.Sprintf("sec%d", s), ParentKey: "o-" + div})
			links[mapping.KindOrg][key] = "o-" + key
		}
	}
	for i := 0; i < n; i++ {
		key := fmt.Sprint(100000 + i)
		org := fmt.Sprintf("div%d/sec%d", i%10, (i/10)%10)
		u := mapping.User{Key: key, LoginID: "e" + key, Email: key + "@example.jp", Name: "社員 " + key, Attributes: map[string]string{"userNumber": key, "license": "basic"}}
		desired.Users = append(desired.Users, u)
		desired.Memberships = append(desired.Memberships, mapping.Membership{UserKey: key, Kind: mapping.KindOrg, ContainerKey: org, Role: mapping.RoleMember})
		a := u
		a.Key = "u-" + key
		if i%100 == 0 {
			a.Name = "旧姓 " + key
		}
		actual.Users = append(actual.Users, a)
		actual.Memberships = append(actual.Memberships, mapping.Membership{UserKey: a.Key, Kind: mapping.KindOrg, ContainerKey: "o-" + org, Role: mapping.RoleMember})
		links[mapping.KindUser][key] = a.Key
	}
	return desired, actual, links
}

func BenchmarkPlan100k(b *testing.B) {
	desired, actual, links := scaleSnapshots(100000)
	caps := change.Capabilities{Orgs: true, Users: true, Groups: true, NestedOrgs: true, CreatesUsers: true, SuspendsUsers: true,
		Roles: []mapping.Role{mapping.RoleMember, mapping.RoleAdmin}, OrgMembershipsInUser: true, GroupMemberships: true}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := plan.Make(desired, actual, links, caps, plan.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Changes) != 1000 {
			b.Fatalf("%d changes, want 1000", len(p.Changes))
		}
	}
	b.ReportMetric(float64(len(desired.Users)*b.N)/b.Elapsed().Seconds(), "users/s")
}
