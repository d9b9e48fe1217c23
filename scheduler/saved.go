package scheduler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

// SavedFormat is the version of the saved plan's JSON. A file of another
// version is refused: its digests may not mean what this binary computes.
const SavedFormat = 1

// SavedPlan is a plan kept to be applied later exactly as it was made
// (`orgbridge plan --out`, and the daemon's held plans): its changes, and
// for every object they touch a digest of the desired object (the source,
// after mapping) and of the actual one (the target's Read) it was planned
// against. ApplySaved re-reads both, recomputes the digests of the objects
// the plan touches and refuses when one differs; objects the plan does not
// touch may change freely.
type SavedPlan struct {
	Format int `json:"format"`
	// Job and Config name the job and the config file (an absolute path)
	// the plan was made for; a plan is applied only to the same job.
	Job    string `json:"job"`
	Config string `json:"config,omitempty"`
	// Made is when the plan was made (UTC).
	Made time.Time `json:"made"`
	// Incremental: the plan was made from an incremental read, and the
	// drift check re-reads the same way.
	Incremental bool `json:"incremental,omitempty"`
	// Refused is the guard's verdict when the plan was made ("" if none);
	// applying a saved plan is the approval, so the guard is not asked
	// again.
	Refused string `json:"refused,omitempty"`
	Summary string `json:"summary"`
	// Plan holds the changes; change i is seq Seq(i).
	Plan *Plan `json:"plan"`
	// Digests: one per object the changes and adoptions touch.
	Digests []ObjectDigest `json:"digests"`
}

// ObjectDigest is what one object the plan touches looked like when the
// plan was made: Source digests the desired object, Target the actual one
// (found by the target id its link or adoption gives, or, for an object
// to be created, the target's objects its natural keys would match).
type ObjectDigest struct {
	Kind   mapping.Kind `json:"kind"`
	Key    string       `json:"key"`
	Source string       `json:"source"`
	Target string       `json:"target"`
}

// Errors of saved plans.
var (
	// ErrDrift: the source or the target changed, since the plan was made,
	// for an object the plan touches (DriftError says which).
	ErrDrift = errors.New("the saved plan is stale")
	// ErrSavedPlan: the file is not a saved plan this job can apply
	// (another job or config, another format, an unknown seq).
	ErrSavedPlan = errors.New("saved plan")
)

// Drifted is one object that changed since the plan was made.
type Drifted struct {
	Kind mapping.Kind `json:"kind"`
	Key  string       `json:"key"`
	// What is "source changed", "target changed" or both, joined by " and ".
	What string `json:"what"`
}

func (d Drifted) String() string { return fmt.Sprintf("%s %s (%s)", d.Kind, d.Key, d.What) }

// DriftError lists every object the plan touches that changed.
type DriftError struct{ Objects []Drifted }

func (e *DriftError) Error() string {
	parts := make([]string, len(e.Objects))
	for i, d := range e.Objects {
		parts[i] = d.String()
	}
	return fmt.Sprintf("%v: %d object(s) it touches changed since it was made: %s; nothing was applied: make a new plan", ErrDrift, len(e.Objects), strings.Join(parts, ", "))
}

func (e *DriftError) Unwrap() error { return ErrDrift }

// NewSavedPlan keeps what a plan (Runner.Plan, or a refused Sync) was made
// from, so that it can be applied later. config is the config file's path
// ("" for the daemon's held plans, which live with their job).
func NewSavedPlan(job string, config string, incremental bool, res *RunResult, made time.Time) *SavedPlan {
	sp := &SavedPlan{Format: SavedFormat, Job: job, Config: config, Made: made.UTC(), Incremental: incremental,
		Summary: Summarize(res.Plan), Plan: res.Plan}
	if res.Refused != nil {
		sp.Refused = res.Refused.Error()
	}
	dg := newDigester(res.Desired, res.Actual, res.links, res.Plan)
	for _, o := range touched(res.Plan, nil) {
		sp.Digests = append(sp.Digests, ObjectDigest{Kind: o.kind, Key: o.key, Source: dg.source(o), Target: dg.target(o)})
	}
	return sp
}

// WriteSaved writes the plan as indented JSON.
func WriteSaved(w io.Writer, sp *SavedPlan) error {
	// The changes and the digests, a million each in a large first plan,
	// are written one at a time (writeIndentedJSONStreamed).
	var lists []streamedList
	shallow := *sp
	if sp.Plan != nil && len(sp.Plan.Changes) > 0 {
		p := *sp.Plan
		p.Changes = []change.Change{}
		shallow.Plan = &p
		lists = append(lists, streamedList{field: "changes", depth: 2, n: len(sp.Plan.Changes), elem: func(i int) any { return &sp.Plan.Changes[i] }})
	}
	if len(sp.Digests) > 0 {
		shallow.Digests = []ObjectDigest{}
		lists = append(lists, streamedList{field: "digests", depth: 1, n: len(sp.Digests), elem: func(i int) any { return &sp.Digests[i] }})
	}
	if len(lists) == 0 {
		return writeIndentedJSON(w, sp)
	}
	return writeIndentedJSONStreamed(w, &shallow, lists...)
}

// ReadSaved decodes a saved plan, refusing another format or a file that
// is not one.
func ReadSaved(r io.Reader) (*SavedPlan, error) {
	var sp SavedPlan
	dec := json.NewDecoder(r)
	if err := dec.Decode(&sp); err != nil {
		return nil, fmt.Errorf("%w: not a saved plan: %v", ErrSavedPlan, err)
	}
	if sp.Format != SavedFormat {
		return nil, fmt.Errorf("%w: format %d, this orgbridge reads format %d: make the plan again", ErrSavedPlan, sp.Format, SavedFormat)
	}
	if sp.Plan == nil || sp.Job == "" {
		return nil, fmt.Errorf("%w: no job or no plan in the file", ErrSavedPlan)
	}
	return &sp, nil
}

// CheckFor refuses a plan made for another job or config file.
func (sp *SavedPlan) CheckFor(config, job string) error {
	if sp.Job != job {
		return fmt.Errorf("%w: made for job %q, not %q", ErrSavedPlan, sp.Job, job)
	}
	if sp.Config != "" && config != "" && sp.Config != config {
		return fmt.Errorf("%w: made with config %s, not %s", ErrSavedPlan, sp.Config, config)
	}
	return nil
}

// Selection picks the changes of a saved plan to apply, by seq: Only (if
// any) and then not Except. The zero Selection is the whole plan.
type Selection struct {
	Only, Except []int
}

// Whole reports whether the selection is the whole plan.
func (s Selection) Whole() bool { return len(s.Only) == 0 && len(s.Except) == 0 }

// ParseSeqs reads a list of seqs as `plan` prints them: "3,5,7-9".
func ParseSeqs(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil || a < 1 {
			return nil, fmt.Errorf("%q is not a seq (a change's number as plan prints it, from 1)", part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || b < a {
				return nil, fmt.Errorf("%q is not a range of seqs (N-M, N <= M)", part)
			}
		}
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q names no seq", s)
	}
	return out, nil
}

// indexes returns the plan indexes the selection picks, in plan order.
func (s Selection) indexes(n int) ([]int, error) {
	pick := make([]bool, n)
	check := func(seqs []int) error {
		for _, q := range seqs {
			if q < 1 || q > n {
				return fmt.Errorf("%w: no change %d: the plan has changes 1 to %d", ErrSavedPlan, q, n)
			}
		}
		return nil
	}
	if err := errors.Join(check(s.Only), check(s.Except)); err != nil {
		return nil, err
	}
	if len(s.Only) == 0 {
		for i := range pick {
			pick[i] = true
		}
	}
	for _, q := range s.Only {
		pick[q-1] = true
	}
	for _, q := range s.Except {
		pick[q-1] = false
	}
	var out []int
	for i, ok := range pick {
		if ok {
			out = append(out, i)
		}
	}
	return out, nil
}

// Part returns the plan with only the selected changes (plan order and
// stages kept); adoptions and user references stay, since they write
// nothing to the target and the selected changes may refer to them, and
// departed users stay only with the whole plan.
func (sp *SavedPlan) Part(sel Selection) (*Plan, error) {
	idx, err := sel.indexes(len(sp.Plan.Changes))
	if err != nil {
		return nil, err
	}
	p := *sp.Plan
	p.Changes = make([]change.Change, len(idx))
	for i, j := range idx {
		p.Changes[i] = sp.Plan.Changes[j]
	}
	if !sel.Whole() {
		p.Departed = nil
	}
	return &p, nil
}

// Seqs returns the seqs of the changes the selection picks, in plan order.
func (sp *SavedPlan) Seqs(sel Selection) ([]int, error) {
	idx, err := sel.indexes(len(sp.Plan.Changes))
	for i, j := range idx {
		idx[i] = Seq(j)
	}
	return idx, err
}

// Drift re-checks the objects the part of the plan touches against a new
// read: nil when each is as it was.
func (sp *SavedPlan) Drift(part *Plan, desired, actual *mapping.Snapshot, links Links) *DriftError {
	saved := make(map[object]ObjectDigest, len(sp.Digests))
	for _, d := range sp.Digests {
		saved[object{d.Kind, d.Key}] = d
	}
	dg := newDigester(desired, actual, links, sp.Plan)
	var out []Drifted
	for _, o := range touched(part, sp.Plan.Adopt) {
		d, ok := saved[o]
		var what []string
		if !ok || d.Source != dg.source(o) {
			what = append(what, "source changed")
		}
		if !ok || d.Target != dg.target(o) {
			what = append(what, "target changed")
		}
		if len(what) > 0 {
			out = append(out, Drifted{Kind: o.kind, Key: o.key, What: strings.Join(what, " and ")})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return &DriftError{Objects: out}
}

// object is a kind and a source key (a membership's is its ID()).
type object struct {
	kind mapping.Kind
	key  string
}

// touched lists the objects the plan's changes and adopt touch, once
// each, in plan order (adoptions first). adopt nil means p.Adopt.
func touched(p *Plan, adopt []Adoption) []object {
	if adopt == nil {
		adopt = p.Adopt
	}
	seen := map[object]bool{}
	var out []object
	add := func(o object) {
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	for _, a := range adopt {
		add(object{a.Kind, a.Key})
	}
	for _, c := range p.Changes {
		add(object{c.Kind, c.Key})
	}
	return out
}

// digester computes the digests of objects in one pair of snapshots.
type digester struct {
	orgs, groups, users map[string]any // desired, by key
	memberships         map[string]mapping.Membership
	planned             map[string]mapping.Membership   // the plan's membership changes', by key
	userOrgs            map[string][]mapping.Membership // desired org memberships by user key
	actual              *mapping.Snapshot
	aOrgs               map[string]*mapping.Org
	aUsers              map[string]*mapping.User
	aGroups             map[string]*mapping.Group
	aMembers            map[string]mapping.Membership   // kind/container id/user id
	aUserOrgs           map[string][]mapping.Membership // actual org memberships by user id
	byNatural           map[string][]any                // kind + natural key → actual objects, built on first use
	links               Links
	adopt               map[object]string
	userRefs            map[string]string
}

func newDigester(desired, actual *mapping.Snapshot, links Links, p *Plan) *digester {
	if desired == nil {
		desired = &mapping.Snapshot{}
	}
	if actual == nil {
		actual = &mapping.Snapshot{}
	}
	// Sized once: a first plan of a million users grew these maps of a
	// million entries one by one (issue 13).
	d := &digester{
		orgs:        make(map[string]any, len(desired.Orgs)),
		groups:      make(map[string]any, len(desired.Groups)),
		users:       make(map[string]any, len(desired.Users)),
		memberships: make(map[string]mapping.Membership, len(desired.Memberships)),
		userOrgs:    make(map[string][]mapping.Membership, len(desired.Users)),
		actual:      actual, aOrgs: actual.OrgIndex(), aUsers: actual.UserIndex(), aGroups: actual.GroupIndex(),
		aMembers: map[string]mapping.Membership{}, aUserOrgs: map[string][]mapping.Membership{},
		links: links, adopt: map[object]string{}, userRefs: p.UserRefs, planned: map[string]mapping.Membership{},
	}
	for _, c := range p.Changes {
		if c.Membership != nil {
			d.planned[c.Key] = *c.Membership
		}
	}
	for _, o := range desired.Orgs {
		d.orgs[o.Key] = o
	}
	for _, g := range desired.Groups {
		d.groups[g.Key] = g
	}
	for _, u := range desired.Users {
		d.users[u.Key] = u
	}
	for _, m := range desired.Memberships {
		d.memberships[m.ID()] = m
		if m.Kind == mapping.KindOrg {
			d.userOrgs[m.UserKey] = append(d.userOrgs[m.UserKey], m)
		}
	}
	for _, m := range actual.Memberships {
		d.aMembers[string(m.Kind)+"\x00"+m.ContainerKey+"\x00"+m.UserKey] = m
		if m.Kind == mapping.KindOrg {
			d.aUserOrgs[m.UserKey] = append(d.aUserOrgs[m.UserKey], m)
		}
	}
	for _, a := range p.Adopt {
		d.adopt[object{a.Kind, a.Key}] = a.TargetID
	}
	return d
}

// hash digests a value's JSON (maps encode with sorted keys).
func hash(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Snapshots are plain data; this cannot happen, and a digest that
		// never matches is the safe answer if it did.
		return "unencodable: " + err.Error()
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

func sortedMemberships(ms []mapping.Membership) []mapping.Membership {
	out := append([]mapping.Membership(nil), ms...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID() != out[j].ID() {
			return out[i].ID() < out[j].ID()
		}
		return out[i].Role < out[j].Role
	})
	return out
}

// source digests the desired object ("absent" included): a user with
// its org memberships, which its change carries on a target that takes
// them in the user call.
func (d *digester) source(o object) string {
	var v any
	switch o.kind {
	case mapping.KindOrg:
		v = d.orgs[o.key]
	case mapping.KindGroup:
		v = d.groups[o.key]
	case mapping.KindUser:
		if u, ok := d.users[o.key]; ok {
			v = []any{u, sortedMemberships(d.userOrgs[o.key])}
		}
	case mapping.KindMembership:
		if m, ok := d.memberships[o.key]; ok {
			v = m
		}
	}
	return hash(v)
}

// id is the target id a source key stands for: its link, else the plan's
// adoption, else (a referenced user) its reference.
func (d *digester) id(kind mapping.Kind, key string) string {
	if id := d.links[kind][key]; id != "" {
		return id
	}
	if id := d.adopt[object{kind, key}]; id != "" {
		return id
	}
	if kind == mapping.KindUser {
		return d.userRefs[key]
	}
	return ""
}

// target digests the actual object: the one its id names (with, for a
// user, its org memberships), or for an object without an id the
// target's objects its natural keys would match (an object made there
// since would make the planned create a duplicate); a membership by its
// user's and container's ids.
func (d *digester) target(o object) string {
	if o.kind == mapping.KindMembership {
		m, ok := d.memberships[o.key]
		if !ok {
			m = d.planned[o.key]
		}
		uid, cid := d.id(mapping.KindUser, m.UserKey), d.id(m.Kind, m.ContainerKey)
		a, found := d.aMembers[string(m.Kind)+"\x00"+cid+"\x00"+uid]
		return hash([]any{uid, cid, found, a.Role})
	}
	id := d.id(o.kind, o.key)
	if id == "" {
		return hash([]any{"", d.matches(o)})
	}
	var v any
	switch o.kind {
	case mapping.KindOrg:
		if a := d.aOrgs[id]; a != nil {
			v = a
		}
	case mapping.KindGroup:
		if a := d.aGroups[id]; a != nil {
			v = a
		}
	case mapping.KindUser:
		if a := d.aUsers[id]; a != nil {
			v = []any{a, sortedMemberships(d.aUserOrgs[id])}
		}
	}
	return hash([]any{id, v})
}

// matches lists the target's objects a desired object without a link
// could be matched to by its natural keys: users by login id or e-mail
// (case-insensitively), orgs and groups by code or name. It errs on the
// wide side (the planner also matches orgs by their path of names): a
// false alarm asks for a new plan, a miss could duplicate an object.
func (d *digester) matches(o object) []any {
	if d.byNatural == nil {
		d.indexNatural()
	}
	var keys []string
	switch o.kind {
	case mapping.KindUser:
		if u, ok := d.users[o.key].(mapping.User); ok {
			keys = []string{"login\x00" + strings.ToLower(u.LoginID), "email\x00" + strings.ToLower(u.Email)}
		}
	case mapping.KindOrg:
		if g, ok := d.orgs[o.key].(mapping.Org); ok {
			keys = []string{"org-code\x00" + g.Code, "org-name\x00" + g.Name}
		}
	case mapping.KindGroup:
		if g, ok := d.groups[o.key].(mapping.Group); ok {
			keys = []string{"group-code\x00" + g.Code, "group-name\x00" + g.Name}
		}
	}
	var out []any
	for _, k := range keys {
		if !strings.HasSuffix(k, "\x00") { // an empty key matches nothing
			out = append(out, d.byNatural[k]...)
		}
	}
	return out
}

// indexNatural indexes the target's objects by their natural keys, so
// that checking many creates costs one pass over the target.
func (d *digester) indexNatural() {
	d.byNatural = map[string][]any{}
	add := func(k string, v any) {
		if !strings.HasSuffix(k, "\x00") {
			d.byNatural[k] = append(d.byNatural[k], v)
		}
	}
	for _, a := range d.actual.Users {
		add("login\x00"+strings.ToLower(a.LoginID), a)
		add("email\x00"+strings.ToLower(a.Email), a)
	}
	for _, a := range d.actual.Orgs {
		if !a.System {
			add("org-code\x00"+a.Code, a)
			add("org-name\x00"+a.Name, a)
		}
	}
	for _, a := range d.actual.Groups {
		if !a.System {
			add("group-code\x00"+a.Code, a)
			add("group-name\x00"+a.Name, a)
		}
	}
}

// ApplySaved applies the selected changes of a saved plan, exactly as
// they were planned, and records the run. It re-reads the source and the
// target first and refuses (a *DriftError, ErrDrift) when an object the
// selected changes touch changed since the plan was made; the run is
// recorded as refused and nothing is written. The guard is not asked: a
// saved plan is applied because a person approved it. Left-out records of
// the new read are journaled as a Sync journals them; the high-water mark
// does not move (the plan, not the read, says what was applied).
func (r *Runner) ApplySaved(ctx context.Context, job *Job, sp *SavedPlan, sel Selection) (*RunResult, error) {
	if err := sp.CheckFor("", job.Name); err != nil {
		return nil, err
	}
	part, err := sp.Part(sel)
	if err != nil {
		return nil, err
	}
	log := r.logger(job.Name)
	mode := store.ModeFull
	if sp.Incremental {
		mode = store.ModeIncremental
	}
	runID, log, finish, err := r.startRun(ctx, job.Name, mode, log)
	if err != nil {
		return nil, err
	}
	summary := fmt.Sprintf("saved plan of %s: %s", sp.Made.Format(time.RFC3339), Summarize(part))
	if !sel.Whole() {
		summary += fmt.Sprintf(" (%d of its %d changes)", len(part.Changes), len(sp.Plan.Changes))
	}
	fresh, err := r.plan(ctx, job, sp.Incremental)
	if err != nil {
		finish(store.RunFailed, summary, err)
		return nil, err
	}
	res := &RunResult{RunID: runID, Plan: part, Report: fresh.Report, Desired: fresh.Desired, Actual: fresh.Actual,
		LeftOut: fresh.LeftOut, Released: fresh.Released, links: fresh.links}
	if drift := sp.Drift(part, fresh.Desired, fresh.Actual, fresh.links); drift != nil {
		finish(store.RunRefused, summary, drift)
		log.Warn("saved plan refused: what it touches changed since it was made", zap.Int("objects", len(drift.Objects)))
		return res, fmt.Errorf("job %s: %w", job.Name, drift)
	}
	if r.BeforeApply != nil {
		r.BeforeApply(res)
	}
	if err := r.journalLeftOut(ctx, runID, part.Changes, res.LeftOut, res.links); err != nil {
		finish(store.RunFailed, summary, err)
		return res, fmt.Errorf("job %s: journal plan: %w", job.Name, err)
	}
	if len(part.Adopt) > 0 {
		links := make([]store.Link, len(part.Adopt))
		for i, a := range part.Adopt {
			links[i] = store.Link{Kind: a.Kind, Key: a.Key, TargetID: a.TargetID}
		}
		if err := r.Store.Adopt(ctx, job.Name, links); err != nil {
			finish(store.RunFailed, summary, err)
			return res, fmt.Errorf("job %s: record adopted objects: %w", job.Name, err)
		}
	}
	exec := &Executor{Target: job.Target, Concurrency: job.Concurrency, Logger: log, Journal: r.Store, RunID: runID, Progress: r.Progress}
	res.Outcome, err = exec.Apply(ctx, part, res.links)
	switch {
	case err != nil:
		finish(store.RunInterrupted, summary, err)
		return res, err
	case res.Outcome.Failed > 0:
		runErr := fmt.Errorf("%d of %d changes failed", res.Outcome.Failed, len(part.Changes))
		finish(store.RunFailed, summary, errors.Join(runErr, res.Outcome.Errors[0]))
		return res, fmt.Errorf("job %s: %w", job.Name, runErr)
	}
	if len(part.Departed) > 0 {
		if err := r.Store.Forget(ctx, job.Name, mapping.KindUser, part.Departed); err != nil {
			finish(store.RunFailed, summary, err)
			return res, fmt.Errorf("job %s: forget departed users: %w", job.Name, err)
		}
	}
	finish(store.RunSucceeded, summary, nil)
	log.Info("saved plan applied", zap.Int("applied", res.Outcome.Applied), zap.Int("of_plan", len(sp.Plan.Changes)))
	return res, nil
}
