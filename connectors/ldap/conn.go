package ldap

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
)

// session is one bound connection, used by one read from one goroutine.
type session struct {
	src  *Source
	conn *goldap.Conn
	// shared is the connection under conn, which the users search takes
	// over (fastsearch.go).
	shared *sharedConn
	stop   func() bool // ends the context watch
	log    *zap.Logger
	// searches counts the search operations sent, for the log.
	searches int
	// fastID numbers the users search's requests.
	fastID int
}

// opError is an error the server or the library returned for an
// operation (a result code other than success).
type opError struct{ err error }

func (e *opError) Error() string { return e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// connError marks a failure of the connection itself (dropped, reset,
// timed out), after which a read is tried again from scratch.
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// open dials, secures and binds a connection. Errors name the config key
// they concern; the password appears in none of them.
func (src *Source) open(ctx context.Context) (*session, error) {
	s := &src.s
	dial := src.dial
	if dial == nil {
		dial = func(network, addr string, timeout time.Duration) (net.Conn, error) {
			d := net.Dialer{Timeout: timeout}
			return d.DialContext(ctx, network, addr)
		}
	}
	raw, err := dial("tcp", s.addr, s.timeout)
	if err != nil {
		return nil, &connectors.TransientError{Err: fmt.Errorf("source.ldap.url: connect to %s: %w", s.addr, err)}
	}
	// The whole set-up (TLS, StartTLS, bind) must finish within timeout.
	_ = raw.SetDeadline(time.Now().Add(s.timeout))
	if s.ldaps {
		tc := tls.Client(raw, s.tlsConfig)
		hctx, cancel := context.WithTimeout(ctx, s.timeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			raw.Close()
			return nil, tlsError("source.ldap.url", s.addr, err)
		}
		raw = tc
	}
	if s.startTLS {
		// StartTLS by hand, as go-ldap does it, so that the TLS connection
		// is ours to share with the users search.
		tc, err := startTLS(ctx, raw, s.tlsConfig)
		if err != nil {
			raw.Close()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, tlsError("source.ldap.start_tls", s.addr, err)
		}
		raw = tc
	}
	shared := newSharedConn(raw)
	conn := goldap.NewConn(shared, s.ldaps || s.startTLS)
	conn.Start()
	conn.SetTimeout(s.timeout)
	sess := &session{src: src, conn: conn, shared: shared, log: src.logger}
	sess.stop = context.AfterFunc(ctx, func() { conn.Close() })
	fail := func(err error) (*session, error) {
		sess.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if err := conn.Bind(s.bindDN, s.password()); err != nil {
		err = fmt.Errorf("source.ldap.bind_dn: bind as %q: %w", s.bindDN, err)
		if goldap.IsErrorWithCode(err, goldap.ErrorNetwork) || conn.IsClosing() {
			// The connection went during the bind: tried again.
			err = &connError{err}
		}
		return fail(err)
	}
	_ = raw.SetDeadline(time.Time{})
	return sess, nil
}

// startTLS sends the StartTLS extended operation on c and, once the
// server agrees, returns c secured with cfg. Its errors are those of
// go-ldap's Conn.StartTLS.
func startTLS(ctx context.Context, c net.Conn, cfg *tls.Config) (net.Conn, error) {
	defer context.AfterFunc(ctx, func() { c.Close() })()
	var req []byte
	req = appendInt(req, tagInteger, 1)
	req = appendTLV(req, tagExtendedRequest, appendString(nil, 0x80, "1.3.6.1.4.1.1466.20037"))
	closed := goldap.NewError(goldap.ErrorNetwork, errors.New("ldap: response channel closed"))
	if _, err := c.Write(appendTLV(nil, tagSequence, req)); err != nil {
		return nil, goldap.NewError(goldap.ErrorNetwork, err)
	}
	br := bufio.NewReaderSize(c, 16)
	tag, msg, _, err := readMessage(br, nil)
	if err != nil || tag != tagSequence || br.Buffered() > 0 {
		return nil, closed
	}
	r := berReader{msg}
	if _, err := r.expect(tagInteger); err != nil {
		return nil, closed
	}
	op, err := r.expect(tagExtendedResp)
	if err != nil {
		return nil, closed
	}
	res, err := parseResult(op)
	if err != nil {
		return nil, closed
	}
	if res != nil {
		return nil, res
	}
	tc := tls.Client(c, cfg)
	if err := tc.Handshake(); err != nil {
		return nil, goldap.NewError(goldap.ErrorNetwork, fmt.Errorf("TLS handshake failed (%w)", err))
	}
	return tc, nil
}

func tlsError(key, addr string, err error) error {
	err = fmt.Errorf("%s: TLS with %s: %w", key, addr, err)
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) {
		return &connectors.TransientError{Err: err}
	}
	return err
}

func (sess *session) close() {
	sess.stop()
	sess.conn.Close()
}

// searchSpec is one search request.
type searchSpec struct {
	base   string
	scope  int
	filter string
	attrs  []string
	// paged: use the simple paged results control (every search of many
	// entries); base-object searches are not paged.
	paged bool
}

// search runs a search and calls fn on each entry as it arrives, page by
// page, holding no more than a page's worth of raw entries (the library
// buffers a few). An error from fn stops the search and is returned as
// is. A result code other than success (a size or time limit, a base that
// does not exist, a page the server refuses) fails the search: nothing
// short of the whole result is ever used. A failure of the connection is
// returned as a *connError.
func (sess *session) search(ctx context.Context, sp searchSpec, fn func(*goldap.Entry) error) error {
	req := goldap.NewSearchRequest(sp.base, sp.scope, goldap.NeverDerefAliases, 0, 0, false, sp.filter, sp.attrs, nil)
	var paging *goldap.ControlPaging
	if sp.paged {
		paging = goldap.NewControlPaging(sess.src.s.pageSize)
		req.Controls = append(req.Controls, paging)
	}
	for page := 1; ; page++ {
		sess.searches++
		cookie, err := sess.searchPage(ctx, req, fn)
		if err != nil {
			return err
		}
		if paging == nil || len(cookie) == 0 {
			return nil
		}
		paging.SetCookie(cookie)
	}
}

// searchPage sends one search request (one page) and streams its entries.
// It returns the paging cookie of the next page (nil on the last).
func (sess *session) searchPage(ctx context.Context, req *goldap.SearchRequest, fn func(*goldap.Entry) error) ([]byte, error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp := sess.conn.SearchAsync(sctx, req, 64)
	var cookie []byte
	for resp.Next() {
		if e := resp.Entry(); e != nil {
			if err := fn(e); err != nil {
				cancel()
				for resp.Next() { // let the search goroutine end
				}
				return nil, err
			}
			continue
		}
		if ref := resp.Referral(); ref != "" {
			// AD answers a subtree search from a domain's root with
			// referrals to its other partitions; they are not followed.
			sess.log.Debug("ldap: referral not followed", zap.String("base_dn", req.BaseDN), zap.String("referral", ref))
			continue
		}
		if c, ok := goldap.FindControl(resp.Controls(), goldap.ControlTypePaging).(*goldap.ControlPaging); ok {
			cookie = c.Cookie
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := resp.Err(); err != nil {
		return nil, sess.classify(err)
	}
	if sess.conn.IsClosing() {
		// The search ended without its final message: the connection went.
		if err := sess.conn.GetLastError(); err != nil {
			return nil, &connError{err}
		}
		return nil, &connError{errors.New("connection closed")}
	}
	return cookie, nil
}

// classify marks err as a connection failure when the connection is gone
// or the library reports a network error (a dropped or timed-out
// connection), so the read can be retried.
func (sess *session) classify(err error) error {
	if goldap.IsErrorWithCode(err, goldap.ErrorNetwork) || sess.conn.IsClosing() || errors.Is(err, io.EOF) {
		return &connError{err}
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return &connError{err}
	}
	return &opError{err}
}

// readEntry reads one entry by base-object search; nil when the filter
// does not match it.
func (sess *session) readEntry(ctx context.Context, dn, filter string, attrs []string) (*goldap.Entry, error) {
	var out *goldap.Entry
	err := sess.search(ctx, searchSpec{base: dn, scope: goldap.ScopeBaseObject, filter: filter, attrs: attrs}, func(e *goldap.Entry) error {
		out = e
		return nil
	})
	return out, err
}
