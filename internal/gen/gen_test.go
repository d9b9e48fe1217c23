package gen_test

import (
	"bytes"
	"encoding/csv"
	"flag"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/internal/gen"
	"github.com/orgbridge/orgbridge/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// write runs the three writers of opts.
func write(t *testing.T, opts gen.Options) (g *gen.Generator, users, orgs, ldif []byte) {
	t.Helper()
	g, err := gen.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var u, o, l bytes.Buffer
	if err := g.WriteUsersCSV(&u); err != nil {
		t.Fatal(err)
	}
	if err := g.WriteOrgsCSV(&o); err != nil {
		t.Fatal(err)
	}
	if err := g.WriteLDIF(&l); err != nil {
		t.Fatal(err)
	}
	return g, u.Bytes(), o.Bytes(), l.Bytes()
}

var small = gen.Options{Users: 40, Orgs: 6, Depth: 3, Groups: 4, Memberships: 12,
	LeaverPercent: 10, SuspendedPercent: 5, Seed: 7}

// TestGolden holds a small directory byte for byte: a change to the
// output is a change to every scale figure measured with it.
func TestGolden(t *testing.T) {
	_, users, orgs, ldif := write(t, small)
	golden.Check(t, filepath.Join("testdata", "small", "users.csv"), string(users), *update)
	golden.Check(t, filepath.Join("testdata", "small", "orgs.csv"), string(orgs), *update)
	golden.Check(t, filepath.Join("testdata", "small", "directory.ldif"), string(ldif), *update)
}

func TestDeterministic(t *testing.T) {
	opts := gen.Options{Users: 500, Orgs: 30, Depth: 2, Groups: 7, Memberships: 90, LeaverPercent: 3, SuspendedPercent: 2, Seed: 42}
	_, u1, o1, l1 := write(t, opts)
	_, u2, o2, l2 := write(t, opts)
	if !bytes.Equal(u1, u2) || !bytes.Equal(o1, o2) || !bytes.Equal(l1, l2) {
		t.Fatal("the same options and seed wrote different bytes")
	}
	opts.Seed = 43
	_, u3, o3, _ := write(t, opts)
	if bytes.Equal(u1, u3) {
		t.Error("another seed wrote the same users")
	}
	if !bytes.Equal(o1, o3) {
		t.Error("the org tree depends on the seed; it should depend on orgs, depth and fan-out alone")
	}
}

// row is one parsed users.csv row.
type row struct{ id, org, position, role, status, groups string }

func parseUsers(t *testing.T, data []byte) []row {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("\ufeff")) {
		t.Error("users.csv has no BOM; the demo's has one")
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != "社員番号,氏名,メールアドレス,所属,役職,役割,在籍区分,グループ" {
		t.Fatalf("users header %q", got)
	}
	var rows []row
	for _, r := range recs[1:] {
		rows = append(rows, row{r[0], r[3], r[4], r[5], r[6], r[7]})
	}
	return rows
}

func TestCountsAndShape(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   gen.Options
		levels []int
	}{
		{"one level", gen.Options{Users: 50, Orgs: 5, Depth: 1, Groups: 1, Memberships: 10}, []int{5}},
		{"single root", gen.Options{Users: 300, Orgs: 100, Depth: 3, Groups: 10, Memberships: 45, LeaverPercent: 2, SuspendedPercent: 1}, []int{1, 10, 100}},
		{"issue 13's 10,117 orgs, scaled down in users", gen.Options{Users: 2000, Orgs: 10000, Depth: 3, Fanout: 87, Groups: 100, Memberships: 300, LeaverPercent: 5, SuspendedPercent: 5}, []int{2, 115, 10000}},
		{"more memberships than users", gen.Options{Users: 100, Orgs: 9, Depth: 2, Fanout: 2, Groups: 5, Memberships: 300, LeaverPercent: 20}, []int{5, 9}},
		{"no groups", gen.Options{Users: 20, Orgs: 4, Depth: 2}, []int{1, 4}},
		{"everyone left", gen.Options{Users: 10, Orgs: 2, Depth: 2, LeaverPercent: 100}, []int{1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, users, orgs, _ := write(t, tc.opts)
			c := g.Counts()
			if !slices.Equal(c.Levels, tc.levels) {
				t.Errorf("levels %v, want %v", c.Levels, tc.levels)
			}

			// orgs.csv: every level as counted, every parent before its
			// child, codes unique.
			recs, err := csv.NewReader(bytes.NewReader(orgs)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(recs[0], ","); got != "組織パス,組織コード,説明" {
				t.Fatalf("orgs header %q", got)
			}
			paths, codes := map[string]bool{}, map[string]bool{}
			perLevel := make([]int, len(tc.levels))
			for _, r := range recs[1:] {
				p := r[0]
				parts := strings.Split(p, "/")
				perLevel[len(parts)-1]++
				if i := strings.LastIndex(p, "/"); i >= 0 && !paths[p[:i]] {
					t.Errorf("org %q comes before its parent", p)
				}
				if paths[p] || codes[r[1]] {
					t.Errorf("org %q or code %q twice", p, r[1])
				}
				if r[2] != parts[len(parts)-1] {
					t.Errorf("org %q: description %q, want its name", p, r[2])
				}
				paths[p], codes[r[1]] = true, true
			}
			if !slices.Equal(perLevel, tc.levels) || len(paths) != c.Orgs {
				t.Errorf("orgs.csv has %v per level (%d), want %v (%d)", perLevel, len(paths), tc.levels, c.Orgs)
			}

			// users.csv: counts, each user in an org of the deepest level,
			// memberships as asked, no group twice for one user.
			rows := parseUsers(t, users)
			var leavers, suspended, memberships, managers int
			groups := map[string]int{}
			for _, r := range rows {
				if !paths[r.org] || strings.Count(r.org, "/") != len(tc.levels)-1 {
					t.Errorf("user %s works in %q, not an org of the deepest level", r.id, r.org)
				}
				switch r.status {
				case "退職":
					leavers++
				case "休職":
					suspended++
				case "在籍":
				default:
					t.Errorf("user %s: 在籍区分 %q", r.id, r.status)
				}
				if r.role == "管理者" {
					managers++
				}
				if r.groups == "" {
					continue
				}
				if r.status == "退職" {
					t.Errorf("leaver %s is in groups %q", r.id, r.groups)
				}
				seen := map[string]bool{}
				for _, gname := range strings.Split(r.groups, ";") {
					if seen[gname] {
						t.Errorf("user %s is in %s twice", r.id, gname)
					}
					seen[gname] = true
					groups[gname]++
					memberships++
				}
			}
			want := gen.Counts{Users: len(rows), Leavers: leavers, Suspended: suspended, Groups: len(groups), Memberships: memberships}
			got := gen.Counts{Users: c.Users, Leavers: c.Leavers, Suspended: c.Suspended, Groups: c.Groups, Memberships: c.Memberships}
			if got.Users != tc.opts.Users || got.Groups != tc.opts.Groups || got.Memberships != tc.opts.Memberships {
				t.Errorf("counts %+v, asked %+v", got, tc.opts)
			}
			if !equalCounts(got, want) {
				t.Errorf("counts say %+v; the file holds %+v", got, want)
			}
			if wantManagers := (len(rows) + 24) / 25; managers != wantManagers {
				t.Errorf("%d managers, want every 25th: %d", managers, wantManagers)
			}
		})
	}
}

func TestExactPercentages(t *testing.T) {
	g, err := gen.New(gen.Options{Users: 1001, Orgs: 3, LeaverPercent: 2.5, SuspendedPercent: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if c := g.Counts(); c.Leavers != 25 || c.Suspended != 1 {
		t.Errorf("%d leavers, %d suspended; want round(1001×2.5%%) = 25 and round(1001×0.1%%) = 1", c.Leavers, c.Suspended)
	}
}

func TestOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		opts gen.Options
		want string
	}{
		{gen.Options{Users: 0, Orgs: 1}, "users must be at least 1"},
		{gen.Options{Users: 1, Orgs: 0}, "orgs must be at least 1"},
		{gen.Options{Users: 1, Orgs: 1, Depth: 11}, "depth 11"},
		{gen.Options{Users: 1, Orgs: 1, Fanout: 1}, "fanout 1"},
		{gen.Options{Users: 1, Orgs: 1, LeaverPercent: 101}, "percentages"},
		{gen.Options{Users: 10, Orgs: 1, LeaverPercent: 60, SuspendedPercent: 50}, "6 leavers and 5 suspended are more than the 10 users"},
		{gen.Options{Users: 10, Orgs: 1, Memberships: 3}, "memberships need groups"},
		{gen.Options{Users: 10, Orgs: 1, Groups: 4, Memberships: 3}, "every group needs a member"},
		{gen.Options{Users: 10, Orgs: 1, Groups: 2, Memberships: 21}, "need more than the 10 users"},
	} {
		_, err := gen.New(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error with %q", tc.opts, err, tc.want)
		}
	}
}

func equalCounts(a, b gen.Counts) bool {
	return a.Users == b.Users && a.Leavers == b.Leavers && a.Suspended == b.Suspended &&
		a.Groups == b.Groups && a.Memberships == b.Memberships
}
