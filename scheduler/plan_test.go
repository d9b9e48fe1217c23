package scheduler_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/plan/NAME.golden.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "plan", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func org(key, name, parent string) mapping.Org {
	return mapping.Org{Key: key, Name: name, ParentKey: parent}
}

func user(key, name string) mapping.User {
	return mapping.User{Key: key, LoginID: "e" + key, Email: key + "@example.jp", Name: name, Attributes: map[string]string{"position": ""}}
}

func inOrg(user, org string, role mapping.Role) mapping.Membership {
	return mapping.Membership{UserKey: user, Kind: mapping.KindOrg, ContainerKey: org, Role: role}
}

func inGroup(user, group string) mapping.Membership {
	return mapping.Membership{UserKey: user, Kind: mapping.KindGroup, ContainerKey: group, Role: mapping.RoleMember}
}

// export builds a small HR export: a three-level tree, admins and members,
// a suspended employee and a group. The second export differs by a rename
// (1002), a role change (1003), a move (1004) and a leaver (1006).
func export(second bool) *mapping.Snapshot {
	s := &mapping.Snapshot{
		Orgs: []mapping.Org{org("本社", "本社", ""), org("本社/営業部", "営業部", "本社"), org("本社/営業部/第一課", "第一課", "本社/営業部"),
			org("本社/営業部/第二課", "第二課", "本社/営業部")},
		Users:  []mapping.User{user("1001", "山田 太郎"), user("1002", "佐藤 花子"), user("1003", "鈴木 一郎"), user("1004", "高橋 健太"), user("1005", "小林 陽菜")},
		Groups: []mapping.Group{{Key: "新人研修", Name: "新人研修"}},
		Memberships: []mapping.Membership{
			inOrg("1001", "本社", mapping.RoleAdmin), inOrg("1002", "本社/営業部", mapping.RoleAdmin),
			inOrg("1005", "本社/営業部/第二課", mapping.RoleMember), inGroup("1003", "新人研修"), inGroup("1004", "新人研修"),
		},
	}
	s.Users[4].Suspended = true
	if !second {
		s.Users = append(s.Users, user("1006", "伊藤 翔"))
		s.Memberships = append(s.Memberships, inOrg("1003", "本社/営業部/第一課", mapping.RoleMember),
			inOrg("1004", "本社/営業部/第一課", mapping.RoleMember), inOrg("1006", "本社/営業部/第二課", mapping.RoleMember))
		return s
	}
	s.Users[1].Name = "木村 花子"
	s.Memberships = append(s.Memberships, inOrg("1003", "本社/営業部/第一課", mapping.RoleAdmin),
		inOrg("1004", "本社/営業部/第二課", mapping.RoleMember))
	return s
}

func firstExport() *mapping.Snapshot  { return export(false) }
func secondExport() *mapping.Snapshot { return export(true) }

// syncOnce plans desired against the fake and applies the plan, keeping
// links as the store would.
func syncOnce(t *testing.T, fake *fakeTarget, links scheduler.Links, desired *mapping.Snapshot, opts scheduler.PlanOptions) *scheduler.Plan {
	t.Helper()
	ctx := context.Background()
	actual, _ := fake.Read(ctx)
	plan, err := scheduler.MakePlan(desired, actual, links, fake.caps, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range plan.Adopt {
		setLink(links, a.Kind, a.Key, a.TargetID)
	}
	journal := &linkJournal{plan: plan, links: links}
	exec := &scheduler.Executor{Target: fake, Concurrency: 3, Journal: journal}
	out, err := exec.Apply(ctx, plan, links)
	if err != nil || out.Failed > 0 {
		t.Fatalf("apply: %v %v", err, out.Errors)
	}
	for _, key := range plan.Departed {
		delete(links[mapping.KindUser], key) // as the runner does through Store.Forget
	}
	return plan
}

func setLink(links scheduler.Links, kind mapping.Kind, key, id string) {
	if links[kind] == nil {
		links[kind] = map[string]string{}
	}
	links[kind][key] = id
}

// linkJournal keeps links the way the store does on Applied. The executor
// calls it from several goroutines.
type linkJournal struct {
	mu    sync.Mutex
	plan  *scheduler.Plan
	links scheduler.Links
}

func (j *linkJournal) Applied(_ context.Context, _ int64, seq int, id string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	c := j.plan.Changes[seq]
	switch {
	case c.Kind == mapping.KindMembership:
	case c.Action == connectors.ActionDelete:
		delete(j.links[c.Kind], c.Key)
	default:
		setLink(j.links, c.Kind, c.Key, id)
	}
	return nil
}

func (j *linkJournal) Failed(context.Context, int64, int, error) error { return nil }

func planText(t *testing.T, p *scheduler.Plan) []byte {
	var b bytes.Buffer
	if err := scheduler.WriteText(&b, "hr", p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPlanLifecycle(t *testing.T) {
	fake := newFake(fullCaps())
	links := scheduler.Links{}

	first := syncOnce(t, fake, links, firstExport(), scheduler.PlanOptions{})
	golden(t, "first-export", planText(t, first))

	writes := fake.writes
	again := syncOnce(t, fake, links, firstExport(), scheduler.PlanOptions{})
	if len(again.Changes) != 0 || fake.writes != writes {
		t.Fatalf("second run of the same export planned %d changes and wrote %d times; want none:\n%s", len(again.Changes), fake.writes-writes, planText(t, again))
	}

	second := syncOnce(t, fake, links, secondExport(), scheduler.PlanOptions{})
	golden(t, "second-export", planText(t, second))

	writes = fake.writes
	third := syncOnce(t, fake, links, secondExport(), scheduler.PlanOptions{})
	if len(third.Changes) != 0 || fake.writes != writes {
		t.Fatalf("no-change run planned:\n%s", planText(t, third))
	}
	// The leaver is suspended, not deleted.
	actual, _ := fake.Read(context.Background())
	for _, u := range actual.Users {
		if u.Name == "伊藤 翔" && !u.Suspended {
			t.Errorf("leaver not suspended: %+v", u)
		}
	}
	if len(actual.Users) != 6 {
		t.Errorf("target holds %d users, want 6 (the leaver is kept, suspended)", len(actual.Users))
	}
}

func TestPlanOrdersParentsFirstAndChildrenLast(t *testing.T) {
	fake := newFake(fullCaps())
	links := scheduler.Links{}
	first := syncOnce(t, fake, links, firstExport(), scheduler.PlanOptions{})
	pos := map[string]int{}
	for i, c := range first.Changes {
		pos[string(c.Kind)+":"+c.Key] = i
	}
	if !(pos["org:本社"] < pos["org:本社/営業部"] && pos["org:本社/営業部"] < pos["org:本社/営業部/第一課"] && pos["org:本社/営業部/第一課"] < pos["user:1003"]) {
		t.Errorf("creates are not parent-first: %v", pos)
	}
	// Remove the whole tree: children must be deleted before parents.
	empty := &mapping.Snapshot{Users: firstExport().Users}
	actual, _ := fake.Read(context.Background())
	plan, err := scheduler.MakePlan(empty, actual, links, fake.caps, scheduler.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range plan.Changes {
		if c.Kind == mapping.KindOrg {
			order = append(order, c.Key)
		}
	}
	if len(order) != 4 || order[3] != "本社" || order[2] != "本社/営業部" {
		t.Errorf("org deletes not children-first: %v", order)
	}
}

func TestPlanAdoptsExistingObjects(t *testing.T) {
	fake := newFake(fullCaps())
	// Objects made by hand before orgbridge ran: same login id, another
	// mail; an org with the same path; a group with the same name.
	fake.state = mapping.Snapshot{
		Orgs:   []mapping.Org{{Key: "org-900", Name: "本社"}, {Key: "org-901", Name: "営業部", ParentKey: "org-900"}},
		Users:  []mapping.User{{Key: "usr-900", LoginID: "E1001", Email: "old@example.jp", Name: "山田 太郎", Attributes: map[string]string{"position": ""}}},
		Groups: []mapping.Group{{Key: "grp-900", Name: "新人研修"}},
		Memberships: []mapping.Membership{
			{UserKey: "usr-900", Kind: mapping.KindOrg, ContainerKey: "org-900", Role: mapping.RoleAdmin},
		},
	}
	fake.next = 0
	actual, _ := fake.Read(context.Background())
	plan, err := scheduler.MakePlan(firstExport(), actual, scheduler.Links{}, fake.caps, scheduler.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "adopt-existing", planText(t, plan))
	if n := plan.Count(mapping.KindUser, connectors.ActionCreate); n != 5 {
		t.Errorf("user creates = %d, want 5 (1001 adopted)", n)
	}
}

func TestPlanLeaversAndOwnership(t *testing.T) {
	fake := newFake(fullCaps())
	links := scheduler.Links{}
	syncOnce(t, fake, links, firstExport(), scheduler.PlanOptions{})
	// A user nobody linked: orgbridge must never touch it.
	fake.state.Users = append(fake.state.Users, mapping.User{Key: "usr-hand", LoginID: "admin", Name: "手作業"})
	actual, _ := fake.Read(context.Background())

	leaver := secondExport()
	plan, err := scheduler.MakePlan(leaver, actual, links, fake.caps, scheduler.PlanOptions{Leavers: scheduler.LeaversDelete})
	if err != nil {
		t.Fatal(err)
	}
	if n := plan.Count(mapping.KindUser, connectors.ActionDelete); n != 1 {
		t.Errorf("deletes = %d, want 1 with leavers: delete", n)
	}
	for _, c := range plan.Changes {
		if c.TargetID == "usr-hand" {
			t.Errorf("plan touches an object orgbridge does not own: %+v", c)
		}
	}
}

func TestPlanMembershipsApart(t *testing.T) {
	caps := fullCaps()
	caps.OrgMembershipsInUser = false
	fake := newFake(caps)
	links := scheduler.Links{}
	first := syncOnce(t, fake, links, firstExport(), scheduler.PlanOptions{})
	if n := first.Count(mapping.KindMembership, connectors.ActionCreate); n != 8 {
		t.Errorf("membership creates = %d, want 8", n)
	}
	second := syncOnce(t, fake, links, secondExport(), scheduler.PlanOptions{})
	golden(t, "memberships-apart", planText(t, second))
	third := syncOnce(t, fake, links, secondExport(), scheduler.PlanOptions{})
	if len(third.Changes) != 0 {
		t.Errorf("no-change run planned:\n%s", planText(t, third))
	}
}

func TestPlanRefusesWhatTheTargetLacks(t *testing.T) {
	caps := fullCaps()
	caps.Groups = false
	_, err := scheduler.MakePlan(firstExport(), &mapping.Snapshot{}, nil, caps, scheduler.PlanOptions{})
	if !errors.Is(err, scheduler.ErrCapability) || !strings.Contains(err.Error(), "the job maps 1 groups but the target holds no groups") {
		t.Errorf("err = %v", err)
	}
	caps = fullCaps()
	caps.NestedOrgs = false
	_, err = scheduler.MakePlan(firstExport(), &mapping.Snapshot{}, nil, caps, scheduler.PlanOptions{})
	if !errors.Is(err, scheduler.ErrCapability) || !strings.Contains(err.Error(), `org "本社/営業部" has a parent but the target's orgs do not nest`) {
		t.Errorf("err = %v", err)
	}
}

func TestExecutorFailureDoesNotStopTheRun(t *testing.T) {
	fake := newFake(fullCaps())
	fake.failKeys = map[string]bool{"本社/営業部": true}
	actual, _ := fake.Read(context.Background())
	plan, err := scheduler.MakePlan(firstExport(), actual, nil, fake.caps, scheduler.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := (&scheduler.Executor{Target: fake}).Apply(context.Background(), plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The failed org, its two children, and the users placed in them fail;
	// 本社 and 1001 land.
	if out.Failed == 0 || out.Applied == 0 || out.Applied+out.Failed != len(plan.Changes) {
		t.Fatalf("outcome %+v of %d changes", out, len(plan.Changes))
	}
	for _, ce := range out.Errors {
		if ce.Change.Key != "本社/営業部" && !errors.Is(ce.Err, connectors.ErrUnresolved) {
			t.Errorf("dependent change failed for another reason: %v", ce)
		}
	}
}

func TestExecutorStopsOnCancel(t *testing.T) {
	fake := newFake(fullCaps())
	actual, _ := fake.Read(context.Background())
	plan, _ := scheduler.MakePlan(firstExport(), actual, nil, fake.caps, scheduler.PlanOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	exec := &scheduler.Executor{Target: fake, Concurrency: 1, Progress: func(ev scheduler.Event) {
		if ev.Done == 2 {
			cancel()
		}
	}}
	out, err := exec.Apply(ctx, plan, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if out.Applied != 2 || fake.writes != 2 {
		t.Errorf("applied %d, wrote %d; want the 2 started before the cancel", out.Applied, fake.writes)
	}
}
