package plan_test

import (
	"bufio"
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
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/plan"
	"github.com/orgbridge/orgbridge/scheduler"
)

// writeScaleExport writes, into dir, an orgs file of 10,117 orgs in three
// levels (17 divisions, 100 departments, 10,000 sections) and a users file
// of n users in the demo's column layout, spread over every org: every
// 25th a manager (管理者), every 100th on leave (休職), every 10th in
// 新人研修 and every 20th in 安全衛生委員会 (150,000 group memberships at
// a million). It is the layout of issue 13's million-user measurement.
func writeScaleExport(tb testing.TB, dir string, n int) (users, orgs string) {
	tb.Helper()
	var paths []string
	orgs = filepath.Join(dir, "orgs.csv")
	write := func(path string, fill func(w *bufio.Writer)) {
		f, err := os.Create(path)
		if err != nil {
			tb.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		fill(w)
		if err := w.Flush(); err != nil {
			tb.Fatal(err)
		}
		if err := f.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	write(orgs, func(w *bufio.Writer) {
		fmt.Fprintln(w, "組織パス,組織コード,説明")
		org := func(path, code, desc string) {
			paths = append(paths, path)
			fmt.Fprintf(w, "%s,%s,%s\n", path, code, desc)
		}
		for a := range 17 {
			org(fmt.Sprintf("事業部%02d", a), fmt.Sprintf("D%02d", a), fmt.Sprintf("事業部 %d", a))
		}
		for b := range 100 {
			a := b % 17
			org(fmt.Sprintf("事業部%02d/部%03d", a, b), fmt.Sprintf("D%02d-%03d", a, b), fmt.Sprintf("部 %d", b))
		}
		for c := range 10000 {
			b := c / 100
			a := b % 17
			org(fmt.Sprintf("事業部%02d/部%03d/課%05d", a, b, c), fmt.Sprintf("D%02d-%03d-%05d", a, b, c), fmt.Sprintf("課 %d", c))
		}
	})
	users = filepath.Join(dir, "users.csv")
	write(users, func(w *bufio.Writer) {
		fmt.Fprintln(w, "社員番号,氏名,メールアドレス,所属,役職,役割,在籍区分,グループ")
		for i := range n {
			id := 100001 + i
			pos, role := "", "一般"
			if i%25 == 0 {
				pos, role = "課長", "管理者"
			}
			st := "在籍"
			if i%100 == 99 {
				st = "休職"
			}
			g := ""
			if i%10 == 3 {
				g = "新人研修"
			}
			if i%20 == 7 {
				if g != "" {
					g += ";"
				}
				g += "安全衛生委員会"
			}
			fmt.Fprintf(w, "%d,社員 %d,user%d@example.co.jp,%s,%s,%s,%s,%s\n", id, id, id, paths[i%len(paths)], pos, role, st, g)
		}
	})
	return users, orgs
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
			users, orgs := writeScaleExport(b, b.TempDir(), n)
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
				if want := 10_117 + 2 + n + n*15/100; len(p.Changes) != want {
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
