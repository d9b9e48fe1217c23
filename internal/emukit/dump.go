package emukit

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Dump is the canonical text of an emulator's state, what its Dump
// returns: lines, called with lock held, adds one line per fact (a
// fmt.Sprintf format and its arguments); the lines are sorted, so that
// the order of the emulator's maps does not show, and each ends with a
// newline ("" when there is none).
func Dump(lock sync.Locker, lines func(add func(format string, a ...any))) string {
	lock.Lock()
	defer lock.Unlock()
	var out []string
	lines(func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) })
	slices.Sort(out)
	var b strings.Builder
	for _, l := range out {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
