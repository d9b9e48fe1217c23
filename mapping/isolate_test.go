package mapping_test

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/mapping"
)

// TestIsolateLeavesOutBadRecords: each bad record is left out with its
// reason, and every other record is built.
func TestIsolateLeavesOutBadRecords(t *testing.T) {
	plain := config.Mapping{Users: config.UserMapping{LoginID: "{{.login}}", Email: "{{.mail}}", Name: "{{.name}}",
		Suspended: []config.Match{{Template: "{{.active}}", Equals: "false"}}}}
	refMapping := config.Mapping{
		Users: config.UserMapping{LoginID: "{{.id}}", Name: "{{.name}}", Org: "{{.org}}"},
		Orgs:  config.OrgMapping{Name: "{{.name}}", Parent: "{{.parent}}"},
	}
	orgRec := func(line int, key, parent string) mapping.Record {
		return mapping.Record{Kind: mapping.KindOrg, Key: key, Origin: "orgs.csv:" + strconv.Itoa(line),
			Attrs: map[string][]string{"name": {"N" + key}, "parent": {parent}}}
	}
	good := func(line int, id string) mapping.Record {
		return userRec(line, map[string]string{"id": id, "login": "l" + id, "mail": id + "@x.test", "name": "N" + id, "active": "true", "org": "A"})
	}
	tests := []struct {
		name     string
		mapping  config.Mapping
		records  []mapping.Record
		partial  bool
		want     []mapping.LeftOut
		wantKept []string // user keys built
	}{
		{
			name:    "empty name (a SCIM user with only a userName)",
			mapping: plain,
			records: []mapping.Record{good(2, "1"), userRec(3, map[string]string{"id": "2", "login": "only", "mail": "", "name": "", "active": "true"}), good(4, "3")},
			want: []mapping.LeftOut{{Kind: mapping.KindUser, Key: "2", Origin: "users.csv:3",
				Reason: `users.csv:3: user "2": empty name`}},
			wantKept: []string{"1", "3"},
		},
		{
			name:    "e-mails differing only in case: both left out",
			mapping: plain,
			records: []mapping.Record{good(2, "1"),
				userRec(3, map[string]string{"id": "2", "login": "a", "mail": "shared@x.test", "name": "A", "active": "true"}),
				userRec(4, map[string]string{"id": "3", "login": "b", "mail": "Shared@X.test", "name": "B", "active": "true"})},
			want: []mapping.LeftOut{
				{Kind: mapping.KindUser, Key: "2", Origin: "users.csv:3", Reason: `users.csv:3: user "2": email "shared@x.test" is also used by user "3"`},
				{Kind: mapping.KindUser, Key: "3", Origin: "users.csv:4", Reason: `users.csv:4: user "3": email "Shared@X.test" is also used by user "2"`},
			},
			wantKept: []string{"1"},
		},
		{
			name:    "duplicate login id",
			mapping: plain,
			records: []mapping.Record{good(2, "1"), good(3, "2"),
				userRec(4, map[string]string{"id": "3", "login": "L2", "mail": "3@x.test", "name": "C", "active": "true"})},
			want: []mapping.LeftOut{
				{Kind: mapping.KindUser, Key: "2", Origin: "users.csv:3", Reason: `users.csv:3: user "2": login id "l2" is also used by user "3"`},
				{Kind: mapping.KindUser, Key: "3", Origin: "users.csv:4", Reason: `users.csv:4: user "3": login id "L2" is also used by user "2"`},
			},
			wantKept: []string{"1"},
		},
		{
			name:    "duplicate user key: neither copy is trusted",
			mapping: plain,
			records: []mapping.Record{good(2, "1"), good(3, "2"), good(9, "1")},
			want: []mapping.LeftOut{{Kind: mapping.KindUser, Key: "1", Origin: "users.csv:2",
				Reason: `users.csv:9: duplicate user key "1" (first at users.csv:2)`}},
			wantKept: []string{"2"},
		},
		{
			name:    "role value not in the map; its orgs are not created",
			mapping: hrMapping(),
			records: []mapping.Record{hrRow(2, "1", "A", "本社", "一般", "在籍", ""), hrRow(7, "2", "B", "本社/新部", "部長", "在籍", "")},
			want: []mapping.LeftOut{{Kind: mapping.KindUser, Key: "2", Origin: "users.csv:7",
				Reason: `users.csv:7: m.users.role.template: value "部長" is not in the role map and no default is set`}},
			wantKept: []string{"1"},
		},
		{
			name:    "a deactivated user that cannot be mapped says so",
			mapping: plain,
			records: []mapping.Record{good(2, "1"), userRec(3, map[string]string{"id": "2", "login": "x", "mail": "", "name": "", "active": "false", "deleted": "true"})},
			partial: true,
			want: []mapping.LeftOut{{Kind: mapping.KindUser, Key: "2", Origin: "users.csv:3",
				Reason: `users.csv:3: user "2": empty name`, Suspended: true}},
			wantKept: []string{"1"},
		},
		{
			name:    "a left-out org takes its members and children with it",
			mapping: refMapping,
			records: []mapping.Record{orgRec(2, "A", ""), orgRec(3, "B", "Z"), orgRec(4, "C", "B"),
				good(5, "1"), userRec(6, map[string]string{"id": "2", "name": "M", "org": "B"})},
			want: []mapping.LeftOut{
				{Kind: mapping.KindOrg, Key: "B", Origin: "orgs.csv:3", Reason: `orgs.csv:3: org "B": parent "Z" does not exist`},
				{Kind: mapping.KindOrg, Key: "C", Origin: "orgs.csv:4", Reason: `orgs.csv:4: org "C": parent "B" does not exist`},
				{Kind: mapping.KindUser, Key: "2", Origin: "users.csv:6", Reason: `users.csv:6: user "2": member of org "B", which does not exist`},
			},
			wantKept: []string{"1"},
		},
		{
			name:    "a cycle leaves out every org on it",
			mapping: refMapping,
			records: []mapping.Record{orgRec(2, "A", ""), orgRec(3, "B", "C"), orgRec(4, "C", "B"), good(5, "1")},
			want: []mapping.LeftOut{
				{Kind: mapping.KindOrg, Key: "B", Origin: "orgs.csv:3", Reason: `orgs.csv:3: org "B": org tree has a cycle: B → C → B`},
				{Kind: mapping.KindOrg, Key: "C", Origin: "orgs.csv:4", Reason: `orgs.csv:3: org "B": org tree has a cycle: B → C → B`},
			},
			wantKept: []string{"1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := mapping.Compile(tt.mapping, "m")
			if err != nil {
				t.Fatal(err)
			}
			snap, report, err := rules.Isolate(tt.records, tt.partial)
			if err != nil {
				t.Fatalf("Isolate: %v", err)
			}
			if diff := cmp.Diff(tt.want, report.LeftOut); diff != "" {
				t.Errorf("left out (-want +got):\n%s", diff)
			}
			var kept []string
			for _, u := range snap.Users {
				kept = append(kept, u.Key)
			}
			if diff := cmp.Diff(tt.wantKept, kept); diff != "" {
				t.Errorf("users built (-want +got):\n%s", diff)
			}
			for _, m := range snap.Memberships {
				for _, l := range report.LeftOut {
					if l.Kind == mapping.KindUser && m.UserKey == l.Key || l.Kind == m.Kind && m.ContainerKey == l.Key {
						t.Errorf("membership %s of left-out %s %q kept", m.ID(), l.Kind, l.Key)
					}
				}
			}
			for _, o := range snap.Orgs {
				if o.Key == "本社/新部" {
					t.Errorf("org %q of a left-out user was created", o.Key)
				}
			}
			if err := mapping.Validate(snap, nil); err != nil && !tt.partial {
				t.Errorf("the snapshot left is invalid: %v", err)
			}
		})
	}
}

func records20000() []mapping.Record {
	var records []mapping.Record
	for i := range 20000 {
		records = append(records, hrRow(i+2, strconv.Itoa(100000+i), "社員", "本社/部"+strconv.Itoa(i%50), "一般", "在籍", ""))
	}
	return records
}

// BenchmarkBuild20000 is the strict build of 20,000 good users, the base
// BenchmarkIsolate20000 compares with.
func BenchmarkBuild20000(b *testing.B) {
	rules, err := mapping.Compile(hrMapping(), "m")
	if err != nil {
		b.Fatal(err)
	}
	records := records20000()
	b.ResetTimer()
	for range b.N {
		if _, _, err := rules.Build(records); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIsolate20000 maps 20,000 users of which two share an e-mail
// (differing in case) and one has no name, as in issue 19.
func BenchmarkIsolate20000(b *testing.B) {
	rules, err := mapping.Compile(hrMapping(), "m")
	if err != nil {
		b.Fatal(err)
	}
	records := records20000()
	records[10].Attrs["mail"] = []string{"Shared@x.test"}
	records[11].Attrs["mail"] = []string{"shared@X.test"}
	records[12].Attrs["name"] = []string{""}
	b.ResetTimer()
	for range b.N {
		snap, report, err := rules.Isolate(records, false)
		if err != nil || len(report.LeftOut) != 3 || len(snap.Users) != 19997 {
			b.Fatalf("left out %d, users %d, %v", len(report.LeftOut), len(snap.Users), err)
		}
	}
}
