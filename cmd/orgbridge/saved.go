package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/orgbridge/orgbridge/scheduler"
)

// configID is how a saved plan names its config: the file's absolute
// path, so that the same file named another way is the same config.
func configID(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// savePlan writes the plan of res to path for 'sync --plan'. The file is
// written whole or not at all (a temp file renamed), so a reviewer never
// approves half a plan.
func (a *app) savePlan(path string, l *loaded, incremental bool, res *scheduler.RunResult) error {
	sp := scheduler.NewSavedPlan(l.job.Name, configID(l.file.Path), incremental, res, time.Now())
	tmp, err := os.CreateTemp(filepath.Dir(path), ".plan-*.json")
	if err != nil {
		return failedError(fmt.Errorf("save the plan: %w", err))
	}
	defer os.Remove(tmp.Name())
	if err := scheduler.WriteSaved(tmp, sp); err != nil {
		_ = tmp.Close()
		return failedError(fmt.Errorf("save the plan in %s: %w", path, err))
	}
	if err := tmp.Close(); err != nil {
		return failedError(fmt.Errorf("save the plan in %s: %w", path, err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return failedError(fmt.Errorf("save the plan in %s: %w", path, err))
	}
	fmt.Fprintf(a.stderr, "plan saved in %s (%d changes): apply it with 'orgbridge sync -c %s --plan %s'\n", path, len(sp.Plan.Changes), l.file.Path, path)
	return nil
}

// applySaved applies the plan saved in path (all of it, or the seqs sel
// picks) with the plan printed and a progress display.
func (a *app) applySaved(ctx context.Context, l *loaded, path string, sel scheduler.Selection) (*scheduler.RunResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError(fmt.Errorf("--plan: %w", err))
	}
	sp, err := scheduler.ReadSaved(f)
	_ = f.Close()
	if err != nil {
		return nil, usageError(fmt.Errorf("%s: %w", path, err))
	}
	if err := sp.CheckFor(configID(l.file.Path), l.job.Name); err != nil {
		return nil, usageError(fmt.Errorf("%s: %w", path, err))
	}
	seqs, err := sp.Seqs(sel)
	if err != nil {
		return nil, usageError(fmt.Errorf("%s: %w", path, err))
	}
	progress := newProgress(a.stderr)
	runner := &scheduler.Runner{
		Store: l.store, Logger: a.logger, Progress: progress.update,
		BeforeApply: func(res *scheduler.RunResult) {
			fmt.Fprintf(a.stdout, "applying the plan saved in %s (made %s)\n", path, sp.Made.Local().Format(time.RFC3339))
			_ = scheduler.WriteTextSeqs(a.stdout, l.job.Name, res.Plan, seqs)
			progress.start(len(res.Plan.Changes))
		},
	}
	res, err := runner.ApplySaved(ctx, l.job, sp, sel)
	progress.finish()
	switch {
	case errors.Is(err, scheduler.ErrDrift):
		return res, &exitError{code: exitRefused, err: err}
	case errors.Is(err, scheduler.ErrSavedPlan):
		return res, usageError(fmt.Errorf("%s: %w", path, err))
	case err != nil:
		if res != nil {
			for _, ce := range res.Outcome.Errors {
				fmt.Fprintf(a.stderr, "  failed: %v\n", ce)
			}
		}
		return res, failedError(err)
	}
	fmt.Fprintf(a.stdout, "applied %d of the saved plan's %d changes, adopted %d existing objects (run %d)\n",
		res.Outcome.Applied, len(sp.Plan.Changes), len(res.Plan.Adopt), res.RunID)
	return res, nil
}
