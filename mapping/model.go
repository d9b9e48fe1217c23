package mapping

import (
	"slices"
	"strings"
)

// Kind is the kind of object in a snapshot or a record.
type Kind string

// The kinds of object orgbridge keeps in step.
const (
	KindOrg        Kind = "org"
	KindUser       Kind = "user"
	KindGroup      Kind = "group"
	KindMembership Kind = "membership"
)

// Role is a user's role in an org or a group.
type Role string

// The roles a membership can carry.
const (
	RoleMember Role = "member"
	RoleAdmin  Role = "admin"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r == RoleMember || r == RoleAdmin }

// Org is one organization. ParentKey is empty for a top-level org, which a
// target places under its own root.
type Org struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Code        string `json:"code,omitempty"`
	ParentKey   string `json:"parent_key,omitempty"`
	Description string `json:"description,omitempty"`
	// System marks an object the target owns itself (AirCourse's root
	// organization): it is never planned for.
	System bool `json:"system,omitempty"`
	// Drift, set only by a target's Read, is a setting the target keeps
	// outside the canonical model that is not what the target's own config
	// asks (Capgo's management_email): the planner plans an update carrying
	// it for a matched org, adopted or linked. Never set in a desired
	// snapshot; the zero value is none.
	Drift Drift `json:"drift,omitzero"`
}

// Drift is one target-side setting of an object that is not what the
// target's config asks.
type Drift struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// User is one person. Attributes holds every other mapped field by the
// target's field name (userNumber, department, position, license...): only
// mapped fields are present, so a diff compares exactly what is mapped.
type User struct {
	Key        string            `json:"key"`
	LoginID    string            `json:"login_id,omitempty"`
	Email      string            `json:"email,omitempty"`
	Name       string            `json:"name"`
	Suspended  bool              `json:"suspended,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Group is a group of users, optionally placed in an org.
type Group struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Code        string `json:"code,omitempty"`
	OrgKey      string `json:"org_key,omitempty"`
	Description string `json:"description,omitempty"`
	System      bool   `json:"system,omitempty"`
}

// Membership places a user in an org or a group with a role.
type Membership struct {
	UserKey string `json:"user_key"`
	// Kind is KindOrg or KindGroup: what ContainerKey names.
	Kind         Kind   `json:"kind"`
	ContainerKey string `json:"container_key"`
	Role         Role   `json:"role"`
}

// ID identifies a membership independently of its role.
func (m Membership) ID() string { return string(m.Kind) + ":" + m.ContainerKey + "/" + m.UserKey }

// compareIDs compares a.ID() with b.ID() without building either: sorting
// a million memberships by ID built 40 million strings.
func compareIDs(a, b Membership) int {
	if a.Kind == b.Kind {
		// Where the containers differ before either ends, they decide; equal
		// ones leave it to the users.
		ca, cb := a.ContainerKey, b.ContainerKey
		n := min(len(ca), len(cb))
		if c := strings.Compare(ca[:n], cb[:n]); c != 0 {
			return c
		}
		if len(ca) == len(cb) {
			return strings.Compare(a.UserKey, b.UserKey)
		}
	}
	return compareJoined([5]string{string(a.Kind), ":", a.ContainerKey, "/", a.UserKey},
		[5]string{string(b.Kind), ":", b.ContainerKey, "/", b.UserKey})
}

// compareJoined compares the concatenation of a's parts with that of b's,
// as strings.Compare would compare the joined strings.
func compareJoined(a, b [5]string) int {
	i, j := 0, 0   // the part of a and of b
	x, y := "", "" // what is left of them
	for {
		for x == "" && i < len(a) {
			x, i = a[i], i+1
		}
		for y == "" && j < len(b) {
			y, j = b[j], j+1
		}
		switch {
		case x == "" && y == "":
			return 0
		case x == "":
			return -1
		case y == "":
			return 1
		}
		n := min(len(x), len(y))
		if c := strings.Compare(x[:n], y[:n]); c != 0 {
			return c
		}
		x, y = x[n:], y[n:]
	}
}

// Snapshot is a whole state: desired (from a source) or actual (from a target).
type Snapshot struct {
	Orgs        []Org        `json:"orgs"`
	Users       []User       `json:"users"`
	Groups      []Group      `json:"groups"`
	Memberships []Membership `json:"memberships"`
}

// Sort orders every list by key so that output and golden files are stable.
//
// slices.SortFunc runs the same pdqsort as sort.Slice did, so even equal
// keys (a membership listed twice, with two roles) end in the same order,
// without sort.Slice's reflection and closure indexing the slice on every
// comparison: a quarter less CPU for 115,000 memberships.
func (s *Snapshot) Sort() {
	slices.SortFunc(s.Orgs, func(a, b Org) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(s.Users, func(a, b User) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(s.Groups, func(a, b Group) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(s.Memberships, compareIDs)
}

// OrgIndex returns the orgs by key.
func (s *Snapshot) OrgIndex() map[string]*Org {
	m := make(map[string]*Org, len(s.Orgs))
	for i := range s.Orgs {
		m[s.Orgs[i].Key] = &s.Orgs[i]
	}
	return m
}

// UserIndex returns the users by key.
func (s *Snapshot) UserIndex() map[string]*User {
	m := make(map[string]*User, len(s.Users))
	for i := range s.Users {
		m[s.Users[i].Key] = &s.Users[i]
	}
	return m
}

// GroupIndex returns the groups by key.
func (s *Snapshot) GroupIndex() map[string]*Group {
	m := make(map[string]*Group, len(s.Groups))
	for i := range s.Groups {
		m[s.Groups[i].Key] = &s.Groups[i]
	}
	return m
}

// OrgDepth returns each org's depth (0 for a top-level org). Orgs on a cycle
// or under a missing parent are absent; Validate reports those.
func (s *Snapshot) OrgDepth() map[string]int {
	idx := s.OrgIndex()
	depth := make(map[string]int, len(idx))
	var walk func(key string, seen map[string]bool) (int, bool)
	walk = func(key string, seen map[string]bool) (int, bool) {
		if d, ok := depth[key]; ok {
			return d, true
		}
		o, ok := idx[key]
		if !ok || seen[key] {
			return 0, false
		}
		if o.ParentKey == "" {
			depth[key] = 0
			return 0, true
		}
		seen[key] = true
		d, ok := walk(o.ParentKey, seen)
		if !ok {
			return 0, false
		}
		depth[key] = d + 1
		return d + 1, true
	}
	for k := range idx {
		walk(k, map[string]bool{})
	}
	return depth
}

// Record is one raw entry read by a source: an LDAP entry, a CSV row, a SCIM
// resource. Attrs holds every attribute by name; most have one value. A
// source whose records share one list of attributes of one value each (a
// CSV file's header) may set Columns and Values instead of Attrs.
type Record struct {
	Kind Kind
	// Key is the source's stable key for the entry.
	Key   string
	Attrs map[string][]string
	// Columns, when not nil, names the record's attributes in place of
	// Attrs, one value each: every row of a CSV file shares its header's
	// Columns, where a map of its own for each of a million rows was half
	// the memory of a plan and a fifth of its CPU (issue 13). Row holds
	// the values one after the other, and Ends where each ends in Row:
	// the i-th column's is Row[Ends[i-1]:Ends[i]] (from 0 for the first).
	// A CSV row's values are one string already, and a list of them
	// would be 16 bytes a value more (RowOf makes a Row of values).
	Columns *Columns
	Row     string
	Ends    []uint32
	// Origin says where the record came from, for errors: "users.csv:12",
	// an LDAP DN, a SCIM resource id.
	Origin string
	// Problem, when set, is why the source could read only the record's
	// kind and key (a CSV row with a field too many, say, under bad_rows:
	// skip): Isolate leaves it out with this reason, so that the object it
	// names is held as it is rather than look gone; Build fails on it.
	Problem string
}

// Get returns the first value of an attribute, or "".
func (r Record) Get(name string) string {
	v, _ := r.Lookup(name)
	return v
}

// Lookup returns the first value of an attribute ("" when it has none),
// and whether the record has the attribute.
func (r *Record) Lookup(name string) (string, bool) {
	if r.Columns != nil {
		i, ok := r.Columns.index[name]
		if !ok || i >= len(r.Ends) {
			return "", false
		}
		return r.value(i), true
	}
	vs, ok := r.Attrs[name]
	if !ok || len(vs) == 0 {
		return "", ok
	}
	return vs[0], true
}

// value is the i-th column's value, i < len(r.Ends).
func (r *Record) value(i int) string { return rowValue(r.Row, r.Ends, i) }

func rowValue(row string, ends []uint32, i int) string {
	start := uint32(0)
	if i > 0 {
		start = ends[i-1]
	}
	return row[start:ends[i]]
}

// Len is the number of the record's attributes.
func (r *Record) Len() int {
	if r.Columns != nil {
		return min(len(r.Columns.names), len(r.Ends))
	}
	return len(r.Attrs)
}

// RowOf returns values one after the other and where each ends, as a
// record's Row and Ends.
func RowOf(values ...string) (row string, ends []uint32) {
	ends = make([]uint32, len(values))
	n := 0
	for i, v := range values {
		n += len(v)
		ends[i] = uint32(n)
	}
	return strings.Join(values, ""), ends
}

// Map returns the record's attributes by name, as Attrs holds them: Attrs
// itself, or a new map of the Columns' values.
func (r *Record) Map() map[string][]string {
	if r.Columns == nil {
		return r.Attrs
	}
	m := make(map[string][]string, r.Len())
	for i, name := range r.Columns.names[:r.Len()] {
		m[name] = []string{r.value(i)}
	}
	return m
}

// Columns are the names of the attributes the records of one table share,
// in order (a CSV file's header): a record's Row holds their values.
type Columns struct {
	names []string
	index map[string]int
}

// NewColumns returns the columns of names, which must differ from each
// other (a later one of the same name is not found by Lookup).
func NewColumns(names []string) *Columns {
	c := &Columns{names: slices.Clone(names), index: make(map[string]int, len(names))}
	for i, n := range names {
		if _, dup := c.index[n]; !dup {
			c.index[n] = i
		}
	}
	return c
}

// Names returns the column names, in order; the caller must not change
// them.
func (c *Columns) Names() []string { return c.names }

// Keep drops every object whose kind is not listed, and the memberships
// that lose their user or their container. An empty list keeps everything.
func (s *Snapshot) Keep(kinds []Kind) {
	if len(kinds) == 0 {
		return
	}
	keep := map[Kind]bool{}
	for _, k := range kinds {
		keep[k] = true
	}
	if !keep[KindOrg] {
		s.Orgs = nil
		for i := range s.Groups {
			s.Groups[i].OrgKey = ""
		}
	}
	if !keep[KindUser] {
		s.Users = nil
	}
	if !keep[KindGroup] {
		s.Groups = nil
	}
	ms := s.Memberships[:0]
	for _, m := range s.Memberships {
		if keep[KindUser] && keep[m.Kind] {
			ms = append(ms, m)
		}
	}
	s.Memberships = ms
}
