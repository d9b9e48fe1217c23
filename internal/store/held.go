package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const heldColumns = `run_id, job, held_at, summary, reason, plan`

func scanHeld(sc scanner) (HeldPlan, error) {
	var p HeldPlan
	var plan string
	if err := sc.Scan(&p.RunID, &p.Job, (*scanTime)(&p.At), &p.Summary, &p.Reason, &plan); err != nil {
		return HeldPlan{}, err
	}
	p.Plan = []byte(plan)
	return p, nil
}

// HoldPlan implements Store.
func (s *sqlStore) HoldPlan(ctx context.Context, p HeldPlan) error {
	if p.Job == "" || len(p.Plan) == 0 {
		return errors.New("store: hold plan: empty job or plan")
	}
	at := s.now()
	err := s.write(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM held_plans WHERE job = $1`, p.Job); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO held_plans (`+heldColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			p.RunID, p.Job, s.d.timeArg(at), s.d.text(p.Summary), s.d.text(p.Reason), string(p.Plan))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: hold the plan of run %d (job %q): %w", p.RunID, p.Job, err)
	}
	return nil
}

// HeldPlans implements Store.
func (s *sqlStore) HeldPlans(ctx context.Context, job string) ([]HeldPlan, error) {
	var list []HeldPlan
	var err error
	if job == "" {
		list, err = queryAll(ctx, s.r, scanHeld, `SELECT `+heldColumns+` FROM held_plans ORDER BY run_id`)
	} else {
		list, err = queryAll(ctx, s.r, scanHeld, `SELECT `+heldColumns+` FROM held_plans WHERE job = $1 ORDER BY run_id`, job)
	}
	if err != nil {
		return nil, fmt.Errorf("store: list held plans of job %q: %w", job, err)
	}
	return list, nil
}

// TakeHeldPlan implements Store: DELETE … RETURNING, so that the row goes
// to exactly one caller.
func (s *sqlStore) TakeHeldPlan(ctx context.Context, runID int64, d Decision) (HeldPlan, error) {
	switch d.Verdict {
	case DecisionApproved, DecisionRejected:
	default:
		return HeldPlan{}, fmt.Errorf("store: take the held plan of run %d: verdict %q: approved or rejected", runID, d.Verdict)
	}
	if d.At.IsZero() {
		d.At = s.now()
	}
	var p HeldPlan
	err := s.write(ctx, func(tx *txn) error {
		var err error
		p, err = scanHeld(tx.QueryRowContext(ctx, `DELETE FROM held_plans WHERE run_id = $1 RETURNING `+heldColumns, runID))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE runs SET decision = $1, decided_by = $2, decided_at = $3 WHERE id = $4`,
			d.Verdict, s.d.text(d.By), s.d.timeArg(d.At), runID)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return HeldPlan{}, fmt.Errorf("store: take the held plan of run %d: %w", runID, ErrNotFound)
	}
	if err != nil {
		return HeldPlan{}, fmt.Errorf("store: take the held plan of run %d: %w", runID, err)
	}
	return p, nil
}

// DropHeldPlans implements Store.
func (s *sqlStore) DropHeldPlans(ctx context.Context, job string) error {
	if job == "" {
		return errors.New("store: drop held plans: empty job name")
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM held_plans WHERE job = $1`, job); err != nil {
		return fmt.Errorf("store: drop held plans of job %q: %w", job, err)
	}
	return nil
}
