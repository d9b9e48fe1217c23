package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// dialect is what differs between the databases sqlStore runs on, and
// nothing else: the statements are written once, for both. It is kept
// small on purpose, as dex's storage/sql flavors are: what two SQL
// databases share (placeholders $1…$n, which modernc's SQLite binds by
// number too; INSERT … ON CONFLICT … DO UPDATE upserts; RETURNING) is
// written once in the statements, and only what they do not share is here.
type dialect struct {
	// name is the driver's name in messages and logs: "sqlite" or
	// "postgres".
	name string

	// migrations are the dialect's schema migrations, in order (see
	// migrations.go and postgres_migrations.go); schemaVersionExists is a
	// query of one boolean, whether the schema_version table exists, and
	// createSchemaVersion the statement that creates it.
	migrations          []string
	schemaVersionExists string
	createSchemaVersion string
	// migrateLock, if set, runs first in each migration transaction with
	// the key migrateLockKey: PostgreSQL's transaction-scoped advisory lock,
	// which lets replicas that start together migrate one after another.
	// SQLite needs none: the migration's BEGIN IMMEDIATE is the lock.
	migrateLock string

	// live is the condition that selects live SCIM resources, written as
	// the partial indexes' WHERE clauses are, so that the planner uses
	// them: "deleted = 0" (an INTEGER) or "NOT deleted" (a boolean).
	live string
	// rowLocks says that writes run beside each other and must lock the
	// rows they read before they write (SELECT … FOR UPDATE), as
	// PostgreSQL's do; SQLite runs one write transaction at a time and has
	// no FOR UPDATE.
	rowLocks bool

	// stamp is a time as the database keeps it, in UTC (SQLite: unix
	// nanoseconds; PostgreSQL: microseconds), so that what a write
	// returns is what a later read returns; timeArg is the value a time
	// is stored as. Reads decode both forms (scanTime).
	stamp   func(time.Time) time.Time
	timeArg func(time.Time) any
	// text makes a free-form message (an error, a summary) storable:
	// PostgreSQL's text columns refuse NUL and invalid UTF-8.
	text func(string) string

	// retryable reports whether a transaction failed only because of
	// another's timing (a deadlock, a serialization failure), so that
	// running it again may succeed.
	retryable func(error) bool
	// constraint maps a unique violation on scim_resources to the store's
	// sentinel (the userName index to ErrDuplicate, the primary key to
	// ErrConflict), leaving other errors as they are.
	constraint func(error) error

	// Many rows in one round trip, where the database is across a network
	// (PostgreSQL). Where they are unset (SQLite, in process), one
	// prepared statement runs row by row, which costs it no more.
	//
	// arrays says that a []string binds as an array: execKeys matches the
	// keys with one "= ANY($n)".
	arrays bool
	// batch runs query once for each of rows in the transaction t and
	// returns the index of the row that failed (-1 if none did, or the
	// failure is not a row's).
	batch func(ctx context.Context, t *txn, query string, rows rowSource) (int, error)
	// copyFrom writes rows into the columns of table.
	copyFrom func(ctx context.Context, t *txn, table string, columns []string, rows rowSource) error
}

// txn is a write transaction and the connection it runs on, which a
// dialect's batch and copyFrom reach through to its driver.
type txn struct {
	*sql.Tx
	conn *sql.Conn
	d    *dialect
	// hot gives a statement the store prepared (sqlStore.hot), or nil:
	// then execHot runs it as text.
	hot func(query string) *sql.Stmt
}

// execHot runs a statement of the journal's hot path through its prepared
// form (prepared on this transaction's connection at most once).
func (t *txn) execHot(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.hot != nil {
		if st := t.hot(query); st != nil {
			return t.StmtContext(ctx, st).ExecContext(ctx, args...)
		}
	}
	return t.ExecContext(ctx, query, args...)
}

// queryRowHot is execHot for a query of one row.
func (t *txn) queryRowHot(ctx context.Context, query string, args ...any) *sql.Row {
	if t.hot != nil {
		if st := t.hot(query); st != nil {
			return t.StmtContext(ctx, st).QueryRowContext(ctx, args...)
		}
	}
	return t.QueryRowContext(ctx, query, args...)
}

// rowSource is n rows of width values each, made one at a time (fill puts
// row i's into args), so that a statement run row by row never holds them
// all.
type rowSource struct {
	n, width int
	fill     func(i int, args []any) error
	what     func(i int) string // names row i in an error
}

// execEach runs query for each of rows; a failure is wrapped with the
// name of the row that failed.
func (t *txn) execEach(ctx context.Context, query string, rows rowSource) error {
	if rows.n == 0 {
		return nil
	}
	if t.d.batch != nil {
		i, err := t.d.batch(ctx, t, query, rows)
		if err != nil && i >= 0 {
			return fmt.Errorf("%s: %w", rows.what(i), err)
		}
		return err
	}
	stmt, err := t.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	args := make([]any, rows.width)
	for i := range rows.n {
		if err := rows.fill(i, args); err != nil {
			return fmt.Errorf("%s: %w", rows.what(i), err)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("%s: %w", rows.what(i), err)
		}
	}
	return nil
}

// insert writes rows into the columns of table.
func (t *txn) insert(ctx context.Context, table string, columns []string, rows rowSource) error {
	if rows.n == 0 {
		return nil
	}
	if t.d.copyFrom != nil {
		return t.d.copyFrom(ctx, t, table, columns, rows)
	}
	params := make([]string, len(columns))
	for i := range params {
		params[i] = "$" + strconv.Itoa(i+1)
	}
	return t.execEach(ctx, "INSERT INTO "+table+" ("+strings.Join(columns, ", ")+") VALUES ("+strings.Join(params, ", ")+")", rows)
}

// oneOf is the condition that a column is one of the keys execKeys binds
// as parameter n: "= ANY($n)" where they bind as one array, "= $n" where
// they bind one at a time.
func (d *dialect) oneOf(n int) string {
	if d.arrays {
		return "= ANY($" + strconv.Itoa(n) + ")"
	}
	return "= $" + strconv.Itoa(n)
}

// execKeys runs query, whose last parameter is a key matched with oneOf,
// with args and each of keys: once with them all where they bind as an
// array, else once for each key.
func (t *txn) execKeys(ctx context.Context, query string, args []any, keys []string, what func(key string) string) error {
	if len(keys) == 0 {
		return nil
	}
	if t.d.arrays {
		_, err := t.ExecContext(ctx, query, append(slices.Clip(args), keys)...)
		return err
	}
	return t.execEach(ctx, query, rowSource{
		n: len(keys), width: len(args) + 1,
		fill: func(i int, row []any) error {
			copy(row, args)
			row[len(args)] = keys[i]
			return nil
		},
		what: func(i int) string { return what(keys[i]) },
	})
}

// forUpdate is the locking clause of a read that a write depends on: FOR
// UPDATE (of the tables named, if any) where the dialect has row locks,
// nothing where one write runs at a time.
func (d *dialect) forUpdate(of string) string {
	switch {
	case !d.rowLocks:
		return ""
	case of == "":
		return " FOR UPDATE"
	}
	return " FOR UPDATE OF " + of
}

// scanTime scans a time column of either dialect: SQLite's INTEGER unix
// nanoseconds or PostgreSQL's timestamptz, returned in UTC; NULL is the
// zero time.
type scanTime time.Time

func (st *scanTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*st = scanTime{}
	case int64:
		*st = scanTime(time.Unix(0, x).UTC())
	case time.Time:
		*st = scanTime(x.UTC())
	default:
		return fmt.Errorf("a time column holds %T", v)
	}
	return nil
}
