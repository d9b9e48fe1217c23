package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/mapping"
)

// sqlStore is the one implementation of Store, on database/sql, for every
// database: SQLite and PostgreSQL differ only by their dialect. SQLite and
// Postgres wrap it with what only they have (their open, their pragmas,
// the leader lock).
//
// Writes go to w and reads to r. SQLite gives them two pools on one file
// (one writer connection, a few query-only readers); PostgreSQL one pool
// for both. Every write that reads before it writes runs in one
// transaction (write) that, where writes run beside each other
// (d.rowLocks), first locks what it depends on: the run's row (Plan), the
// journal entry's (Applied, Failed), and for every SCIM write the one row
// of scim_sequence.
type sqlStore struct {
	w, r   *sql.DB
	d      *dialect
	where  string // the file, or host:port/database (no password)
	logger *zap.Logger

	closeOnce sync.Once
	closeErr  error

	// stmts are the journal's hot statements, prepared once on w (see
	// txn.execHot): database/sql with the SQLite driver otherwise parses a
	// statement's text on every call, an eighth of a first sync's CPU
	// with a journal write per change.
	stmtMu  sync.Mutex
	stmts   map[string]*sql.Stmt
	stmtsOK bool // every hot statement prepared (or the store closed)
}

// hotQueries are the statements prepared once (prepareHot): those a
// journal write per change runs.
func (s *sqlStore) hotQueries() []string {
	return []string{
		entryQuery + s.d.forUpdate("j"),
		setEntryQuery,
		runCountsQuery,
		upsertLink,
	}
}

// prepareHot prepares the hot statements on the write pool, once, outside
// any transaction: with SQLite's single writer connection, preparing
// inside one would wait for the connection it holds. A statement that
// does not prepare yet (its table is made by a migration still to run)
// is run as text and prepared at a later write.
func (s *sqlStore) prepareHot(ctx context.Context) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if s.stmtsOK {
		return
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	all := true
	for _, q := range s.hotQueries() {
		if s.stmts[q] != nil {
			continue
		}
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			all = false
			continue
		}
		s.stmts[q] = st
	}
	s.stmtsOK = all
}

// hot returns query's prepared statement, or nil.
func (s *sqlStore) hot(query string) *sql.Stmt {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	return s.stmts[query]
}

var _ Store = (*sqlStore)(nil)

// txAttempts is how many times write runs a transaction that fails only on
// another's timing (d.retryable).
const txAttempts = 5

// write runs fn in a write transaction (BEGIN IMMEDIATE on SQLite's one
// writer; READ COMMITTED on PostgreSQL), committing if fn returns nil. fn
// may run more than once: it must set its results afresh each time.
func (s *sqlStore) write(ctx context.Context, fn func(*txn) error) error {
	for attempt := 1; ; attempt++ {
		err := s.writeOnce(ctx, fn)
		if err == nil || attempt == txAttempts || !s.d.retryable(err) || ctx.Err() != nil {
			return err
		}
		s.logger.Debug("transaction retried", zap.Int("attempt", attempt), zap.Error(err))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 5 * time.Millisecond):
		}
	}
}

func (s *sqlStore) writeOnce(ctx context.Context, fn func(*txn) error) error {
	// A connection of its own, rather than w.BeginTx, so that a dialect's
	// batch can reach the driver's connection the transaction is on.
	s.prepareHot(ctx)
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// Once committed, nothing to roll back; but should fn panic, the
	// connection (SQLite's only writer) must not stay in the transaction,
	// nor conn.Close wait for it forever.
	defer tx.Rollback()
	if err := fn(&txn{Tx: tx, conn: conn, d: s.d, hot: s.hot}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// now is the current time as the store keeps it.
func (s *sqlStore) now() time.Time { return s.d.stamp(time.Now()) }

// SchemaVersion returns the schema version the database is at.
func (s *sqlStore) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// migrate applies the migrations the database lacks, each in its own
// write transaction together with its schema_version row. A database from
// a newer orgbridge (a higher version than this binary knows) is refused
// rather than written by code that does not know its schema.
func (s *sqlStore) migrate(ctx context.Context) error {
	for {
		done, err := s.migrateOne(ctx)
		if err != nil {
			return fmt.Errorf("store: open %s %s: %w", s.d.name, s.where, err)
		}
		if done {
			return nil
		}
	}
}

// migrateOne applies the next migration, if any, reading the version
// inside the write transaction (and, on PostgreSQL, under the migration
// lock) so that two processes opening a new database at once cannot both
// apply it.
func (s *sqlStore) migrateOne(ctx context.Context) (done bool, err error) {
	err = s.write(ctx, func(tx *txn) error {
		done = false
		if s.d.migrateLock != "" {
			if _, err := tx.ExecContext(ctx, s.d.migrateLock, migrateLockKey); err != nil {
				return fmt.Errorf("lock for migration: %w", err)
			}
		}
		// Asked, not CREATE TABLE IF NOT EXISTS: PostgreSQL checks the
		// right to create in the schema even when the table exists, and a
		// role that only uses a migrated database need not have it.
		var exists bool
		if err := tx.QueryRowContext(ctx, s.d.schemaVersionExists).Scan(&exists); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if !exists {
			if _, err := tx.ExecContext(ctx, s.d.createSchemaVersion); err != nil {
				return fmt.Errorf("create schema_version: %w", err)
			}
		}
		var v int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		ms := s.d.migrations
		switch {
		case v > len(ms):
			return fmt.Errorf("schema version %d is newer than this orgbridge knows (%d)", v, len(ms))
		case v == len(ms):
			done = true
			return nil
		}
		if _, err := tx.ExecContext(ctx, ms[v]); err != nil {
			return fmt.Errorf("migrate to schema version %d: %w", v+1, err)
		}
		if err := s.backfill(ctx, tx, v+1); err != nil {
			return fmt.Errorf("migrate to schema version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)`, v+1, s.d.timeArg(s.now())); err != nil {
			return fmt.Errorf("record schema version %d: %w", v+1, err)
		}
		s.logger.Info("store schema migrated", zap.Int("schema_version", v+1))
		return nil
	})
	return done, err
}

// Close implements Store. It waits for the queries under way to finish.
func (s *sqlStore) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		s.stmtMu.Lock()
		for _, st := range s.stmts {
			errs = append(errs, st.Close())
		}
		s.stmts, s.stmtsOK = nil, true // closed: never prepared again
		s.stmtMu.Unlock()
		if s.r != s.w {
			errs = append(errs, s.r.Close())
		}
		errs = append(errs, s.w.Close())
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("store: close %s %s: %w", s.d.name, s.where, err)
		}
	})
	return s.closeErr
}

// Links implements Store. The maps are made at their size (one count a
// kind first) and each kind's name is read once, not once a row: a
// no-change run of 100,000 users reads them all before it plans.
func (s *sqlStore) Links(ctx context.Context, job string) (Links, error) {
	l := make(Links)
	counts, err := s.r.QueryContext(ctx, `SELECT kind, count(*) FROM links WHERE job = $1 GROUP BY kind`, job)
	if err != nil {
		return nil, fmt.Errorf("store: count links of job %q: %w", job, err)
	}
	defer counts.Close()
	for counts.Next() {
		var kind string
		var n int
		if err := counts.Scan(&kind, &n); err != nil {
			return nil, fmt.Errorf("store: count links of job %q: %w", job, err)
		}
		l[mapping.Kind(kind)] = make(map[string]string, n)
	}
	if err := counts.Err(); err != nil {
		return nil, fmt.Errorf("store: count links of job %q: %w", job, err)
	}
	// In the primary key's order, so that SQLite reads the rows through
	// it, near the order they were written in: left to choose, it went
	// through links_target, whose order (the target's random ids) is a
	// random page for every row: 3.3 times the CPU at 100,000 links
	// (BenchmarkLinks/sqlite, 470 ms to 143 ms).
	rows, err := s.r.QueryContext(ctx, `SELECT kind, source_key, target_id FROM links WHERE job = $1 ORDER BY kind, source_key`, job)
	if err != nil {
		return nil, fmt.Errorf("store: read links of job %q: %w", job, err)
	}
	defer rows.Close()
	var (
		kind    sql.RawBytes
		key, id string
		last    mapping.Kind
		m       map[string]string
	)
	for rows.Next() {
		if err := rows.Scan(&kind, &key, &id); err != nil {
			return nil, fmt.Errorf("store: read links of job %q: %w", job, err)
		}
		if m == nil || string(kind) != string(last) {
			last = mapping.Kind(kind)
			if m = l[last]; m == nil {
				m = make(map[string]string)
				l[last] = m
			}
		}
		m[key] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read links of job %q: %w", job, err)
	}
	return l, nil
}

// StartRun implements Store.
func (s *sqlStore) StartRun(ctx context.Context, job, mode string) (int64, error) {
	if job == "" {
		return 0, errors.New("store: start run: empty job name")
	}
	if !ValidMode(mode) {
		return 0, fmt.Errorf("store: start run of job %q: unknown mode %q", job, mode)
	}
	var id int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO runs (job, mode, status, started_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		job, mode, string(RunRunning), s.d.timeArg(s.now())).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: start run of job %q: %w", job, err)
	}
	return id, nil
}

// entryInsert are the columns Plan writes of each entry.
var entryInsert = []string{"run_id", "seq", "action", "kind", "source_key", "change", "status", "target_id", "updated_at"}

// Plan implements Store.
func (s *sqlStore) Plan(ctx context.Context, runID int64, changes []change.Change) error {
	err := s.write(ctx, func(tx *txn) error {
		var status string
		var planned bool
		err := tx.QueryRowContext(ctx, `SELECT status, planned_at IS NOT NULL FROM runs WHERE id = $1`+s.d.forUpdate(""), runID).Scan(&status, &planned)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if RunStatus(status) != RunRunning {
			return fmt.Errorf("run is %s: %w", status, ErrConflict)
		}
		if planned {
			return fmt.Errorf("run is already planned: %w", ErrConflict)
		}
		t := s.d.timeArg(s.now())
		if err := tx.insert(ctx, "journal", entryInsert, rowSource{
			n: len(changes), width: len(entryInsert),
			fill: func(i int, row []any) error {
				c := &changes[i]
				js, err := json.Marshal(c)
				if err != nil {
					return err
				}
				row[0], row[1], row[2], row[3], row[4] = runID, i, string(c.Action), string(c.Kind), c.Key
				row[5], row[6], row[7], row[8] = string(js), string(EntryPending), c.TargetID, t
				return nil
			},
			what: func(i int) string {
				c := &changes[i]
				return fmt.Sprintf("change %d (%s %s %q)", i, c.Action, c.Kind, c.Key)
			},
		}); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE runs SET planned = $1, planned_at = $2 WHERE id = $3`, len(changes), t, runID)
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
	action          change.Action
	kind            mapping.Kind
	key, status, id string
}

// getEntry reads the entry and, where writes run beside each other, locks
// its row until tx ends, so that concurrent Applied and Failed calls on one
// entry run one after the other and the run's counts follow each
// transition once.
// The journal's statements of one entry.
const (
	entryQuery = `SELECT r.job, r.mode, j.action, j.kind, j.source_key, j.status, j.target_id
FROM journal j JOIN runs r ON r.id = j.run_id WHERE j.run_id = $1 AND j.seq = $2`
	setEntryQuery  = `UPDATE journal SET status = $1, target_id = $2, error = $3, updated_at = $4 WHERE run_id = $5 AND seq = $6`
	runCountsQuery = `UPDATE runs SET applied = applied + $1, failed = failed + $2 WHERE id = $3`
)

func (s *sqlStore) getEntry(ctx context.Context, tx *txn, runID int64, seq int) (entryState, error) {
	var e entryState
	var action, kind string
	err := tx.queryRowHot(ctx, entryQuery+s.d.forUpdate("j"), runID, seq).
		Scan(&e.job, &e.mode, &action, &kind, &e.key, &e.status, &e.id)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	e.action, e.kind = change.Action(action), mapping.Kind(kind)
	return e, err
}

// setEntry moves an entry to status and adjusts the run's counts by the
// transition, so that they always equal the entries in each state.
func (s *sqlStore) setEntry(ctx context.Context, tx *txn, runID int64, seq int, old string, status EntryStatus, targetID, msg string) error {
	if _, err := tx.execHot(ctx, setEntryQuery,
		string(status), targetID, msg, s.d.timeArg(s.now()), runID, seq); err != nil {
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
	_, err := tx.execHot(ctx, runCountsQuery, dApplied, dFailed, runID)
	return err
}

// upsertLink links a job's kind/key ($1-$3) to a target id ($4) at a time
// ($5), replacing the link the key has.
const upsertLink = `INSERT INTO links (job, kind, source_key, target_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
ON CONFLICT (job, kind, source_key) DO UPDATE SET target_id = excluded.target_id, updated_at = excluded.updated_at`

const deleteLink = `DELETE FROM links WHERE job = $1 AND kind = $2 AND source_key = $3`

// Applied implements Store.
func (s *sqlStore) Applied(ctx context.Context, runID int64, seq int, targetID string) error {
	err := s.write(ctx, func(tx *txn) error {
		e, err := s.getEntry(ctx, tx, runID, seq)
		if err != nil {
			return err
		}
		if e.mode == ModeDryRun {
			return fmt.Errorf("run is a dry run: %w", ErrConflict)
		}
		id := targetID
		if id == "" && e.action != change.ActionCreate {
			id = e.id
		}
		linked := e.kind != mapping.KindMembership
		if linked && id == "" && e.action != change.ActionDelete {
			return fmt.Errorf("%s %s %q: no target id to link", e.action, e.kind, e.key)
		}
		if err := s.setEntry(ctx, tx, runID, seq, e.status, EntryApplied, id, ""); err != nil {
			return err
		}
		if !linked {
			return nil
		}
		switch e.action {
		case change.ActionCreate, change.ActionUpdate, change.ActionSuspend:
			_, err = tx.execHot(ctx, upsertLink, e.job, string(e.kind), e.key, id, s.d.timeArg(s.now()))
		case change.ActionDelete:
			_, err = tx.ExecContext(ctx, deleteLink, e.job, string(e.kind), e.key)
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
func (s *sqlStore) Failed(ctx context.Context, runID int64, seq int, cause error) error {
	msg := "failed"
	if cause != nil {
		msg = s.d.text(cause.Error())
	}
	err := s.write(ctx, func(tx *txn) error {
		e, err := s.getEntry(ctx, tx, runID, seq)
		if err != nil {
			return err
		}
		if EntryStatus(e.status) == EntryApplied {
			return fmt.Errorf("entry is already applied: %w", ErrConflict)
		}
		return s.setEntry(ctx, tx, runID, seq, e.status, EntryFailed, e.id, msg)
	})
	if err != nil {
		return fmt.Errorf("store: mark run %d entry %d failed: %w", runID, seq, err)
	}
	return nil
}

// Adopt implements Store.
func (s *sqlStore) Adopt(ctx context.Context, job string, links []Link) error {
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
	err := s.write(ctx, func(tx *txn) error {
		t := s.d.timeArg(s.now())
		return tx.execEach(ctx, upsertLink, rowSource{
			n: len(links), width: 5,
			fill: func(i int, row []any) error {
				l := &links[i]
				row[0], row[1], row[2], row[3], row[4] = job, string(l.Kind), l.Key, l.TargetID, t
				return nil
			},
			what: func(i int) string { return fmt.Sprintf("%s %q", links[i].Kind, links[i].Key) },
		})
	})
	if err != nil {
		return fmt.Errorf("store: adopt links of job %q: %w", job, err)
	}
	return nil
}

// Mark implements Store.
func (s *sqlStore) Mark(ctx context.Context, job string) (string, error) {
	var mark string
	err := s.r.QueryRowContext(ctx, `SELECT mark FROM marks WHERE job = $1`, job).Scan(&mark)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: read mark of job %q: %w", job, err)
	}
	return mark, nil
}

// SetMark implements Store.
func (s *sqlStore) SetMark(ctx context.Context, job, mark string) error {
	if job == "" {
		return errors.New("store: set mark: empty job name")
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO marks (job, mark, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (job) DO UPDATE SET mark = excluded.mark, updated_at = excluded.updated_at`, job, mark, s.d.timeArg(s.now()))
	if err != nil {
		return fmt.Errorf("store: set mark of job %q: %w", job, err)
	}
	return nil
}

// Forget implements Store.
func (s *sqlStore) Forget(ctx context.Context, job string, kind mapping.Kind, keys []string) error {
	if job == "" || kind == "" {
		return errors.New("store: forget links: empty job or kind")
	}
	if len(keys) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *txn) error {
		return tx.execKeys(ctx, `DELETE FROM links WHERE job = $1 AND kind = $2 AND source_key `+s.d.oneOf(3), []any{job, string(kind)}, keys,
			func(key string) string { return fmt.Sprintf("%s %q", kind, key) })
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
func (s *sqlStore) FinishRun(ctx context.Context, runID int64, status RunStatus, summary string, runErr error) error {
	if !status.Final() {
		return fmt.Errorf("store: finish run %d: %q is not a final status", runID, status)
	}
	var msg string
	if runErr != nil {
		msg = s.d.text(runErr.Error())
	}
	summary = s.d.text(summary)
	err := s.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET status = $1, finished_at = $2, summary = $3, error = $4 WHERE id = $5 AND status = 'running'`,
			string(status), s.d.timeArg(s.now()), summary, msg, runID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var cur string
		err = tx.QueryRowContext(ctx, `SELECT status FROM runs WHERE id = $1`, runID).Scan(&cur)
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

const runColumns = `id, job, mode, status, started_at, finished_at, planned, applied, failed, summary, error, decision, decided_by, decided_at`

type scanner interface{ Scan(dest ...any) error }

func scanRun(sc scanner) (Run, error) {
	var r Run
	var status string
	if err := sc.Scan(&r.ID, &r.Job, &r.Mode, &status, (*scanTime)(&r.StartedAt), (*scanTime)(&r.FinishedAt),
		&r.Planned, &r.Applied, &r.Failed, &r.Summary, &r.Error,
		&r.Decision.Verdict, &r.Decision.By, (*scanTime)(&r.Decision.At)); err != nil {
		return Run{}, err
	}
	r.Status = RunStatus(status)
	return r, nil
}

// querier is what reads run on: a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll runs query and scans each row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

const entryColumns = `run_id, seq, change, status, target_id, error, updated_at`

func scanEntry(sc scanner) (JournalEntry, error) {
	var e JournalEntry
	var js, status string
	if err := sc.Scan(&e.RunID, &e.Seq, &js, &status, &e.TargetID, &e.Error, (*scanTime)(&e.UpdatedAt)); err != nil {
		return JournalEntry{}, err
	}
	if err := json.Unmarshal([]byte(js), &e.Change); err != nil {
		return JournalEntry{}, fmt.Errorf("run %d entry %d: decode change: %w", e.RunID, e.Seq, err)
	}
	e.Status = EntryStatus(status)
	return e, nil
}

// Interrupted implements Store. One UPDATE claims the running runs, so
// that replicas calling it at once each get different runs, never the same
// run twice.
func (s *sqlStore) Interrupted(ctx context.Context, job string) ([]Run, []JournalEntry, error) {
	var runs []Run
	var entries []JournalEntry
	err := s.write(ctx, func(tx *txn) error {
		var err error
		runs, entries = nil, nil
		t := s.d.timeArg(s.now())
		// Literal statuses, so that the partial indexes runs_running and
		// journal_pending apply.
		if job == "" {
			runs, err = queryAll(ctx, tx, scanRun, `UPDATE runs SET status = 'interrupted', finished_at = $1 WHERE status = 'running' RETURNING `+runColumns, t)
		} else {
			runs, err = queryAll(ctx, tx, scanRun, `UPDATE runs SET status = 'interrupted', finished_at = $1 WHERE job = $2 AND status = 'running' RETURNING `+runColumns, t, job)
		}
		if err != nil {
			return err
		}
		// RETURNING's order is the database's.
		slices.SortFunc(runs, func(a, b Run) int { return cmp.Compare(a.ID, b.ID) })
		for _, r := range runs {
			es, err := queryAll(ctx, tx, scanEntry, `SELECT `+entryColumns+` FROM journal WHERE run_id = $1 AND status = 'pending' ORDER BY seq`, r.ID)
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
func (s *sqlStore) Runs(ctx context.Context, job string, limit int) ([]Run, error) {
	lim := int64(limit)
	if limit <= 0 {
		// No limit, in a form both databases take (SQLite refuses NULL,
		// PostgreSQL a negative limit).
		lim = math.MaxInt64
	}
	var runs []Run
	var err error
	if job == "" {
		runs, err = queryAll(ctx, s.r, scanRun, `SELECT `+runColumns+` FROM runs ORDER BY id DESC LIMIT $1`, lim)
	} else {
		runs, err = queryAll(ctx, s.r, scanRun, `SELECT `+runColumns+` FROM runs WHERE job = $1 ORDER BY id DESC LIMIT $2`, job, lim)
	}
	if err != nil {
		return nil, fmt.Errorf("store: list runs of job %q: %w", job, err)
	}
	return runs, nil
}

// Run implements Store. The run and its entries come from one snapshot (a
// read-only transaction, REPEATABLE READ on PostgreSQL).
func (s *sqlStore) Run(ctx context.Context, id int64) (Run, []JournalEntry, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return Run{}, nil, fmt.Errorf("store: read run %d: %w", id, err)
	}
	defer tx.Rollback()
	r, err := scanRun(tx.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, nil, fmt.Errorf("store: read run %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Run{}, nil, fmt.Errorf("store: read run %d: %w", id, err)
	}
	entries, err := queryAll(ctx, tx, scanEntry, `SELECT `+entryColumns+` FROM journal WHERE run_id = $1 ORDER BY seq`, id)
	if err != nil {
		return Run{}, nil, fmt.Errorf("store: read run %d: %w", id, err)
	}
	return r, entries, nil
}
