package connectors

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/errkind"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

// Record is a raw entry read by a source; see mapping.Record.
type Record = mapping.Record

// Source reads every record in its scope. A source that fails part-way
// returns an error and no records: a partial read must never look like a
// mass deletion.
type Source interface {
	Read(ctx context.Context) ([]Record, error)
}

// IncrementalSource is a source that can read only what changed since a
// high-water mark (LDAP's uSNChanged, entryCSN or modifyTimestamp; the scim
// source's change sequence in the store).
// ReadChanged with an empty mark reads everything, like Read. The mark it
// returns is opaque: the runner stores it after a successful run and hands
// it back next time. Records of a partial read are complete in themselves:
// a user's record carries all of its memberships.
type IncrementalSource interface {
	Source
	ReadChanged(ctx context.Context, mark string) (records []Record, newMark string, err error)
}

// The change contract, defined in package change (which the planner
// imports without importing any connector) and named here for targets.
type (
	Capabilities = change.Capabilities
	Action       = change.Action
	Change       = change.Change
	FieldChange  = change.FieldChange
	IDs          = change.IDs
)

// The actions of a plan; see package change.
const (
	ActionCreate  = change.ActionCreate
	ActionUpdate  = change.ActionUpdate
	ActionSuspend = change.ActionSuspend
	ActionDelete  = change.ActionDelete
)

// BatchApplier is implemented by targets that take many user creates in one
// call (pcaid's asynchronous import). The executor hands it the user creates
// of a stage when there are at least MinBatch of them.
type BatchApplier interface {
	MinBatch() int
	// ApplyBatch applies the changes and returns one result and one error
	// (nil on success) per change, in order; a per-row failure fails only
	// its change.
	ApplyBatch(ctx context.Context, changes []Change, ids IDs) ([]Result, []error)
}

// GoneIsDone makes a delete whose object is already gone (err wraps
// ErrNotFound) a success: the goal is met. The executor applies it to every
// change, so a target returns a delete's not-found as it is and forgives
// it nowhere itself.
func GoneIsDone(c Change, err error) error {
	if c.Action == ActionDelete && errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// IgnoreNotFound makes the removal of something already gone a success:
// the goal is met. The executor does the same for a delete (GoneIsDone);
// targets use IgnoreNotFound only where a removal is part of a larger
// change (the members removed before their organization, a role set by
// removing and adding back).
func IgnoreNotFound(err error, log *zap.Logger) error {
	if errors.Is(err, ErrNotFound) {
		log.Info("already gone")
		return nil
	}
	return err
}

// Result is what a target reports of an applied change.
type Result struct {
	// TargetID is the id of the object written (the new id on create).
	TargetID string
}

// Target reads and writes one management API.
type Target interface {
	Capabilities() Capabilities
	// Read returns the actual state, keyed by the target's own ids.
	Read(ctx context.Context) (*mapping.Snapshot, error)
	// Apply makes one change.
	Apply(ctx context.Context, c Change, ids IDs) (Result, error)
}

// The errors a target wraps so that callers can tell kinds apart. All but
// ErrUnresolved are defined in internal/errkind, so that the HTTP kit
// (internal/httpkit) makes them without importing a connector.
var (
	ErrNotFound = errkind.ErrNotFound
	ErrConflict = errkind.ErrConflict
	// ErrUnresolved: a change refers to an object that has no target id.
	ErrUnresolved = change.ErrUnresolved
)

type (
	// TransientError marks an error that may succeed if tried again later
	// (a 5xx, a 429 that outlasted its retries, a dropped connection).
	TransientError = errkind.TransientError
	// FieldError is a validation error from a target, naming the field
	// path the API reported (adminUserIds.1).
	FieldError = errkind.FieldError
)

// IsTransient reports whether err is marked transient.
func IsTransient(err error) bool { return errkind.IsTransient(err) }

// Op is one kind of change a target applies: a kind and an action.
type Op struct {
	Kind   mapping.Kind
	Action Action
}

// Handler applies one change for a target of type T. log carries the
// change's kind, action, key and target_id.
type Handler[T any] func(t T, ctx context.Context, c Change, ids IDs, log *zap.Logger) (Result, error)

// Ops is a target's dispatch table: the handler of each (kind, action) it
// applies. Its Apply makes the checks every target makes before a handler
// runs, so that handlers do not repeat them:
//
//   - an Op without a handler is refused: with the reason given to Refuse
//     for its kind, else "action … is not supported for a …" when the kind
//     has other handlers, else "kind … is not held by this target";
//   - a create or an update carries its object (Org, Group, User), and a
//     membership change its Membership;
//   - an update, a suspend or a delete of an org, a group or a user
//     carries its target id (Change.NeedTargetID).
//
// Every error is returned wrapped with the target's name and the change
// ("aircourse: delete org hq: …") and not logged: the executor logs each
// failed change once. A success is logged at debug with its resulting id.
type Ops[T any] struct {
	target   string
	handlers map[Op]Handler[T]
	refused  map[mapping.Kind]string
}

// NewOps returns an empty table for the target named target.
func NewOps[T any](target string) *Ops[T] {
	return &Ops[T]{target: target, handlers: map[Op]Handler[T]{}, refused: map[mapping.Kind]string{}}
}

// On registers h for each of the actions of kind.
func (o *Ops[T]) On(kind mapping.Kind, h Handler[T], actions ...Action) *Ops[T] {
	for _, a := range actions {
		o.handlers[Op{Kind: kind, Action: a}] = h
	}
	return o
}

// Refuse gives the reason a change of each of kinds is refused.
func (o *Ops[T]) Refuse(why string, kinds ...mapping.Kind) *Ops[T] {
	for _, k := range kinds {
		o.refused[k] = why
	}
	return o
}

// Apply checks c, runs its handler with t, and wraps the error.
func (o *Ops[T]) Apply(ctx context.Context, t T, logger *zap.Logger, c Change, ids IDs) (Result, error) {
	log := logger.With(
		zap.String("kind", string(c.Kind)), zap.String("action", string(c.Action)),
		zap.String("key", c.Key), zap.String("target_id", c.TargetID))
	res, err := o.apply(ctx, t, log, c, ids)
	if err != nil {
		return res, fmt.Errorf("%s: %s %s %s: %w", o.target, c.Action, c.Kind, c.Key, err)
	}
	log.Debug("applied", zap.String("result_id", res.TargetID))
	return res, nil
}

func (o *Ops[T]) apply(ctx context.Context, t T, log *zap.Logger, c Change, ids IDs) (Result, error) {
	h := o.handlers[Op{Kind: c.Kind, Action: c.Action}]
	if h == nil {
		return Result{}, o.unsupported(c)
	}
	if err := carries(c); err != nil {
		return Result{}, err
	}
	if c.Kind != mapping.KindMembership && c.Action != ActionCreate {
		if err := c.NeedTargetID(); err != nil {
			return Result{}, err
		}
	}
	return h(t, ctx, c, ids, log)
}

func (o *Ops[T]) unsupported(c Change) error {
	if why, ok := o.refused[c.Kind]; ok {
		return errors.New(why)
	}
	for op := range o.handlers {
		if op.Kind == c.Kind {
			return fmt.Errorf("action %q is not supported for %s", c.Action, withArticle(c.Kind))
		}
	}
	return fmt.Errorf("kind %q is not held by this target", c.Kind)
}

// carries checks that a create or an update carries its object, and a
// membership change its membership.
func carries(c Change) error {
	if c.Kind != mapping.KindMembership && c.Action != ActionCreate && c.Action != ActionUpdate {
		return nil
	}
	var missing bool
	switch c.Kind {
	case mapping.KindOrg:
		missing = c.Org == nil
	case mapping.KindGroup:
		missing = c.Group == nil
	case mapping.KindUser:
		missing = c.User == nil
	case mapping.KindMembership:
		missing = c.Membership == nil
	}
	if missing {
		return fmt.Errorf("change carries no %s", c.Kind)
	}
	return nil
}

func withArticle(k mapping.Kind) string {
	if k == mapping.KindOrg {
		return "an org"
	}
	return "a " + string(k)
}

// Env is what a connector may need besides its own settings.
type Env struct {
	// BaseDir resolves relative paths (files, secrets): the config file's
	// directory.
	BaseDir string
	Logger  *zap.Logger
	// Store is the state store, which the scim source reads; nil when a
	// job is only validated.
	Store store.Store
}

// SourceConfig is a source's own settings block (dex's pattern): its
// package defines the keys, Validate checks them without I/O, and Open
// builds the source (no network I/O: it connects on its first read).
type SourceConfig interface {
	config.Settings
	Open(ctx context.Context, env Env) (Source, error)
	Checker
}

// TargetConfig is a target's own settings block, as SourceConfig.
type TargetConfig interface {
	config.Settings
	Open(ctx context.Context, env Env) (Target, error)
	Checker
}

// OpenSource opens the source a loaded job names. key is the source's path
// in the config ("jobs[0].source"); the errors name keys below it.
func OpenSource(ctx context.Context, src config.Source, key string, env Env) (Source, error) {
	return openBlock[SourceConfig](ctx, "source", src.Type, src.Settings, key, env)
}

// OpenTarget opens the target a loaded job names, as OpenSource.
func OpenTarget(ctx context.Context, tgt config.Target, key string, env Env) (Target, error) {
	return openBlock[TargetConfig](ctx, "target", tgt.Type, tgt.Settings, key, env)
}

// openBlock opens a job's source or target block (part) of type typ: its
// settings, which config.Load decoded into the connector's C, opened with a
// logger, the errors named below key.
func openBlock[C interface {
	Open(context.Context, Env) (T, error)
}, T any](ctx context.Context, part, typ string, settings config.Settings, key string, env Env) (T, error) {
	var zero T
	cfg, ok := settings.(C)
	if !ok {
		return zero, fmt.Errorf("%s: the %q %s's settings were not loaded (config.Load with connectors/registry.Parts)", key, typ, part)
	}
	t, err := cfg.Open(ctx, env.withLogger())
	if err != nil {
		return zero, config.Under(key+"."+typ, err)
	}
	return t, nil
}

// withLogger makes sure a connector gets a logger; each connector scopes it
// with its own source or target field.
func (e Env) withLogger() Env {
	if e.Logger == nil {
		e.Logger = zap.NewNop()
	}
	return e
}

// Finder is implemented by targets that can look up, by natural key, the
// object a create would make: a user by login id or e-mail, an org or a
// group by code or name, as the API allows. The executor asks before it
// retries, at the end of a run, a create that failed with a transient
// error: a POST answered 500 or never answered may have created the
// object, and creating it again would make a duplicate. What is found is
// adopted (linked as if created), what is not is created.
type Finder interface {
	// Find looks up the objects the creates cs would make and returns one
	// Found per change, in order; ids resolves what they refer to (an
	// org's parent, a group's org), as in Apply. A target whose API cannot
	// filter reads the kinds it needs once per call, not once per change.
	Find(ctx context.Context, cs []Change, ids IDs) []Found
}

// Found is what Finder.Find learned of one create: the target id of the
// object that exists ("" when none does), or why the lookup failed.
type Found struct {
	TargetID string
	Err      error
}

// CheckResult is one line of a connection check (`validate --connect`):
// what was checked, and nil or the reason it failed.
type CheckResult struct {
	// Check names what was tried, for a reader: "bind as cn=sync,dc=example,dc=jp".
	Check string
	// Key is the config key the check concerns, below the job
	// ("source.ldap.base_dn", "mapping.users.name"), so that a failure is
	// named with its file and line; empty when it concerns the block.
	Key string
	// Err is nil when the check passed.
	Err error
	// Detail says what a passed check found ("3 users on the first page").
	Detail string
}

// Checker is implemented by a connector's settings (SourceConfig,
// TargetConfig) that can test the connection they describe: a source binds
// or opens and reads one page, a target gets a token and reads one page. It
// writes nothing. A check that cannot go on (no connection) says so once
// and stops; each result is one line of `validate --connect`.
type Checker interface {
	Check(ctx context.Context, env CheckEnv) []CheckResult
}

// LocalChecker is implemented by a connector whose checks need no network
// (a CSV source reads local files): plain `validate` runs them too, so
// that a template naming a column the file lacks fails at validate time,
// once, rather than on every row of a plan.
type LocalChecker interface {
	CheckLocal(ctx context.Context, env CheckEnv) []CheckResult
}

// CheckEnv is what a check needs: the connector's Env and the job's
// mapping (a source checks that its records carry what the templates read).
type CheckEnv struct {
	Env
	Mapping config.Mapping
}

// Failed returns the results that did not pass.
func Failed(results []CheckResult) []CheckResult {
	var out []CheckResult
	for _, r := range results {
		if r.Err != nil {
			out = append(out, r)
		}
	}
	return out
}
