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
	// readOnly opens the store for reading only (plan): no file created,
	// none migrated.
	readOnly bool
}

func (f *jobFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.config, "config", "c", "", "config file (required)")
	cmd.Flags().StringVar(&f.job, "job", "", "job to run (default: the only job)")
	_ = cmd.MarkFlagRequired("config")
}

func (a *app) validateCommand() *cobra.Command {
	var f jobFlags
	var connect bool
	cmd := &cobra.Command{
		Use:   "validate -c FILE [--connect]",
		Short: "Check a config: keys, values, templates, connector settings and secrets; with --connect, the connections",
		Long: `validate loads a config strictly (an unknown key is an error), checks every
value, compiles the mapping templates and opens each job's connectors without
network I/O, so that a config that validates fails later only on the data or
on the network. It reads the header of a CSV source and checks it has every
column the templates read, and checks what serve needs: its secrets resolve
(admin.token, scim.tokens, a postgres store.dsn) and the SCIM TLS files load.
Errors name the file and line or the key; exit 2 on any.

With --connect it then tests each job as Entra's "Test Connection" does: the
source binds and reads one page (LDAP), or the store is opened (scim); the
target gets a token and reads one page. One line per check, ok or FAIL with
the reason; nothing is written. Exit 0 only when every check passes, 2 when
the config has problems, 1 when a connection check fails.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			file, err := registry.Load(f.config)
			if err != nil {
				return usageError(err)
			}
			offline := a.validateOffline(cmd.Context(), file, !connect)
			if !connect {
				if offline != nil {
					return usageError(offline)
				}
				fmt.Fprintf(a.stdout, "%s: ok (%d job(s))\n", f.config, len(file.Jobs))
				return nil
			}
			n := a.validateConnect(cmd.Context(), a.stdout, file, offline)
			switch {
			case offline != nil:
				return usageError(fmt.Errorf("%s: %d check(s) failed, the config among them", f.config, n))
			case n > 0:
				return failedError(fmt.Errorf("%s: %d check(s) failed", f.config, n))
			}
			fmt.Fprintf(a.stdout, "%s: ok (%d job(s), every check passed)\n", f.config, len(file.Jobs))
			return nil
		},
	}
	cmd.Flags().StringVarP(&f.config, "config", "c", "", "config file (required)")
	cmd.Flags().BoolVar(&connect, "connect", false, "also connect: bind to each source and read one page, get each target's token and read one page")
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
	return a.open(ctx, file, f.job, f.readOnly)
}

func (a *app) open(ctx context.Context, file *config.File, jobName string, readOnly bool) (*loaded, error) {
	i, err := scheduler.FindJob(file, jobName)
	if err != nil {
		return nil, usageError(err)
	}
	// Before the store (nothing created for a run that cannot map a row)
	// and before a row is read.
	if err := a.checkLocal(ctx, file, i); err != nil {
		return nil, err
	}
	open := a.openStore
	if readOnly {
		open = a.openStoreReadOnly
	}
	st, err := open(ctx, file)
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
	return a.openStoreAs(ctx, file, false)
}

// openStoreReadOnly is openStore for a command that writes nothing (plan,
// validate): a SQLite file is neither created nor migrated; where there is
// none yet, the store read is empty (store.OpenSQLiteReadOnly).
func (a *app) openStoreReadOnly(ctx context.Context, file *config.File) (store.Store, error) {
	return a.openStoreAs(ctx, file, true)
}

func (a *app) openStoreAs(ctx context.Context, file *config.File, readOnly bool) (store.Store, error) {
	cfg := store.Config{Driver: file.Store.Driver, Path: file.Store.Path, ReadOnly: readOnly}
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
	case errors.Is(err, store.ErrNeedsMigration):
		return nil, usageError(err)
	case err != nil:
		return nil, failedError(fmt.Errorf("open store: %w", err))
	}
	return st, nil
}

func (a *app) planCommand() *cobra.Command {
	var (
		f           = jobFlags{readOnly: true}
		asJSON      bool
		incremental bool
		out         string
	)
	cmd := &cobra.Command{
		Use:   "plan -c FILE [--json] [--out plan.json]",
		Short: "Show what a sync would change, writing nothing",
		Long: `plan reads the source and the target and prints the changes a sync would make:
+ create, ~ update, ! suspend, - delete, = adopt an existing object, with the
changed fields under each update and the counts last; the number before each
change is its seq. It writes nothing to the target or the store. Exit code 3
says the safety guard would refuse the plan.

--out FILE also saves the plan, with a digest of each object it touches as
the source and the target had it, for 'orgbridge sync --plan FILE' to apply
exactly these changes later (the way to approve a run the guard refuses).`,
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
			if out != "" {
				if err := a.savePlan(out, l, incremental, res); err != nil {
					return err
				}
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
				if out != "" {
					// The saved plan is how the refused run is approved.
					return &exitError{code: exitRefused, err: fmt.Errorf("%w; the plan is saved in %s: 'orgbridge sync -c %s --plan %s' applies it as it is", res.Refused, out, f.config, out)}
				}
				return &exitError{code: exitRefused, err: res.Refused}
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON")
	cmd.Flags().StringVar(&out, "out", "", "also save the plan in this file, for 'sync --plan' to apply")
	cmd.Flags().BoolVar(&incremental, "incremental", false, "read only what changed since the last run (an ldap or scim source); remove nothing")
	return cmd
}

func (a *app) syncCommand() *cobra.Command {
	var (
		f                   jobFlags
		opts                scheduler.RunOptions
		saved, only, except string
	)
	cmd := &cobra.Command{
		Use:   "sync -c FILE [--dry-run] [--force] | sync -c FILE --plan plan.json [--only SEQ,SEQ | --except SEQ,SEQ]",
		Short: "Plan, guard and apply a job",
		Long: `sync plans like 'plan', prints the plan, and applies it with a progress
display, journaling each change in the store. The safety guard refuses a run
that would delete or suspend more than guard.max_delete_ratio (default 5%) or
guard.max_delete_count (default 500) of the managed objects, or whose source
came back empty, unless --force is given. --dry-run records the run without
writing to the target.

--plan FILE applies a plan saved by 'orgbridge plan --out FILE' instead of
planning: exactly its changes (none planned since), or with --only/--except
the seqs given (as plan prints them: 3,5,7-9). It re-reads the source and the
target first and refuses (exit 3), writing nothing, when an object the
applied changes touch changed since the plan was made, naming each one. The
safety guard is not asked: a saved plan is applied because a person read and
approved it. This is how a run the guard refused is approved:

  orgbridge plan -c FILE --out plan.json     # review it
  orgbridge sync -c FILE --plan plan.json`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if saved == "" && (only != "" || except != "") {
				return usageError(errors.New("--only and --except pick changes of a saved plan: give --plan FILE"))
			}
			if saved != "" && (opts.DryRun || opts.Force || opts.Incremental) {
				return usageError(errors.New("--plan applies a saved plan as it was made: --dry-run, --force and --incremental do not apply"))
			}
			var sel scheduler.Selection
			var err error
			if only != "" {
				if sel.Only, err = scheduler.ParseSeqs(only); err != nil {
					return usageError(fmt.Errorf("--only: %w", err))
				}
			}
			if except != "" {
				if sel.Except, err = scheduler.ParseSeqs(except); err != nil {
					return usageError(fmt.Errorf("--except: %w", err))
				}
			}
			l, err := a.load(cmd.Context(), f)
			if err != nil {
				return err
			}
			defer l.Close()
			if saved != "" {
				_, err = a.applySaved(cmd.Context(), l, saved, sel)
				return err
			}
			_, err = a.sync(cmd.Context(), l, opts)
			if errors.Is(err, scheduler.ErrRefused) {
				return &exitError{code: exitRefused, err: fmt.Errorf("%w\nto approve this run, save the plan, review it and apply it as it is (the guard is not asked again):\n  orgbridge plan -c %s --out plan.json\n  orgbridge sync -c %s --plan plan.json", err, f.config, f.config)}
			}
			return err
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "plan and record the run, but write nothing to the target")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "apply even if the safety guard refuses")
	cmd.Flags().BoolVar(&opts.Incremental, "incremental", false, "read only what changed since the last run's high-water mark (an ldap or scim source) and remove nothing; the next full run reconciles")
	cmd.Flags().StringVar(&saved, "plan", "", "apply the plan saved in this file by 'plan --out', without re-planning or the guard")
	cmd.Flags().StringVar(&only, "only", "", "with --plan: apply only these seqs (3,5,7-9)")
	cmd.Flags().StringVar(&except, "except", "", "with --plan: apply every change but these seqs (after --only, if both)")
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
	a.notifyRun(ctx, l, res, err)
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
		if o := res.Outcome; o.Retried > 0 {
			fmt.Fprintf(a.stdout, "%d of them after a transient failure, on %d retry pass(es) at the end of the run; %d found already made (a create whose answer was lost) and adopted\n",
				o.Retried, o.RetryPasses, o.Adopted)
		}
	}
	a.logger.Debug("sync done", zap.Int64("run_id", res.RunID))
	return res, nil
}
