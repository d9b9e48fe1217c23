package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

// DefaultExplainJournal is how many of an object's journal entries an
// explanation lists unless told.
const DefaultExplainJournal = 10

// Explanation says why one object is as it is: the source record(s)
// behind it, each mapped field with the template that produced it, its
// link, the target's object as it stands, what a sync would change and
// why, and its last journal entries. `orgbridge explain` prints it and the
// status page's /explain renders it; both build it with Runner.Explain.
type Explanation struct {
	Job   string       `json:"job"`
	Query string       `json:"query"`
	Kind  mapping.Kind `json:"kind"`
	// Key is the object's source key; "" for a target object orgbridge
	// does not manage (found by its login id, e-mail or code).
	Key string `json:"key"`
	// MatchedBy says how the query named the object: "key", "login_id",
	// "email", "code", "name" (each compared case-insensitively) or
	// "target" (an unmanaged target object).
	MatchedBy string `json:"matched_by"`
	// Source are the object's records, in the source's order.
	Source []SourceRecord `json:"source"`
	// SourceNote says what the source holds of the object besides its
	// records (an org built from users' paths) or that it has none.
	SourceNote string `json:"source_note,omitempty"`
	// Mapping are the templates rendered over the first source record.
	Mapping []MappedField `json:"mapping"`
	// Desired is the object the mapping produced (nil: not in the
	// desired state: excluded, left out or gone from the source).
	Desired *ObjectView `json:"desired,omitempty"`
	// Link is the store's link of the object (nil: not linked).
	Link *ObjectLink `json:"link,omitempty"`
	// Target is the object as the target holds it (nil: not there).
	Target *ObjectView `json:"target,omitempty"`
	// TargetRead says what was read: the whole target, counted.
	TargetRead string `json:"target_read"`
	// Plan are the changes a sync would make to the object now, each with
	// why (empty: none).
	Plan []ExplainedChange `json:"plan"`
	// Guard is the guard's verdict on the whole run a sync would make
	// ("" when it would pass).
	Guard string `json:"guard,omitempty"`
	// Journal are the object's last journal entries, newest first.
	Journal []JournalLine `json:"journal"`
	// JournalNote says why there is no journal (no store yet).
	JournalNote string `json:"journal_note,omitempty"`

	// targetID is the unmanaged target object's id (Key "").
	targetID string
}

// SourceRecord is one raw record behind the object.
type SourceRecord struct {
	Kind mapping.Kind `json:"kind"`
	Key  string       `json:"key"`
	// Origin is where it came from: users.csv:12, a DN, a SCIM id.
	Origin     string      `json:"origin"`
	Attributes []Attribute `json:"attributes"`
	// Status is "mapped", "excluded: …" or "left out: …".
	Status string `json:"status"`
}

// Attribute is one attribute of a record (its values joined by "; ").
type Attribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MappedField is one template of the job's mapping over the record.
type MappedField struct {
	// Field is the template's key below the mapping block ("users.name").
	Field string `json:"field"`
	// Key is its full config key ("jobs[0].mapping.users.name").
	Key string `json:"key"`
	// Location is the config file and line of the key ("demo.yaml:28").
	Location string `json:"location,omitempty"`
	Template string `json:"template"`
	Value    string `json:"value"`
	Error    string `json:"error,omitempty"`
	// Condition and Match: a scope.exclude or suspended condition and
	// whether the record matched it.
	Condition bool `json:"condition,omitempty"`
	Match     bool `json:"match,omitempty"`
	// Role is the role the users.role.template value maps to.
	Role mapping.Role `json:"role,omitempty"`
}

// ObjectLink is the store's link of an object.
type ObjectLink struct {
	TargetID string `json:"target_id"`
	// Adopt: not linked yet, but the plan adopts this target object.
	Adopt bool `json:"adopt,omitempty"`
}

// ObjectView is an object as the mapping produced it or the target holds
// it, references by source key where known (a target reference orgbridge
// has no link for shows as the target's name and id).
type ObjectView struct {
	ID          string            `json:"id,omitempty"`
	Name        string            `json:"name"`
	LoginID     string            `json:"login_id,omitempty"`
	Email       string            `json:"email,omitempty"`
	Code        string            `json:"code,omitempty"`
	Parent      string            `json:"parent,omitempty"`
	Description string            `json:"description,omitempty"`
	Suspended   bool              `json:"suspended,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
	// Memberships are "container(role)" items, sorted: a user's orgs and
	// groups, an org's or group's members.
	Memberships []string `json:"memberships,omitempty"`
}

// ExplainedChange is one change a sync would make to the object, or an
// adoption, or a change held back.
type ExplainedChange struct {
	// Seq is the change's number in the whole plan (as plan prints it); 0
	// for an adoption or a held-back change.
	Seq int `json:"seq,omitempty"`
	// Action is a change's action, "adopt" or "held_back".
	Action string               `json:"action"`
	Kind   mapping.Kind         `json:"kind"`
	Key    string               `json:"key"`
	Diff   []change.FieldChange `json:"diff,omitempty"`
	Reason string               `json:"reason"`
}

// JournalLine is one journal entry of the object.
type JournalLine struct {
	RunID   int64     `json:"run_id"`
	Seq     int       `json:"seq"`
	Time    time.Time `json:"time"`
	Mode    string    `json:"mode"`
	Action  string    `json:"action"`
	Outcome string    `json:"outcome"`
	// Changed lists the fields an update changed, "name: a → b".
	Changed []string `json:"changed,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// ExplainOptions tune an explanation.
type ExplainOptions struct {
	// File is the job's config, for the templates' lines (nil: none).
	File *config.File
	// Journal is how many journal entries to list (0:
	// DefaultExplainJournal).
	Journal int
	// NoStore says the store does not exist yet: the runner's Store is an
	// empty stand-in, and the journal says so.
	NoStore string
}

// NotFoundError is Explain's answer when nothing matches the query.
type NotFoundError struct {
	Query string
	// Candidates are the closest names the job knows ("user 1004 (e1004,
	// kenta.takahashi@example.co.jp, 高橋 健太)").
	Candidates []string
	// Ambiguous: several objects matched as well as each other.
	Ambiguous bool
}

func (e *NotFoundError) Error() string {
	what := "nothing in the source, the links or the target matches"
	if e.Ambiguous {
		what = "several objects match"
	}
	s := fmt.Sprintf("%s %q", what, e.Query)
	if len(e.Candidates) > 0 {
		s += "; the closest: " + strings.Join(e.Candidates, "; ")
	}
	return s
}

// recordingSource keeps what the source read, so that Explain shows the
// records of the very read the plan was made from.
type recordingSource struct {
	connectors.Source
	records []connectors.Record
}

func (s *recordingSource) Read(ctx context.Context) ([]connectors.Record, error) {
	recs, err := s.Source.Read(ctx)
	s.records = recs
	return recs, err
}

// Explain reads the source and the whole target and plans as a full run
// would (Runner.Plan: nothing is written anywhere), then explains the
// object the query names: a source key, a login id or an e-mail of a user,
// or the key, code or name of an org or group, compared
// case-insensitively. Nothing matching is a *NotFoundError naming the
// closest candidates.
func (r *Runner) Explain(ctx context.Context, job *Job, query string, opts ExplainOptions) (*Explanation, error) {
	rec := &recordingSource{Source: job.Source}
	j := *job
	// Only Read is exposed, so an incremental source reads in full, as
	// the nightly run does.
	j.Source = rec
	res, err := r.Plan(ctx, &j, false)
	if err != nil {
		return nil, err
	}
	x := &explainer{job: job, res: res, records: rec.records, opts: opts}
	x.index()
	e, err := x.find(query)
	if err != nil {
		return nil, err
	}
	e.Job, e.Query = job.Name, query
	x.source(e)
	x.link(e)
	x.plan(e)
	if res.Refused != nil {
		e.Guard = res.Refused.Error()
	}
	a := res.Actual
	e.TargetRead = fmt.Sprintf("the whole target was read: %d orgs, %d users, %d groups", len(a.Orgs), len(a.Users), len(a.Groups))
	if err := r.explainJournal(ctx, e, opts); err != nil {
		return nil, err
	}
	return e, nil
}

func (r *Runner) explainJournal(ctx context.Context, e *Explanation, opts ExplainOptions) error {
	e.Journal = []JournalLine{}
	if opts.NoStore != "" {
		e.JournalNote = opts.NoStore
		return nil
	}
	if e.Key == "" {
		e.JournalNote = "orgbridge does not manage the object: it has no journal"
		return nil
	}
	n := opts.Journal
	if n <= 0 {
		n = DefaultExplainJournal
	}
	list, err := r.Store.ObjectJournal(ctx, e.Job, e.Kind, e.Key, n)
	if err != nil {
		return fmt.Errorf("job %s: %w", e.Job, err)
	}
	for _, o := range list {
		l := JournalLine{RunID: o.RunID, Seq: Seq(o.Seq), Time: o.UpdatedAt, Mode: o.Mode, Action: string(o.Change.Action),
			Outcome: string(o.Status), Error: o.Error}
		if o.RunStatus == store.RunDryRun || o.Mode == store.ModeDryRun {
			l.Outcome = "dry run"
		}
		for _, d := range o.Change.Diff {
			l.Changed = append(l.Changed, fmt.Sprintf("%s: %q → %q", d.Field, d.Old, d.New))
		}
		e.Journal = append(e.Journal, l)
	}
	if len(e.Journal) == 0 {
		e.JournalNote = "no journal entry: no run has changed the object"
	}
	return nil
}

// explainer holds one plan's pieces, indexed for one explanation.
type explainer struct {
	job     *Job
	res     *RunResult
	records []connectors.Record
	opts    ExplainOptions
	traces  [][]mapping.Traced
	// reverse maps kind → target id → source key, from the links and the
	// plan's adoptions.
	reverse map[mapping.Kind]map[string]string
}

func (x *explainer) index() {
	x.traces = make([][]mapping.Traced, len(x.records))
	for i, rec := range x.records {
		x.traces[i] = x.job.Rules.Trace(rec)
	}
	x.reverse = map[mapping.Kind]map[string]string{}
	set := func(kind mapping.Kind, key, id string) {
		if x.reverse[kind] == nil {
			x.reverse[kind] = map[string]string{}
		}
		x.reverse[kind][id] = key
	}
	for kind, m := range x.res.links {
		for key, id := range m {
			set(kind, key, id)
		}
	}
	for _, a := range x.res.Plan.Adopt {
		set(a.Kind, a.Key, a.TargetID)
	}
}

// traced returns the value a record's template of field rendered.
func traced(list []mapping.Traced, field string) (string, bool) {
	for _, t := range list {
		if strings.HasSuffix(t.Key, "mapping."+field) || t.Key == field {
			return t.Value, t.Err == ""
		}
	}
	return "", false
}

// objRef names one object a query may mean.
type objRef struct {
	kind mapping.Kind
	key  string
	// targetID is set for an unmanaged target object (key "").
	targetID string
}

// kindOrder ranks kinds when one name matches objects of several.
var kindOrder = map[mapping.Kind]int{mapping.KindUser: 0, mapping.KindOrg: 1, mapping.KindGroup: 2}

// ways are the ways of naming an object a query is tried as, in turn.
var ways = []string{"key", "login_id", "email", "code", "name"}

// candidate is one object a query may name, with its name in each way it
// has one ("" where it has none).
type candidate struct {
	ref   objRef
	names map[string]string
}

// candidates lists every object a query may name, in the order find takes
// them: the source's records, the desired users, organizations and groups,
// the target's, then the links. A record is named by its key (an
// organization's as its orgs.key template rendered it) and a user's by the
// login_id and email its templates rendered; a desired object by its key
// (not a user's), code and name; a target user by its login_id and email,
// a target organization or group (not the system ones) by its code, both
// by their source key when linked or adopted, else as unmanaged; a link by
// its key.
func (x *explainer) candidates() []candidate {
	d, a := x.res.Desired, x.res.Actual
	var out []candidate
	add := func(ref objRef, names map[string]string) { out = append(out, candidate{ref, names}) }
	for i, rec := range x.records {
		key := rec.Key
		names := map[string]string{}
		switch rec.Kind {
		case mapping.KindOrg:
			if v, ok := traced(x.traces[i], "orgs.key"); ok && v != "" {
				key = v
			}
		case mapping.KindUser:
			names["login_id"], _ = traced(x.traces[i], "users.login_id")
			names["email"], _ = traced(x.traces[i], "users.email")
		}
		names["key"] = key
		add(objRef{kind: rec.Kind, key: key}, names)
	}
	for _, u := range d.Users {
		add(objRef{kind: mapping.KindUser, key: u.Key}, map[string]string{"name": u.Name})
	}
	for _, o := range d.Orgs {
		add(objRef{kind: mapping.KindOrg, key: o.Key}, map[string]string{"key": o.Key, "code": o.Code, "name": o.Name})
	}
	for _, g := range d.Groups {
		add(objRef{kind: mapping.KindGroup, key: g.Key}, map[string]string{"key": g.Key, "code": g.Code, "name": g.Name})
	}
	for _, u := range a.Users {
		add(x.targetRef(mapping.KindUser, u.Key), map[string]string{"login_id": u.LoginID, "email": u.Email})
	}
	for _, o := range a.Orgs {
		if !o.System {
			add(x.targetRef(mapping.KindOrg, o.Key), map[string]string{"code": o.Code})
		}
	}
	for _, g := range a.Groups {
		if !g.System {
			add(x.targetRef(mapping.KindGroup, g.Key), map[string]string{"code": g.Code})
		}
	}
	for kind, m := range x.res.links {
		if kind == mapping.KindMembership {
			continue
		}
		for key := range m {
			add(objRef{kind: kind, key: key}, map[string]string{"key": key})
		}
	}
	return out
}

// find resolves the query, trying each way of naming an object in turn;
// the first way that names exactly one object (of the first kind that has
// one) wins.
func (x *explainer) find(query string) (*Explanation, error) {
	q := strings.TrimSpace(query)
	cands := x.candidates()
	for _, way := range ways {
		var refs []objRef
		for _, c := range cands {
			if v := c.names[way]; v != "" && strings.EqualFold(v, q) {
				refs = append(refs, c.ref)
			}
		}
		refs = dedupe(refs)
		if len(refs) == 0 {
			continue
		}
		best := kindOrder[refs[0].kind]
		var same []objRef
		for _, r := range refs {
			if kindOrder[r.kind] == best {
				same = append(same, r)
			}
		}
		if len(same) > 1 {
			names := make([]string, len(same))
			for i, r := range same {
				names[i] = x.describe(r)
			}
			return nil, &NotFoundError{Query: query, Candidates: names, Ambiguous: true}
		}
		r := same[0]
		by := way
		if r.key == "" {
			by = "target"
		}
		return &Explanation{Kind: r.kind, Key: r.key, MatchedBy: by, targetID: r.targetID}, nil
	}
	return nil, &NotFoundError{Query: query, Candidates: x.closest(q, 5)}
}

// targetRef names a target object: by its source key when linked or
// adopted, else as unmanaged.
func (x *explainer) targetRef(kind mapping.Kind, id string) objRef {
	if key, ok := x.reverse[kind][id]; ok {
		return objRef{kind: kind, key: key}
	}
	return objRef{kind: kind, targetID: id}
}

func dedupe(refs []objRef) []objRef {
	seen := map[objRef]bool{}
	out := refs[:0:0]
	for _, r := range refs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return kindOrder[out[i].kind] < kindOrder[out[j].kind] })
	return out
}

// describe names an object with what else it is known by.
func (x *explainer) describe(r objRef) string {
	if r.key == "" {
		return fmt.Sprintf("%s with target id %s (not managed)", r.kind, r.targetID)
	}
	var also []string
	switch r.kind {
	case mapping.KindUser:
		if u := x.res.Desired.UserIndex()[r.key]; u != nil {
			also = append(also, u.LoginID, u.Email, u.Name)
		}
	case mapping.KindOrg:
		if o := x.res.Desired.OrgIndex()[r.key]; o != nil {
			also = append(also, o.Code, o.Name)
		}
	case mapping.KindGroup:
		if g := x.res.Desired.GroupIndex()[r.key]; g != nil {
			also = append(also, g.Code, g.Name)
		}
	}
	also = nonEmpty(also)
	if len(also) == 0 {
		return fmt.Sprintf("%s %s", r.kind, r.key)
	}
	return fmt.Sprintf("%s %s (%s)", r.kind, r.key, strings.Join(also, ", "))
}

func nonEmpty(list []string) []string {
	out := list[:0]
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// closest lists up to n objects whose key, login id, e-mail, code or name
// is nearest the query: a name containing it first, then by edit
// distance.
func (x *explainer) closest(q string, n int) []string {
	type cand struct {
		ref  objRef
		dist int
	}
	best := map[objRef]int{}
	consider := func(r objRef, names ...string) {
		for _, s := range names {
			if s == "" {
				continue
			}
			d := distance(strings.ToLower(q), strings.ToLower(s))
			if strings.Contains(strings.ToLower(s), strings.ToLower(q)) || strings.Contains(strings.ToLower(q), strings.ToLower(s)) {
				d = 0
			}
			if old, ok := best[r]; !ok || d < old {
				best[r] = d
			}
		}
	}
	for _, u := range x.res.Desired.Users {
		consider(objRef{kind: mapping.KindUser, key: u.Key}, u.Key, u.LoginID, u.Email, u.Name)
	}
	for _, o := range x.res.Desired.Orgs {
		consider(objRef{kind: mapping.KindOrg, key: o.Key}, o.Key, o.Code, o.Name)
	}
	for _, g := range x.res.Desired.Groups {
		consider(objRef{kind: mapping.KindGroup, key: g.Key}, g.Key, g.Code, g.Name)
	}
	for kind, m := range x.res.links {
		for key := range m {
			if kind != mapping.KindMembership {
				consider(objRef{kind: kind, key: key}, key)
			}
		}
	}
	list := make([]cand, 0, len(best))
	for r, d := range best {
		list = append(list, cand{r, d})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].dist != list[j].dist {
			return list[i].dist < list[j].dist
		}
		if list[i].ref.kind != list[j].ref.kind {
			return kindOrder[list[i].ref.kind] < kindOrder[list[j].ref.kind]
		}
		return list[i].ref.key < list[j].ref.key
	})
	var out []string
	for i := 0; i < len(list) && i < n; i++ {
		out = append(out, x.describe(list[i].ref))
	}
	return out
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// source fills the Source, Mapping and Desired sections.
func (x *explainer) source(e *Explanation) {
	e.Source, e.Mapping = []SourceRecord{}, []MappedField{}
	if e.Key == "" {
		e.SourceNote = "not in the source: a target object orgbridge has no link for (made by hand or by another tool)"
		return
	}
	left := map[string]mapping.LeftOut{}
	for _, l := range x.res.Report.LeftOut {
		if l.Kind == e.Kind {
			left[l.Key] = l
		}
	}
	first := -1
	for i, rec := range x.records {
		key := rec.Key
		if rec.Kind == mapping.KindOrg {
			if v, ok := traced(x.traces[i], "orgs.key"); ok && v != "" {
				key = v
			}
		}
		if rec.Kind != e.Kind || key != e.Key {
			continue
		}
		sr := SourceRecord{Kind: rec.Kind, Key: rec.Key, Origin: rec.Origin, Attributes: attributes(rec), Status: "mapped"}
		if rec.Problem != "" {
			sr.Status = "left out: " + rec.Problem
		}
		for _, t := range x.traces[i] {
			if t.Condition && t.Match && strings.Contains(t.Key, "scope.exclude") {
				sr.Status = fmt.Sprintf("excluded: %s matched (%s = %s)", x.field(t.Key), t.Template, t.Value)
				break
			}
		}
		if l, ok := left[e.Key]; ok && sr.Status == "mapped" {
			sr.Status = "left out: " + l.Reason
		}
		e.Source = append(e.Source, sr)
		if first < 0 {
			first = i
		}
	}
	if first >= 0 {
		for _, t := range x.traces[first] {
			e.Mapping = append(e.Mapping, MappedField{Field: x.field(t.Key), Key: t.Key, Location: x.locate(t.Key),
				Template: t.Template, Value: t.Value, Error: t.Err, Condition: t.Condition, Match: t.Match, Role: t.Role})
		}
	}
	e.Desired = x.desiredView(e)
	switch {
	case len(e.Source) > 0:
	case e.Desired != nil && e.Kind == mapping.KindOrg:
		e.SourceNote = "no record of its own: the org is on the path of its members' records (" + strings.Join(e.Desired.Memberships, ", ") + ")"
	case e.Desired != nil && e.Kind == mapping.KindGroup:
		e.SourceNote = "no record of its own: the group is named by its members' records (" + strings.Join(e.Desired.Memberships, ", ") + ")"
	default:
		e.SourceNote = "not in the source: no record has this key"
	}
}

// field is a config key below the mapping block.
func (x *explainer) field(key string) string {
	if i := strings.Index(key, "mapping."); i >= 0 {
		return key[i+len("mapping."):]
	}
	return key
}

// locate names the config file and line of a key, when known.
func (x *explainer) locate(key string) string {
	if x.opts.File == nil {
		return ""
	}
	var fe *config.FieldError
	if errors.As(x.opts.File.Locate(&config.FieldError{Key: key}), &fe) && fe.Line > 0 {
		return fmt.Sprintf("%s:%d", fe.File, fe.Line)
	}
	return ""
}

func attributes(rec connectors.Record) []Attribute {
	attrs := rec.Map()
	out := make([]Attribute, 0, len(attrs))
	for name, v := range attrs {
		out = append(out, Attribute{Name: name, Value: strings.Join(v, "; ")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (x *explainer) desiredView(e *Explanation) *ObjectView {
	d := x.res.Desired
	var v *ObjectView
	switch e.Kind {
	case mapping.KindUser:
		if u := d.UserIndex()[e.Key]; u != nil {
			v = &ObjectView{Name: u.Name, LoginID: u.LoginID, Email: u.Email, Suspended: u.Suspended, Attributes: u.Attributes}
		}
	case mapping.KindOrg:
		if o := d.OrgIndex()[e.Key]; o != nil {
			v = &ObjectView{Name: o.Name, Code: o.Code, Parent: o.ParentKey, Description: o.Description}
		}
	case mapping.KindGroup:
		if g := d.GroupIndex()[e.Key]; g != nil {
			v = &ObjectView{Name: g.Name, Code: g.Code, Parent: g.OrgKey, Description: g.Description}
		}
	}
	if v != nil {
		v.Memberships = memberships(d.Memberships, e.Kind, e.Key, func(_ mapping.Kind, key string) string { return key })
	}
	return v
}

// memberships renders the memberships of a user (its containers) or of a
// container (its users) as "name(role)" items, sorted.
func memberships(ms []mapping.Membership, kind mapping.Kind, key string, name func(mapping.Kind, string) string) []string {
	var out []string
	for _, m := range ms {
		switch {
		case kind == mapping.KindUser && m.UserKey == key:
			out = append(out, fmt.Sprintf("%s %s(%s)", m.Kind, name(m.Kind, m.ContainerKey), m.Role))
		case kind != mapping.KindUser && m.Kind == kind && m.ContainerKey == key:
			out = append(out, fmt.Sprintf("%s(%s)", name(mapping.KindUser, m.UserKey), m.Role))
		}
	}
	sort.Strings(out)
	return out
}

// link fills the Link and Target sections.
func (x *explainer) link(e *Explanation) {
	id := e.targetID
	if e.Key != "" {
		if tid, ok := x.res.links[e.Kind][e.Key]; ok {
			id = tid
			e.Link = &ObjectLink{TargetID: tid}
		}
		for _, a := range x.res.Plan.Adopt {
			if a.Kind == e.Kind && a.Key == e.Key {
				id = a.TargetID
				e.Link = &ObjectLink{TargetID: a.TargetID, Adopt: true}
			}
		}
	}
	if id == "" {
		return
	}
	a := x.res.Actual
	orgNames := map[string]string{}
	for _, o := range a.Orgs {
		orgNames[o.Key] = o.Name
	}
	groupNames := map[string]string{}
	for _, g := range a.Groups {
		groupNames[g.Key] = g.Name
	}
	userNames := map[string]string{}
	for _, u := range a.Users {
		userNames[u.Key] = u.Name
	}
	// A reference shows as the source key orgbridge links it to, else as
	// the target's name and id.
	name := func(kind mapping.Kind, tid string) string {
		if key, ok := x.reverse[kind][tid]; ok {
			return key
		}
		n := map[mapping.Kind]map[string]string{mapping.KindOrg: orgNames, mapping.KindGroup: groupNames, mapping.KindUser: userNames}[kind][tid]
		return fmt.Sprintf("%s [%s, not managed]", n, tid)
	}
	var (
		v      *ObjectView
		parent string // the organization it is under
	)
	switch e.Kind {
	case mapping.KindUser:
		for _, u := range a.Users {
			if u.Key == id {
				v = &ObjectView{ID: id, Name: u.Name, LoginID: u.LoginID, Email: u.Email, Suspended: u.Suspended, Attributes: u.Attributes}
			}
		}
	case mapping.KindOrg:
		for _, o := range a.Orgs {
			if o.Key == id {
				v, parent = &ObjectView{ID: id, Name: o.Name, Code: o.Code, Description: o.Description}, o.ParentKey
			}
		}
	case mapping.KindGroup:
		for _, g := range a.Groups {
			if g.Key == id {
				v, parent = &ObjectView{ID: id, Name: g.Name, Code: g.Code, Description: g.Description}, g.OrgKey
			}
		}
	}
	if v != nil {
		if parent != "" {
			v.Parent = name(mapping.KindOrg, parent)
		}
		v.Memberships = memberships(a.Memberships, e.Kind, id, name)
	}
	e.Target = v
}

// plan fills the Plan section: the plan's changes of the object (and of
// its memberships), its adoption, and what was held back of it.
func (x *explainer) plan(e *Explanation) {
	e.Plan = []ExplainedChange{}
	if e.Key == "" {
		return
	}
	for _, a := range x.res.Plan.Adopt {
		if a.Kind == e.Kind && a.Key == e.Key {
			e.Plan = append(e.Plan, ExplainedChange{Action: "adopt", Kind: a.Kind, Key: a.Key,
				Reason: fmt.Sprintf("target %s %s already exists and matches by its natural key: it is linked, not created", a.Kind, a.TargetID)})
		}
	}
	mine := func(c change.Change) bool {
		if c.Kind == e.Kind && c.Key == e.Key {
			return true
		}
		if m := c.Membership; c.Kind == mapping.KindMembership && m != nil {
			return (e.Kind == mapping.KindUser && m.UserKey == e.Key) || (m.Kind == e.Kind && m.ContainerKey == e.Key)
		}
		return false
	}
	for i, c := range x.res.Plan.Changes {
		if mine(c) {
			e.Plan = append(e.Plan, ExplainedChange{Seq: Seq(i), Action: string(c.Action), Kind: c.Kind, Key: c.Key, Diff: c.Diff, Reason: x.reason(e, c)})
		}
	}
	for _, c := range x.res.Protected {
		if mine(c) {
			e.Plan = append(e.Plan, ExplainedChange{Action: "held_back", Kind: c.Kind, Key: c.Key, Diff: c.Diff,
				Reason: fmt.Sprintf("a %s is held back: the record cannot be mapped (%s), so nothing of its object is written or removed", c.Action, x.leftOutReason(c.Kind, c.Key))})
		}
	}
}

func (x *explainer) leftOutReason(kind mapping.Kind, key string) string {
	for _, l := range x.res.LeftOut {
		if l.Kind == kind && l.Key == key {
			return l.Reason
		}
	}
	if len(x.res.LeftOut) > 0 {
		l := x.res.LeftOut[0]
		return string(l.Kind) + " " + l.Key + ": " + l.Reason
	}
	return "see the source section"
}

// reason says why the planner made a change, from what it compared.
func (x *explainer) reason(e *Explanation, c change.Change) string {
	leavers := x.job.Leavers
	if leavers == "" {
		leavers = LeaversSuspend
	}
	gone := "not in the source"
	for _, s := range e.Source {
		if strings.HasPrefix(s.Status, "excluded: ") {
			gone = "out of scope (" + strings.TrimPrefix(s.Status, "excluded: ") + "), so not in the source"
		}
	}
	switch c.Action {
	case change.ActionCreate:
		switch c.Kind {
		case mapping.KindUser:
			return "in the source and not in the target: no link, and no target user has its login id or e-mail"
		case mapping.KindOrg:
			return "in the source and not in the target: no link, and no target org has its code or path of names"
		case mapping.KindGroup:
			return "in the source and not in the target: no link, and no target group has its code or name"
		}
		return "in the source and not in the target"
	case change.ActionUpdate:
		var fields []string
		suspend := false
		for _, d := range c.Diff {
			fields = append(fields, d.Field.Name())
			if d.Field == change.FieldSuspended && d.New == "true" {
				suspend = true
			}
		}
		s := "mapped fields differ from the target: " + strings.Join(fields, ", ")
		if len(fields) == 0 {
			s = "every mapped field is written"
		}
		if suspend {
			for _, m := range e.Mapping {
				if m.Condition && m.Match && strings.Contains(m.Field, "suspended") {
					s += fmt.Sprintf("; suspended because %s matched (%s = %s)", m.Field, m.Template, m.Value)
				}
			}
		}
		return s
	case change.ActionSuspend:
		return fmt.Sprintf("%s (leavers: %s)", gone, leavers)
	case change.ActionDelete:
		if c.Kind == mapping.KindUser {
			return fmt.Sprintf("%s (leavers: %s)", gone, leavers)
		}
		if c.Kind == mapping.KindMembership {
			return "the membership is not in the source"
		}
		return gone + ": orgbridge created or adopted it, so it is deleted"
	}
	return ""
}

// Explain explains one object of the named job as Runner.Explain does,
// with the daemon's store (the status page's /explain). It may run on any
// replica and while the job runs: it writes nothing. The daemon keeps no
// config file, so the templates' lines are not named.
func (d *Daemon) Explain(ctx context.Context, name, query string, journal int) (*Explanation, error) {
	d.mu.Lock()
	st := d.jobs[name]
	d.mu.Unlock()
	if st == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownJob, name)
	}
	runner := &Runner{Store: d.store, Logger: d.log, Now: d.now}
	return runner.Explain(ctx, st.job, query, ExplainOptions{Journal: journal})
}
