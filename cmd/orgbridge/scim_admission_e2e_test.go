package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

// Through `orgbridge serve` with configs/scim.yaml: a push the job's
// mapping could never map is refused with the attributes to fix, and
// nothing of it is stored; a correct push is still stored and reaches
// AirCourse; a mapped e-mail another user has in another case is a
// conflict; after SIGHUP the new mapping judges the next push.
func TestServeSCIMAdmission(t *testing.T) {
	emu, srv, work := scimSetup(t)
	cfg := scimConfig(t, work, srv.URL, "200ms")
	d := startServe(t, cfg)
	defer d.stop()

	// Neither displayName nor name: users.name
	// ({{if .displayName}}…{{else}}{{.familyName}} {{.givenName}}{{end}})
	// renders empty.
	nameless := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"carol@example.jp","externalId":"ext-1003",
		"active":true,"emails":[{"value":"carol@example.jp","type":"work","primary":true}]}`
	got := d.push("POST", "/Users", nameless, 400)
	const want = `displayName, name.familyName, name.givenName: job "scim-to-aircourse" cannot map this User: its name (users.name) is empty`
	if got["scimType"] != "invalidValue" || got["detail"] != want || got["status"] != "400" {
		t.Errorf("a push without a name: %v\nwant detail %q", got, want)
	}
	if list := d.push("GET", `/Users?filter=userName+eq+"carol@example.jp"`, "", 200); list["totalResults"] != float64(0) {
		t.Errorf("the refused user was stored: %v", list)
	}

	d.push("POST", "/Users", userJSON("alice@example.jp", "鈴木 アリス", "True", "1001"), 201)
	eventually(t, emu, "the correct push", func(v view) bool { return v.userByLI["alice@example.jp"].Name == "鈴木 アリス" })

	// The mapping lowercases the e-mail: ALICE@… is alice's.
	dup := strings.Replace(userJSON("alice2@example.jp", "鈴木 アリス2", "True", "1002"), `"value":"alice2@example.jp"`, `"value":"ALICE@example.jp"`, 1)
	if got := d.push("POST", "/Users", dup, 409); got["scimType"] != "uniqueness" || !strings.HasPrefix(got["detail"].(string), "emails: ") {
		t.Errorf("an e-mail differing in case: %v", got)
	}

	// A reloaded mapping that makes the name of userName admits it.
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	next := strings.Replace(string(data), `name: '{{if .displayName}}{{.displayName}}{{else}}{{.familyName}} {{.givenName}}{{end}}'`, `name: "{{.userName}}"`, 1)
	if next == string(data) {
		t.Fatal("the name template of configs/scim.yaml changed; update the test")
	}
	if err := os.WriteFile(cfg, []byte(next), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reload", func() bool { return d.logs.FilterMessageSnippet("SIGHUP: config reloaded").Len() > 0 })
	d.push("POST", "/Users", nameless, 201)
	eventually(t, emu, "the push admitted after the reload", func(v view) bool { return v.userByLI["carol@example.jp"].Name == "carol@example.jp" })
}
