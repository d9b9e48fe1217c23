package ldap

// Group members against a real slapd: testdata/members.ldif on top of
// base.ldif, a group whose member values differ from its users' DNs only in
// case and in spaces (slapd keeps them as given: "ou=SALES\2C  EAST"), and
// two members that are no user (a DN that names no entry, a service entry).

import (
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/orgbridge/orgbridge/connectors/ldap/ldaptest"
)

const spacedGroupDN = "cn=表記ゆれ," + groupsBase

func TestMembersSpacedAndUnresolved(t *testing.T) {
	s := ldaptest.StartBase(t, ldaptest.Options{SyncProv: true, LDIF: []string{ldaptest.Testdata("members.ldif")}})
	ids := uuids(t, s)
	gkey := ids[mustNorm(t, spacedGroupDN)]
	cfg := baseConfig(t, s)
	cfg.Incremental = "entryCSN"
	core, logs := observer.New(zapcore.InfoLevel)
	src, err := New(cfg, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}

	// check: the group's two members that are no user are logged once, at
	// info, with the group's DN, and counted in the read's line.
	check := func(what string) {
		t.Helper()
		// Logged once, at info, with the group's DN; counted in the read's
		// line.
		var lines []observer.LoggedEntry
		for _, e := range logs.TakeAll() {
			switch e.Message {
			case "ldap: group members that are no user in the read; left out":
				if e.ContextMap()["dn"] == spacedGroupDN {
					lines = append(lines, e)
				}
			case "ldap: read":
				if n, _ := e.ContextMap()["unresolved_members"].(int64); n < 2 {
					t.Errorf("%s: read line %v: want unresolved_members ≥ 2", what, e.ContextMap())
				}
			}
		}
		if len(lines) != 1 {
			t.Fatalf("%s: %d log lines for %s; want 1 (%v)", what, len(lines), spacedGroupDN, lines)
		}
		e := lines[0]
		m := e.ContextMap()
		ex, _ := m["examples"].([]interface{})
		var exs []string
		for _, x := range ex {
			exs = append(exs, x.(string))
		}
		slices.Sort(exs)
		if e.Level != zapcore.InfoLevel || m["count"] != int64(2) ||
			!slices.Equal(exs, []string{"cn=svc-backup,ou=本社,dc=example,dc=jp", "uid=gone,ou=Sales\\2C East,ou=本社,dc=example,dc=jp"}) {
			t.Errorf("%s: log line %s %v", what, e.Level, m)
		}
	}

	recs, mark, err := readChanged(t, src, "")
	if err != nil {
		t.Fatal(err)
	}
	got := split(t, recs)
	// Both users are in the group, whatever its member values' case and
	// spacing.
	for _, uid := range []string{"kim.lee", "park.min"} {
		u, ok := got.users[uid]
		if !ok {
			t.Fatalf("no user %s", uid)
		}
		if !slices.Contains(strings.Split(u.Get("groups"), groupSep), gkey) {
			t.Errorf("full read: %s (%s) groups %q; want the group %s (%s) among them", uid, u.Origin, u.Get("groups"), spacedGroupDN, gkey)
		}
		if u.Get("ou_path") != "本社/Sales, East" {
			t.Errorf("full read: %s ou_path %q", uid, u.Get("ou_path"))
		}
	}
	check("full read")

	// The group changes: an incremental read fetches its members by the
	// DNs it holds, finds both users, and logs the two others again.
	s.Modify(t, "dn: "+spacedGroupDN+"\nchangetype: modify\nreplace: description\ndescription: changed\n")
	recs, _, err = readChanged(t, src, mark)
	if err != nil {
		t.Fatal(err)
	}
	got = split(t, recs)
	for _, uid := range []string{"kim.lee", "park.min"} {
		u, ok := got.users[uid]
		if !ok || !slices.Contains(strings.Split(u.Get("groups"), groupSep), gkey) {
			t.Errorf("incremental read: %s read %v, groups %q; want the group", uid, ok, u.Get("groups"))
		}
	}
	check("incremental read")
}
