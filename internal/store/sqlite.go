package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go)

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
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
	w, r   *sql.DB
	path   string
	logger *zap.Logger

	closeOnce sync.Once
	closeErr  error
}

var _ Store = (*SQLite)(nil)

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
	s := &SQLite{path: path, logger: logger.With(zap.String("store", "sqlite"), zap.String("path", path))}

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

// SchemaVersion returns the schema version the store's file is at.
func (s *SQLite) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// migrate applies the migrations the file lacks, each in its own
// transaction. A file from a newer orgbridge (a higher version than this
// binary knows) is refused rather than written by code that does not know
// its schema.
func (s *SQLite) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL
)`); err != nil {
		return fmt.Errorf("store: open sqlite %s: create schema_version: %w", s.path, err)
	}
	for {
		done, err := s.migrateOne(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// migrateOne applies the next migration, if any, reading the version inside
// the write transaction so that two processes opening a new file at once
// cannot both apply it.
func (s *SQLite) migrateOne(ctx context.Context) (done bool, err error) {
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		var v int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		switch {
		case v > len(sqliteMigrations):
			return fmt.Errorf("schema version %d is newer than this orgbridge knows (%d)", v, len(sqliteMigrations))
		case v == len(sqliteMigrations):
			done = true
			return nil
		}
		if _, err := tx.ExecContext(ctx, sqliteMigrations[v]); err != nil {
			return fmt.Errorf("migrate to schema version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`, v+1, now()); err != nil {
			return fmt.Errorf("record schema version %d: %w", v+1, err)
		}
		s.logger.Info("store schema migrated", zap.Int("schema_version", v+1))
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: open sqlite %s: %w", s.path, err)
	}
	return done, nil
}

// writeTx runs fn in a write transaction (BEGIN IMMEDIATE on the writer).
func (s *SQLite) writeTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// now is the current time as stored: UTC unix nanoseconds.
func now() int64 { return time.Now().UTC().UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// Links implements Store.
func (s *SQLite) Links(ctx context.Context, job string) (Links, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, source_key, target_id FROM links WHERE job = ?`, job)
	if err != nil {
		return nil, fmt.Errorf("store: read links of job %q: %w", job, err)
	}
	defer rows.Close()
	l := make(Links)
	for rows.Next() {
		var kind, key, id string
		if err := rows.Scan(&kind, &key, &id); err != nil {
			return nil, fmt.Errorf("store: read links of job %q: %w", job, err)
		}
		l.Set(mapping.Kind(kind), key, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read links of job %q: %w", job, err)
	}
	return l, nil
}

// StartRun implements Store.
func (s *SQLite) StartRun(ctx context.Context, job, mode string) (int64, error) {
	if job == "" {
		return 0, errors.New("store: start run: empty job name")
	}
	if !ValidMode(mode) {
		return 0, fmt.Errorf("store: start run of job %q: unknown mode %q", job, mode)
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO runs (job, mode, status, started_at) VALUES (?, ?, ?, ?)`,
		job, mode, RunRunning, now())
	if err != nil {
		return 0, fmt.Errorf("store: start run of job %q: %w", job, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("store: start run of job %q: %w", job, err)
	}
	return id, nil
}

// Plan implements Store.
func (s *SQLite) Plan(ctx context.Context, runID int64, changes []connectors.Change) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var status RunStatus
		var plannedAt sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT status, planned_at FROM runs WHERE id = ?`, runID).Scan(&status, &plannedAt)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if status != RunRunning {
			return fmt.Errorf("run is %s: %w", status, ErrConflict)
		}
		if plannedAt.Valid {
			return fmt.Errorf("run is already planned: %w", ErrConflict)
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO journal (run_id, seq, action, kind, source_key, change, status, target_id, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		t := now()
		for i, c := range changes {
			js, err := json.Marshal(c)
			if err != nil {
				return fmt.Errorf("change %d (%s %s %q): %w", i, c.Action, c.Kind, c.Key, err)
			}
			if _, err := stmt.ExecContext(ctx, runID, i, c.Action, c.Kind, c.Key, string(js), EntryPending, c.TargetID, t); err != nil {
				return fmt.Errorf("change %d (%s %s %q): %w", i, c.Action, c.Kind, c.Key, err)
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE runs SET planned = ?, planned_at = ? WHERE id = ?`, len(changes), t, runID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: plan run %d: %w", runID, err)
	}
	return nil
}

// entryState is what Applied and Failed read of an entry before changing it.
type entryState struct {
	job, mode       string
	action          connectors.Action
	kind            mapping.Kind
	key, status, id string
}

func getEntry(ctx context.Context, tx *sql.Tx, runID int64, seq int) (entryState, error) {
	var e entryState
	err := tx.QueryRowContext(ctx, `SELECT r.job, r.mode, j.action, j.kind, j.source_key, j.status, j.target_id
FROM journal j JOIN runs r ON r.id = j.run_id WHERE j.run_id = ? AND j.seq = ?`, runID, seq).
		Scan(&e.job, &e.mode, &e.action, &e.kind, &e.key, &e.status, &e.id)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	return e, err
}

// setEntry moves an entry to status and adjusts the run's counts by the
// transition, so that they always equal the entries in each state.
func setEntry(ctx context.Context, tx *sql.Tx, runID int64, seq int, old string, status EntryStatus, targetID, msg string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE journal SET status = ?, target_id = ?, error = ?, updated_at = ? WHERE run_id = ? AND seq = ?`,
		status, targetID, msg, now(), runID, seq); err != nil {
		return err
	}
	var dApplied, dFailed int
	switch EntryStatus(old) {
	case EntryApplied:
		dApplied--
	case EntryFailed:
		dFailed--
	}
	switch status {
	case EntryApplied:
		dApplied++
	case EntryFailed:
		dFailed++
	}
	if dApplied == 0 && dFailed == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE runs SET applied = applied + ?, failed = failed + ? WHERE id = ?`, dApplied, dFailed, runID)
	return err
}

// Applied implements Store.
func (s *SQLite) Applied(ctx context.Context, runID int64, seq int, targetID string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		e, err := getEntry(ctx, tx, runID, seq)
		if err != nil {
			return err
		}
		if e.mode == ModeDryRun {
			return fmt.Errorf("run is a dry run: %w", ErrConflict)
		}
		id := targetID
		if id == "" && e.action != connectors.ActionCreate {
			id = e.id
		}
		linked := e.kind != mapping.KindMembership
		if linked && id == "" && e.action != connectors.ActionDelete {
			return fmt.Errorf("%s %s %q: no target id to link", e.action, e.kind, e.key)
		}
		if err := setEntry(ctx, tx, runID, seq, e.status, EntryApplied, id, ""); err != nil {
			return err
		}
		if !linked {
			return nil
		}
		switch e.action {
		case connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionSuspend:
			t := now()
			_, err = tx.ExecContext(ctx, `INSERT INTO links (job, kind, source_key, target_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (job, kind, source_key) DO UPDATE SET target_id = excluded.target_id, updated_at = excluded.updated_at`,
				e.job, e.kind, e.key, id, t, t)
		case connectors.ActionDelete:
			_, err = tx.ExecContext(ctx, `DELETE FROM links WHERE job = ? AND kind = ? AND source_key = ?`, e.job, e.kind, e.key)
		default:
			err = fmt.Errorf("unknown action %q", e.action)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: mark run %d entry %d applied: %w", runID, seq, err)
	}
	return nil
}

// Failed implements Store.
func (s *SQLite) Failed(ctx context.Context, runID int64, seq int, cause error) error {
	msg := "failed"
	if cause != nil {
		msg = cause.Error()
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		e, err := getEntry(ctx, tx, runID, seq)
		if err != nil {
			return err
		}
		if EntryStatus(e.status) == EntryApplied {
			return fmt.Errorf("entry is already applied: %w", ErrConflict)
		}
		return setEntry(ctx, tx, runID, seq, e.status, EntryFailed, e.id, msg)
	})
	if err != nil {
		return fmt.Errorf("store: mark run %d entry %d failed: %w", runID, seq, err)
	}
	return nil
}

// Adopt implements Store.
func (s *SQLite) Adopt(ctx context.Context, job string, links []Link) error {
	if job == "" {
		return errors.New("store: adopt links: empty job name")
	}
	for _, l := range links {
		if err := checkLink(l); err != nil {
			return fmt.Errorf("store: adopt links of job %q: %w", job, err)
		}
	}
	if len(links) == 0 {
		return nil
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO links (job, kind, source_key, target_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (job, kind, source_key) DO UPDATE SET target_id = excluded.target_id, updated_at = excluded.updated_at`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		t := now()
		for _, l := range links {
			if _, err := stmt.ExecContext(ctx, job, l.Kind, l.Key, l.TargetID, t, t); err != nil {
				return fmt.Errorf("%s %q: %w", l.Kind, l.Key, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: adopt links of job %q: %w", job, err)
	}
	return nil
}

// Mark implements Store.
func (s *SQLite) Mark(ctx context.Context, job string) (string, error) {
	var mark string
	err := s.r.QueryRowContext(ctx, `SELECT mark FROM marks WHERE job = ?`, job).Scan(&mark)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: read mark of job %q: %w", job, err)
	}
	return mark, nil
}

// SetMark implements Store.
func (s *SQLite) SetMark(ctx context.Context, job, mark string) error {
	if job == "" {
		return errors.New("store: set mark: empty job name")
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO marks (job, mark, updated_at) VALUES (?, ?, ?)
ON CONFLICT (job) DO UPDATE SET mark = excluded.mark, updated_at = excluded.updated_at`, job, mark, now())
	if err != nil {
		return fmt.Errorf("store: set mark of job %q: %w", job, err)
	}
	return nil
}

// Forget implements Store.
func (s *SQLite) Forget(ctx context.Context, job string, kind mapping.Kind, keys []string) error {
	if job == "" || kind == "" {
		return errors.New("store: forget links: empty job or kind")
	}
	if len(keys) == 0 {
		return nil
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `DELETE FROM links WHERE job = ? AND kind = ? AND source_key = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, key := range keys {
			if _, err := stmt.ExecContext(ctx, job, kind, key); err != nil {
				return fmt.Errorf("%s %q: %w", kind, key, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: forget links of job %q: %w", job, err)
	}
	return nil
}

func checkLink(l Link) error {
	switch {
	case l.Kind == "":
		return fmt.Errorf("link %q -> %q: empty kind", l.Key, l.TargetID)
	case l.Kind == mapping.KindMembership:
		return fmt.Errorf("link %s %q: memberships are not linked", l.Kind, l.Key)
	case l.Key == "":
		return fmt.Errorf("link %s -> %q: empty source key", l.Kind, l.TargetID)
	case l.TargetID == "":
		return fmt.Errorf("link %s %q: empty target id", l.Kind, l.Key)
	}
	return nil
}

// FinishRun implements Store.
func (s *SQLite) FinishRun(ctx context.Context, runID int64, status RunStatus, summary string, runErr error) error {
	if !status.Final() {
		return fmt.Errorf("store: finish run %d: %q is not a final status", runID, status)
	}
	var msg string
	if runErr != nil {
		msg = runErr.Error()
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, finished_at = ?, summary = ?, error = ? WHERE id = ? AND status = ?`,
			status, now(), summary, msg, runID, RunRunning)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var cur RunStatus
		err = tx.QueryRowContext(ctx, `SELECT status FROM runs WHERE id = ?`, runID).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("run already ended %s: %w", cur, ErrConflict)
	})
	if err != nil {
		return fmt.Errorf("store: finish run %d: %w", runID, err)
	}
	return nil
}

const runColumns = `id, job, mode, status, started_at, finished_at, planned, applied, failed, summary, error`

type scanner interface{ Scan(dest ...any) error }

func scanRun(sc scanner) (Run, error) {
	var r Run
	var started int64
	var finished sql.NullInt64
	if err := sc.Scan(&r.ID, &r.Job, &r.Mode, &r.Status, &started, &finished, &r.Planned, &r.Applied, &r.Failed, &r.Summary, &r.Error); err != nil {
		return Run{}, err
	}
	r.StartedAt = fromNanos(started)
	if finished.Valid {
		r.FinishedAt = fromNanos(finished.Int64)
	}
	return r, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryRuns(ctx context.Context, q querier, query string, args ...any) ([]Run, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

func queryEntries(ctx context.Context, q querier, query string, args ...any) ([]JournalEntry, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var entries []JournalEntry
	for rows.Next() {
		var e JournalEntry
		var js string
		var updated int64
		if err := rows.Scan(&e.RunID, &e.Seq, &js, &e.Status, &e.TargetID, &e.Error, &updated); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(js), &e.Change); err != nil {
			return nil, fmt.Errorf("run %d entry %d: decode change: %w", e.RunID, e.Seq, err)
		}
		e.UpdatedAt = fromNanos(updated)
		entries = append(entries, e)
	}
	return entries, rows.Err()
}

const entryColumns = `run_id, seq, change, status, target_id, error, updated_at`

// Interrupted implements Store.
func (s *SQLite) Interrupted(ctx context.Context, job string) ([]Run, []JournalEntry, error) {
	var runs []Run
	var entries []JournalEntry
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		// Literal statuses, so that the partial indexes runs_running and
		// journal_pending apply.
		if job == "" {
			runs, err = queryRuns(ctx, tx, `SELECT `+runColumns+` FROM runs WHERE status = 'running' ORDER BY id`)
		} else {
			runs, err = queryRuns(ctx, tx, `SELECT `+runColumns+` FROM runs WHERE job = ? AND status = 'running' ORDER BY id`, job)
		}
		if err != nil || len(runs) == 0 {
			return err
		}
		t := now()
		for i := range runs {
			r := &runs[i]
			if _, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, finished_at = ? WHERE id = ?`, RunInterrupted, t, r.ID); err != nil {
				return err
			}
			r.Status, r.FinishedAt = RunInterrupted, fromNanos(t)
			es, err := queryEntries(ctx, tx, `SELECT `+entryColumns+` FROM journal WHERE run_id = ? AND status = 'pending' ORDER BY seq`, r.ID)
			if err != nil {
				return err
			}
			entries = append(entries, es...)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: find interrupted runs of job %q: %w", job, err)
	}
	for _, r := range runs {
		s.logger.Warn("run was interrupted", zap.String("job", r.Job), zap.Int64("run_id", r.ID),
			zap.Int("planned", r.Planned), zap.Int("applied", r.Applied), zap.Int("failed", r.Failed))
	}
	return runs, entries, nil
}

// Runs implements Store.
func (s *SQLite) Runs(ctx context.Context, job string, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	var runs []Run
	var err error
	if job == "" {
		runs, err = queryRuns(ctx, s.r, `SELECT `+runColumns+` FROM runs ORDER BY id DESC LIMIT ?`, limit)
	} else {
		runs, err = queryRuns(ctx, s.r, `SELECT `+runColumns+` FROM runs WHERE job = ? ORDER BY id DESC LIMIT ?`, job, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("store: list runs of job %q: %w", job, err)
	}
	return runs, nil
}

// Run implements Store.
func (s *SQLite) Run(ctx context.Context, id int64) (Run, []JournalEntry, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Run{}, nil, fmt.Errorf("store: read run %d: %w", id, err)
	}
	defer tx.Rollback()
	r, err := scanRun(tx.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, nil, fmt.Errorf("store: read run %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Run{}, nil, fmt.Errorf("store: read run %d: %w", id, err)
	}
	entries, err := queryEntries(ctx, tx, `SELECT `+entryColumns+` FROM journal WHERE run_id = ? ORDER BY seq`, id)
	if err != nil {
		return Run{}, nil, fmt.Errorf("store: read run %d: %w", id, err)
	}
	return r, entries, nil
}

// Close implements Store.
func (s *SQLite) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.r != s.w {
			errs = append(errs, s.r.Close())
		}
		errs = append(errs, s.w.Close())
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("store: close sqlite %s: %w", s.path, err)
		}
	})
	return s.closeErr
}
