package ldap

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"go.uber.org/zap"
)

// sharedConn is the connection under go-ldap, which the users search takes
// over between two of go-ldap's operations (see "Bulk user search" in
// doc.go). go-ldap's reader goroutine always sits in Read; while the
// connection is taken (take), its Read is held back (its pending read of
// the underlying connection is interrupted by a past read deadline, and
// the timeout hidden from it), and the users search reads and writes the
// underlying connection itself. release hands it back.
type sharedConn struct {
	net.Conn
	mu     sync.Mutex
	cond   *sync.Cond
	taken  bool // the users search has the connection
	inRead bool // go-ldap's reader is in Conn.Read
	closed bool
}

func newSharedConn(c net.Conn) *sharedConn {
	s := &sharedConn{Conn: c}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// Read is go-ldap's read.
func (s *sharedConn) Read(p []byte) (int, error) {
	for {
		s.mu.Lock()
		for s.taken && !s.closed {
			s.cond.Wait()
		}
		if s.closed {
			s.mu.Unlock()
			return 0, net.ErrClosed
		}
		s.inRead = true
		s.mu.Unlock()
		n, err := s.Conn.Read(p)
		s.mu.Lock()
		s.inRead = false
		held := s.taken && n == 0 && isTimeout(err)
		s.cond.Broadcast()
		s.mu.Unlock()
		if !held {
			return n, err
		}
	}
}

func (s *sharedConn) Close() error {
	s.mu.Lock()
	s.closed = true
	s.cond.Broadcast()
	s.mu.Unlock()
	return s.Conn.Close()
}

// take holds go-ldap's reader back and returns the connection to use.
// go-ldap must have no operation under way.
func (s *sharedConn) take() net.Conn {
	s.mu.Lock()
	s.taken = true
	_ = s.Conn.SetReadDeadline(time.Unix(1, 0))
	for s.inRead && !s.closed {
		s.cond.Wait()
	}
	s.mu.Unlock()
	_ = s.Conn.SetDeadline(time.Time{})
	return s.Conn
}

// release hands the connection back to go-ldap.
func (s *sharedConn) release() {
	_ = s.Conn.SetDeadline(time.Time{})
	s.mu.Lock()
	s.taken = false
	s.cond.Broadcast()
	s.mu.Unlock()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// firstFastID is the first message ID of the users search's requests, far
// from go-ldap's own counter (only one operation is ever outstanding on
// the connection, so IDs could not clash anyway).
const firstFastID = 1 << 30

// searchUsers runs a users search on the connection taken from go-ldap:
// the same paged search as search, decoded without go-ldap (see "Bulk
// user search" in doc.go). fn gets an entry that is valid only during the
// call, except for its strings, which it may keep (not its value slices),
// and where each of sp.attrs is in it: at[i] is the index in
// e.Attributes of the first attribute named sp.attrs[i] (case aside),
// -1 when there is none, so that e.GetEqualFoldAttributeValues(sp.attrs[i])
// is e.Attributes[at[i]].Values without a search.
func (sess *session) searchUsers(ctx context.Context, sp searchSpec, fn func(e *goldap.Entry, at []int32) error) error {
	filter, err := goldap.CompileFilter(sp.filter)
	if err != nil {
		return &opError{goldap.NewError(goldap.ErrorFilterCompile, err)}
	}
	fs := &fastSearch{sess: sess, sp: sp, filter: filter.Bytes()}
	c := sess.shared.take()
	defer sess.shared.release()
	fs.conn = c
	fs.br = bufio.NewReaderSize(c, 64<<10)

	// A goroutine reads and decodes the pages, asking for the next page
	// as soon as one ends, while this one builds the records: the server
	// works on a page while the entries of the last are turned into
	// records.
	out := make(chan *entryBatch, fastQueue)
	fs.free = make(chan *entryBatch, fastQueue+2)
	stop := make(chan struct{})
	var perr error
	go func() {
		defer close(out)
		perr = fs.produce(ctx, out, stop)
	}()
	var ferr error
	for batch := range out {
		if ferr != nil {
			continue // let the reader end
		}
		m := len(sp.attrs)
		for i := range batch.entries {
			if err := fn(&batch.entries[i], batch.at[i*m:(i+1)*m:(i+1)*m]); err != nil {
				ferr = err
				close(stop)
				_ = c.SetReadDeadline(time.Unix(1, 0))
				break
			}
		}
		select {
		case fs.free <- batch: // for the reader to fill again
		default:
		}
	}
	switch {
	case ferr != nil:
		return ferr
	case perr != nil && ctx.Err() != nil:
		return ctx.Err()
	}
	return perr
}

// Entries go from the reading goroutine to the one that builds records in
// batches of fastBatch, at most fastQueue batches ahead.
const (
	fastBatch = 64
	fastQueue = 16
)

var errStopped = errors.New("search stopped")

// produce sends the search's pages one after the other and passes their
// entries on, until the last page, an error, or stop.
func (fs *fastSearch) produce(ctx context.Context, out chan<- *entryBatch, stop <-chan struct{}) error {
	send := func() error {
		if fs.batch == nil || len(fs.batch.entries) == 0 {
			return nil
		}
		select {
		case out <- fs.batch:
		case <-stop:
			return errStopped
		}
		fs.batch = nil
		// The time spent waiting for the records to be built is not the
		// server's.
		_ = fs.conn.SetDeadline(time.Now().Add(fs.sess.src.s.timeout))
		return nil
	}
	fs.fn = func(*goldap.Entry) error {
		if len(fs.batch.entries) == fastBatch {
			return send()
		}
		return nil
	}
	var cookie []byte
	for {
		select {
		case <-stop:
			return errStopped
		default:
		}
		fs.sess.searches++
		next, err := fs.page(ctx, cookie)
		if serr := send(); err == nil {
			err = serr
		}
		if err != nil {
			return err
		}
		if !fs.sp.paged || len(next) == 0 {
			return nil
		}
		cookie = next
	}
}

type fastSearch struct {
	sess   *session
	sp     searchSpec
	fn     func(*goldap.Entry) error
	filter []byte
	conn   net.Conn
	br     *bufio.Reader
	buf    []byte // the message being decoded
	req    []byte
	names  []string // attribute names of the entry
	vals   [][]byte // values of the entry, in order
	counts []int    // values per attribute
	// guess[k] is the index in sp.attrs of the last entry's k-th
	// attribute: entries mostly list their attributes in one order.
	guess []int
	at    []int32 // the entry's at (see searchUsers)
	sb    strings.Builder
	// batch holds the entries decoded and not yet passed on.
	batch *entryBatch
	free  chan *entryBatch // batches done with, to reuse
}

// entryBatch holds up to fastBatch entries, their attributes and their
// value slices: all but the strings are reused once the records of the
// batch are built.
type entryBatch struct {
	entries []goldap.Entry
	attrs   []goldap.EntryAttribute
	ptrs    []*goldap.EntryAttribute
	strs    []string
	at      []int32 // len(sp.attrs) an entry: see searchUsers
}

// newBatch returns an empty batch, one done with when there is one.
func (fs *fastSearch) newBatch() *entryBatch {
	select {
	case b := <-fs.free:
		b.entries, b.attrs, b.ptrs, b.strs, b.at = b.entries[:0], b.attrs[:0], b.ptrs[:0], b.strs[:0], b.at[:0]
		return b
	default:
	}
	return &entryBatch{entries: make([]goldap.Entry, 0, fastBatch)}
}

func (fs *fastSearch) request(id int64, cookie []byte) []byte {
	sp := fs.sp
	var body []byte
	body = appendString(body, tagOctetString, sp.base)
	body = appendInt(body, tagEnumerated, int64(sp.scope))
	body = appendInt(body, tagEnumerated, int64(goldap.NeverDerefAliases))
	body = appendInt(body, tagInteger, 0) // size limit
	body = appendInt(body, tagInteger, 0) // time limit
	body = append(body, tagBoolean, 1, 0) // types only: false
	body = append(body, fs.filter...)
	var al []byte
	for _, a := range sp.attrs {
		al = appendString(al, tagOctetString, a)
	}
	body = appendTLV(body, tagSequence, al)

	var msg []byte
	msg = appendInt(msg, tagInteger, id)
	msg = appendTLV(msg, tagSearchRequest, body)
	if sp.paged {
		var pv []byte
		pv = appendInt(pv, tagInteger, int64(fs.sess.src.s.pageSize))
		pv = appendTLV(pv, tagOctetString, cookie)
		var ctl []byte
		ctl = appendString(ctl, tagOctetString, goldap.ControlTypePaging)
		ctl = appendTLV(ctl, tagOctetString, appendTLV(nil, tagSequence, pv))
		msg = appendTLV(msg, tagControls, appendTLV(nil, tagSequence, ctl))
	}
	return appendTLV(fs.req[:0], tagSequence, msg)
}

// page sends one page's request and reads its answer; it returns the
// next page's cookie (nil on the last).
func (fs *fastSearch) page(ctx context.Context, cookie []byte) ([]byte, error) {
	sess := fs.sess
	sess.fastID++
	id := int64(firstFastID + sess.fastID)
	fs.req = fs.request(id, cookie)
	// timeout bounds each request: each page.
	_ = fs.conn.SetDeadline(time.Now().Add(sess.src.s.timeout))
	if _, err := fs.conn.Write(fs.req); err != nil {
		return nil, &connError{goldap.NewError(goldap.ErrorNetwork, err)}
	}
	for {
		tag, content, buf, err := readMessage(fs.br, fs.buf)
		fs.buf = buf
		if err != nil {
			if errors.Is(err, errBER) {
				return nil, &connError{fmt.Errorf("unable to read LDAP response packet: %w", err)}
			}
			if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, &connError{goldap.NewError(goldap.ErrorNetwork, fmt.Errorf("unable to read LDAP response packet: %w", err))}
			}
			return nil, &connError{goldap.NewError(goldap.ErrorNetwork, err)}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if tag != tagSequence {
			return nil, malformed(fmt.Errorf("%w: message tag 0x%02x", errBER, tag))
		}
		done, next, err := fs.message(content, id)
		if err != nil || done {
			return next, err
		}
	}
}

func malformed(err error) error {
	return &connError{fmt.Errorf("unable to read LDAP response packet: %w", err)}
}

// message decodes one LDAPMessage of the search: done is true on its
// SearchResultDone, with the paging cookie it carries.
func (fs *fastSearch) message(b []byte, id int64) (done bool, cookie []byte, err error) {
	r := berReader{b}
	idb, err := r.expect(tagInteger)
	if err != nil {
		return false, nil, malformed(err)
	}
	mid, err := parseInt(idb)
	if err != nil {
		return false, nil, malformed(err)
	}
	tag, op, err := r.next()
	if err != nil {
		return false, nil, malformed(err)
	}
	if mid != id {
		if mid == 0 && tag == tagExtendedResp {
			// An unsolicited notification: the server is closing.
			res, err := parseResult(op)
			if err != nil {
				return false, nil, malformed(err)
			}
			if res == nil {
				return false, nil, &connError{goldap.NewError(goldap.ErrorNetwork, errors.New("unsolicited notification"))}
			}
			return false, nil, &connError{res}
		}
		return false, nil, nil // not ours: go-ldap ignores it too
	}
	switch tag {
	case tagSearchEntry:
		if err := fs.entryOf(op); err != nil {
			return false, nil, malformed(err)
		}
		return false, nil, fs.emit()
	case tagSearchReference:
		rr := berReader{op}
		ref := ""
		if !rr.empty() {
			u, err := rr.expect(tagOctetString)
			if err != nil {
				return false, nil, malformed(err)
			}
			ref = string(u)
		}
		fs.sess.log.Debug("ldap: referral not followed", zap.String("base_dn", fs.sp.base), zap.String("referral", ref))
		return false, nil, nil
	case tagSearchDone:
		res, err := parseResult(op)
		if err != nil {
			return false, nil, malformed(err)
		}
		if res != nil {
			return true, nil, &opError{res}
		}
		for !r.empty() {
			t, c, err := r.next()
			if err != nil {
				return false, nil, malformed(err)
			}
			if t != tagControls {
				continue
			}
			cookie, err = pagingCookie(c)
			if err != nil {
				return false, nil, malformed(err)
			}
		}
		return true, cookie, nil
	}
	return false, nil, malformed(fmt.Errorf("%w: unexpected operation 0x%02x in a search", errBER, tag))
}

// parseResult reads an LDAPResult: nil on success, else the error go-ldap
// would give for it.
func parseResult(b []byte) (*goldap.Error, error) {
	r := berReader{b}
	tag, c, err := r.next()
	if err != nil {
		return nil, err
	}
	if tag != tagEnumerated && tag != tagInteger {
		return nil, berErrorf("result code tag 0x%02x", tag)
	}
	code, err := parseInt(c)
	if err != nil {
		return nil, err
	}
	if code == 0 {
		return nil, nil
	}
	matched, err := r.expect(tagOctetString)
	if err != nil {
		return nil, err
	}
	diag, err := r.expect(tagOctetString)
	if err != nil {
		return nil, err
	}
	return &goldap.Error{ResultCode: uint16(code), MatchedDN: string(matched), Err: fmt.Errorf("%s", diag)}, nil
}

// pagingCookie finds the paged results control in Controls and returns
// its cookie (a copy), or nil.
func pagingCookie(b []byte) ([]byte, error) {
	r := berReader{b}
	for !r.empty() {
		c, err := r.expect(tagSequence)
		if err != nil {
			return nil, err
		}
		cr := berReader{c}
		typ, err := cr.expect(tagOctetString)
		if err != nil {
			return nil, err
		}
		if string(typ) != goldap.ControlTypePaging {
			continue
		}
		var val []byte
		for !cr.empty() {
			t, v, err := cr.next()
			if err != nil {
				return nil, err
			}
			if t == tagOctetString {
				val = v
			}
		}
		vr := berReader{val}
		seq, err := vr.expect(tagSequence)
		if err != nil {
			return nil, err
		}
		sr := berReader{seq}
		if _, err := sr.expect(tagInteger); err != nil {
			return nil, err
		}
		ck, err := sr.expect(tagOctetString)
		if err != nil {
			return nil, err
		}
		if len(ck) == 0 {
			return nil, nil
		}
		return append([]byte(nil), ck...), nil
	}
	return nil, nil
}

// entryOf decodes a SearchResultEntry's contents into fs.entry: the DN
// and every value in one string, the values of each attribute a slice of
// their own (a caller may keep them).
func (fs *fastSearch) entryOf(b []byte) error {
	r := berReader{b}
	dn, err := r.expect(tagOctetString)
	if err != nil {
		return err
	}
	list, err := r.expect(tagSequence)
	if err != nil {
		return err
	}
	at := fs.at[:0]
	for range fs.sp.attrs {
		at = append(at, -1)
	}
	fs.at = at
	fs.vals = append(fs.vals[:0], dn)
	fs.counts = fs.counts[:0]
	fs.names = fs.names[:0]
	total := len(dn)
	lr := berReader{list}
	for !lr.empty() {
		pa, err := lr.expect(tagSequence)
		if err != nil {
			return err
		}
		ar := berReader{pa}
		name, err := ar.expect(tagOctetString)
		if err != nil {
			return err
		}
		set, err := ar.expect(tagSet)
		if err != nil {
			return err
		}
		n := 0
		sr := berReader{set}
		for !sr.empty() {
			v, err := sr.expect(tagOctetString)
			if err != nil {
				return err
			}
			fs.vals = append(fs.vals, v)
			total += len(v)
			n++
		}
		k := len(fs.names)
		j := fs.attrIndex(k, name)
		if j >= 0 && at[j] < 0 {
			at[j] = int32(k)
		}
		fs.counts = append(fs.counts, n)
		fs.names = append(fs.names, fs.attrName(j, name))
	}
	// One string holds the DN and the values; each is a substring of it.
	fs.sb.Reset()
	fs.sb.Grow(total)
	for _, v := range fs.vals {
		fs.sb.Write(v)
	}
	all := fs.sb.String()
	if fs.batch == nil || len(fs.batch.entries) == fastBatch {
		fs.batch = fs.newBatch()
	}
	bt := fs.batch
	bt.at = append(bt.at, at...)
	bt.entries = append(bt.entries, goldap.Entry{})
	e := &bt.entries[len(bt.entries)-1]
	// The values go at the end of bt.strs, like the attributes below.
	s0 := len(bt.strs)
	off := len(fs.vals[0])
	e.DN = all[:off]
	for _, v := range fs.vals[1:] {
		bt.strs = append(bt.strs, all[off:off+len(v)])
		off += len(v)
	}
	strs := bt.strs[s0:]
	// The attributes go at the end of bt.attrs; when it must grow, the
	// entries before keep the old array.
	a0 := len(bt.attrs)
	k := 0
	for i, name := range fs.names {
		n := fs.counts[i]
		bt.attrs = append(bt.attrs, goldap.EntryAttribute{Name: name, Values: strs[k : k+n : k+n]})
		k += n
	}
	p0 := len(bt.ptrs)
	for i := a0; i < len(bt.attrs); i++ {
		bt.ptrs = append(bt.ptrs, &bt.attrs[i])
	}
	e.Attributes = bt.ptrs[p0:len(bt.ptrs):len(bt.ptrs)]
	return nil
}

// attrIndex is the index in sp.attrs of the name of the entry's k-th
// attribute, b (case aside), or -1.
func (fs *fastSearch) attrIndex(k int, b []byte) int {
	for len(fs.guess) <= k {
		fs.guess = append(fs.guess, 0)
	}
	if g := fs.guess[k]; g < len(fs.sp.attrs) && strings.EqualFold(fs.sp.attrs[g], string(b)) {
		return g
	}
	for j, a := range fs.sp.attrs {
		if strings.EqualFold(a, string(b)) {
			fs.guess[k] = j
			return j
		}
	}
	return -1
}

// attrName is the attribute's name: the requested spelling when it is
// sp.attrs[j] in the same bytes but for case (no allocation), else a copy.
func (fs *fastSearch) attrName(j int, b []byte) string {
	if j >= 0 && len(fs.sp.attrs[j]) == len(b) {
		return fs.sp.attrs[j]
	}
	return string(b)
}

// emit hands the entry just decoded to fn.
func (fs *fastSearch) emit() error {
	return fs.fn(&fs.batch.entries[len(fs.batch.entries)-1])
}
