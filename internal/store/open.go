package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"go.uber.org/zap"
)

// Drivers a Config may name.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Config says which store to open: the config file's store block, its
// secrets resolved and its paths made absolute by the caller.
type Config struct {
	// Driver is DriverSQLite (the default when empty) or DriverPostgres.
	Driver string
	// Path is the SQLite database file.
	Path string
	// DSN is the PostgreSQL connection string.
	DSN string
	// ReadOnly opens a SQLite store for reading only (OpenSQLiteReadOnly):
	// no file is created, none migrated. PostgreSQL ignores it.
	ReadOnly bool
}

// ErrUnreachable wraps a failure to open the configured PostgreSQL at all
// (PostgreSQL down, wrong host, refused credentials): a problem of the
// configuration or the environment, not of a run.
var ErrUnreachable = errors.New("the PostgreSQL store cannot be opened")

// Open opens the store cfg names. Every command opens its store here, so a
// one-off sync and the daemon always share the same links and journal:
// a PostgreSQL config never falls back to a private SQLite file.
func Open(ctx context.Context, cfg Config, logger *zap.Logger) (Store, error) {
	switch cfg.Driver {
	case "", DriverSQLite:
		if cfg.Path == "" {
			return nil, errors.New("store: open sqlite: no path")
		}
		open := OpenSQLite
		if cfg.ReadOnly {
			open = OpenSQLiteReadOnly
		}
		st, err := open(ctx, filepath.Clean(cfg.Path), logger)
		if err != nil {
			return nil, err
		}
		return st, nil
	case DriverPostgres:
		pg, err := OpenPostgres(ctx, cfg.DSN, logger)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
		return pg, nil
	}
	return nil, fmt.Errorf("store: unknown driver %q (sqlite or postgres)", cfg.Driver)
}
