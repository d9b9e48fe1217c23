package mapping

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/internal/config"
)

// TestCheckBuilt: check of a builder's snapshot finds the same problems,
// blamed on the same objects, with the users sorted by key taken for the
// set of their keys (built) as with the set made.
func TestCheckBuilt(t *testing.T) {
	rules, err := Compile(config.Mapping{Users: config.UserMapping{LoginID: "{{.login}}", Email: "{{.mail}}", Name: "{{.name}}",
		OrgPath: &config.OrgPath{Template: "{{.dept}}"}, Groups: &config.ListField{Template: "{{.groups}}"}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	cols := NewColumns([]string{"login", "mail", "name", "dept", "groups"})
	user := func(line int, key, login, mail, name, dept, groups string) Record {
		r := Record{Kind: KindUser, Key: key, Origin: "users.csv:" + strconv.Itoa(line), Columns: cols}
		r.Row, r.Ends = RowOf(login, mail, name, dept, groups)
		return r
	}
	records := []Record{
		user(2, "3", "c", "c@x", "C", "A/B", "g1"),
		user(3, "1", "a", "a@x", "A", "A", ""),
		user(4, "2", "b", "A@x", "B", "A/B", "g1;g2"),
		user(5, "", "e", "e@x", "E", "A", ""),
		user(6, "4", "d", "d@x", "", "A", "g2"),
		user(7, "5", "b", "f@x", "F", "A", ""),
	}
	// A source other than CSV may list one key several times: the builder
	// refuses the later records; a snapshot listing a key twice is
	// checked too.
	b := rules.newBuilder(append(records, user(8, "1", "z", "z@x", "Z", "A", "")), false)
	b.userOrigins()
	snaps := []*Snapshot{&b.snap}
	twice := *b.done()
	twice.Users = append([]User{twice.Users[0], twice.Users[0], twice.Users[0]}, twice.Users[1:]...)
	snaps = append(snaps, &twice)
	for i, s := range snaps {
		built := check(s, b.origins, false, true)
		set := check(s, b.origins, false, false)
		str := func(l issues) []string {
			var out []string
			for _, is := range l {
				out = append(out, fmt.Sprint(is.err, is.objs))
			}
			return out
		}
		if len(set) == 0 {
			t.Fatalf("snapshot %d: no problems found; the test wants some", i)
		}
		if diff := cmp.Diff(str(set), str(built)); diff != "" {
			t.Errorf("snapshot %d: problems (-set +built):\n%s", i, diff)
		}
	}
}

// TestDupFinder: the values more than one user has, each with its users'
// keys in the order added, whatever the order of the values.
func TestDupFinder(t *testing.T) {
	users := []User{{Key: "u0"}, {Key: "u1"}, {Key: "u2"}, {Key: "u3"}, {Key: "u4"}, {Key: "u5"}}
	for _, tc := range []struct {
		name   string
		values []string // users[i]'s value
		want   map[string][]string
	}{
		{"none", []string{"a", "b", "c", "d", "e", "f"}, map[string][]string{}},
		{"in order", []string{"a", "b", "b", "c", "c", "c"}, map[string][]string{"b": {"u1", "u2"}, "c": {"u3", "u4", "u5"}}},
		{"out of order", []string{"z", "b", "z", "a", "b", "z"}, map[string][]string{"b": {"u1", "u4"}, "z": {"u0", "u2", "u5"}}},
	} {
		d := newDupFinder(len(tc.values))
		for i, v := range tc.values {
			d.add(v, i)
		}
		if diff := cmp.Diff(tc.want, d.dups(users)); diff != "" {
			t.Errorf("%s: dups (-want +got):\n%s", tc.name, diff)
		}
	}
}
