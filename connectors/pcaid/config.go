package pcaid

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// Config is the target's block of a job (`target: {type: pcaid, pcaid:
// {...}}`), for the pcaid organization admin API (seed 000).
type Config struct {
	// OAuthConfig: token_url defaults to TokenPath on the base URL's host.
	httpkit.OAuthConfig `yaml:",inline"`
	PageSize            int `yaml:"page_size"`
	// ImportThreshold is the number of user creates from which the
	// asynchronous import is used; default 100, 0 keeps the default, a
	// negative value never imports.
	ImportThreshold int `yaml:"import_threshold"`
	// ImportPoll is how often an import task is polled; default 2s.
	ImportPoll           time.Duration `yaml:"import_poll"`
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
	cfg.ClientSecret = cfg.ClientSecret.RelativeTo(env.BaseDir)
	return New(ctx, cfg, env.Logger)
}

// settings are a Config checked, with its defaults filled.
type settings struct {
	base, tokenURL string
	pageSize       int
	threshold      int
	poll           time.Duration
}

// check returns the settings and the HTTP settings with their defaults.
func (c *Config) check() (settings, httpkit.HTTPSettings, error) {
	var p config.Problems
	var s settings
	s.base, s.tokenURL = c.OAuthConfig.Check(&p, func(base string) string {
		if u, err := httpkit.ParseBaseURL("pcaid", base); err == nil {
			return u.Scheme + "://" + u.Host + TokenPath
		}
		return ""
	})
	for i, scope := range c.Scopes {
		if scope == "" || strings.ContainsAny(scope, " \t\"\\") {
			p.Add(fmt.Sprintf("scopes[%d]", i), "%q is not a scope token", scope)
		}
	}
	s.pageSize = c.PageSize
	if s.pageSize == 0 {
		s.pageSize = DefaultPageSize
	} else if s.pageSize < 1 || s.pageSize > MaxPageSize {
		p.Add("page_size", "%d is not within 1..%d", s.pageSize, MaxPageSize)
	}
	switch s.threshold = c.ImportThreshold; {
	case s.threshold == 0:
		s.threshold = DefaultImportThreshold
	case s.threshold < 0:
		s.threshold = math.MaxInt // never import
	}
	s.poll = c.ImportPoll
	if s.poll == 0 {
		s.poll = DefaultImportPoll
	} else if s.poll < 0 {
		p.Add("import_poll", "%s is negative", s.poll)
	}
	h := c.ClientConfig.Check(&p, "pcaid")
	return s, h, p.Err()
}
