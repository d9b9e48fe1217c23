package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

// Postgres is the Store kept in a PostgreSQL database, shared by any number
// of orgbridge processes (replicas).
//
// It talks to the server through a pgx connection pool. Every write that
// reads before it writes runs in one READ COMMITTED transaction that first
// locks what it depends on: the run's row (Plan), the journal entry's row
// (Applied, Failed) or, for every SCIM write, the one row of
// scim_sequence, so that SCIM writes from all processes run one at a time
// and commit in sequence order, as SQLite's single writer does. A
// transaction that fails on a deadlock or a serialization failure is run
// again (a few times).
type Postgres struct {
	pool       *pgxpool.Pool
	where      string // host:port/database, for messages (no password)
	logger     *zap.Logger
	baseLogger *zap.Logger // as given to OpenPostgres, for Leader

	closeOnce sync.Once
}

var _ Store = (*Postgres)(nil)

// OpenPostgres connects to the PostgreSQL database named by dsn (a URL,
// postgres://user:password@host:port/database?sslmode=..., or key=value
// pairs, as libpq and pgx read them; pool_max_conns and the other pgxpool
// parameters are honoured) and brings its schema up to date. Sessions are
// named application_name "orgbridge" unless dsn names them. A nil logger
// logs nothing.
func OpenPostgres(ctx context.Context, dsn string, logger *zap.Logger) (*Postgres, error) {
	if dsn == "" {
		return nil, errors.New("store: open postgres: empty DSN")
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors may quote the DSN, password included.
		return nil, errors.New("store: open postgres: cannot parse the DSN")
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "orgbridge"
	}
	where := pgWhere(cfg.ConnConfig)
	p := &Postgres{where: where, baseLogger: logger, logger: logger.With(zap.String("store", "postgres"), zap.String("database", where))}
	if p.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("store: open postgres %s: %w", where, err)
	}
	if err := p.migrate(ctx); err != nil {
		p.pool.Close()
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

var migrateLockKey = advisoryKey("orgbridge:migrate")

// SchemaVersion returns the schema version the database is at.
func (p *Postgres) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := p.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// migrate applies the migrations the database lacks, each in its own
// transaction under a transaction-scoped advisory lock, so that replicas
// starting together apply each migration once, one after the other. A
// database from a newer orgbridge (a higher version than this binary knows)
// is refused.
func (p *Postgres) migrate(ctx context.Context) error {
	for {
		done, err := p.migrateOne(ctx)
		if err != nil {
			return fmt.Errorf("store: open postgres %s: %w", p.where, err)
		}
		if done {
			return nil
		}
	}
}

func (p *Postgres) migrateOne(ctx context.Context) (done bool, err error) {
	err = p.tx(ctx, func(tx pgx.Tx) error {
		done = false
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
			return fmt.Errorf("lock for migration: %w", err)
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if !exists {
			if _, err := tx.Exec(ctx, `CREATE TABLE schema_version (
	version    integer     PRIMARY KEY,
	applied_at timestamptz NOT NULL
)`); err != nil {
				return fmt.Errorf("create schema_version: %w", err)
			}
		}
		var v int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		switch {
		case v > len(postgresMigrations):
			return fmt.Errorf("schema version %d is newer than this orgbridge knows (%d)", v, len(postgresMigrations))
		case v == len(postgresMigrations):
			done = true
			return nil
		}
		if _, err := tx.Exec(ctx, postgresMigrations[v]); err != nil {
			return fmt.Errorf("migrate to schema version %d: %w", v+1, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)`, v+1, pgNow()); err != nil {
			return fmt.Errorf("record schema version %d: %w", v+1, err)
		}
		p.logger.Info("store schema migrated", zap.Int("schema_version", v+1))
		return nil
	})
	return done, err
}

// pgTxAttempts is how many times tx runs a transaction that fails on a
// deadlock or a serialization failure.
const pgTxAttempts = 5

// tx runs fn in a READ COMMITTED transaction, committing if fn returns nil.
// fn may run more than once: it must set its results afresh each time.
func (p *Postgres) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginFunc(ctx, p.pool, fn)
		if err == nil || attempt == pgTxAttempts || !pgRetryable(err) || ctx.Err() != nil {
			return err
		}
		p.logger.Debug("transaction retried", zap.Int("attempt", attempt), zap.Error(err))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 5 * time.Millisecond):
		}
	}
}

// pgRetryable reports whether a transaction failed only because of
// another's timing: a deadlock or a serialization failure.
func pgRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// pgNow is the current time as stored: UTC, truncated to PostgreSQL's
// microseconds so that what a write returns equals what a read returns.
func pgNow() time.Time { return pgTime(time.Now()) }

func pgTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// pgText makes a free-form message (an error, a summary) storable in a
// text column, which refuses NUL and invalid UTF-8.
func pgText(s string) string {
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}

// Links implements Store.
func (p *Postgres) Links(ctx context.Context, job string) (Links, error) {
	rows, err := p.pool.Query(ctx, `SELECT kind, source_key, target_id FROM links WHERE job = $1`, job)
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
func (p *Postgres) StartRun(ctx context.Context, job, mode string) (int64, error) {
	if job == "" {
		return 0, errors.New("store: start run: empty job name")
	}
	if !ValidMode(mode) {
		return 0, fmt.Errorf("store: start run of job %q: unknown mode %q", job, mode)
	}
	var id int64
	err := p.pool.QueryRow(ctx, `INSERT INTO runs (job, mode, status, started_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		job, mode, string(RunRunning), pgNow()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: start run of job %q: %w", job, err)
	}
	return id, nil
}

// Plan implements Store. The entries are written with COPY.
func (p *Postgres) Plan(ctx context.Context, runID int64, changes []connectors.Change) error {
	rows := make([][]any, len(changes))
	for i, c := range changes {
		js, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("store: plan run %d: change %d (%s %s %q): %w", runID, i, c.Action, c.Kind, c.Key, err)
		}
		rows[i] = []any{runID, i, string(c.Action), string(c.Kind), c.Key, string(js), string(EntryPending), c.TargetID, nil}
	}
	err := p.tx(ctx, func(tx pgx.Tx) error {
		var status string
		var planned bool
		err := tx.QueryRow(ctx, `SELECT status, planned_at IS NOT NULL FROM runs WHERE id = $1 FOR UPDATE`, runID).Scan(&status, &planned)
		if errors.Is(err, pgx.ErrNoRows) {
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
		t := pgNow()
		if len(rows) > 0 {
			for _, r := range rows {
				r[len(r)-1] = t
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"journal"},
				[]string{"run_id", "seq", "action", "kind", "source_key", "change", "status", "target_id", "updated_at"},
				pgx.CopyFromRows(rows)); err != nil {
				return fmt.Errorf("write entries: %w", err)
			}
		}
		_, err = tx.Exec(ctx, `UPDATE runs SET planned = $1, planned_at = $2 WHERE id = $3`, len(changes), t, runID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: plan run %d: %w", runID, err)
	}
	return nil
}

// pgGetEntry reads the entry and locks its row until tx ends, so that
// concurrent Applied and Failed calls on one entry run one after the other
// and the run's counts follow each transition once.
func pgGetEntry(ctx context.Context, tx pgx.Tx, runID int64, seq int) (entryState, error) {
	var e entryState
	var action, kind string
	err := tx.QueryRow(ctx, `SELECT r.job, r.mode, j.action, j.kind, j.source_key, j.status, j.target_id
FROM journal j JOIN runs r ON r.id = j.run_id WHERE j.run_id = $1 AND j.seq = $2 FOR UPDATE OF j`, runID, seq).
		Scan(&e.job, &e.mode, &action, &kind, &e.key, &e.status, &e.id)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, ErrNotFound
	}
	e.action, e.kind = connectors.Action(action), mapping.Kind(kind)
	return e, err
}

// pgSetEntry moves an entry to status and adjusts the run's counts by the
// transition, as setEntry does for SQLite.
func pgSetEntry(ctx context.Context, tx pgx.Tx, runID int64, seq int, old string, status EntryStatus, targetID, msg string) error {
	if _, err := tx.Exec(ctx, `UPDATE journal SET status = $1, target_id = $2, error = $3, updated_at = $4 WHERE run_id = $5 AND seq = $6`,
		string(status), targetID, msg, pgNow(), runID, seq); err != nil {
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
	_, err := tx.Exec(ctx, `UPDATE runs SET applied = applied + $1, failed = failed + $2 WHERE id = $3`, dApplied, dFailed, runID)
	return err
}

const pgUpsertLink = `INSERT INTO links (job, kind, source_key, target_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
ON CONFLICT (job, kind, source_key) DO UPDATE SET target_id = excluded.target_id, updated_at = excluded.updated_at`

// Applied implements Store.
func (p *Postgres) Applied(ctx context.Context, runID int64, seq int, targetID string) error {
	err := p.tx(ctx, func(tx pgx.Tx) error {
		e, err := pgGetEntry(ctx, tx, runID, seq)
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
		if err := pgSetEntry(ctx, tx, runID, seq, e.status, EntryApplied, id, ""); err != nil {
			return err
		}
		if !linked {
			return nil
		}
		switch e.action {
		case connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionSuspend:
			_, err = tx.Exec(ctx, pgUpsertLink, e.job, string(e.kind), e.key, id, pgNow())
		case connectors.ActionDelete:
			_, err = tx.Exec(ctx, `DELETE FROM links WHERE job = $1 AND kind = $2 AND source_key = $3`, e.job, string(e.kind), e.key)
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
func (p *Postgres) Failed(ctx context.Context, runID int64, seq int, cause error) error {
	msg := "failed"
	if cause != nil {
		msg = pgText(cause.Error())
	}
	err := p.tx(ctx, func(tx pgx.Tx) error {
		e, err := pgGetEntry(ctx, tx, runID, seq)
		if err != nil {
			return err
		}
		if EntryStatus(e.status) == EntryApplied {
			return fmt.Errorf("entry is already applied: %w", ErrConflict)
		}
		return pgSetEntry(ctx, tx, runID, seq, e.status, EntryFailed, e.id, msg)
	})
	if err != nil {
		return fmt.Errorf("store: mark run %d entry %d failed: %w", runID, seq, err)
	}
	return nil
}

// Adopt implements Store. The upserts go in one batch, in one transaction.
func (p *Postgres) Adopt(ctx context.Context, job string, links []Link) error {
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
	err := p.tx(ctx, func(tx pgx.Tx) error {
		t := pgNow()
		b := &pgx.Batch{}
		for _, l := range links {
			b.Queue(pgUpsertLink, job, string(l.Kind), l.Key, l.TargetID, t)
		}
		br := tx.SendBatch(ctx, b)
		for _, l := range links {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return fmt.Errorf("%s %q: %w", l.Kind, l.Key, err)
			}
		}
		return br.Close()
	})
	if err != nil {
		return fmt.Errorf("store: adopt links of job %q: %w", job, err)
	}
	return nil
}

// Mark implements Store.
func (p *Postgres) Mark(ctx context.Context, job string) (string, error) {
	var mark string
	err := p.pool.QueryRow(ctx, `SELECT mark FROM marks WHERE job = $1`, job).Scan(&mark)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: read mark of job %q: %w", job, err)
	}
	return mark, nil
}

// SetMark implements Store.
func (p *Postgres) SetMark(ctx context.Context, job, mark string) error {
	if job == "" {
		return errors.New("store: set mark: empty job name")
	}
	_, err := p.pool.Exec(ctx, `INSERT INTO marks (job, mark, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (job) DO UPDATE SET mark = excluded.mark, updated_at = excluded.updated_at`, job, mark, pgNow())
	if err != nil {
		return fmt.Errorf("store: set mark of job %q: %w", job, err)
	}
	return nil
}

// Forget implements Store.
func (p *Postgres) Forget(ctx context.Context, job string, kind mapping.Kind, keys []string) error {
	if job == "" || kind == "" {
		return errors.New("store: forget links: empty job or kind")
	}
	if len(keys) == 0 {
		return nil
	}
	_, err := p.pool.Exec(ctx, `DELETE FROM links WHERE job = $1 AND kind = $2 AND source_key = ANY($3)`, job, string(kind), keys)
	if err != nil {
		return fmt.Errorf("store: forget links of job %q: %w", job, err)
	}
	return nil
}

// FinishRun implements Store.
func (p *Postgres) FinishRun(ctx context.Context, runID int64, status RunStatus, summary string, runErr error) error {
	if !status.Final() {
		return fmt.Errorf("store: finish run %d: %q is not a final status", runID, status)
	}
	var msg string
	if runErr != nil {
		msg = pgText(runErr.Error())
	}
	summary = pgText(summary)
	err := p.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE runs SET status = $1, finished_at = $2, summary = $3, error = $4 WHERE id = $5 AND status = 'running'`,
			string(status), pgNow(), summary, msg, runID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		var cur string
		err = tx.QueryRow(ctx, `SELECT status FROM runs WHERE id = $1`, runID).Scan(&cur)
		if errors.Is(err, pgx.ErrNoRows) {
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

func pgScanRun(sc scanner) (Run, error) {
	var r Run
	var status string
	var started time.Time
	var finished *time.Time
	if err := sc.Scan(&r.ID, &r.Job, &r.Mode, &status, &started, &finished, &r.Planned, &r.Applied, &r.Failed, &r.Summary, &r.Error); err != nil {
		return Run{}, err
	}
	r.Status = RunStatus(status)
	r.StartedAt = started.UTC()
	if finished != nil {
		r.FinishedAt = finished.UTC()
	}
	return r, nil
}

// pgQuerier is what reads run on: the pool or a transaction.
type pgQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func pgQueryRuns(ctx context.Context, q pgQuerier, query string, args ...any) ([]Run, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		r, err := pgScanRun(rows)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

func pgQueryEntries(ctx context.Context, q pgQuerier, query string, args ...any) ([]JournalEntry, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var entries []JournalEntry
	for rows.Next() {
		var e JournalEntry
		var js, status string
		var updated time.Time
		if err := rows.Scan(&e.RunID, &e.Seq, &js, &status, &e.TargetID, &e.Error, &updated); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(js), &e.Change); err != nil {
			return nil, fmt.Errorf("run %d entry %d: decode change: %w", e.RunID, e.Seq, err)
		}
		e.Status = EntryStatus(status)
		e.UpdatedAt = updated.UTC()
		entries = append(entries, e)
	}
	return entries, rows.Err()
}

// Interrupted implements Store. One UPDATE claims the running runs, so
// that replicas calling it at once each get different runs, never the
// same run twice.
func (p *Postgres) Interrupted(ctx context.Context, job string) ([]Run, []JournalEntry, error) {
	var runs []Run
	var entries []JournalEntry
	err := p.tx(ctx, func(tx pgx.Tx) error {
		var err error
		runs, entries = nil, nil
		t := pgNow()
		// Literal statuses, so that the partial indexes runs_running and
		// journal_pending apply.
		if job == "" {
			runs, err = pgQueryRuns(ctx, tx, `UPDATE runs SET status = 'interrupted', finished_at = $1 WHERE status = 'running' RETURNING `+runColumns, t)
		} else {
			runs, err = pgQueryRuns(ctx, tx, `UPDATE runs SET status = 'interrupted', finished_at = $1 WHERE job = $2 AND status = 'running' RETURNING `+runColumns, t, job)
		}
		if err != nil || len(runs) == 0 {
			return err
		}
		slices.SortFunc(runs, func(a, b Run) int { return cmp.Compare(a.ID, b.ID) })
		ids := make([]int64, len(runs))
		for i, r := range runs {
			ids[i] = r.ID
		}
		entries, err = pgQueryEntries(ctx, tx, `SELECT `+entryColumns+` FROM journal WHERE run_id = ANY($1) AND status = 'pending' ORDER BY run_id, seq`, ids)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: find interrupted runs of job %q: %w", job, err)
	}
	for _, r := range runs {
		p.logger.Warn("run was interrupted", zap.String("job", r.Job), zap.Int64("run_id", r.ID),
			zap.Int("planned", r.Planned), zap.Int("applied", r.Applied), zap.Int("failed", r.Failed))
	}
	return runs, entries, nil
}

// Runs implements Store.
func (p *Postgres) Runs(ctx context.Context, job string, limit int) ([]Run, error) {
	var lim any // NULL: no limit
	if limit > 0 {
		lim = int64(limit)
	}
	var runs []Run
	var err error
	if job == "" {
		runs, err = pgQueryRuns(ctx, p.pool, `SELECT `+runColumns+` FROM runs ORDER BY id DESC LIMIT $1`, lim)
	} else {
		runs, err = pgQueryRuns(ctx, p.pool, `SELECT `+runColumns+` FROM runs WHERE job = $1 ORDER BY id DESC LIMIT $2`, job, lim)
	}
	if err != nil {
		return nil, fmt.Errorf("store: list runs of job %q: %w", job, err)
	}
	return runs, nil
}

// Run implements Store. The run and its entries come from one snapshot (a
// read-only REPEATABLE READ transaction).
func (p *Postgres) Run(ctx context.Context, id int64) (Run, []JournalEntry, error) {
	tx, err := p.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return Run{}, nil, fmt.Errorf("store: read run %d: %w", id, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	r, err := pgScanRun(tx.QueryRow(ctx, `SELECT `+runColumns+` FROM runs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Run{}, nil, fmt.Errorf("store: read run %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Run{}, nil, fmt.Errorf("store: read run %d: %w", id, err)
	}
	entries, err := pgQueryEntries(ctx, tx, `SELECT `+entryColumns+` FROM journal WHERE run_id = $1 ORDER BY seq`, id)
	if err != nil {
		return Run{}, nil, fmt.Errorf("store: read run %d: %w", id, err)
	}
	return r, entries, nil
}

// Close implements Store. It waits for the connections in use to be
// returned to the pool.
func (p *Postgres) Close() error {
	p.closeOnce.Do(p.pool.Close)
	return nil
}

// SCIM resources.

// pgLockSCIM locks the SCIM sequence row until tx ends. Every SCIM write
// takes it first, so SCIM writes, in this process and every other, run one
// at a time: each reads the state the previous ones committed (READ
// COMMITTED takes a new snapshot per statement), and they commit in the
// order of the sequences they take.
func pgLockSCIM(ctx context.Context, tx pgx.Tx) error {
	var seq int64
	if err := tx.QueryRow(ctx, `SELECT seq FROM scim_sequence WHERE id = 1 FOR UPDATE`).Scan(&seq); err != nil {
		return fmt.Errorf("lock sequence: %w", err)
	}
	return nil
}

// pgNextSCIMSeq takes the next store-wide SCIM sequence in tx.
func pgNextSCIMSeq(ctx context.Context, tx pgx.Tx) (int64, error) {
	var seq int64
	if err := tx.QueryRow(ctx, `UPDATE scim_sequence SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("next sequence: %w", err)
	}
	return seq, nil
}

// pgCheckSCIMName returns ErrDuplicate if a live User other than res.ID
// has the name.
func pgCheckSCIMName(ctx context.Context, tx pgx.Tx, res SCIMResource) error {
	if res.Type != SCIMUser {
		return nil
	}
	var other string
	err := tx.QueryRow(ctx, `SELECT id FROM scim_resources WHERE type = 'User' AND NOT deleted AND name_key = $1 AND id <> $2`,
		scimNameKey(res.Name), res.ID).Scan(&other)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("check userName %q: %w", res.Name, err)
	}
	return fmt.Errorf("userName %q is taken by User %q: %w", res.Name, other, ErrDuplicate)
}

// pgSCIMConstraint maps a unique violation (SQLSTATE 23505) on
// scim_resources to the store's sentinel: the unique userName index to
// ErrDuplicate, the primary key to ErrConflict. The writes check both
// first, under the sequence lock, so this only keeps a missed case (a row
// written by something that does not take the lock) from surfacing as a
// bare driver error.
func pgSCIMConstraint(err error) error {
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

// pgTouchSCIMUsers gives the live Users among ids the sequence seq.
func pgTouchSCIMUsers(ctx context.Context, tx pgx.Tx, seq int64, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE scim_resources SET seq = $1 WHERE type = 'User' AND id = ANY($2) AND NOT deleted`, seq, ids); err != nil {
		return fmt.Errorf("touch users: %w", err)
	}
	return nil
}

func pgScanSCIM(sc scanner) (SCIMResource, error) {
	var r SCIMResource
	var created, modified time.Time
	if err := sc.Scan(&r.Type, &r.ID, &r.ExternalID, &r.Name, &r.Doc, &r.Version, &r.Seq, &r.Deleted, &created, &modified); err != nil {
		return SCIMResource{}, err
	}
	if r.Doc == nil {
		r.Doc = []byte{}
	}
	r.Created, r.Modified = created.UTC(), modified.UTC()
	return r, nil
}

func pgQuerySCIM(ctx context.Context, q pgQuerier, query string, args ...any) ([]SCIMResource, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []SCIMResource
	for rows.Next() {
		r, err := pgScanSCIM(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, r)
	}
	return list, rows.Err()
}

// pgGetSCIM reads the resource typ/id, live or tombstone, in tx.
func pgGetSCIM(ctx context.Context, tx pgx.Tx, typ, id string) (SCIMResource, error) {
	r, err := pgScanSCIM(tx.QueryRow(ctx, `SELECT `+scimColumns+` FROM scim_resources WHERE type = $1 AND id = $2`, typ, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return SCIMResource{}, ErrNotFound
	}
	return r, err
}

// SCIMCreate implements Store.
func (p *Postgres) SCIMCreate(ctx context.Context, res SCIMResource) (SCIMResource, error) {
	if err := checkSCIM(res); err != nil {
		return SCIMResource{}, fmt.Errorf("store: create SCIM resource: %w", err)
	}
	var out SCIMResource
	err := p.tx(ctx, func(tx pgx.Tx) error {
		if err := pgLockSCIM(ctx, tx); err != nil {
			return err
		}
		t := pgNow()
		created := t
		if !res.Created.IsZero() {
			created = pgTime(res.Created)
		}
		out = SCIMResource{
			Type: res.Type, ID: res.ID, ExternalID: res.ExternalID, Name: res.Name, Doc: scimDoc(res.Doc),
			Version: 1, Created: created, Modified: t,
		}
		var exists int
		err := tx.QueryRow(ctx, `SELECT 1 FROM scim_resources WHERE type = $1 AND id = $2`, res.Type, res.ID).Scan(&exists)
		if err == nil {
			return fmt.Errorf("id is taken: %w", ErrConflict)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := pgCheckSCIMName(ctx, tx, res); err != nil {
			return err
		}
		if out.Seq, err = pgNextSCIMSeq(ctx, tx); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO scim_resources (`+scimColumns+`, name_key) VALUES ($1, $2, $3, $4, $5, $6, $7, false, $8, $9, $10)`,
			out.Type, out.ID, out.ExternalID, out.Name, out.Doc, out.Version, out.Seq, out.Created, out.Modified, scimNameKey(out.Name))
		return pgSCIMConstraint(err)
	})
	if err != nil {
		return SCIMResource{}, fmt.Errorf("store: create SCIM %s %q: %w", res.Type, res.ID, err)
	}
	return out, nil
}

// SCIMUpdate implements Store.
func (p *Postgres) SCIMUpdate(ctx context.Context, res SCIMResource, version int64, touch []string) (SCIMResource, error) {
	if err := checkSCIM(res); err != nil {
		return SCIMResource{}, fmt.Errorf("store: update SCIM resource: %w", err)
	}
	var out SCIMResource
	err := p.tx(ctx, func(tx pgx.Tx) error {
		if err := pgLockSCIM(ctx, tx); err != nil {
			return err
		}
		cur, err := pgGetSCIM(ctx, tx, res.Type, res.ID)
		if err != nil {
			return err
		}
		if cur.Deleted {
			return fmt.Errorf("deleted: %w", ErrNotFound)
		}
		if cur.Version != version {
			return fmt.Errorf("version is %d, not %d: %w", cur.Version, version, ErrStale)
		}
		if err := pgCheckSCIMName(ctx, tx, res); err != nil {
			return err
		}
		seq, err := pgNextSCIMSeq(ctx, tx)
		if err != nil {
			return err
		}
		out = SCIMResource{
			Type: cur.Type, ID: cur.ID, ExternalID: res.ExternalID, Name: res.Name, Doc: scimDoc(res.Doc),
			Version: version + 1, Seq: seq, Created: cur.Created, Modified: pgNow(),
		}
		_, err = tx.Exec(ctx, `UPDATE scim_resources SET external_id = $1, name = $2, name_key = $3, doc = $4, version = $5, seq = $6, modified_at = $7
WHERE type = $8 AND id = $9`, out.ExternalID, out.Name, scimNameKey(out.Name), out.Doc, out.Version, out.Seq, out.Modified, out.Type, out.ID)
		if err != nil {
			return pgSCIMConstraint(err)
		}
		return pgTouchSCIMUsers(ctx, tx, seq, touch)
	})
	if err != nil {
		return SCIMResource{}, fmt.Errorf("store: update SCIM %s %q: %w", res.Type, res.ID, err)
	}
	return out, nil
}

// SCIMDelete implements Store.
func (p *Postgres) SCIMDelete(ctx context.Context, typ, id string, touch []string) error {
	if err := checkSCIMType(typ); err != nil {
		return fmt.Errorf("store: delete SCIM resource: %w", err)
	}
	err := p.tx(ctx, func(tx pgx.Tx) error {
		if err := pgLockSCIM(ctx, tx); err != nil {
			return err
		}
		cur, err := pgGetSCIM(ctx, tx, typ, id)
		if err != nil {
			return err
		}
		if cur.Deleted {
			return fmt.Errorf("already deleted: %w", ErrNotFound)
		}
		seq, err := pgNextSCIMSeq(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE scim_resources SET deleted = true, seq = $1, modified_at = $2 WHERE type = $3 AND id = $4`,
			seq, pgNow(), typ, id); err != nil {
			return err
		}
		return pgTouchSCIMUsers(ctx, tx, seq, touch)
	})
	if err != nil {
		return fmt.Errorf("store: delete SCIM %s %q: %w", typ, id, err)
	}
	return nil
}

// SCIMGet implements Store.
func (p *Postgres) SCIMGet(ctx context.Context, typ, id string) (SCIMResource, error) {
	if err := checkSCIMType(typ); err != nil {
		return SCIMResource{}, fmt.Errorf("store: read SCIM resource: %w", err)
	}
	r, err := pgScanSCIM(p.pool.QueryRow(ctx, `SELECT `+scimColumns+` FROM scim_resources WHERE type = $1 AND id = $2 AND NOT deleted`, typ, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return SCIMResource{}, fmt.Errorf("store: read SCIM %s %q: %w", typ, id, ErrNotFound)
	}
	if err != nil {
		return SCIMResource{}, fmt.Errorf("store: read SCIM %s %q: %w", typ, id, err)
	}
	return r, nil
}

// SCIMList implements Store.
func (p *Postgres) SCIMList(ctx context.Context, typ string) ([]SCIMResource, error) {
	if err := checkSCIMType(typ); err != nil {
		return nil, fmt.Errorf("store: list SCIM resources: %w", err)
	}
	// Literal NOT deleted, so that the partial index scim_live applies.
	list, err := pgQuerySCIM(ctx, p.pool, `SELECT `+scimColumns+` FROM scim_resources WHERE type = $1 AND NOT deleted ORDER BY created_at, id`, typ)
	if err != nil {
		return nil, fmt.Errorf("store: list SCIM %s resources: %w", typ, err)
	}
	return list, nil
}

// SCIMFind implements Store.
func (p *Postgres) SCIMFind(ctx context.Context, typ string, field SCIMField, value string) ([]SCIMResource, error) {
	if err := checkSCIMType(typ); err != nil {
		return nil, fmt.Errorf("store: find SCIM resources: %w", err)
	}
	column, bound, err := scimFindWhere(field, value)
	if err != nil {
		return nil, fmt.Errorf("store: find SCIM resources: %w", err)
	}
	list, err := pgQuerySCIM(ctx, p.pool, `SELECT `+scimColumns+` FROM scim_resources WHERE type = $1 AND `+column+` = $2 AND NOT deleted`, typ, pgText(bound))
	if err != nil {
		return nil, fmt.Errorf("store: find SCIM %s by %s: %w", typ, field, err)
	}
	sortSCIM(list)
	return list, nil
}

// SCIMChanged implements Store. One statement, so one snapshot; the
// highest Seq in the store is that of the last row returned, since every
// transaction that takes a sequence writes it to a row.
func (p *Postgres) SCIMChanged(ctx context.Context, since int64) ([]SCIMResource, int64, error) {
	list, err := pgQuerySCIM(ctx, p.pool, `SELECT `+scimColumns+` FROM scim_resources WHERE seq > $1 ORDER BY seq, type, id`, since)
	if err != nil {
		return nil, 0, fmt.Errorf("store: read SCIM changes since %d: %w", since, err)
	}
	hi := max(since, 0)
	if n := len(list); n > 0 && list[n-1].Seq > hi {
		hi = list[n-1].Seq
	}
	return list, hi, nil
}
