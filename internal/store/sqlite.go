package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"
	"modernc.org/sqlite" // registers the "sqlite" driver (pure Go)
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteReaders is the size of the read pool. Readers in WAL mode neither
// block the writer nor each other.
const sqliteReaders = 4

// SQLite is the Store kept in one SQLite file (modernc.org/sqlite, no cgo).
//
// It holds two pools on the file: a writer of exactly one connection, whose
// transactions begin IMMEDIATE so that concurrent callers (and other
// processes, under busy_timeout) queue for the single SQLite write lock
// instead of failing to upgrade a read lock, and a small query-only pool for
// reads, which in WAL mode run beside the writer and see every committed
// write.
type SQLite struct {
	sqlStore
}

var _ Store = (*SQLite)(nil)

// sqliteDialect is SQLite's: times are INTEGER unix nanoseconds, deleted
// an INTEGER 0 or 1, and one write runs at a time, so nothing is locked
// row by row and nothing needs retrying.
var sqliteDialect = dialect{
	name:                "sqlite",
	migrations:          sqliteMigrations,
	schemaVersionExists: `SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'`,
	createSchemaVersion: `CREATE TABLE schema_version (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL
)`,
	live:       "deleted = 0",
	stamp:      func(t time.Time) time.Time { return time.Unix(0, t.UnixNano()).UTC() },
	timeArg:    func(t time.Time) any { return t.UnixNano() },
	text:       func(s string) string { return s },
	retryable:  func(error) bool { return false },
	constraint: sqliteConstraint,
}

// OpenSQLite opens (creating it if needed) the store in the SQLite file at
// path and brings its schema up to date. The path ":memory:" gives a private
// in-memory store. A nil logger logs nothing.
func OpenSQLite(ctx context.Context, path string, logger *zap.Logger) (*SQLite, error) {
	if path == "" {
		return nil, errors.New("store: open sqlite: empty path")
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	s := &SQLite{sqlStore{d: &sqliteDialect, where: path, logger: logger.With(zap.String("store", "sqlite"), zap.String("path", path))}}

	memory := path == ":memory:"
	w, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	// One writer: SQLite has a single write lock per file, and one
	// connection keeps ":memory:" a single database.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s.w = w

	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}

	if memory {
		s.r = w
	} else {
		r, err := sql.Open("sqlite", sqliteDSN(path, false))
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
		}
		r.SetMaxOpenConns(sqliteReaders)
		r.SetMaxIdleConns(sqliteReaders)
		if err := r.PingContext(ctx); err != nil {
			r.Close()
			w.Close()
			return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
		}
		s.r = r
	}
	return s, nil
}

// sqliteDSN builds the modernc DSN for path. The pragmas run on every new
// connection (busy_timeout first); journal_mode=WAL is persistent in the
// file, so only the writer sets it.
func sqliteDSN(path string, writer bool) string {
	// In a file: URI, '%', '?' and '#' would be read as escapes, the query
	// and the fragment.
	p := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	q := []string{
		"_pragma=busy_timeout(5000)",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)",
	}
	if writer {
		q = append(q, "_pragma=journal_mode(WAL)", "_txlock=immediate")
	} else {
		q = append(q, "_pragma=query_only(1)")
	}
	return "file:" + p + "?" + strings.Join(q, "&")
}

// sqliteConstraint maps a SQLite constraint failure on scim_resources to
// the store's sentinel: the unique userName index to ErrDuplicate, the
// primary key to ErrConflict. The writes check both first, inside the
// write transaction, so this only keeps a missed case from surfacing as a
// bare driver error.
func sqliteConstraint(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return fmt.Errorf("%w: %w", ErrDuplicate, err)
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}
