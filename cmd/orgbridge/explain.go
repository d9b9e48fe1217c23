package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
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
				err = writeExplanationJSON(a.stdout, e)
			} else {
				err = writeExplanation(a.stdout, e)
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

func writeExplanationJSON(w io.Writer, e *scheduler.Explanation) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(e)
}

// writeExplanation prints an explanation in its sections, one fact a line.
func writeExplanation(w io.Writer, e *scheduler.Explanation) error {
	p := &linePrinter{w: w}
	name := e.Key
	if name == "" {
		name = "(not managed)"
	}
	p.f("job %s: %s %s (found by %s %q)\n", e.Job, e.Kind, name, e.MatchedBy, e.Query)

	p.f("\nSource\n")
	for _, s := range e.Source {
		p.f("  %s  key=%s  %s\n", s.Origin, s.Key, s.Status)
		for _, at := range s.Attributes {
			p.f("    %s = %q\n", at.Name, at.Value)
		}
	}
	if e.SourceNote != "" {
		p.f("  %s\n", e.SourceNote)
	}

	if len(e.Mapping) > 0 {
		p.f("\nMapping\n")
		for _, m := range e.Mapping {
			value := fmt.Sprintf("%q", m.Value)
			switch {
			case m.Error != "":
				value = "error: " + m.Error
			case m.Condition && m.Match:
				value += " (matches)"
			case m.Condition:
				value += " (no match)"
			case m.Role != "":
				value += " → " + string(m.Role)
			}
			at := ""
			if m.Location != "" {
				at = "  (" + m.Location + ")"
			}
			p.f("  %s = %s ← %s%s\n", m.Field, value, m.Template, at)
		}
	}
	if e.Desired != nil {
		p.f("\nDesired (what the mapping makes of it)\n")
		writeView(p, e.Kind, e.Desired)
	}

	p.f("\nLink\n")
	switch {
	case e.Link == nil:
		p.f("  not linked\n")
	case e.Link.Adopt:
		p.f("  not linked yet: a sync adopts target %s\n", e.Link.TargetID)
	default:
		p.f("  target id %s\n", e.Link.TargetID)
	}

	p.f("\nTarget (%s)\n", e.TargetRead)
	if e.Target == nil {
		p.f("  not in the target\n")
	} else {
		writeView(p, e.Kind, e.Target)
	}

	p.f("\nPlan\n")
	if len(e.Plan) == 0 {
		p.f("  no change: the target is in step with the source for this object\n")
	}
	for _, c := range e.Plan {
		seq := "   "
		if c.Seq > 0 {
			seq = fmt.Sprintf("%3d", c.Seq)
		}
		p.f("  %s %s %s %s: %s\n", seq, strings.ReplaceAll(c.Action, "_", " "), c.Kind, c.Key, c.Reason)
		for _, d := range c.Diff {
			p.f("        %s: %q → %q\n", d.Field, d.Old, d.New)
		}
	}
	if e.Guard != "" {
		p.f("  the guard would refuse the whole run: %s\n", e.Guard)
	}

	p.f("\nJournal\n")
	if e.JournalNote != "" {
		p.f("  %s\n", e.JournalNote)
	}
	for _, j := range e.Journal {
		p.f("  run %d #%d  %s  %s  %s  %s", j.RunID, j.Seq, j.Time.Format(time.RFC3339), j.Mode, j.Action, j.Outcome)
		if j.Error != "" {
			p.f("  error: %s", j.Error)
		}
		p.f("\n")
		for _, c := range j.Changed {
			p.f("        %s\n", c)
		}
	}
	return p.err
}

func writeView(p *linePrinter, kind mapping.Kind, v *scheduler.ObjectView) {
	field := func(name, value string) {
		if value != "" {
			p.f("  %s = %q\n", name, value)
		}
	}
	field("id", v.ID)
	field("name", v.Name)
	field("login_id", v.LoginID)
	field("email", v.Email)
	field("code", v.Code)
	field("parent", v.Parent)
	field("description", v.Description)
	if kind == mapping.KindUser {
		p.f("  suspended = %t\n", v.Suspended)
	}
	names := make([]string, 0, len(v.Attributes))
	for k := range v.Attributes {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p.f("  attributes.%s = %q\n", k, v.Attributes[k])
	}
	for _, m := range v.Memberships {
		p.f("  member: %s\n", m)
	}
}

// linePrinter keeps the first write error.
type linePrinter struct {
	w   io.Writer
	err error
}

func (p *linePrinter) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
