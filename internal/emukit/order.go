package emukit

import (
	"cmp"
	"maps"
	"slices"
)

// ByAge returns the records of m in creation order, the order of an
// emulator's lists (a map's own order is random): seq reads a record's
// creation sequence number, unique in m.
func ByAge[R any](m map[string]*R, seq func(*R) int64) []*R {
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, func(a, b *R) int { return cmp.Compare(seq(a), seq(b)) })
	return out
}
