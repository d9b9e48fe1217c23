// Package config loads and validates orgbridge's YAML configuration.
//
// Load decodes strictly (an unknown key is an error that names its line)
// and checks every block of the file in one pass, so that a config with
// several mistakes is reported whole: the core keys here; each job's
// mapping by mapping.Check; each connector's block by the connector's own
// settings type (Settings, with its Validate), which Parts names by type
// (connectors/registry.Parts, one explicit map: dex's pattern). A block is
// decoded into that type within the same decode, so its unknown keys and
// wrong types come with lines too. Each problem is a *FieldError: file,
// line, key path (jobs[0].target.aircourse.page_size) and message; one
// testdata/rules file per rule asserts each message (alertmanager's
// config/testdata layout).
//
// Secrets are never in the file itself: a Secret names an environment
// variable or a file, and is resolved only when a connector opens; its
// value never appears in an error or a log.
package config
