package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/mapping"
)

// Sentinel errors, wrapped with context and checked with errors.Is.
var (
	// ErrNotFound: the run or journal entry named does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the call does not fit the state of the run or entry it
	// names (a run planned twice or finished twice, a dry run asked to record
	// an applied change, an applied entry marked failed).
	ErrConflict = errors.New("conflict")
	// ErrDuplicate: a live SCIM User with the same userName (compared
	// case-insensitively) exists.
	ErrDuplicate = errors.New("duplicate")
	// ErrStale: the SCIM resource changed since the version the caller read
	// (optimistic concurrency): re-read it and retry.
	ErrStale = errors.New("stale version")
)

// Link ties a source key of a kind to the target's id of the object
// orgbridge created or adopted for it.
type Link struct {
	Kind     mapping.Kind
	Key      string
	TargetID string
}

// Links maps kind → source key → target id. It satisfies change.IDs.
type Links map[mapping.Kind]map[string]string

var _ change.IDs = Links(nil)

// TargetID returns the target id linked to key of kind. It is safe on a nil
// Links.
func (l Links) TargetID(kind mapping.Kind, key string) (string, bool) {
	id, ok := l[kind][key]
	return id, ok
}

// Set links key of kind to id. Like a map, a nil Links cannot be written:
// make one with make(Links).
func (l Links) Set(kind mapping.Kind, key, id string) {
	m := l[kind]
	if m == nil {
		m = make(map[string]string)
		l[kind] = m
	}
	m[key] = id
}

// Len returns the number of links of every kind.
func (l Links) Len() int {
	n := 0
	for _, m := range l {
		n += len(m)
	}
	return n
}

// RunStatus is the state of a run.
type RunStatus string

// The states of a run. A run starts as RunRunning and ends in one of the
// others.
const (
	RunRunning     RunStatus = "running"
	RunSucceeded   RunStatus = "succeeded"
	RunFailed      RunStatus = "failed"
	RunRefused     RunStatus = "refused" // the guard refused the plan
	RunInterrupted RunStatus = "interrupted"
	RunDryRun      RunStatus = "dry_run"
)

// Final reports whether s is a status a run may end in.
func (s RunStatus) Final() bool {
	switch s {
	case RunSucceeded, RunFailed, RunRefused, RunInterrupted, RunDryRun:
		return true
	}
	return false
}

// The modes of a run.
const (
	ModeFull        = "full"
	ModeIncremental = "incremental"
	ModeDryRun      = "dry_run"
)

// ValidMode reports whether mode is one of ModeFull, ModeIncremental and
// ModeDryRun.
func ValidMode(mode string) bool {
	return mode == ModeFull || mode == ModeIncremental || mode == ModeDryRun
}

// Run is one run of a job.
type Run struct {
	ID     int64
	Job    string
	Mode   string // ModeFull, ModeIncremental or ModeDryRun
	Status RunStatus
	// StartedAt and FinishedAt are UTC; FinishedAt is zero while running.
	StartedAt, FinishedAt time.Time
	// Planned is the number of journal entries; Applied and Failed count the
	// entries in those states and are kept up to date as entries change.
	Planned, Applied, Failed int
	Summary                  string
	Error                    string
	// Decision is what became of a refused run's held plan: who approved
	// or rejected it and when; zero while undecided (or never held).
	Decision Decision
}

// Decision is a person's verdict on a held plan.
type Decision struct {
	// Verdict is DecisionApproved or DecisionRejected; "" when undecided.
	Verdict string
	// By names who decided: the admin listener's Basic auth user name,
	// or "api" for a bearer token.
	By string
	// At is when (UTC, at the store's precision).
	At time.Time
}

// The verdicts of a Decision.
const (
	DecisionApproved = "approved"
	DecisionRejected = "rejected"
)

// EntryStatus is the state of a journal entry.
type EntryStatus string

// The states of a journal entry. An entry is written pending by Plan and
// moves to applied or failed; a failed entry may later be applied (a retry),
// an applied entry never becomes failed.
const (
	EntryPending EntryStatus = "pending"
	EntryApplied EntryStatus = "applied"
	EntryFailed  EntryStatus = "failed"
)

// JournalEntry is one planned change of a run.
type JournalEntry struct {
	RunID int64
	// Seq is the index of the change in the slice given to Plan (from 0).
	Seq    int
	Change change.Change
	Status EntryStatus
	// TargetID is the target's id of the object: Change.TargetID until the
	// entry is applied, then the id Applied recorded.
	TargetID  string
	Error     string
	UpdatedAt time.Time // UTC
}

// The types of SCIM resources the store keeps.
const (
	SCIMUser  = "User"
	SCIMGroup = "Group"
)

// SCIMResource is one resource pushed by an identity provider to orgbridge's
// SCIM server.
type SCIMResource struct {
	Type       string // SCIMUser or SCIMGroup
	ID         string // the server-assigned id (a UUID made by the caller)
	ExternalID string
	// Name is userName for a User (unique among live Users, compared
	// case-insensitively: strings.ToLower of both, Unicode-aware) and
	// displayName for a Group (not unique).
	Name string
	// Doc is the resource's attributes as JSON (opaque to the store).
	Doc []byte
	// Version is 1 after create and grows by one with each update.
	Version int64
	// Seq is the store-wide change sequence of the resource's last write,
	// delete or touch; it only grows, across all resources and types, and is
	// never reused.
	Seq int64
	// Deleted marks a tombstone left by SCIMDelete.
	Deleted bool
	// Created and Modified are UTC.
	Created, Modified time.Time
}

// Store keeps, per job, the links between source keys and target ids, the
// journal of each run's changes and the run history. Every method is safe
// for concurrent use.
type Store interface {
	// Links returns every link of the job; an unknown job has none.
	Links(ctx context.Context, job string) (Links, error)
	// StartRun records a new run as running and returns its id. Ids grow
	// with each run and are never reused.
	StartRun(ctx context.Context, job, mode string) (int64, error)
	// Plan writes every planned change of the run as a pending journal
	// entry, in one transaction; entry Seq is the change's index in changes.
	// The run must be running and not yet planned (else ErrConflict).
	Plan(ctx context.Context, runID int64, changes []change.Change) error
	// Applied marks entry seq applied and, in the same transaction, records
	// the link change it implies: create, update and suspend link the
	// change's kind/key to targetID (for update and suspend, an empty
	// targetID means the change's own TargetID); delete removes the link.
	// Membership changes store no link. Applying an entry twice is harmless;
	// a failed entry may be applied (a retry). A dry run's entries cannot be
	// applied (ErrConflict).
	Applied(ctx context.Context, runID int64, seq int, targetID string) error
	// Failed marks entry seq failed with err's message. An applied entry
	// cannot fail (ErrConflict).
	Failed(ctx context.Context, runID int64, seq int, err error) error
	// Adopt links pre-existing target objects matched by the planner (no
	// write to the target happened), all or none, replacing any link of the
	// same kind/key. Membership links are refused.
	Adopt(ctx context.Context, job string, links []Link) error
	// Mark returns the job's high-water mark ("" when it has none): where
	// the next incremental read of its source starts.
	Mark(ctx context.Context, job string) (string, error)
	// SetMark records the job's high-water mark after a successful run.
	SetMark(ctx context.Context, job, mark string) error
	// Forget removes the links of the given kind and keys (a referenced
	// user who left the source and whose memberships are gone). Keys that
	// have no link are ignored.
	Forget(ctx context.Context, job string, kind mapping.Kind, keys []string) error
	// FinishRun ends a running run with a final status (ErrConflict if the
	// run has already ended).
	FinishRun(ctx context.Context, runID int64, status RunStatus, summary string, runErr error) error
	// Interrupted finds runs of the job (every job if job is "") still
	// marked running, as a crash leaves them, marks them interrupted and
	// returns them, oldest first, with their pending entries ordered by run
	// and seq. Call it before starting runs: the store cannot tell a crashed
	// run from one another process is running.
	Interrupted(ctx context.Context, job string) ([]Run, []JournalEntry, error)
	// Runs returns the job's runs (every job's if job is ""), newest first,
	// at most limit of them (all if limit <= 0).
	Runs(ctx context.Context, job string, limit int) ([]Run, error)
	// Run returns one run with all its entries ordered by seq; ErrNotFound
	// (wrapped) if there is no such run.
	Run(ctx context.Context, id int64) (Run, []JournalEntry, error)
	// ObjectJournal returns the journal entries of one object of the job
	// (kind and source key, as a change names it), each with its run's
	// mode, status and start, newest first (by run, then seq), at most
	// limit of them (all if limit <= 0). An object never journaled has
	// none.
	ObjectJournal(ctx context.Context, job string, kind mapping.Kind, key string, limit int) ([]ObjectEntry, error)

	// SCIM resources. Type must be SCIMUser or SCIMGroup; a resource is
	// identified by type and id. An unknown type, and for SCIMCreate and
	// SCIMUpdate an empty ID or Name, is refused with an error naming the
	// argument (no sentinel). Every write takes a new Seq; writes commit in
	// Seq order, so a reader that has seen Seq n has seen every write up to
	// n.

	// SCIMCreate stores a new resource: Version 1, a new Seq, Created and
	// Modified now (UTC; Created is the caller's, in UTC, if set). The
	// caller's Version, Seq and Deleted are ignored. ErrDuplicate (wrapped)
	// for a User whose Name is taken by a live User; ErrConflict (wrapped)
	// if the type/id exists (live or tombstone). Returns the stored
	// resource.
	SCIMCreate(ctx context.Context, res SCIMResource) (SCIMResource, error)
	// SCIMUpdate replaces ExternalID, Name and Doc of the live resource
	// res.Type/res.ID if its current Version equals version; the stored
	// Version becomes version+1, Seq a new sequence, Modified now (Created
	// is kept). In the same transaction it touches the live Users whose ids
	// are in touch: their Seq becomes the same new sequence, nothing else
	// changes; unknown or deleted ids are ignored. ErrNotFound if missing or
	// deleted, ErrStale if the version differs, ErrDuplicate as for create
	// (all wrapped, checked in that order). Returns the stored resource.
	SCIMUpdate(ctx context.Context, res SCIMResource, version int64, touch []string) (SCIMResource, error)
	// SCIMDelete turns the live resource into a tombstone (Deleted, a new
	// Seq, Modified now; Version and Doc kept) and touches the Users in
	// touch as SCIMUpdate does, in one transaction. ErrNotFound (wrapped) if
	// missing or already deleted. A tombstoned User's name no longer blocks
	// a new User with that name; its id stays taken.
	SCIMDelete(ctx context.Context, typ, id string, touch []string) error
	// SCIMGet returns the live resource; ErrNotFound (wrapped) if missing or
	// deleted.
	SCIMGet(ctx context.Context, typ, id string) (SCIMResource, error)
	// SCIMList returns every live resource of the type, ordered by Created
	// then ID.
	SCIMList(ctx context.Context, typ string) ([]SCIMResource, error)
	// SCIMFind returns the live resources of the type whose field equals
	// value (SCIMByName compares case-insensitively, as userName is),
	// ordered by Created then ID, through an index: the lookup identity
	// providers make before each create.
	SCIMFind(ctx context.Context, typ string, field SCIMField, value string) ([]SCIMResource, error)
	// SCIMQuery returns one page of the live resources of the type that
	// match where (nil: every one), ordered by Created then ID: the first
	// offset are skipped and at most limit returned (limit 0: none), with
	// the number of them that match in all. Every condition is answered
	// by an index the writes keep (see scimindex.go), so a page costs
	// about the same at any offset and collection size. A condition the
	// store cannot answer (an unknown attribute or operator, co or ew on
	// a case-exact attribute) is refused with an error naming it.
	SCIMQuery(ctx context.Context, typ string, where *SCIMFilter, offset, limit int) ([]SCIMResource, int, error)
	// SCIMChanged returns every resource of any type, tombstones included,
	// whose Seq is greater than since, ordered by Seq then Type then ID, and
	// the highest Seq in the store: since itself if nothing is newer (0 on
	// an empty store; a negative since counts as 0). Both come from one
	// snapshot.
	SCIMChanged(ctx context.Context, since int64) ([]SCIMResource, int64, error)

	// Held plans: plans the guard refused, kept until someone approves or
	// rejects them, so that they outlive a restart and every replica
	// sharing the store lists them.

	// HoldPlan keeps p, replacing the job's earlier held plan if any (a job
	// holds one plan: its latest refusal). p.RunID must name a run of the
	// store (the refused one); Job and Plan must be set.
	HoldPlan(ctx context.Context, p HeldPlan) error
	// HeldPlans lists the held plans of the job (every job's if job is
	// ""), oldest run first.
	HeldPlans(ctx context.Context, job string) ([]HeldPlan, error)
	// TakeHeldPlan removes the held plan of run runID and returns it, in
	// one statement, so that of two callers (two replicas, two clicks)
	// one takes it and the other gets ErrNotFound (wrapped). In the same
	// transaction it records d on the run (Run.Decision), d.At defaulting
	// to now.
	TakeHeldPlan(ctx context.Context, runID int64, d Decision) (HeldPlan, error)
	// DropHeldPlans removes the job's held plans (a later run succeeded:
	// what they held is stale).
	DropHeldPlans(ctx context.Context, job string) error

	// Close releases the store. It is safe to call more than once.
	Close() error
}

// HeldPlan is a plan the guard refused, held for approval.
type HeldPlan struct {
	// RunID is the refused run's id.
	RunID int64
	Job   string
	// At is when the plan was held (UTC, at the store's precision).
	At      time.Time
	Summary string
	// Reason is the guard's verdict.
	Reason string
	// Plan is the plan as JSON (the scheduler's saved plan), opaque to the
	// store.
	Plan []byte
}

// SCIMField names a column SCIMFind looks resources up by.
type SCIMField string

// The fields SCIMFind takes.
const (
	SCIMByID         SCIMField = "id"
	SCIMByExternalID SCIMField = "external_id"
	SCIMByName       SCIMField = "name_key"
)

// scimFindWhere is the condition of a SCIMFind on field and the value to
// bind: names are matched on their lower-cased key.
func scimFindWhere(field SCIMField, value string) (column, bound string, err error) {
	switch field {
	case SCIMByID, SCIMByExternalID:
		return string(field), value, nil
	case SCIMByName:
		return string(field), strings.ToLower(value), nil
	}
	return "", "", fmt.Errorf("%q is not a SCIM lookup field", field)
}

// sortSCIM orders a lookup's few results as SCIMList orders: by Created,
// then ID. Sorting them here rather than in SQL keeps the planner on the
// lookup's index instead of the index that would spare it the sort.
func sortSCIM(list []SCIMResource) {
	sort.Slice(list, func(i, j int) bool {
		if !list[i].Created.Equal(list[j].Created) {
			return list[i].Created.Before(list[j].Created)
		}
		return list[i].ID < list[j].ID
	})
}

// SCIMFilter is a condition SCIMQuery answers from the store's index of
// SCIM attributes: a comparison (Op eq, sw, co, ew, gt, ge, lt, le or pr
// on Attr) or a combination of conditions (and and or of two or more
// Args, not of one). It is SCIM's filter (RFC 7644 §3.4.2.2) narrowed to
// what identity providers send; the endpoint translates what fits and
// evaluates the rest itself.
//
// Values compare as RFC 7643 says of each attribute: userName,
// displayName and emails (their value) lower-cased (caseExact false),
// by the bytes of the UTF-8 for gt/ge/lt/le; id and externalId exactly;
// an empty externalId is absent (so matches nothing but not). Created and
// Modified compare Time (eq, gt, ge, lt, le) at the store's precision.
type SCIMFilter struct {
	Op   SCIMOp
	Attr SCIMAttr
	// Tag narrows emails to the elements whose type equals it
	// case-insensitively (the value path emails[type eq "work" and
	// value eq "…"]); "" is any element.
	Tag   string
	Value string
	Time  time.Time
	Args  []*SCIMFilter
}

// SCIMOp is an operator of SCIMFilter.
type SCIMOp string

// The operators of SCIMFilter.
const (
	SCIMEq  SCIMOp = "eq"
	SCIMSw  SCIMOp = "sw"
	SCIMCo  SCIMOp = "co"
	SCIMEw  SCIMOp = "ew"
	SCIMGt  SCIMOp = "gt"
	SCIMGe  SCIMOp = "ge"
	SCIMLt  SCIMOp = "lt"
	SCIMLe  SCIMOp = "le"
	SCIMPr  SCIMOp = "pr"
	SCIMAnd SCIMOp = "and"
	SCIMOr  SCIMOp = "or"
	SCIMNot SCIMOp = "not"
)

// SCIMAttr is an attribute SCIMFilter compares.
type SCIMAttr string

// The attributes of SCIMFilter. Emails is each element's value.
const (
	SCIMAttrID          SCIMAttr = "id"
	SCIMAttrExternalID  SCIMAttr = "externalId"
	SCIMAttrUserName    SCIMAttr = "userName"
	SCIMAttrDisplayName SCIMAttr = "displayName"
	SCIMAttrEmails      SCIMAttr = "emails"
	SCIMAttrCreated     SCIMAttr = "meta.created"
	SCIMAttrModified    SCIMAttr = "meta.lastModified"
)
