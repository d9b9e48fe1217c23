package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	scimerrors "github.com/elimity-com/scim/errors"
	"go.uber.org/zap"

	connscim "github.com/orgbridge/orgbridge/connectors/scim"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

// Mapping is the mapping of one job that reads the endpoint (a job whose
// source is scim): a pushed User or Group must map under it.
type Mapping struct {
	// Job names the job in error details and logs.
	Job   string
	Rules *mapping.Rules
	// Config is the job's mapping block, the text Rules were compiled
	// from: its templates' field references say which SCIM attributes a
	// mapped field is made from, for the error details.
	Config config.Mapping
	// GroupsAs is the kind a Group is read as: mapping.KindGroup (the
	// default when empty) or mapping.KindOrg.
	GroupsAs mapping.Kind
}

// admission refuses at the door the writes whose result the jobs reading
// the endpoint could never map (see doc.go, "Admission"): a User or Group
// the mapping leaves without a required field (400 invalidValue), a User
// whose mapped login id or e-mail another stored User already maps to (409
// uniqueness). A nil admission admits everything.
type admission struct {
	store   store.Store
	current func() []Mapping
	log     *zap.Logger

	mu   sync.Mutex
	jobs map[string]*jobIndex // by job name
}

func newAdmission(st store.Store, current func() []Mapping, log *zap.Logger) *admission {
	if current == nil {
		return nil
	}
	return &admission{store: st, current: current, log: log, jobs: map[string]*jobIndex{}}
}

// check admits or refuses res, the resource as it would be stored by a
// create (update false) or a PUT or PATCH (update true). A refusal is a
// scimerrors.ScimError; any other error is the store's.
func (a *admission) check(ctx context.Context, res store.SCIMResource, update bool) error {
	if a == nil {
		return nil
	}
	maps := a.current()
	if len(maps) == 0 {
		return nil
	}
	if res.Type == TypeGroup {
		for _, m := range maps {
			kind := m.GroupsAs
			if kind == "" {
				kind = mapping.KindGroup
			}
			rec := connscim.GroupRecord(res, kind)
			if _, problems, _ := mapOne(m.Rules, rec); len(problems) > 0 {
				return a.refuse(res, m, invalidValue(m, rec, problems))
			}
		}
		return nil
	}
	if update {
		// A deactivation is never refused: the IdP must be able to
		// disable a user whatever else is wrong with it.
		rec, err := connscim.UserRecord(res, nil)
		if err != nil {
			return err
		}
		if rec.Get("active") == "false" {
			return nil
		}
	}
	for _, m := range maps {
		if err := a.checkUser(ctx, m, res); err != nil {
			return err
		}
	}
	return nil
}

// checkUser maps res under m, with its memberships as the index knows
// them, and looks its mapped login id and e-mail up among the other stored
// Users.
func (a *admission) checkUser(ctx context.Context, m Mapping, res store.SCIMResource) error {
	idx := a.index(m)
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if err := idx.refresh(ctx, a.store); err != nil {
		return err
	}
	rec, err := connscim.UserRecord(res, idx.groupsOf(res.ID))
	if err != nil {
		return err
	}
	u, problems, excluded := mapOne(m.Rules, rec)
	if len(problems) > 0 {
		return a.refuse(res, m, invalidValue(m, rec, problems))
	}
	if excluded || u == nil {
		return nil // out of the job's scope: it maps to nothing
	}
	for _, f := range []struct {
		key, what string
		value     string
		owners    map[string][]string
	}{
		{"users.login_id", "login id", u.LoginID, idx.logins},
		{"users.email", "email", u.Email, idx.emails},
	} {
		if f.value == "" {
			continue
		}
		for _, other := range f.owners[strings.ToLower(f.value)] {
			if other == res.ID {
				continue
			}
			attrs := idx.attributes(mapping.KindUser, f.key)
			return a.refuse(res, m, scimerrors.ScimError{ScimType: scimerrors.ScimTypeUniqueness, Status: http.StatusConflict,
				Detail: withAttributes(attrs, fmt.Sprintf("job %q maps this User's %s (%s) to %q, which User %s has already (compared case-insensitively)",
					m.Job, f.what, f.key, f.value, other))})
		}
	}
	return nil
}

// refuse logs a refusal, without the detail (it holds personal data), and
// returns it.
func (a *admission) refuse(res store.SCIMResource, m Mapping, e scimerrors.ScimError) error {
	a.log.Info("refused: the job's mapping could not map the result", zap.String("resource_type", res.Type), zap.String("id", res.ID),
		zap.String("job", m.Job), zap.String("scim_type", string(e.ScimType)), zap.Int("status", e.Status))
	return e
}

// index is the job's index, made anew when its rules changed (a reload)
// and dropped for jobs that are gone.
func (a *admission) index(m Mapping) *jobIndex {
	a.mu.Lock()
	defer a.mu.Unlock()
	idx := a.jobs[m.Job]
	if idx == nil || idx.rules != m.Rules {
		idx = newJobIndex(m)
		a.jobs[m.Job] = idx
	}
	if len(a.jobs) > 1 {
		live := map[string]bool{}
		for _, cur := range a.current() {
			live[cur.Job] = true
		}
		for name := range a.jobs {
			if !live[name] {
				delete(a.jobs, name)
			}
		}
	}
	return idx
}

// mapOne maps one record alone, as an incremental run would (references
// to orgs and groups the record does not carry are fine). It returns the
// mapped user of a user record, the problems the mapping found, each
// without the record's origin, and whether the job's scope leaves the
// record out.
func mapOne(rules *mapping.Rules, rec mapping.Record) (*mapping.User, []string, bool) {
	snap, report, err := rules.BuildPartial([]mapping.Record{rec})
	if err != nil {
		var problems []string
		for _, e := range unjoin(err) {
			problems = append(problems, strings.TrimPrefix(e.Error(), rec.Origin+": "))
		}
		return nil, problems, false
	}
	if report.Excluded > 0 {
		return nil, nil, true
	}
	for i := range snap.Users {
		if snap.Users[i].Key == rec.Key {
			return &snap.Users[i], nil, false
		}
	}
	return nil, nil, false
}

// unjoin lists the errors of an errors.Join, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// invalidValue is the 400 for the mapping's problems with rec: each names
// the SCIM attributes the failing template reads, when it can be told.
func invalidValue(m Mapping, rec mapping.Record, problems []string) scimerrors.ScimError {
	what := "User"
	if rec.Kind != mapping.KindUser {
		what = "Group"
	}
	refs := mapping.TemplateRefs(m.Config)
	details := make([]string, 0, len(problems))
	for _, p := range problems {
		keys, msg := problemKeys(rec.Kind, p)
		var attrs []string
		for _, k := range keys {
			attrs = append(attrs, scimAttributes(rec.Kind, refs[k])...)
		}
		details = append(details, withAttributes(attrs, fmt.Sprintf("job %q cannot map this %s: %s", m.Job, what, msg)))
	}
	return scimerrors.ScimError{ScimType: scimerrors.ScimTypeInvalidValue, Status: http.StatusBadRequest, Detail: strings.Join(details, "; ")}
}

// withAttributes starts a detail with the attributes it is about.
func withAttributes(attrs []string, detail string) string {
	attrs = sortedUnique(attrs)
	if len(attrs) == 0 {
		return detail
	}
	return strings.Join(attrs, ", ") + ": " + detail
}

// problemKeys finds the mapping config keys a problem is about, and
// rewrites the problem for a client: the mapping's messages name the
// failing template by its config path ("jobs[0].mapping.users.role.template:
// …"), except those about a field left empty, which are named here.
func problemKeys(kind mapping.Kind, problem string) ([]string, string) {
	if i := strings.Index(problem, ".mapping."); i >= 0 {
		rest := problem[i+len(".mapping."):]
		key, _, _ := strings.Cut(rest, ": ")
		return []string{key}, rest
	}
	switch {
	case strings.HasSuffix(problem, "empty name") && kind == mapping.KindUser:
		return []string{"users.name"}, "its name (users.name) is empty"
	case strings.HasSuffix(problem, "empty name") && kind == mapping.KindOrg:
		return []string{"orgs.name", "orgs.key"}, "its org name (orgs.name) is empty"
	case strings.HasSuffix(problem, "neither login id nor email"):
		return []string{"users.login_id", "users.email"}, "its login id (users.login_id) and email (users.email) are both empty"
	case strings.HasSuffix(problem, "org with an empty key"):
		return []string{"orgs.key"}, "its org key (orgs.key) is empty"
	}
	return nil, problem
}

// scimAttributes are the SCIM attributes of a kind's record attributes.
func scimAttributes(kind mapping.Kind, recordAttrs []string) []string {
	if kind != mapping.KindUser {
		kind = mapping.KindGroup
	}
	var out []string
	for _, a := range recordAttrs {
		if s := connscim.Attribute(kind, a); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func sortedUnique(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	out := append([]string(nil), list...)
	sort.Strings(out)
	uniq := out[:1]
	for _, s := range out[1:] {
		if s != uniq[len(uniq)-1] {
			uniq = append(uniq, s)
		}
	}
	return uniq
}

// jobIndex mirrors, for one job's rules, the stored Users as the mapping
// sees them: each live User's mapped login id and e-mail (lowercased, as
// the mapping compares them) and the Groups listing it. It is built from
// the store's change sequence and brought up to date before each check
// with the changes since the last one (store.SCIMChanged), so writes of
// other replicas on the same store count, and a push costs the changes
// since the previous push, not a re-map of every User.
type jobIndex struct {
	rules *mapping.Rules
	refs  map[string][]string // config path → record attributes read

	mu       sync.Mutex
	seq      int64
	users    map[string]mappedUser
	logins   map[string][]string // lowercased login id → user ids
	emails   map[string][]string // lowercased e-mail → user ids
	groups   map[string]store.SCIMResource
	members  map[string]map[string]bool // group id → member ids
	memberOf map[string]map[string]bool // user id → group ids
}

type mappedUser struct{ login, email string }

func newJobIndex(m Mapping) *jobIndex {
	return &jobIndex{rules: m.Rules, refs: mapping.TemplateRefs(m.Config), users: map[string]mappedUser{}, logins: map[string][]string{},
		emails: map[string][]string{}, groups: map[string]store.SCIMResource{}, members: map[string]map[string]bool{},
		memberOf: map[string]map[string]bool{}}
}

// attributes are the SCIM attributes the template at a config path reads.
func (x *jobIndex) attributes(kind mapping.Kind, key string) []string {
	return scimAttributes(kind, x.refs[key])
}

// refresh applies the store's changes since the last refresh: Groups
// first (a membership change touches the Users it adds or removes, which
// come in the same changes and are mapped with their new groups), then
// Users.
func (x *jobIndex) refresh(ctx context.Context, st store.Store) error {
	changed, top, err := st.SCIMChanged(ctx, x.seq)
	if err != nil {
		return fmt.Errorf("admission: read SCIM changes since %d: %w", x.seq, err)
	}
	for _, c := range changed {
		if c.Type == store.SCIMGroup {
			if err := x.setGroup(c); err != nil {
				return err
			}
		}
	}
	for _, c := range changed {
		if c.Type == store.SCIMUser {
			if err := x.setUser(c); err != nil {
				return err
			}
		}
	}
	x.seq = top
	return nil
}

func (x *jobIndex) setGroup(g store.SCIMResource) error {
	next := map[string]bool{}
	if !g.Deleted {
		ids, err := connscim.MemberIDs(g)
		if err != nil {
			return err
		}
		next = ids
		g.Doc = nil // only ID and Name are read
		x.groups[g.ID] = g
	} else {
		delete(x.groups, g.ID)
	}
	for id := range x.members[g.ID] {
		if !next[id] {
			delete(x.memberOf[id], g.ID)
			if len(x.memberOf[id]) == 0 {
				delete(x.memberOf, id)
			}
		}
	}
	for id := range next {
		if x.memberOf[id] == nil {
			x.memberOf[id] = map[string]bool{}
		}
		x.memberOf[id][g.ID] = true
	}
	if len(next) == 0 {
		delete(x.members, g.ID)
	} else {
		x.members[g.ID] = next
	}
	return nil
}

// groupsOf are the live Groups listing a user.
func (x *jobIndex) groupsOf(id string) []store.SCIMResource {
	var out []store.SCIMResource
	for gid := range x.memberOf[id] {
		if g, ok := x.groups[gid]; ok {
			out = append(out, g)
		}
	}
	return out
}

// setUser maps a changed User (a tombstone leaves the index). A stored
// User the rules cannot map, or leave out of scope, holds no value.
func (x *jobIndex) setUser(u store.SCIMResource) error {
	if old, ok := x.users[u.ID]; ok {
		drop(x.logins, old.login, u.ID)
		drop(x.emails, old.email, u.ID)
		delete(x.users, u.ID)
	}
	if u.Deleted {
		return nil
	}
	rec, err := connscim.UserRecord(u, x.groupsOf(u.ID))
	if err != nil {
		return err
	}
	mu, _, _ := mapOne(x.rules, rec)
	if mu == nil {
		return nil
	}
	m := mappedUser{login: strings.ToLower(mu.LoginID), email: strings.ToLower(mu.Email)}
	x.users[u.ID] = m
	if m.login != "" {
		x.logins[m.login] = append(x.logins[m.login], u.ID)
	}
	if m.email != "" {
		x.emails[m.email] = append(x.emails[m.email], u.ID)
	}
	return nil
}

// drop removes id from the ids of value, and value when none is left.
func drop(owners map[string][]string, value, id string) {
	ids := owners[value]
	out := ids[:0]
	for _, v := range ids {
		if v != id {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		delete(owners, value)
		return
	}
	owners[value] = out
}

// admissionError turns what check returned into the handler's error: a
// refusal as it is, a store failure as storeError says.
func (h *resources) admissionError(err error, id, name string) error {
	var e scimerrors.ScimError
	if errors.As(err, &e) {
		return e
	}
	return h.storeError(err, id, name)
}
