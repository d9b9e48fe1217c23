package testsrv

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// ErrAddrInUse is what a server's start returns when the server found one
// of its ports taken (its log says "Address already in use"): OnFreePorts
// then tries other ports.
var ErrAddrInUse = errors.New("address already in use")

// startAttempts bounds OnFreePorts' tries.
const startAttempts = 5

// FreePort asks the kernel for a free loopback port. Another process may
// take it before the server binds it: start through OnFreePorts.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// OnFreePorts calls start with n free loopback ports (FreePort), again
// with other ports while start returns ErrAddrInUse, at most five times;
// it returns start's last error.
func OnFreePorts(n int, start func(ports []int) error) error {
	var err error
	for range startAttempts {
		ports := make([]int, n)
		for i := range ports {
			if ports[i], err = FreePort(); err != nil {
				return err
			}
		}
		if err = start(ports); !errors.Is(err, ErrAddrInUse) {
			return err
		}
	}
	return err
}

// InCI reports whether the tests run under CI: the CI environment
// variable holds a true value (CI=true, as GitHub Actions and most CI
// systems set it, or CI=1).
func InCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// Require skips the test when err says the server (what: "LDAP",
// "PostgreSQL") cannot run here, except under CI (InCI), where it fails
// the test: CI installs the server, and a test that silently skips there
// is a test that never runs. A nil err does nothing.
func Require(t testing.TB, err error, what string) {
	t.Helper()
	require(t, err, what, InCI())
}

func require(t testing.TB, err error, what string, ci bool) {
	t.Helper()
	if err == nil {
		return
	}
	if ci {
		t.Fatalf("%v (CI is set: %s tests must not be skipped)", err, what)
	}
	t.Skipf("%v", err)
}

// LastLines returns the last n lines of s (a program's output, a server's
// log), "..." first when it left lines out.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
