package scheduler

import (
	"errors"
	"fmt"
	"strings"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

// Guard defaults, from the issue that introduced the guard: a run may remove
// at most 5% of what orgbridge manages of a kind, and never more than 500.
const (
	DefaultMaxDeleteRatio = 0.05
	DefaultMaxDeleteCount = 500
)

// ErrRefused is wrapped by every guard refusal; the CLI exits 3 on it.
var ErrRefused = errors.New("refused by the safety guard")

// Guard refuses plans that would remove too much.
type Guard struct {
	MaxDeleteRatio float64
	MaxDeleteCount int
}

// Check returns an error wrapping ErrRefused when the plan deletes or
// suspends more than the guard allows, or when the source came back empty
// while orgbridge manages objects in the target.
func (g Guard) Check(p *Plan) error { return g.CheckLeftOut(p, nil) }

// CheckLeftOut is Check for a run that left records out because they
// cannot be mapped (leftOut counts them by kind). A left-out object is
// kept as it is, not removed, but many of them are the same warning as
// many removals (a mapping changed, an export broken): they count with the
// kind's removals, against the larger of the managed objects and the
// records of the kind (desired plus left out), and in the total.
//
// The refusal names every reason with its numbers, not the first found: a
// source that returned one row of twelve is both "no groups" and "9 of
// 11 users would be suspended", and the operator needs both to judge it.
func (g Guard) CheckLeftOut(p *Plan, leftOut map[mapping.Kind]int) error {
	removals := map[mapping.Kind]map[connectors.Action]int{}
	total := 0
	for _, c := range p.Changes {
		if c.Kind == mapping.KindMembership {
			continue
		}
		if c.Action == connectors.ActionDelete || c.Action == connectors.ActionSuspend {
			if removals[c.Kind] == nil {
				removals[c.Kind] = map[connectors.Action]int{}
			}
			removals[c.Kind][c.Action]++
			total++
		}
	}
	if len(p.Departed) > 0 {
		if removals[mapping.KindUser] == nil {
			removals[mapping.KindUser] = map[connectors.Action]int{}
		}
		// A departed referenced user loses its memberships: a suspend in
		// all but name.
		removals[mapping.KindUser][connectors.ActionSuspend] += len(p.Departed)
		total += len(p.Departed)
	}
	for _, n := range leftOut {
		total += n
	}
	var reasons []string
	empty := false
	// A kind the source returned none of while orgbridge manages some is
	// an empty source (a truncated export, a wrong filter), not a decision.
	for _, kind := range []mapping.Kind{mapping.KindUser, mapping.KindOrg, mapping.KindGroup} {
		if p.Desired[kind] != 0 || p.Managed[kind] == 0 || p.Partial {
			continue
		}
		empty = true
		if leftOut[kind] > 0 {
			reasons = append(reasons, fmt.Sprintf("every %s record of the source was left out (%d: they cannot be mapped) while orgbridge manages %d in the target%s",
				kind, leftOut[kind], p.Managed[kind], wouldBe(removals[kind])))
			continue
		}
		reasons = append(reasons, fmt.Sprintf("the source returned no %ss while orgbridge manages %d in the target%s",
			kind, p.Managed[kind], wouldBe(removals[kind])))
	}
	if total > g.MaxDeleteCount {
		what := "deletes and suspends"
		if len(leftOut) > 0 {
			what = "deletes, suspends and left-out records"
		}
		reasons = append(reasons, fmt.Sprintf("%d %s exceed the limit of %d", total, what, g.MaxDeleteCount))
	}
	for _, kind := range []mapping.Kind{mapping.KindOrg, mapping.KindUser, mapping.KindGroup} {
		n, base := 0, p.Managed[kind]
		for _, c := range removals[kind] {
			n += c
		}
		what := "managed " + string(kind) + "s"
		if left := leftOut[kind]; left > 0 {
			n += left
			base = max(base, p.Desired[kind]+left)
			what = fmt.Sprintf("%ss (%d left out: they cannot be mapped)", kind, left)
		}
		if n == 0 || base == 0 {
			continue
		}
		if share := float64(n) / float64(base); share > g.MaxDeleteRatio {
			reasons = append(reasons, fmt.Sprintf("%d of %d %s (%.1f%%) exceed the limit of %.1f%%%s",
				n, base, what, share*100, g.MaxDeleteRatio*100, wouldBe(removals[kind])))
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	advice := "raise guard.max_delete_ratio / guard.max_delete_count, or use --force"
	if empty {
		advice = "an empty source never empties a target: check the source and the mapping, " + advice
	}
	return fmt.Errorf("%w: %s (%s)", ErrRefused, strings.Join(reasons, "; "), advice)
}

// wouldBe says what the plan would do to a kind: ": 9 would be suspended,
// 2 deleted"; empty when it removes none.
func wouldBe(byAction map[connectors.Action]int) string {
	var parts []string
	for _, a := range []connectors.Action{connectors.ActionSuspend, connectors.ActionDelete} {
		if n := byAction[a]; n > 0 {
			verb := "suspended"
			if a == connectors.ActionDelete {
				verb = "deleted"
			}
			if len(parts) == 0 {
				parts = append(parts, fmt.Sprintf("%d would be %s", n, verb))
			} else {
				parts = append(parts, fmt.Sprintf("%d %s", n, verb))
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}
