package capgo

import (
	"context"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// Config is the target's block of a job (`target: {type: capgo, capgo:
// {...}}`), for the Capgo organization API (seed 002).
type Config struct {
	BaseURL string `yaml:"base_url"`
	// APIKey goes in the authorization header.
	APIKey config.Secret `yaml:"api_key"`
	// ManagementEmail of the organizations orgbridge creates.
	ManagementEmail      string `yaml:"management_email"`
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
	cfg.APIKey = cfg.APIKey.RelativeTo(env.BaseDir)
	return New(ctx, cfg, env.Logger)
}

// check returns the base URL and the HTTP settings with their defaults.
func (c *Config) check() (string, httpkit.HTTPSettings, error) {
	var p config.Problems
	base := httpkit.CheckBaseURL(&p, c.BaseURL)
	if e := c.ManagementEmail; e != "" && !validEmail(e) {
		p.Add("management_email", "%q is not an email address (a bare address such as it-admin@example.com)", e)
	}
	settings := c.ClientConfig.Check(&p, "capgo")
	c.APIKey.Check(&p, "api_key")
	return base, settings, p.Err()
}
