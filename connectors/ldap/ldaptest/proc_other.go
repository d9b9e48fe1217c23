//go:build !linux

package ldaptest

import (
	"syscall"
	"time"
)

// sysProcAttr: outside Linux there is no parent-death signal, so a test
// binary that is killed leaves its slapd running.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// procCPUTime is unknown here.
func procCPUTime(int) time.Duration { return 0 }
