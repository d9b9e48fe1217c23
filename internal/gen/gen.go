package gen

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
)

// Options shape a generated directory; see the package doc.
type Options struct {
	Users int
	// Orgs is the number of orgs on the deepest level; Depth the levels
	// (default 1); Fanout the children of an org above (0: the smallest
	// that leaves one root).
	Orgs, Depth, Fanout int
	// Groups and Memberships: Memberships ≥ Groups when Groups > 0, and 0
	// when Groups is 0.
	Groups, Memberships int
	// LeaverPercent and SuspendedPercent of Users, rounded to a count.
	LeaverPercent, SuspendedPercent float64
	Seed                            uint64
	// BaseDN is the LDIF's suffix; default dc=example,dc=org, as
	// configs/ldap-openldap.yaml reads.
	BaseDN string
}

// Counts is what a generator writes.
type Counts struct {
	Users, Leavers, Suspended int
	// Levels holds the orgs of each level, top first; Orgs their sum.
	Levels      []int
	Orgs        int
	Fanout      int
	Groups      int
	Memberships int
}

// Generator writes one directory; it holds no per-user state.
type Generator struct {
	opts   Options
	counts Counts
	active int // users that are no leavers
	// perm is the affine permutation p → (a·p + b) mod N and its inverse
	// factor ainv.
	a, ainv, b uint64
	digits     []int // width of an org's number, per level
	gdigits    int
}

// DefaultBaseDN is the LDIF's suffix unless Options.BaseDN says otherwise.
const DefaultBaseDN = "dc=example,dc=org"

// New checks opts and lays out the tree and the counts.
func New(opts Options) (*Generator, error) {
	if opts.Depth == 0 {
		opts.Depth = 1
	}
	if opts.BaseDN == "" {
		opts.BaseDN = DefaultBaseDN
	}
	switch {
	case opts.Users < 1:
		return nil, errors.New("users must be at least 1")
	case opts.Orgs < 1:
		return nil, errors.New("orgs must be at least 1")
	case opts.Depth < 1 || opts.Depth > 10:
		return nil, fmt.Errorf("depth %d: want 1 to 10", opts.Depth)
	case opts.Fanout < 0 || opts.Fanout == 1:
		return nil, fmt.Errorf("fanout %d: want 0 (chosen) or at least 2", opts.Fanout)
	case opts.Groups < 0 || opts.Memberships < 0:
		return nil, errors.New("groups and memberships must not be negative")
	case !percent(opts.LeaverPercent) || !percent(opts.SuspendedPercent):
		return nil, errors.New("leaver and suspended percentages must be between 0 and 100")
	}
	g := &Generator{opts: opts}
	c := &g.counts
	c.Users = opts.Users
	c.Leavers = int(math.Round(float64(opts.Users) * opts.LeaverPercent / 100))
	c.Suspended = int(math.Round(float64(opts.Users) * opts.SuspendedPercent / 100))
	if c.Leavers+c.Suspended > c.Users {
		return nil, fmt.Errorf("%d leavers and %d suspended are more than the %d users", c.Leavers, c.Suspended, c.Users)
	}
	g.active = c.Users - c.Leavers
	c.Groups, c.Memberships = opts.Groups, opts.Memberships
	switch {
	case c.Groups == 0 && c.Memberships > 0:
		return nil, errors.New("memberships need groups")
	case c.Memberships < c.Groups:
		return nil, fmt.Errorf("%d memberships for %d groups: every group needs a member", c.Memberships, c.Groups)
	case c.Groups > 0 && (c.Memberships+c.Groups-1)/c.Groups > g.active:
		return nil, fmt.Errorf("%d memberships in %d groups need more than the %d users who are no leavers", c.Memberships, c.Groups, g.active)
	}

	c.Fanout = opts.Fanout
	switch {
	case c.Fanout != 0:
	case opts.Depth == 1: // no org above: every org is a root
		c.Fanout = max(2, opts.Orgs)
	default:
		c.Fanout = 2
		for pow(c.Fanout, opts.Depth-1) < opts.Orgs {
			c.Fanout++
		}
	}
	c.Levels = make([]int, opts.Depth)
	c.Levels[opts.Depth-1] = opts.Orgs
	for k := opts.Depth - 2; k >= 0; k-- {
		c.Levels[k] = (c.Levels[k+1] + c.Fanout - 1) / c.Fanout
	}
	for _, n := range c.Levels {
		c.Orgs += n
		g.digits = append(g.digits, len(strconv.Itoa(n)))
	}
	g.gdigits = len(strconv.Itoa(c.Groups))

	// The permutation: a coprime to N, both drawn from the seed.
	n := uint64(c.Users)
	s := splitmix(opts.Seed ^ 0x6f72676272696467) // "orgbridg"
	g.a, g.b = 1, 0
	if n > 1 {
		for {
			s = splitmix(s)
			g.a = 1 + s%(n-1)
			if gcd(g.a, n) == 1 {
				break
			}
		}
		s = splitmix(s)
		g.b = s % n
	}
	g.ainv = modInverse(g.a, n)
	return g, nil
}

func percent(p float64) bool { return p >= 0 && p <= 100 }

// pow is f^e, capped so as not to overflow (it is compared with Orgs).
func pow(f, e int) int {
	r := 1
	for range e {
		if r > math.MaxInt32 {
			return r
		}
		r *= f
	}
	return r
}

// Counts reports what the generator writes.
func (g *Generator) Counts() Counts {
	c := g.counts
	c.Levels = append([]int(nil), c.Levels...)
	return c
}

// splitmix is SplitMix64's step: a fast, well-mixed hash of x.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// mulMod is a·b mod n without overflow (a, b < n).
func mulMod(a, b, n uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	_, r := bits.Div64(hi, lo, n)
	return r
}

// modInverse is a⁻¹ mod n for a coprime to n (extended Euclid).
func modInverse(a, n uint64) uint64 {
	if n == 1 {
		return 0
	}
	t, newT := int64(0), int64(1)
	r, newR := int64(n), int64(a)
	for newR != 0 {
		q := r / newR
		t, newT = newT, t-q*newT
		r, newR = newR, r-q*newR
	}
	if t < 0 {
		t += int64(n)
	}
	return uint64(t)
}

// userAt is the user at position p of the permutation.
func (g *Generator) userAt(p int) int {
	n := uint64(g.counts.Users)
	return int((mulMod(g.a, uint64(p), n) + g.b) % n)
}

// position is the inverse of userAt.
func (g *Generator) position(u int) int {
	n := uint64(g.counts.Users)
	return int(mulMod(g.ainv, (uint64(u)+n-g.b)%n, n))
}

// Status values of 在籍区分, as configs/demo.yaml reads them.
const (
	StatusActive    = "在籍"
	StatusOnLeave   = "休職" // suspended
	StatusLeaver    = "退職" // out of scope
	leaverOU        = "退職者"
	lockedTimestamp = "000001010000Z" // ppolicy's administrative lock
)

// user is one generated user, computed from its number.
type user struct {
	u        int
	id       int // 社員番号
	leaf     int // index on the deepest level
	manager  bool
	status   string
	position int // in the permutation
	sn, gn   string
}

var (
	surnames = []string{"佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
		"吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "斎藤", "清水", "𠮷田", "髙橋"}
	givenNames = []string{"太郎", "花子", "健太", "結衣", "翔", "美咲", "大輝", "葵", "蓮", "さくら",
		"拓海", "芽依", "陽翔", "凛", "悠斗", "陽菜", "蒼太", "海斗", "優奈", "湊", "ひなた", "ユウキ"}
	levelPrefix = []string{"本社", "本部", "部", "課", "係", "班", "チーム", "組", "隊", "室"}
)

func (g *Generator) user(u int) user {
	h := splitmix(g.opts.Seed ^ splitmix(uint64(u)))
	leaves := uint64(g.counts.Levels[len(g.counts.Levels)-1])
	r := user{u: u, id: 1000001 + u, leaf: int(h % leaves), manager: u%25 == 0, status: StatusActive}
	h = splitmix(h)
	r.sn = surnames[h%uint64(len(surnames))]
	r.gn = givenNames[(h>>32)%uint64(len(givenNames))]
	r.position = g.position(u)
	switch {
	case r.position >= g.active:
		r.status = StatusLeaver
	case r.position >= g.active-g.counts.Suspended:
		r.status = StatusOnLeave
	}
	return r
}

// groupsOf calls f with the groups of the user at position p, in order.
func (g *Generator) groupsOf(p int, f func(group int)) {
	if p >= g.active {
		return
	}
	for k := p; k < g.counts.Memberships; k += g.active {
		f(g.groupOf(k))
	}
}

// blockStart is the first membership of group i.
func (g *Generator) blockStart(i int) int {
	hi, lo := bits.Mul64(uint64(i), uint64(g.counts.Memberships))
	q, _ := bits.Div64(hi, lo, uint64(g.counts.Groups))
	return int(q)
}

// groupOf is the group whose block holds membership k.
func (g *Generator) groupOf(k int) int {
	i := int(uint64(k) * uint64(g.counts.Groups) / uint64(g.counts.Memberships))
	for i+1 < g.counts.Groups && g.blockStart(i+1) <= k {
		i++
	}
	for g.blockStart(i) > k {
		i--
	}
	return i
}

// orgName is the name of org j (from 0) of level k.
func (g *Generator) orgName(k, j int) string {
	if k == 0 && g.counts.Levels[0] == 1 {
		return levelPrefix[0]
	}
	return levelPrefix[k] + pad(j+1, g.digits[k])
}

func (g *Generator) orgCode(k, j int) string {
	return "O" + strconv.Itoa(k+1) + "-" + pad(j+1, g.digits[k])
}

func (g *Generator) groupName(i int) string { return "グループ" + pad(i+1, g.gdigits) }

// appendPath appends the path of org j of level k, root first.
func (g *Generator) appendPath(b []byte, k, j int) []byte {
	if k > 0 {
		b = g.appendPath(b, k-1, j/g.counts.Fanout)
		b = append(b, '/')
	}
	return append(b, g.orgName(k, j)...)
}

func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}
