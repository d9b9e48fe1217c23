package store

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/orgbridge/orgbridge/mapping"
)

// ObjectEntry is a journal entry of one object with the run it belongs to:
// what `orgbridge explain` lists as the object's history.
type ObjectEntry struct {
	JournalEntry
	// Mode and Status are the run's (RunStatus: how the run ended).
	Mode      string
	RunStatus RunStatus
	// StartedAt is when the run started (UTC).
	StartedAt time.Time
}

// ObjectJournal implements Store. The journal has no index on the object's
// kind and key (its key is the run and seq): the query reads the job's
// runs through runs_job and their entries by primary key, which is what
// one explain costs, not a hot path.
func (s *sqlStore) ObjectJournal(ctx context.Context, job string, kind mapping.Kind, key string, limit int) ([]ObjectEntry, error) {
	lim := int64(limit)
	if limit <= 0 {
		lim = math.MaxInt64
	}
	q := `SELECT j.run_id, j.seq, j.change, j.status, j.target_id, j.error, j.updated_at, r.mode, r.status, r.started_at
FROM journal j JOIN runs r ON r.id = j.run_id
WHERE r.job = $1 AND j.kind = $2 AND j.source_key = $3
ORDER BY j.run_id DESC, j.seq DESC LIMIT $4`
	list, err := queryAll(ctx, s.r, scanObjectEntry, q, job, string(kind), key, lim)
	if err != nil {
		return nil, fmt.Errorf("store: read the journal of %s %q in job %q: %w", kind, key, job, err)
	}
	return list, nil
}

func scanObjectEntry(sc scanner) (ObjectEntry, error) {
	var o ObjectEntry
	var mode, status string
	e, err := scanEntry(scannerFunc(func(dest ...any) error {
		return sc.Scan(append(dest, &mode, &status, (*scanTime)(&o.StartedAt))...)
	}))
	if err != nil {
		return ObjectEntry{}, err
	}
	o.JournalEntry, o.Mode, o.RunStatus = e, mode, RunStatus(status)
	return o, nil
}

// scannerFunc adapts a function to scanner, so that scanEntry can read
// the leading columns of a wider row.
type scannerFunc func(dest ...any) error

func (f scannerFunc) Scan(dest ...any) error { return f(dest...) }
