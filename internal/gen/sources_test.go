package gen_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/orgbridge/orgbridge/configs"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/ldap/ldaptest"
	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/internal/gen"
	"github.com/orgbridge/orgbridge/mapping"
)

// readThrough loads config (configs' example, rewritten by edits), reads
// its job's source and builds the mapping's snapshot.
func readThrough(t *testing.T, dir, example string, edits map[string]string) (*mapping.Snapshot, mapping.Report) {
	t.Helper()
	data, err := configs.Files.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	for from, to := range edits {
		re := regexp.MustCompile(from)
		if !re.Match(data) {
			t.Fatalf("%s: no %q to rewrite", example, from)
		}
		data = re.ReplaceAll(data, []byte(to))
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := registry.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	job := file.Jobs[0]
	src, err := connectors.OpenSource(t.Context(), job.Source, "jobs[0].source", connectors.Env{BaseDir: file.Dir, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	records, err := src.Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rules, err := mapping.Compile(job.Mapping, "jobs[0].mapping")
	if err != nil {
		t.Fatal(err)
	}
	snap, report, err := rules.Build(records)
	if err != nil {
		t.Fatal(err)
	}
	return snap, report
}

// snapCounts counts what a snapshot holds as gen.Counts: users in scope
// (Users), suspended ones, orgs, groups and group memberships.
func snapCounts(snap *mapping.Snapshot) gen.Counts {
	c := gen.Counts{Users: len(snap.Users), Orgs: len(snap.Orgs), Groups: len(snap.Groups)}
	for _, u := range snap.Users {
		if u.Suspended {
			c.Suspended++
		}
	}
	for _, m := range snap.Memberships {
		if m.Kind == mapping.KindGroup {
			c.Memberships++
		}
	}
	return c
}

// TestDemoConfigReadsTheCSV reads a generated export with configs/demo.yaml
// as it is (only its paths moved): the users in scope, the leavers it
// excludes, the suspended, the orgs and the memberships are the counts.
func TestDemoConfigReadsTheCSV(t *testing.T) {
	opts := gen.Options{Users: 3000, Orgs: 120, Depth: 3, Fanout: 11, Groups: 25, Memberships: 450,
		LeaverPercent: 4, SuspendedPercent: 2, Seed: 3}
	g, err := gen.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, w := range map[string]func(*os.File) error{
		"users.csv": func(f *os.File) error { return g.WriteUsersCSV(f) },
		"orgs.csv":  func(f *os.File) error { return g.WriteOrgsCSV(f) },
	} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := w(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	snap, report := readThrough(t, dir, "demo.yaml", map[string]string{
		`path: demo/users\.csv`: "path: users.csv",
		`path: demo/orgs\.csv`:  "path: orgs.csv",
	})
	c := g.Counts()
	if report.Records != c.Users+c.Orgs || report.Excluded != c.Leavers {
		t.Errorf("read %d records, %d excluded; want %d users + %d orgs, %d leavers excluded", report.Records, report.Excluded, c.Users, c.Orgs, c.Leavers)
	}
	want := gen.Counts{Users: c.Users - c.Leavers, Suspended: c.Suspended, Orgs: c.Orgs, Groups: c.Groups, Memberships: c.Memberships}
	if got := snapCounts(snap); !equalCounts(got, want) || got.Orgs != want.Orgs {
		t.Errorf("the demo's mapping gives %+v, want %+v", got, want)
	}
	for _, o := range snap.Orgs {
		if o.Code == "" {
			t.Errorf("org %q has no code: orgs.csv was not read into it", o.Key)
			break
		}
	}
}

// TestOpenLDAPConfigReadsTheLDIF loads the LDIF into a real slapd (slapadd)
// and reads it with configs/ldap-openldap.yaml, pointed at that server: the
// leavers under ou=退職者 are left out by its orgs.exclude, the suspended
// are locked, and the groups hold the memberships.
func TestOpenLDAPConfigReadsTheLDIF(t *testing.T) {
	ldaptest.Require(t)
	opts := gen.Options{Users: 2000, Orgs: 40, Depth: 3, Groups: 12, Memberships: 500,
		LeaverPercent: 5, SuspendedPercent: 3, Seed: 11}
	g, err := gen.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ldif := filepath.Join(dir, "directory.ldif")
	f, err := os.Create(ldif)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.WriteLDIF(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s := ldaptest.Start(t, ldaptest.Options{Suffix: gen.DefaultBaseDN, TLS: true, Preload: []string{ldif}})
	t.Setenv("LDAP_BIND_PASSWORD", s.ReaderPassword)
	snap, _ := readThrough(t, dir, "ldap-openldap.yaml", map[string]string{
		`url: ldaps://ldap\.example\.org:636`:                 "url: " + s.LDAPSURL,
		`ca_file: ldap-ca\.pem`:                               "ca_file: " + s.CAFile,
		`bind_dn: cn=orgbridge,ou=services,dc=example,dc=org`: "bind_dn: " + s.ReaderDN,
	})
	c := g.Counts()
	want := gen.Counts{Users: c.Users - c.Leavers, Suspended: c.Suspended, Orgs: c.Orgs, Groups: c.Groups, Memberships: c.Memberships}
	if got := snapCounts(snap); !equalCounts(got, want) || got.Orgs != want.Orgs {
		t.Errorf("the OpenLDAP example's mapping gives %+v, want %+v", got, want)
	}
}
