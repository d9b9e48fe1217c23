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
func (g Guard) CheckLeftOut(p *Plan, leftOut map[mapping.Kind]int) error {
	// A kind the source returned none of while orgbridge manages some is
	// an empty source (a truncated export, a wrong filter), not a decision.
	for _, kind := range []mapping.Kind{mapping.KindUser, mapping.KindOrg, mapping.KindGroup} {
		if p.Desired[kind] == 0 && p.Managed[kind] > 0 && !p.Partial && leftOut[kind] > 0 {
			return fmt.Errorf("%w: every %s record of the source was left out (%d: they cannot be mapped) while orgbridge manages %d in the target (check the mapping and the source, or use --force)", ErrRefused, kind, leftOut[kind], p.Managed[kind])
		}
		if p.Desired[kind] == 0 && p.Managed[kind] > 0 && !p.Partial {
			return fmt.Errorf("%w: the source returned no %ss while orgbridge manages %d in the target; an empty source never empties a target (check the source, or use --force)", ErrRefused, kind, p.Managed[kind])
		}
	}
	removals := map[mapping.Kind]int{}
	total := 0
	for _, c := range p.Changes {
		if c.Kind == mapping.KindMembership {
			continue
		}
		if c.Action == connectors.ActionDelete || c.Action == connectors.ActionSuspend {
			removals[c.Kind]++
			total++
		}
	}
	removals[mapping.KindUser] += len(p.Departed)
	total += len(p.Departed)
	for _, n := range leftOut {
		total += n
	}
	var reasons []string
	if total > g.MaxDeleteCount {
		what := "deletes and suspends"
		if len(leftOut) > 0 {
			what = "deletes, suspends and left-out records"
		}
		reasons = append(reasons, fmt.Sprintf("%d %s exceed the limit of %d", total, what, g.MaxDeleteCount))
	}
	for _, kind := range []mapping.Kind{mapping.KindOrg, mapping.KindUser, mapping.KindGroup} {
		n, base := removals[kind], p.Managed[kind]
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
			reasons = append(reasons, fmt.Sprintf("%d of %d %s (%.1f%%) exceed the limit of %.1f%%", n, base, what, share*100, g.MaxDeleteRatio*100))
		}
	}
	if len(reasons) > 0 {
		return fmt.Errorf("%w: %s (raise guard.max_delete_ratio / guard.max_delete_count, or use --force)", ErrRefused, strings.Join(reasons, "; "))
	}
	return nil
}
