package scim

import (
	"context"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/mapping"
)

// Config is the source's block of a job (`source: {type: scim, scim:
// {...}}`): what identity providers pushed to the SCIM endpoint, read from
// the state store.
type Config struct {
	// GroupsAs says what SCIM groups become: "groups" (default) or "orgs"
	// (flat orgs; map users.org: "{{.groups}}" with org_separator ";").
	GroupsAs string `yaml:"groups_as"`
}

var _ connectors.SourceConfig = (*Config)(nil)

// Validate checks every key without I/O.
func (c *Config) Validate() error {
	_, err := c.groupsAs()
	return err
}

// Open builds the source over env.Store.
func (c *Config) Open(_ context.Context, env connectors.Env) (connectors.Source, error) {
	return NewSource(*c, env.Store, env.Logger)
}

func (c *Config) groupsAs() (mapping.Kind, error) {
	switch c.GroupsAs {
	case "", "groups":
		return mapping.KindGroup, nil
	case "orgs":
		return mapping.KindOrg, nil
	}
	var p config.Problems
	p.Add("groups_as", "%q is not groups or orgs", c.GroupsAs)
	return "", p.Err()
}
