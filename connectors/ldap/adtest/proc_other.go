//go:build !linux

package adtest

import (
	"errors"
	"net"
	"os/exec"
	"testing"
	"time"
)

var errNotLinux = errors.New("a Samba DC runs on Linux only")

type process struct {
	pid  int
	done chan error
}

func startProcess(*exec.Cmd, *netns) (*process, error) { return nil, errNotLinux }
func (p *process) stop(time.Duration) error            { return errNotLinux }

type netns struct{}

func newNetns() (*netns, error)                      { return nil, errNotLinux }
func (*netns) dial(string, string) (net.Conn, error) { return nil, errNotLinux }
func (*netns) close()                                {}
func lockMachine(string, time.Duration, testing.TB) (func(), error) {
	return nil, errNotLinux
}
func stopStale(string) {}

// Isolated: a DC runs on Linux only.
func Isolated() error { return errNotLinux }
