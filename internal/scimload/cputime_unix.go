//go:build unix

package scimload

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used, 0 where
// the platform does not say.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
