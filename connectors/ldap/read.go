package ldap

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/errlist"
	"github.com/orgbridge/orgbridge/mapping"
)

// inChainRule is AD's LDAP_MATCHING_RULE_IN_CHAIN: memberOf:<rule>:=<DN>
// matches every entry in the group at any depth.
const inChainRule = "1.2.840.113556.1.4.1941"

// fetchBatch is how many users one search fetches by DN or uid in an
// incremental read (the members of a changed group).
const fetchBatch = 50

// Read reads every user, group and org in scope. On any error it returns
// no records.
func (src *Source) Read(ctx context.Context) ([]connectors.Record, error) {
	recs, _, err := src.ReadChanged(ctx, "")
	return recs, err
}

// ReadChanged reads what changed since mark; an empty mark reads
// everything, like Read. The new mark is the directory's high-water value
// taken before the read began (AD's highestCommittedUSN or currentTime,
// OpenLDAP's contextCSN), or, when the server offers none, the greatest
// value seen in the entries read. A mark that does not fit the config (the
// incremental attribute changed) is logged and answered with a full read.
// A connection lost during the read is dialled again and the read is
// started over once; a second loss fails the read. On any error it
// returns no records and no mark.
func (src *Source) ReadChanged(ctx context.Context, mark string) ([]connectors.Record, string, error) {
	var prev *hwMark
	if mark != "" {
		m, ok, reason := parseMark(mark, src.s.hwAttr)
		if ok {
			prev = &m
		} else {
			src.logger.Warn("ldap: incremental mark unusable, reading everything", zap.String("mark", mark), zap.String("reason", reason))
		}
	}
	start := time.Now()
	var (
		res *result
		err error
	)
	var lost error // the connection failure that made the read start over
	for {
		res, err = src.readOnce(ctx, prev)
		var ce *connError
		if err == nil || ctx.Err() != nil || !errors.As(err, &ce) || lost != nil {
			break
		}
		lost = err
		src.logger.Warn("ldap: connection lost during the read; reading again from the start", zap.Error(err))
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		var ce *connError
		if errors.As(err, &ce) {
			err = &connectors.TransientError{Err: fmt.Errorf("source.ldap: connection to %s lost during the read: %w", src.s.addr, err)}
		}
		if lost != nil {
			err = fmt.Errorf("%w (read again after: %v)", err, lost)
		}
		return nil, "", err
	}
	unresolved := 0
	for _, u := range res.unresolved {
		unresolved += u.count
		src.logger.Info("ldap: group members that are no user in the read; left out",
			zap.String("dn", u.dn), zap.Int("count", u.count), zap.Strings("examples", u.examples))
	}
	src.logger.Info("ldap: read",
		zap.Bool("incremental", prev != nil),
		zap.Int("users", res.users), zap.Int("groups", res.groups), zap.Int("orgs", res.orgs),
		zap.Int("skipped", res.skipped), zap.Int("unresolved_members", unresolved), zap.Int("searches", res.searches),
		zap.String("mark", res.mark), zap.Duration("duration", time.Since(start)))
	return res.records, res.mark, nil
}

// result is what one successful read returns.
type result struct {
	records             []connectors.Record
	mark                string
	users, groups, orgs int
	skipped, searches   int
	// unresolved: the groups with member values that are no user of the
	// read, logged once the read has succeeded.
	unresolved []unresolvedGroup
}

// reader is the state of one read on one connection.
type reader struct {
	s    *settings
	sess *session
	log  *zap.Logger
	prev *hwMark // nil on a full read

	problems errlist.List // Max: maxProblems
	skipped  int

	users userList
	// byNDN holds the users' canonical DNs on an incremental read, whose
	// searches may read a user twice. A full read's one search does not.
	byNDN map[string]struct{}
	// byKey finds duplicate keys as they are read: groups always, users
	// on an incremental read (a full read finds them once sorted).
	byKey map[mapping.Kind]map[string]string
	// kinds says how each of s.attributes is rendered.
	kinds []binaryKind
	// slab is the backing array of the users' values, handed out record
	// by record: one allocation for many records.
	slab []string
	ux   userAttrIndex // where addUser finds each attribute

	orgs   []connectors.Record
	orgNDN map[string]bool
	groups []connectors.Record
	gs     *groupSet

	// memberDN maps the canonical DN of a group member to its DN as the
	// group holds it, to search for it as the server spells it.
	memberDN map[string]string

	parents parentCache // the users' parent DNs

	changedOUs []string // DNs of OUs changed since prev, in scope
	maxHW      string   // greatest hwKey seen
}

func (src *Source) readOnce(ctx context.Context, prev *hwMark) (*result, error) {
	sess, err := src.open(ctx)
	if err != nil {
		return nil, err
	}
	defer sess.close()
	res, err := src.newReader(sess, prev).run(ctx)
	if err != nil {
		return nil, err
	}
	res.searches = sess.searches
	return res, nil
}

func (src *Source) newReader(sess *session, prev *hwMark) *reader {
	r := &reader{
		s: &src.s, sess: sess, log: src.logger, prev: prev,
		problems: errlist.List{Max: maxProblems},
		byKey:    map[mapping.Kind]map[string]string{mapping.KindUser: {}, mapping.KindGroup: {}},
		orgNDN:   map[string]bool{},
		gs:       newGroupSet(),
		memberDN: map[string]string{},
	}
	if prev != nil {
		r.byNDN = map[string]struct{}{}
	}
	r.kinds = make([]binaryKind, len(r.s.attributes))
	for i, a := range r.s.attributes {
		r.kinds[i] = binaryAttr(a)
	}
	return r
}

func (r *reader) run(ctx context.Context) (*result, error) {
	began := time.Now()
	startMark, err := r.serverMark(ctx)
	if err != nil {
		return nil, err
	}
	if r.s.orgsFrom == "ou" {
		if err := r.readOUs(ctx); err != nil {
			return nil, err
		}
	}
	if r.s.groups != nil {
		if err := r.readGroups(ctx); err != nil {
			return nil, err
		}
	}
	if err := r.readUsers(ctx); err != nil {
		return nil, err
	}
	res, err := r.assemble()
	if err != nil {
		return nil, err
	}
	switch {
	case startMark != "":
		res.mark = hwMark{attr: r.s.hwAttr, value: startMark}.String()
	case r.maxHW != "":
		v := markFromKey(r.s.hwAttr, backdate(r.s.hwAttr, r.maxHW, time.Since(began)), r.s.ad)
		if r.prev != nil && !r.prev.changed(v) {
			// v is before the old mark: keep the old one.
			v = r.prev.value
		}
		res.mark = hwMark{attr: r.s.hwAttr, value: v}.String()
	case r.prev != nil:
		res.mark = r.prev.String()
	}
	return res, nil
}

// assemble fails the read on the problems found, or fills in the users'
// groups and returns the records: users, orgs, then groups, each sorted by
// key.
func (r *reader) assemble() (*result, error) {
	users := r.users.sorted()
	if r.prev == nil {
		users = r.dropDuplicates(users)
	}
	if err := r.problems.Err(); err != nil {
		return nil, err
	}

	// Memberships.
	if r.s.groups != nil {
		ix := r.gs.index(r.s.nested && !r.s.ad, func(g *group) {
			r.log.Warn("ldap: group nesting cycle", zap.String("dn", g.dn))
		})
		for _, u := range users {
			*u.groups = ix.groupsOf(u.ndn, u.uids)
		}
	}

	res := &result{users: len(users), groups: len(r.groups), orgs: len(r.orgs), skipped: r.skipped}
	if r.s.groups != nil {
		// A full read has every user in scope; an incremental one has read
		// every member of each changed group, and only those are checked.
		dns, uids := map[string]bool{}, map[string]bool{}
		for _, u := range users {
			dns[u.ndn] = true
			for _, id := range u.uids {
				uids[id] = true
			}
		}
		res.unresolved = r.gs.unresolved(func(g *group) bool { return r.prev == nil || g.changed }, dns, uids)
	}
	res.records = make([]connectors.Record, 0, len(users)+len(r.orgs)+len(r.groups))
	for _, u := range users {
		res.records = append(res.records, u.rec)
	}
	for _, list := range [][]connectors.Record{r.orgs, r.groups} {
		slices.SortFunc(list, func(a, b connectors.Record) int { return cmp.Compare(a.Key, b.Key) })
		res.records = append(res.records, list...)
	}
	return res, nil
}

// dropDuplicates leaves out, on a full read, the users whose key an
// earlier one has (users is sorted by key, then read order), each a
// problem placed among the others where claim would have put it during
// the search; an entry the server returned twice is kept once.
func (r *reader) dropDuplicates(users []*userRec) []*userRec {
	type dup struct{ u, first *userRec }
	var dups []dup
	out := users[:0]
	for i := 0; i < len(users); {
		first := users[i]
		j := i + 1
		for j < len(users) && users[j].rec.Key == first.rec.Key {
			j++
		}
		for _, u := range users[i+1 : j] {
			if userNDN(u) != userNDN(first) {
				dups = append(dups, dup{u, first})
			}
		}
		out = append(out, first)
		i = j
	}
	slices.SortFunc(dups, func(a, b dup) int { return cmp.Compare(a.u.ord, b.u.ord) })
	for k, d := range dups {
		r.problems.Insert(d.u.before+k, &EntryError{DN: d.u.rec.Origin,
			Err: fmt.Errorf("duplicate %s key %q (also %s)", mapping.KindUser, d.u.rec.Key, d.first.rec.Origin)})
	}
	return out
}

// userNDN is the user's canonical DN.
func userNDN(u *userRec) string {
	if u.ndn != "" {
		return u.ndn
	}
	n, err := normDN(u.rec.Origin)
	if err != nil {
		return u.rec.Origin
	}
	return n
}

// userRec is a user's record, with what the end of the read needs.
type userRec struct {
	rec  connectors.Record
	ndn  string   // canonical DN, kept when groups are read
	uids []string // uid values, for memberUid (OpenLDAP with groups)
	// groups is the record's groups value, filled in at the end.
	groups *string
	ord    int // read order
	before int // problems found before it
}

// userList holds a read's users in chunks, so that it grows without
// copying what it holds.
type userList struct {
	chunks [][]userRec
	n      int
}

// add returns a new user at the end of the list.
func (l *userList) add() *userRec {
	last := len(l.chunks) - 1
	if last < 0 || len(l.chunks[last]) == cap(l.chunks[last]) {
		// Each chunk as large as all before it, from 256 up to 8192.
		l.chunks = append(l.chunks, make([]userRec, 0, min(max(l.n, 256), 8192)))
		last++
	}
	l.chunks[last] = l.chunks[last][:len(l.chunks[last])+1]
	u := &l.chunks[last][len(l.chunks[last])-1]
	u.ord = l.n
	l.n++
	return u
}

// sorted returns the users by key, in read order among equal keys.
func (l *userList) sorted() []*userRec {
	// The first 8 bytes of each key, big-endian, decide most comparisons
	// without reading the keys themselves, which lie all over the heap.
	type keyed struct {
		prefix uint64
		key    string
		u      *userRec
	}
	ks := make([]keyed, 0, l.n)
	for _, c := range l.chunks {
		for i := range c {
			var p [8]byte
			copy(p[:], c[i].rec.Key)
			ks = append(ks, keyed{binary.BigEndian.Uint64(p[:]), c[i].rec.Key, &c[i]})
		}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if a.prefix != b.prefix {
			return cmp.Compare(a.prefix, b.prefix)
		}
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.u.ord, b.u.ord)
	})
	out := make([]*userRec, len(ks))
	for i, k := range ks {
		out[i] = k.u
	}
	return out
}

// serverMark reads the directory's own high-water value before the read,
// so that whatever changes during the read is read again next time: AD's
// highestCommittedUSN (or currentTime for whenChanged/modifyTimestamp),
// OpenLDAP's contextCSN of the naming context holding the users. "" when
// the server has none (OpenLDAP without a contextCSN).
func (r *reader) serverMark(ctx context.Context) (string, error) {
	v, err := r.readServerMark(ctx)
	var oe *opError
	if errors.As(err, &oe) {
		// An ACL that hides the rootDSE or the suffix entry: not a reason
		// to fail the read.
		r.log.Warn("ldap: cannot read the server's high-water value; using the greatest value read", zap.Error(err))
		return "", nil
	}
	return v, err
}

func (r *reader) readServerMark(ctx context.Context) (string, error) {
	if r.s.ad {
		attr := "currentTime"
		if r.s.hwAttr == "uSNChanged" {
			attr = "highestCommittedUSN"
		}
		e, err := r.sess.readEntry(ctx, "", "(objectClass=*)", []string{attr})
		if err != nil {
			return "", fmt.Errorf("source.ldap: read the rootDSE's %s: %w", attr, err)
		}
		v := ""
		if e != nil {
			v = e.GetEqualFoldAttributeValue(attr)
		}
		k, ok := hwKey(r.s.hwAttr, v)
		if !ok {
			r.log.Warn("ldap: the rootDSE has no usable high-water value; using the greatest value read", zap.String("attribute", attr), zap.String("value", v))
			return "", nil
		}
		return markFromKey(r.s.hwAttr, k, true), nil
	}
	root, err := r.sess.readEntry(ctx, "", "(objectClass=*)", []string{"namingContexts"})
	if err != nil {
		return "", fmt.Errorf("source.ldap: read the rootDSE: %w", err)
	}
	var nc string
	if root != nil {
		for _, c := range root.GetEqualFoldAttributeValues("namingContexts") {
			n, err := normDN(c)
			if err == nil && under(r.s.users.nbase, n) && len(n) >= len(nc) {
				nc = c
			}
		}
	}
	if nc == "" {
		return "", nil
	}
	e, err := r.sess.readEntry(ctx, nc, "(objectClass=*)", []string{"contextCSN"})
	if err != nil {
		return "", fmt.Errorf("source.ldap: read the contextCSN of %s: %w", nc, err)
	}
	if e == nil {
		return "", nil
	}
	var best string
	for _, v := range e.GetEqualFoldAttributeValues("contextCSN") {
		if csnValue.MatchString(v) && v > best {
			best = v
		}
	}
	if best == "" {
		return "", nil
	}
	if r.s.hwAttr == "entryCSN" {
		return best, nil
	}
	return best[:14] + "Z", nil
}

// seen keeps the greatest high-water value of the entries read.
func (r *reader) seen(e *goldap.Entry) {
	r.seenValue(e.GetEqualFoldAttributeValue(r.s.hwAttr))
}

// seenValue is seen for an entry whose high-water value is v.
func (r *reader) seenValue(v string) {
	if k, ok := hwKey(r.s.hwAttr, v); ok && k > r.maxHW {
		r.maxHW = k
	}
}

// bad handles a problem with an entry's data by the on_missing policy:
// fail collects it (the read fails at its end, naming every such entry),
// skip logs it and leaves the entry out.
func (r *reader) bad(kind mapping.Kind, dn string, errs []error) {
	err := &EntryError{DN: dn, Err: errors.Join(errs...)}
	if len(errs) == 1 {
		err.Err = errs[0]
	}
	if r.s.skip {
		r.skipped++
		r.log.Warn("ldap: entry skipped", zap.String("kind", string(kind)), zap.String("dn", dn), zap.Error(err.Err))
		return
	}
	r.problems.Add(err)
}

// key reads the entry's key attribute.
func (r *reader) key(e *goldap.Entry) (string, error) {
	return r.keyOf(e.GetEqualFoldAttributeValues(r.s.keyAttr))
}

// keyOf is key for an entry whose key attribute has the values vals.
func (r *reader) keyOf(vals []string) (string, error) {
	switch {
	case len(vals) == 0 || vals[0] == "":
		return "", fmt.Errorf("%w %q (the key attribute)", ErrMissingAttribute, r.s.keyAttr)
	case len(vals) > 1:
		return "", fmt.Errorf("key attribute %q has %d values", r.s.keyAttr, len(vals))
	}
	v, err := renderValue(r.s.keyAttr, vals[0])
	if err != nil {
		return "", fmt.Errorf("key attribute %q: %w", r.s.keyAttr, err)
	}
	if binaryAttr(r.s.keyAttr) == binNone && v != vals[0] {
		return "", fmt.Errorf("key attribute %q is not valid UTF-8", r.s.keyAttr)
	}
	return v, nil
}

// claim records key as taken by dn; a second entry with the same key is
// an error whatever the policy: which of the two is meant cannot be told.
func (r *reader) claim(kind mapping.Kind, key, dn string) bool {
	if first, dup := r.byKey[kind][key]; dup {
		r.problems.Add(&EntryError{DN: dn, Err: fmt.Errorf("duplicate %s key %q (also %s)", kind, key, first)})
		return false
	}
	r.byKey[kind][key] = dn
	return true
}

func firstOf(vals []string) string {
	if len(vals) == 0 {
		return ""
	}
	return vals[0]
}

// userAttrIndex says where each attribute addUser reads is among those the
// users search asks for (-1: not asked for), for searchUsers's at.
type userAttrIndex struct {
	attributes, required        []int // of s.attributes, s.required
	key, hw, disabled, uid, org int
}

func newUserAttrIndex(s *settings, asked []string) userAttrIndex {
	find := func(a string) int {
		return slices.IndexFunc(asked, func(b string) bool { return attrsEqual(a, b) })
	}
	ux := userAttrIndex{key: find(s.keyAttr), hw: find(s.hwAttr), uid: find("uid"), org: find(s.orgAttr)}
	if s.ad {
		ux.disabled = find("userAccountControl")
	} else {
		ux.disabled = find("pwdAccountLockedTime")
	}
	for _, a := range s.attributes {
		ux.attributes = append(ux.attributes, find(a))
	}
	for _, a := range s.required {
		ux.required = append(ux.required, find(a))
	}
	return ux
}

// valuesAt is e.GetEqualFoldAttributeValues(asked[i]) for an entry of the
// users search, whose at is at (see searchUsers); nil when absent.
func valuesAt(e *goldap.Entry, at []int32, i int) []string {
	if i < 0 || at[i] < 0 {
		return nil
	}
	return e.Attributes[at[i]].Values
}

// values renders every value of attr; [""] when the entry lacks it.
func values(e *goldap.Entry, attr string) ([]string, error) {
	return renderAll(attr, e.GetEqualFoldAttributeValues(attr))
}

// renderAll is values for the raw values of attr.
func renderAll(attr string, raw []string) ([]string, error) {
	if len(raw) == 0 {
		return []string{""}, nil
	}
	out := make([]string, len(raw))
	for i, v := range raw {
		s, err := renderValue(attr, v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", attr, err)
		}
		out[i] = s
	}
	return out, nil
}

// appendValues appends to dst what values returns for the raw values of
// attr, rendered as kind (binaryAttr(attr)) says.
func appendValues(dst []string, raw []string, attr string, kind binaryKind) ([]string, error) {
	if len(raw) == 0 {
		return append(dst, ""), nil
	}
	for _, v := range raw {
		s, err := renderKind(kind, v)
		if err != nil {
			return dst, fmt.Errorf("attribute %q: %w", attr, err)
		}
		dst = append(dst, s)
	}
	return dst, nil
}

func firstValue(e *goldap.Entry, attr string) string {
	v, err := values(e, attr)
	if err != nil {
		return ""
	}
	return v[0]
}

// readOUs reads the organizational units below the users' base: every one
// on a full read, those changed since the mark on an incremental one.
func (r *reader) readOUs(ctx context.Context) error {
	filter := ouFilter
	if r.prev != nil {
		filter = "(&" + ouFilter + r.prev.filter() + ")"
	}
	sp := searchSpec{base: r.s.users.base, scope: goldap.ScopeWholeSubtree, filter: filter,
		attrs: []string{"ou", "description", r.s.hwAttr}, paged: true}
	err := r.sess.search(ctx, sp, func(e *goldap.Entry) error {
		r.seen(e)
		d, err := goldap.ParseDN(e.DN)
		if err != nil {
			return fmt.Errorf("source.ldap: the server returned a malformed DN %q: %w", e.DN, err)
		}
		ndn := normParsed(d)
		if ndn == r.s.users.nbase || !under(ndn, r.s.users.nbase) || !r.s.scope.in(ndn) {
			return nil
		}
		path, err := ouPath(d, r.s.users.depth, true)
		if err != nil {
			r.bad(mapping.KindOrg, e.DN, []error{err})
			return nil
		}
		if r.prev != nil {
			r.changedOUs = append(r.changedOUs, e.DN)
		}
		if path == "" || r.orgNDN[path] {
			// An OU whose path another already has (OUs below CN=
			// containers): one record per path.
			return nil
		}
		r.orgNDN[path] = true
		name := ouRDNValue(d)
		if name == "" {
			name = firstValue(e, "ou")
		}
		r.orgs = append(r.orgs, connectors.Record{
			Kind: mapping.KindOrg, Key: path, Origin: e.DN,
			Attrs: map[string][]string{"ou": {name}, "description": {firstValue(e, "description")}, attrDN: {e.DN}},
		})
		return nil
	})
	if err != nil {
		return searchError("source.ldap.orgs", r.s.users.base, err)
	}
	return nil
}

// searchError names the search that failed: key and base. Errors of the
// reader's own (which name their entry already) and a cancelled context
// pass as they are; a connection failure keeps its type, so that the read
// is tried again.
func searchError(key, base string, err error) error {
	var ce *connError
	var oe *opError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return &connError{fmt.Errorf("%s: search %s: %w", key, base, ce.err)}
	case errors.As(err, &oe):
		return fmt.Errorf("%s: search %s: %w", key, base, oe.err)
	}
	return err
}

// memberAttrs are the attributes of a group that hold its members.
func (r *reader) memberAttrs() []string {
	switch {
	case r.s.ad && r.s.nested:
		return nil // the in-chain rule finds the members
	case r.s.ad:
		return []string{"member"}
	}
	return []string{"member", "uniqueMember", "memberUid"}
}

// readGroups reads every group in scope (an incremental read needs them
// all to give each user its complete groups) and their members. On AD,
// a group whose member attribute comes in ranges is read range by range
// after the search; with nested groups, the members of every group at any
// depth are found with the in-chain matching rule.
func (r *reader) readGroups(ctx context.Context) error {
	gsp := r.s.groups
	attrs := appendAttr(nil, "cn", "description", r.s.keyAttr, r.s.hwAttr)
	attrs = appendAttr(attrs, r.s.attributes...)
	attrs = appendAttr(attrs, r.memberAttrs()...)
	type pending struct {
		g    *group
		next int
	}
	var ranged []pending
	err := r.sess.search(ctx, searchSpec{base: gsp.base, scope: gsp.scope, filter: gsp.filter, attrs: attrs, paged: true}, func(e *goldap.Entry) error {
		r.seen(e)
		ndn, err := normDN(e.DN)
		if err != nil {
			return fmt.Errorf("source.ldap: the server returned a malformed DN %q: %w", e.DN, err)
		}
		key, err := r.key(e)
		if err == nil && strings.Contains(key, groupSep) {
			err = fmt.Errorf("group key %q contains %q, the separator of a user's groups", key, groupSep)
		}
		if err != nil {
			r.bad(mapping.KindGroup, e.DN, []error{err})
			return nil
		}
		if !r.claim(mapping.KindGroup, key, e.DN) {
			return nil
		}
		g := &group{key: key, dn: e.DN, ndn: ndn}
		if r.prev != nil {
			g.changed = r.prev.changed(e.GetEqualFoldAttributeValue(r.s.hwAttr))
		}
		next := -1
		for _, a := range e.Attributes {
			switch {
			case attrsEqual(a.Name, "member") || attrsEqual(a.Name, "uniqueMember"):
				r.addMembers(g, a.Values)
			case attrsEqual(a.Name, "memberUid"):
				g.uids = append(g.uids, a.Values...)
			default:
				rg, ok, err := parseRangeAttr(a.Name)
				if !ok || !attrsEqual(rg.Name, "member") {
					continue
				}
				if err != nil {
					return fmt.Errorf("source.ldap.groups: %s: %w", e.DN, err)
				}
				r.addMembers(g, a.Values)
				if rg.High >= 0 {
					next = rg.High + 1
				}
			}
		}
		if next >= 0 {
			ranged = append(ranged, pending{g, next})
		}
		r.gs.add(g)
		if r.prev != nil && !g.changed {
			return nil
		}
		rec := connectors.Record{Kind: mapping.KindGroup, Key: key, Origin: e.DN, Attrs: map[string][]string{
			"cn": {firstValue(e, "cn")}, "description": {firstValue(e, "description")}, attrDN: {e.DN},
		}}
		for _, a := range r.s.attributes {
			if _, done := rec.Attrs[a]; done || len(e.GetEqualFoldAttributeValues(a)) == 0 {
				continue
			}
			v, err := values(e, a)
			if err != nil {
				r.bad(mapping.KindGroup, e.DN, []error{err})
				return nil
			}
			rec.Attrs[a] = v
		}
		r.groups = append(r.groups, rec)
		return nil
	})
	if err != nil {
		return searchError("source.ldap.groups", gsp.base, err)
	}
	for _, p := range ranged {
		if err := r.readRanges(ctx, p.g, p.next); err != nil {
			return err
		}
	}
	if r.s.ad && r.s.nested {
		for _, g := range r.gs.list {
			if err := r.inChain(ctx, g); err != nil {
				return err
			}
		}
	}
	return nil
}

// addMembers adds member or uniqueMember values to g: their canonical DNs
// (normDN) and the values as g holds them.
func (r *reader) addMembers(g *group, vals []string) {
	for _, v := range vals {
		dn := uniqueMemberDN(v)
		n, err := normDN(dn)
		if err != nil {
			r.log.Warn("ldap: group member is not a DN; ignored", zap.String("dn", g.dn), zap.String("member", v))
			continue
		}
		if r.prev != nil {
			r.memberDN[n] = dn
		}
		g.members = append(g.members, n)
		g.raw = append(g.raw, dn)
	}
}

// readRanges reads the rest of a group's member attribute that AD returns
// in ranges (member;range=0-1499, then 1500-2999, … up to the part whose
// range ends in "*").
func (r *reader) readRanges(ctx context.Context, g *group, next int) error {
	for {
		want := fmt.Sprintf("member;range=%d-*", next)
		e, err := r.sess.readEntry(ctx, g.dn, "(objectClass=*)", []string{want})
		if err != nil {
			return searchError("source.ldap.groups", g.dn, err)
		}
		if e == nil {
			return fmt.Errorf("source.ldap.groups: %s: the group went away while its members were read in ranges", g.dn)
		}
		found := false
		for _, a := range e.Attributes {
			rg, ok, err := parseRangeAttr(a.Name)
			if !ok || !attrsEqual(rg.Name, "member") {
				continue
			}
			if err != nil {
				return fmt.Errorf("source.ldap.groups: %s: %w", g.dn, err)
			}
			if rg.Low != next {
				return fmt.Errorf("source.ldap.groups: %s: asked for member values from %d, got %q", g.dn, next, a.Name)
			}
			found = true
			r.addMembers(g, a.Values)
			if rg.High < 0 {
				return nil
			}
			next = rg.High + 1
		}
		if !found {
			return fmt.Errorf("source.ldap.groups: %s: asked for %s, the server returned no such range", g.dn, want)
		}
	}
}

// inChain finds, on AD, every user (by the users' base and filter) in g at
// any depth: memberOf:1.2.840.113556.1.4.1941:=<group DN>.
func (r *reader) inChain(ctx context.Context, g *group) error {
	u := r.s.users
	filter := "(&" + u.filter + "(memberOf:" + inChainRule + ":=" + goldap.EscapeFilter(g.dn) + "))"
	err := r.sess.search(ctx, searchSpec{base: u.base, scope: u.scope, filter: filter, attrs: []string{"1.1"}, paged: true}, func(e *goldap.Entry) error {
		n, err := normDN(e.DN)
		if err != nil {
			return fmt.Errorf("source.ldap: the server returned a malformed DN %q: %w", e.DN, err)
		}
		g.inChain = append(g.inChain, n)
		if r.prev != nil {
			r.memberDN[n] = e.DN
		}
		return nil
	})
	if err != nil {
		return searchError("source.ldap.groups", "members of "+g.dn, err)
	}
	return nil
}

// userAttrs are the attributes a user search asks for.
func (r *reader) userAttrs() []string {
	a := appendAttr(nil, r.s.attributes...)
	a = appendAttr(a, r.s.keyAttr, r.s.hwAttr)
	if r.s.ad {
		a = appendAttr(a, "userAccountControl")
	} else {
		a = appendAttr(a, "pwdAccountLockedTime")
		if r.s.groups != nil {
			a = appendAttr(a, "uid")
		}
	}
	if r.s.orgsFrom == "attribute" {
		a = appendAttr(a, r.s.orgAttr)
	}
	return a
}

// readUsers reads every user on a full read. On an incremental read it
// reads the users changed since the mark, every user below an OU that
// changed (renamed or moved, its users' paths changed with it), and every
// member, at any depth, of a group that changed.
func (r *reader) readUsers(ctx context.Context) error {
	u := r.s.users
	attrs := r.userAttrs()
	r.ux = newUserAttrIndex(r.s, attrs)
	add := r.addUser
	if r.prev == nil {
		err := r.sess.searchUsers(ctx, searchSpec{base: u.base, scope: u.scope, filter: u.filter, attrs: attrs, paged: true}, add)
		return searchError("source.ldap.users", u.base, err)
	}
	filter := "(&" + u.filter + r.prev.filter() + ")"
	if err := r.sess.searchUsers(ctx, searchSpec{base: u.base, scope: u.scope, filter: filter, attrs: attrs, paged: true}, add); err != nil {
		return searchError("source.ldap.users", u.base, err)
	}
	for _, ou := range r.changedOUs {
		if err := r.sess.searchUsers(ctx, searchSpec{base: ou, scope: goldap.ScopeWholeSubtree, filter: u.filter, attrs: attrs, paged: true}, add); err != nil {
			return searchError("source.ldap.users", ou, err)
		}
	}
	// The members of changed groups that are not read yet.
	var dns, uids []string
	seenDN, seenUID := map[string]bool{}, map[string]bool{}
	for _, g := range r.gs.list {
		if !g.changed {
			continue
		}
		d, ids := r.gs.members(g, r.s.nested && !r.s.ad)
		for _, n := range d {
			if _, done := r.byNDN[n]; !done && !seenDN[n] && under(n, u.nbase) && r.s.scope.in(n) {
				seenDN[n] = true
				if orig, ok := r.memberDN[n]; ok {
					dns = append(dns, orig)
				} else {
					dns = append(dns, n)
				}
			}
		}
		for _, id := range ids {
			if !seenUID[id] {
				seenUID[id] = true
				uids = append(uids, id)
			}
		}
	}
	dnAttr := "entryDN"
	if r.s.ad {
		dnAttr = "distinguishedName"
	}
	for _, b := range []struct {
		attr string
		vals []string
	}{{dnAttr, dns}, {"uid", uids}} {
		attr, batch := b.attr, b.vals
		for i := 0; i < len(batch); i += fetchBatch {
			var sb strings.Builder
			sb.WriteString("(&" + u.filter + "(|")
			for _, v := range batch[i:min(i+fetchBatch, len(batch))] {
				sb.WriteString("(" + attr + "=" + goldap.EscapeFilter(v) + ")")
			}
			sb.WriteString("))")
			if err := r.sess.searchUsers(ctx, searchSpec{base: u.base, scope: u.scope, filter: sb.String(), attrs: attrs, paged: true}, add); err != nil {
				return searchError("source.ldap.users", u.base, err)
			}
		}
	}
	return nil
}

// addUser turns a user entry into a record (its groups are filled in at
// the end of the read). An entry read twice in an incremental read is
// kept once. at says where the attributes asked for are in e (see
// searchUsers), as r.ux reads them.
func (r *reader) addUser(e *goldap.Entry, at []int32) error {
	ux := &r.ux
	r.seenValue(firstOf(valuesAt(e, at, ux.hw)))
	ndn, parent, err := r.parents.split(e.DN, r.s.users.depth)
	if err != nil {
		return fmt.Errorf("source.ldap: the server returned a malformed DN %q: %w", e.DN, err)
	}
	if _, done := r.byNDN[ndn]; done {
		return nil
	}
	if !under(ndn, r.s.users.nbase) || !r.s.scope.in(ndn) {
		return nil
	}
	var errs []error
	key, err := r.keyOf(valuesAt(e, at, ux.key))
	if err != nil {
		errs = append(errs, err)
	}
	var missing []string
	for i, a := range r.s.required {
		if slices.IndexFunc(valuesAt(e, at, ux.required[i]), func(v string) bool { return v != "" }) < 0 {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		errs = append(errs, missingError(missing))
	}
	// The record's values are a run of r.slab, each attribute a full
	// slice of it (its capacity its length), so that a record costs its
	// map and no allocation of its own. The run is taken from the slab
	// only when the record is kept.
	n := 4
	for _, i := range ux.attributes {
		n += max(1, len(valuesAt(e, at, i)))
	}
	if cap(r.slab)-len(r.slab) < n {
		r.slab = make([]string, 0, max(n, slabSize))
	}
	off := len(r.slab)
	back := r.slab[off : off : off+n]
	attrs := make(map[string][]string, len(r.s.attributes)+4)
	for i, a := range r.s.attributes {
		start := len(back)
		back, err = appendValues(back, valuesAt(e, at, ux.attributes[i]), a, r.kinds[i])
		if err != nil {
			back = back[:start]
			errs = append(errs, err)
			continue
		}
		attrs[a] = back[start:len(back):len(back)]
	}
	var path string
	if r.s.orgsFrom == "attribute" {
		if v, err := renderAll(r.s.orgAttr, valuesAt(e, at, ux.org)); err == nil {
			path = v[0]
		}
	} else if path, err = parent.path, parent.pathErr; err != nil {
		errs = append(errs, err)
	}
	disabled, err := r.disabledOf(valuesAt(e, at, ux.disabled))
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		r.bad(mapping.KindUser, e.DN, errs)
		return nil
	}
	// A full read finds duplicate keys once the users are sorted
	// (dropDuplicates).
	if r.prev != nil && !r.claim(mapping.KindUser, key, e.DN) {
		return nil
	}
	k := len(back)
	back = append(back, e.DN, path, strconv.FormatBool(disabled), "")
	r.slab = r.slab[:off+len(back)]
	attrs[attrDN] = back[k : k+1 : k+1]
	attrs[attrOUPath] = back[k+1 : k+2 : k+2]
	attrs[attrDisabled] = back[k+2 : k+3 : k+3]
	attrs[attrGroups] = back[k+3 : k+4 : k+4]
	if r.byNDN != nil {
		r.byNDN[ndn] = struct{}{}
	}
	u := r.users.add()
	u.rec = connectors.Record{Kind: mapping.KindUser, Key: key, Attrs: attrs, Origin: e.DN}
	u.groups = &back[k+3]
	u.before = r.problems.Len()
	if r.s.groups != nil {
		u.ndn = ndn
		if !r.s.ad {
			// A copy: the entry's value slices are reused.
			u.uids = slices.Clone(valuesAt(e, at, ux.uid))
		}
	}
	return nil
}

// slabSize is how many values a new r.slab holds: some hundred users'.
const slabSize = 4096

// disabledOf: on AD bit 0x2 (ACCOUNTDISABLE) of userAccountControl; on
// OpenLDAP a pwdAccountLockedTime (ppolicy's lock) of any value. vals
// are the values of the one or the other.
func (r *reader) disabledOf(vals []string) (bool, error) {
	if !r.s.ad {
		return len(vals) > 0, nil
	}
	v := firstOf(vals)
	if v == "" {
		return false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return false, fmt.Errorf("userAccountControl %q is not a number", v)
	}
	return n&0x2 != 0, nil
}
