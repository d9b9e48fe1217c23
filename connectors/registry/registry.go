package registry

import (
	"maps"
	"slices"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/aircourse"
	"github.com/orgbridge/orgbridge/connectors/capgo"
	"github.com/orgbridge/orgbridge/connectors/csv"
	"github.com/orgbridge/orgbridge/connectors/directory"
	"github.com/orgbridge/orgbridge/connectors/ldap"
	"github.com/orgbridge/orgbridge/connectors/pcaid"
	scimsource "github.com/orgbridge/orgbridge/connectors/scim"
	"github.com/orgbridge/orgbridge/connectors/scimtarget"
	"github.com/orgbridge/orgbridge/connectors/tenantadmin"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/mapping"
)

// Sources are the source types, each with its settings type: a config's
// `source: {type: NAME, NAME: {...}}` block decodes into a new value of it.
var Sources = map[string]func() connectors.SourceConfig{
	"csv":  func() connectors.SourceConfig { return new(csv.Config) },
	"ldap": func() connectors.SourceConfig { return new(ldap.Config) },
	"scim": func() connectors.SourceConfig { return new(scimsource.Config) },
}

// Targets are the target types, each with its settings type.
var Targets = map[string]func() connectors.TargetConfig{
	"aircourse":   func() connectors.TargetConfig { return new(aircourse.Config) },
	"capgo":       func() connectors.TargetConfig { return new(capgo.Config) },
	"directory":   func() connectors.TargetConfig { return new(directory.Config) },
	"pcaid":       func() connectors.TargetConfig { return new(pcaid.Config) },
	"scim":        func() connectors.TargetConfig { return new(scimtarget.Config) },
	"tenantadmin": func() connectors.TargetConfig { return new(tenantadmin.Config) },
}

// Parts are what config.Load needs to decode and check every block: the
// connectors' settings types and the mapping's check.
func Parts() config.Parts {
	p := config.Parts{
		Sources: make(map[string]func() config.Settings, len(Sources)),
		Targets: make(map[string]func() config.Settings, len(Targets)),
		Mapping: mapping.Check,
	}
	for name, newSettings := range Sources {
		p.Sources[name] = func() config.Settings { return newSettings() }
	}
	for name, newSettings := range Targets {
		p.Targets[name] = func() config.Settings { return newSettings() }
	}
	return p
}

// Load loads a config file with every connector's settings type: the one
// way commands and tests load a config.
func Load(path string) (*config.File, error) { return config.Load(path, Parts()) }

// SourceTypes lists the known source types.
func SourceTypes() []string { return slices.Sorted(maps.Keys(Sources)) }

// TargetTypes lists the known target types.
func TargetTypes() []string { return slices.Sorted(maps.Keys(Targets)) }
