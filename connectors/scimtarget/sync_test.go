package scimtarget

import (
	"errors"
	"net/http"
	"testing"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/scimtarget/stricttest"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/plan"
)

// links is the store's part in a sync: kind → source key → target id.
type links map[mapping.Kind]map[string]string

func (l links) TargetID(kind mapping.Kind, key string) (string, bool) {
	id, ok := l[kind][key]
	return id, ok
}

func (l links) set(kind mapping.Kind, key, id string) {
	if l[kind] == nil {
		l[kind] = map[string]string{}
	}
	l[kind][key] = id
}

// syncOnce reads the target, plans desired against it and applies the
// plan one change at a time in plan order, keeping the links, as a run of
// the executor with no concurrency would; it returns the plan.
func syncOnce(t *testing.T, a *Adapter, desired *mapping.Snapshot, l links) *plan.Plan {
	t.Helper()
	actual, err := a.Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Make(desired, actual, plan.Links(l), a.Capabilities(), plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ad := range p.Adopt {
		l.set(ad.Kind, ad.Key, ad.TargetID)
	}
	for _, c := range p.Changes {
		res, err := a.Apply(t.Context(), c, l)
		if err != nil {
			t.Fatalf("Apply(%s %s %s): %v", c.Action, c.Kind, c.Key, err)
		}
		if res.TargetID != "" && c.Kind != mapping.KindMembership {
			l.set(c.Kind, c.Key, res.TargetID)
		}
	}
	return p
}

// describe lists a plan's changes as "action kind key field…".
func describe(p *plan.Plan) []string {
	var out []string
	for _, c := range p.Changes {
		s := string(c.Action) + " " + string(c.Kind) + " " + c.Key
		for _, d := range c.Diff {
			s += " " + d.Field.Name() + ":" + d.Old + "→" + d.New
		}
		out = append(out, s)
	}
	return out
}

// managerOf is the enterprise manager.value the server holds for a user.
func managerOf(u stricttest.Resource) string {
	v, _ := u.Get(enterpriseURN + ":manager.value").(string)
	return v
}

// The enterprise manager is written as the manager's SCIM id, resolved
// through the links, not as orgbridge's source key. A manager created
// after its report in the same stage has no id when the report is made:
// the report is created without one and the next run sets it; the run
// after plans nothing, the manager read back as the id of the user whose
// key the mapping names.
func TestManagerIsTheSCIMID(t *testing.T) {
	srv := stricttest.New(t, stricttest.Options{Token: unitToken})
	a := newTestAdapter(t, srv.URL, nil)
	if got := a.Capabilities().UserAttributeRefs; len(got) != 1 || got[0] != "manager" {
		t.Fatalf("UserAttributeRefs = %v, want [manager]", got)
	}
	// e2 reports to e9: e2's create comes first in the stage.
	desired := &mapping.Snapshot{Users: []mapping.User{
		{Key: "e2", LoginID: "sato", Name: "佐藤", Attributes: map[string]string{"manager": "e9"}},
		{Key: "e9", LoginID: "boss", Name: "部長"},
	}}
	l := links{}
	syncOnce(t, a, desired, l)
	byLogin := func() map[string]stricttest.Resource {
		out := map[string]stricttest.Resource{}
		for _, u := range srv.Users() {
			out[u.Attributes["userName"].(string)] = u
		}
		return out
	}
	if m := managerOf(byLogin()["sato"]); m != "" {
		t.Errorf("run 1: sato's manager is %q before the manager exists", m)
	}

	p := syncOnce(t, a, desired, l)
	if got := describe(p); len(got) != 1 || got[0] != "update user e2 manager:→e9" {
		t.Errorf("run 2 planned %q, want the manager's update", got)
	}
	bossID := byLogin()["boss"].ID
	if m := managerOf(byLogin()["sato"]); m != bossID {
		t.Errorf("run 2: sato's manager.value is %q, want the boss's SCIM id %q", m, bossID)
	}

	if p := syncOnce(t, a, desired, l); len(p.Changes) != 0 {
		t.Errorf("run 3 planned %q, want nothing", describe(p))
	}

	// A new manager for e2: the update writes the new one's id.
	desired.Users = append(desired.Users, mapping.User{Key: "e5", LoginID: "kacho", Name: "課長"})
	syncOnce(t, a, desired, l)
	desired.Users[0].Attributes["manager"] = "e5"
	p = syncOnce(t, a, desired, l)
	if got := describe(p); len(got) != 1 || got[0] != "update user e2 manager:e9→e5" {
		t.Errorf("planned %q, want the manager's update from e9 to e5", got)
	}
	if m, want := managerOf(byLogin()["sato"]), byLogin()["kacho"].ID; m != want {
		t.Errorf("sato's manager.value is %q, want %q", m, want)
	}
}

// An update naming a manager that has no SCIM id fails with
// ErrUnresolved before anything is written (the executor tries it again
// after the rest of the run).
func TestManagerUnresolvedUpdate(t *testing.T) {
	srv := stricttest.New(t, stricttest.Options{Token: unitToken})
	id := srv.SeedUser(t, `{"userName":"sato"}`)
	a := newTestAdapter(t, srv.URL, nil)
	was := mapping.User{Key: "e2", LoginID: "sato"}
	now := was
	now.Name = "佐藤"
	now.Attributes = map[string]string{"manager": "e404"}
	_, err := a.Apply(t.Context(), change.UpdateUser(id, was, now), links{})
	if !errors.Is(err, connectors.ErrUnresolved) {
		t.Fatalf("err = %v, want ErrUnresolved", err)
	}
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("a write was sent: %+v", r)
		}
	}
}

// userName is caseExact false (RFC 7643 §4.1.1), and a server may keep it
// in another case than it was sent (stricttest's FoldUserName): mixed-case
// login ids are not planned again on the next run, while a login id that
// changes more than its case still is.
func TestFoldedUserNameIsNoChange(t *testing.T) {
	srv := stricttest.New(t, stricttest.Options{Token: unitToken, FoldUserName: true})
	a := newTestAdapter(t, srv.URL, nil)
	if !a.Capabilities().LoginIDCaseInsensitive {
		t.Fatal("Capabilities do not say login ids are compared without regard to case")
	}
	desired := &mapping.Snapshot{
		Users: []mapping.User{
			{Key: "e1", LoginID: "Sato.Taro", Name: "佐藤 太郎", Email: "Sato.Taro@example.com"},
			{Key: "e2", LoginID: "YAMADA", Name: "山田"},
		},
		Groups:      []mapping.Group{{Key: "g1", Name: "新人研修", Code: "training"}},
		Memberships: []mapping.Membership{{UserKey: "e1", Kind: mapping.KindGroup, ContainerKey: "g1", Role: mapping.RoleMember}},
	}
	l := links{}
	if p := syncOnce(t, a, desired, l); len(p.Changes) != 4 {
		t.Fatalf("run 1 planned %q, want 4 creates", describe(p))
	}
	for _, u := range srv.Users() {
		if name := u.Attributes["userName"].(string); name != "sato.taro" && name != "yamada" {
			t.Fatalf("the server keeps userName %q: the reading does not fold", name)
		}
	}
	if p := syncOnce(t, a, desired, l); len(p.Changes) != 0 {
		t.Errorf("run 2 planned %q, want nothing", describe(p))
	}
	desired.Users[0].LoginID = "Sato.Jiro"
	if got := describe(syncOnce(t, a, desired, l)); len(got) != 1 || got[0] != "update user e1 login_id:sato.taro→Sato.Jiro" {
		t.Errorf("a new login id planned %q, want its update", got)
	}
	if p := syncOnce(t, a, desired, l); len(p.Changes) != 0 {
		t.Errorf("the run after planned %q, want nothing", describe(p))
	}
}
