//go:build unix

package ldap

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used, or 0
// when unknown: a benchmark figure that the machine's load changes less
// than the elapsed time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
