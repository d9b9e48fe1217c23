package registry

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/aircourse"
	"github.com/orgbridge/orgbridge/connectors/capgo"
	"github.com/orgbridge/orgbridge/connectors/csv"
	"github.com/orgbridge/orgbridge/connectors/directory"
	"github.com/orgbridge/orgbridge/connectors/ldap"
	"github.com/orgbridge/orgbridge/connectors/pcaid"
	"github.com/orgbridge/orgbridge/connectors/tenantadmin"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/connectors/scim"
)

// Env is what every connector may need besides its own config.
type Env struct {
	// BaseDir resolves relative paths: the config file's directory.
	BaseDir string
	Logger  *zap.Logger
	// Store is the state store, which the scim source reads; nil when the
	// job is only validated.
	Store store.Store
}

type (
	sourceOpener func(ctx context.Context, cfg config.Source, env Env) (connectors.Source, error)
	targetOpener func(ctx context.Context, cfg config.Target, env Env) (connectors.Target, error)
)

var sources = map[string]sourceOpener{
	"csv": func(_ context.Context, cfg config.Source, env Env) (connectors.Source, error) {
		return csv.New(*cfg.CSV, env.BaseDir, env.Logger)
	},
	"ldap": func(_ context.Context, cfg config.Source, env Env) (connectors.Source, error) {
		c := *cfg.LDAP
		c.BindPassword = env.secretPath(c.BindPassword)
		if c.CAFile != "" && !filepath.IsAbs(c.CAFile) {
			c.CAFile = filepath.Join(env.BaseDir, c.CAFile)
		}
		return ldap.New(c, env.Logger)
	},
	"scim": func(_ context.Context, cfg config.Source, env Env) (connectors.Source, error) {
		return scim.NewSource(*cfg.SCIM, env.Store, env.Logger)
	},
}

var targets = map[string]targetOpener{
	"aircourse": func(ctx context.Context, cfg config.Target, env Env) (connectors.Target, error) {
		ac := *cfg.AirCourse
		ac.ClientSecret = env.secretPath(ac.ClientSecret)
		return aircourse.New(ctx, ac, env.Logger)
	},
	"capgo": func(ctx context.Context, cfg config.Target, env Env) (connectors.Target, error) {
		c := *cfg.Capgo
		c.APIKey = env.secretPath(c.APIKey)
		return capgo.New(ctx, c, env.Logger)
	},
	"tenantadmin": func(ctx context.Context, cfg config.Target, env Env) (connectors.Target, error) {
		c := *cfg.TenantAdmin
		c.Token = env.secretPath(c.Token)
		return tenantadmin.New(ctx, c, env.Logger)
	},
	"pcaid": func(ctx context.Context, cfg config.Target, env Env) (connectors.Target, error) {
		c := *cfg.Pcaid
		c.ClientSecret = env.secretPath(c.ClientSecret)
		return pcaid.New(ctx, c, env.Logger)
	},
	"directory": func(ctx context.Context, cfg config.Target, env Env) (connectors.Target, error) {
		c := *cfg.Directory
		c.ClientSecret = env.secretPath(c.ClientSecret)
		return directory.New(ctx, c, env.Logger)
	},
}

// SourceTypes lists the known source types.
func SourceTypes() []string { return names(sources) }

// TargetTypes lists the known target types.
func TargetTypes() []string { return names(targets) }

// OpenSource opens the source a config block selects. jobKey is the job's
// path in the config ("jobs[0]"); a connector's errors name the key below it
// ("source.csv.encoding").
func OpenSource(ctx context.Context, cfg config.Source, jobKey string, env Env) (connectors.Source, error) {
	open, ok := sources[cfg.Type]
	if !ok {
		return nil, fmt.Errorf("%s.source.type: %q is not a known source (known: %v)", jobKey, cfg.Type, SourceTypes())
	}
	s, err := open(ctx, cfg, env.withLogger())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", jobKey, err)
	}
	return s, nil
}

// OpenTarget opens the target a config block selects.
func OpenTarget(ctx context.Context, cfg config.Target, jobKey string, env Env) (connectors.Target, error) {
	open, ok := targets[cfg.Type]
	if !ok {
		return nil, fmt.Errorf("%s.target.type: %q is not a known target (known: %v)", jobKey, cfg.Type, TargetTypes())
	}
	t, err := open(ctx, cfg, env.withLogger())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", jobKey, err)
	}
	return t, nil
}

// withLogger makes sure a connector gets a logger; each connector scopes it
// with its own source or target field.
func (e Env) withLogger() Env {
	if e.Logger == nil {
		e.Logger = zap.NewNop()
	}
	return e
}

// secretPath resolves a secret file named relative to the config file.
func (e Env) secretPath(s config.Secret) config.Secret {
	if s.File != "" && !filepath.IsAbs(s.File) {
		s.File = filepath.Join(e.BaseDir, s.File)
	}
	return s
}

func names[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
