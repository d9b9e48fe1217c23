package tenantadmin

import (
	"context"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// Config is the target's block of a job (`target: {type: tenantadmin,
// tenantadmin: {...}}`), for the tenant admin organizations API (seed 001).
type Config struct {
	BaseURL string `yaml:"base_url"`
	// Token is the bearer token of the admin API.
	Token config.Secret `yaml:"token"`
	// PageSize of list calls, 1..100; default 100.
	PageSize             int `yaml:"page_size"`
	httpkit.ClientConfig `yaml:",inline"`
}

var _ connectors.TargetConfig = (*Config)(nil)

// Validate checks every key without I/O.
func (c *Config) Validate() error {
	_, _, err := c.check()
	return err
}

// Open builds the adapter; it makes no request.
func (c *Config) Open(ctx context.Context, env connectors.Env) (connectors.Target, error) {
	cfg := *c
	cfg.Token = cfg.Token.RelativeTo(env.BaseDir)
	return New(ctx, cfg, env.Logger)
}

// settings are a Config checked, with its defaults filled.
type settings struct {
	base     string
	pageSize int
}

// check returns the settings and the HTTP settings with their defaults.
func (c *Config) check() (settings, httpkit.HTTPSettings, error) {
	var p config.Problems
	s := settings{base: trimBase(c.BaseURL), pageSize: c.PageSize}
	switch {
	case c.BaseURL == "":
		p.Add("base_url", "required")
	case !absoluteURL(s.base):
		p.Add("base_url", "%q is not an absolute http(s) URL", c.BaseURL)
	}
	if s.pageSize == 0 {
		s.pageSize = DefaultPageSize
	} else if s.pageSize < 1 || s.pageSize > 100 {
		p.Add("page_size", "%d is not within 1..100 (the API's limit)", s.pageSize)
	}
	h := c.ClientConfig.Check(&p, "tenantadmin")
	c.Token.Check(&p, "token")
	return s, h, p.Err()
}
