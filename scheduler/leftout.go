package scheduler

import (
	"context"
	"errors"
	"fmt"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

// ActionLeaveOut is the journal action of a record a run left out because
// it could not be mapped: the entry is failed with the reason, and carries
// the target id when the object is linked. It is never applied.
const ActionLeaveOut change.Action = "leave_out"

// runsSearched bounds how far back HeldBack looks for the last run that
// recorded what it left out.
const runsSearched = 50

// HeldBack returns the records the job's current state leaves out: the
// leave_out entries of its latest run that got as far as planning (a
// succeeded run, or one that journaled something), and that run's id (0
// when there is none). A run that failed before planning (the source
// unreachable) says nothing new, so the one before it is looked at.
func HeldBack(ctx context.Context, st store.Store, job string) ([]mapping.LeftOut, int64, error) {
	runs, err := st.Runs(ctx, job, runsSearched)
	if err != nil {
		return nil, 0, fmt.Errorf("held back records of %s: %w", job, err)
	}
	for _, run := range runs {
		if run.Status == store.RunRunning || run.Status == store.RunDryRun || run.Mode == store.ModeDryRun {
			continue
		}
		if run.Status != store.RunSucceeded && run.Planned == 0 {
			continue
		}
		_, entries, err := st.Run(ctx, run.ID)
		if err != nil {
			return nil, 0, fmt.Errorf("held back records of %s: %w", job, err)
		}
		var out []mapping.LeftOut
		for _, e := range entries {
			if e.Change.Action == ActionLeaveOut {
				out = append(out, mapping.LeftOut{Kind: e.Change.Kind, Key: e.Change.Key, Reason: e.Error})
			}
		}
		return out, run.ID, nil
	}
	return nil, 0, nil
}

// leftOut sorts a build's left-out records for the job: those of kinds the
// job does not sync are dropped; a user whose record says it is
// deactivated or deleted is released (nothing is held for it: a full run
// removes it as a leaver, an incremental one leaves it for the full run);
// the others are held. On an incremental run, what an earlier run held and
// this read did not include is still held (its record did not change).
func (r *Runner) leftOut(ctx context.Context, job *Job, report mapping.Report, records []connectors.Record, partial bool) (held, released []mapping.LeftOut, err error) {
	keep := map[mapping.Kind]bool{}
	for _, k := range job.Kinds {
		keep[k] = true
	}
	synced := func(k mapping.Kind) bool { return len(keep) == 0 || keep[k] }
	for _, l := range report.LeftOut {
		switch {
		case !synced(l.Kind):
		case l.Suspended:
			released = append(released, l)
		default:
			held = append(held, l)
		}
	}
	if !partial {
		return held, released, nil
	}
	earlier, _, err := HeldBack(ctx, r.Store, job.Name)
	if err != nil {
		return nil, nil, err
	}
	read := map[mapping.Kind]map[string]bool{}
	for _, rec := range records {
		if read[rec.Kind] == nil {
			read[rec.Kind] = map[string]bool{}
		}
		read[rec.Kind][rec.Key] = true
	}
	for _, l := range report.LeftOut {
		if read[l.Kind] == nil {
			read[l.Kind] = map[string]bool{}
		}
		read[l.Kind][l.Key] = true
	}
	for _, l := range earlier {
		if !read[l.Kind][l.Key] && synced(l.Kind) {
			held = append(held, l)
		}
	}
	return held, released, nil
}

// protect takes out of the plan every change to what is held: a held
// object is neither created, updated, suspended nor deleted, its
// memberships are left as they are, and an org or group a held, linked
// user is a member of (and the orgs above it) is not deleted. It returns
// the changes it took out.
func protect(p *Plan, held []mapping.LeftOut, actual *mapping.Snapshot, links Links) []change.Change {
	if len(held) == 0 {
		return nil
	}
	keys := map[mapping.Kind]map[string]bool{}
	for _, l := range held {
		if keys[l.Kind] == nil {
			keys[l.Kind] = map[string]bool{}
		}
		keys[l.Kind][l.Key] = true
	}
	// The containers the held users are in, in the target's ids.
	heldIDs := map[string]bool{}
	for key := range keys[mapping.KindUser] {
		if id := links[mapping.KindUser][key]; id != "" {
			heldIDs[id] = true
		}
	}
	inUse := map[mapping.Kind]map[string]bool{mapping.KindOrg: {}, mapping.KindGroup: {}}
	for _, m := range actual.Memberships {
		if heldIDs[m.UserKey] && inUse[m.Kind] != nil {
			inUse[m.Kind][m.ContainerKey] = true
		}
	}
	orgs := actual.OrgIndex()
	for id := range inUse[mapping.KindOrg] {
		for o := orgs[id]; o != nil && o.ParentKey != "" && !inUse[mapping.KindOrg][o.ParentKey]; o = orgs[o.ParentKey] {
			inUse[mapping.KindOrg][o.ParentKey] = true
		}
	}
	var out []change.Change
	kept := p.Changes[:0:0]
	for _, c := range p.Changes {
		drop := keys[c.Kind][c.Key]
		switch {
		case c.Kind == mapping.KindMembership && c.Membership != nil:
			m := c.Membership
			drop = keys[mapping.KindUser][m.UserKey] || keys[m.Kind][m.ContainerKey]
		case c.Action == change.ActionDelete && inUse[c.Kind][c.TargetID]:
			drop = true
		}
		if drop {
			out = append(out, c)
			continue
		}
		kept = append(kept, c)
	}
	p.Changes = kept
	departed := p.Departed[:0:0]
	for _, key := range p.Departed {
		if !keys[mapping.KindUser][key] {
			departed = append(departed, key)
		}
	}
	p.Departed = departed
	return out
}

// countKinds counts left-out records by kind, for the guard.
func countKinds(list []mapping.LeftOut) map[mapping.Kind]int {
	out := map[mapping.Kind]int{}
	for _, l := range list {
		out[l.Kind]++
	}
	return out
}

// journalLeftOut records each held record as a failed leave_out entry
// after the run's planned changes (seq from planned on), so that the run
// says what it left out and why, and the next run knows what is held.
func (r *Runner) journalLeftOut(ctx context.Context, runID int64, planned []change.Change, held []mapping.LeftOut, links Links) error {
	entries := make([]change.Change, 0, len(planned)+len(held))
	entries = append(entries, planned...)
	for _, l := range held {
		entries = append(entries, change.Change{Kind: l.Kind, Action: ActionLeaveOut, Key: l.Key, TargetID: links[l.Kind][l.Key]})
	}
	if err := r.Store.Plan(ctx, runID, entries); err != nil {
		return err
	}
	for i, l := range held {
		if err := r.Store.Failed(ctx, runID, len(planned)+i, errors.New(l.Reason)); err != nil {
			return err
		}
	}
	return nil
}
