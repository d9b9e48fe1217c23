package ldap

import (
	"context"
	"path/filepath"
	"time"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
)

// Config is the source's block of a job (`source: {type: ldap, ldap:
// {...}}`): Active Directory or OpenLDAP.
type Config struct {
	// URL is ldaps://host:636 or ldap://host:389.
	URL string `yaml:"url"`
	// StartTLS upgrades an ldap:// connection.
	StartTLS bool `yaml:"start_tls"`
	// AllowPlain permits ldap:// without StartTLS; it must be set
	// explicitly, as the bind password then crosses the network in clear.
	AllowPlain bool `yaml:"allow_plain"`
	// CAFile verifies the server's certificate (PEM); empty uses the
	// system roots. ServerName overrides the name checked.
	CAFile     string `yaml:"ca_file"`
	ServerName string `yaml:"server_name"`
	BindDN     string `yaml:"bind_dn"`
	// BindPassword comes from an environment variable or a file.
	BindPassword config.Secret `yaml:"bind_password"`
	// Timeout of the dial and of each operation; default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// PageSize of the simple paged results control; default 1000.
	PageSize int `yaml:"page_size"`
	// Flavor is "ad" or "openldap" (default): the key attribute, disabled
	// accounts, range retrieval and nested-group expansion follow it.
	Flavor string `yaml:"flavor"`
	// KeyAttribute is each entry's stable key; default objectGUID on AD,
	// entryUUID on OpenLDAP.
	KeyAttribute string `yaml:"key_attribute"`
	// Users, Groups and Orgs say where to search.
	Users  Search  `yaml:"users"`
	Groups *Search `yaml:"groups"`
	Orgs   *Orgs   `yaml:"orgs"`
	// Attributes lists the user attributes to read (those the mapping
	// uses); an attribute an entry lacks reads as "".
	Attributes []string `yaml:"attributes"`
	// Required lists attributes every user entry must have; OnMissing says
	// what happens to one that lacks them: "fail" (default: the run fails,
	// naming every such DN) or "skip" (the entry is left out and reported).
	Required  []string `yaml:"required"`
	OnMissing string   `yaml:"on_missing"`
	// NestedGroups expands groups within groups; default true.
	NestedGroups *bool `yaml:"nested_groups"`
	// Incremental names the high-water-mark attribute of incremental runs;
	// default uSNChanged on AD, modifyTimestamp on OpenLDAP.
	Incremental string `yaml:"incremental"`
}

// Search is one search.
type Search struct {
	BaseDN string `yaml:"base_dn"`
	Filter string `yaml:"filter"`
	// Scope is "sub" (default) or "one".
	Scope string `yaml:"scope"`
}

// Orgs says where the org tree comes from.
type Orgs struct {
	// From is "ou" (the OU path of each user's DN below the users' base)
	// or "attribute" (a user attribute such as department, a path).
	From string `yaml:"from"`
	// Include and Exclude filter OUs by DN (an OU and everything below
	// it); exclusion wins. Only with from: ou.
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
	// Attribute holds the path with from: attribute.
	Attribute string `yaml:"attribute"`
}

var _ connectors.SourceConfig = (*Config)(nil)

// Validate checks every key without I/O.
func (cfg *Config) Validate() error {
	_, err := cfg.check(nil)
	return err
}

// Open builds the source: it reads the bind password and the CA file
// (relative paths against the config's directory) but opens no
// connection.
func (cfg *Config) Open(_ context.Context, env connectors.Env) (connectors.Source, error) {
	c := *cfg
	c.BindPassword = c.BindPassword.RelativeTo(env.BaseDir)
	if c.CAFile != "" && !filepath.IsAbs(c.CAFile) {
		c.CAFile = filepath.Join(env.BaseDir, c.CAFile)
	}
	return New(c, env.Logger)
}
