package emulator

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func withReadings(t *testing.T, names ...string) Options {
	t.Helper()
	set, err := Readings.Parse(names)
	if err != nil {
		t.Fatal(err)
	}
	return Options{Options: emukit.Options{Readings: set}}
}

func TestReadingsCatalogue(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	nameRE := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	seedRE := regexp.MustCompile(`^004:\d+ 「[^」]+」`)
	seen := map[string]bool{}
	for _, r := range Readings {
		if !nameRE.MatchString(r.Name) || seen[r.Name] {
			t.Errorf("reading name %q: not lower-case-with-dashes, or repeated", r.Name)
		}
		seen[r.Name] = true
		if !seedRE.MatchString(r.Seed) {
			t.Errorf("%s: seed %q is not `004:LINE 「quote」`", r.Name, r.Seed)
		}
		if r.Doc == "" {
			t.Errorf("%s: no doc", r.Name)
		}
		// The package doc's "# Readings" section lists each with its seed
		// line.
		line, _, _ := strings.Cut(r.Seed, " ")
		if !bytes.Contains(doc, []byte("//   - "+r.Name+" ("+line)) {
			t.Errorf("doc.go does not list %q with its seed line %s", r.Name, line)
		}
		for _, x := range r.Excludes {
			if _, ok := Readings.Lookup(x); !ok {
				t.Errorf("%s excludes unknown reading %q", r.Name, x)
			}
		}
	}
	if _, err := Readings.Parse([]string{ReadingListAccountTypes, ReadingListTypesWithUsers}); err == nil {
		t.Error("the two list readings were accepted together")
	}
	combos := Readings.Combinations()
	first := combos[len(Readings)+1]
	if !strings.Contains(strings.Join(first, ","), ReadingListTypesWithUsers) {
		t.Errorf("the first all-readings set %v does not keep list-types-with-users", first)
	}
}

// rawCall sends an API request and returns status, header and raw body.
func (f *fixture) rawCall(method, target, tok, body string) (int, http.Header, string) {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	if !strings.HasPrefix(target, "http") {
		target = f.ts.URL + target
	}
	req, _ := http.NewRequest(method, target, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// indent renders a JSON body indented, so that golden files read well.
func indent(t *testing.T, raw string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(raw), "", "  "); err != nil {
		t.Fatalf("body %q: %v", raw, err)
	}
	return b.String() + "\n"
}

// TestListReadings pins the list's body under each reading that shapes it:
// three assignments, one suspended, in an organization of two account
// types.
func TestListReadings(t *testing.T) {
	tests := []struct {
		golden   string
		readings []string
		query    string
	}{
		{"list-default.json", nil, ""},
		{"list-types-with-users.json", []string{ReadingListTypesWithUsers}, ""},
		{"list-account-types.json", []string{ReadingListAccountTypes}, ""},
		{"list-bare-array.json", []string{ReadingListBareArray}, ""},
		{"list-bare-types-with-users.json", []string{ReadingListBareArray, ReadingListTypesWithUsers}, ""},
		{"list-paginated-1.json", []string{ReadingPaginated}, ""},
		{"list-paginated-2.json", []string{ReadingPaginated}, "?page=2"},
		{"list-paginated-types-with-users.json", []string{ReadingPaginated, ReadingListTypesWithUsers}, ""},
		{"list-status-upper.json", []string{ReadingStatusUpper}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			opts := withReadings(t, tt.readings...)
			opts.PageSize = 2
			f := newFixture(t, opts)
			tok := f.token()
			for _, p := range []string{"/zed/standard", "/amy/standard", "/amy/admin"} {
				if r := f.call(http.MethodPost, accounts+p, tok, ""); r.status != http.StatusCreated {
					t.Fatalf("POST %s: %d %s", p, r.status, r.raw)
				}
			}
			if err := f.srv.Assign(testOrg, "zed", "standard", StatusSuspended); err != nil {
				t.Fatal(err)
			}
			status, header, body := f.rawCall(http.MethodGet, accounts+tt.query, tok, "")
			if status != http.StatusOK {
				t.Fatalf("GET: %d %s", status, body)
			}
			// The next link names the test server's address: put a
			// stable one in the golden file.
			body = strings.ReplaceAll(body, f.ts.URL, "http://directory.test")
			golden.Check(t, filepath.Join("testdata", tt.golden), indent(t, body), *update)
			if link := header.Get("Link"); link != "" {
				t.Errorf("Link header %q on an object body", link)
			}
		})
	}
}

func TestPaginatedBareArrayLinks(t *testing.T) {
	opts := withReadings(t, ReadingPaginated, ReadingListBareArray)
	opts.PageSize = 2
	f := newFixture(t, opts)
	tok := f.token()
	for _, p := range []string{"/a/standard", "/b/standard", "/c/standard"} {
		f.call(http.MethodPost, accounts+p, tok, "")
	}
	status, header, body := f.rawCall(http.MethodGet, accounts, tok, "")
	want := "<" + f.ts.URL + accounts + `?page=2>; rel="next"`
	if status != 200 || header.Get("Link") != want || !strings.HasPrefix(body, "[") {
		t.Fatalf("page 1: %d Link %q body %s, want Link %q", status, header.Get("Link"), body, want)
	}
	var items []Assignment
	_ = json.Unmarshal([]byte(body), &items)
	status, header, body = f.rawCall(http.MethodGet, f.ts.URL+accounts+"?page=2", tok, "")
	var last []Assignment
	_ = json.Unmarshal([]byte(body), &last)
	if status != 200 || header.Get("Link") != "" || len(items) != 2 || len(last) != 1 || last[0].SubjectID != "c" {
		t.Errorf("page 2: %d Link %q body %s", status, header.Get("Link"), body)
	}
	for _, q := range []string{"?page=0", "?page=x", "?page=-1"} {
		if status, _, body := f.rawCall(http.MethodGet, accounts+q, tok, ""); status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", q, status, body)
		}
	}
	// Past the end: an empty page, no link.
	if status, header, body := f.rawCall(http.MethodGet, accounts+"?page=9", tok, ""); status != 200 || body != "[]" || header.Get("Link") != "" {
		t.Errorf("past the end: %d %q %q", status, body, header.Get("Link"))
	}
	// Without paginated, page is ignored: one page holds everything.
	g := newFixture(t, Options{PageSize: 1})
	tok = g.token()
	g.call(http.MethodPost, accounts+"/a/standard", tok, "")
	g.call(http.MethodPost, accounts+"/b/standard", tok, "")
	if _, _, body := g.rawCall(http.MethodGet, accounts+"?page=2", tok, ""); !strings.Contains(body, `"subjectId":"a"`) || !strings.Contains(body, `"subjectId":"b"`) {
		t.Errorf("default reading with ?page=2: %s", body)
	}
}

func TestStatusValuesReadings(t *testing.T) {
	tests := []struct {
		name              string
		opts              Options
		active, suspended string
	}{
		{"default", Options{}, "active", "suspended"},
		{"status-upper", withReadings(t, ReadingStatusUpper), "ACTIVE", "INACTIVE"},
		{"option", Options{StatusValues: StatusValues{Active: "enabled", Suspended: "frozen"}}, "enabled", "frozen"},
		{"option over status-upper", Options{Options: emukit.Options{Readings: emukit.Set{ReadingStatusUpper: true}}, StatusValues: StatusValues{Active: "on", Suspended: "off"}}, "on", "off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts)
			tok := f.token()
			path := accounts + "/taro/standard"
			if r := f.call(http.MethodPost, path, tok, ""); r.status != 201 || r.body["status"] != tt.active {
				t.Fatalf("POST: %d %s, want status %q", r.status, r.raw, tt.active)
			}
			for _, other := range []string{"active", "suspended", "ACTIVE", "INACTIVE"} {
				if other == tt.active || other == tt.suspended {
					continue
				}
				errs := errorsOf(t, f.call(http.MethodPut, path, tok, `{"status":"`+other+`"}`))
				if _, ok := errs["status"]; !ok {
					t.Errorf("PUT %s: errors %v, want status", other, errs)
				}
			}
			if r := f.call(http.MethodPut, path, tok, `{"status":"`+tt.suspended+`"}`); r.status != 200 || r.body["status"] != tt.suspended {
				t.Errorf("PUT %s: %d %s", tt.suspended, r.status, r.raw)
			}
			// Dump names the canonical status whatever the server's word.
			if d := f.srv.Dump(); !strings.Contains(d, "org-1 assignment taro standard suspended\n") {
				t.Errorf("Dump:\n%s", d)
			}
			if err := f.srv.Assign(testOrg, "jiro", "admin", StatusSuspended); err != nil {
				t.Fatal(err)
			}
			if got := f.srv.State().Organization(testOrg).Assignments[0]; got.SubjectID != "jiro" || got.Status != tt.suspended {
				t.Errorf("Assign(StatusSuspended) stored %+v, want %q", got, tt.suspended)
			}
			if err := f.srv.Assign(testOrg, "jiro", "admin", "deleted"); err == nil {
				t.Error("Assign took an unknown status")
			}
		})
	}
}

func TestPutReadings(t *testing.T) {
	const subject = "/taro"
	tests := []struct {
		name     string
		readings []string
		seed     [][2]string // code, status
		put      string      // code
		body     string
		status   int
		want     string // Dump lines of taro's assignments
	}{
		{"default: status only, another code is 404", nil,
			[][2]string{{"standard", "active"}}, "admin", `{"status":"active"}`, 404, "standard active"},
		{"replaces the code, status kept", []string{ReadingPutReplacesCode},
			[][2]string{{"standard", "suspended"}}, "admin", "", 200, "admin suspended"},
		{"replaces the code, status from the body", []string{ReadingPutReplacesCode},
			[][2]string{{"standard", "suspended"}}, "admin", `{"status":"active"}`, 200, "admin active"},
		{"replaces every code", []string{ReadingPutReplacesCode},
			[][2]string{{"standard", "suspended"}, {"auditor", "active"}}, "admin", "", 200, "admin active"},
		{"a held code: the status only", []string{ReadingPutReplacesCode},
			[][2]string{{"standard", "active"}, {"auditor", "active"}}, "standard", `{"status":"suspended"}`, 200, "auditor active|standard suspended"},
		{"a subject that holds none", []string{ReadingPutReplacesCode},
			nil, "admin", "", 404, ""},
		{"an unknown code", []string{ReadingPutReplacesCode},
			[][2]string{{"standard", "active"}}, "owner", "", 422, "standard active"},
		{"a bad status leaves it as it was", []string{ReadingPutReplacesCode},
			[][2]string{{"standard", "active"}}, "admin", `{"status":"gone"}`, 422, "standard active"},
		{"put-upserts: another code comes beside", []string{ReadingPutUpserts},
			[][2]string{{"standard", "suspended"}}, "admin", `{"status":"active"}`, 201, "admin active|standard suspended"},
		{"put-upserts: a subject that holds none, no status", []string{ReadingPutUpserts},
			nil, "admin", "", 201, "admin active"},
		{"put-upserts and new-inactive: no status is a new one's", []string{ReadingPutUpserts, ReadingNewInactive},
			nil, "admin", "", 201, "admin suspended"},
		{"put-upserts: an unknown code", []string{ReadingPutUpserts},
			nil, "owner", `{"status":"active"}`, 422, ""},
		{"put-upserts and single-account-type: another code is 409", []string{ReadingPutUpserts, ReadingSingleAccountType},
			[][2]string{{"standard", "active"}}, "admin", `{"status":"active"}`, 409, "standard active"},
		{"put-upserts: a held code, the status only", []string{ReadingPutUpserts, ReadingSingleAccountType},
			[][2]string{{"standard", "active"}}, "standard", `{"status":"suspended"}`, 200, "standard suspended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, withReadings(t, tt.readings...))
			f.srv.AddOrganization(testOrg, AccountType{Code: "standard"}, AccountType{Code: "admin"}, AccountType{Code: "auditor"})
			for _, sd := range tt.seed {
				if err := f.srv.Assign(testOrg, "taro", sd[0], sd[1]); err != nil {
					t.Fatal(err)
				}
			}
			tok := f.token()
			status, _, body := f.rawCall(http.MethodPut, accounts+subject+"/"+tt.put, tok, tt.body)
			if status != tt.status {
				t.Errorf("PUT: %d %s, want %d", status, body, tt.status)
			}
			var held []string
			for _, line := range strings.Split(f.srv.Dump(), "\n") {
				if rest, ok := strings.CutPrefix(line, "org-1 assignment taro "); ok {
					held = append(held, rest)
				}
			}
			if got := strings.Join(held, "|"); got != tt.want {
				t.Errorf("taro holds %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPostAndDeleteReadings(t *testing.T) {
	tests := []struct {
		name     string
		readings []string
		method   string
		code     string
		status   int
		want     string // status of taro/standard after, "" when gone
	}{
		{"default: a duplicate is 409", nil, http.MethodPost, "standard", 409, "suspended"},
		{"post-duplicate-ok: 200 with it as it is", []string{ReadingPostDuplicateOK}, http.MethodPost, "standard", 200, "suspended"},
		{"default: a second code is fine", nil, http.MethodPost, "admin", 201, "suspended"},
		{"single-account-type: a second code is 409", []string{ReadingSingleAccountType}, http.MethodPost, "admin", 409, "suspended"},
		{"single-account-type and post-duplicate-ok: the same code is 200", []string{ReadingSingleAccountType, ReadingPostDuplicateOK}, http.MethodPost, "standard", 200, "suspended"},
		{"default: deleting a missing assignment is 404", nil, http.MethodDelete, "admin", 404, "suspended"},
		{"delete-missing-ok: 204", []string{ReadingDeleteMissingOK}, http.MethodDelete, "admin", 204, "suspended"},
		{"delete-missing-ok: an existing one goes", []string{ReadingDeleteMissingOK}, http.MethodDelete, "standard", 204, ""},
		{"post-no-content: a new one is 204", []string{ReadingPostNoContent}, http.MethodPost, "admin", 204, "suspended"},
		{"post-no-content: a duplicate is still 409", []string{ReadingPostNoContent}, http.MethodPost, "standard", 409, "suspended"},
		{"post-no-content and post-duplicate-ok: 204", []string{ReadingPostNoContent, ReadingPostDuplicateOK}, http.MethodPost, "standard", 204, "suspended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, withReadings(t, tt.readings...))
			if err := f.srv.Assign(testOrg, "taro", "standard", StatusSuspended); err != nil {
				t.Fatal(err)
			}
			tok := f.token()
			status, _, body := f.rawCall(tt.method, accounts+"/taro/"+tt.code, tok, "")
			if status != tt.status {
				t.Errorf("%s: %d %s, want %d", tt.method, status, body, tt.status)
			}
			if status == 200 && !strings.Contains(body, `"status":"suspended"`) {
				t.Errorf("200 body %s does not carry the assignment as it is", body)
			}
			if status == 204 && body != "" {
				t.Errorf("204 with a body %s", body)
			}
			got := ""
			for _, a := range f.srv.State().Organization(testOrg).Assignments {
				if a.SubjectID == "taro" && a.Code == "standard" {
					got = a.Status
				}
			}
			if got != tt.want {
				t.Errorf("taro/standard %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorsNested(t *testing.T) {
	f := newFixture(t, withReadings(t, ReadingErrorsNested))
	tok := f.token()
	type nested struct {
		Error struct {
			Code    string              `json:"code"`
			Message string              `json:"message"`
			Errors  map[string][]string `json:"errors"`
		} `json:"error"`
		Message *string `json:"message"`
	}
	tests := []struct {
		name, method, path, tok, body string
		status                        int
		code, message, field          string
	}{
		{"not assigned", http.MethodPut, accounts + "/taro/standard", tok, `{}`, 404, "not_found", `Subject "taro" is not assigned`, ""},
		{"unknown code", http.MethodPost, accounts + "/taro/owner", tok, "", 422, "validation_failed", `The selected code "owner"`, "code"},
		{"no token", http.MethodGet, accounts, "", "", 401, "unauthorized", "bearer access token is required", ""},
		{"bad token", http.MethodGet, accounts, "nope", "", 401, "invalid_token", "invalid or has expired", ""},
		{"no route", http.MethodGet, "/nowhere", tok, "", 404, "not_found", "no such route", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := f.rawCall(tt.method, tt.path, tt.tok, tt.body)
			var got nested
			if err := json.Unmarshal([]byte(body), &got); err != nil || status != tt.status {
				t.Fatalf("%d %s (%v), want %d", status, body, err, tt.status)
			}
			if got.Message != nil || got.Error.Code != tt.code || !strings.Contains(got.Error.Message, tt.message) {
				t.Errorf("body %s, want only error.code %q and error.message with %q", body, tt.code, tt.message)
			}
			if tt.field != "" && len(got.Error.Errors[tt.field]) == 0 {
				t.Errorf("body %s does not name %s under error.errors", body, tt.field)
			}
		})
	}
	// The token endpoint keeps RFC 6749's shape.
	r := f.tokenRequest(url.Values{"grant_type": {"password"}}, testClient, testSecret)
	if r.status != 400 || r.body["error"] != "unsupported_grant_type" {
		t.Errorf("token error: %d %s", r.status, r.raw)
	}
}

func TestTokenReadings(t *testing.T) {
	f := newFixture(t, withReadings(t, ReadingTokenShortLived))
	r := f.tokenRequest(url.Values{"grant_type": {"client_credentials"}}, testClient, testSecret)
	if r.status != 200 || r.body["expires_in"] != float64(60) {
		t.Fatalf("token-short-lived: %d %s, want expires_in 60", r.status, r.raw)
	}
	tok := r.body["access_token"].(string)
	f.clock.Advance(59 * time.Second)
	if r := f.call(http.MethodGet, accounts, tok, ""); r.status != 200 {
		t.Errorf("at 59s: %d", r.status)
	}
	f.clock.Advance(time.Second)
	if r := f.call(http.MethodGet, accounts, tok, ""); r.status != 401 {
		t.Errorf("at 60s: %d, want 401", r.status)
	}
	g := newFixture(t, Options{Options: emukit.Options{Readings: emukit.Set{ReadingTokenShortLived: true}}, TokenTTL: 5 * time.Minute})
	if r := g.tokenRequest(url.Values{"grant_type": {"client_credentials"}}, testClient, testSecret); r.body["expires_in"] != float64(300) {
		t.Errorf("Options.TokenTTL under token-short-lived: %s", r.raw)
	}

	p := newFixture(t, withReadings(t, ReadingTokenClientSecretPost))
	if r := p.tokenRequest(url.Values{"grant_type": {"client_credentials"}}, testClient, testSecret); r.status != 401 || r.body["error"] != "invalid_client" {
		t.Errorf("Basic under token-client-secret-post: %d %s, want 401 invalid_client", r.status, r.raw)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient}, "client_secret": {testSecret}}
	if r := p.tokenRequest(form, "", ""); r.status != 200 {
		t.Errorf("form credentials under token-client-secret-post: %d %s", r.status, r.raw)
	}
}

// TestNewInactive: a new assignment starts with the suspended word, the
// server's under status-upper; the answer says so.
func TestNewInactive(t *testing.T) {
	for _, readings := range [][]string{{ReadingNewInactive}, {ReadingNewInactive, ReadingStatusUpper}} {
		f := newFixture(t, withReadings(t, readings...))
		r := f.call(http.MethodPost, accounts+"/taro/standard", f.token(), "")
		if r.status != 201 || r.body["status"] != f.srv.statuses.Suspended {
			t.Errorf("%v: POST %d %s, want 201 with status %s", readings, r.status, r.raw, f.srv.statuses.Suspended)
		}
		if got := f.srv.Dump(); !strings.Contains(got, "org-1 assignment taro standard suspended\n") {
			t.Errorf("%v: Dump\n%s", readings, got)
		}
	}
}

// TestDumpIsCanonical: the same writes under readings that change every
// wire shape give the same Dump, which names no time.
func TestDumpIsCanonical(t *testing.T) {
	run := func(opts Options) string {
		f := newFixture(t, opts)
		tok := f.token()
		f.call(http.MethodPost, accounts+"/hanako@example.jp/admin", tok, "")
		f.call(http.MethodPost, accounts+"/taro yamada/standard", tok, "")
		f.clock.Advance(time.Hour)
		tok = f.token()
		suspended := f.srv.statuses.Suspended
		f.call(http.MethodPut, accounts+"/taro%20yamada/standard", tok, `{"status":"`+suspended+`"}`)
		return f.srv.Dump()
	}
	want := `org-1 assignment "taro yamada" standard suspended
org-1 assignment hanako@example.jp admin active
org-1 type admin "管理者"
org-1 type standard "一般利用者"
`
	// new-inactive changes what a POST makes, not how it is shown: the
	// same writes make another state.
	all := withReadings(t, slices.DeleteFunc(Readings.Combinations()[len(Readings)+1], func(r string) bool { return r == ReadingNewInactive })...)
	for name, opts := range map[string]Options{"default": {}, "all": all, "status-upper": withReadings(t, ReadingStatusUpper)} {
		if got := run(opts); got != want {
			t.Errorf("%s: Dump\n%s\nwant\n%s", name, got, want)
		}
	}
	if got := New(Options{}).Dump(); got != "" {
		t.Errorf("empty Dump %q", got)
	}
}
