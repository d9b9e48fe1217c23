package directory_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/directory"
	"github.com/orgbridge/orgbridge/connectors/directory/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/mapping"
)

// The adapter under each reading of document 004 that the emulator
// serves; see "Readings" in the package doc.

func readings(t *testing.T, names ...string) emulator.Options {
	t.Helper()
	set, err := emulator.Readings.Parse(names)
	if err != nil {
		t.Fatal(err)
	}
	return emulator.Options{Options: emukit.Options{Readings: set}, PageSize: 2}
}

// held returns the emulator's assignments as "subject/code=status", the
// status canonical (active or suspended) whatever the server's word.
func (e *env) held() []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(e.emu.Dump()), "\n") {
		if rest, ok := strings.CutPrefix(line, testOrg+" assignment "); ok {
			f := strings.Fields(rest)
			out = append(out, f[0]+"/"+f[1]+"="+f[2])
		}
	}
	return out
}

// upperStatus is directory.status_values for status-upper.
func upperStatus(c *directory.Config) {
	c.StatusValues = directory.StatusValues{Active: emulator.StatusUpperActive, Suspended: emulator.StatusUpperSuspended}
}

// TestReadUnderListReadings: the same assignments read the same whatever
// shape the list takes, and a list of account types alone is refused.
func TestReadUnderListReadings(t *testing.T) {
	u := func(s, types string, suspended bool) mapping.User {
		return mapping.User{Key: s, LoginID: s, Name: s, Suspended: suspended, Attributes: map[string]string{"account_type": types}}
	}
	want := &mapping.Snapshot{Users: []mapping.User{
		u("amy@example.com", "admin,standard", false),
		u("bob@example.com", "auditor,standard", true),
		u("cy@example.com", "standard", false),
		u("zed@example.com", "standard", false),
	}}
	tests := []struct {
		readings []string
		edit     func(*directory.Config)
		gets     int
	}{
		{nil, nil, 1},
		{[]string{emulator.ReadingListTypesWithUsers}, nil, 1},
		{[]string{emulator.ReadingListBareArray}, nil, 1},
		{[]string{emulator.ReadingListBareArray, emulator.ReadingListTypesWithUsers}, nil, 1},
		{[]string{emulator.ReadingPaginated}, nil, 3},                                              // 6 assignments, 2 a page
		{[]string{emulator.ReadingPaginated, emulator.ReadingListBareArray}, nil, 3},               // by the Link header
		{[]string{emulator.ReadingPaginated, emulator.ReadingListTypesWithUsers}, nil, 2},          // 3 account types
		{[]string{emulator.ReadingStatusUpper}, upperStatus, 1},                                    // with the key
		{[]string{emulator.ReadingStatusUpper}, nil, 1},                                            // INACTIVE reads as suspended anyway
		{[]string{emulator.ReadingErrorsNested, emulator.ReadingPostDuplicateOK}, nil, 1},          // no bearing on a read
		{[]string{emulator.ReadingTokenClientSecretPost, emulator.ReadingTokenShortLived}, nil, 1}, // the token comes another way
	}
	for _, tt := range tests {
		t.Run(strings.Join(append([]string{"default"}, tt.readings...), "+"), func(t *testing.T) {
			e := newEnv(t, readings(t, tt.readings...), tt.edit)
			e.seed("zed@example.com", "standard", "")
			e.seed("amy@example.com", "standard", emulator.StatusSuspended)
			e.seed("amy@example.com", "admin", "")
			e.seed("bob@example.com", "auditor", emulator.StatusSuspended)
			e.seed("bob@example.com", "standard", emulator.StatusSuspended)
			e.seed("cy@example.com", "standard", "")
			if diff := cmp.Diff(want, e.read()); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
			if r := e.requests(); len(r) != tt.gets {
				t.Errorf("requests %q, want %d GETs", r, tt.gets)
			}
			// The account types were learned wherever the list names
			// them: a code that is not one is refused before any write.
			_, err := e.apply(create(user("new@example.com", "owner", false)))
			var fe *connectors.FieldError
			if !errors.As(err, &fe) || len(fe.Fields["code"]) == 0 {
				t.Errorf("unknown code: %v", err)
			}
		})
	}

	for _, combo := range [][]string{
		{emulator.ReadingListAccountTypes},
		{emulator.ReadingListAccountTypes, emulator.ReadingListBareArray, emulator.ReadingPaginated},
	} {
		t.Run(strings.Join(combo, "+"), func(t *testing.T) {
			e := newEnv(t, readings(t, combo...), nil)
			e.seed("amy@example.com", "admin", "")
			_, err := e.a.Read(context.Background())
			if !errors.Is(err, directory.ErrNoAssignments) || connectors.IsTransient(err) ||
				!strings.Contains(err.Error(), "lists the organization's account types (standard, admin, auditor) and no assignments") {
				t.Errorf("Read: %v, want ErrNoAssignments naming the account types", err)
			}
			// A write that needs to know what a subject holds fails the
			// same way, before it writes.
			e.requests()
			_, err = e.apply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindUser, Key: "k", TargetID: "amy@example.com"})
			if !errors.Is(err, directory.ErrNoAssignments) {
				t.Errorf("delete without the codes: %v", err)
			}
			for _, r := range e.requests() {
				if !strings.HasPrefix(r, "GET") {
					t.Errorf("request %q after a refused listing", r)
				}
			}
		})
	}
}

// TestListRefusesWhatItCannotTrust: answers that would read as a partial
// target fail the read rather than plan from it.
func TestListRefusesWhatItCannotTrust(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"unreadable entries", `{"items":[{"subjectId":"a","code":"x"},{"login":"b","role":"x"}]}`,
			"1 of 2 list entries are neither an assignment (a subject and a code) nor an account type (first: an object with login, role)"},
		{"a total beyond the pages", `{"items":[{"subjectId":"a","code":"x"}],"total":40}`,
			"the server says the list holds 40 entries, but its pages gave 1 and no link to the rest"},
		{"account types beside no list", `{"accountTypes":[{"code":"x"}]}`, "lists the organization's account types (x) and no assignments"},
		{"no list at all", `{"organizationId":"o","count":"many"}`, "no list of assignments in the answer (it holds count, organizationId)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, emulator.Options{}, nil)
			e.intercept = func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodGet {
					return false
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.body))
				return true
			}
			_, err := e.a.Read(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) || connectors.IsTransient(err) {
				t.Errorf("Read: %v, want a permanent error containing %q", err, tt.want)
			}
		})
	}
}

// TestStatusValues: the words of directory.status_values are written; a
// server that refuses them fails the change naming the key; a status the
// adapter cannot place fails the read.
func TestStatusValues(t *testing.T) {
	const s = "a@example.com"
	suspend := func(e *env) error {
		actual := e.read().Users[0]
		_, err := e.apply(connectors.Change{Action: connectors.ActionSuspend, Kind: mapping.KindUser, Key: "k", TargetID: s, User: &actual})
		return err
	}

	t.Run("status-upper with the key", func(t *testing.T) {
		e := newEnv(t, readings(t, emulator.ReadingStatusUpper), upperStatus)
		e.seed(s, "admin", "")
		if err := suspend(e); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{s + "/admin=suspended"}, e.held()); diff != "" {
			t.Errorf("held (-want +got):\n%s", diff)
		}
		e.mustApply(create(user("b@example.com", "standard", true)))
		if got := e.emu.State().Organization(testOrg).Assignments[1]; got.Status != "INACTIVE" {
			t.Errorf("created suspended: %+v", got)
		}
	})

	t.Run("status-upper without the key", func(t *testing.T) {
		e := newEnv(t, readings(t, emulator.ReadingStatusUpper), nil)
		e.seed(s, "admin", "")
		err := suspend(e)
		var fe *connectors.FieldError
		if err == nil || connectors.IsTransient(err) || !errors.As(err, &fe) ||
			!strings.Contains(err.Error(), `set account type "admin" of a@example.com to status "suspended"`) ||
			!strings.Contains(err.Error(), "set directory.status_values.suspended to the word this server uses") {
			t.Errorf("suspend: %v, want a permanent error naming directory.status_values.suspended", err)
		}
		if diff := cmp.Diff([]string{s + "/admin=active"}, e.held()); diff != "" {
			t.Errorf("held (-want +got):\n%s", diff)
		}
		// ACTIVE is read as active, but writes would send "active": the
		// log says so.
		if n := e.logs.FilterMessageSnippet("another case than directory.status_values").Len(); n == 0 {
			t.Error("no warning that the server writes ACTIVE where the config says active")
		}
	})

	t.Run("words the adapter cannot place", func(t *testing.T) {
		opts := emulator.Options{StatusValues: emulator.StatusValues{Active: "on", Suspended: "frozen"}}
		e := newEnv(t, opts, nil)
		e.seed(s, "admin", "frozen")
		_, err := e.a.Read(context.Background())
		want := `subject a@example.com holds account type "admin" with status "frozen", which is neither directory.status_values.active ("active") nor directory.status_values.suspended ("suspended")`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Read: %v, want %q", err, want)
		}
		f := newEnv(t, opts, func(c *directory.Config) {
			c.StatusValues = directory.StatusValues{Active: "on", Suspended: "frozen"}
		})
		f.seed(s, "admin", "frozen")
		f.seed("b@example.com", "admin", "on")
		users := f.read().Users
		if !users[0].Suspended || users[1].Suspended {
			t.Errorf("with the key: %+v", users)
		}
	})
}

// TestRoleChangeUnderReadings: one code for another, twice on the same
// adapter (what it learned of the server the first time saves requests
// the second), under each reading of what PUT and POST do.
func TestRoleChangeUnderReadings(t *testing.T) {
	const s, s2 = "a@example.com", "b@example.com"
	tests := []struct {
		name          string
		readings      []string
		first, second []string
	}{
		{"default: PUT sets statuses only (404); POST (and the status), then DELETE", nil,
			[]string{"PUT /" + s + "/admin", "POST /" + s + "/admin", "PUT /" + s + "/admin", "DELETE /" + s + "/standard"},
			[]string{"POST /" + s2 + "/admin", "DELETE /" + s2 + "/standard"}},
		{"put-replaces-code: one PUT (the DELETE after the first finds the old code gone)", []string{emulator.ReadingPutReplacesCode},
			[]string{"PUT /" + s + "/admin", "DELETE /" + s + "/standard"},
			[]string{"PUT /" + s2 + "/admin"}},
		{"put-replaces-code, delete-missing-ok: PUT and DELETE each time", []string{emulator.ReadingPutReplacesCode, emulator.ReadingDeleteMissingOK},
			[]string{"PUT /" + s + "/admin", "DELETE /" + s + "/standard"},
			[]string{"PUT /" + s2 + "/admin", "DELETE /" + s2 + "/standard"}},
		{"single-account-type: the POST is refused, so DELETE then POST", []string{emulator.ReadingSingleAccountType},
			[]string{"PUT /" + s + "/admin", "POST /" + s + "/admin", "GET ", "DELETE /" + s + "/standard", "POST /" + s + "/admin", "PUT /" + s + "/admin"},
			[]string{"DELETE /" + s2 + "/standard", "POST /" + s2 + "/admin"}},
		{"single-account-type, put-replaces-code: one PUT", []string{emulator.ReadingSingleAccountType, emulator.ReadingPutReplacesCode},
			[]string{"PUT /" + s + "/admin", "DELETE /" + s + "/standard"},
			[]string{"PUT /" + s2 + "/admin"}},
		{"post-duplicate-ok: as the default", []string{emulator.ReadingPostDuplicateOK},
			[]string{"PUT /" + s + "/admin", "POST /" + s + "/admin", "PUT /" + s + "/admin", "DELETE /" + s + "/standard"},
			[]string{"POST /" + s2 + "/admin", "DELETE /" + s2 + "/standard"}},
		{"put-upserts: the PUT comes beside, so PUT then DELETE each time", []string{emulator.ReadingPutUpserts},
			[]string{"PUT /" + s + "/admin", "DELETE /" + s + "/standard"},
			[]string{"PUT /" + s2 + "/admin", "DELETE /" + s2 + "/standard"}},
		{"put-upserts, single-account-type: the PUT is refused (409), so DELETE then POST", []string{emulator.ReadingPutUpserts, emulator.ReadingSingleAccountType},
			[]string{"PUT /" + s + "/admin", "POST /" + s + "/admin", "GET ", "DELETE /" + s + "/standard", "POST /" + s + "/admin", "PUT /" + s + "/admin"},
			[]string{"DELETE /" + s2 + "/standard", "POST /" + s2 + "/admin"}},
		{"post-no-content: the status is set after every POST", []string{emulator.ReadingPostNoContent},
			[]string{"PUT /" + s + "/admin", "POST /" + s + "/admin", "PUT /" + s + "/admin", "DELETE /" + s + "/standard"},
			[]string{"POST /" + s2 + "/admin", "PUT /" + s2 + "/admin", "DELETE /" + s2 + "/standard"}},
		{"new-inactive: the POST says suspended, so an active one is set", []string{emulator.ReadingNewInactive},
			[]string{"PUT /" + s + "/admin", "POST /" + s + "/admin", "DELETE /" + s + "/standard"},
			[]string{"POST /" + s2 + "/admin", "PUT /" + s2 + "/admin", "DELETE /" + s2 + "/standard"}},
		{"new-inactive, post-no-content, single-account-type", []string{emulator.ReadingNewInactive, emulator.ReadingPostNoContent, emulator.ReadingSingleAccountType},
			[]string{"PUT /" + s + "/admin", "POST /" + s + "/admin", "GET ", "DELETE /" + s + "/standard", "POST /" + s + "/admin", "PUT /" + s + "/admin"},
			[]string{"DELETE /" + s2 + "/standard", "POST /" + s2 + "/admin", "PUT /" + s2 + "/admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, readings(t, tt.readings...), nil)
			e.seed(s, "standard", emulator.StatusSuspended)
			e.seed(s2, "standard", "")
			e.mustApply(update(s, user(s, "admin", true), field("account_type", "standard", "admin")))
			if diff := cmp.Diff(tt.first, e.requests()); diff != "" {
				t.Errorf("first role change (-want +got):\n%s", diff)
			}
			e.mustApply(update(s2, user(s2, "admin", false), field("account_type", "standard", "admin")))
			if diff := cmp.Diff(tt.second, e.requests()); diff != "" {
				t.Errorf("second role change (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{s + "/admin=suspended", s2 + "/admin=active"}, e.held()); diff != "" {
				t.Errorf("held (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRoleChangeGivesBackOnFailure: on a server that allows one account
// type per subject, and whose PUT sets statuses only, the old code goes
// before the new one comes; when the new one fails, the old one is given
// back, so the user keeps the access it had.
func TestRoleChangeGivesBackOnFailure(t *testing.T) {
	const s = "a@example.com"
	e := newEnv(t, readings(t, emulator.ReadingSingleAccountType), nil)
	e.seed(s, "standard", "")
	e.seed("b@example.com", "standard", "")
	// Learn that the server allows one code each.
	e.mustApply(update("b@example.com", user("b@example.com", "admin", false), field("account_type", "standard", "admin")))
	e.requests()
	e.intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/"+s+"/admin") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"message":"database unavailable"}`))
			return true
		}
		return false
	}
	_, err := e.apply(update(s, user(s, "admin", false), field("account_type", "standard", "admin")))
	if err == nil || !connectors.IsTransient(err) || !strings.Contains(err.Error(), "database unavailable") ||
		!strings.Contains(err.Error(), "account type standard given back") {
		t.Errorf("role change: %v, want a transient error saying standard was given back", err)
	}
	want := []string{"DELETE /" + s + "/standard", "POST /" + s + "/admin", "POST /" + s + "/standard"}
	if diff := cmp.Diff(want, e.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{s + "/standard=active", "b@example.com/admin=active"}, e.held()); diff != "" {
		t.Errorf("held (-want +got):\n%s", diff)
	}
	// Two codes cannot be held here: the error says why.
	e.intercept = nil
	_, err = e.apply(create(user("c@example.com", "admin,auditor", false)))
	if !errors.Is(err, connectors.ErrConflict) || !strings.Contains(err.Error(), "it allows one account type per subject") {
		t.Errorf("two codes on a one-code server: %v", err)
	}
}

// TestIdempotentPost: a POST answered 200 with an assignment held already
// gets its status set when it differs, without a read.
func TestIdempotentPost(t *testing.T) {
	e := newEnv(t, readings(t, emulator.ReadingPostDuplicateOK), nil)
	e.seed("a@example.com", "admin", emulator.StatusSuspended)
	e.seed("b@example.com", "admin", "")
	e.mustApply(create(user("a@example.com", "admin", false)))
	e.mustApply(create(user("b@example.com", "admin", false)))
	want := []string{"POST /a@example.com/admin", "PUT /a@example.com/admin", "POST /b@example.com/admin"}
	if diff := cmp.Diff(want, e.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a@example.com/admin=active", "b@example.com/admin=active"}, e.held()); diff != "" {
		t.Errorf("held (-want +got):\n%s", diff)
	}
}

// TestHandMadeAccountTypes: with directory.managed_account_types, a code
// outside them was given by hand: Read leaves it out of account_type, and
// no update, suspension or deletion removes or alters it.
func TestHandMadeAccountTypes(t *testing.T) {
	const s = "a@example.com"
	managed := func(c *directory.Config) { c.ManagedAccountTypes = []string{"standard", "admin"} }
	for _, rs := range [][]string{nil, {emulator.ReadingPutReplacesCode}, {emulator.ReadingPutReplacesCode, emulator.ReadingListTypesWithUsers}} {
		t.Run(strings.Join(append([]string{"default"}, rs...), "+"), func(t *testing.T) {
			e := newEnv(t, readings(t, rs...), managed)
			e.seed(s, "admin", "")
			e.seed(s, "auditor", "")               // by hand
			e.seed("h@example.com", "auditor", "") // by hand, and nothing else
			snap := e.read()
			got := map[string]string{}
			for _, u := range snap.Users {
				got[u.Key] = u.Attributes[directory.AttrAccountType]
			}
			if diff := cmp.Diff(map[string]string{s: "admin", "h@example.com": ""}, got); diff != "" {
				t.Errorf("account_type as read (-want +got):\n%s", diff)
			}
			e.requests()

			// A role change: never a PUT, which would replace auditor too.
			e.mustApply(update(s, user(s, "standard", false), field("account_type", "admin", "standard")))
			if diff := cmp.Diff([]string{"POST /" + s + "/standard", "DELETE /" + s + "/admin"}, e.requests()); diff != "" {
				t.Errorf("role change (-want +got):\n%s", diff)
			}
			// Everything, from a fresh read: auditor is not orgbridge's to drop.
			e.mustApply(update(s, user(s, "standard", false)))
			// Suspended: its own codes only, and the log says it keeps auditor.
			actual := mapping.User{Key: s, LoginID: s, Name: s, Attributes: map[string]string{directory.AttrAccountType: "standard"}}
			e.mustApply(connectors.Change{Action: connectors.ActionSuspend, Kind: mapping.KindUser, Key: "k", TargetID: s, User: &actual})
			if e.logs.FilterMessage("suspended user keeps account types orgbridge does not manage").Len() != 1 {
				t.Error("no warning that the suspended user keeps auditor")
			}
			want := []string{"a@example.com/auditor=active", "a@example.com/standard=suspended", "h@example.com/auditor=active"}
			if diff := cmp.Diff(want, e.held()); diff != "" {
				t.Errorf("held after suspend (-want +got):\n%s", diff)
			}
			// Deleted: its own codes only.
			e.mustApply(connectors.Change{Action: connectors.ActionDelete, Kind: mapping.KindUser, Key: "k", TargetID: s, User: &actual})
			want = []string{"a@example.com/auditor=active", "h@example.com/auditor=active"}
			if diff := cmp.Diff(want, e.held()); diff != "" {
				t.Errorf("held after delete (-want +got):\n%s", diff)
			}
			// A subject holding only hand-made codes cannot be suspended
			// by orgbridge: it says so rather than leave it active quietly.
			_, err := e.apply(connectors.Change{Action: connectors.ActionSuspend, Kind: mapping.KindUser, Key: "h", TargetID: "h@example.com"})
			if err == nil || !strings.Contains(err.Error(), "holds only account types orgbridge does not manage (auditor)") {
				t.Errorf("suspending a subject with hand-made codes only: %v", err)
			}
			// Adopted with a managed code: auditor stays.
			e.mustApply(update("h@example.com", user("h@example.com", "admin", false), field("account_type", "", "admin")))
			// And orgbridge does not assign a code it does not manage.
			_, err = e.apply(create(user("n@example.com", "auditor", false)))
			var fe *connectors.FieldError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), `account type "auditor" is not in directory.managed_account_types (admin, standard)`) {
				t.Errorf("create with an unmanaged code: %v", err)
			}
			want = []string{"a@example.com/auditor=active", "h@example.com/admin=active", "h@example.com/auditor=active"}
			if diff := cmp.Diff(want, e.held()); diff != "" {
				t.Errorf("held at the end (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNestedErrorMessage: under errors-nested the server's message, under
// "error", reaches the error a change fails with.
func TestNestedErrorMessage(t *testing.T) {
	e := newEnv(t, readings(t, emulator.ReadingErrorsNested, emulator.ReadingListBareArray), nil)
	e.read() // a bare array: the account types stay unknown, the server checks
	_, err := e.apply(create(user("a@example.com", "owner", false)))
	want := `The selected code "owner" is not an account type of organization "org-test"`
	if err == nil || !strings.Contains(err.Error(), want) || connectors.IsTransient(err) {
		t.Errorf("create: %v, want the server's message %q", err, want)
	}
	e.seed("a@example.com", "admin", "")
	e.intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPut {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"message":"user not found: usr_1013"}}`))
		return true
	}
	actual := mapping.User{Key: "a@example.com", Attributes: map[string]string{directory.AttrAccountType: "admin"}}
	_, err = e.apply(connectors.Change{Action: connectors.ActionSuspend, Kind: mapping.KindUser, Key: "k", TargetID: "a@example.com", User: &actual})
	if err == nil || !strings.Contains(err.Error(), "400 Bad Request: user not found: usr_1013") {
		t.Errorf("suspend: %v, want the nested message after the status", err)
	}
}

// TestTokenReadings: a short-lived token is renewed ahead of its expiry,
// and a token endpoint that refuses HTTP Basic gets the credentials in the
// form, once for all.
func TestTokenReadings(t *testing.T) {
	e := newEnv(t, readings(t, emulator.ReadingTokenShortLived), nil)
	e.read()
	for range 3 {
		e.clock.Advance(2 * time.Minute)
		e.read()
	}
	st := e.emu.Stats()
	if n := st.ByRoute["POST "+emulator.RouteToken]; n != 4 {
		t.Errorf("token requests %d, want 4 (one per read, each token dead by the next)", n)
	}
	if n := st.ByRoute["GET "+emulator.RouteAccounts]; n != 4 {
		t.Errorf("GETs %d, want 4: no call was refused", n)
	}

	p := newEnv(t, readings(t, emulator.ReadingTokenClientSecretPost), nil)
	p.read()
	p.emu.ExpireTokens()
	p.read()
	// Basic refused, the form taken; after the expiry, the form only.
	if n := p.emu.Stats().ByRoute["POST "+emulator.RouteToken]; n != 3 {
		t.Errorf("token requests %d, want 3", n)
	}
	if p.logs.FilterMessageSnippet("client_secret_post").Len() != 1 {
		t.Error("the switch to client_secret_post is not logged once")
	}
	if diff := cmp.Diff([]string{"GET ", "GET ", "GET "}, p.requests(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}
