package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"go.uber.org/zap"
)

// ErrNeedsMigration is returned by a read-only open of a database whose
// schema is older than this orgbridge's: a read-only open does not migrate,
// and the older schema may lack what the queries read.
var ErrNeedsMigration = errors.New("the store's schema is older than this orgbridge's")

// OpenSQLiteReadOnly opens the store in the SQLite file at path for reading
// only, for a command that must leave nothing on disk (plan): the file is
// neither created nor migrated, and every write fails. When path does not
// exist it opens an empty in-memory store instead (no links: everything
// is created or adopted), so that a plan before the first sync reads what
// a first sync would. A file at an older schema version is refused with
// ErrNeedsMigration; a newer one as OpenSQLite refuses it.
func OpenSQLiteReadOnly(ctx context.Context, path string, logger *zap.Logger) (*SQLite, error) {
	if path == "" {
		return nil, errors.New("store: open sqlite: empty path")
	}
	if path == ":memory:" {
		return OpenSQLite(ctx, path, logger)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if logger == nil {
			logger = zap.NewNop()
		}
		logger.Debug("store file does not exist: reading an empty store", zap.String("path", path))
		// Its migrations are no news: nothing is migrated on disk.
		return OpenSQLite(ctx, ":memory:", logger.WithOptions(zap.IncreaseLevel(zap.WarnLevel)))
	} else if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	s := &SQLite{sqlStore{d: &sqliteDialect, where: path, logger: logger.With(zap.String("store", "sqlite"), zap.String("path", path))}}
	db, err := sql.Open("sqlite", sqliteReadOnlyDSN(path))
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(sqliteReaders)
	db.SetMaxIdleConns(sqliteReaders)
	// Writes go to the same read-only pool, where they fail: a command that
	// opened the store read-only and writes is a bug to surface, not to
	// hide.
	s.w, s.r = db, db
	if err := s.checkSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// checkSchema wants the database at exactly the schema version this
// orgbridge knows.
func (s *sqlStore) checkSchema(ctx context.Context) error {
	var exists bool
	if err := s.r.QueryRowContext(ctx, s.d.schemaVersionExists).Scan(&exists); err != nil {
		return fmt.Errorf("store: open %s %s: read schema version: %w", s.d.name, s.where, err)
	}
	v := 0
	if exists {
		var err error
		if v, err = s.SchemaVersion(ctx); err != nil {
			return fmt.Errorf("store: open %s %s: %w", s.d.name, s.where, err)
		}
	}
	switch want := len(s.d.migrations); {
	case v > want:
		return fmt.Errorf("store: open %s %s: schema version %d is newer than this orgbridge knows (%d)", s.d.name, s.where, v, want)
	case v < want:
		return fmt.Errorf("store: open %s %s: %w (version %d, this orgbridge's %d): run sync once to migrate it", s.d.name, s.where, ErrNeedsMigration, v, want)
	}
	return nil
}

// sqliteReadOnlyDSN is sqliteDSN's for a read-only open: query_only, and
// no journal_mode pragma, which would write. Not mode=ro: a read-only
// connection to a WAL database leaves the -wal and -shm files it opened
// behind (it may not delete them), where the last read-write connection
// removes them on close; query_only refuses every write all the same. The
// file exists (OpenSQLiteReadOnly looked), so none is created.
func sqliteReadOnlyDSN(path string) string {
	p := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + p + "?_pragma=busy_timeout(5000)&_pragma=query_only(1)"
}
