package ldap

// The source against a real OpenLDAP slapd (ldaptest) loaded with
// testdata/base.ldif; ldaptest.BaseUsers, BaseGroups and BaseOUs say what
// a read must find. Each test starts its own server (0.1–0.3 s).

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/ldap/ldaptest"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/mapping"
)

const (
	groupsBase = "ou=グループ,dc=example,dc=jp"
	honshaBase = "ou=本社,dc=example,dc=jp"
)

// baseConfig reads base.ldif's users (under the suffix), groups and OUs
// (without the groups' container) over s.URL as the reader account, in
// pages of 5 (大部屋 has 12 members, and there are 20 users).
func baseConfig(t *testing.T, s *ldaptest.Server) Config {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "bind-password")
	if err := os.WriteFile(pw, []byte(s.ReaderPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return Config{
		URL:          s.URL,
		AllowPlain:   true,
		BindDN:       s.ReaderDN,
		BindPassword: config.Secret{File: pw},
		PageSize:     5,
		Timeout:      10 * time.Second,
		Users:        Search{BaseDN: s.BaseDN},
		Groups:       &Search{BaseDN: groupsBase},
		Orgs:         &Orgs{From: "ou", Exclude: []string{groupsBase}},
		Attributes:   []string{"uid", "cn", "sn", "mail", "employeeNumber", "departmentNumber"},
	}
}

func newSource(t *testing.T, cfg Config) *Source {
	t.Helper()
	src, err := New(cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return src
}

func read(t *testing.T, src *Source) []connectors.Record {
	t.Helper()
	recs, _, err := readChanged(t, src, "")
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return recs
}

func readChanged(t *testing.T, src *Source, mark string) ([]connectors.Record, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return src.ReadChanged(ctx, mark)
}

// records splits records by kind: users by uid, groups by cn, orgs by key.
type records struct {
	users, groups, orgs map[string]connectors.Record
}

func split(t *testing.T, recs []connectors.Record) records {
	t.Helper()
	r := records{map[string]connectors.Record{}, map[string]connectors.Record{}, map[string]connectors.Record{}}
	for _, rec := range recs {
		var m map[string]connectors.Record
		var name string
		switch rec.Kind {
		case mapping.KindUser:
			m, name = r.users, rec.Get("uid")
		case mapping.KindGroup:
			m, name = r.groups, rec.Get("cn")
		case mapping.KindOrg:
			m, name = r.orgs, rec.Key
		default:
			t.Fatalf("record of kind %q", rec.Kind)
		}
		if _, dup := m[name]; dup {
			t.Fatalf("two %s records for %q", rec.Kind, name)
		}
		m[name] = rec
	}
	return r
}

// uuids returns the entryUUID of every entry below the suffix by canonical
// DN, as the server reports it.
func uuids(t *testing.T, s *ldaptest.Server) map[string]string {
	t.Helper()
	c := s.Conn(t)
	res, err := c.SearchWithPaging(goldap.NewSearchRequest(s.BaseDN, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"entryUUID"}, nil), 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range res.Entries {
		out[mustNorm(t, e.DN)] = e.GetAttributeValue("entryUUID")
	}
	return out
}

func mustNorm(t *testing.T, dn string) string {
	t.Helper()
	n, err := normDN(dn)
	if err != nil {
		t.Fatalf("%q: %v", dn, err)
	}
	return n
}

// groupKeys maps base.ldif's group cn to the group's key (entryUUID).
func groupKeys(t *testing.T, ids map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, g := range ldaptest.BaseGroups {
		out[g.CN] = ids[mustNorm(t, g.DN)]
	}
	return out
}

// wantGroups is the groups attribute of a user in the named groups.
func wantGroups(keys map[string]string, cns ...[]string) string {
	var out []string
	for _, list := range cns {
		for _, cn := range list {
			out = append(out, keys[cn])
		}
	}
	sort.Strings(out)
	return strings.Join(slices.Compact(out), ";")
}

func TestReadBase(t *testing.T) {
	s := ldaptest.StartBase(t, ldaptest.Options{})
	ids := uuids(t, s)
	keys := groupKeys(t, ids)
	src := newSource(t, baseConfig(t, s))
	recs, mark, err := readChanged(t, src, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mark, "modifyTimestamp:") {
		t.Errorf("mark %q", mark)
	}
	got := split(t, recs)

	// Users.
	if len(got.users) != len(ldaptest.BaseUsers) {
		t.Errorf("%d users, want %d", len(got.users), len(ldaptest.BaseUsers))
	}
	for _, u := range ldaptest.BaseUsers {
		r, ok := got.users[u.UID]
		if !ok {
			t.Errorf("%s: no record", u.UID)
			continue
		}
		if r.Key != ids[mustNorm(t, u.DN)] || r.Key == "" {
			t.Errorf("%s: key %q, want entryUUID %q", u.UID, r.Key, ids[mustNorm(t, u.DN)])
		}
		if mustNorm(t, r.Origin) != mustNorm(t, u.DN) || r.Get("dn") != r.Origin {
			t.Errorf("%s: origin %q, dn %q, want %q", u.UID, r.Origin, r.Get("dn"), u.DN)
		}
		want := map[string]string{
			"ou_path":  u.OUPath,
			"groups":   wantGroups(keys, u.Groups, u.PosixGroups),
			"disabled": map[bool]string{true: "true", false: "false"}[u.Disabled],
		}
		for a, w := range want {
			if g := r.Get(a); g != w {
				t.Errorf("%s: %s = %q, want %q", u.UID, a, g, w)
			}
		}
		wantMail := u.Mail
		if wantMail == nil {
			wantMail = []string{""}
		}
		if !slices.Equal(r.Attrs["mail"], wantMail) {
			t.Errorf("%s: mail %q, want %q", u.UID, r.Attrs["mail"], wantMail)
		}
		if en := r.Attrs["employeeNumber"]; len(en) != 1 || (en[0] == "") != u.NoEmployeeNumber {
			t.Errorf("%s: employeeNumber %q", u.UID, en)
		}
		for _, a := range []string{"uid", "cn", "sn", "mail", "employeeNumber", "departmentNumber", "dn", "ou_path", "groups", "disabled"} {
			if _, ok := r.Attrs[a]; !ok {
				t.Errorf("%s: attribute %s missing", u.UID, a)
			}
		}
	}
	if r := got.users["yoshida.hanako"]; r.Get("sn") != "𠮷田" {
		t.Errorf("non-BMP surname: %q", r.Get("sn"))
	}

	// Groups.
	if len(got.groups) != len(ldaptest.BaseGroups) {
		t.Errorf("%d groups, want %d", len(got.groups), len(ldaptest.BaseGroups))
	}
	for _, g := range ldaptest.BaseGroups {
		r, ok := got.groups[g.CN]
		if !ok {
			t.Errorf("group %s: no record", g.CN)
			continue
		}
		if r.Key != keys[g.CN] || mustNorm(t, r.Origin) != mustNorm(t, g.DN) || r.Get("dn") != r.Origin {
			t.Errorf("group %s: key %q origin %q", g.CN, r.Key, r.Origin)
		}
		if _, ok := r.Attrs["description"]; !ok {
			t.Errorf("group %s: no description attribute", g.CN)
		}
	}

	// Orgs: every OU but the excluded groups' container.
	var wantOrgs []string
	for _, ou := range ldaptest.BaseOUs {
		if mustNorm(t, ou.DN) != mustNorm(t, groupsBase) {
			wantOrgs = append(wantOrgs, ou.Path)
		}
	}
	var gotOrgs []string
	for k, r := range got.orgs {
		gotOrgs = append(gotOrgs, k)
		if r.Get("dn") != r.Origin || r.Get("ou") == "" {
			t.Errorf("org %s: %v", k, r.Attrs)
		}
		if _, ok := r.Attrs["description"]; !ok {
			t.Errorf("org %s: no description", k)
		}
	}
	sort.Strings(wantOrgs)
	sort.Strings(gotOrgs)
	if !slices.Equal(gotOrgs, wantOrgs) {
		t.Errorf("orgs %q, want %q", gotOrgs, wantOrgs)
	}
	if r := got.orgs["本社/開発部/基盤,運用"]; r.Get("ou") != "基盤,運用" {
		t.Errorf("escaped-comma OU: %v", r.Attrs)
	}

	// Records come users, orgs, groups, each sorted by key.
	kinds := []mapping.Kind{}
	for i, r := range recs {
		if i == 0 || recs[i-1].Kind != r.Kind {
			kinds = append(kinds, r.Kind)
		} else if recs[i-1].Key >= r.Key {
			t.Errorf("records not sorted: %q before %q", recs[i-1].Key, r.Key)
		}
	}
	if !slices.Equal(kinds, []mapping.Kind{mapping.KindUser, mapping.KindOrg, mapping.KindGroup}) {
		t.Errorf("kinds in order %v", kinds)
	}

	// The same read, mapped with the example config's rules shape.
	rules, err := mapping.Compile(config.Mapping{Users: config.UserMapping{
		LoginID: "{{.uid}}", Email: "{{.mail}}", Name: "{{.cn}}",
		OrgPath:   &config.OrgPath{Template: "{{.ou_path}}", Separator: "/"},
		Groups:    &config.ListField{Template: "{{.groups}}", Separator: ";"},
		Suspended: []config.Match{{Template: "{{.disabled}}", Equals: "true"}},
	}, Groups: config.GroupMapping{Name: "{{.cn}}"}}, "mapping")
	if err != nil {
		t.Fatal(err)
	}
	snap, _, err := rules.Build(recs)
	if err != nil {
		t.Fatalf("mapping: %v", err)
	}
	if len(snap.Users) != 20 || len(snap.Groups) != 10 || snap.OrgIndex()["本社/営業部/第一課"] == nil {
		t.Errorf("snapshot: %d users, %d groups, orgs %v", len(snap.Users), len(snap.Groups), snap.Orgs)
	}
	if u := snap.UserIndex()[got.users["kobayashi.ren"].Key]; u == nil || !u.Suspended {
		t.Errorf("locked user not suspended: %+v", u)
	}
}

func TestReadWithoutNesting(t *testing.T) {
	s := ldaptest.StartBase(t, ldaptest.Options{})
	keys := groupKeys(t, uuids(t, s))
	cfg := baseConfig(t, s)
	f := false
	cfg.NestedGroups = &f
	got := split(t, read(t, newSource(t, cfg)))
	for _, u := range ldaptest.BaseUsers {
		if g, w := got.users[u.UID].Get("groups"), wantGroups(keys, u.DirectGroups, u.PosixGroups); g != w {
			t.Errorf("%s: groups %q, want %q", u.UID, g, w)
		}
	}
}

func TestReadScope(t *testing.T) {
	s := ldaptest.StartBase(t, ldaptest.Options{})
	for _, tc := range []struct {
		name             string
		orgs             *Orgs
		wantUsers        []string // uids; nil: every user
		wantOrgs         []string
		wantPathOfKenta  string
		wantPathOfIchiro string
	}{
		{
			name:            "base ou=本社, leavers excluded",
			orgs:            &Orgs{From: "ou", Exclude: []string{"ou=退職者," + honshaBase}},
			wantOrgs:        []string{"営業部", "営業部/第一課", "営業部/第二課", "開発部", "開発部/基盤,運用"},
			wantPathOfKenta: "営業部/第一課", wantPathOfIchiro: "",
		},
		{
			name: "include 営業部, exclude 第二課",
			orgs: &Orgs{From: "ou", Include: []string{"ou=営業部," + honshaBase}, Exclude: []string{"ou=第二課,ou=営業部," + honshaBase}},
			wantUsers: []string{"suzuki.hanako", "takahashi.kenta", "tanaka.yui", "watanabe.sho", "ito.misaki",
				"yamamoto.daiki", "shimizu.yuna"},
			wantOrgs:        []string{"営業部", "営業部/第一課"},
			wantPathOfKenta: "営業部/第一課",
		},
		{
			name:            "orgs from departmentNumber",
			orgs:            &Orgs{From: "attribute", Attribute: "departmentNumber"},
			wantPathOfKenta: "", // set below from the entry
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(t, s)
			cfg.Users.BaseDN = honshaBase
			cfg.Orgs = tc.orgs
			got := split(t, read(t, newSource(t, cfg)))
			var uids []string
			for uid := range got.users {
				uids = append(uids, uid)
			}
			want := tc.wantUsers
			if want == nil {
				for _, u := range ldaptest.BaseUsers {
					if tc.orgs.From == "ou" && strings.HasPrefix(u.OUPath, "本社/退職者") {
						continue
					}
					want = append(want, u.UID)
				}
			}
			sort.Strings(uids)
			want = slices.Clone(want)
			sort.Strings(want)
			if !slices.Equal(uids, want) {
				t.Errorf("users %q\nwant %q", uids, want)
			}
			var orgs []string
			for k := range got.orgs {
				orgs = append(orgs, k)
			}
			sort.Strings(orgs)
			if !slices.Equal(orgs, tc.wantOrgs) {
				t.Errorf("orgs %q, want %q", orgs, tc.wantOrgs)
			}
			kenta := got.users["takahashi.kenta"]
			wantPath := tc.wantPathOfKenta
			if tc.orgs.From == "attribute" {
				wantPath = kenta.Get("departmentNumber")
				if wantPath == "" {
					t.Error("takahashi.kenta has no departmentNumber")
				}
			}
			if p := kenta.Get("ou_path"); p != wantPath {
				t.Errorf("takahashi.kenta: ou_path %q, want %q", p, wantPath)
			}
			if r, ok := got.users["sato.ichiro"]; ok && tc.orgs.From == "ou" && r.Get("ou_path") != tc.wantPathOfIchiro {
				t.Errorf("sato.ichiro: ou_path %q", r.Get("ou_path"))
			}
		})
	}
}

func TestTLS(t *testing.T) {
	s := ldaptest.StartBase(t, ldaptest.Options{TLS: true})
	for _, tc := range []struct {
		name    string
		change  func(*Config)
		wantErr string
	}{
		{"ldaps", func(c *Config) { c.URL, c.AllowPlain, c.CAFile = s.LDAPSURL, false, s.CAFile }, ""},
		{"starttls", func(c *Config) { c.AllowPlain, c.StartTLS, c.CAFile = false, true, s.CAFile }, ""},
		{"ldaps with server_name", func(c *Config) {
			c.URL, c.AllowPlain, c.CAFile, c.ServerName = strings.Replace(s.LDAPSURL, "127.0.0.1", "localhost", 1), false, s.CAFile, "localhost"
		}, ""},
		{"ldaps without the CA", func(c *Config) { c.URL, c.AllowPlain = s.LDAPSURL, false }, "source.ldap.url: TLS with 127.0.0.1:"},
		{"starttls without the CA", func(c *Config) { c.AllowPlain, c.StartTLS = false, true }, "source.ldap.start_tls: TLS with 127.0.0.1:"},
		{"wrong server name", func(c *Config) {
			c.URL, c.AllowPlain, c.CAFile, c.ServerName = s.LDAPSURL, false, s.CAFile, "ldap.example.jp"
		}, "ldap.example.jp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(t, s)
			tc.change(&cfg)
			recs, _, err := readChanged(t, newSource(t, cfg), "")
			if tc.wantErr == "" {
				if err != nil || len(split(t, recs).users) != 20 {
					t.Fatalf("%d records, %v", len(recs), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || recs != nil {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), "certificate") {
				t.Errorf("not a certificate error: %v", err)
			}
		})
	}
	t.Run("plain refused without allow_plain", func(t *testing.T) {
		cfg := baseConfig(t, s)
		cfg.AllowPlain = false
		_, err := New(cfg, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "url: ") || !strings.Contains(err.Error(), "is plain LDAP") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestBindErrors(t *testing.T) {
	s := ldaptest.StartBase(t, ldaptest.Options{})
	const wrong = "Wrong-Passw0rd-1234"
	t.Setenv("ORGBRIDGE_TEST_WRONG_PW", wrong)
	cfg := baseConfig(t, s)
	cfg.BindPassword = config.Secret{Env: "ORGBRIDGE_TEST_WRONG_PW"}
	core, logs := observer.New(zapcore.DebugLevel)
	src, err := New(cfg, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	recs, mark, err := readChanged(t, src, "")
	if err == nil || recs != nil || mark != "" {
		t.Fatalf("read with a wrong password: %d records, %v", len(recs), err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "source.ldap.bind_dn: bind as \""+s.ReaderDN+"\"") || !strings.Contains(msg, "Invalid Credentials") {
		t.Errorf("err %q", msg)
	}
	if connectors.IsTransient(err) {
		t.Errorf("a refused bind is not transient: %v", err)
	}
	// The password is nowhere: not in the error, not in a log.
	check := func(where, text string) {
		if strings.Contains(text, wrong) || strings.Contains(text, s.ReaderPassword) {
			t.Errorf("%s holds the password: %s", where, text)
		}
	}
	check("error", msg)
	// A successful read logs too; check it as well.
	src2, err := New(baseConfig(t, s), zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src2.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, e := range logs.All() {
		check("log "+e.Message, e.Message)
		for k, v := range e.ContextMap() {
			check("log field "+k, fmt.Sprint(v))
		}
	}
	if logs.Len() == 0 {
		t.Error("nothing logged")
	}

	t.Run("unreachable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cfg := baseConfig(t, s)
		cfg.URL = "ldap://" + addr
		_, err = newSource(t, cfg).Read(context.Background())
		if err == nil || !connectors.IsTransient(err) || !strings.Contains(err.Error(), "source.ldap.url: connect to "+addr) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestOnMissing(t *testing.T) {
	s := ldaptest.StartBase(t, ldaptest.Options{})
	cfg := baseConfig(t, s)
	cfg.Required = []string{"mail", "employeeNumber"}
	var dnRin, dnDaiki string
	for _, u := range ldaptest.BaseUsers {
		switch u.UID {
		case "yamaguchi.rin":
			dnRin = u.DN
		case "yamamoto.daiki":
			dnDaiki = u.DN
		}
	}

	t.Run("fail", func(t *testing.T) {
		recs, _, err := readChanged(t, newSource(t, cfg), "")
		if err == nil || recs != nil {
			t.Fatalf("%d records, %v", len(recs), err)
		}
		if !errors.Is(err, ErrMissingAttribute) {
			t.Errorf("not ErrMissingAttribute: %v", err)
		}
		var ee *EntryError
		if !errors.As(err, &ee) {
			t.Errorf("no EntryError in %v", err)
		}
		// Both entries are named, each with what it lacks.
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != 2 {
			t.Errorf("want 2 problems, got %q", lines)
		}
		for _, want := range []struct{ dn, attr string }{{dnDaiki, `"mail"`}, {dnRin, `"employeeNumber"`}} {
			found := false
			for _, l := range lines {
				dn, rest, _ := strings.Cut(l, ": ")
				if mustNorm(t, dn) == mustNorm(t, want.dn) && rest == "missing required attribute "+want.attr {
					found = true
				}
			}
			if !found {
				t.Errorf("no problem for %s lacking %s in %q", want.dn, want.attr, lines)
			}
		}
	})

	t.Run("skip", func(t *testing.T) {
		cfg := cfg
		cfg.OnMissing = "skip"
		core, logs := observer.New(zapcore.WarnLevel)
		src, err := New(cfg, zap.New(core))
		if err != nil {
			t.Fatal(err)
		}
		got := split(t, read(t, src))
		if len(got.users) != 18 {
			t.Errorf("%d users, want 18", len(got.users))
		}
		for _, uid := range []string{"yamaguchi.rin", "yamamoto.daiki"} {
			if _, ok := got.users[uid]; ok {
				t.Errorf("%s not skipped", uid)
			}
		}
		skipped := logs.FilterMessage("ldap: entry skipped").All()
		if len(skipped) != 2 {
			t.Fatalf("%d skip logs", len(skipped))
		}
		for _, e := range skipped {
			dn, _ := e.ContextMap()["dn"].(string)
			if n := mustNorm(t, dn); n != mustNorm(t, dnRin) && n != mustNorm(t, dnDaiki) {
				t.Errorf("skip log names %q", dn)
			}
		}
	})
}

// cutConn is a connection that fails once the client has read limit bytes:
// the server vanishing part-way through a read.
type cutConn struct {
	net.Conn
	left int
	mu   sync.Mutex
}

func (c *cutConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.left <= 0 {
		c.Conn.Close()
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by test")}
	}
	if len(p) > c.left {
		p = p[:c.left]
	}
	n, err := c.Conn.Read(p)
	c.left -= n
	return n, err
}

// cutting makes src's first n connections drop after limit bytes.
func cutting(src *Source, n int, limit int) *atomic.Int32 {
	var dials atomic.Int32
	src.dial = func(network, addr string, timeout time.Duration) (net.Conn, error) {
		c, err := net.DialTimeout(network, addr, timeout)
		if err != nil {
			return nil, err
		}
		if int(dials.Add(1)) <= n {
			return &cutConn{Conn: c, left: limit}, nil
		}
		return c, nil
	}
	return &dials
}

func TestFailurePartWay(t *testing.T) {
	s := ldaptest.StartBase(t, ldaptest.Options{})
	clean := read(t, newSource(t, baseConfig(t, s)))

	t.Run("dropped once, read again", func(t *testing.T) {
		core, logs := observer.New(zapcore.WarnLevel)
		src, err := New(baseConfig(t, s), zap.New(core))
		if err != nil {
			t.Fatal(err)
		}
		dials := cutting(src, 1, 6000) // past the bind, inside the users' pages
		recs := read(t, src)
		if dials.Load() != 2 {
			t.Errorf("%d dials, want 2", dials.Load())
		}
		if len(recs) != len(clean) {
			t.Fatalf("%d records after a retry, want %d", len(recs), len(clean))
		}
		for i := range recs {
			if recs[i].Key != clean[i].Key || recs[i].Get("groups") != clean[i].Get("groups") {
				t.Errorf("record %d differs: %v / %v", i, recs[i], clean[i])
			}
		}
		if logs.FilterMessage("ldap: connection lost during the read; reading again from the start").Len() != 1 {
			t.Errorf("retry not logged: %v", logs.All())
		}
	})

	t.Run("dropped twice, fails", func(t *testing.T) {
		src := newSource(t, baseConfig(t, s))
		for _, limit := range []int{300, 2000, 6000} {
			cutting(src, 2, limit)
			recs, mark, err := readChanged(t, src, "")
			if err == nil || recs != nil || mark != "" {
				t.Fatalf("limit %d: %d records, mark %q, %v", limit, len(recs), mark, err)
			}
			if !connectors.IsTransient(err) || !strings.Contains(err.Error(), "lost during the read") {
				t.Errorf("limit %d: %v", limit, err)
			}
		}
	})

	t.Run("server stopped part-way", func(t *testing.T) {
		s := ldaptest.StartBase(t, ldaptest.Options{})
		src := newSource(t, baseConfig(t, s))
		var once sync.Once
		src.dial = func(network, addr string, timeout time.Duration) (net.Conn, error) {
			c, err := net.DialTimeout(network, addr, timeout)
			if err != nil {
				return nil, err
			}
			return &stopConn{Conn: c, left: 4000, stop: func() { once.Do(func() { s.Stop(t) }) }}, nil
		}
		recs, _, err := readChanged(t, src, "")
		if err == nil || recs != nil {
			t.Fatalf("%d records, %v", len(recs), err)
		}
		if !connectors.IsTransient(err) {
			t.Errorf("not transient: %v", err)
		}
		t.Log(err)
	})

	t.Run("search refused", func(t *testing.T) {
		cfg := baseConfig(t, s)
		cfg.Users.BaseDN = "ou=存在しない,dc=example,dc=jp"
		cfg.Orgs = nil
		recs, _, err := readChanged(t, newSource(t, cfg), "")
		if err == nil || recs != nil || !strings.Contains(err.Error(), "source.ldap.users: search ou=存在しない,dc=example,dc=jp: ") ||
			!strings.Contains(err.Error(), "No Such Object") {
			t.Fatalf("err %v", err)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		src := newSource(t, baseConfig(t, s))
		src.dial = func(network, addr string, timeout time.Duration) (net.Conn, error) {
			c, err := net.DialTimeout(network, addr, timeout)
			return &stopConn{Conn: c, left: 4000, stop: cancel}, err
		}
		recs, _, err := src.ReadChanged(ctx, "")
		if !errors.Is(err, context.Canceled) || recs != nil {
			t.Fatalf("%d records, %v", len(recs), err)
		}
	})
}

// stopConn calls stop once the client has read limit bytes, then goes on
// reading (from a server that is going away).
type stopConn struct {
	net.Conn
	left int
	stop func()
	mu   sync.Mutex
}

func (c *stopConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if c.left <= 0 {
		c.mu.Unlock()
		c.stop()
		return c.Conn.Read(p)
	}
	if len(p) > c.left {
		p = p[:c.left]
	}
	c.mu.Unlock()
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.left -= n
	c.mu.Unlock()
	return n, err
}

// usersByUID returns the uids of the user records.
func usersByUID(recs []connectors.Record) []string {
	var out []string
	for _, r := range recs {
		if r.Kind == mapping.KindUser {
			out = append(out, r.Get("uid"))
		}
	}
	sort.Strings(out)
	return out
}

func TestIncremental(t *testing.T) {
	s := ldaptest.StartBase(t, ldaptest.Options{SyncProv: true})
	byUID := map[string]ldaptest.FixtureUser{}
	for _, u := range ldaptest.BaseUsers {
		byUID[u.UID] = u
	}
	keys := groupKeys(t, uuids(t, s))
	cfg := baseConfig(t, s)
	cfg.Incremental = "entryCSN"
	src := newSource(t, cfg)

	all, mark, err := readChanged(t, src, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 20+10+7 || !strings.HasPrefix(mark, "entryCSN:") {
		t.Fatalf("%d records, mark %q", len(all), mark)
	}

	// Nothing changed: nothing read, the mark stays.
	recs, mark2, err := readChanged(t, src, mark)
	if err != nil || len(recs) != 0 || mark2 != mark {
		t.Fatalf("unchanged: %d records, mark %q → %q, %v", len(recs), mark, mark2, err)
	}

	// One user changes: just it, complete.
	kenta := byUID["takahashi.kenta"]
	s.Modify(t, "dn: "+kenta.DN+"\nchangetype: modify\nreplace: employeeNumber\nemployeeNumber: 9999\n")
	recs, mark3, err := readChanged(t, src, mark2)
	if err != nil {
		t.Fatal(err)
	}
	if got := usersByUID(recs); !slices.Equal(got, []string{"takahashi.kenta"}) || len(recs) != 1 {
		t.Fatalf("after one change: %d records, users %q", len(recs), got)
	}
	if r := recs[0]; r.Get("employeeNumber") != "9999" || r.Get("groups") != wantGroups(keys, kenta.Groups, kenta.PosixGroups) ||
		r.Get("ou_path") != kenta.OUPath {
		t.Errorf("changed user: %v", r.Attrs)
	}
	if mark3 <= mark2 {
		t.Errorf("mark did not advance: %q → %q", mark2, mark3)
	}

	// A group changes (sato.ichiro joins the innermost sales group): the
	// group and every member at any depth, each with all its groups.
	ichiro := byUID["sato.ichiro"]
	s.Modify(t, "dn: cn=営業第一課員,"+groupsBase+"\nchangetype: modify\nadd: member\nmember: "+ichiro.DN+"\n")
	recs, mark4, err := readChanged(t, src, mark3)
	if err != nil {
		t.Fatal(err)
	}
	got := split(t, recs)
	if len(got.groups) != 1 || got.groups["営業第一課員"].Key != keys["営業第一課員"] || len(got.orgs) != 0 {
		t.Errorf("changed groups %v, orgs %v", got.groups, got.orgs)
	}
	want := append(slices.Clone(ldaptest.BaseGroups[0].Users), "sato.ichiro")
	sort.Strings(want)
	if uids := usersByUID(recs); !slices.Equal(uids, want) {
		t.Errorf("members read %q, want %q", uids, want)
	}
	if g, w := got.users["sato.ichiro"].Get("groups"), wantGroups(keys, ichiro.Groups, []string{"営業第一課員", "営業部員", "全社員"}); g != w {
		t.Errorf("sato.ichiro groups %q, want %q", g, w)
	}

	// An OU is renamed: its org and every user below it, with new paths.
	// (slapd's memberof-refint follows the renamed entry only, not the
	// entries below it: the groups keep naming the users' old DNs, so
	// those users are now in no group, as the directory says.)
	s.Modify(t, "dn: ou=第二課,ou=営業部,"+honshaBase+"\nchangetype: modrdn\nnewrdn: ou=第2課\ndeleteoldrdn: 1\n")
	recs, _, err = readChanged(t, src, mark4)
	if err != nil {
		t.Fatal(err)
	}
	got = split(t, recs)
	if _, ok := got.orgs["本社/営業部/第2課"]; !ok || len(got.orgs) != 1 {
		t.Errorf("renamed OU: orgs %v", got.orgs)
	}
	for _, uid := range []string{"kato.sakura", "kobayashi.ren", "nakamura.aoi", "yoshida.hanako"} {
		r, ok := got.users[uid]
		if !ok {
			t.Errorf("%s below the renamed OU not read", uid)
			continue
		}
		if r.Get("ou_path") != "本社/営業部/第2課" || !strings.Contains(r.Origin, "第2課") {
			t.Errorf("%s: ou_path %q, dn %q", uid, r.Get("ou_path"), r.Origin)
		}
	}
	if len(got.users) != 4 || len(got.groups) != 0 {
		t.Errorf("after the rename: users %q, %d groups", usersByUID(recs), len(got.groups))
	}
	c := s.Conn(t)
	res, err := c.Search(goldap.NewSearchRequest(groupsBase, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false,
		"(member=uid=nakamura.aoi,ou=第二課,ou=営業部,"+honshaBase+")", []string{"1.1"}, nil))
	if err != nil || len(res.Entries) == 0 {
		t.Logf("the groups no longer name the old DN (%v): then nakamura.aoi's groups are %q", err, got.users["nakamura.aoi"].Get("groups"))
	} else if g := got.users["nakamura.aoi"].Get("groups"); g != "" {
		t.Errorf("nakamura.aoi: groups %q, but the groups name the old DN only", g)
	}

	// A mark of another attribute: a full read.
	recs, _, err = readChanged(t, src, "uSNChanged:12")
	if err != nil || len(split(t, recs).users) != 20 {
		t.Errorf("foreign mark: %d records, %v", len(recs), err)
	}
}

func TestIncrementalModifyTimestamp(t *testing.T) {
	// Without syncprov there is no contextCSN: the mark is the greatest
	// modifyTimestamp seen, less the read's duration, cut to the second. An
	// entry changed then is read again next time (the boundary), the
	// fixture loaded seconds earlier is not.
	s := ldaptest.StartBase(t, ldaptest.Options{})
	byUID := map[string]ldaptest.FixtureUser{}
	for _, u := range ldaptest.BaseUsers {
		byUID[u.UID] = u
	}
	time.Sleep(2100 * time.Millisecond)
	s.Modify(t, "dn: "+byUID["tanaka.yui"].DN+"\nchangetype: modify\nreplace: employeeNumber\nemployeeNumber: 1111\n")
	src := newSource(t, baseConfig(t, s))
	_, mark, err := readChanged(t, src, "")
	if err != nil {
		t.Fatal(err)
	}
	s.Modify(t, "dn: "+byUID["ito.misaki"].DN+"\nchangetype: modify\nreplace: employeeNumber\nemployeeNumber: 2222\n")
	recs, mark2, err := readChanged(t, src, mark)
	if err != nil {
		t.Fatal(err)
	}
	if got := usersByUID(recs); !slices.Equal(got, []string{"ito.misaki", "tanaka.yui"}) || len(recs) != 2 {
		t.Errorf("changed since %s: %d records, users %q", mark, len(recs), got)
	}
	if !strings.HasPrefix(mark2, "modifyTimestamp:") || mark2 < mark {
		t.Errorf("marks %q → %q", mark, mark2)
	}
}

func TestPaging(t *testing.T) {
	// 1500 generated users besides base.ldif's 20: two pages at the
	// default page size (the reader may get 1000 a page, 500 unpaged).
	path := filepath.Join(t.TempDir(), "bulk.ldif")
	if err := ldaptest.WriteUsers(path, 1500, ldaptest.GenOptions{BaseDN: ldaptest.BaseSuffix}); err != nil {
		t.Fatal(err)
	}
	s := ldaptest.StartBase(t, ldaptest.Options{Preload: []string{path}})
	cfg := baseConfig(t, s)
	cfg.PageSize = 0
	cfg.Orgs = &Orgs{From: "ou", Include: []string{honshaBase}}
	src := newSource(t, cfg)
	got := split(t, read(t, src))
	if len(got.users) != 20 {
		t.Errorf("%d users in ou=本社, want 20", len(got.users))
	}
	cfg.Orgs = nil
	got = split(t, read(t, newSource(t, cfg)))
	if len(got.users) != 1520 {
		t.Errorf("%d users, want 1520", len(got.users))
	}
	if u := got.users["user0001500"]; u.Get("ou_path") == "" || u.Key == "" || u.Get("groups") != "" {
		t.Errorf("generated user: %v", u)
	}

	// A page larger than the server allows is refused: the read fails.
	cfg.PageSize = 2000
	recs, _, err := readChanged(t, newSource(t, cfg), "")
	if err == nil || recs != nil || !strings.Contains(err.Error(), "Admin Limit Exceeded") {
		t.Fatalf("%d records, %v", len(recs), err)
	}
}
