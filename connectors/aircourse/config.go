package aircourse

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// Config is the target's block of a job (`target: {type: aircourse,
// aircourse: {...}}`), for the AirCourse API (seed 003).
type Config struct {
	// OAuthConfig: token_url defaults to base_url + "/oauth/token",
	// scopes to read, write.
	httpkit.OAuthConfig `yaml:",inline"`
	// DefaultLicense and DefaultRole fill the required user fields license
	// and role when the mapping gives none; defaults "free" and "user".
	DefaultLicense string `yaml:"default_license"`
	DefaultRole    string `yaml:"default_role"`
	// PageSize for list calls, 1..1000; default 1000.
	PageSize int `yaml:"page_size"`
	// Public is the isPublic flag of created orgs; default true.
	Public               *bool `yaml:"public"`
	httpkit.ClientConfig `yaml:",inline"`
}

var _ connectors.TargetConfig = (*Config)(nil)

// settings are a Config checked, with its defaults filled.
type settings struct {
	base, tokenURL string
	scopes         []string
	license, role  string
	pageSize       int
	public         bool
}

// Validate checks every key without I/O.
func (c *Config) Validate() error {
	_, _, err := c.check()
	return err
}

// Open builds the adapter; it makes no request.
func (c *Config) Open(ctx context.Context, env connectors.Env) (connectors.Target, error) {
	cfg := *c
	cfg.ClientSecret = cfg.ClientSecret.RelativeTo(env.BaseDir)
	return New(ctx, cfg, env.Logger)
}

// check returns the settings and the HTTP settings with their defaults.
func (c *Config) check() (settings, httpkit.HTTPSettings, error) {
	var p config.Problems
	var s settings
	s.base, s.tokenURL = c.OAuthConfig.Check(&p, func(base string) string { return base + "/oauth/token" })
	s.scopes = c.Scopes
	if len(s.scopes) == 0 {
		s.scopes = []string{"read", "write"}
	}
	for i, scope := range s.scopes {
		if scope != "read" && scope != "write" {
			p.Add(fmt.Sprintf("scopes[%d]", i), "%q is not read or write", scope)
		}
	}
	s.license = orDefault(c.DefaultLicense, DefaultLicense)
	if !slices.Contains(licenses, s.license) {
		p.Add("default_license", "%q is not one of %s", s.license, strings.Join(licenses, ", "))
	}
	s.role = orDefault(c.DefaultRole, DefaultRole)
	if !slices.Contains(userRoles, s.role) {
		p.Add("default_role", "%q is not one of %s", s.role, strings.Join(userRoles, ", "))
	}
	s.pageSize = c.PageSize
	if s.pageSize == 0 {
		s.pageSize = DefaultPageSize
	} else if s.pageSize < 1 || s.pageSize > 1000 {
		p.Add("page_size", "%d is not within 1..1000", s.pageSize)
	}
	h := c.ClientConfig.Check(&p, "aircourse")
	s.public = c.Public == nil || *c.Public
	return s, h, p.Err()
}
