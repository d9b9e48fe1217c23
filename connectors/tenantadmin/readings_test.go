package tenantadmin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/tenantadmin"
	"github.com/orgbridge/orgbridge/connectors/tenantadmin/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/mapping"
)

// newReadingFixture is newFixture against an emulator serving readings,
// its handler wrapped by wrap when wrap is not nil.
func newReadingFixture(t *testing.T, readings []string, wrap func(http.Handler) http.Handler) *fixture {
	t.Helper()
	set, err := emulator.Readings.Parse(readings)
	if err != nil {
		t.Fatal(err)
	}
	emu := emulator.New(emulator.Options{Options: emukit.Options{Readings: set}, Users: emulator.DemoUsers(), Tokens: []string{testToken}})
	var h http.Handler = emu
	if wrap != nil {
		h = wrap(emu)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	a, logs := newAdapter(t, ts.URL, 0)
	return &fixture{t: t, emu: emu, a: a, ids: idMap{}, logs: logs}
}

func newBody(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

func readingName(readings []string) string {
	if len(readings) == 0 {
		return "default"
	}
	return strings.Join(readings, "+")
}

// handMade creates an organization through the client, as someone working
// in the tenant by hand would, and returns its id.
func (f *fixture) handMade(fields tenantadmin.Fields) string {
	f.t.Helper()
	o, err := f.a.Client().CreateOrg(context.Background(), fields)
	if err != nil {
		f.t.Fatal(err)
	}
	return o.ID
}

func (f *fixture) handMember(org, user, role string) {
	f.t.Helper()
	if _, err := f.a.Client().AddMember(context.Background(), org, user, role); err != nil {
		f.t.Fatal(err)
	}
}

// TestReadUnderListReadings: whatever the list holds without
// include_children (every org, the top level only, nested children, the
// roots whatever include_children says), Read sees every organization with
// its parent and the members of each, hand-made ones included; a list that
// shows children costs no hierarchy request.
func TestReadUnderListReadings(t *testing.T) {
	tests := []struct {
		readings    []string
		hierarchies int // GET …/hierarchy requests of one Read
	}{
		{nil, 0},
		{[]string{emulator.ReadingTopLevelOnly}, 0},
		{[]string{emulator.ReadingChildrenNested}, 0},
		{[]string{emulator.ReadingRootsOnly}, 2},
		{[]string{emulator.ReadingRootsOnly, emulator.ReadingCursorOnLastPage, emulator.ReadingMemberRoleField, emulator.ReadingMemberCountInclusive}, 2},
		{[]string{emulator.ReadingChildrenNested, emulator.ReadingCursorOnLastPage, emulator.ReadingMemberRoleField}, 0},
	}
	for _, tt := range tests {
		t.Run(readingName(tt.readings), func(t *testing.T) {
			f := newReadingFixture(t, tt.readings, nil)
			hq := f.createOrg(mapping.Org{Key: "本社", Name: "本社", Code: "HQ"})
			sales := f.createOrg(mapping.Org{Key: "本社/営業部", Name: "営業部", Code: "SALES", ParentKey: "本社"})
			s1 := f.createOrg(mapping.Org{Key: "本社/営業部/第一課", Name: "第一課", Code: "開発", ParentKey: "本社/営業部"}) // a slug
			s2 := f.createOrg(mapping.Org{Key: "本社/営業部/第二課", Name: "第二課", Code: "SALES-2", ParentKey: "本社/営業部"})
			other := f.handMade(tenantadmin.Fields{"name": "Other", "display_name": "誰かの組織", "description": "手作り"})
			deep := f.handMade(tenantadmin.Fields{"name": "Deep", "display_name": "深い", "parent_id": s1})
			f.handMember(hq, "usr_1001", "admin")
			f.handMember(s1, "usr_1003", "admin")
			f.handMember(s1, "usr_1004", "member")
			f.handMember(deep, "usr_1005", "member")
			f.handMember(other, "usr_1006", "member")
			f.emu.ResetStats()
			got := describe(f.read())
			want := strings.Join([]string{
				"org " + deep + " 深い code=Deep parent=" + s1 + " desc=",
				"org " + hq + " 本社 code=HQ parent= desc=",
				"org " + other + " 誰かの組織 code=Other parent= desc=手作り",
				"org " + s1 + " 第一課 code=開発 parent=" + sales + " desc=",
				"org " + s2 + " 第二課 code=SALES-2 parent=" + sales + " desc=",
				"org " + sales + " 営業部 code=SALES parent=" + hq + " desc=",
			}, "\n")
			var orgLines, rest []string
			for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
				if strings.HasPrefix(l, "org ") {
					orgLines = append(orgLines, l)
				} else {
					rest = append(rest, l)
				}
			}
			if !sameLines(orgLines, strings.Split(want, "\n")) {
				t.Errorf("organizations read:\n%s\nwant:\n%s", strings.Join(orgLines, "\n"), want)
			}
			wantMembers := []string{
				"member org:" + hq + "/usr_1001 admin", "member org:" + s1 + "/usr_1003 admin", "member org:" + s1 + "/usr_1004 member",
				"member org:" + deep + "/usr_1005 member", "member org:" + other + "/usr_1006 member",
			}
			var members []string
			for _, l := range rest {
				if strings.HasPrefix(l, "member ") {
					members = append(members, l)
				}
			}
			if !sameLines(members, wantMembers) {
				t.Errorf("memberships read:\n%s\nwant:\n%s", strings.Join(members, "\n"), strings.Join(wantMembers, "\n"))
			}
			if n := f.emu.Stats().ByRoute["GET /api/admin/organizations/{id}/hierarchy"]; n != tt.hierarchies {
				t.Errorf("%d hierarchy requests, want %d", n, tt.hierarchies)
			}
		})
	}
}

func sameLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, l := range a {
		seen[l]++
	}
	for _, l := range b {
		if seen[l] == 0 {
			return false
		}
		seen[l]--
	}
	return true
}

// TestReadNestedReferences: a server that nests children by reference
// only ({id, name, display_name}, as the detail's children are) gets the
// detail of each read, so that no field is taken as empty.
func TestReadNestedReferences(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/admin/organizations":
			if r.URL.Query().Get("include_children") != "true" {
				t.Errorf("list without include_children=true: %s", r.URL)
			}
			fmt.Fprint(w, `{"items":[{"id":"o1","name":"HQ","display_name":"本社","parent_id":null,"member_count":0,
				"children":[{"id":"o2","name":"DEV","display_name":"開発部"}]}],"cursor":null}`)
		case "/api/admin/organizations/o2":
			fmt.Fprint(w, `{"id":"o2","name":"DEV","display_name":"開発部","description":"説明","parent_id":"o1","member_count":0,
				"metadata":{"code":"DEV"}}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":"not_found","message":"no"}`)
		}
	}))
	t.Cleanup(srv.Close)
	a, _ := newAdapter(t, srv.URL, 0)
	snap, err := a.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := "org o1 本社 code=HQ parent= desc=\norg o2 開発部 code=DEV parent=o1 desc=説明\n"
	if got := describe(snap); got != want {
		t.Errorf("read\n%s\nwant\n%s", got, want)
	}
}

// TestAddExistingMember: adding a member who is one already (the last
// Read missed it, or a POST's answer was lost) ends with the role asked,
// whatever adding twice does on the server (409, upsert, or the
// membership as it was); the org's other members, hand-made, stay.
func TestAddExistingMember(t *testing.T) {
	tests := []struct {
		readings []string
		current  string // the role the member has by hand
		want     string // the role asked
		writes   int
	}{
		{nil, "member", "member", 1},                                        // 409, the list shows the role: done
		{nil, "admin", "member", 3},                                         // 409, another role: remove and add back
		{[]string{emulator.ReadingMemberPostUpserts}, "admin", "member", 1}, // the POST set it
		{[]string{emulator.ReadingMemberPostKeeps}, "admin", "member", 3},   // the answer names admin: remove and add back
		{[]string{emulator.ReadingMemberPostKeeps}, "member", "admin", 3},
		{[]string{emulator.ReadingMemberRoleField}, "member", "admin", 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s→%s", readingName(tt.readings), tt.current, tt.want), func(t *testing.T) {
			f := newReadingFixture(t, tt.readings, nil)
			org := f.createOrg(mapping.Org{Key: "hq", Name: "本社", Code: "HQ"})
			f.handMember(org, "usr_1001", tt.current)
			f.handMember(org, "usr_1002", "admin") // someone else's, untouched
			f.ids.set(mapping.KindUser, "1001", "usr_1001")
			f.emu.ResetStats()
			f.mustApply(memberChange(connectors.ActionCreate, member("1001", "hq", mapping.Role(tt.want))))
			st := f.emu.State()
			if got := memberRole(st, org, "usr_1001"); got != tt.want {
				t.Errorf("role %q, want %q", got, tt.want)
			}
			if memberRole(st, org, "usr_1002") != "admin" || countMembers(st) != 2 {
				t.Errorf("the hand-made member was touched: %+v", st.Members)
			}
			if w := f.emu.Stats().Writes; w != tt.writes {
				t.Errorf("%d writes, want %d", w, tt.writes)
			}
		})
	}
}

// TestRoleNeverSilentlyDropped: a server that keeps answering another
// role than asked, even after the member is removed and added back, is an
// error naming the role it stored.
func TestRoleNeverSilentlyDropped(t *testing.T) {
	f := newReadingFixture(t, nil, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/members") {
				// Stores and answers member whatever is asked.
				r2 := r.Clone(r.Context())
				body := `{"user_id":"usr_1001","role":"member"}`
				r2.Body = newBody(body)
				r2.ContentLength = int64(len(body))
				h.ServeHTTP(w, r2)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	f.createOrg(mapping.Org{Key: "hq", Name: "本社", Code: "HQ"})
	f.ids.set(mapping.KindUser, "1001", "usr_1001")
	m := member("1001", "hq", mapping.RoleAdmin)
	for _, action := range []connectors.Action{connectors.ActionCreate, connectors.ActionUpdate} {
		_, err := f.apply(memberChange(action, m))
		if err == nil || !strings.Contains(err.Error(), `stored role "member"`) {
			t.Errorf("%s: %v, want an error naming the stored role", action, err)
		}
	}
}

// TestOrgUpdateKeepsWhatOthersWrote: under every reading of PUT (partial,
// replacing, merging metadata, answering 204), an update changes the
// fields orgbridge manages and keeps the description, parent and
// metadata keys someone else wrote; a code taken away leaves no code key.
func TestOrgUpdateKeepsWhatOthersWrote(t *testing.T) {
	for _, readings := range [][]string{
		nil,
		{emulator.ReadingPutReplaces},
		{emulator.ReadingMetadataMerged},
		{emulator.ReadingPutNoContent},
		{emulator.ReadingPutReplaces, emulator.ReadingMetadataMerged, emulator.ReadingPutNoContent},
		{emulator.ReadingNullIgnored},
		{emulator.ReadingNullRefused},
		{emulator.ReadingNullIgnored, emulator.ReadingPutNoContent, emulator.ReadingMetadataMerged},
		{emulator.ReadingNullRefused, emulator.ReadingPutReplaces, emulator.ReadingPutNoContent, emulator.ReadingValidation400},
	} {
		t.Run(readingName(readings), func(t *testing.T) {
			f := newReadingFixture(t, readings, nil)
			hq := f.createOrg(mapping.Org{Key: "本社", Name: "本社", Code: "HQ"})
			o := mapping.Org{Key: "本社/開発部", Name: "開発部", Code: "DEV", ParentKey: "本社"}
			id := f.createOrg(o)
			// By hand: a description orgbridge does not map, and a key.
			cur, err := f.a.Client().GetOrg(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			cur.Metadata["cost_center"] = "CC-003"
			if _, err := f.a.Client().UpdateOrg(context.Background(), id, tenantadmin.Fields{
				"description": "手で書いた説明", "metadata": cur.Metadata, "parent_id": hq}); err != nil {
				t.Fatal(err)
			}

			o.Name = "開発本部"
			f.mustApply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: o.Key, TargetID: id, Org: &o,
				Diff: []connectors.FieldChange{{Field: change.FieldName, Old: "開発部", New: "開発本部"}}})
			want := `org DEV parent=HQ display="開発本部" description="手で書いた説明" metadata={"code":"DEV","cost_center":"CC-003","orgbridge_key":"本社/開発部"}`
			if got := orgLine(f.emu.Dump(), "DEV"); got != want {
				t.Errorf("after a rename:\n%s\nwant\n%s", got, want)
			}

			o.Code = "開発" // a code that does not fit the name: a slug, and the code in metadata
			f.mustApply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: o.Key, TargetID: id, Org: &o,
				Diff: []connectors.FieldChange{{Field: change.FieldCode, Old: "DEV", New: "開発"}}})
			slug := tenantadmin.OrgName(o)
			want = `org ` + slug + ` parent=HQ display="開発本部" description="手で書いた説明" metadata={"code":"開発","cost_center":"CC-003","orgbridge_key":"本社/開発部"}`
			if got := orgLine(f.emu.Dump(), slug); got != want {
				t.Errorf("after a code change:\n%s\nwant\n%s", got, want)
			}

			o.Code = "" // no code any more: the key goes, whether PUT replaces or merges metadata
			f.mustApply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: o.Key, TargetID: id, Org: &o,
				Diff: []connectors.FieldChange{{Field: change.FieldCode, Old: "開発"}}})
			want = `org ` + slug + ` parent=HQ display="開発本部" description="手で書いた説明" metadata={"cost_center":"CC-003","orgbridge_key":"本社/開発部"}`
			if got := orgLine(f.emu.Dump(), slug); got != want {
				t.Errorf("after the code is taken away:\n%s\nwant\n%s", got, want)
			}

			o.ParentKey = "" // a move to the top level
			f.mustApply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: o.Key, TargetID: id, Org: &o,
				Diff: []connectors.FieldChange{{Field: change.FieldParent, Old: "本社"}}})
			want = `org ` + slug + ` parent=- display="開発本部" description="手で書いた説明" metadata={"cost_center":"CC-003","orgbridge_key":"本社/開発部"}`
			if got := orgLine(f.emu.Dump(), slug); got != want {
				t.Errorf("after a move:\n%s\nwant\n%s", got, want)
			}
			if got := orgLine(f.emu.Dump(), "HQ"); !strings.HasPrefix(got, "org HQ parent=- ") {
				t.Errorf("the parent changed too: %s", got)
			}
		})
	}
}

// TestClearingUnderNullReadings: a move to the top level and a cleared
// description take whether the server clears with null (the default), reads
// null as "not sent" (null-ignored: "" clears) or refuses it (null-refused:
// "" clears), with one PUT more only where null did not do it; a rename of
// a top-level org without description sends no null at all.
func TestClearingUnderNullReadings(t *testing.T) {
	for _, tt := range []struct {
		readings []string
		puts     int // PUTs of the move-and-clear
	}{
		{nil, 1},
		{[]string{emulator.ReadingPutNoContent}, 1},
		{[]string{emulator.ReadingNullIgnored}, 2},
		{[]string{emulator.ReadingNullIgnored, emulator.ReadingPutNoContent}, 2},
		{[]string{emulator.ReadingNullRefused}, 2},
		{[]string{emulator.ReadingNullRefused, emulator.ReadingValidation400, emulator.ReadingErrorsNested}, 2},
	} {
		t.Run(readingName(tt.readings), func(t *testing.T) {
			f := newReadingFixture(t, tt.readings, nil)
			hq := mapping.Org{Key: "本社", Name: "本社", Code: "HQ"}
			hqID := f.createOrg(hq)
			o := mapping.Org{Key: "本社/開発部", Name: "開発部", Code: "DEV", ParentKey: "本社", Description: "製品開発"}
			id := f.createOrg(o)

			f.emu.ResetStats()
			hq.Name = "本店" // top level, no description: nothing to clear
			f.mustApply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: hq.Key, TargetID: hqID, Org: &hq,
				Diff: []connectors.FieldChange{{Field: change.FieldName, Old: "本社", New: "本店"}}})
			if n := f.emu.Stats().ByRoute["PUT /api/admin/organizations/{id}"]; n != 1 {
				t.Errorf("a rename took %d PUTs, want 1", n)
			}

			f.emu.ResetStats()
			o.ParentKey, o.Description = "", ""
			f.mustApply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: o.Key, TargetID: id, Org: &o})
			want := `org DEV parent=- display="開発部" description="" metadata={"code":"DEV","orgbridge_key":"本社/開発部"}`
			if got := orgLine(f.emu.Dump(), "DEV"); got != want {
				t.Errorf("after a move to the top level and a cleared description:\n%s\nwant\n%s", got, want)
			}
			if n := f.emu.Stats().ByRoute["PUT /api/admin/organizations/{id}"]; n != tt.puts {
				t.Errorf("the move took %d PUTs, want %d", n, tt.puts)
			}
			if got := orgLine(f.emu.Dump(), "HQ"); got != `org HQ parent=- display="本店" description="" metadata={"code":"HQ","orgbridge_key":"本社"}` {
				t.Errorf("HQ: %s", got)
			}
		})
	}
}

// TestNameImmutable: a server that does not rename organizations. A code
// change that would rename an organization named by its code fails naming
// it, with the rest of the change applied (one PUT more); one named by a
// slug keeps the slug, takes the code in metadata, and Read reports it, so
// the next plan has nothing to do.
func TestNameImmutable(t *testing.T) {
	for _, readings := range [][]string{
		{emulator.ReadingNameImmutable},
		{emulator.ReadingNameImmutable, emulator.ReadingValidation400, emulator.ReadingNullRefused, emulator.ReadingPutNoContent},
	} {
		t.Run(readingName(readings), func(t *testing.T) {
			f := newReadingFixture(t, readings, nil)
			o := mapping.Org{Key: "本社", Name: "本社", Code: "HQ"}
			id := f.createOrg(o)
			f.emu.ResetStats()
			o.Code, o.Name = "HQ-1", "本店"
			_, err := f.apply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: o.Key, TargetID: id, Org: &o,
				Diff: []connectors.FieldChange{{Field: change.FieldCode, Old: "HQ", New: "HQ-1"}, {Field: change.FieldName, Old: "本社", New: "本店"}}})
			if err == nil || !strings.Contains(err.Error(), "does not rename organizations") || !strings.Contains(err.Error(), `"HQ-1"`) {
				t.Errorf("a rename the server refuses: %v, want an error naming it", err)
			}
			if got := orgLine(f.emu.Dump(), "HQ"); !strings.HasPrefix(got, `org HQ parent=- display="本店" `) {
				t.Errorf("the rest of the change is not applied: %s", got)
			}
			if n := f.emu.Stats().ByRoute["PUT /api/admin/organizations/{id}"]; n != 2 {
				t.Errorf("%d PUTs, want 2 (the refused rename, then without it)", n)
			}

			s := mapping.Org{Key: "本社/開発部", Name: "開発部", Code: "開発"} // named by a slug
			sid := f.createOrg(s)
			slug := tenantadmin.OrgName(s)
			s.Code = "DEV"
			f.mustApply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: s.Key, TargetID: sid, Org: &s,
				Diff: []connectors.FieldChange{{Field: change.FieldCode, Old: "開発", New: "DEV"}}})
			want := `org ` + slug + ` parent=- display="開発部" description="" metadata={"code":"DEV","orgbridge_key":"本社/開発部"}`
			if got := orgLine(f.emu.Dump(), slug); got != want {
				t.Errorf("after a code change of a slug-named org:\n%s\nwant\n%s", got, want)
			}
			for _, got := range f.read().Orgs {
				if got.Key == sid && got.Code != "DEV" {
					t.Errorf("Read after the code change: %+v, want code DEV", got)
				}
			}
		})
	}
}

// orgLine is the Dump line of the organization called name.
func orgLine(dump, name string) string {
	for _, l := range strings.Split(dump, "\n") {
		if strings.HasPrefix(l, "org "+name+" ") {
			return l
		}
	}
	return ""
}

// TestMoveIgnoredIsLoud: a server that keeps the parent on PUT (the
// document's PUT example sends none) fails the move naming it, rather than
// succeeding and planning the same move every run.
func TestMoveIgnoredIsLoud(t *testing.T) {
	for _, readings := range [][]string{nil, {emulator.ReadingPutNoContent}} {
		f := newReadingFixture(t, readings, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut {
					r2 := r.Clone(r.Context())
					r2.Body = newBody(`{"display_name":"B"}`)
					r2.ContentLength = -1
					h.ServeHTTP(w, r2)
					return
				}
				h.ServeHTTP(w, r)
			})
		})
		f.createOrg(mapping.Org{Key: "a", Name: "A", Code: "a"})
		b := mapping.Org{Key: "b", Name: "B", Code: "b"}
		bid := f.createOrg(b)
		b.ParentKey = "a"
		_, err := f.apply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "b", TargetID: bid, Org: &b,
			Diff: []connectors.FieldChange{{Field: change.FieldParent, New: "a"}}})
		if err == nil || !strings.Contains(err.Error(), "does not move organizations") || !strings.Contains(err.Error(), bid) {
			t.Errorf("%s: a move the server ignored: %v", readingName(readings), err)
		}
	}
}

// TestClearIgnoredIsLoud: a server that keeps a description through null
// and through "" fails the change naming it, rather than succeeding and
// planning it again every run.
func TestClearIgnoredIsLoud(t *testing.T) {
	for _, readings := range [][]string{nil, {emulator.ReadingNullIgnored, emulator.ReadingPutNoContent}} {
		f := newReadingFixture(t, readings, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut {
					var body map[string]any
					if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
						t.Error(err)
					}
					delete(body, "description")
					raw, _ := json.Marshal(body)
					r2 := r.Clone(r.Context())
					r2.Body, r2.ContentLength = newBody(string(raw)), int64(len(raw))
					h.ServeHTTP(w, r2)
					return
				}
				h.ServeHTTP(w, r)
			})
		})
		o := mapping.Org{Key: "a", Name: "A", Code: "a", Description: "説明"}
		id := f.createOrg(o)
		o.Description = ""
		_, err := f.apply(connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "a", TargetID: id, Org: &o})
		if err == nil || !strings.Contains(err.Error(), "kept the description") || !strings.Contains(err.Error(), id) {
			t.Errorf("%s: a description the server kept: %v", readingName(readings), err)
		}
	}
}

// TestDeleteOrgReadings: a server that refuses to delete an organization
// with members gets them removed first; one that would cascade or orphan
// never gets the DELETE of an organization with children; other
// organizations' members are untouched.
func TestDeleteOrgReadings(t *testing.T) {
	for _, readings := range [][]string{
		nil,
		{emulator.ReadingDeleteNeedsEmpty},
		{emulator.ReadingDeleteCascades, emulator.ReadingDeleteNeedsEmpty},
		{emulator.ReadingDeleteOrphans},
		{emulator.ReadingForbiddenUnknown, emulator.ReadingDeleteNeedsEmpty},
	} {
		t.Run(readingName(readings), func(t *testing.T) {
			f := newReadingFixture(t, readings, nil)
			hq := f.createOrg(mapping.Org{Key: "hq", Name: "本社", Code: "HQ"})
			dev := f.createOrg(mapping.Org{Key: "dev", Name: "開発部", Code: "DEV", ParentKey: "hq"})
			f.handMember(dev, "usr_1001", "admin")
			f.handMember(dev, "usr_1002", "member")
			f.handMember(hq, "usr_1001", "member")
			child := f.handMade(tenantadmin.Fields{"name": "Hand", "display_name": "手作り", "parent_id": hq})

			f.emu.ResetStats()
			_, err := f.apply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindOrg, Key: "hq", TargetID: hq})
			if !errors.Is(err, connectors.ErrConflict) || !strings.Contains(err.Error(), child) {
				t.Errorf("delete of an org with children: %v", err)
			}
			if w := f.emu.Stats().Writes; w != 0 {
				t.Errorf("%d writes for an org with children", w)
			}

			f.mustApply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindOrg, Key: "dev", TargetID: dev})
			f.mustApply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindOrg, Key: "dev", TargetID: dev}) // already gone
			want := "member HQ usr_1001 member\n" +
				`org HQ parent=- display="本社" description="" metadata={"code":"HQ","orgbridge_key":"hq"}` + "\n" +
				`org Hand parent=HQ display="手作り" description="" metadata={}` + "\n"
			if got := withoutUsers(f.emu.Dump()); got != want {
				t.Errorf("after deleting 開発部:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func withoutUsers(dump string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(dump, "\n") {
		if l != "" && !strings.HasPrefix(l, "user ") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// TestForbiddenUnknown: a server that answers 403 for an organization
// that does not exist: gone reads as gone (a delete is done, a member
// list empty), but a 403 on an organization that exists is an error, and
// a 403 for the collection is the token's.
func TestForbiddenUnknown(t *testing.T) {
	var protected string
	f := newReadingFixture(t, []string{emulator.ReadingForbiddenUnknown}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if protected != "" && r.Method != http.MethodGet && strings.Contains(r.URL.Path, protected) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `{"error":"forbidden","message":"this organization is locked"}`)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	hq := f.createOrg(mapping.Org{Key: "hq", Name: "本社", Code: "HQ"})
	gone := f.createOrg(mapping.Org{Key: "gone", Name: "消える", Code: "GONE"})
	f.ids.set(mapping.KindUser, "1001", "usr_1001")
	if err := f.a.Client().DeleteOrg(context.Background(), gone); err != nil {
		t.Fatal(err)
	}
	f.mustApply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindOrg, Key: "gone", TargetID: gone})
	f.mustApply(memberChange(connectors.ActionDelete, member("1001", "gone", mapping.RoleMember)))
	if _, err := f.a.Client().GetOrg(context.Background(), gone); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("GET of a gone org answered 403: %v, want ErrNotFound", err)
	}

	protected = hq
	_, err := f.apply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindOrg, Key: "hq", TargetID: hq})
	if err == nil || errors.Is(err, connectors.ErrNotFound) || !strings.Contains(err.Error(), "may not change this one") ||
		!strings.Contains(err.Error(), "this organization is locked") {
		t.Errorf("a 403 on an org that exists: %v, want an error, not done", err)
	}
	if len(f.emu.State().Orgs) != 1 {
		t.Error("the protected org is gone")
	}

	f.emu.ExpireTokens()
	if _, err := f.a.Read(context.Background()); !errors.Is(err, tenantadmin.ErrTokenRefused) {
		t.Errorf("Read with a refused token: %v", err)
	}
}

// TestToken403: a server that refuses a token with 403 (no 401) is the
// token's fault on the collection and on an organization's path alike.
func TestToken403(t *testing.T) {
	f := newReadingFixture(t, []string{emulator.ReadingToken403, emulator.ReadingForbiddenUnknown}, nil)
	hq := f.createOrg(mapping.Org{Key: "hq", Name: "本社", Code: "HQ"})
	f.emu.ExpireTokens()
	for what, err := range map[string]error{
		"Read": func() error { _, err := f.a.Read(context.Background()); return err }(),
		"delete": func() error {
			_, err := f.apply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindOrg, Key: "hq", TargetID: hq})
			return err
		}(),
	} {
		if !errors.Is(err, tenantadmin.ErrTokenRefused) || errors.Is(err, connectors.ErrNotFound) || !strings.Contains(err.Error(), "403") {
			t.Errorf("%s with a refused token: %v, want ErrTokenRefused naming 403", what, err)
		}
	}
}

// TestNestedErrorMessageReachesTheError: the API's message reaches the
// error whether the body is {"error": code, "message": …} or
// {"error": {"message": …}}, and whether bad input is 422 or 400.
func TestNestedErrorMessageReachesTheError(t *testing.T) {
	for _, readings := range [][]string{nil, {emulator.ReadingErrorsNested}, {emulator.ReadingErrorsNested, emulator.ReadingValidation400}} {
		t.Run(readingName(readings), func(t *testing.T) {
			f := newReadingFixture(t, readings, nil)
			f.createOrg(mapping.Org{Key: "hq", Name: "本社", Code: "HQ"})
			f.ids.set(mapping.KindUser, "1099", "usr_1099")
			_, err := f.apply(memberChange(connectors.ActionCreate, member("1099", "hq", mapping.RoleMember)))
			var fe *connectors.FieldError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), "user_id names no user of the tenant") {
				t.Errorf("unknown user_id: %v, want a FieldError with the API's message", err)
			}
			_, err = f.apply(connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: "x",
				Org: &mapping.Org{Key: "x", Code: "x"}})
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), "display_name is required") {
				t.Errorf("no display_name: %v, want a FieldError with the API's message", err)
			}
			_, err = f.a.Client().GetOrg(context.Background(), "org_nothere")
			if !errors.Is(err, connectors.ErrNotFound) || !strings.Contains(err.Error(), "organization org_nothere not found") {
				t.Errorf("unknown org: %v, want ErrNotFound with the API's message", err)
			}
		})
	}
}
