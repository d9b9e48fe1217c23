package store

import (
	"context"
	"database/sql"
	"fmt"
)

// SQLitePragmas reports the pragmas a writer and a reader connection of s
// run with, keyed "writer NAME" and "reader NAME", for tests.
func SQLitePragmas(ctx context.Context, s *SQLite) (map[string]string, error) {
	got := map[string]string{}
	for _, pool := range []struct {
		name string
		db   *sql.DB
	}{{"writer", s.w}, {"reader", s.r}} {
		for _, p := range []string{"journal_mode", "foreign_keys", "busy_timeout", "synchronous", "query_only"} {
			var v string
			if err := pool.db.QueryRowContext(ctx, "PRAGMA "+p).Scan(&v); err != nil {
				return nil, fmt.Errorf("%s %s: %w", pool.name, p, err)
			}
			got[pool.name+" "+p] = v
		}
	}
	return got, nil
}

// PoolStats reports the statistics of p's connection pool, for tests.
func PoolStats(p *Postgres) sql.DBStats { return p.w.Stats() }
