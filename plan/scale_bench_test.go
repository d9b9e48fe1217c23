package plan_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors/csv"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/cputime"
	"github.com/orgbridge/orgbridge/internal/gen"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/plan"
	"github.com/orgbridge/orgbridge/scheduler"
)

// writeScaleExport writes, into dir, issue 13's export as `make scale
// USERS=n ORGS=10000 FANOUT=87` has `orgbridge gen` write it: 10,117 orgs
// in three levels, 100 groups holding 15% of the users, 2% leavers and 1%
// suspended, in the demo's column layout (150,000 group memberships at a
// million): the benchmark plans what the scale runs measure.
func writeScaleExport(tb testing.TB, dir string, n int) (users, orgs string, counts gen.Counts) {
	tb.Helper()
	g, err := gen.New(gen.Options{Users: n, Orgs: 10000, Depth: 3, Fanout: 87, Groups: 100, Memberships: n * 15 / 100,
		LeaverPercent: 2, SuspendedPercent: 1, Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	write := func(name string, to func(io.Writer) error) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			tb.Fatal(err)
		}
		if err := to(f); err != nil {
			tb.Fatal(err)
		}
		if err := f.Close(); err != nil {
			tb.Fatal(err)
		}
		return path
	}
	return write("users.csv", g.WriteUsersCSV), write("orgs.csv", g.WriteOrgsCSV), g.Counts()
}

// demoMapping is configs/demo.yaml's mapping block.
func demoMapping() config.Mapping {
	return config.Mapping{
		Users: config.UserMapping{
			LoginID: "e{{.社員番号}}",
			Email:   "{{.メールアドレス | lower}}",
			Name:    "{{.氏名}}",
			Attributes: map[string]string{
				"userNumber": "{{.社員番号}}", "department": "{{.所属}}", "position": "{{.役職}}", "license": "basic",
			},
			OrgPath:   &config.OrgPath{Template: "{{.所属}}", Separator: "/"},
			Role:      &config.RoleMap{Template: "{{.役割}}", Values: map[string]string{"管理者": "admin", "一般": "member"}},
			Groups:    &config.ListField{Template: "{{.グループ}}", Separator: ";"},
			Scope:     config.Scope{Exclude: []config.Match{{Template: "{{.在籍区分}}", Equals: "退職"}}},
			Suspended: []config.Match{{Template: "{{.在籍区分}}", Equals: "休職"}},
		},
		Orgs: config.OrgMapping{Code: "{{.組織コード}}", Description: "{{.説明}}"},
	}
}

// BenchmarkPlan times `orgbridge plan` of issue 13's export on an empty
// target, in process and without the network: the CSV read, the mapping,
// the planner and the text plan (to io.Discard), at 100,000 and 1,000,000
// users (the latter skipped under -short), so that ns/user at both sizes
// says whether the plan grows linearly with the users; cpu-ns/user is the
// process's CPU time (every thread, the GC's too), steadier than the wall
// time on a shared machine:
//
//	go test -run '^$' -bench BenchmarkPlan/ -benchtime 3x ./plan
func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			if n > 100_000 && testing.Short() {
				b.Skip("a million users: not under -short")
			}
			users, orgs, counts := writeScaleExport(b, b.TempDir(), n)
			// Every org, group, user in scope (not a leaver) and membership
			// is a create.
			want := counts.Orgs + counts.Groups + counts.Users - counts.Leavers + counts.Memberships
			src, err := csv.New(csv.Config{
				Users: &csv.File{Path: users, KeyColumn: "社員番号", Required: []string{"氏名", "メールアドレス", "所属", "役割", "在籍区分"}},
				Orgs:  &csv.File{Path: orgs, KeyColumn: "組織パス"},
			}, "", nil)
			if err != nil {
				b.Fatal(err)
			}
			rules, err := mapping.Compile(demoMapping(), "")
			if err != nil {
				b.Fatal(err)
			}
			caps := change.Capabilities{Orgs: true, Users: true, Groups: true, NestedOrgs: true, CreatesUsers: true, SuspendsUsers: true,
				Roles: []mapping.Role{mapping.RoleMember, mapping.RoleAdmin}, OrgMembershipsInUser: true, GroupMemberships: true}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cputime.Process()
			for range b.N {
				recs, err := src.Read(ctx)
				if err != nil {
					b.Fatal(err)
				}
				desired, _, err := rules.Isolate(recs, false)
				if err != nil {
					b.Fatal(err)
				}
				p, err := plan.Make(desired, &mapping.Snapshot{}, plan.Links{}, caps, plan.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Changes) != want {
					b.Fatalf("%d changes, want %d", len(p.Changes), want)
				}
				if err := scheduler.WriteText(io.Discard, "scale", p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/user")
			if used := cputime.Process() - cpu; used > 0 {
				b.ReportMetric(float64(used.Nanoseconds())/float64(n*b.N), "cpu-ns/user")
			}
		})
	}
}
