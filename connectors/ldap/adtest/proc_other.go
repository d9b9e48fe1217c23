//go:build !linux

package adtest

import (
	"errors"
	"os/exec"
	"testing"
	"time"
)

var errNotLinux = errors.New("a Samba DC runs on Linux only")

type process struct {
	pid  int
	done chan error
}

func startProcess(*exec.Cmd) (*process, error) { return nil, errNotLinux }
func (p *process) stop(time.Duration) error    { return errNotLinux }
func lockMachine(string, time.Duration, testing.TB) (func(), error) {
	return nil, errNotLinux
}
func stopStale(string) {}
