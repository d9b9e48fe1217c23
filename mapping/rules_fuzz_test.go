package mapping_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/mapping"
)

// fuzzColumns are the attributes of a fuzzed row, in the order its fields
// fill them.
var fuzzColumns = []string{"id", "name", "mail", "dept", "role", "status", "groups", "org", "parent", "code"}

// fuzzMappings are the rule sets random rows go through: the shapes the
// example configs use (a path tree with roles, groups, scope and suspend;
// orgs from their own file with parents; declared groups; each flattening).
func fuzzMappings() []config.Mapping {
	hr := hrMapping()
	hr.Orgs = config.OrgMapping{Code: "{{.code}}", Description: "{{.name | upper}}"}
	byRef := config.Mapping{
		Users: config.UserMapping{LoginID: "{{.id | trim}}", Email: "{{.mail | lower | default \"\"}}", Name: "{{.name}}",
			Org: "{{.org}}", OrgSeparator: ";", Role: &config.RoleMap{Template: "{{.role}}", Values: map[string]string{"admin": "admin"}, Default: "member"},
			Groups: &config.ListField{Template: "{{.groups}}"}},
		Orgs:   config.OrgMapping{Name: "{{.name}}", Parent: "{{.parent}}", Code: "{{.code}}"},
		Groups: config.GroupMapping{Name: "{{.name}}", Org: "{{.org}}", Code: "{{.code | replace \"-\" \"_\"}}"},
	}
	top := hrMapping()
	top.Orgs.Flatten = &config.Flatten{Mode: mapping.FlattenTopLevel}
	path := byRef
	path.Orgs.Flatten = &config.Flatten{Mode: mapping.FlattenPath, Separator: "-"}
	return []config.Mapping{hr, byRef, top, path}
}

// fuzzRecords reads records from text: one a line; a line starting "o:"
// is an org record, "g:" a group record, any other a user; its fields,
// separated by "|", fill fuzzColumns in order, and the first is the key.
func fuzzRecords(text string) []mapping.Record {
	var out []mapping.Record
	for i, line := range strings.Split(text, "\n") {
		kind := mapping.KindUser
		if rest, ok := strings.CutPrefix(line, "o:"); ok {
			kind, line = mapping.KindOrg, rest
		} else if rest, ok := strings.CutPrefix(line, "g:"); ok {
			kind, line = mapping.KindGroup, rest
		}
		r := mapping.Record{Kind: kind, Attrs: map[string][]string{}, Origin: "rows:" + strconv.Itoa(i+1)}
		for j, v := range strings.SplitN(line, "|", len(fuzzColumns)) {
			r.Attrs[fuzzColumns[j]] = []string{v}
		}
		for _, c := range fuzzColumns {
			if _, ok := r.Attrs[c]; !ok {
				r.Attrs[c] = []string{""}
			}
		}
		r.Key = r.Get("id")
		out = append(out, r)
	}
	return out
}

// FuzzIsolate runs random rows through each rule set's templates and
// checks: no panic; a strict build's every error names where (a row's
// origin, or the object by kind and key); an isolating build leaves out
// only records it names with an origin and a reason, keeps every other
// in-scope user, and returns a snapshot that validates; when the strict
// build succeeds, the isolating one returns the same snapshot and leaves
// nothing out.
func FuzzIsolate(f *testing.F) {
	seeds := []string{
		"1|山田 太郎|U1@Example.jp|本社|管理者|在籍|新人研修; 委員会\n2|鈴木 一郎|u2@example.jp|本社/営業部/第一課|一般|休職|\n3|x|u3@example.jp|本社/営業部|一般|退職|",
		"1|a|a@x|本社//営業部|一般|在籍|\n1|b|b@x|本社|一般|在籍|",
		"1|a|A@x|本社|一般|在籍|\n2|b|a@X|本社|部長|在籍|",
		"o:hq|本社||||||||HQ\no:s1|営業部|||||||hq|S1\nu1|a|a@x||admin||g1|s1;hq\ng:g1|研修||||||hq||g-1",
		"o:a|A|||||||b|\no:b|B|||||||a|\nu1|a|a@x||||||a",
		"o:a|A|||||||missing|\nu1||a@x||||x|a",
		"{{.id}}|{{|}}|\x00\xff|/|||;;;;|;|",
		"",
	}
	rules := fuzzMappings()
	for _, s := range seeds {
		for i := range rules {
			f.Add(s, uint8(i))
		}
	}
	compiled := make([]*mapping.Rules, len(rules))
	for i, m := range rules {
		r, err := mapping.Compile(m, "jobs[0].mapping")
		if err != nil {
			f.Fatalf("rule set %d: %v", i, err)
		}
		compiled[i] = r
	}
	f.Fuzz(func(t *testing.T, text string, which uint8) {
		rules := compiled[int(which)%len(compiled)]
		records := fuzzRecords(text)
		strictSnap, _, strictErr := rules.Build(fuzzRecords(text))
		if strictErr != nil {
			for _, e := range leaves(strictErr) {
				if !namesWhere(e.Error()) {
					t.Errorf("build error %q names no record", e)
				}
			}
		}
		snap, report, err := rules.Isolate(records, false)
		if err != nil {
			// Only a problem blamed on no record fails an isolating build.
			if strictErr == nil {
				t.Fatalf("Isolate failed where Build did not: %v", err)
			}
			return
		}
		if err := mapping.Validate(snap, nil); err != nil {
			t.Errorf("isolated snapshot does not validate: %v", err)
		}
		left := map[string]bool{}
		for _, l := range report.LeftOut {
			if l.Origin == "" || l.Reason == "" {
				t.Errorf("left out %s %q without origin or reason: %+v", l.Kind, l.Key, l)
			}
			if l.Kind == mapping.KindUser {
				left[l.Key] = true
			}
		}
		// Every user record is kept, left out, or out of scope.
		kept := snap.UserIndex()
		unaccounted := 0
		for _, r := range records {
			if r.Kind == mapping.KindUser && kept[r.Key] == nil && !left[r.Key] {
				unaccounted++
			}
		}
		if unaccounted > report.Excluded {
			t.Errorf("%d user records neither kept nor left out, %d out of scope", unaccounted, report.Excluded)
		}
		if strictErr == nil {
			if len(report.LeftOut) != 0 {
				t.Errorf("Build succeeded but Isolate left out %+v", report.LeftOut)
			}
			if diff := cmp.Diff(strictSnap, snap); diff != "" {
				t.Errorf("Isolate and Build differ (-build +isolate):\n%s", diff)
			}
		}
	})
}

// leaves lists the errors of a (possibly nested) errors.Join.
func leaves(err error) []error {
	var j interface{ Unwrap() []error }
	if !errors.As(err, &j) || err.Error() == "" {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, leaves(e)...)
	}
	return out
}

// namesWhere reports whether a build error names where: a row's origin,
// an object by kind and key, a mapping key, or the count of problems not
// listed.
func namesWhere(msg string) bool {
	for _, p := range []string{"rows:", "user ", "org ", "group ", "membership ", "jobs[0].mapping.", "and "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
