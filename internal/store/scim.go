package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// checkSCIMType refuses a type the store does not keep.
func checkSCIMType(typ string) error {
	if typ != SCIMUser && typ != SCIMGroup {
		return fmt.Errorf("unknown SCIM resource type %q (want %q or %q)", typ, SCIMUser, SCIMGroup)
	}
	return nil
}

// checkSCIM checks what SCIMCreate and SCIMUpdate require of a resource.
func checkSCIM(res SCIMResource) error {
	if err := checkSCIMType(res.Type); err != nil {
		return err
	}
	switch {
	case res.ID == "":
		return fmt.Errorf("%s: empty ID", res.Type)
	case res.Name == "":
		return fmt.Errorf("%s %q: empty Name", res.Type, res.ID)
	}
	return nil
}

// scimNameKey is the form in which User names are compared: computed in
// Go, not by the database's lower(), which depends on its locale.
func scimNameKey(name string) string { return strings.ToLower(name) }

// writeSCIM runs fn in a write transaction that, where writes run beside
// each other, first locks the SCIM sequence row until it ends. As every
// SCIM write goes through it, SCIM writes, in this process and every
// other, run one at a time: each reads the state the previous ones
// committed (READ COMMITTED takes a new snapshot per statement), and they
// commit in the order of the sequences they take. SQLite's single writer
// gives the same without a lock.
func (s *sqlStore) writeSCIM(ctx context.Context, fn func(*txn) error) error {
	return s.write(ctx, func(tx *txn) error {
		if s.d.rowLocks {
			var seq int64
			if err := tx.QueryRowContext(ctx, `SELECT seq FROM scim_sequence WHERE id = 1`+s.d.forUpdate("")).Scan(&seq); err != nil {
				return fmt.Errorf("lock sequence: %w", err)
			}
		}
		return fn(tx)
	})
}

// nextSCIMSeq takes the next store-wide SCIM sequence in tx.
func nextSCIMSeq(ctx context.Context, tx *txn) (int64, error) {
	var seq int64
	if err := tx.QueryRowContext(ctx, `UPDATE scim_sequence SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("next sequence: %w", err)
	}
	return seq, nil
}

// countSCIM adds delta to the count of live resources of typ in tx: +1
// when one is created, -1 when one is deleted. SCIMQuery answers an
// unfiltered page's totalResults from it. SCIM writes run one at a time
// (writeSCIM), so no two change a count at once.
func countSCIM(ctx context.Context, tx *txn, typ string, delta int) error {
	if _, err := tx.ExecContext(ctx, `UPDATE scim_counts SET live = live + $1 WHERE type = $2`, delta, typ); err != nil {
		return fmt.Errorf("count %s resources: %w", typ, err)
	}
	return nil
}

// checkSCIMName returns ErrDuplicate if a live User other than res.ID has
// the name. Groups' names are not unique. The literal type and live
// condition match the partial index scim_user_name.
func (s *sqlStore) checkSCIMName(ctx context.Context, tx *txn, res SCIMResource) error {
	if res.Type != SCIMUser {
		return nil
	}
	var other string
	err := tx.QueryRowContext(ctx, `SELECT id FROM scim_resources WHERE type = 'User' AND `+s.d.live+` AND name_key = $1 AND id <> $2`,
		scimNameKey(res.Name), res.ID).Scan(&other)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("check userName %q: %w", res.Name, err)
	}
	return fmt.Errorf("userName %q is taken by User %q: %w", res.Name, other, ErrDuplicate)
}

// touchSCIMUsers gives the live Users among ids the sequence seq.
func (s *sqlStore) touchSCIMUsers(ctx context.Context, tx *txn, seq int64, ids []string) error {
	err := tx.execKeys(ctx, `UPDATE scim_resources SET seq = $1 WHERE type = 'User' AND `+s.d.live+` AND id `+s.d.oneOf(2), []any{seq}, ids,
		func(id string) string { return fmt.Sprintf("User %q", id) })
	if err != nil {
		return fmt.Errorf("touch users: %w", err)
	}
	return nil
}

const scimColumns = `type, id, external_id, name, doc, version, seq, deleted, created_at, modified_at`

func scanSCIM(sc scanner) (SCIMResource, error) {
	var r SCIMResource
	if err := sc.Scan(&r.Type, &r.ID, &r.ExternalID, &r.Name, &r.Doc, &r.Version, &r.Seq, &r.Deleted,
		(*scanTime)(&r.Created), (*scanTime)(&r.Modified)); err != nil {
		return SCIMResource{}, err
	}
	if r.Doc == nil {
		r.Doc = []byte{}
	}
	return r, nil
}

// getSCIM reads the resource typ/id, live or tombstone, in tx.
func getSCIM(ctx context.Context, tx *txn, typ, id string) (SCIMResource, error) {
	r, err := scanSCIM(tx.QueryRowContext(ctx, `SELECT `+scimColumns+` FROM scim_resources WHERE type = $1 AND id = $2`, typ, id))
	if errors.Is(err, sql.ErrNoRows) {
		return SCIMResource{}, ErrNotFound
	}
	return r, err
}

// scimDoc is the document as stored: never nil (the column is NOT NULL) and
// not sharing the caller's array.
func scimDoc(doc []byte) []byte {
	if doc == nil {
		return []byte{}
	}
	return bytes.Clone(doc)
}

// SCIMCreate implements Store.
func (s *sqlStore) SCIMCreate(ctx context.Context, res SCIMResource) (SCIMResource, error) {
	if err := checkSCIM(res); err != nil {
		return SCIMResource{}, fmt.Errorf("store: create SCIM resource: %w", err)
	}
	var out SCIMResource
	err := s.writeSCIM(ctx, func(tx *txn) error {
		t := s.now()
		created := t
		if !res.Created.IsZero() {
			created = s.d.stamp(res.Created)
		}
		out = SCIMResource{
			Type: res.Type, ID: res.ID, ExternalID: res.ExternalID, Name: res.Name, Doc: scimDoc(res.Doc),
			Version: 1, Created: created, Modified: t,
		}
		var exists int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM scim_resources WHERE type = $1 AND id = $2`, res.Type, res.ID).Scan(&exists)
		if err == nil {
			return fmt.Errorf("id is taken: %w", ErrConflict)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := s.checkSCIMName(ctx, tx, res); err != nil {
			return err
		}
		if out.Seq, err = nextSCIMSeq(ctx, tx); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO scim_resources (`+scimColumns+`, name_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			out.Type, out.ID, out.ExternalID, out.Name, out.Doc, out.Version, out.Seq, false,
			s.d.timeArg(out.Created), s.d.timeArg(out.Modified), scimNameKey(out.Name))
		if err != nil {
			return s.d.constraint(err)
		}
		if err := countSCIM(ctx, tx, out.Type, 1); err != nil {
			return err
		}
		return s.reindexSCIM(ctx, tx, SCIMResource{}, out)
	})
	if err != nil {
		return SCIMResource{}, fmt.Errorf("store: create SCIM %s %q: %w", res.Type, res.ID, err)
	}
	return out, nil
}

// SCIMUpdate implements Store.
func (s *sqlStore) SCIMUpdate(ctx context.Context, res SCIMResource, version int64, touch []string) (SCIMResource, error) {
	if err := checkSCIM(res); err != nil {
		return SCIMResource{}, fmt.Errorf("store: update SCIM resource: %w", err)
	}
	var out SCIMResource
	err := s.writeSCIM(ctx, func(tx *txn) error {
		cur, err := getSCIM(ctx, tx, res.Type, res.ID)
		if err != nil {
			return err
		}
		if cur.Deleted {
			return fmt.Errorf("deleted: %w", ErrNotFound)
		}
		if cur.Version != version {
			return fmt.Errorf("version is %d, not %d: %w", cur.Version, version, ErrStale)
		}
		if err := s.checkSCIMName(ctx, tx, res); err != nil {
			return err
		}
		seq, err := nextSCIMSeq(ctx, tx)
		if err != nil {
			return err
		}
		out = SCIMResource{
			Type: cur.Type, ID: cur.ID, ExternalID: res.ExternalID, Name: res.Name, Doc: scimDoc(res.Doc),
			Version: version + 1, Seq: seq, Created: cur.Created, Modified: s.now(),
		}
		_, err = tx.ExecContext(ctx, `UPDATE scim_resources SET external_id = $1, name = $2, name_key = $3, doc = $4, version = $5, seq = $6, modified_at = $7
WHERE type = $8 AND id = $9`, out.ExternalID, out.Name, scimNameKey(out.Name), out.Doc, out.Version, out.Seq, s.d.timeArg(out.Modified), out.Type, out.ID)
		if err != nil {
			return s.d.constraint(err)
		}
		if err := s.reindexSCIM(ctx, tx, cur, out); err != nil {
			return err
		}
		return s.touchSCIMUsers(ctx, tx, seq, touch)
	})
	if err != nil {
		return SCIMResource{}, fmt.Errorf("store: update SCIM %s %q: %w", res.Type, res.ID, err)
	}
	return out, nil
}

// SCIMDelete implements Store.
func (s *sqlStore) SCIMDelete(ctx context.Context, typ, id string, touch []string) error {
	if err := checkSCIMType(typ); err != nil {
		return fmt.Errorf("store: delete SCIM resource: %w", err)
	}
	err := s.writeSCIM(ctx, func(tx *txn) error {
		cur, err := getSCIM(ctx, tx, typ, id)
		if err != nil {
			return err
		}
		if cur.Deleted {
			return fmt.Errorf("already deleted: %w", ErrNotFound)
		}
		seq, err := nextSCIMSeq(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE scim_resources SET deleted = $1, seq = $2, modified_at = $3 WHERE type = $4 AND id = $5`,
			true, seq, s.d.timeArg(s.now()), typ, id); err != nil {
			return err
		}
		if err := countSCIM(ctx, tx, typ, -1); err != nil {
			return err
		}
		gone := cur
		gone.Deleted = true
		if err := s.reindexSCIM(ctx, tx, cur, gone); err != nil {
			return err
		}
		return s.touchSCIMUsers(ctx, tx, seq, touch)
	})
	if err != nil {
		return fmt.Errorf("store: delete SCIM %s %q: %w", typ, id, err)
	}
	return nil
}

// SCIMGet implements Store.
func (s *sqlStore) SCIMGet(ctx context.Context, typ, id string) (SCIMResource, error) {
	if err := checkSCIMType(typ); err != nil {
		return SCIMResource{}, fmt.Errorf("store: read SCIM resource: %w", err)
	}
	r, err := scanSCIM(s.r.QueryRowContext(ctx, `SELECT `+scimColumns+` FROM scim_resources WHERE type = $1 AND id = $2 AND `+s.d.live, typ, id))
	if errors.Is(err, sql.ErrNoRows) {
		return SCIMResource{}, fmt.Errorf("store: read SCIM %s %q: %w", typ, id, ErrNotFound)
	}
	if err != nil {
		return SCIMResource{}, fmt.Errorf("store: read SCIM %s %q: %w", typ, id, err)
	}
	return r, nil
}

// SCIMList implements Store.
func (s *sqlStore) SCIMList(ctx context.Context, typ string) ([]SCIMResource, error) {
	if err := checkSCIMType(typ); err != nil {
		return nil, fmt.Errorf("store: list SCIM resources: %w", err)
	}
	// The literal live condition, so that the partial index scim_live
	// applies.
	list, err := queryAll(ctx, s.r, scanSCIM, `SELECT `+scimColumns+` FROM scim_resources WHERE type = $1 AND `+s.d.live+` ORDER BY created_at, id`, typ)
	if err != nil {
		return nil, fmt.Errorf("store: list SCIM %s resources: %w", typ, err)
	}
	return list, nil
}

// SCIMFind implements Store.
func (s *sqlStore) SCIMFind(ctx context.Context, typ string, field SCIMField, value string) ([]SCIMResource, error) {
	if err := checkSCIMType(typ); err != nil {
		return nil, fmt.Errorf("store: find SCIM resources: %w", err)
	}
	column, bound, err := scimFindWhere(field, value)
	if err != nil {
		return nil, fmt.Errorf("store: find SCIM resources: %w", err)
	}
	// Cleaned as PostgreSQL's text must be (no NUL, valid UTF-8), so that
	// an odd value from a filter is looked up rather than refused.
	list, err := queryAll(ctx, s.r, scanSCIM, `SELECT `+scimColumns+` FROM scim_resources WHERE type = $1 AND `+column+` = $2 AND `+s.d.live, typ, s.d.text(bound))
	if err != nil {
		return nil, fmt.Errorf("store: find SCIM %s by %s: %w", typ, field, err)
	}
	sortSCIM(list)
	return list, nil
}

// SCIMChanged implements Store. One statement, so one snapshot; the
// highest Seq in the store is that of the last row returned: the sequence
// counter never runs ahead of the rows, since every transaction that takes
// a sequence writes it to a row.
func (s *sqlStore) SCIMChanged(ctx context.Context, since int64) ([]SCIMResource, int64, error) {
	list, err := queryAll(ctx, s.r, scanSCIM, `SELECT `+scimColumns+` FROM scim_resources WHERE seq > $1 ORDER BY seq, type, id`, since)
	if err != nil {
		return nil, 0, fmt.Errorf("store: read SCIM changes since %d: %w", since, err)
	}
	hi := max(since, 0)
	if n := len(list); n > 0 && list[n-1].Seq > hi {
		hi = list[n-1].Seq
	}
	return list, hi, nil
}
