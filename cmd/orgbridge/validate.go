package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scheduler"
)

// validateOffline checks what can be checked without a network: each
// job's connectors open (settings, secrets, files named), the local
// checks (a CSV header has every column the templates read), and what
// `serve` will need (its secrets resolve, its TLS files load); without
// local, not the local checks (--connect runs them as its own lines). Every
// problem, each with its file and line; nil when there are none.
func (a *app) validateOffline(ctx context.Context, file *config.File, local bool) error {
	var errs []error
	for i := range file.Jobs {
		if _, err := scheduler.OpenJob(ctx, file, i, nil, a.logger); err != nil {
			errs = append(errs, file.Locate(err))
			continue
		}
		if !local {
			continue
		}
		env := connectors.Env{BaseDir: file.Dir, Logger: a.logger}
		for _, l := range connectors.CheckJob(ctx, file.Jobs[i], fmt.Sprintf("jobs[%d]", i), false, env) {
			if err := l.Error(); err != nil {
				errs = append(errs, file.Locate(err))
			}
		}
	}
	if err := file.CheckServe(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkLocal runs job i's local checks (a CSV header against the columns
// its templates read) before a plan or sync reads a row: a template naming
// a column the file lacks is one usage error naming the template's key and
// the header, where the mapping would fail it once per row. nil when they
// pass.
func (a *app) checkLocal(ctx context.Context, file *config.File, i int) error {
	env := connectors.Env{BaseDir: file.Dir, Logger: a.logger}
	var errs []error
	for _, l := range connectors.CheckJob(ctx, file.Jobs[i], fmt.Sprintf("jobs[%d]", i), false, env) {
		if err := l.Error(); err != nil {
			errs = append(errs, file.Locate(err))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return usageError(errors.Join(errs...))
}

// validateConnect runs validate's checks and then connects: each job's
// source binds or opens and reads one page, its target gets a token and
// reads one page. It prints one line per check to w, "ok" or "FAIL" with
// the reason, and returns the number that failed. Nothing is written.
func (a *app) validateConnect(ctx context.Context, w io.Writer, file *config.File, offline error) int {
	failed := 0
	line := func(ok bool, what, detail string) {
		mark := "ok  "
		if !ok {
			mark = "FAIL"
			failed++
		}
		if detail != "" {
			what += ": " + detail
		}
		fmt.Fprintf(w, "%s %s\n", mark, what)
	}
	for _, err := range config.SplitErrors(offline) {
		line(false, "config", err.Error())
	}
	if offline == nil {
		line(true, "config", "keys, templates, secrets and TLS files")
	}
	// Read-only: validate writes nothing, not even a new store file or a
	// migration of an older one (sync does both).
	st, err := a.openStoreReadOnly(ctx, file)
	switch {
	case errors.Is(err, store.ErrNeedsMigration):
		line(true, "store "+file.Store.Driver, err.Error())
	case err != nil:
		line(false, "store "+file.Store.Driver, err.Error())
	default:
		defer st.Close()
		line(true, "store "+file.Store.Driver, storeDetail(file))
	}
	var env connectors.Env
	if err == nil {
		env.Store = st
	}
	env.BaseDir, env.Logger = file.Dir, a.logger
	for i, job := range file.Jobs {
		for _, l := range connectors.CheckJob(ctx, job, fmt.Sprintf("jobs[%d]", i), true, env) {
			what := fmt.Sprintf("job %s: %s: %s", l.Job, l.Part, l.Check)
			if err := l.Error(); err != nil {
				at := ""
				if l.Key != "" {
					at = locatedAt(file, err)
				}
				line(false, what, l.Err.Error()+at)
				continue
			}
			line(true, what, l.Detail)
		}
	}
	return failed
}

// storeDetail says what validate's read-only open found: a SQLite file that
// does not exist yet is read as an empty store, which the first sync
// creates.
func storeDetail(file *config.File) string {
	if file.Store.Driver != "" && file.Store.Driver != store.DriverSQLite {
		return "opened"
	}
	path := file.Store.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(file.Dir, path)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "opened (no file yet at " + path + ": the first sync creates it)"
	}
	return "opened"
}

// locatedAt is " (file:line key)" of a check's config key.
func locatedAt(file *config.File, err error) string {
	var fe *config.FieldError
	if !errors.As(file.Locate(err), &fe) || fe.Line == 0 {
		return ""
	}
	return fmt.Sprintf(" (%s:%d %s)", fe.File, fe.Line, fe.Key)
}
