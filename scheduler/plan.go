package scheduler

import (
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/plan"
)

// The planner lives in package plan, which imports no connector; these
// names keep the scheduler's callers as they were.
type (
	// Links maps kind → source key → target id; see plan.Links.
	Links = plan.Links
	// PlanOptions tune the planner; see plan.Options.
	PlanOptions = plan.Options
	// Adoption links a pre-existing target object to a source key.
	Adoption = plan.Adoption
	// Plan is the ordered set of changes that brings a target in step.
	Plan = plan.Plan
)

// Leaver policies; see plan.LeaversSuspend.
const (
	LeaversSuspend = plan.LeaversSuspend
	LeaversDelete  = plan.LeaversDelete
)

// ErrCapability is plan.ErrCapability.
var ErrCapability = plan.ErrCapability

// CheckCapabilities is plan.CheckCapabilities.
func CheckCapabilities(desired *mapping.Snapshot, caps connectors.Capabilities) error {
	return plan.CheckCapabilities(desired, caps)
}

// MakePlan is plan.Make: it diffs desired against actual, with no side
// effects.
func MakePlan(desired, actual *mapping.Snapshot, links Links, caps connectors.Capabilities, opts PlanOptions) (*Plan, error) {
	return plan.Make(desired, actual, links, caps, opts)
}
