package targettest

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

// ---- fixtures ----

// orgTree is 本社 > 営業部 > 第一営業課, and 開発部 beside 本社.
func orgTree() (hq, sales, sales1, dev mapping.Org) {
	hq = mapping.Org{Key: "hq", Name: "本社", Code: "hq", Description: "東京本社"}
	sales = mapping.Org{Key: "sales", Name: "営業部", Code: "sales", ParentKey: "hq"}
	sales1 = mapping.Org{Key: "sales1", Name: "第一営業課", Code: "sales1", ParentKey: "sales"}
	dev = mapping.Org{Key: "dev", Name: "開発部", Code: "dev", Description: "製品開発"}
	return
}

// people are three users; the first carries Harness.UserAttributes.
func (r *run) people() []mapping.User {
	return []mapping.User{
		{Key: "yamada", Name: "山田 太郎", LoginID: "yamada", Email: "yamada@example.com", Attributes: maps.Clone(r.h.UserAttributes)},
		{Key: "sato", Name: "佐藤 花子", LoginID: "sato", Email: "sato@example.com"},
		{Key: "suzuki", Name: "鈴木 一郎", LoginID: "suzuki", Email: "suzuki@example.com"},
	}
}

// numbered returns n users named "<family> 利用者NN" with login prefixNN.
func numbered(prefix, family string, n int) []mapping.User {
	out := make([]mapping.User, n)
	for i := range n {
		k := fmt.Sprintf("%s%02d", prefix, i+1)
		out[i] = mapping.User{Key: k, Name: fmt.Sprintf("%s 利用者%02d", family, i+1), LoginID: k, Email: k + "@example.com"}
	}
	return out
}

func orgMember(user, org string, role mapping.Role) mapping.Membership {
	return mapping.Membership{UserKey: user, Kind: mapping.KindOrg, ContainerKey: org, Role: role}
}

func groupMember(user, group string, role mapping.Role) mapping.Membership {
	return mapping.Membership{UserKey: user, Kind: mapping.KindGroup, ContainerKey: group, Role: role}
}

// ---- cases ----

func testOrgs(r *run) {
	if !r.caps.Orgs {
		r.t.Skip("Capabilities.Orgs is false: the target has a single organization")
	}
	hq, sales, sales1, dev := orgTree()
	for _, o := range []mapping.Org{hq, sales, sales1, dev} { // parent-first
		r.createOrg(o)
	}
	r.check("after create")

	sales1.Name, sales1.Description = "法人営業課", "法人のお客様の担当"
	if r.caps.NestedOrgs {
		sales1.ParentKey = "dev" // a move
	}
	r.updateOrg(sales1)
	hq.Name = "本店"
	r.updateOrg(hq)
	r.check("after update")
	if r.caps.NestedOrgs {
		sales.ParentKey = "" // a move to the top level
		r.updateOrg(sales)
		r.check("after moving an org to the top level")
	}

	// Children first: 法人営業課 is under 開発部 (or flat), 営業部 under 本社.
	again := r.deleteOrg("sales1")
	r.check("after deleting one org")
	r.deleteOrg("sales")
	r.deleteOrg("hq")
	r.deleteOrg("dev")
	r.check("after deleting every org")
	r.applyAgain(again)
}

func testUsers(r *run) {
	if !r.caps.Users {
		r.t.Skip("Capabilities.Users is false")
	}
	if !r.caps.CreatesUsers {
		if len(r.h.ExistingUsers) == 0 {
			r.t.Skip("Capabilities.CreatesUsers is false and Harness.ExistingUsers is empty")
		}
		for _, u := range r.h.ExistingUsers {
			r.linkUser(u)
		}
		r.check("reading the pre-seeded users")
		r.t.Log("Capabilities.CreatesUsers is false: only checked that Read reports Harness.ExistingUsers")
		return
	}
	p := r.people()
	yamada, sato := p[0], p[1]
	r.createUser(yamada, nil)
	r.createUser(sato, nil)
	r.check("after create")

	yamada = r.users["yamada"]
	yamada.Name, yamada.Email = "山田 太朗", "taro.yamada@example.com"
	if len(r.h.UpdatedUserAttributes) > 0 {
		yamada.Attributes = maps.Clone(yamada.Attributes)
		if yamada.Attributes == nil {
			yamada.Attributes = map[string]string{}
		}
		maps.Copy(yamada.Attributes, r.h.UpdatedUserAttributes)
	}
	r.updateUser(yamada)
	r.check("after update")

	if r.caps.SuspendsUsers {
		r.suspendUser("sato")
		r.check("after suspend")
		sato = r.users["sato"]
		sato.Suspended = false
		r.updateUser(sato)
		r.check("after reactivating")
		suzuki := p[2]
		suzuki.Suspended = true
		r.createUser(suzuki, nil)
		r.check("after creating a suspended user")
	} else {
		r.t.Log("Capabilities.SuspendsUsers is false: no suspension")
	}

	again := r.deleteUser("yamada")
	r.check("after delete")
	r.applyAgain(again)
}

func testGroups(r *run) {
	if !r.caps.Groups {
		r.t.Skip("Capabilities.Groups is false")
	}
	if r.caps.Orgs {
		hq, sales, _, _ := orgTree()
		r.createOrg(hq)
		r.createOrg(sales)
	}
	promo := mapping.Group{Key: "promo", Name: "営業推進", Code: "promo", OrgKey: "sales", Description: "営業推進チーム"}
	project := mapping.Group{Key: "project", Name: "全社プロジェクト", Code: "project"}
	r.createGroup(promo)
	r.createGroup(project)
	r.check("after create")

	promo.Name, promo.OrgKey, promo.Description = "営業推進室", "hq", "本社直轄"
	r.updateGroup(promo)
	r.check("after update")

	again := r.deleteGroup("project")
	r.check("after deleting one group")
	r.deleteGroup("promo")
	r.check("after deleting every group")
	r.applyAgain(again)
}

func testMemberships(r *run) {
	if !r.caps.Users {
		r.t.Skip("Capabilities.Users is false: no one to be a member")
	}
	orgs, groups := r.caps.Orgs, r.caps.Groups && r.caps.GroupMemberships
	if !orgs && !groups {
		r.t.Skip("Capabilities.Orgs and Capabilities.GroupMemberships are false: no memberships")
	}
	admin := r.admin()
	if orgs {
		hq, sales, _, dev := orgTree()
		r.createOrg(hq)
		r.createOrg(sales)
		r.createOrg(dev)
	}
	if groups {
		r.createGroup(mapping.Group{Key: "promo", Name: "営業推進", Code: "promo", OrgKey: "sales"})
	}

	w0 := r.writes()
	keys := r.provideUsers(r.people(), func(i int, key string) []mapping.Membership {
		switch i {
		case 0:
			return []mapping.Membership{orgMember(key, "hq", mapping.RoleMember), orgMember(key, "sales", admin)}
		case 1:
			return []mapping.Membership{orgMember(key, "dev", mapping.RoleMember)}
		}
		return nil
	})
	if r.h.Writes != nil && r.caps.CreatesUsers && r.folded() && orgs {
		if d := r.writes() - w0; d != len(keys) {
			r.t.Errorf("creating %d users with their org memberships took %d writes; with OrgMembershipsInUser each costs one", len(keys), d)
		}
	}
	if orgs {
		r.check("after giving users their org memberships")
		// A role change, a new org, a removal; and a user leaving every org.
		r.setOrgMemberships(keys[0], []mapping.Membership{orgMember(keys[0], "hq", admin), orgMember(keys[0], "dev", mapping.RoleMember)})
		r.setOrgMemberships(keys[1], nil)
		r.check("after changing org memberships")
	} else {
		r.t.Log("Capabilities.Orgs is false: no org memberships")
	}

	if !groups {
		r.t.Log("no group memberships (Capabilities.Groups or GroupMemberships is false)")
		return
	}
	r.addMember(groupMember(keys[0], "promo", mapping.RoleMember))
	r.addMember(groupMember(keys[1], "promo", admin))
	r.addMember(groupMember(keys[2], "promo", mapping.RoleMember))
	r.check("after adding group members")
	if r.hasRole(mapping.RoleAdmin) && r.hasRole(mapping.RoleMember) {
		r.setRole(groupMember(keys[0], "promo", mapping.RoleAdmin))
	} else {
		r.t.Log("the target knows a single role: no role change")
	}
	again := r.removeMember(groupMember(keys[1], "promo", ""))
	r.check("after changing group memberships")
	r.applyAgain(again)
}

func testPagination(r *run) {
	n := 2*pageSize + 1
	made := []string{}
	if r.caps.Orgs {
		for i := range n {
			r.createOrg(mapping.Org{Key: fmt.Sprintf("p%02d", i+1), Name: fmt.Sprintf("頁組織%02d", i+1), Code: fmt.Sprintf("p%02d", i+1)})
		}
		made = append(made, "orgs")
	}
	var users []string
	if r.caps.Users && (r.caps.CreatesUsers || len(r.h.ExistingUsers) >= n) {
		users = r.provideUsers(numbered("page", "頁", n), func(_ int, key string) []mapping.Membership {
			return []mapping.Membership{orgMember(key, "p01", mapping.RoleMember)}
		})
		made = append(made, "users")
		if r.caps.Orgs {
			made = append(made, "members of one org")
		}
	} else if r.caps.Users {
		r.t.Logf("no users: CreatesUsers is false and Harness.ExistingUsers holds fewer than %d", n)
	}
	if r.caps.Groups {
		for i := range n {
			r.createGroup(mapping.Group{Key: fmt.Sprintf("pg%02d", i+1), Name: fmt.Sprintf("頁グループ%02d", i+1), Code: fmt.Sprintf("pg%02d", i+1)})
		}
		made = append(made, "groups")
		if r.caps.GroupMemberships && len(users) == n {
			for _, u := range users {
				r.addMember(groupMember(u, "pg01", mapping.RoleMember))
			}
			made = append(made, "members of one group")
		}
	}
	if len(made) == 0 {
		r.t.Skip("the target declares nothing to create (no orgs, groups or users)")
	}
	r.t.Logf("%d each of %s, page size %d", n, strings.Join(made, ", "), pageSize)
	r.check("reading more than two pages")
}

// testFaults applies a batch under injected 429s and 5xx, round after
// round like the planner (read, write what is missing), then turns the
// faults off and checks that everything is there exactly once.
func testFaults(r *run) {
	if r.h.Faults == nil {
		r.t.Skip("Harness.Faults is nil")
	}
	const nOrgs, nUsers, nGroups, rounds = 5, 12, 3, 10
	var (
		orgs   []mapping.Org
		users  []mapping.User
		groups []mapping.Group
		ms     []mapping.Membership // desired memberships, not folded into user creates
		folded = map[string][]mapping.Membership{}
	)
	if r.caps.Orgs {
		for i := range nOrgs {
			orgs = append(orgs, r.fitOrg(mapping.Org{Key: fmt.Sprintf("f%02d", i+1), Name: fmt.Sprintf("障害試験組織%02d", i+1), Code: fmt.Sprintf("f%02d", i+1)}))
		}
	}
	if r.caps.Groups {
		for i := range nGroups {
			groups = append(groups, r.fitGroup(mapping.Group{Key: fmt.Sprintf("fg%02d", i+1), Name: fmt.Sprintf("障害試験グループ%02d", i+1), Code: fmt.Sprintf("fg%02d", i+1)}))
		}
	}
	var userKeys []string
	switch {
	case !r.caps.Users:
	case r.caps.CreatesUsers:
		for _, u := range numbered("fault", "障害", nUsers) {
			users = append(users, r.fitUser(u))
			userKeys = append(userKeys, u.Key)
		}
	default:
		for _, u := range r.h.ExistingUsers[:min(nUsers, len(r.h.ExistingUsers))] {
			r.linkUser(u)
			userKeys = append(userKeys, u.Key)
		}
	}
	for i, u := range userKeys {
		if len(orgs) > 0 {
			role := mapping.RoleMember
			if i%4 == 0 {
				role = r.admin()
			}
			m := orgMember(u, orgs[i%len(orgs)].Key, role)
			if r.folded() {
				folded[u] = append(folded[u], m)
			} else {
				ms = append(ms, m)
			}
		}
		if len(groups) > 0 && r.caps.GroupMemberships {
			ms = append(ms, groupMember(u, groups[i%len(groups)].Key, mapping.RoleMember))
		}
	}
	if len(orgs)+len(users)+len(groups)+len(ms) == 0 {
		r.t.Skip("the target declares nothing to create (no orgs, groups or users)")
	}

	created := map[string]mapping.User{}
	for _, u := range users {
		created[u.Key] = u
	}
	linked := func(kind mapping.Kind, key string) bool { _, ok := r.ids.TargetID(kind, key); return ok }
	transient := 0
	// The faults stay on for the whole run (turning them on again would
	// reseed the emulator and replay the same faults on the same requests).
	r.h.Faults(0.15, 0.15)
	failedReads := 0
	strangers := -1 // users the suite does not know, in the first read (see linkByName)
	for round := 1; ; round++ {
		// Read (a planner's run starts with one) and work out what is
		// missing. A read that failed transiently ends the round, as it
		// would end a planner's run.
		snap, err := r.read(fmt.Sprintf("round %d", round))
		if err != nil {
			if !connectors.IsTransient(err) {
				r.t.Fatalf("round %d: Read under 429s and 5xx: %v; want success or a transient error", round, err)
			}
			if round > rounds {
				r.t.Fatalf("round %d: Read still fails under faults: %v", round, err)
			}
			failedReads++
			continue
		}
		ok, unknown := r.linkByName(snap, orgs, users, groups)
		if !ok {
			r.t.FailNow()
		}
		if strangers < 0 { // the first read, before any write
			strangers = unknown
		}
		present := map[string]bool{}
		for _, m := range r.translate(snap).Memberships {
			present[m.ID()] = true
		}
		var missing []string
		for _, o := range orgs {
			if !linked(mapping.KindOrg, o.Key) {
				missing = append(missing, "org "+o.Key)
			}
		}
		for _, g := range groups {
			if !linked(mapping.KindGroup, g.Key) {
				missing = append(missing, "group "+g.Key)
			}
		}
		for _, u := range users {
			if !linked(mapping.KindUser, u.Key) {
				missing = append(missing, "user "+u.Key)
			}
		}
		for _, m := range ms {
			if !present[m.ID()] {
				missing = append(missing, "membership "+m.ID())
			}
		}
		for _, key := range userKeys {
			for _, m := range folded[key] {
				if !present[m.ID()] {
					missing = append(missing, "membership "+m.ID()+" (in the user call)")
				}
			}
		}
		if len(missing) == 0 {
			r.t.Logf("converged in %d rounds; %d changes and %d reads failed transiently and were tried again", round-1, transient, failedReads)
			break
		}
		if round > rounds {
			r.t.Fatalf("after %d rounds under faults, still missing: %s", rounds, strings.Join(missing, ", "))
		}

		// Orgs and groups.
		var first []connectors.Change
		for _, o := range orgs {
			if !linked(mapping.KindOrg, o.Key) {
				first = append(first, change.CreateOrg(o))
			}
		}
		for _, g := range groups {
			if !linked(mapping.KindGroup, g.Key) {
				first = append(first, change.CreateGroup(g))
			}
		}
		n, errs := r.applyConcurrently(first)
		transient += n

		// Users, with their org memberships when folded (only those whose
		// orgs exist by now: the others wait for the next round); a user
		// that exists but lacks a folded membership gets a user update.
		var second []connectors.Change
	users:
		for _, key := range userKeys {
			lost := false
			for _, m := range folded[key] {
				lost = lost || !present[m.ID()]
			}
			if linked(mapping.KindUser, key) {
				if lost {
					u := r.users[key]
					if c, ok := created[key]; ok {
						u = c
					}
					c := change.UpdateUser(r.idOr(mapping.KindUser, key), u, u)
					c.SetOrgs(nil, folded[key], nil)
					second = append(second, c)
				}
				continue
			}
			for _, m := range folded[key] {
				if !linked(mapping.KindOrg, m.ContainerKey) {
					continue users
				}
			}
			u := created[key]
			var orgs []mapping.Membership
			if r.folded() {
				orgs = nonNil(folded[key])
			}
			second = append(second, change.CreateUser(u, orgs))
		}
		n, e := r.applyConcurrently(second)
		transient += n
		errs = append(errs, e...)

		// Memberships whose ends exist.
		var third []connectors.Change
		for _, m := range ms {
			if !present[m.ID()] && linked(mapping.KindUser, m.UserKey) && linked(m.Kind, m.ContainerKey) {
				third = append(third, change.CreateMembership(m))
			}
		}
		n, e = r.applyConcurrently(third)
		transient += n
		errs = append(errs, e...)

		for _, err := range errs {
			r.t.Errorf("round %d: a non-transient error under 429s and 5xx: %v", round, err)
		}
		if len(errs) > 0 {
			r.t.FailNow()
		}
	}
	r.h.Faults(0, 0)
	if r.h.Faulted != nil {
		if n := r.h.Faulted(); n == 0 {
			r.t.Error("the emulator faulted no response: the case tested nothing")
		} else {
			r.t.Logf("%d responses faulted", n)
		}
	}

	// Everything, exactly once.
	for _, o := range orgs {
		r.orgs[o.Key] = o
	}
	for _, g := range groups {
		r.groups[g.Key] = g
	}
	for _, u := range users {
		r.users[u.Key] = u
	}
	for _, m := range ms {
		r.members[m.ID()] = m
	}
	for _, f := range folded {
		for _, m := range f {
			r.members[m.ID()] = m
		}
	}
	final := r.check("after the faults")
	if _, _, known := r.userIdentity(); !known && r.caps.Users {
		// Nothing tells users apart but the ids creates returned: a user
		// the suite does not know that was not there before the run is a
		// create applied twice.
		if unknown := r.unknownUsers(final); unknown > strangers {
			r.t.Errorf("after the faults: Read reports %d users the suite does not know, %d before anything was written: a create applied twice (the target keeps no user name, login id or email to tell which)",
				unknown, strangers)
		}
	}
}

// linkByName records the target ids of the suite's objects found in a read
// by name (unique in the fixtures; for users, by the identity userIdentity
// gives: the login id, else the email, when the target keeps no name), and
// reports every one found more than once. It returns false on a duplicate.
// When the target keeps none of a user's name, login id and email, users
// are linked only by the target ids their creates returned, and unknown
// counts the users of the read that the suite does not know.
func (r *run) linkByName(s *mapping.Snapshot, orgs []mapping.Org, users []mapping.User, groups []mapping.Group) (ok bool, unknown int) {
	r.t.Helper()
	ok = true
	link := func(kind mapping.Kind, field string, want map[string]string, found map[string][]string) {
		for name, key := range want {
			switch ids := found[name]; len(ids) {
			case 0:
			case 1:
				r.ids.Set(kind, key, ids[0])
			default:
				r.t.Errorf("%s with %s %q exists %d times: %v", kind, field, name, len(ids), ids)
				ok = false
			}
		}
	}
	wantOrgs, foundOrgs := map[string]string{}, map[string][]string{}
	for _, o := range orgs {
		wantOrgs[o.Name] = o.Key
	}
	for _, o := range s.Orgs {
		foundOrgs[o.Name] = append(foundOrgs[o.Name], o.Key)
	}
	link(mapping.KindOrg, "name", wantOrgs, foundOrgs)
	if field, of, known := r.userIdentity(); known {
		wantUsers, foundUsers := map[string]string{}, map[string][]string{}
		for _, u := range users {
			wantUsers[of(u)] = u.Key
		}
		for _, u := range s.Users {
			foundUsers[of(u)] = append(foundUsers[of(u)], u.Key)
		}
		link(mapping.KindUser, field, wantUsers, foundUsers)
	} else {
		unknown = r.unknownUsers(s)
	}
	wantGroups, foundGroups := map[string]string{}, map[string][]string{}
	for _, g := range groups {
		wantGroups[g.Name] = g.Key
	}
	for _, g := range s.Groups {
		foundGroups[g.Name] = append(foundGroups[g.Name], g.Key)
	}
	link(mapping.KindGroup, "name", wantGroups, foundGroups)
	return ok, unknown
}

// unknownUsers counts the users of s whose target id the suite has not
// recorded.
func (r *run) unknownUsers(s *mapping.Snapshot) int {
	rev := r.ids.Reverse(mapping.KindUser)
	n := 0
	for _, u := range s.Users {
		if _, ok := rev[u.Key]; !ok {
			n++
		}
	}
	return n
}

// applyConcurrently applies each stage with four workers, stage after
// stage, and returns how many changes failed transiently and the other
// errors.
func (r *run) applyConcurrently(stages ...[]connectors.Change) (transient int, errs []error) {
	var mu sync.Mutex
	for _, stage := range stages {
		work := make(chan connectors.Change)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for c := range work {
					_, err := r.try(c)
					if err == nil {
						continue
					}
					mu.Lock()
					if connectors.IsTransient(err) {
						transient++
					} else {
						errs = append(errs, fmt.Errorf("Apply(%s): %w", describe(c), err))
					}
					mu.Unlock()
				}
			})
		}
		for _, c := range stage {
			work <- c
		}
		close(work)
		wg.Wait()
	}
	return transient, errs
}

// someCreate returns a create of the first kind the target creates, and a
// func that records it in what the suite wrote once it is applied.
func (r *run) someCreate(suffix string) (connectors.Change, func()) {
	switch {
	case r.caps.Orgs:
		o := r.fitOrg(mapping.Org{Key: "auth" + suffix, Name: "認証確認組織" + suffix, Code: "auth" + suffix})
		return change.CreateOrg(o), func() { r.orgs[o.Key] = o }
	case r.caps.Groups:
		g := r.fitGroup(mapping.Group{Key: "auth" + suffix, Name: "認証確認グループ" + suffix, Code: "auth" + suffix})
		return change.CreateGroup(g), func() { r.groups[g.Key] = g }
	case r.caps.Users && r.caps.CreatesUsers:
		u := r.fitUser(numbered("auth"+suffix+"_", "認証", 1)[0])
		var orgs []mapping.Membership
		if r.folded() {
			orgs = []mapping.Membership{}
		}
		return change.CreateUser(u, orgs), func() { r.users[u.Key] = u }
	}
	return connectors.Change{}, nil
}

func testExpiredCredentials(r *run) {
	if r.h.ExpireCredentials == nil {
		r.t.Skip("Harness.ExpireCredentials is nil")
	}
	r.readRaw("before expiry") // a credential is in use
	r.h.ExpireCredentials()
	if !r.h.RenewsCredentials {
		_, err := r.h.Target.Read(r.ctx)
		r.clearAuthError("Read", err)
		if c, _ := r.someCreate("1"); c.Kind != "" {
			_, err := r.h.Target.Apply(r.ctx, c, r.ids)
			r.clearAuthError("Apply("+describe(c)+")", err)
		}
		return
	}
	r.check("Read after expiry")
	r.h.ExpireCredentials()
	if c, done := r.someCreate("1"); c.Kind != "" {
		r.apply(c) // a write is the first request after expiry
		done()
	}
	r.h.ExpireCredentials()
	if c, done := r.someCreate("2"); c.Kind != "" {
		r.apply(c)
		done()
	}
	r.check("after writing past two expiries")
}

// authWords are what a clear authentication error names.
var authWords = []string{"401", "403", "unauthorized", "unauthenticated", "forbidden", "expired", "credential", "token", "key", "auth"}

func (r *run) clearAuthError(what string, err error) {
	r.t.Helper()
	if err == nil {
		r.t.Errorf("%s after ExpireCredentials succeeded; RenewsCredentials is false, so it must fail", what)
		return
	}
	if connectors.IsTransient(err) {
		r.t.Errorf("%s after ExpireCredentials: %v is marked transient; an invalid credential does not heal by retrying", what, err)
	}
	msg := strings.ToLower(err.Error())
	for _, w := range authWords {
		if strings.Contains(msg, w) {
			return
		}
	}
	r.t.Errorf("%s after ExpireCredentials: %q does not say that authentication failed (none of %v)", what, err, authWords)
}

func testValidation(r *run) {
	if r.h.Invalid.Kind == "" {
		r.t.Skip("Harness.Invalid is not set")
	}
	if r.h.InvalidField == "" {
		r.t.Fatal("Harness.Invalid is set but InvalidField is empty")
	}
	before := r.readRaw("before the invalid change")
	_, err := r.h.Target.Apply(r.ctx, r.h.Invalid, r.ids)
	if err == nil {
		r.t.Fatalf("Apply(%s) succeeded; want a validation error on %s", describe(r.h.Invalid), r.h.InvalidField)
	}
	if connectors.IsTransient(err) {
		r.t.Errorf("Apply(%s): %v is marked transient; a validation error is permanent", describe(r.h.Invalid), err)
	}
	var fe *connectors.FieldError
	switch {
	case !errors.As(err, &fe):
		r.t.Errorf("Apply(%s): %v (%T) is not a *connectors.FieldError", describe(r.h.Invalid), err, err)
	default:
		_, named := fe.Fields[r.h.InvalidField]
		if !named && !strings.Contains(fe.Message, r.h.InvalidField) {
			r.t.Errorf("Apply(%s): FieldError %+v names neither in Fields nor in Message the field %q", describe(r.h.Invalid), fe, r.h.InvalidField)
		}
		if fe.Status != 0 && (fe.Status < 400 || fe.Status > 499) {
			r.t.Errorf("Apply(%s): FieldError status %d is not a 4xx", describe(r.h.Invalid), fe.Status)
		}
	}
	after := r.readRaw("after the invalid change")
	if diff := cmp.Diff(sorted(before), sorted(after)); diff != "" {
		r.t.Errorf("the refused change altered the target (-before +after):\n%s", diff)
	}
}

func sorted(s *mapping.Snapshot) *mapping.Snapshot {
	c := *s
	c.Orgs = append([]mapping.Org(nil), s.Orgs...)
	c.Users = append([]mapping.User(nil), s.Users...)
	c.Groups = append([]mapping.Group(nil), s.Groups...)
	c.Memberships = append([]mapping.Membership(nil), s.Memberships...)
	c.Sort()
	return &c
}

// testReadAfterWrite writes a whole fixture in plan order and reads it back.
func testReadAfterWrite(r *run) {
	admin := r.admin()
	made := false
	if r.caps.Orgs {
		hq, sales, sales1, dev := orgTree()
		for _, o := range []mapping.Org{hq, sales, sales1, dev} {
			r.createOrg(o)
		}
		made = true
	}
	if r.caps.Groups {
		r.createGroup(mapping.Group{Key: "promo", Name: "営業推進", Code: "promo", OrgKey: "sales", Description: "営業推進チーム"})
		r.createGroup(mapping.Group{Key: "project", Name: "全社プロジェクト", Code: "project"})
		made = true
	}
	if r.caps.Users && (r.caps.CreatesUsers || len(r.h.ExistingUsers) >= 3) {
		people := r.people()
		people[2].Suspended = true // created suspended, where the target suspends
		keys := r.provideUsers(people, func(i int, key string) []mapping.Membership {
			switch i {
			case 0:
				return []mapping.Membership{orgMember(key, "sales", admin), orgMember(key, "sales1", mapping.RoleMember)}
			case 1:
				return []mapping.Membership{orgMember(key, "dev", mapping.RoleMember)}
			}
			return []mapping.Membership{orgMember(key, "hq", mapping.RoleMember)}
		})
		if r.caps.Groups && r.caps.GroupMemberships {
			r.addMember(groupMember(keys[0], "promo", admin))
			r.addMember(groupMember(keys[1], "promo", mapping.RoleMember))
			r.addMember(groupMember(keys[2], "project", mapping.RoleMember))
		}
		made = true
	}
	if !made {
		r.t.Skip("the target declares nothing to create (no orgs, groups or users)")
	}
	first := r.check("after writing the fixture")
	second := r.readRaw("a second read")
	if diff := cmp.Diff(sorted(first), sorted(second)); diff != "" {
		r.t.Errorf("two reads of an unchanged target differ (-first +second):\n%s", diff)
	}
}
