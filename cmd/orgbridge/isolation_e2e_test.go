package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/internal/store"
)

// scimAdminConfig is scimConfig with an admin listener.
func scimAdminConfig(t *testing.T, dir, emulatorURL string) string {
	t.Helper()
	path := scimConfig(t, dir, emulatorURL, "200ms")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := "admin:\n  listen: 127.0.0.1:0\n  token: {env: ORGBRIDGE_ADMIN_TOKEN}\n" + string(data)
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ORGBRIDGE_ADMIN_TOKEN", adminToken)
	return path
}

// heldBack is what /healthz?verbose says the job holds back.
func heldBack(d *daemon) (int, []any) {
	out, _ := d.call("GET", "/healthz?verbose", http.StatusOK)
	for _, j := range out["jobs"].([]any) {
		job := j.(map[string]any)
		if job["name"] == "scim-to-aircourse" {
			recs, _ := job["held_back_records"].([]any)
			return int(job["held_back"].(float64)), recs
		}
	}
	d.t.Fatalf("/healthz?verbose names no scim-to-aircourse: %v", out)
	return 0, nil
}

func heldMetric(d *daemon) string {
	_, text := d.call("GET", "/metrics", http.StatusOK)
	return grepLines(text, `orgbridge_records_held_back{job="scim-to-aircourse"}`)
}

// A user the mapping cannot map that got into the SCIM store (stored
// before a mapping change, or by a version that did not check) does not
// stop the others: users pushed after it reach AirCourse, and the bad one
// is shown as held back by the runs API, /healthz?verbose, /readyz, the
// metric and the status page. Deleting it over SCIM releases it.
func TestEndToEndSCIMHoldsBackAnUnmappableUser(t *testing.T) {
	emu, srv, work := scimSetup(t)
	d := startServe(t, scimAdminConfig(t, work, srv.URL))
	defer d.stop()

	// 25 users first: the job manages them, so one record held back later
	// is within the guard's share (5%).
	for i := range 25 {
		d.push("POST", "/Users", userJSON(fmt.Sprintf("u%02d@example.jp", i), fmt.Sprintf("社員 %02d", i), "True", fmt.Sprint(3000+i)), 201)
	}
	eventually(t, emu, "the first 25 users", func(v view) bool { return len(v.userByLI) >= 25 })

	// The bad user is written to the store as the endpoint once took it: a
	// userName and nothing else, so the mapping finds no name.
	st, err := store.OpenSQLite(context.Background(), filepath.Join(work, "orgbridge-scim.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const bad = "0b5e11f0-0000-4000-8000-00000000bad1"
	if _, err := st.SCIMCreate(context.Background(), store.SCIMResource{Type: store.SCIMUser, ID: bad, Name: "solo@example.jp",
		Doc: []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"solo@example.jp"}`)}); err != nil {
		t.Fatal(err)
	}

	// Pushed after it: they arrive, the bad one does not.
	for _, u := range []string{"after1", "after2", "after3"} {
		d.push("POST", "/Users", userJSON(u+"@example.jp", "後 "+u, "True", u), 201)
	}
	eventually(t, emu, "the users pushed after the bad one", func(v view) bool {
		return v.userByLI["after1@example.jp"].Name == "後 after1" && v.userByLI["after3@example.jp"].Name == "後 after3"
	})
	if _, ok := newView(emu.State()).userByLI["solo@example.jp"]; ok {
		t.Fatalf("the unmappable user reached AirCourse")
	}
	waitFor(t, "the bad user held back", func() bool { n, _ := heldBack(d); return n == 1 })
	_, recs := heldBack(d)
	if r := recs[0].(map[string]any); r["key"] != bad || !strings.Contains(r["reason"].(string), "empty name") {
		t.Errorf("held back record = %v", r)
	}

	// The runs API: the run that left it out journals it with the reason.
	runs, _ := d.call("GET", "/api/runs?job=scim-to-aircourse&limit=1", http.StatusOK)
	last := runs["runs"].([]any)[0].(map[string]any)
	if last["status"] != "succeeded" {
		t.Errorf("the run with a record held back = %v", last)
	}
	detail, _ := d.call("GET", fmt.Sprintf("/api/runs/%d", int64(last["id"].(float64))), http.StatusOK)
	found := false
	for _, c := range detail["changes"].([]any) {
		c := c.(map[string]any)
		if c["action"] == "leave_out" && c["key"] == bad && c["status"] == "failed" && strings.Contains(c["error"].(string), "empty name") {
			found = true
		}
	}
	if !found {
		t.Errorf("run %v has no leave_out entry for %s: %v", last["id"], bad, detail["changes"])
	}

	// /readyz stays ready (everything else flows) and says why it warns;
	// the metric and the status page show it.
	ready, raw := d.call("GET", "/readyz", http.StatusOK)
	if ready["status"] != "ready" || !strings.Contains(raw, "1 record(s) held back") || !strings.Contains(raw, bad) {
		t.Errorf("/readyz = %s", raw)
	}
	if m := heldMetric(d); !strings.HasSuffix(strings.TrimSpace(m), " 1") {
		t.Errorf("metric = %q, want 1", m)
	}
	if _, page := d.call("GET", "/", http.StatusOK); !strings.Contains(page, "1 held back") || !strings.Contains(page, bad) {
		t.Errorf("the status page does not show the record held back")
	}

	// A later push does not re-read it, and it is still reported.
	d.push("POST", "/Users", userJSON("after4@example.jp", "後 after4", "True", "after4"), 201)
	eventually(t, emu, "a user pushed later", func(v view) bool { return v.userByLI["after4@example.jp"].Name == "後 after4" })
	waitFor(t, "the run after the later push", func() bool {
		r, _ := d.call("GET", "/api/runs?job=scim-to-aircourse&limit=1", http.StatusOK)
		return r["runs"].([]any)[0].(map[string]any)["id"] != last["id"] && r["runs"].([]any)[0].(map[string]any)["status"] == "succeeded"
	})
	if n, _ := heldBack(d); n != 1 {
		t.Errorf("after a later push held back = %d, want 1", n)
	}

	// Deleted by the IdP: its tombstone releases it.
	d.push("DELETE", "/Users/"+bad, "", 204)
	waitFor(t, "the deleted user released", func() bool { n, _ := heldBack(d); return n == 0 })
	if m := heldMetric(d); !strings.HasSuffix(strings.TrimSpace(m), " 0") {
		t.Errorf("metric after the delete = %q, want 0", m)
	}
	if _, raw := d.call("GET", "/readyz", http.StatusOK); strings.Contains(raw, "held back") {
		t.Errorf("/readyz after the delete = %s", raw)
	}
}
