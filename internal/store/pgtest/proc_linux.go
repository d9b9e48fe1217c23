package pgtest

import "syscall"

// sysProcAttr puts the child in its own process group, runs it as u (when
// not nil: the test binary runs as root), and has the kernel send it sig
// if the thread that started it ends (see doc.go: the server's is kept for
// the process's life), so no server outlives its test binary.
func sysProcAttr(u *runAs, sig syscall.Signal) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: sig}
	if u != nil {
		a.Credential = &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: []uint32{}}
	}
	return a
}

const canRunAs = true
