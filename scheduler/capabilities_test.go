package scheduler_test

import (
	"context"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

// referencingCaps describe a target that holds nested orgs and memberships
// but references users by an id it already knows (tenantadmin).
func referencingCaps() connectors.Capabilities {
	return connectors.Capabilities{Orgs: true, Users: true, NestedOrgs: true, UserRef: "user_id",
		Roles: []mapping.Role{mapping.RoleMember, mapping.RoleAdmin}}
}

func withUserIDs(s *mapping.Snapshot) *mapping.Snapshot {
	s.Groups, s.Memberships = nil, dropGroupMemberships(s.Memberships)
	for i := range s.Users {
		s.Users[i].Attributes = map[string]string{"user_id": "usr_" + s.Users[i].Key}
	}
	return s
}

func dropGroupMemberships(ms []mapping.Membership) []mapping.Membership {
	var out []mapping.Membership
	for _, m := range ms {
		if m.Kind == mapping.KindOrg {
			out = append(out, m)
		}
	}
	return out
}

func TestPlanReferencesUsersItCannotCreate(t *testing.T) {
	fake := newFake(referencingCaps())
	links := scheduler.Links{}
	first := syncOnce(t, fake, links, withUserIDs(firstExport()), scheduler.PlanOptions{})
	if n := first.Count(mapping.KindUser, connectors.ActionCreate); n != 0 {
		t.Errorf("planned %d user creates on a target that references users", n)
	}
	if n := first.Count(mapping.KindMembership, connectors.ActionCreate); n != 6 {
		t.Errorf("membership creates = %d, want 6", n)
	}
	actual, _ := fake.Read(context.Background())
	for _, m := range actual.Memberships {
		if !strings.HasPrefix(m.UserKey, "usr_") {
			t.Errorf("membership refers to user %q, not the mapped user_id", m.UserKey)
		}
	}
	second := syncOnce(t, fake, links, withUserIDs(secondExport()), scheduler.PlanOptions{})
	golden(t, "referenced-users", planText(t, second))
	third := syncOnce(t, fake, links, withUserIDs(secondExport()), scheduler.PlanOptions{})
	if len(third.Changes) != 0 || len(third.Departed) != 0 {
		t.Errorf("no-change run planned:\n%s", planText(t, third))
	}

	missing := withUserIDs(firstExport())
	delete(missing.Users[2].Attributes, "user_id")
	delete(missing.Users[3].Attributes, "user_id")
	_, err := scheduler.MakePlan(missing, &mapping.Snapshot{}, nil, referencingCaps(), scheduler.PlanOptions{})
	if err == nil || !strings.Contains(err.Error(), `user "1003" has no user_id: the target references existing users by it (map users.attributes.user_id); 2 users in all have no user_id`) {
		t.Errorf("err = %v", err)
	}
}

// batchTarget takes user creates in batches, like pcaid's import.
type batchTarget struct {
	*fakeTarget
	batches [][]string
}

func (b *batchTarget) MinBatch() int { return 3 }

func (b *batchTarget) ApplyBatch(ctx context.Context, changes []connectors.Change, ids connectors.IDs) ([]connectors.Result, []error) {
	results := make([]connectors.Result, len(changes))
	errs := make([]error, len(changes))
	var keys []string
	for i, c := range changes {
		keys = append(keys, c.Key)
		results[i], errs[i] = b.fakeTarget.Apply(ctx, c, ids)
	}
	b.batches = append(b.batches, keys)
	return results, errs
}

func TestExecutorBatchesUserCreates(t *testing.T) {
	bt := &batchTarget{fakeTarget: newFake(fullCaps())}
	bt.failKeys = map[string]bool{"1004": true}
	actual, _ := bt.Read(context.Background())
	plan, err := scheduler.MakePlan(firstExport(), actual, nil, bt.caps, scheduler.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := (&scheduler.Executor{Target: bt}).Apply(context.Background(), plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(bt.batches) != 1 || len(bt.batches[0]) != 6 {
		t.Fatalf("batches = %v, want one batch of the 6 user creates", bt.batches)
	}
	// The failed row fails its own change and the membership that needs it.
	if out.Failed != 2 || out.Errors[0].Change.Key != "1004" {
		t.Errorf("outcome = %+v", out)
	}
}

// A partial plan (an incremental read) holds one changed user: its group
// membership change is planned against a group the read did not include,
// resolved through the links; nobody else is touched.
func TestPartialPlan(t *testing.T) {
	fake := newFake(fullCaps())
	links := scheduler.Links{}
	syncOnce(t, fake, links, firstExport(), scheduler.PlanOptions{})

	changed := &mapping.Snapshot{
		Users: []mapping.User{user("1003", "鈴木 一郎")},
		Memberships: []mapping.Membership{
			inOrg("1003", "本社/営業部/第一課", mapping.RoleMember), // unchanged org, not in the read
			// 1003 left 新人研修; 1004 is still in it but not in the read.
		},
	}
	actual, _ := fake.Read(context.Background())
	plan, err := scheduler.MakePlan(changed, actual, links, fake.caps, scheduler.PlanOptions{Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range plan.Changes {
		got = append(got, string(c.Action)+" "+string(c.Kind)+" "+c.Key)
	}
	want := []string{"delete membership group:新人研修/1003"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("partial plan = %v, want %v", got, want)
	}
	if err := (scheduler.Guard{MaxDeleteRatio: 0.05, MaxDeleteCount: 500}).Check(plan); err != nil {
		t.Errorf("guard refused a partial plan: %v", err)
	}
}
