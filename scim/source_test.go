package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors"
	scimsource "github.com/orgbridge/orgbridge/connectors/scim"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

func newSource(t *testing.T, e *env, groupsAs string) *scimsource.Source {
	t.Helper()
	src, err := scimsource.NewSource(scimsource.Config{GroupsAs: groupsAs}, e.store, nil)
	if err != nil {
		t.Fatalf("NewSource(%q): %v", groupsAs, err)
	}
	return src
}

// byKey indexes records by kind and key, failing on a duplicate.
func byKey(t *testing.T, records []connectors.Record) map[string]connectors.Record {
	t.Helper()
	out := map[string]connectors.Record{}
	for _, r := range records {
		k := string(r.Kind) + ":" + r.Key
		if _, dup := out[k]; dup {
			t.Errorf("record %s twice", k)
		}
		out[k] = r
	}
	return out
}

func keys(records []connectors.Record) []string {
	var out []string
	for _, r := range records {
		out = append(out, string(r.Kind)+":"+r.Key)
	}
	sort.Strings(out)
	return out
}

func sortedKeys(ks ...string) []string {
	out := slices.Clone(ks)
	sort.Strings(out)
	return out
}

// seqOf is the number of a "scim-seq:N" mark.
func seqOf(t *testing.T, mark string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscanf(mark, "scim-seq:%d", &n); err != nil {
		t.Fatalf("mark %q: %v", mark, err)
	}
	return n
}

func assertAttrs(t *testing.T, rec connectors.Record, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := rec.Get(k); got != v {
			t.Errorf("%s %s: %s = %q, want %q", rec.Kind, rec.Key, k, got, v)
		}
	}
}

func joinSorted(ids ...string) string {
	s := slices.Clone(ids)
	sort.Strings(s)
	return strings.Join(s, ";")
}

// sourceFixture pushes three users (one deleted again) and two groups.
type sourceFixture struct {
	e                  *env
	alice, bob, carol  string // user ids
	sales, dev         string // group ids
	salesName, devName string
}

func pushFixture(t *testing.T) sourceFixture {
	t.Helper()
	e := newEnv(t)
	f := sourceFixture{e: e, salesName: "Sales 営業", devName: "Dev"}
	f.carol = str(e.createUser(t, "carol@example.com", nil), "id")
	_, alice := e.must(t, http.StatusCreated, http.MethodPost, "/scim/v2/Users", jsonBody(t, map[string]any{
		"schemas":    []string{userURN, entURN},
		"userName":   "alice@example.com",
		"externalId": "ext-alice",
		"name":       map[string]any{"givenName": "Alice", "familyName": "Andersen"},
		"active":     "True",
		"emails": []any{
			map[string]any{"value": "alice@home.example", "type": "home"},
			map[string]any{"value": "alice@corp.example", "type": "work", "primary": true},
		},
		entURN: map[string]any{"department": "営業", "employeeNumber": "1001", "manager": f.carol},
	}))
	f.alice = str(alice, "id")
	f.bob = str(e.createUser(t, "bob@example.com", map[string]any{
		"active": false,
		"name":   map[string]any{"givenName": "Bob", "familyName": "Brown"},
		"emails": []any{map[string]any{"value": "bob@corp.example", "type": "work"}},
	}), "id")
	f.sales = str(e.createGroup(t, f.salesName, f.alice, f.bob), "id")
	f.dev = str(e.createGroup(t, f.devName, f.alice), "id")
	// Carol is deleted; she is still listed in a group's members.
	e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Groups/"+f.dev,
		patchBody(t, map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": f.carol}}}))
	e.must(t, http.StatusNoContent, http.MethodDelete, "/scim/v2/Users/"+f.carol, "")
	return f
}

func TestSourceRead(t *testing.T) {
	f := pushFixture(t)
	for _, tt := range []struct {
		groupsAs string
		kind     mapping.Kind
	}{{"", mapping.KindGroup}, {"groups", mapping.KindGroup}, {"orgs", mapping.KindOrg}} {
		t.Run("groups_as="+tt.groupsAs, func(t *testing.T) {
			records, err := newSource(t, f.e, tt.groupsAs).Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			k := string(tt.kind)
			want := sortedKeys("user:"+f.alice, "user:"+f.bob, k+":"+f.sales, k+":"+f.dev)
			if got := keys(records); !slices.Equal(got, want) {
				t.Fatalf("records %v, want %v (the deleted user absent)", got, want)
			}
			idx := byKey(t, records)
			assertAttrs(t, idx["user:"+f.alice], map[string]string{
				"id":             f.alice,
				"externalId":     "ext-alice",
				"userName":       "alice@example.com",
				"givenName":      "Alice",
				"familyName":     "Andersen",
				"email":          "alice@corp.example",
				"emails":         "alice@home.example;alice@corp.example",
				"active":         "true",
				"deleted":        "false",
				"department":     "営業",
				"employeeNumber": "1001",
				"manager":        f.carol,
				"groups":         joinSorted(f.sales, f.dev),
			})
			// groupNames follows the order of groups (sorted by id).
			names := map[string]string{f.sales: f.salesName, f.dev: f.devName}
			var wantNames []string
			for _, id := range strings.Split(joinSorted(f.sales, f.dev), ";") {
				wantNames = append(wantNames, names[id])
			}
			assertAttrs(t, idx["user:"+f.alice], map[string]string{"groupNames": strings.Join(wantNames, ";")})
			assertAttrs(t, idx["user:"+f.bob], map[string]string{
				"userName":   "bob@example.com",
				"email":      "bob@corp.example", // no primary: the work one
				"active":     "false",
				"department": "",
				"manager":    "",
				"groups":     f.sales,
				"groupNames": f.salesName,
			})
			assertAttrs(t, idx[k+":"+f.sales], map[string]string{"id": f.sales, "displayName": f.salesName})
			assertAttrs(t, idx[k+":"+f.dev], map[string]string{"id": f.dev, "displayName": f.devName})
			for _, r := range records {
				if r.Origin == "" || !strings.Contains(r.Origin, r.Key) {
					t.Errorf("record %s: origin %q does not name it", r.Key, r.Origin)
				}
			}
		})
	}
}

// TestSourceReadFromStore writes resources straight into the store, as
// another orgbridge process serving SCIM would, and reads them back.
func TestSourceReadFromStore(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	mk := func(typ, id, name, doc string) {
		t.Helper()
		if _, err := e.store.SCIMCreate(ctx, store.SCIMResource{Type: typ, ID: id, Name: name, Doc: []byte(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	mk(store.SCIMUser, "u1", "u1@example.com", `{"userName":"u1@example.com","active":"False","emails":[{"value":"a@x","primary":"true"},{"value":"b@x","type":"work"}]}`)
	mk(store.SCIMUser, "u2", "u2@example.com", `{"userName":"u2@example.com"}`)
	mk(store.SCIMGroup, "g1", "G1", `{"displayName":"G1","members":[{"value":"u2"},{"value":"u1"},{"value":"ghost"}]}`)
	mk(store.SCIMGroup, "g0", "G0", `{"displayName":"G0","members":[{"value":"u1"}]}`)
	records, err := newSource(t, e, "groups").Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idx := byKey(t, records)
	if len(records) != 4 {
		t.Errorf("records %v", keys(records))
	}
	assertAttrs(t, idx["user:u1"], map[string]string{"active": "false", "email": "a@x", "groups": "g0;g1", "groupNames": "G0;G1"})
	assertAttrs(t, idx["user:u2"], map[string]string{"active": "true", "email": "", "groups": "g1", "groupNames": "G1"})
}

func TestSourceReadChanged(t *testing.T) {
	f := pushFixture(t)
	e := f.e
	ctx := context.Background()
	src := newSource(t, e, "groups")

	all, mark, err := src.ReadChanged(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	full, err := src.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys(all), keys(full)) || len(all) != 4 {
		t.Fatalf(`ReadChanged("") %v, Read %v`, keys(all), keys(full))
	}
	if !strings.HasPrefix(mark, "scim-seq:") {
		t.Fatalf("mark %q", mark)
	}

	// step reads what changed since the last mark.
	step := func(t *testing.T) map[string]connectors.Record {
		t.Helper()
		recs, next, err := src.ReadChanged(ctx, mark)
		if err != nil {
			t.Fatal(err)
		}
		if seqOf(t, next) < seqOf(t, mark) {
			t.Fatalf("mark went back from %q to %q", mark, next)
		}
		mark = next
		return byKey(t, recs)
	}
	wantKeys := func(t *testing.T, got map[string]connectors.Record, want ...string) {
		t.Helper()
		var g []string
		for k := range got {
			g = append(g, k)
		}
		sort.Strings(g)
		if w := sortedKeys(want...); !slices.Equal(g, w) {
			t.Errorf("changed records %v, want %v", g, w)
		}
	}

	t.Run("nothing changed", func(t *testing.T) {
		wantKeys(t, step(t))
		wantKeys(t, step(t))
	})

	t.Run("one user changed", func(t *testing.T) {
		e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Users/"+f.bob,
			patchBody(t, map[string]any{"op": "replace", "path": "name.givenName", "value": "Robert"}))
		got := step(t)
		wantKeys(t, got, "user:"+f.bob)
		assertAttrs(t, got["user:"+f.bob], map[string]string{"givenName": "Robert", "groups": f.sales, "active": "false"})
	})

	// Dan joins Dev: Dev and all its live members come, each with all
	// of its groups.
	dan := str(e.createUser(t, "dan@example.com", nil), "id")
	step(t)
	t.Run("member added", func(t *testing.T) {
		e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Groups/"+f.dev,
			patchBody(t, map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": dan}}}))
		got := step(t)
		wantKeys(t, got, "group:"+f.dev, "user:"+f.alice, "user:"+dan)
		assertAttrs(t, got["user:"+f.alice], map[string]string{"groups": joinSorted(f.sales, f.dev)})
		assertAttrs(t, got["user:"+dan], map[string]string{"groups": f.dev, "groupNames": f.devName})
		assertAttrs(t, got["group:"+f.dev], map[string]string{"displayName": f.devName})
	})

	t.Run("member removed", func(t *testing.T) {
		e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Groups/"+f.sales,
			patchBody(t, map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": f.bob}}}))
		got := step(t)
		// Sales, its remaining member Alice, and Bob, touched by the
		// removal, without Sales.
		wantKeys(t, got, "group:"+f.sales, "user:"+f.alice, "user:"+f.bob)
		assertAttrs(t, got["user:"+f.bob], map[string]string{"groups": "", "groupNames": ""})
		assertAttrs(t, got["user:"+f.alice], map[string]string{"groups": joinSorted(f.sales, f.dev)})
	})

	t.Run("member removed by value filter", func(t *testing.T) {
		e.must(t, http.StatusNoContent, http.MethodPatch, "/scim/v2/Groups/"+f.dev,
			patchBody(t, map[string]any{"op": "remove", "path": fmt.Sprintf(`members[value eq "%s"]`, dan)}))
		got := step(t)
		wantKeys(t, got, "group:"+f.dev, "user:"+f.alice, "user:"+dan)
		assertAttrs(t, got["user:"+dan], map[string]string{"groups": ""})
	})

	t.Run("group renamed by PUT", func(t *testing.T) {
		e.must(t, http.StatusOK, http.MethodPut, "/scim/v2/Groups/"+f.sales, jsonBody(t, map[string]any{
			"schemas": []string{groupURN}, "displayName": "Sales2", "members": []any{map[string]any{"value": f.alice}},
		}))
		got := step(t)
		wantKeys(t, got, "group:"+f.sales, "user:"+f.alice)
		assertAttrs(t, got["group:"+f.sales], map[string]string{"displayName": "Sales2"})
	})

	t.Run("user deleted", func(t *testing.T) {
		e.must(t, http.StatusNoContent, http.MethodDelete, "/scim/v2/Users/"+dan, "")
		got := step(t)
		wantKeys(t, got, "user:"+dan)
		assertAttrs(t, got["user:"+dan], map[string]string{"active": "false", "deleted": "true", "userName": "dan@example.com", "groups": ""})
	})

	t.Run("group deleted", func(t *testing.T) {
		e.must(t, http.StatusNoContent, http.MethodDelete, "/scim/v2/Groups/"+f.dev, "")
		got := step(t)
		// The group's members are touched: Alice comes without Dev. The
		// group itself is removed by the next full run.
		wantKeys(t, got, "user:"+f.alice)
		assertAttrs(t, got["user:"+f.alice], map[string]string{"groups": f.sales})
		full, err := src.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(keys(full), "group:"+f.dev) {
			t.Errorf("deleted group in a full read: %v", keys(full))
		}
	})

	t.Run("a rejected write changes nothing", func(t *testing.T) {
		status, _, _ := e.do(t, http.MethodPatch, "/scim/v2/Users/"+f.alice,
			patchBody(t, map[string]any{"op": "replace", "path": "active", "value": false}), "If-Match", `W/"999"`)
		if status != http.StatusPreconditionFailed {
			t.Fatalf("status %d", status)
		}
		wantKeys(t, step(t))
	})
}

func TestSourceErrors(t *testing.T) {
	e := newEnv(t)
	src := newSource(t, e, "")
	for _, mark := range []string{"usn:5", "scim-seq:x", "5"} {
		_, _, err := src.ReadChanged(context.Background(), mark)
		if err == nil || !strings.Contains(err.Error(), mark) {
			t.Errorf("ReadChanged(%q): error %v, want one naming the mark", mark, err)
		}
	}
	_, err := scimsource.NewSource(scimsource.Config{GroupsAs: "teams"}, e.store, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "groups_as: ") || !strings.Contains(err.Error(), "teams") {
		t.Errorf("groups_as teams: error %v", err)
	}
	noStore, err := scimsource.NewSource(scimsource.Config{}, nil, nil)
	if err != nil {
		t.Fatalf("NewSource without a store (validation only): %v", err)
	}
	if _, err := noStore.Read(context.Background()); err == nil {
		t.Error("Read without a store: no error")
	}
}

// TestSourceThroughMapping builds the snapshot a job would, to prove that
// the attribute names are usable from templates (missing keys are errors).
func TestSourceThroughMapping(t *testing.T) {
	f := pushFixture(t)
	ctx := context.Background()

	t.Run("groups", func(t *testing.T) {
		rules, err := mapping.Compile(config.Mapping{
			Users: config.UserMapping{
				LoginID:    "{{.userName}}",
				Email:      "{{.email}}",
				Name:       "{{.familyName}} {{.givenName}}",
				Attributes: map[string]string{"department": "{{.department}}", "employeeNumber": "{{.employeeNumber}}", "manager": "{{.manager}}"},
				Groups:     &config.ListField{Template: "{{.groups}}"},
				Suspended:  []config.Match{{Template: "{{.active}}", Equals: "false"}},
			},
			Groups: config.GroupMapping{Name: "{{.displayName}}", Code: "{{.externalId}}"},
		}, "jobs[0].mapping")
		if err != nil {
			t.Fatal(err)
		}
		records, err := newSource(t, f.e, "groups").Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		snap, _, err := rules.Build(records)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		users := snap.UserIndex()
		if len(users) != 2 {
			t.Fatalf("users %+v", snap.Users)
		}
		a, b := users[f.alice], users[f.bob]
		if a == nil || b == nil {
			t.Fatalf("users %+v", snap.Users)
		}
		if a.LoginID != "alice@example.com" || a.Email != "alice@corp.example" || a.Name != "Andersen Alice" || a.Suspended {
			t.Errorf("alice %+v", *a)
		}
		if a.Attributes["department"] != "営業" || a.Attributes["employeeNumber"] != "1001" || a.Attributes["manager"] != f.carol {
			t.Errorf("alice attributes %v", a.Attributes)
		}
		if b.LoginID != "bob@example.com" || !b.Suspended {
			t.Errorf("bob %+v (inactive: want suspended)", *b)
		}
		groups := snap.GroupIndex()
		if len(groups) != 2 || groups[f.sales] == nil || groups[f.sales].Name != f.salesName || groups[f.dev].Name != f.devName {
			t.Errorf("groups %+v", snap.Groups)
		}
		var got []string
		for _, m := range snap.Memberships {
			got = append(got, m.ID())
		}
		want := []string{
			mapping.Membership{Kind: mapping.KindGroup, ContainerKey: f.sales, UserKey: f.alice}.ID(),
			mapping.Membership{Kind: mapping.KindGroup, ContainerKey: f.sales, UserKey: f.bob}.ID(),
			mapping.Membership{Kind: mapping.KindGroup, ContainerKey: f.dev, UserKey: f.alice}.ID(),
		}
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("memberships %v, want %v", got, want)
		}

		// An incremental read builds as a partial snapshot.
		_, mark, err := newSource(t, f.e, "groups").ReadChanged(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		f.e.must(t, http.StatusNoContent, http.MethodDelete, "/scim/v2/Users/"+f.bob, "")
		changed, _, err := newSource(t, f.e, "groups").ReadChanged(ctx, mark)
		if err != nil {
			t.Fatal(err)
		}
		part, _, err := rules.BuildPartial(changed)
		if err != nil {
			t.Fatalf("BuildPartial: %v", err)
		}
		if len(part.Users) != 1 || part.Users[0].Key != f.bob || !part.Users[0].Suspended {
			t.Errorf("partial snapshot after deleting bob: %+v", part.Users)
		}
	})

	t.Run("orgs", func(t *testing.T) {
		rules, err := mapping.Compile(config.Mapping{
			Users: config.UserMapping{
				LoginID:      "{{.userName}}",
				Name:         "{{.givenName}}",
				Org:          "{{.groups}}",
				OrgSeparator: ";",
			},
			Orgs: config.OrgMapping{Name: "{{.displayName}}"},
		}, "jobs[0].mapping")
		if err != nil {
			t.Fatal(err)
		}
		records, err := newSource(t, f.e, "orgs").Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		snap, _, err := rules.Build(records)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		orgs := snap.OrgIndex()
		if len(orgs) != 2 || orgs[f.sales] == nil || orgs[f.sales].Name != f.salesName || orgs[f.dev] == nil {
			t.Errorf("orgs %+v", snap.Orgs)
		}
		var got []string
		for _, m := range snap.Memberships {
			got = append(got, m.ID())
		}
		// Bob was deleted by the groups subtest: Alice alone, in both.
		want := sortedKeys(
			mapping.Membership{Kind: mapping.KindOrg, ContainerKey: f.sales, UserKey: f.alice}.ID(),
			mapping.Membership{Kind: mapping.KindOrg, ContainerKey: f.dev, UserKey: f.alice}.ID(),
		)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("memberships %v, want %v", got, want)
		}
	})
}
