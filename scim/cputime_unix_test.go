//go:build unix

package scim_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used: what a
// request costs, which a loaded machine's wall clock does not show.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
