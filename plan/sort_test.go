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
