package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/zap"
)

// Postgres is the Store kept in a PostgreSQL database, shared by any number
// of orgbridge processes (replicas).
//
// It talks to the server through database/sql and pgx's stdlib driver, one
// pool for reads and writes. Every write that reads before it writes runs
// in one READ COMMITTED transaction that first locks what it depends on:
// the run's row (Plan), the journal entry's row (Applied, Failed) or, for
// every SCIM write, the one row of scim_sequence, so that SCIM writes from
// all processes run one at a time and commit in sequence order, as
// SQLite's single writer does. A transaction that fails on a deadlock or a
// serialization failure is run again (a few times).
type Postgres struct {
	sqlStore
	connConfig *pgx.ConnConfig // as parsed from the DSN, for Leader
	baseLogger *zap.Logger     // as given to OpenPostgres, for Leader
}

var _ Store = (*Postgres)(nil)

// postgresDialect is PostgreSQL's: times are timestamptz (microseconds),
// deleted a boolean; writes from many connections and processes lock the
// rows they depend on and are retried on a deadlock or serialization
// failure; text refuses NUL and invalid UTF-8; and many rows go to the
// server in one pgx batch.
var postgresDialect = dialect{
	name:                "postgres",
	migrations:          postgresMigrations,
	schemaVersionExists: `SELECT to_regclass('schema_version') IS NOT NULL`,
	createSchemaVersion: `CREATE TABLE schema_version (
	version    integer     PRIMARY KEY,
	applied_at timestamptz NOT NULL
)`,
	migrateLock: `SELECT pg_advisory_xact_lock($1)`,
	live:        "NOT deleted",
	rowLocks:    true,
	stamp:       pgTime,
	timeArg:     func(t time.Time) any { return t },
	text:        pgText,
	retryable:   pgRetryable,
	constraint:  pgConstraint,
	arrays:      true,
	batch:       pgBatch,
	copyFrom:    pgCopyFrom,
}

// OpenPostgres connects to the PostgreSQL database named by dsn (a URL,
// postgres://user:password@host:port/database?sslmode=..., or key=value
// pairs, as libpq and pgx read them; pool_max_conns, pool_max_conn_lifetime
// and pool_max_conn_idle_time size the pool as they do pgxpool's) and
// brings its schema up to date. Sessions are named application_name
// "orgbridge" unless dsn names them. A nil logger logs nothing.
func OpenPostgres(ctx context.Context, dsn string, logger *zap.Logger) (*Postgres, error) {
	if dsn == "" {
		return nil, errors.New("store: open postgres: empty DSN")
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	// pgxpool's parser, although the pool is database/sql's: it takes the
	// pool_* parameters out of the DSN (the server would refuse them as
	// settings) and gives pgxpool's defaults for those it does not name.
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors may quote the DSN, password included.
		return nil, errors.New("store: open postgres: cannot parse the DSN")
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "orgbridge"
	}
	where := pgWhere(cfg.ConnConfig)
	db := stdlib.OpenDB(*cfg.ConnConfig.Copy())
	db.SetMaxOpenConns(int(cfg.MaxConns))
	db.SetMaxIdleConns(int(cfg.MaxConns))
	db.SetConnMaxLifetime(cfg.MaxConnLifetime)
	db.SetConnMaxIdleTime(cfg.MaxConnIdleTime)
	p := &Postgres{
		sqlStore: sqlStore{w: db, r: db, d: &postgresDialect, where: where,
			logger: logger.With(zap.String("store", "postgres"), zap.String("database", where))},
		connConfig: cfg.ConnConfig,
		baseLogger: logger,
	}
	if err := p.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return p, nil
}

// pgWhere names the database for messages: host:port/database.
func pgWhere(c *pgx.ConnConfig) string {
	return c.Host + ":" + strconv.Itoa(int(c.Port)) + "/" + c.Database
}

// Advisory lock keys: a 64-bit FNV-1a hash of a name. The migration lock's
// name cannot be a leader's ("orgbridge:leader:" + name).
func advisoryKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// migrateLockKey is the key of PostgreSQL's migration lock.
var migrateLockKey = advisoryKey("orgbridge:migrate")

// pgRetryable reports whether a transaction failed only because of
// another's timing: a deadlock or a serialization failure.
func pgRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// pgTime is a time as stored: UTC, truncated to PostgreSQL's microseconds
// so that what a write returns equals what a read returns.
func pgTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// pgText makes a free-form message (an error, a summary) storable in a
// text column, which refuses NUL and invalid UTF-8.
func pgText(s string) string {
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}

// pgConstraint maps a unique violation (SQLSTATE 23505) on scim_resources
// to the store's sentinel: the unique userName index to ErrDuplicate, the
// primary key to ErrConflict. The writes check both first, under the
// sequence lock, so this only keeps a missed case (a row written by
// something that does not take the lock) from surfacing as a bare driver
// error.
func pgConstraint(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		return err
	}
	switch pe.ConstraintName {
	case "scim_user_name":
		return fmt.Errorf("%w: %w", ErrDuplicate, err)
	case "scim_resources_pkey":
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

// withPgx runs fn on the pgx connection beneath the transaction t, for
// what database/sql has no words for.
func withPgx(t *txn, fn func(*pgx.Conn) error) error {
	return t.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("a %T is not pgx's connection", dc)
		}
		return fn(c.Conn())
	})
}

// pgBatch sends every row's statement in one pgx batch: one round trip,
// where a statement per row would wait for the server once per row.
func pgBatch(ctx context.Context, t *txn, query string, rows rowSource) (failed int, err error) {
	failed = -1
	err = withPgx(t, func(c *pgx.Conn) error {
		b := &pgx.Batch{}
		for i := range rows.n {
			args := make([]any, rows.width) // the batch keeps them until sent
			if err := rows.fill(i, args); err != nil {
				failed = i
				return err
			}
			b.Queue(query, args...)
		}
		br := c.SendBatch(ctx, b)
		for i := range rows.n {
			if _, err := br.Exec(); err != nil {
				br.Close()
				failed = i
				return err
			}
		}
		return br.Close()
	})
	return failed, err
}

// pgCopyFrom writes rows with COPY, PostgreSQL's fastest way in.
func pgCopyFrom(ctx context.Context, t *txn, table string, columns []string, rows rowSource) error {
	return withPgx(t, func(c *pgx.Conn) error {
		// pgx encodes each row as it is made: one args serves them all.
		args := make([]any, rows.width)
		src := pgx.CopyFromSlice(rows.n, func(i int) ([]any, error) {
			if err := rows.fill(i, args); err != nil {
				return nil, fmt.Errorf("%s: %w", rows.what(i), err)
			}
			return args, nil
		})
		if _, err := c.CopyFrom(ctx, pgx.Identifier{table}, columns, src); err != nil {
			return fmt.Errorf("copy into %s: %w", table, err)
		}
		return nil
	})
}
