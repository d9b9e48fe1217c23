//go:build !linux

package pgtest

import "syscall"

// sysProcAttr: outside Linux there is no parent-death signal (a test
// binary that is killed leaves its server running), and running the
// server as another user is not supported.
func sysProcAttr(u *runAs, sig syscall.Signal) *syscall.SysProcAttr { return nil }

const canRunAs = false
