package ldap

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"github.com/orgbridge/orgbridge/connectors/aircourse"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/mapping"
)

// realCAPEM returns a freshly made self-signed CA certificate in PEM, for
// configs whose ca_file names a file that exists only where they are
// deployed.
func realCAPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "example CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// exampleJob loads configs/NAME.yaml, checks its mapping compiles and that
// New accepts its source block (with its CA file replaced by one that
// exists here), and returns the job's rules and source.
func exampleJob(t *testing.T, name string) (*mapping.Rules, *Source, config.Job) {
	t.Helper()
	// The registry imports this package, so the test names the two
	// settings types the example configs use itself.
	parts := config.Parts{
		Sources: map[string]func() config.Settings{"ldap": func() config.Settings { return new(Config) }},
		Targets: map[string]func() config.Settings{"aircourse": func() config.Settings { return new(aircourse.Config) }},
		Mapping: mapping.Check,
	}
	file, err := config.Load(filepath.Join("..", "..", "configs", name), parts)
	if err != nil {
		t.Fatal(err)
	}
	if len(file.Jobs) != 1 {
		t.Fatalf("%s: %d jobs, want 1", name, len(file.Jobs))
	}
	job := file.Jobs[0]
	if job.Source.Type != "ldap" || job.Source.Settings == nil {
		t.Fatalf("%s: source type %q", name, job.Source.Type)
	}
	ac := job.Target.Settings.(*aircourse.Config)
	if job.Target.Type != "aircourse" || ac == nil || ac.BaseURL != "http://127.0.0.1:8081" ||
		ac.ClientID != "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b" || ac.ClientSecret.Env != "AIRCOURSE_CLIENT_SECRET" {
		t.Errorf("%s: target is not the demo's AirCourse emulator: %+v", name, job.Target)
	}
	if job.Source.Settings.(*Config).BindPassword.Env != "LDAP_BIND_PASSWORD" {
		t.Errorf("%s: bind password from %+v, want env LDAP_BIND_PASSWORD", name, job.Source.Settings.(*Config).BindPassword)
	}
	rules, err := mapping.Compile(job.Mapping, "jobs[0].mapping")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("LDAP_BIND_PASSWORD", "example-password")
	cfg := *job.Source.Settings.(*Config)
	if cfg.CAFile != "" {
		// A PEM that parses is enough for New; no connection is made.
		ca := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(ca, []byte(realCAPEM(t)), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg.CAFile = ca
	}
	src, err := New(cfg, nil)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rules, src, job
}

// user makes a record as the source makes it for s's config: every
// configured attribute present.
func exampleUser(s *Source, key, dn, path, groups, disabled string, attrs map[string]string) connectors.Record {
	r := connectors.Record{Kind: mapping.KindUser, Key: key, Origin: dn, Attrs: map[string][]string{
		attrDN: {dn}, attrOUPath: {path}, attrGroups: {groups}, attrDisabled: {disabled},
	}}
	for _, a := range s.s.attributes {
		r.Attrs[a] = []string{attrs[a]}
	}
	return r
}

func TestExampleConfigs(t *testing.T) {
	for _, tc := range []struct {
		file    string
		ad      bool
		records func(s *Source) []connectors.Record
		check   func(t *testing.T, snap *mapping.Snapshot)
	}{
		{
			file: "ldap-openldap.yaml",
			records: func(s *Source) []connectors.Record {
				return []connectors.Record{
					exampleUser(s, "u-1", "uid=taro,ou=第一課,ou=営業部,ou=本社,ou=people,dc=example,dc=org", "本社/営業部/第一課", "g-1;g-2", "false",
						map[string]string{"uid": "taro", "cn": "山田 太郎", "mail": "Taro@Example.org", "employeeType": "manager"}),
					exampleUser(s, "u-2", "uid=hana,ou=本社,ou=people,dc=example,dc=org", "本社", "", "true",
						map[string]string{"uid": "hana", "cn": "花子", "displayName": "佐藤 花子", "mail": "hana@example.org"}),
					{Kind: mapping.KindOrg, Key: "本社", Origin: "ou=本社,ou=people,dc=example,dc=org", Attrs: map[string][]string{"ou": {"本社"}, "description": {"Head office"}, "dn": {"ou=本社,ou=people,dc=example,dc=org"}}},
					{Kind: mapping.KindGroup, Key: "g-1", Origin: "cn=sales,ou=groups,dc=example,dc=org", Attrs: map[string][]string{"cn": {"sales"}, "description": {""}, "dn": {"cn=sales,ou=groups,dc=example,dc=org"}}},
					{Kind: mapping.KindGroup, Key: "g-2", Origin: "cn=all,ou=groups,dc=example,dc=org", Attrs: map[string][]string{"cn": {"all"}, "description": {"Everyone"}, "dn": {"cn=all,ou=groups,dc=example,dc=org"}}},
				}
			},
			check: func(t *testing.T, snap *mapping.Snapshot) {
				users := snap.UserIndex()
				if u := users["u-1"]; u == nil || u.LoginID != "taro" || u.Email != "taro@example.org" || u.Name != "山田 太郎" || u.Suspended {
					t.Errorf("u-1 = %+v", u)
				}
				if u := users["u-2"]; u == nil || u.Name != "佐藤 花子" || !u.Suspended {
					t.Errorf("u-2 = %+v", u)
				}
				if o := snap.OrgIndex()["本社/営業部/第一課"]; o == nil || o.ParentKey != "本社/営業部" {
					t.Errorf("org tree: %+v", snap.Orgs)
				}
				if o := snap.OrgIndex()["本社"]; o == nil || o.Description != "Head office" {
					t.Errorf("org 本社 = %+v", o)
				}
			},
		},
		{
			file: "ldap-ad.yaml",
			ad:   true,
			records: func(s *Source) []connectors.Record {
				return []connectors.Record{
					exampleUser(s, "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "CN=Taro Yamada,OU=Sales,OU=Staff,DC=example,DC=test", "Sales", "aaaaaaaa-0000-0000-0000-000000000001", "false",
						map[string]string{"sAMAccountName": "TYamada", "userPrincipalName": "tyamada@example.test", "displayName": "山田 太郎"}),
					exampleUser(s, "3f2504e0-4f89-11d3-9a0c-0305e82c3302", "CN=Old,OU=Staff,DC=example,DC=test", "", "", "true",
						map[string]string{"sAMAccountName": "old", "mail": "old@example.test", "displayName": "Old"}),
					{Kind: mapping.KindGroup, Key: "aaaaaaaa-0000-0000-0000-000000000001", Origin: "CN=Sales,OU=Groups,DC=example,DC=test", Attrs: map[string][]string{"cn": {"Sales"}, "description": {""}, "dn": {"CN=Sales,OU=Groups,DC=example,DC=test"}}},
				}
			},
			check: func(t *testing.T, snap *mapping.Snapshot) {
				users := snap.UserIndex()
				if u := users["3f2504e0-4f89-11d3-9a0c-0305e82c3301"]; u == nil || u.LoginID != "tyamada" || u.Email != "tyamada@example.test" || u.Suspended {
					t.Errorf("taro = %+v", u)
				}
				if u := users["3f2504e0-4f89-11d3-9a0c-0305e82c3302"]; u == nil || !u.Suspended {
					t.Errorf("disabled user = %+v", u)
				}
				if len(snap.Groups) != 1 || snap.Groups[0].Name != "Sales" {
					t.Errorf("groups = %+v", snap.Groups)
				}
			},
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			rules, src, _ := exampleJob(t, tc.file)
			if src.s.ad != tc.ad {
				t.Errorf("flavor ad = %v", src.s.ad)
			}
			snap, _, err := rules.Build(tc.records(src))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, snap)
		})
	}
}
