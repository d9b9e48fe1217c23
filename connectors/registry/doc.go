// Package registry names every connector type with its settings type: one
// explicit map per kind (Sources, Targets), no init() side effects (dex's
// layout). config.Load decodes each job's block into the type named there
// and checks it with its Validate; connectors.OpenSource and OpenTarget
// open it. Load is the one way a command loads a config. The package is
// apart from connectors because it imports every connector, and every
// connector imports connectors.
package registry
