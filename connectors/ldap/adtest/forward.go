package adtest

import (
	"io"
	"net"
	"sync"
)

// forwarder listens on a loopback port the kernel picks and carries each
// connection to target through dial: the way into the DC's network
// namespace. What the client sends goes byte for byte (TLS and StartTLS
// pass through untouched); what the server answers goes through toClient.
type forwarder struct {
	ln     net.Listener
	target string
	dial   func(network, addr string) (net.Conn, error)
	// toClient copies the server's answers to the client until either
	// ends: copyBytes, or the rangeProxy's rewriting relay.
	toClient func(client, server net.Conn) error

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// startForwarder starts a forwarder to target; a nil toClient copies the
// answers byte for byte too.
func startForwarder(target string, dial func(network, addr string) (net.Conn, error), toClient func(client, server net.Conn) error) (*forwarder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if toClient == nil {
		toClient = copyBytes
	}
	f := &forwarder{ln: ln, target: target, dial: dial, toClient: toClient, conns: map[net.Conn]struct{}{}}
	f.wg.Add(1)
	go f.serve()
	return f, nil
}

func (f *forwarder) addr() string { return f.ln.Addr().String() }

func (f *forwarder) close() {
	f.ln.Close()
	f.mu.Lock()
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func (f *forwarder) track(add bool, cs ...net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range cs {
		if add {
			f.conns[c] = struct{}{}
		} else {
			delete(f.conns, c)
		}
	}
}

func (f *forwarder) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		s, err := f.dial("tcp", f.target)
		if err != nil {
			c.Close()
			continue
		}
		f.track(true, c, s)
		f.wg.Add(2)
		pipe := func(dst, src net.Conn, carry func(dst, src net.Conn) error) {
			defer f.wg.Done()
			_ = carry(dst, src) // on any error both ends see the connection close
			dst.Close()
			src.Close()
			f.track(false, dst, src)
		}
		go pipe(s, c, copyBytes)
		go pipe(c, s, f.toClient)
	}
}

// copyBytes copies src to dst as they are until either ends.
func copyBytes(dst, src net.Conn) error {
	_, err := io.Copy(dst, src)
	return err
}
