package plan

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/mapping"
)

// TestSortChanges: sortChanges orders as a stable sort by compareChanges
// does, equal changes (same stage, action and key) kept in their order.
func TestSortChanges(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	actions := []change.Action{change.ActionCreate, change.ActionUpdate, change.ActionSuspend, change.ActionDelete}
	for _, n := range []int{0, 1, 2, 7, 100, 2000} {
		cs := make([]change.Change, n)
		for i := range cs {
			cs[i] = change.Change{Stage: r.IntN(4), Action: actions[r.IntN(len(actions))], Kind: mapping.KindUser,
				Key: fmt.Sprint(r.IntN(n/2 + 1)), TargetID: fmt.Sprint(i)}
		}
		want := append([]change.Change(nil), cs...)
		sort.SliceStable(want, func(i, j int) bool { return compareChanges(&want[i], &want[j]) < 0 })
		if got := sortChanges(cs); !reflect.DeepEqual(got, want) && n > 0 {
			t.Errorf("%d changes: not in stable order", n)
		}
	}
}

// TestOrgMemberships: each user's org memberships, in the snapshot's
// order, whether one (the snapshot's own) or several (grouped).
func TestOrgMemberships(t *testing.T) {
	m := func(user string, kind mapping.Kind, container string) mapping.Membership {
		return mapping.Membership{UserKey: user, Kind: kind, ContainerKey: container, Role: mapping.RoleMember}
	}
	s := &mapping.Snapshot{Memberships: []mapping.Membership{
		m("a", mapping.KindOrg, "o1"), m("b", mapping.KindGroup, "g1"), m("c", mapping.KindOrg, "o1"),
		m("b", mapping.KindOrg, "o2"), m("a", mapping.KindOrg, "o3"), m("c", mapping.KindGroup, "g1"), m("a", mapping.KindOrg, "o2"),
	}}
	want := map[string][]mapping.Membership{}
	for _, x := range s.Memberships {
		if x.Kind == mapping.KindOrg {
			want[x.UserKey] = append(want[x.UserKey], x)
		}
	}
	b := orgMemberships(s)
	for _, user := range []string{"a", "b", "c", "d"} {
		got := b.of(user)
		if !reflect.DeepEqual(got, want[user]) {
			t.Errorf("%s: %v, want %v", user, got, want[user])
		}
		if len(got) > 0 && cap(got) != len(got) {
			t.Errorf("%s: capacity %d beyond its %d memberships", user, cap(got), len(got))
		}
	}
}
