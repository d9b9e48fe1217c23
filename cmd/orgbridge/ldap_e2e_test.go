package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/connectors/ldap/ldaptest"
	"github.com/orgbridge/orgbridge/internal/emukit"
)

// ldapConfig syncs the ldaptest base fixture (a real slapd) into AirCourse.
const ldapConfig = `store:
  path: state.db
jobs:
  - name: directory-to-aircourse
    source:
      type: ldap
      ldap:
        flavor: openldap
        url: %s
        ca_file: %s
        bind_dn: %s
        bind_password: {env: LDAP_BIND_PASSWORD}
        page_size: 5
        users: {base_dn: "dc=example,dc=jp", filter: "(objectClass=inetOrgPerson)"}
        groups: {base_dn: "ou=グループ,dc=example,dc=jp"}
        orgs:
          from: ou
          exclude: ["ou=退職者,ou=本社,dc=example,dc=jp"]
        attributes: [uid, cn, mail, employeeNumber]
        required: [uid]
    mapping:
      users:
        login_id: "{{.uid}}"
        email: "{{.mail | lower}}"
        name: "{{.cn}}"
        attributes: {userNumber: "{{.employeeNumber}}"}
        org_path: {template: "{{.ou_path}}"}
        groups: {template: "{{.groups}}", separator: ";"}
        suspended: [{template: "{{.disabled}}", equals: "true"}]
      groups: {name: "{{.cn}}"}
    target:
      type: aircourse
      aircourse:
        base_url: %s
        client_id: ` + demoClientID + `
        client_secret: {env: ` + demoSecretEnv + `}
`

// A directory synced into AirCourse through the CLI: a real slapd over
// LDAPS, the OU tree, nested groups, a locked account suspended; then one
// entry changes and an incremental run applies only that change.
func TestEndToEndLDAP(t *testing.T) {
	ldaptest.Require(t)
	dir := ldaptest.StartBase(t, ldaptest.Options{TLS: true})
	emu := emulator.New(emulator.Options{Options: emukit.Options{RateLimit: -1}})
	emu.AddClient(demoClientID, demoClientSecret)
	srv := httptest.NewServer(emu)
	defer srv.Close()

	work := t.TempDir()
	cfg := filepath.Join(work, "ldap.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(ldapConfig, dir.LDAPSURL, dir.CAFile, dir.ReaderDN, srv.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LDAP_BIND_PASSWORD", dir.ReaderPassword)
	t.Setenv(demoSecretEnv, demoClientSecret)
	c := cli{t: t, dir: work}

	if code, out, errs := c.run("validate", "-c", cfg); code != exitOK {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := c.run("sync", "-c", cfg); code != exitOK {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errs)
	}
	v := newView(emu.State())
	if len(v.st.Users) != 19 {
		t.Errorf("%d users in AirCourse, want the fixture's 20 less the one under the excluded 退職者", len(v.st.Users))
	}
	if got := v.orgs("takahashi.kenta"); got != "本社/営業部/第一課(member)" {
		t.Errorf("takahashi.kenta orgs = %s", got)
	}
	if got := v.orgs("matsumoto.yuto"); got != "本社/開発部/基盤,運用(member)" {
		t.Errorf("matsumoto.yuto orgs = %s (an OU name with an escaped comma)", got)
	}
	if !v.userByLI["kobayashi.ren"].IsSuspended {
		t.Errorf("the locked account is not suspended")
	}
	if _, ok := v.userByLI["hayashi.kaito"]; ok {
		t.Errorf("a user under the excluded OU was synced")
	}
	// Nested groups: takahashi.kenta is in 全社員 only through 営業部員.
	var zensha string
	for _, g := range v.st.Groups {
		if g.Name == "全社員" {
			zensha = g.ID
		}
	}
	if _, ok := v.st.GroupMembers[zensha][v.userByLI["takahashi.kenta"].ID]; !ok {
		t.Errorf("nested membership of 全社員 not expanded")
	}

	// One entry changes; the incremental run reads and writes only it.
	dir.Modify(t, "dn: uid=tanaka.yui,ou=第一課,ou=営業部,ou=本社,dc=example,dc=jp\nchangetype: modify\nreplace: cn\ncn: 田中 ゆい\n")
	emu.ResetStats()
	code, out, errs := c.run("sync", "-c", cfg, "--incremental")
	if code != exitOK {
		t.Fatalf("incremental sync: exit %d\n%s\n%s", code, out, errs)
	}
	if w := emu.Stats().Writes; w != 1 || !strings.Contains(out, `name: "田中 結衣" → "田中 ゆい"`) {
		t.Errorf("incremental run made %d writes; want 1 (the rename)\n%s", w, out)
	}
	// And a full run afterwards finds nothing left to do.
	emu.ResetStats()
	if code, out, errs := c.run("sync", "-c", cfg); code != exitOK || !strings.Contains(out, "no changes") || emu.Stats().Writes != 0 {
		t.Errorf("full run after the incremental one: exit %d, %d writes\n%s\n%s", code, emu.Stats().Writes, out, errs)
	}
}
