package ldaptest

import "syscall"

// sysProcAttr puts slapd in its own process group and has the kernel send
// it SIGTERM if the test binary dies without running its cleanups (killed,
// or timed out), so no slapd outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
