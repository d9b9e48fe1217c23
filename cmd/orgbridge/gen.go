package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/orgbridge/orgbridge/internal/gen"
)

func (a *app) genCommand() *cobra.Command {
	var (
		opts   gen.Options
		format string
		out    string
	)
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Write a large synthetic HR export (CSV) or directory (LDIF) for scale runs",
		Long: `gen writes USERS users in a tree of orgs, with groups, memberships, leavers
and suspended users, the same bytes for the same flags and seed, streamed
(constant memory at any size).

  --format csv   OUT is a directory: OUT/users.csv and OUT/orgs.csv in the
                 demo's layout (configs/demo.yaml reads them: 在籍区分 退職 is a
                 leaver, 休職 is suspended)
  --format ldif  OUT is a file ("-": standard output): ou=people and
                 ou=groups under --base-dn, as configs/ldap-openldap.yaml
                 reads them (leavers under ou=退職者, suspended users locked
                 with pwdAccountLockedTime); load it with slapadd or ldapadd

The org tree: --depth levels, --orgs orgs on the deepest one (where users
work), --fanout children per org above (default the smallest that leaves a
single root). --orgs 10000 --depth 3 gives 1 + 100 + 10,000 = 10,101 orgs;
with --fanout 87, 2 + 115 + 10,000 = 10,117.

Example: orgbridge gen --users 1000000 --orgs 10000 --depth 3 --memberships 150000 --out export/`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("memberships") {
				opts.Memberships = max(opts.Users*15/100, opts.Groups)
			}
			g, err := gen.New(opts)
			if err != nil {
				return usageError(fmt.Errorf("gen: %w", err))
			}
			if out == "" {
				return usageError(errors.New("gen: --out is required"))
			}
			switch format {
			case "csv":
				err = writeGenCSV(g, out)
			case "ldif":
				err = writeGenLDIF(g, out, a.stdout)
			default:
				return usageError(fmt.Errorf("gen: --format %q: want csv or ldif", format))
			}
			if err != nil {
				return failedError(fmt.Errorf("gen: %w", err))
			}
			if out != "-" {
				fmt.Fprintln(a.stdout, genSummary(g.Counts(), format, out))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Users, "users", 10000, "users to write")
	f.IntVar(&opts.Orgs, "orgs", 100, "orgs on the deepest level (where the users work)")
	f.IntVar(&opts.Depth, "depth", 3, "levels of the org tree")
	f.IntVar(&opts.Fanout, "fanout", 0, "children of each org above the deepest level (0: the smallest that leaves one root)")
	f.IntVar(&opts.Groups, "groups", 100, "groups")
	f.IntVar(&opts.Memberships, "memberships", 0, "group memberships in all (default 15% of --users); leavers are in no group")
	f.Float64Var(&opts.LeaverPercent, "leavers", 2, "percent of users who left (在籍区分 退職; LDIF: under ou=退職者)")
	f.Float64Var(&opts.SuspendedPercent, "suspended", 1, "percent of users on leave (休職; LDIF: pwdAccountLockedTime)")
	f.Uint64Var(&opts.Seed, "seed", 1, "seed: the same flags and seed write the same bytes")
	f.StringVar(&format, "format", "csv", "csv or ldif")
	f.StringVar(&opts.BaseDN, "base-dn", gen.DefaultBaseDN, "LDIF: the suffix the entries go under (not written itself)")
	f.StringVarP(&out, "out", "o", "", "csv: a directory for users.csv and orgs.csv; ldif: a file, - for standard output")
	return cmd
}

func writeGenCSV(g *gen.Generator, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeFileWith(filepath.Join(dir, "orgs.csv"), g.WriteOrgsCSV); err != nil {
		return err
	}
	return writeFileWith(filepath.Join(dir, "users.csv"), g.WriteUsersCSV)
}

func writeGenLDIF(g *gen.Generator, path string, stdout io.Writer) error {
	if path == "-" {
		return g.WriteLDIF(stdout)
	}
	return writeFileWith(path, g.WriteLDIF)
}

// writeFileWith creates path and writes it through write; the first error
// of the create, the write or the close is returned.
func writeFileWith(path string, write func(io.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close %s: %w", path, cerr)
		}
	}()
	return write(f)
}

func genSummary(c gen.Counts, format, out string) string {
	levels := make([]string, len(c.Levels))
	for i, n := range c.Levels {
		levels[i] = fmt.Sprint(n)
	}
	return fmt.Sprintf("wrote %s to %s: %d users (%d leavers, %d suspended), %d orgs in %d levels (%s; fan-out %d), %d groups, %d memberships",
		format, out, c.Users, c.Leavers, c.Suspended, c.Orgs, len(c.Levels), strings.Join(levels, " + "), c.Fanout, c.Groups, c.Memberships)
}
