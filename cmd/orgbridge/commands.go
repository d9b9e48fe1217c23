package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scheduler"
)

// jobFlags are the flags of every command that runs a job.
type jobFlags struct {
	config string
	job    string
}

func (f *jobFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.config, "config", "c", "", "config file (required)")
	cmd.Flags().StringVar(&f.job, "job", "", "job to run (default: the only job)")
	_ = cmd.MarkFlagRequired("config")
}

func (a *app) validateCommand() *cobra.Command {
	var f jobFlags
	cmd := &cobra.Command{
		Use:   "validate -c FILE",
		Short: "Check a config: keys, values, templates, connector settings and secrets",
		Long: `validate loads a config strictly (an unknown key is an error), checks every
value, compiles the mapping templates and opens each job's connectors without
network I/O, so that a config that validates fails later only on the data or
on the network. Errors name the file and line or the key.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			file, err := registry.Load(f.config)
			if err != nil {
				return usageError(err)
			}
			var errs []error
			for i := range file.Jobs {
				if _, err := scheduler.OpenJob(cmd.Context(), file, i, nil, a.logger); err != nil {
					errs = append(errs, file.Locate(err))
				}
			}
			if err := errors.Join(errs...); err != nil {
				return usageError(err)
			}
			fmt.Fprintf(a.stdout, "%s: ok (%d job(s))\n", f.config, len(file.Jobs))
			return nil
		},
	}
	cmd.Flags().StringVarP(&f.config, "config", "c", "", "config file (required)")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// loaded is a config with one job opened and the store open.
type loaded struct {
	file  *config.File
	job   *scheduler.Job
	store store.Store
}

func (l *loaded) Close() {
	if l.store != nil {
		_ = l.store.Close()
	}
}

func (a *app) load(ctx context.Context, f jobFlags) (*loaded, error) {
	file, err := registry.Load(f.config)
	if err != nil {
		return nil, usageError(err)
	}
	return a.open(ctx, file, f.job)
}

func (a *app) open(ctx context.Context, file *config.File, jobName string) (*loaded, error) {
	i, err := scheduler.FindJob(file, jobName)
	if err != nil {
		return nil, usageError(err)
	}
	st, err := a.openStore(ctx, file)
	if err != nil {
		return nil, err
	}
	job, err := scheduler.OpenJob(ctx, file, i, st, a.logger)
	if err != nil {
		_ = st.Close()
		return nil, usageError(file.Locate(err))
	}
	return &loaded{file: file, job: job, store: st}, nil
}

// openStore opens the config's state store, SQLite or PostgreSQL as its
// store block says, for every command alike. A PostgreSQL store that cannot
// be reached is a configuration problem (exit 2), and nothing falls back to
// a local file.
func (a *app) openStore(ctx context.Context, file *config.File) (store.Store, error) {
	cfg := store.Config{Driver: file.Store.Driver, Path: file.Store.Path}
	if !filepath.IsAbs(cfg.Path) {
		cfg.Path = filepath.Join(file.Dir, cfg.Path)
	}
	if cfg.Driver == store.DriverPostgres {
		dsn, err := file.Store.DSN.Resolve("store.dsn", file.Dir)
		if err != nil {
			return nil, usageError(fmt.Errorf("%s: %w", file.Path, err))
		}
		cfg.DSN = dsn
	}
	st, err := store.Open(ctx, cfg, a.logger)
	switch {
	case errors.Is(err, store.ErrUnreachable):
		return nil, usageError(fmt.Errorf("%s: store (driver %s): %w", file.Path, cfg.Driver, err))
	case err != nil:
		return nil, failedError(fmt.Errorf("open store: %w", err))
	}
	return st, nil
}

func (a *app) planCommand() *cobra.Command {
	var (
		f           jobFlags
		asJSON      bool
		incremental bool
	)
	cmd := &cobra.Command{
		Use:   "plan -c FILE [--json]",
		Short: "Show what a sync would change, writing nothing",
		Long: `plan reads the source and the target and prints the changes a sync would make:
+ create, ~ update, ! suspend, - delete, = adopt an existing object, with the
changed fields under each update and the counts last. It writes nothing to the
target or the store. Exit code 3 says the safety guard would refuse the plan.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := a.load(cmd.Context(), f)
			if err != nil {
				return err
			}
			defer l.Close()
			runner := &scheduler.Runner{Store: l.store, Logger: a.logger}
			res, err := runner.Plan(cmd.Context(), l.job, incremental)
			if errors.Is(err, scheduler.ErrNotIncremental) {
				return usageError(err)
			}
			if err != nil {
				return failedError(err)
			}
			if asJSON {
				err = scheduler.WriteJSON(a.stdout, l.job.Name, res.Plan, res.Refused)
			} else {
				err = scheduler.WriteText(a.stdout, l.job.Name, res.Plan)
			}
			if err != nil {
				return failedError(err)
			}
			if res.Refused != nil {
				return &exitError{code: exitRefused, err: res.Refused}
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON")
	cmd.Flags().BoolVar(&incremental, "incremental", false, "read only what changed since the last run (an ldap or scim source); remove nothing")
	return cmd
}

func (a *app) syncCommand() *cobra.Command {
	var (
		f    jobFlags
		opts scheduler.RunOptions
	)
	cmd := &cobra.Command{
		Use:   "sync -c FILE [--dry-run] [--force]",
		Short: "Plan, guard and apply a job",
		Long: `sync plans like 'plan', prints the plan, and applies it with a progress
display, journaling each change in the store. The safety guard refuses a run
that would delete or suspend more than guard.max_delete_ratio (default 5%) or
guard.max_delete_count (default 500) of the managed objects, or whose source
came back empty, unless --force is given. --dry-run records the run without
writing to the target.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := a.load(cmd.Context(), f)
			if err != nil {
				return err
			}
			defer l.Close()
			_, err = a.sync(cmd.Context(), l, opts)
			return err
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "plan and record the run, but write nothing to the target")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "apply even if the safety guard refuses")
	cmd.Flags().BoolVar(&opts.Incremental, "incremental", false, "read only what changed since the last run's high-water mark (an ldap or scim source) and remove nothing; the next full run reconciles")
	return cmd
}

// sync runs one job with the plan printed and a progress display.
func (a *app) sync(ctx context.Context, l *loaded, opts scheduler.RunOptions) (*scheduler.RunResult, error) {
	progress := newProgress(a.stderr)
	runner := &scheduler.Runner{
		Store: l.store, Logger: a.logger, Progress: progress.update,
		BeforeApply: func(res *scheduler.RunResult) {
			_ = scheduler.WriteText(a.stdout, l.job.Name, res.Plan)
			progress.start(len(res.Plan.Changes))
		},
	}
	res, err := runner.Sync(ctx, l.job, opts)
	progress.finish()
	switch {
	case errors.Is(err, scheduler.ErrRefused):
		return res, &exitError{code: exitRefused, err: err}
	case errors.Is(err, scheduler.ErrNotIncremental):
		return res, usageError(err)
	case err != nil:
		if res != nil {
			for _, ce := range res.Outcome.Errors {
				fmt.Fprintf(a.stderr, "  failed: %v\n", ce)
			}
		}
		return res, failedError(err)
	}
	switch {
	case opts.DryRun:
		fmt.Fprintf(a.stdout, "dry run: nothing written (run %d)\n", res.RunID)
	case len(res.Plan.Changes) == 0 && len(res.Plan.Adopt) == 0:
	default:
		fmt.Fprintf(a.stdout, "applied %d changes, adopted %d existing objects (run %d)\n", res.Outcome.Applied, len(res.Plan.Adopt), res.RunID)
	}
	a.logger.Debug("sync done", zap.Int64("run_id", res.RunID))
	return res, nil
}
