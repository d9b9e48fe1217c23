package emukit

import (
	"slices"
	"testing"
)

func TestPickMethod(t *testing.T) {
	type entry struct{ method, name string }
	table := []entry{{"GET", "list"}, {"POST", "create"}}
	methodOf := func(e entry) string { return e.method }
	for _, tc := range []struct {
		table   []entry
		method  string
		want    string
		ok      bool
		allowed []string
	}{
		{table, "POST", "create", true, nil},
		{table, "GET", "list", true, nil},
		{table, "DELETE", "", false, []string{"GET", "POST"}}, // 405
		{nil, "GET", "", false, []string{}},                   // 404
	} {
		e, ok, allowed := PickMethod(tc.table, tc.method, methodOf)
		if ok != tc.ok || e.name != tc.want || !slices.Equal(allowed, tc.allowed) {
			t.Errorf("PickMethod(%v, %s) = %v, %v, %v; want %s, %v, %v", tc.table, tc.method, e, ok, allowed, tc.want, tc.ok, tc.allowed)
		}
	}
}
