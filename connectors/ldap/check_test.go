package ldap

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/ldap/ldaptest"
	"github.com/orgbridge/orgbridge/internal/config"
)

// The connection check against a real slapd: each way a source can be
// wrong fails at its own step, with its own reason, and the steps before
// it pass.
func TestCheck(t *testing.T) {
	s := ldaptest.StartBase(t, ldaptest.Options{})
	closed := func() string { // an address nothing listens on
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "ldap://" + addr
	}()
	wrongPW := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrongPW, []byte("not-the-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	type line struct{ check, key, err string } // err "": passed
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want []line
	}{
		{"all good", func(*Config) {}, []line{
			{"connect to ", "source.ldap.url", ""},
			{"bind as " + s.ReaderDN, "source.ldap.bind_dn", ""},
			{"read one page under " + s.BaseDN, "source.ldap.users.base_dn", ""},
			{"read one page under " + groupsBase, "source.ldap.groups.base_dn", ""},
		}},
		{"unreachable server", func(c *Config) { c.URL = closed }, []line{
			{"connect to ", "source.ldap.url", "connection refused"},
		}},
		{"wrong password", func(c *Config) { c.BindPassword = config.Secret{File: wrongPW} }, []line{
			{"connect to ", "source.ldap.url", ""},
			{"bind as " + s.ReaderDN, "source.ldap.bind_dn", "Invalid Credentials"},
		}},
		{"base DN that does not exist", func(c *Config) { c.Groups.BaseDN = "ou=nowhere,dc=example,dc=jp" }, []line{
			{"connect to ", "source.ldap.url", ""},
			{"bind as " + s.ReaderDN, "source.ldap.bind_dn", ""},
			{"read one page under " + s.BaseDN, "source.ldap.users.base_dn", ""},
			{"read one page under ou=nowhere", "source.ldap.groups.base_dn", `base_dn "ou=nowhere,dc=example,dc=jp" does not exist`},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(t, s)
			tc.edit(&cfg)
			got := cfg.Check(context.Background(), connectors.CheckEnv{Env: connectors.Env{Logger: zaptest.NewLogger(t)}})
			if len(got) != len(tc.want) {
				t.Fatalf("%d results, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				g := got[i]
				if !strings.HasPrefix(g.Check, w.check) || g.Key != w.key {
					t.Errorf("result %d = %q (%s), want %q… (%s)", i, g.Check, g.Key, w.check, w.key)
				}
				switch {
				case w.err == "" && g.Err != nil:
					t.Errorf("%s failed: %v", g.Check, g.Err)
				case w.err != "" && (g.Err == nil || !strings.Contains(g.Err.Error(), w.err)):
					t.Errorf("%s: err = %v, want %q", g.Check, g.Err, w.err)
				}
			}
			if tc.name == "all good" && !strings.Contains(got[2].Detail, "5 entries on the first page") {
				t.Errorf("users page: %q, want 5 entries (one page)", got[2].Detail)
			}
		})
	}
}
