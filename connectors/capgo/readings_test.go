package capgo_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/capgo"
	"github.com/orgbridge/orgbridge/connectors/capgo/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/mapping"
)

const itAdmin = "it-admin@example.co.jp"

// readingFixture is an adapter with management_email set against an
// emulator serving the readings, optionally behind wrap.
func readingFixture(t *testing.T, names []string, wrap func(*emulator.Server) http.Handler) *fixture {
	t.Helper()
	set, err := emulator.Readings.Parse(names)
	if err != nil {
		t.Fatal(err)
	}
	emu := emulator.New(emulator.Options{Options: emukit.Options{Readings: set}, PageSize: 2})
	emu.AddAPIKey(testKey, testUser, testEmail)
	emu.AddAPIKey(otherKey, otherUser, "other@example.com")
	var h http.Handler = emu
	if wrap != nil {
		h = wrap(emu)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return newFixtureAt(t, emu, ts.URL, func(c *capgo.Config) { c.ManagementEmail = itAdmin })
}

// Under every reading of the create call, each new organization ends with
// the configured management_email, and the PUT is sent only where the
// create cannot carry the address.
func TestCreateManagementEmailUnderReadings(t *testing.T) {
	tests := []struct {
		readings []string
		// writes for three creates.
		writes int
		why    string
	}{
		{nil, 6, "each a POST (the address ignored) and a PUT; the first read back"},
		{[]string{emulator.ReadingNewOrgEmailEmpty}, 6, "as the default"},
		{[]string{emulator.ReadingCreateManagementEmail}, 3, "the POST sets it: no PUT"},
		{[]string{emulator.ReadingCreateManagementEmail, emulator.ReadingNewOrgEmailEmpty}, 3, "the POST sets it: no PUT"},
		{[]string{emulator.ReadingCreateStrictBody}, 7, "the first POST refused, then the name alone and a PUT each"},
		{[]string{emulator.ReadingCreateStrictBody, emulator.ReadingErrorsHTTP200}, 7, "the refusal as a 200 KO body"},
		{[]string{emulator.ReadingCreateStrictBody, emulator.ReadingErrorsHTTP400}, 7, "as create-strict-body"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append([]string{"default"}, tt.readings...), "+"), func(t *testing.T) {
			f := readingFixture(t, tt.readings, nil)
			for _, name := range []string{"本社", "本社 / 営業部", "本社 / 開発部"} {
				if _, err := f.a.Apply(t.Context(), createOrg(name), nil); err != nil {
					t.Fatal(err)
				}
			}
			for _, o := range f.emu.State().Orgs {
				if o.ManagementEmail != itAdmin {
					t.Errorf("org %q has management_email %q, want %s", o.Name, o.ManagementEmail, itAdmin)
				}
			}
			if n := len(f.emu.State().Orgs); n != 3 {
				t.Errorf("%d orgs, want 3", n)
			}
			if w := f.emu.Stats().Writes; w != tt.writes {
				t.Errorf("%d writes, want %d: %s", w, tt.writes, tt.why)
			}
		})
	}
}

// lostAnswers applies the POSTs it is told to and then answers 500, as a
// server whose answer is lost after the write.
type lostAnswers struct {
	emu   *emulator.Server
	lose  atomic.Int32 // POSTs still to lose
	extra func()       // run after a lost POST was applied (another writer)
}

func (l *lostAnswers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || l.lose.Add(-1) < 0 {
		l.emu.ServeHTTP(w, r)
		return
	}
	l.emu.ServeHTTP(httptest.NewRecorder(), r)
	if l.extra != nil {
		l.extra()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte(`{"error":"Internal server error","status":"KO"}`))
}

// The answer of a create is lost after the organization was made: the
// adapter finds it, sets its management_email and reports its id, instead
// of leaving it to be adopted by name with Capgo's address.
func TestLostCreateAnswer(t *testing.T) {
	tests := []struct {
		name     string
		readings []string
		read     bool // a Read before the create
		extra    bool // another writer makes an org of the same name meanwhile
		wantErr  string
		// transient: the error (if any) is transient.
		transient bool
		orgs      int
	}{
		{name: "recovered", read: true, orgs: 2},
		{name: "recovered, the create carrying the address", readings: []string{emulator.ReadingCreateManagementEmail}, read: true, orgs: 2},
		{name: "recovered under a paged list", readings: []string{emulator.ReadingListPaged, emulator.ReadingErrorsHTTP400}, read: true, orgs: 2},
		{name: "two candidates: loud", read: true, extra: true, wantErr: `2 organizations named "本社" appeared since the last read`, orgs: 3},
		{name: "no read to compare with", read: false, wantErr: "500", transient: true, orgs: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lost *lostAnswers
			f := readingFixture(t, tt.readings, func(emu *emulator.Server) http.Handler {
				lost = &lostAnswers{emu: emu}
				return lost
			})
			// A hand-made organization of the same name was there before.
			old := f.emu.AddOrg(testUser, "本社")
			if tt.read {
				if _, err := f.a.Read(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			if tt.extra {
				lost.extra = func() {
					o := f.emu.AddOrg(otherUser, "本社")
					f.emu.SetRole(o.ID, testUser, emulator.RoleAdmin)
				}
			}
			lost.lose.Store(1)
			res, err := f.a.Apply(t.Context(), createOrg("本社"), nil)
			st := f.emu.State()
			if len(st.Orgs) != tt.orgs {
				t.Errorf("%d orgs, want %d", len(st.Orgs), tt.orgs)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || connectors.IsTransient(err) != tt.transient {
					t.Fatalf("err = %v; want %q, transient %v", err, tt.wantErr, tt.transient)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range st.Orgs {
				switch {
				case o.ID == old.ID && o.ManagementEmail != testEmail:
					t.Errorf("the hand-made org's management_email was changed to %q", o.ManagementEmail)
				case o.ID != old.ID && (o.ID != res.TargetID || o.ManagementEmail != itAdmin):
					t.Errorf("recovered %s; org %+v: want it, with %s", res.TargetID, o, itAdmin)
				}
			}
		})
	}
}

// A create refused before anything was done (an injected 500 answered
// before processing) is a transient error and leaves nothing.
func TestCreateNotAppliedStaysTransient(t *testing.T) {
	f := readingFixture(t, nil, nil)
	if _, err := f.a.Read(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.emu.SetFaults(emulator.Faults{Rate5xx: 1, Seed: 3})
	_, err := f.a.Apply(t.Context(), createOrg("本社"), nil)
	f.emu.SetFaults(emulator.Faults{})
	if !connectors.IsTransient(err) {
		t.Fatalf("err = %v; want transient", err)
	}
	if n := len(f.emu.State().Orgs); n != 0 {
		t.Errorf("%d orgs", n)
	}
}

// An adopted (hand-made) organization whose management_email Capgo set is
// corrected by orgbridge's next write of it, and what orgbridge does not
// manage (logo, members) is kept.
// Under every combination of readings (put-absent-logo-cleared among
// them: a PUT without logo clears it), with a Read before the updates or
// none.
func TestUpdateCorrectsManagementEmailAndKeepsTheRest(t *testing.T) {
	for _, readings := range emulator.Readings.Combinations() {
		name := strings.Join(readings, "+")
		if name == "" {
			name = "default"
		}
		for _, read := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/read=%v", name, read), func(t *testing.T) {
				updateKeepsTheRest(t, readings, read)
			})
		}
	}
}

func updateKeepsTheRest(t *testing.T, readings []string, read bool) {
	f := readingFixture(t, readings, nil)
	hand := f.emu.AddOrg(testUser, "営業部")
	f.emu.SetRole(hand.ID, otherUser, emulator.RoleMember)
	// A logo set by hand in Capgo.
	f.emu.SetLogo(hand.ID, "https://cdn.example.com/l.png")
	if read {
		if _, err := f.a.Read(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	tests := []connectors.Change{
		// A rename.
		{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "sales", TargetID: hand.ID, Org: &mapping.Org{Key: "sales", Name: "本社 / 営業部"},
			Diff: []connectors.FieldChange{{Field: change.FieldName, Old: "営業部", New: "本社 / 営業部"}}},
		// The drift of management_email alone.
		{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "sales", TargetID: hand.ID, Org: &mapping.Org{Key: "sales", Name: "本社 / 営業部"},
			Diff: []connectors.FieldChange{{Field: change.TargetSetting("management_email"), Old: "x@example.com", New: itAdmin}}},
	}
	for i, c := range tests {
		if i == 1 {
			// Someone changes it by hand again.
			f.emu.SetManagementEmail(hand.ID, "x@example.com")
		}
		if _, err := f.a.Apply(t.Context(), c, nil); err != nil {
			t.Fatal(err)
		}
		st := f.emu.State()
		o := st.Orgs[0]
		if o.Name != "本社 / 営業部" || o.ManagementEmail != itAdmin || o.Logo == nil || *o.Logo != "https://cdn.example.com/l.png" {
			t.Errorf("after change %d: %+v (logo %v)", i, o, o.Logo)
		}
		if m := st.Members[hand.ID]; m[otherUser] != emulator.RoleMember || m[testUser] != emulator.RoleAdmin {
			t.Errorf("after change %d: members %v", i, m)
		}
	}
}

// Under list-all-orgs the key sees another user's organization; a write
// to it fails loudly (ErrAdminRoleRequired), never silently, and never
// taken for one that is gone (under role-checked-first a gone one is 403
// too).
func TestListAllOrgsWriteIsLoud(t *testing.T) {
	for _, rs := range [][]string{
		{emulator.ReadingListAllOrgs},
		{emulator.ReadingListAllOrgs, emulator.ReadingRoleCheckedFirst},
		{emulator.ReadingListAllOrgs, emulator.ReadingRoleCheckedFirst, emulator.ReadingErrorsHTTP400, emulator.ReadingListPagedFrom1},
	} {
		t.Run(strings.Join(rs, "+"), func(t *testing.T) {
			f := readingFixture(t, rs, nil)
			theirs := f.emu.AddOrg(otherUser, "本社")
			snap, err := f.a.Read(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Orgs) != 1 || snap.Orgs[0].Key != theirs.ID {
				t.Fatalf("Read = %+v", snap.Orgs)
			}
			hq := &mapping.Org{Key: "hq", Name: "本社"}
			for _, c := range []connectors.Change{
				{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "hq", TargetID: theirs.ID, Org: hq},
				{Action: connectors.ActionDelete, Kind: mapping.KindOrg, Key: "hq", TargetID: theirs.ID, Org: hq},
			} {
				if _, err := f.a.Apply(t.Context(), c, nil); !errors.Is(err, capgo.ErrAdminRoleRequired) || errors.Is(err, connectors.ErrNotFound) || connectors.IsTransient(err) {
					t.Errorf("%s of another user's org: %v; want ErrAdminRoleRequired", c.Action, err)
				}
			}
			if st := f.emu.State(); len(st.Orgs) != 1 || st.Orgs[0].ManagementEmail != "other@example.com" {
				t.Errorf("another user's org changed: %+v", st.Orgs)
			}
		})
	}
}

// The list is read to its end however a server pages it, page 0 taken for
// page 1 included, and a server that does not page costs three GETs.
func TestListPagesUnderReadings(t *testing.T) {
	tests := []struct {
		readings []string
		gets     int // for 5 organizations, 2 a page where pages are
	}{
		{nil, 3},                                 // page 0, then pages 1 and 2 repeating it
		{[]string{emulator.ReadingListPaged}, 4}, // pages 0, 1, 2, and 3 empty
		{[]string{emulator.ReadingListPagedFrom1}, 5}, // pages 0 (=1), 1 (repeats it), 2, 3, and 4 empty
		{[]string{emulator.ReadingListPagedFrom1, emulator.ReadingListBareArray, emulator.ReadingErrorsHTTP200}, 5},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append([]string{"default"}, tt.readings...), "+"), func(t *testing.T) {
			f := readingFixture(t, tt.readings, nil)
			for i := range 5 {
				f.emu.AddOrg(testUser, fmt.Sprintf("組織%d", i))
			}
			f.emu.ResetStats()
			snap, err := f.a.Read(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Orgs) != 5 {
				t.Errorf("Read %d orgs, want 5: %+v", len(snap.Orgs), snap.Orgs)
			}
			if n := f.emu.Stats().Requests; n != tt.gets {
				t.Errorf("%d GETs, want %d", n, tt.gets)
			}
		})
	}
}

// Under the readings that answer every error 200 or 400, a refused key is
// still ErrInvalidAPIKey and a missing organization ErrNotFound.
func TestErrorsReadByMessage(t *testing.T) {
	for _, rs := range [][]string{
		{emulator.ReadingErrorsHTTP200},
		{emulator.ReadingErrorsHTTP400},
		// The key answered 403, as the role is.
		{emulator.ReadingInvalidKey403},
		// A missing organization answered as the role: the adapter lists
		// to tell it from one it may not write.
		{emulator.ReadingRoleCheckedFirst},
		{emulator.ReadingRoleCheckedFirst, emulator.ReadingInvalidKey403, emulator.ReadingListAllOrgs},
		{emulator.ReadingRoleCheckedFirst, emulator.ReadingErrorsHTTP200},
	} {
		t.Run(strings.Join(rs, "+"), func(t *testing.T) {
			f := readingFixture(t, rs, nil)
			del := connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindOrg, Key: "gone", TargetID: "4d3c2b1a-0000-4000-8000-000000000000"}
			if _, err := f.a.Apply(t.Context(), del, nil); !errors.Is(err, connectors.ErrNotFound) {
				t.Errorf("delete of a missing org: %v; want ErrNotFound (done for the executor)", err)
			}
			upd := connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindOrg, Key: "gone", TargetID: del.TargetID, Org: &mapping.Org{Key: "gone", Name: "x"}}
			if _, err := f.a.Apply(t.Context(), upd, nil); !errors.Is(err, connectors.ErrNotFound) {
				t.Errorf("update of a missing org: %v; want ErrNotFound", err)
			}
			f.emu.RevokeAPIKeys()
			_, err := f.a.Read(t.Context())
			if !errors.Is(err, capgo.ErrInvalidAPIKey) || connectors.IsTransient(err) || !strings.Contains(err.Error(), "capgo.api_key (environment variable "+testKeyEnv+")") {
				t.Errorf("refused key: %v", err)
			}
		})
	}
}

// Read logs the organizations whose management_email is not the
// configured one.
// An org whose management_email is not the configured one is read with a
// Drift naming it; one created by orgbridge is not.
func TestReadReportsManagementEmailDrift(t *testing.T) {
	f := readingFixture(t, nil, nil)
	hand := f.emu.AddOrg(testUser, "本社")
	res, err := f.a.Apply(t.Context(), createOrg("開発部"), nil)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := f.a.Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range snap.Orgs {
		switch o.Key {
		case hand.ID:
			if o.Drift.Field != "management_email" || o.Drift.New == "" || o.Drift.Old == o.Drift.New {
				t.Errorf("hand-made org: Drift %+v, want management_email from Capgo's address to the configured one", o.Drift)
			}
		case res.TargetID:
			if o.Drift != (mapping.Drift{}) {
				t.Errorf("org created by orgbridge: Drift %+v, want none", o.Drift)
			}
		}
	}
}
