package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scheduler"
)

func (a *app) explainCommand() *cobra.Command {
	var (
		f       jobFlags
		asJSON  bool
		journal int
	)
	cmd := &cobra.Command{
		Use:   "explain -c FILE [--job J] [--json] KEY|LOGIN|MAIL",
		Short: "Say why one user, org or group is as it is, writing nothing",
		Long: `explain names one object (a user by source key, login id or e-mail; an org or
group by key, code or name; each compared case-insensitively) and prints, in
sections: the source record(s) behind it and their attributes; each mapped
field with the template that produced it and the config line; its link to
the target; the target's object as it stands (the whole target is read);
what a sync would change for it now, and why; and its last journal entries.

It writes nothing: not to the target, not to the store (a SQLite store that
does not exist yet is not created: there is then no link and no journal).
Exit 0 when found, 1 when nothing matches (the closest names are listed) or
a source or target fails, 2 for a config problem.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			file, err := registry.Load(f.config)
			if err != nil {
				return usageError(err)
			}
			i, err := scheduler.FindJob(file, f.job)
			if err != nil {
				return usageError(err)
			}
			st, noStore, err := a.openStoreForExplain(ctx, file)
			if err != nil {
				return err
			}
			defer st.Close()
			job, err := scheduler.OpenJob(ctx, file, i, st, a.logger)
			if err != nil {
				return usageError(file.Locate(err))
			}
			runner := &scheduler.Runner{Store: st, Logger: a.logger}
			e, err := runner.Explain(ctx, job, args[0], scheduler.ExplainOptions{File: file, Journal: journal, NoStore: noStore})
			if err != nil {
				return failedError(err)
			}
			if asJSON {
				err = scheduler.WriteExplanationJSON(a.stdout, e)
			} else {
				err = scheduler.WriteExplanationText(a.stdout, e)
			}
			if err != nil {
				return failedError(err)
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the explanation as JSON")
	cmd.Flags().IntVar(&journal, "journal", scheduler.DefaultExplainJournal, "how many of the object's journal entries to list")
	return cmd
}

// openStoreForExplain opens the config's store, except a SQLite file that
// does not exist yet: explain creates nothing, so it reads an empty
// in-memory store instead and says why there is no journal.
func (a *app) openStoreForExplain(ctx context.Context, file *config.File) (store.Store, string, error) {
	if file.Store.Driver == "" || file.Store.Driver == store.DriverSQLite {
		path := file.Store.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(file.Dir, path)
		}
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			st, err := store.OpenSQLite(ctx, ":memory:", a.logger)
			if err != nil {
				return nil, "", failedError(fmt.Errorf("open an empty store: %w", err))
			}
			return st, fmt.Sprintf("no store yet (%s does not exist): nothing is linked or journaled", file.Store.Path), nil
		}
	}
	st, err := a.openStore(ctx, file)
	return st, "", err
}
