package ldaptest

import (
	"os"
	"strconv"
	"syscall"
	"time"
)

// sysProcAttr puts slapd in its own process group and has the kernel send
// it SIGTERM if the test binary dies without running its cleanups (killed,
// or timed out), so no slapd outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// procCPUTime reads the process's CPU time from /proc/<pid>/stat; 0 on
// any error.
func procCPUTime(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	return parseStatCPU(string(b))
}
