package connectors

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.uber.org/zap"

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
// high-water mark (LDAP's uSNChanged, entryCSN or modifyTimestamp).
// ReadChanged with an empty mark reads everything, like Read. The mark it
// returns is opaque: the runner stores it after a successful run and hands
// it back next time. Records of a partial read are complete in themselves:
// a user's record carries all of its memberships.
type IncrementalSource interface {
	Source
	ReadChanged(ctx context.Context, mark string) (records []Record, newMark string, err error)
}

// Capabilities says what a target holds and how it takes memberships.
type Capabilities struct {
	Orgs   bool `json:"orgs"`
	Users  bool `json:"users"`
	Groups bool `json:"groups"`
	// NestedOrgs: orgs may have a parent other than the target's root.
	NestedOrgs bool `json:"nested_orgs"`
	// CreatesUsers: the target creates users (false: users must exist and
	// are only referenced).
	CreatesUsers bool `json:"creates_users"`
	// SuspendsUsers: a user can be suspended instead of deleted.
	SuspendsUsers bool `json:"suspends_users"`
	// Roles lists the membership roles the target knows.
	Roles []mapping.Role `json:"roles"`
	// OrgMembershipsInUser: a user's org memberships are written as part of
	// the user's own create/update call (AirCourse memberOrganizationIds and
	// adminOrganizationIds), so a new user costs one request.
	OrgMembershipsInUser bool `json:"org_memberships_in_user"`
	// GroupMemberships: memberships of users in groups can be written.
	GroupMemberships bool `json:"group_memberships"`
	// UserAttributes lists the attribute names a user may carry (the
	// target's own field names). Empty means any.
	UserAttributes []string `json:"user_attributes,omitempty"`
	// UserRef, on a target that does not create users, names the user
	// attribute that carries each user's id in the target (tenantadmin's
	// user_id): the planner writes no user, and memberships refer to users
	// by that id.
	UserRef string `json:"user_ref,omitempty"`
}

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

// Action is what a change does.
type Action string

// The actions of a plan. Suspend is an update that suspends a user; it is
// counted by the safety guard like a delete.
const (
	ActionCreate  Action = "create"
	ActionUpdate  Action = "update"
	ActionSuspend Action = "suspend"
	ActionDelete  Action = "delete"
)

// Symbol is the one-character mark a plan prints for the action.
func (a Action) Symbol() string {
	switch a {
	case ActionCreate:
		return "+"
	case ActionUpdate:
		return "~"
	case ActionSuspend:
		return "!"
	case ActionDelete:
		return "-"
	}
	return "?"
}

// FieldChange is one field an update changes, for display and review.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Change is one write to a target. Desired values refer to other objects by
// source key (Org.ParentKey, Group.OrgKey, Membership keys); the target
// resolves them to its own ids through the IDs given to Apply, because an
// object created earlier in the same run has no id at plan time.
type Change struct {
	Action Action       `json:"action"`
	Kind   mapping.Kind `json:"kind"`
	// Key is the source key of the object (for a membership, its ID()).
	Key string `json:"key"`
	// TargetID is the target's id of the object for update, suspend and
	// delete; empty on create.
	TargetID string `json:"target_id,omitempty"`

	Org        *mapping.Org        `json:"org,omitempty"`
	User       *mapping.User       `json:"user,omitempty"`
	Group      *mapping.Group      `json:"group,omitempty"`
	Membership *mapping.Membership `json:"membership,omitempty"`
	// OrgMemberships is the user's whole desired set of org memberships,
	// set on user create/update when the target takes them in the user call.
	OrgMemberships []mapping.Membership `json:"org_memberships,omitempty"`
	// ForeignOrgMemberships are the user's actual org memberships in orgs
	// orgbridge does not manage (made by hand, the target's own), set beside
	// OrgMemberships on a user update. They are in target ids (UserKey and
	// ContainerKey as Read reported them). A target that takes the whole set
	// in the user call sends them along, so that the update never removes
	// a membership orgbridge does not own.
	ForeignOrgMemberships []mapping.Membership `json:"foreign_org_memberships,omitempty"`

	// Diff lists the fields an update changes.
	Diff []FieldChange `json:"diff,omitempty"`

	// Stage orders a plan: every change of a stage is applied before any of
	// the next, and the changes within one stage may run concurrently.
	Stage int `json:"stage"`
}

// NeedTargetID returns an error wrapping ErrUnresolved when a change that
// acts on an existing object (update, suspend, delete) carries no target id.
func (c Change) NeedTargetID() error {
	if c.TargetID == "" {
		return fmt.Errorf("%s needs the target id: %w", c.Action, ErrUnresolved)
	}
	return nil
}

// IgnoreNotFound makes the removal of something already gone a success:
// the goal is met. The executor applies the same rule to deletes; targets
// use it where a removal is part of a larger change.
func IgnoreNotFound(err error, log *zap.Logger) error {
	if errors.Is(err, ErrNotFound) {
		log.Info("already gone")
		return nil
	}
	return err
}

// IDs resolves a source key of a kind to the target's id.
type IDs interface {
	TargetID(kind mapping.Kind, key string) (string, bool)
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

// Sentinel errors a target wraps so that callers can tell kinds apart.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	// ErrUnresolved: a change refers to an object that has no target id.
	ErrUnresolved = errors.New("reference has no target id")
)

// TransientError marks an error that may succeed if tried again later (a
// 5xx, a 429 that outlasted its retries, a dropped connection).
type TransientError struct{ Err error }

func (e *TransientError) Error() string { return e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// IsTransient reports whether err is marked transient.
func IsTransient(err error) bool {
	var t *TransientError
	return errors.As(err, &t)
}

// FieldError is a validation error from a target, naming the field path the
// API reported (adminUserIds.1).
type FieldError struct {
	Status  int
	Message string
	Fields  map[string][]string
}

func (e *FieldError) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	// Every field is named, even where the API's message does not say it.
	var parts []string
	seen := false
	for _, k := range sortedKeys(e.Fields) {
		for _, m := range e.Fields[k] {
			parts = append(parts, k+": "+m)
			seen = seen || m == e.Message
		}
	}
	if !seen && e.Message != "" {
		parts = append([]string{e.Message}, parts...)
	}
	return strings.Join(parts, "; ")
}
