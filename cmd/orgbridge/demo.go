package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/configs"
	"github.com/orgbridge/orgbridge/connectors/aircourse"
	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

func (a *app) demoCommand() *cobra.Command {
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Sync the sample HR CSV into an in-process AirCourse emulator, three times",
		Long: `demo needs nothing installed. It starts an AirCourse emulator in process (with
the document's 60 requests a minute), writes configs/demo.yaml and its sample
CSV into a temporary directory, and syncs three times:

  1. the first export: orgs, users, admins, groups, an employee on leave;
  2. a second export: a rename, a move, a role change and a leaver;
  3. the same export again: nothing to do, and no write call is made.

After each run it prints what the emulator holds.`,
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			// The demo's story is its printed plans and results; keep the
			// logs to warnings unless asked for more.
			if !cmd.Flags().Changed("log-level") {
				logger, err := newLogger(a.logFormat, "warn", a.stderr)
				if err != nil {
					return usageError(err)
				}
				a.logger = logger
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.demo(cmd.Context(), keep)
		},
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary directory (config, CSV, store) for a look afterwards")
	return cmd
}

// demoStep is one run of the demo: which export, and what it shows.
type demoStep struct {
	title  string
	export string
}

var demoSteps = []demoStep{
	{"1. First sync: the HR export as it is today", "demo/users.csv"},
	{"2. Second export: 佐藤 花子 is renamed 木村 花子, 高橋 健太 moves to 第二課, 伊藤 翔 becomes an admin, 中村 大輔 leaves", "demo/users_v2.csv"},
	{"3. The same export again: nothing changed", "demo/users_v2.csv"},
}

func (a *app) demo(ctx context.Context, keep bool) error {
	dir, err := os.MkdirTemp("", "orgbridge-demo-")
	if err != nil {
		return failedError(err)
	}
	if keep {
		fmt.Fprintf(a.stdout, "working directory: %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if err := writeDemoFiles(dir); err != nil {
		return failedError(err)
	}

	emu := emulator.New(emulator.Options{Options: emukit.Options{Logger: a.logger.Named("emulator")}})
	emu.AddClient(demoClientID, demoClientSecret)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	if err := os.Setenv(demoSecretEnv, demoClientSecret); err != nil {
		return failedError(err)
	}

	file, err := registry.Load(filepath.Join(dir, "demo.yaml"))
	if err != nil {
		return usageError(err)
	}
	target, ok := file.Jobs[0].Target.Settings.(*aircourse.Config)
	if !ok {
		return failedError(fmt.Errorf("the demo config's target is %s, not aircourse", file.Jobs[0].Target.Type))
	}
	target.BaseURL = srv.URL
	l, err := a.open(ctx, file, "", false)
	if err != nil {
		return err
	}
	defer l.Close()

	fmt.Fprintf(a.stdout, "AirCourse emulator on %s (60 requests a minute, as the document says)\n", srv.URL)
	for i, step := range demoSteps {
		if err := copyEmbedded(step.export, filepath.Join(dir, "demo", "users.csv")); err != nil {
			return failedError(err)
		}
		fmt.Fprintf(a.stdout, "\n=== %s\n\n", step.title)
		emu.ResetStats()
		res, err := a.sync(ctx, l, scheduler.RunOptions{})
		if err != nil {
			return err
		}
		stats := emu.Stats()
		fmt.Fprintf(a.stdout, "\nAirCourse calls this run: %d requests, %s, %d answered 429\n", stats.Requests, writesSaid(stats.Writes, res.Plan.Changes), stats.RateLimited)
		if i == len(demoSteps)-1 {
			if stats.Writes != 0 {
				return failedError(fmt.Errorf("the no-change run made %d write calls; it must make none", stats.Writes))
			}
			fmt.Fprintln(a.stdout, "The no-change run planned nothing and wrote nothing.")
			continue
		}
		fmt.Fprintln(a.stdout)
		printEmulatorState(a.stdout, emu.State(), emu.RootOrgID(), emu.EveryoneGroupID())
	}
	fmt.Fprintf(a.stdout, `
Done. The config this demo ran is configs/demo.yaml; copy it and point it at
your own export and AirCourse tenant:

  cp configs/demo.yaml my-sync.yaml
  orgbridge emulate aircourse &          # or set base_url to your tenant
  export %s=demo-secret
  orgbridge validate -c my-sync.yaml && orgbridge plan -c my-sync.yaml
`, demoSecretEnv)
	return nil
}

// writesSaid is "27 writes for 26 changes (…why)": the writes the
// emulator counted against the plan's changes, and where they differ, the
// reason, so that the figures add up. A user created suspended costs two
// writes: AirCourse's create takes no isSuspended, so the adapter suspends
// the user right after.
func writesSaid(writes int, changes []change.Change) string {
	suspendedCreates := 0
	for _, c := range changes {
		if c.Action == change.ActionCreate && c.Kind == mapping.KindUser && c.User != nil && c.User.Suspended {
			suspendedCreates++
		}
	}
	s := fmt.Sprintf("%d writes for %d changes", writes, len(changes))
	if suspendedCreates > 0 && writes == len(changes)+suspendedCreates {
		what := "the user created suspended takes two"
		if suspendedCreates > 1 {
			what = fmt.Sprintf("the %d users created suspended take two each", suspendedCreates)
		}
		s += " (" + what + ": AirCourse's create has no suspended flag, so the user is created, then suspended)"
	}
	return s
}

// writeDemoFiles copies the embedded config and data into dir.
func writeDemoFiles(dir string) error {
	return fs.WalkDir(configs.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, path), 0o755)
		}
		return copyEmbedded(path, filepath.Join(dir, path))
	})
}

func copyEmbedded(name, dst string) error {
	data, err := configs.Files.ReadFile(name)
	if err != nil {
		return fmt.Errorf("read embedded %s: %w", name, err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	return nil
}

// printEmulatorState prints the org tree with each org's admins and
// members, then the groups.
func printEmulatorState(w io.Writer, st emulator.State, rootID, everyoneID string) {
	names := map[string]string{}
	for _, u := range st.Users {
		n := u.Name
		if u.IsSuspended {
			n += "(利用停止)"
		}
		names[u.ID] = n
	}
	admins, members := map[string][]string{}, map[string][]string{}
	for _, u := range st.Users {
		for _, id := range u.AdminOrganizationIDs {
			admins[id] = append(admins[id], names[u.ID])
		}
		for _, id := range u.MemberOrganizationIDs {
			if !contains(u.AdminOrganizationIDs, id) {
				members[id] = append(members[id], names[u.ID])
			}
		}
	}
	children := map[string][]emulator.Org{}
	for _, o := range st.Orgs {
		if o.ParentID != nil {
			children[*o.ParentID] = append(children[*o.ParentID], o)
		}
	}
	var root emulator.Org
	for _, o := range st.Orgs {
		if o.ID == rootID {
			root = o
		}
	}
	// The root organization and the 全員 group are AirCourse's own: every
	// tenant has them, and the demo created neither. Counted apart, the
	// figures match the plan's creates and the lines printed below.
	everyone, groups := "", 0
	for _, g := range st.Groups {
		if g.ID == everyoneID {
			everyone = g.Name
			continue
		}
		groups++
	}
	suspended := 0
	for _, u := range st.Users {
		if u.IsSuspended {
			suspended++
		}
	}
	fmt.Fprintf(w, "AirCourse now holds %d organizations under its root %s, %d users (%d suspended), %d groups (besides its built-in %s, which holds every user):\n",
		len(st.Orgs)-1, root.Name, len(st.Users), suspended, groups, everyone)
	var walk func(o emulator.Org, prefix, branch string)
	walk = func(o emulator.Org, prefix, branch string) {
		line := prefix + branch + o.Name
		if o.Code != nil {
			line += " [" + *o.Code + "]"
		}
		if a := admins[o.ID]; len(a) > 0 {
			line += "  管理者: " + strings.Join(sorted(a), "、")
		}
		if m := members[o.ID]; len(m) > 0 {
			line += "  メンバー: " + strings.Join(sorted(m), "、")
		}
		fmt.Fprintln(w, line)
		kids := children[o.ID]
		sort.Slice(kids, func(i, j int) bool { return kids[i].Name < kids[j].Name })
		next := prefix
		switch branch {
		case "├─ ":
			next += "│  "
		case "└─ ":
			next += "   "
		}
		for i, k := range kids {
			b := "├─ "
			if i == len(kids)-1 {
				b = "└─ "
			}
			walk(k, next, b)
		}
	}
	walk(root, "  ", "")
	for _, g := range st.Groups {
		if g.ID == everyoneID {
			continue
		}
		var ms []string
		for uid, role := range st.GroupMembers[g.ID] {
			n := names[uid]
			if role == "admin" {
				n += "(管理者)"
			}
			ms = append(ms, n)
		}
		fmt.Fprintf(w, "  group %s: %s\n", g.Name, strings.Join(sorted(ms), "、"))
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}
