package directory

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// Config is the target's block of a job (`target: {type: directory,
// directory: {...}}`), for the directory account-type API (seed 004); the
// package doc lists every key with its default.
type Config struct {
	// OAuthConfig: token_url defaults to base_url + DefaultTokenPath.
	httpkit.OAuthConfig `yaml:",inline"`
	OrganizationID      string `yaml:"organization_id"`
	// StatusValues are the words of the PUT status enum, whose values the
	// document does not list; defaults active and suspended.
	StatusValues StatusValues `yaml:"status_values"`
	// ManagedAccountTypes are the account type codes orgbridge assigns and
	// removes; a code outside them that a subject holds was given by hand
	// and is left alone. Empty: every account type of the organization.
	ManagedAccountTypes  []string `yaml:"managed_account_types"`
	httpkit.ClientConfig `yaml:",inline"`
}

// StatusValues are the two values of the directory's status enum. An empty
// one takes its default.
type StatusValues struct {
	// Active grants access; default "active".
	Active string `yaml:"active"`
	// Suspended withholds it; default "suspended".
	Suspended string `yaml:"suspended"`
}

var _ connectors.TargetConfig = (*Config)(nil)

// Validate checks every key without I/O.
func (c *Config) Validate() error {
	_, _, err := c.check(DefaultAccountType)
	return err
}

// Open builds the adapter; it makes no request.
func (c *Config) Open(ctx context.Context, env connectors.Env) (connectors.Target, error) {
	cfg := *c
	cfg.ClientSecret = cfg.ClientSecret.RelativeTo(env.BaseDir)
	return New(ctx, cfg, env.Logger)
}

// settings are a Config checked, with its defaults filled.
type settings struct {
	base, tokenURL string
	status         StatusValues // both set
	managed        map[string]bool
}

// check checks every key and returns the settings and the HTTP settings
// with their defaults; defaultCode is the account type a user without one
// gets, which the managed types must include.
func (c *Config) check(defaultCode string) (settings, httpkit.HTTPSettings, error) {
	var p config.Problems
	var s settings
	s.base, s.tokenURL = c.OAuthConfig.Check(&p, func(base string) string { return base + DefaultTokenPath })
	for i, scope := range c.Scopes {
		if strings.TrimSpace(scope) == "" || strings.ContainsAny(scope, " \t") {
			p.Add(fmt.Sprintf("scopes[%d]", i), "%q is not a scope (one word each)", scope)
		}
	}
	if strings.TrimSpace(c.OrganizationID) == "" {
		p.Add("organization_id", "required")
	}
	h := c.ClientConfig.Check(&p, "directory")
	if codes := parseCodes(defaultCode); len(codes) != 1 {
		p.Add("", "default account type %q is not one code", defaultCode)
	}
	s.status = checkStatusValues(&p, c.StatusValues)
	s.managed = checkManaged(&p, c.ManagedAccountTypes, defaultCode)
	return s, h, p.Err()
}

// checkStatusValues fills the defaults of status_values and checks them:
// words without surrounding spaces, and two different ones (statuses are
// read without regard to case).
func checkStatusValues(p *config.Problems, v StatusValues) StatusValues {
	if v.Active == "" {
		v.Active = StatusActive
	}
	if v.Suspended == "" {
		v.Suspended = StatusSuspended
	}
	for _, kv := range [][2]string{{"active", v.Active}, {"suspended", v.Suspended}} {
		if strings.TrimSpace(kv[1]) != kv[1] || strings.ContainsFunc(kv[1], unicode.IsControl) {
			p.Add("status_values."+kv[0], "%q has surrounding spaces or control characters", kv[1])
		}
	}
	if strings.EqualFold(v.Active, v.Suspended) {
		p.Add("status_values", "active and suspended are both %q; they must differ", v.Active)
	}
	return v
}

// checkManaged checks managed_account_types: codes, each once, and the
// default account type among them (a user without account_type gets it).
// Empty is nil: every account type is orgbridge's.
func checkManaged(p *config.Problems, codes []string, defaultCode string) map[string]bool {
	if len(codes) == 0 {
		return nil
	}
	managed := make(map[string]bool, len(codes))
	for i, c := range codes {
		key := fmt.Sprintf("managed_account_types[%d]", i)
		switch {
		case strings.TrimSpace(c) != c || c == "" || strings.Contains(c, ","):
			p.Add(key, "%q is not an account type code", c)
		case managed[c]:
			p.Add(key, "%q is named twice", c)
		}
		managed[c] = true
	}
	if !managed[defaultCode] {
		p.Add("managed_account_types", "%s leaves out %q, the account type a user without account_type is given",
			strings.Join(codes, ", "), defaultCode)
	}
	return managed
}
