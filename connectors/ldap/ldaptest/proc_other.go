//go:build !linux

package ldaptest

import "syscall"

// sysProcAttr: outside Linux there is no parent-death signal, so a test
// binary that is killed leaves its slapd running.
func sysProcAttr() *syscall.SysProcAttr { return nil }
