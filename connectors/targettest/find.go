package targettest

import (
	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

// testFind: a target that implements connectors.Finder finds, by natural
// key, the objects creates would make when they exist (the executor asks
// before it retries a create whose answer was lost), with the ids their
// creates returned, and finds nothing for those that do not exist, with
// no error and no write.
func testFind(r *run) {
	finder, ok := r.h.Target.(connectors.Finder)
	if !ok {
		r.t.Skip("the target is not a connectors.Finder: a create whose answer was lost is left to the next run")
	}
	var present, absent []connectors.Change
	var kinds []mapping.Kind
	if r.caps.Orgs {
		hq, sales, _, dev := orgTree()
		r.createOrg(hq)
		r.createOrg(sales)
		present = append(present, change.CreateOrg(r.fitOrg(hq)), change.CreateOrg(r.fitOrg(sales)))
		absent = append(absent, change.CreateOrg(r.fitOrg(dev)))
		kinds = append(kinds, mapping.KindOrg)
	}
	if r.caps.Groups {
		promo := mapping.Group{Key: "promo", Name: "営業推進", Code: "promo", Description: "営業推進チーム"}
		if r.caps.Orgs {
			promo.OrgKey = "sales"
		}
		project := mapping.Group{Key: "project", Name: "全社プロジェクト", Code: "project"}
		r.createGroup(promo)
		present = append(present, change.CreateGroup(r.fitGroup(promo)))
		absent = append(absent, change.CreateGroup(r.fitGroup(project)))
		kinds = append(kinds, mapping.KindGroup)
	}
	if r.caps.Users && r.caps.CreatesUsers {
		p := r.people()
		r.createUser(p[0], nil)
		present = append(present, change.CreateUser(r.fitUser(p[0]), nil))
		absent = append(absent, change.CreateUser(r.fitUser(p[1]), nil))
		kinds = append(kinds, mapping.KindUser)
	}
	if len(present) == 0 {
		r.t.Skip("the target creates no org, group or user")
	}
	r.t.Logf("looking up %v", kinds)
	before := r.writes()
	cs := append(append([]connectors.Change{}, present...), absent...)
	found := finder.Find(r.ctx, cs, r.ids)
	if len(found) != len(cs) {
		r.t.Fatalf("Find returned %d answers for %d changes", len(found), len(cs))
	}
	for i, c := range cs {
		want := ""
		if i < len(present) {
			want = r.id(c.Kind, c.Key)
		}
		if found[i].Err != nil {
			r.t.Errorf("Find %s: %v", describe(c), found[i].Err)
		} else if found[i].TargetID != want {
			r.t.Errorf("Find %s = %q, want %q", describe(c), found[i].TargetID, want)
		}
	}
	if w := r.writes() - before; w != 0 {
		r.t.Errorf("Find made %d write requests", w)
	}
}
