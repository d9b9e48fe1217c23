package mapping

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sortMemberships is a list of memberships with the cases a compare of
// fields can get wrong: containers that are prefixes of each other, "/"
// and ":" in keys, both kinds, empty keys, and IDs listed twice with
// different roles, shuffled by seed.
func sortMemberships(seed uint64, n int) []Membership {
	r := rand.New(rand.NewPCG(seed, 1))
	containers := []string{"", "a", "a/b", "a.", "ab", "org_1", "org_10", "org_1/0", "grp:1", "新人研修", "新人"}
	users := []string{"", "u1", "u10", "u1/x", "b", "b/u1", "1", "usr_000123"}
	kinds := []Kind{KindOrg, KindGroup, "org:x", "or"}
	roles := []Role{RoleMember, RoleAdmin}
	ms := make([]Membership, n)
	for i := range ms {
		ms[i] = Membership{
			Kind:         kinds[r.IntN(len(kinds))],
			ContainerKey: containers[r.IntN(len(containers))],
			UserKey:      users[r.IntN(len(users))],
			Role:         roles[r.IntN(len(roles))],
		}
		if r.IntN(3) == 0 {
			ms[i].UserKey = fmt.Sprint("usr_", r.IntN(1000))
		}
	}
	return ms
}

// TestSortAsSortSlice: Sort orders memberships exactly as sorting by ID()
// with sort.Slice did, and users by key, equal IDs and keys (a membership
// with two roles, a user listed twice) included.
func TestSortAsSortSlice(t *testing.T) {
	for seed := range uint64(20) {
		n := 50 + int(seed)*200
		ms := sortMemberships(seed, n)
		wantMs := append([]Membership(nil), ms...)
		sort.Slice(wantMs, func(i, j int) bool { return wantMs[i].ID() < wantMs[j].ID() })
		var us []User
		for i, m := range ms {
			us = append(us, User{Key: m.UserKey, Name: fmt.Sprint(i)})
		}
		wantUs := append([]User(nil), us...)
		sort.Slice(wantUs, func(i, j int) bool { return wantUs[i].Key < wantUs[j].Key })
		s := &Snapshot{Users: us, Memberships: ms}
		s.Sort()
		if diff := cmp.Diff(wantMs, s.Memberships); diff != "" {
			t.Fatalf("seed %d, memberships (-sort.Slice by ID +Sort):\n%s", seed, diff)
		}
		if diff := cmp.Diff(wantUs, s.Users); diff != "" {
			t.Fatalf("seed %d, users (-sort.Slice by key +Sort):\n%s", seed, diff)
		}
	}
}

// BenchmarkSortMemberships sorts 115,000 memberships as the no-change sync
// of make scale's 100,000 users reads them (each user in one of 7 orgs,
// 15,000 in two groups), shuffled.
func BenchmarkSortMemberships(b *testing.B) {
	var ms []Membership
	for i := range 100000 {
		u := fmt.Sprintf("usr_%012d", i*7919%1000003)
		ms = append(ms, Membership{Kind: KindOrg, ContainerKey: fmt.Sprintf("org_%08d", i%7), UserKey: u, Role: RoleMember})
		if i%10 == 3 || i%20 == 7 {
			ms = append(ms, Membership{Kind: KindGroup, ContainerKey: fmt.Sprintf("grp_%d", i%2), UserKey: u, Role: RoleMember})
		}
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
	buf := make([]Membership, len(ms))
	b.ResetTimer()
	for range b.N {
		copy(buf, ms)
		(&Snapshot{Memberships: buf}).Sort()
	}
	if !strings.HasPrefix(buf[0].ID(), string(KindGroup)) {
		b.Fatalf("first after Sort: %s", buf[0].ID())
	}
}
