package ldap_test

// The AD behaviour of the source, against a real Samba AD domain controller
// (adtest): objectGUID keys, userAccountControl, range retrieval, the
// in-chain rule, non-ASCII OUs, uSNChanged. The DC is shared by the tests
// of this binary; they skip without Samba, and fail with CI=true.

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/ldap"
	"github.com/orgbridge/orgbridge/connectors/ldap/adtest"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/mapping"
)

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// adConfig is an AD source over LDAPS (verified with the DC's CA) reading
// the fixture users, groups and OUs.
func adConfig(t *testing.T, dc *adtest.DC) ldap.Config {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "bind-password")
	if err := os.WriteFile(pw, []byte(dc.BindPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return ldap.Config{
		URL:          dc.LDAPSURL,
		CAFile:       dc.CAFile,
		BindDN:       dc.BindDN,
		BindPassword: config.Secret{File: pw},
		Flavor:       "ad",
		Users:        ldap.Search{BaseDN: adtest.UsersBase},
		Groups:       &ldap.Search{BaseDN: adtest.GroupsBase},
		Orgs:         &ldap.Orgs{From: "ou"},
		Attributes:   []string{"sAMAccountName", "userPrincipalName", "mail", "department"},
	}
}

func readAD(t *testing.T, cfg ldap.Config) []connectors.Record {
	t.Helper()
	src, err := ldap.New(cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	recs, err := src.Read(ctx)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return recs
}

// byKind splits records by kind; users are indexed by sAMAccountName.
func byKind(t *testing.T, recs []connectors.Record) (users map[string]connectors.Record, groups, orgs []connectors.Record) {
	t.Helper()
	users = map[string]connectors.Record{}
	for _, r := range recs {
		switch r.Kind {
		case mapping.KindUser:
			sam := first(r, "sAMAccountName")
			if _, dup := users[sam]; dup {
				t.Fatalf("two user records for %s", sam)
			}
			users[sam] = r
		case mapping.KindGroup:
			groups = append(groups, r)
		case mapping.KindOrg:
			orgs = append(orgs, r)
		}
	}
	return users, groups, orgs
}

func first(r connectors.Record, attr string) string {
	if v := r.Attrs[attr]; len(v) > 0 {
		return v[0]
	}
	return "<absent>"
}

// wantGroups is a user's groups attribute: the sorted GUIDs of its groups.
func wantGroups(guids map[string]string, sam string, nested bool) string {
	var keys []string
	for _, g := range adtest.GroupsOf(sam, nested) {
		keys = append(keys, guids[g])
	}
	sort.Strings(keys)
	return strings.Join(keys, ";")
}

func TestADRead(t *testing.T) {
	dc := adtest.Start(t)
	guids := dc.GUIDs(t)
	users, groups, orgs := byKind(t, readAD(t, adConfig(t, dc)))

	if want := len(adtest.Users); len(users) != want {
		t.Errorf("%d users, want %d", len(users), want)
	}
	for _, u := range adtest.Users {
		r, ok := users[u.SAM]
		if !ok {
			t.Errorf("%s: no record", u.SAM)
			continue
		}
		// The key is objectGUID as Windows prints it, and Samba's own GUID
		// type renders it.
		if r.Key != guids[u.SAM] || !guidRE.MatchString(r.Key) {
			t.Errorf("%s: key %q, Samba says objectGUID %s", u.SAM, r.Key, guids[u.SAM])
		}
		disabled := "false"
		if u.Disabled {
			disabled = "true"
		}
		want := map[string]string{
			"dn":                u.DN(),
			"ou_path":           u.OUPath,
			"disabled":          disabled,
			"groups":            wantGroups(guids, u.SAM, true),
			"userPrincipalName": u.UPN(),
			"mail":              u.Mail,
			"department":        u.Department,
		}
		for attr, w := range want {
			if got := first(r, attr); got != w {
				t.Errorf("%s: %s = %q, want %q", u.SAM, attr, got, w)
			}
		}
		if r.Origin != u.DN() {
			t.Errorf("%s: origin %q, want %q", u.SAM, r.Origin, u.DN())
		}
	}
	// And as samba-tool user show prints it.
	for _, sam := range []string{"yamada", "tanaka"} {
		if oracle := dc.ObjectGUID(t, sam); users[sam].Key != oracle {
			t.Errorf("%s: key %q, samba-tool user show says objectGUID %s", sam, users[sam].Key, oracle)
		}
	}
	if r := users["tanaka"]; first(r, "disabled") != "true" {
		t.Errorf("tanaka (userAccountControl 514): disabled %q", first(r, "disabled"))
	}
	// Nested groups (the default; the in-chain rule on AD): yamada is in
	// sales-1, in sales, in all-staff, so in all three.
	nested := []string{guids["all-staff"], guids["sales"], guids["sales-1"]}
	sort.Strings(nested)
	if got := first(users["yamada"], "groups"); got != strings.Join(nested, ";") {
		t.Errorf("yamada: groups %q, want all-staff, sales and sales-1: %q", got, strings.Join(nested, ";"))
	}
	if got := first(users["kimura"], "groups"); got != "" {
		t.Errorf("kimura (in no group): groups %q", got)
	}
	// Groups: keyed by objectGUID, with cn and description.
	if len(groups) != len(adtest.Groups) {
		t.Errorf("%d groups, want %d", len(groups), len(adtest.Groups))
	}
	for _, g := range adtest.Groups {
		i := slices.IndexFunc(groups, func(r connectors.Record) bool { return r.Key == guids[g.SAM] })
		if i < 0 {
			t.Errorf("group %s (%s): no record", g.SAM, guids[g.SAM])
			continue
		}
		r := groups[i]
		if first(r, "cn") != g.CN || first(r, "description") != g.Description || r.Origin != g.DN() {
			t.Errorf("group %s: cn %q, description %q, origin %q", g.SAM, first(r, "cn"), first(r, "description"), r.Origin)
		}
	}

	// Orgs: one per OU, keyed by the non-ASCII path.
	var orgKeys []string
	for _, r := range orgs {
		orgKeys = append(orgKeys, r.Key)
		if r.Origin != adtest.OUDN(r.Key) {
			t.Errorf("org %s: origin %q, want %q", r.Key, r.Origin, adtest.OUDN(r.Key))
		}
		parts := strings.Split(r.Key, "/")
		if first(r, "ou") != parts[len(parts)-1] || first(r, "description") != r.Key+" の組織" {
			t.Errorf("org %s: ou %q, description %q", r.Key, first(r, "ou"), first(r, "description"))
		}
	}
	sort.Strings(orgKeys)
	wantOrgs := slices.Clone(adtest.OUs)
	sort.Strings(wantOrgs)
	if !slices.Equal(orgKeys, wantOrgs) {
		t.Errorf("orgs %q, want %q", orgKeys, wantOrgs)
	}
}

// TestADRangeRetrieval reads big-group's 1,600 members (the bulk users)
// from the member attribute (nested_groups off) through adtest's
// RangedURL, which answers as Windows does: member;range=0-1499, and the
// rest only when asked for. A source that took the first answer for all
// of it would miss 100.
func TestADRangeRetrieval(t *testing.T) {
	dc := adtest.Start(t)
	guids := dc.GUIDs(t)
	cfg := adConfig(t, dc)
	cfg.URL, cfg.CAFile, cfg.AllowPlain = dc.RangedURL, "", true
	cfg.Users.BaseDN = adtest.BulkBase
	cfg.Orgs = nil
	cfg.NestedGroups = new(bool) // false: read member, not the in-chain rule
	users, _, _ := byKind(t, readAD(t, cfg))
	if len(users) != adtest.BulkUsers {
		t.Errorf("%d users, want %d", len(users), adtest.BulkUsers)
	}
	missing := 0
	for i := 0; i < adtest.BulkUsers; i++ {
		b := adtest.BulkUser(i)
		r := users[b.SAM]
		if r.Key != guids[b.SAM] || first(r, "ou_path") != "" || first(r, "disabled") != "false" {
			t.Fatalf("%s: key %q (want %s), ou_path %q, disabled %q", b.SAM, r.Key, guids[b.SAM], first(r, "ou_path"), first(r, "disabled"))
		}
		if got := first(r, "groups"); got != guids[adtest.BigGroup] {
			missing++
			if missing <= 3 {
				t.Errorf("%s: groups %q, want big-group %s", b.SAM, got, guids[adtest.BigGroup])
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d members of big-group not read", missing, adtest.BulkUsers)
	}

	// Without nesting, the named users have their direct groups only.
	cfg = adConfig(t, dc)
	cfg.URL, cfg.CAFile, cfg.AllowPlain = dc.RangedURL, "", true
	cfg.NestedGroups = new(bool)
	users, _, _ = byKind(t, readAD(t, cfg))
	for _, u := range adtest.Users {
		if got, want := first(users[u.SAM], "groups"), wantGroups(guids, u.SAM, false); got != want {
			t.Errorf("%s, nested_groups off: groups %q, want %q", u.SAM, got, want)
		}
	}
}

// TestADReadChanged: after a full read, a change to one user makes the next
// incremental read return that user alone, complete; then nothing.
func TestADReadChanged(t *testing.T) {
	dc := adtest.Start(t)
	guids := dc.GUIDs(t)
	cfg := adConfig(t, dc)
	src, err := ldap.New(cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	full, mark, err := src.ReadChanged(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mark, "uSNChanged:") || countUsers(full) != len(adtest.Users) {
		t.Fatalf("full read: %d records, mark %q", len(full), mark)
	}

	// Nothing changed yet: no users.
	recs, mark2, err := src.ReadChanged(ctx, mark)
	if err != nil {
		t.Fatal(err)
	}
	if n := countUsers(recs); n != 0 {
		t.Errorf("no change: %d user records", n)
	}

	var ito adtest.User
	for _, u := range adtest.Users {
		if u.SAM == adtest.MutableUser {
			ito = u
		}
	}
	newMail := "ito+" + time.Now().Format("150405.000") + "@example.test"
	m := goldap.NewModifyRequest(ito.DN(), nil)
	m.Replace("mail", []string{newMail})
	if err := dc.Conn(t).Modify(m); err != nil {
		t.Fatal(err)
	}

	recs, mark3, err := src.ReadChanged(ctx, mark2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, string(r.Kind)+" "+first(r, "sAMAccountName"))
	}
	if len(recs) != 1 || recs[0].Kind != mapping.KindUser || recs[0].Key != guids[ito.SAM] {
		t.Fatalf("after changing %s: records %q, want the one user", ito.SAM, got)
	}
	r := recs[0]
	if first(r, "mail") != newMail || first(r, "ou_path") != ito.OUPath || first(r, "groups") != wantGroups(guids, ito.SAM, true) || first(r, "disabled") != "false" {
		t.Errorf("changed user: mail %q (want %q), ou_path %q, groups %q (want %q), disabled %q", first(r, "mail"), newMail,
			first(r, "ou_path"), first(r, "groups"), wantGroups(guids, ito.SAM, true), first(r, "disabled"))
	}
	if mark3 == mark2 {
		t.Errorf("the mark did not move past the change: %q", mark3)
	}

	recs, _, err = src.ReadChanged(ctx, mark3)
	if err != nil {
		t.Fatal(err)
	}
	if n := countUsers(recs); n != 0 {
		t.Errorf("after the change was read: %d user records", n)
	}
}

func countUsers(recs []connectors.Record) int {
	n := 0
	for _, r := range recs {
		if r.Kind == mapping.KindUser {
			n++
		}
	}
	return n
}

// TestADMembersSpacedAndUnresolved: on AD (nested_groups off, so member
// is read) a group whose member was written in another case and spacing
// than the user's DN, and a member that is no user (a contact). AD keeps a
// member as a link to the entry and returns the entry's own DN, whatever
// spelling added it; the contact is logged and counted as a member that is
// no user. Everything lives in its own OU outside the fixtures' bases.
func TestADMembersSpacedAndUnresolved(t *testing.T) {
	dc := adtest.Start(t)
	c := dc.Conn(t)
	ou := "OU=DNTest," + adtest.BaseDN
	contact := "CN=svc-contact," + ou
	group := "CN=dn-test," + ou
	add := func(dn string, attrs ...[2]string) {
		t.Helper()
		req := goldap.NewAddRequest(dn, nil)
		vals := map[string][]string{}
		var names []string
		for _, a := range attrs {
			if _, ok := vals[a[0]]; !ok {
				names = append(names, a[0])
			}
			vals[a[0]] = append(vals[a[0]], a[1])
		}
		for _, n := range names {
			req.Attribute(n, vals[n])
		}
		if err := c.Add(req); err != nil {
			t.Fatalf("add %s: %v", dn, err)
		}
		t.Cleanup(func() {
			if err := dc.Conn(t).Del(goldap.NewDelRequest(dn, nil)); err != nil {
				t.Errorf("delete %s: %v", dn, err)
			}
		})
	}
	yamada := adtest.Users[0]
	// "CN=山田 太郎,OU=第一課,…" written as "cn=山田   太郎 ,ou=第一課,…,dc=EXAMPLE".
	spaced := strings.ToLower(strings.Replace(yamada.DN(), " ", "   ", 1))
	spaced = strings.Replace(spaced, ",", " ,", 1)
	add(ou, [2]string{"objectClass", "organizationalUnit"})
	add(contact, [2]string{"objectClass", "contact"})
	add(group, [2]string{"objectClass", "group"}, [2]string{"sAMAccountName", "dn-test"},
		[2]string{"member", spaced}, [2]string{"member", contact})

	res, err := c.Search(goldap.NewSearchRequest(group, goldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", []string{"member"}, nil))
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("read the group: %v", err)
	}
	t.Logf("member written %q, AD returns %q", spaced, res.Entries[0].GetAttributeValues("member"))

	cfg := adConfig(t, dc)
	cfg.Groups = &ldap.Search{BaseDN: ou}
	no := false
	cfg.NestedGroups = &no
	core, logs := observer.New(zapcore.InfoLevel)
	src, err := ldap.New(cfg, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	recs, err := src.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	users, groups, _ := byKind(t, recs)
	if len(groups) != 1 {
		t.Fatalf("%d groups; want dn-test", len(groups))
	}
	if got := users["yamada"].Get("groups"); got != groups[0].Key {
		t.Errorf("yamada's groups %q; want %q", got, groups[0].Key)
	}
	lines := logs.FilterMessage("ldap: group members that are no user in the read; left out").All()
	if len(lines) != 1 {
		t.Fatalf("%d lines for members that are no user; want 1", len(lines))
	}
	m := lines[0].ContextMap()
	if !strings.EqualFold(m["dn"].(string), group) || m["count"] != int64(1) {
		t.Errorf("log line %v", m)
	}
	if ex, _ := m["examples"].([]interface{}); len(ex) != 1 || !strings.EqualFold(ex[0].(string), contact) {
		t.Errorf("examples %v; want [%s]", m["examples"], contact)
	}
	read := logs.FilterMessage("ldap: read").All()
	if len(read) != 1 || read[0].ContextMap()["unresolved_members"] != int64(1) {
		t.Errorf("read lines %v", read)
	}
}
