package mapping

import (
	"fmt"
	"strings"
	"testing"
)

// TestSimpleTemplates: a template renderParts takes renders what
// text/template renders, value and error alike, and the others are left
// to text/template.
func TestSimpleTemplates(t *testing.T) {
	recs := []Record{
		{Attrs: map[string][]string{"社員番号": {"100001"}, "mail": {" Sato.Taro@Example.jp "}, "所属": {"本社/営業部"}}},
		{Attrs: map[string][]string{"社員番号": {}, "mail": {""}}},
		{Attrs: map[string][]string{}},
		// The same as Columns and a Row, as a CSV source reads them.
		colsRecord([]string{"社員番号", "mail", "所属"}, "100001", " Sato.Taro@Example.jp ", "本社/営業部"),
		colsRecord([]string{"社員番号", "mail"}, "", ""),
		{Columns: NewColumns(nil)},
	}
	for _, tc := range []struct {
		text   string
		simple bool
	}{
		{"{{.社員番号}}", true},
		{"e{{.社員番号}}", true},
		{"  {{.mail}}  ", true},
		{"{{.mail | lower}}", true},
		{"{{.mail | trim | upper}}", true},
		{"{{ .所属 }}/{{.社員番号}}", true},
		{"basic", true},
		{"{{.mail | default \"none\"}}", false},
		{"{{if .mail}}x{{end}}", false},
		{"{{$x := .mail}}{{$x}}", false},
		{"{{.mail | replace \"a\" \"b\"}}", false},
	} {
		f, err := compileField("users.x", tc.text)
		if err != nil {
			t.Fatalf("%s: %v", tc.text, err)
		}
		if got := f.parts != nil; got != tc.simple {
			t.Errorf("%s: simple %v, want %v", tc.text, got, tc.simple)
		}
		slow := &field{key: f.key, tmpl: f.tmpl}
		for i, rec := range recs {
			want, wantErr := slow.render(recordData(&rec))
			got, gotErr := f.render(recordData(&rec))
			if got != want || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Errorf("%s, record %d: %q, %v; text/template gives %q, %v", tc.text, i, got, gotErr, want, wantErr)
			}
			if rec.Columns != nil {
				asMap := Record{Attrs: rec.Map()}
				if m, mErr := f.render(recordData(&asMap)); m != got || fmt.Sprint(mErr) != fmt.Sprint(gotErr) {
					t.Errorf("%s, record %d: %q, %v from Columns; %q, %v from Attrs", tc.text, i, got, gotErr, m, mErr)
				}
			}
		}
	}
}

// TestCompareIDs: memberships sort as their IDs do, "/" in keys included.
func TestCompareIDs(t *testing.T) {
	ms := []Membership{
		{Kind: KindOrg, ContainerKey: "a", UserKey: "u1"},
		{Kind: KindOrg, ContainerKey: "a/b", UserKey: "u1"},
		{Kind: KindOrg, ContainerKey: "a", UserKey: "b/u1"},
		{Kind: KindOrg, ContainerKey: "a", UserKey: "b"},
		{Kind: KindOrg, ContainerKey: "", UserKey: ""},
		{Kind: KindGroup, ContainerKey: "a", UserKey: "u1"},
		{Kind: KindOrg, ContainerKey: "ab", UserKey: "1"},
		{Kind: KindOrg, ContainerKey: "a.", UserKey: "u1"},
		{Kind: "org:x", ContainerKey: "a", UserKey: "u1"},
	}
	for _, a := range ms {
		for _, b := range ms {
			if got, want := compareIDs(a, b), strings.Compare(a.ID(), b.ID()); got != want {
				t.Errorf("compareIDs(%q, %q) = %d, want %d", a.ID(), b.ID(), got, want)
			}
		}
	}
}

// TestMembershipListedTwice: two memberships are the same one when their
// IDs are, whether their fields are equal or only their IDs.
func TestMembershipListedTwice(t *testing.T) {
	for _, tc := range []struct {
		name string
		ms   []Membership
	}{
		{"equal fields", []Membership{
			{UserKey: "u1", Kind: KindOrg, ContainerKey: "a/b", Role: RoleMember},
			{UserKey: "u1", Kind: KindOrg, ContainerKey: "a/b", Role: RoleAdmin},
		}},
		{"equal IDs", []Membership{
			{UserKey: "u1", Kind: KindOrg, ContainerKey: "a/b", Role: RoleMember},
			{UserKey: "b/u1", Kind: KindOrg, ContainerKey: "a", Role: RoleMember},
		}},
	} {
		s := &Snapshot{
			Orgs:        []Org{{Key: "a", Name: "a"}, {Key: "a/b", Name: "b", ParentKey: "a"}},
			Users:       []User{{Key: "u1", Name: "U1", LoginID: "u1"}, {Key: "b/u1", Name: "U2", LoginID: "u2"}},
			Memberships: tc.ms,
		}
		err := Validate(s, nil)
		if err == nil || !strings.Contains(err.Error(), "listed twice") {
			t.Errorf("%s: %v, want listed twice", tc.name, err)
		}
	}
}

// TestMembershipOfNoUserNotSeen: a membership whose user does not exist is
// not counted when the next has the same ID (sorted or not).
func TestMembershipOfNoUserNotSeen(t *testing.T) {
	s := &Snapshot{
		Orgs:  []Org{{Key: "a", Name: "a"}, {Key: "a/b", Name: "b", ParentKey: "a"}},
		Users: []User{{Key: "u1", Name: "U1", LoginID: "u1"}},
		Memberships: []Membership{
			{UserKey: "b/u1", Kind: KindOrg, ContainerKey: "a", Role: RoleMember},
			{UserKey: "u1", Kind: KindOrg, ContainerKey: "a/b", Role: RoleMember},
		},
	}
	err := Validate(s, nil)
	if err == nil || !strings.Contains(err.Error(), `user "b/u1" does not exist`) || strings.Contains(err.Error(), "listed twice") {
		t.Errorf("%v, want only the missing user", err)
	}
}

// colsRecord is a record of the columns names with values in its Row.
func colsRecord(names []string, values ...string) Record {
	r := Record{Columns: NewColumns(names)}
	r.Row, r.Ends = RowOf(values...)
	return r
}

// TestRecordColumns: a record's Columns and Row read as the same
// attributes in Attrs would: Get, Lookup, Len and Map.
func TestRecordColumns(t *testing.T) {
	r := colsRecord([]string{"id", "name", "dept"}, "7", "佐藤", "")
	cols := r.Columns
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{{"id", "7", true}, {"name", "佐藤", true}, {"dept", "", true}, {"mail", "", false}} {
		if got, ok := r.Lookup(tc.name); got != tc.want || ok != tc.ok {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
		if got := r.Get(tc.name); got != tc.want {
			t.Errorf("Get(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if r.Len() != 3 {
		t.Errorf("Len = %d, want 3", r.Len())
	}
	m := r.Map()
	if len(m) != 3 || m["id"][0] != "7" || m["name"][0] != "佐藤" || len(m["dept"]) != 1 || m["dept"][0] != "" {
		t.Errorf("Map = %v", m)
	}
	if r.Row != "7佐藤" || len(r.Ends) != 3 {
		t.Errorf("RowOf: %q, %v", r.Row, r.Ends)
	}
	// Fewer values than columns (never from the CSV source): the columns
	// past them are absent, not a panic.
	short := Record{Columns: cols}
	short.Row, short.Ends = RowOf("8")
	if _, ok := short.Lookup("dept"); ok || short.Len() != 1 || len(short.Map()) != 1 {
		t.Errorf("short record: Lookup(dept) found, Len %d, Map %v", short.Len(), short.Map())
	}
	if got := cols.Names(); strings.Join(got, ",") != "id,name,dept" {
		t.Errorf("Names = %q", got)
	}
}
