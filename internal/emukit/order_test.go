package emukit

import "testing"

func TestByAge(t *testing.T) {
	type rec struct {
		name string
		seq  int64
	}
	m := map[string]*rec{"a": {"third", 9}, "b": {"first", 1}, "c": {"second", 4}}
	var got []string
	for _, r := range ByAge(m, func(r *rec) int64 { return r.seq }) {
		got = append(got, r.name)
	}
	if want := []string{"first", "second", "third"}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("ByAge = %v, want %v", got, want)
	}
	if got := ByAge(map[string]*rec{}, func(r *rec) int64 { return r.seq }); len(got) != 0 {
		t.Fatalf("ByAge of no record = %v, want none", got)
	}
}
