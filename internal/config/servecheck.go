package config

import (
	"crypto/tls"
	"fmt"
	"path/filepath"
)

// CheckServe checks, without network, what `orgbridge serve` needs beyond
// its jobs and would otherwise find only once it is starting: every secret
// it resolves (store.dsn of a postgres store, admin.token, each of
// scim.tokens) resolves (its variable set and not empty, its file
// readable), and the SCIM endpoint's TLS certificate and key load as a
// pair. Each problem is a *FieldError with its file and line, never a
// secret's value. nil when all is well.
func (f *File) CheckServe() error {
	var p Problems
	resolve := func(s Secret, key string) {
		if _, err := s.Resolve(key, f.Dir); err != nil {
			p.Merge("", err)
		}
	}
	if f.Store.Driver == "postgres" {
		resolve(f.Store.DSN, "store.dsn")
	}
	if a := f.Admin; a != nil {
		resolve(a.Token, "admin.token")
	}
	if sc := f.SCIM; sc != nil {
		for i, t := range sc.Tokens {
			resolve(t, fmt.Sprintf("scim.tokens[%d]", i))
		}
		if t := sc.TLS; t != nil && t.CertFile != "" && t.KeyFile != "" {
			cert, key := f.path(t.CertFile), f.path(t.KeyFile)
			if _, err := tls.LoadX509KeyPair(cert, key); err != nil {
				p.Add("scim.tls", "load the certificate %s and key %s: %v", t.CertFile, t.KeyFile, err)
			}
		}
	}
	return f.Locate(p.Err())
}

// path resolves a path of the config against its directory.
func (f *File) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(f.Dir, p)
}
