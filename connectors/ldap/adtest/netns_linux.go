//go:build linux

package adtest

import (
	"fmt"
	"net"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// netns is the DC's own network namespace: samba binds AD's fixed ports
// (389, 636, 88, 3268, ...) on the loopback of this namespace, not the
// machine's, so a directory server elsewhere on the machine (or another
// test binary's DC) is no obstacle. The test process reaches it through
// dial, which opens its socket from a thread that entered the namespace;
// a socket stays in the namespace it was made in, and once connected it
// works from any thread.
type netns struct {
	fd int // an open /proc/thread-self/ns/net of the namespace
}

// newNetns makes a network namespace with its loopback up. It needs
// CAP_SYS_ADMIN (root, outside a container that drops it).
func newNetns() (*netns, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// Never unlocked: the thread, now in the new namespace, ends with
		// this goroutine rather than run other goroutines there.
		runtime.LockOSThread()
		if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
			ch <- result{-1, fmt.Errorf("unshare(CLONE_NEWNET): %w", err)}
			return
		}
		if err := loopbackUp(); err != nil {
			ch <- result{-1, fmt.Errorf("set lo up in the new network namespace: %w", err)}
			return
		}
		fd, err := syscall.Open("/proc/thread-self/ns/net", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			ch <- result{-1, fmt.Errorf("open the new network namespace: %w", err)}
			return
		}
		ch <- result{fd, nil}
	}()
	r := <-ch
	if r.err != nil {
		return nil, r.err
	}
	return &netns{fd: r.fd}, nil
}

// sysSetns is setns(2)'s number by architecture: package syscall does not
// name it, and golang.org/x/sys is not a direct dependency.
var sysSetns = map[string]uintptr{"amd64": 308, "arm64": 268, "386": 346, "arm": 375, "riscv64": 268, "ppc64le": 350, "s390x": 339}

// enter moves the calling thread into the namespace. The caller has locked
// its goroutine to the thread and never unlocks it.
func (n *netns) enter() error {
	nr, ok := sysSetns[runtime.GOARCH]
	if !ok {
		return fmt.Errorf("setns: no system call number known for %s", runtime.GOARCH)
	}
	if _, _, errno := syscall.RawSyscall(nr, uintptr(n.fd), syscall.CLONE_NEWNET, 0); errno != 0 {
		return fmt.Errorf("setns: %w", errno)
	}
	return nil
}

// dial connects to addr inside the namespace.
func (n *netns) dial(network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: see newNetns
		if err := n.enter(); err != nil {
			ch <- result{nil, err}
			return
		}
		c, err := net.DialTimeout(network, addr, 10*time.Second)
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

func (n *netns) close() { _ = syscall.Close(n.fd) }

// loopbackUp sets the flag IFF_UP on lo, as `ip link set lo up` does, on
// the calling thread's namespace.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	// struct ifreq: the name, then a union whose first member is the
	// short ifr_flags.
	var ifr [40]byte
	copy(ifr[:], "lo")
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCGIFFLAGS, uintptr(unsafe.Pointer(&ifr[0]))); errno != 0 {
		return fmt.Errorf("SIOCGIFFLAGS: %w", errno)
	}
	flags := *(*uint16)(unsafe.Pointer(&ifr[syscall.IFNAMSIZ]))
	*(*uint16)(unsafe.Pointer(&ifr[syscall.IFNAMSIZ])) = flags | syscall.IFF_UP
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&ifr[0]))); errno != 0 {
		return fmt.Errorf("SIOCSIFFLAGS: %w", errno)
	}
	return nil
}

// Isolated reports whether a DC started now gets a network namespace of
// its own (nil), or why not: then it binds the machine's ports.
func Isolated() error {
	ns, err := newNetns()
	if err != nil {
		return err
	}
	ns.close()
	return nil
}
