//go:build linux

package adtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// process is samba, in a process group of its own.
type process struct {
	pid  int
	done chan error // receives Wait's result once
}

// startProcess starts cmd in a new process group with SIGTERM as its
// parent-death signal, so that samba (which on SIGTERM stops its whole
// process group) does not outlive a test binary that exits, panics on a
// timeout or is killed. The parent-death signal follows the OS thread that
// forked, so the goroutine that starts samba keeps its thread locked, and
// alive in Wait, for as long as samba runs. With ns, that thread enters
// the namespace first, and samba, forked from it, runs there.
func startProcess(cmd *exec.Cmd, ns *netns) (*process, error) {
	started := make(chan error, 1)
	p := &process{done: make(chan error, 1)}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with samba
		if ns != nil {
			if err := ns.enter(); err != nil {
				started <- err
				return
			}
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		p.pid = cmd.Process.Pid
		started <- nil
		p.done <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// stop sends SIGTERM to the process group and waits; after timeout,
// SIGKILL.
func (p *process) stop(timeout time.Duration) error {
	_ = syscall.Kill(-p.pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = syscall.Kill(-p.pid, syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("samba (pid %d) did not stop within %s of SIGTERM; killed", p.pid, timeout)
	}
	// The group's other processes follow the main one; wait for them so
	// that the ports are free when stop returns.
	deadline := time.Now().Add(timeout)
	for syscall.Kill(-p.pid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// lockMachine takes an exclusive flock on path, waiting up to timeout; the
// lock ends with unlock or with the process.
func lockMachine(path string, timeout time.Duration, t testing.TB) (unlock func(), err error) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	logged := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("another test binary has held the Samba DC (lock %s) for %s", path, timeout)
		}
		if !logged {
			t.Logf("adtest: waiting for another test binary's Samba DC to stop (lock %s)", path)
			logged = true
		}
		time.Sleep(250 * time.Millisecond)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// stopStale stops a samba left running from dir by an earlier test binary
// that could not stop it (its pid file names it, and its command line
// names dir's smb.conf).
func stopStale(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "pid", "samba.pid"))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), filepath.Join(dir, "etc", "smb.conf")) {
		return
	}
	p := &process{pid: pid, done: make(chan error, 1)}
	go func() {
		for syscall.Kill(pid, 0) == nil {
			time.Sleep(50 * time.Millisecond)
		}
		p.done <- nil
	}()
	_ = p.stop(20 * time.Second)
}
