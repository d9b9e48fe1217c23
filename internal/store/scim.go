package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
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

// scimNameKey is the form in which User names are compared.
func scimNameKey(name string) string { return strings.ToLower(name) }

// nextSCIMSeq takes the next store-wide SCIM sequence in tx.
func nextSCIMSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var seq int64
	if err := tx.QueryRowContext(ctx, `UPDATE scim_sequence SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("next sequence: %w", err)
	}
	return seq, nil
}

// checkSCIMName returns ErrDuplicate if a live User other than id has the
// name. Groups' names are not unique. The literal type and deleted match
// the partial index scim_user_name.
func checkSCIMName(ctx context.Context, tx *sql.Tx, res SCIMResource) error {
	if res.Type != SCIMUser {
		return nil
	}
	var other string
	err := tx.QueryRowContext(ctx, `SELECT id FROM scim_resources WHERE type = 'User' AND deleted = 0 AND name_key = ? AND id <> ?`,
		scimNameKey(res.Name), res.ID).Scan(&other)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("check userName %q: %w", res.Name, err)
	}
	return fmt.Errorf("userName %q is taken by User %q: %w", res.Name, other, ErrDuplicate)
}

// scimConstraint maps a SQLite constraint failure on scim_resources to the
// store's sentinel: the unique userName index to ErrDuplicate, the primary
// key to ErrConflict. The writes check both first, inside the write
// transaction, so this only keeps a missed case from surfacing as a bare
// driver error.
func scimConstraint(err error) error {
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

// touchSCIMUsers gives the live Users among ids the sequence seq.
func touchSCIMUsers(ctx context.Context, tx *sql.Tx, seq int64, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `UPDATE scim_resources SET seq = ? WHERE type = 'User' AND id = ? AND deleted = 0`)
	if err != nil {
		return fmt.Errorf("touch users: %w", err)
	}
	defer stmt.Close()
	for _, id := range ids {
		if _, err := stmt.ExecContext(ctx, seq, id); err != nil {
			return fmt.Errorf("touch User %q: %w", id, err)
		}
	}
	return nil
}

const scimColumns = `type, id, external_id, name, doc, version, seq, deleted, created_at, modified_at`

func scanSCIM(sc scanner) (SCIMResource, error) {
	var r SCIMResource
	var created, modified int64
	if err := sc.Scan(&r.Type, &r.ID, &r.ExternalID, &r.Name, &r.Doc, &r.Version, &r.Seq, &r.Deleted, &created, &modified); err != nil {
		return SCIMResource{}, err
	}
	if r.Doc == nil {
		r.Doc = []byte{}
	}
	r.Created, r.Modified = fromNanos(created), fromNanos(modified)
	return r, nil
}

func querySCIM(ctx context.Context, q querier, query string, args ...any) ([]SCIMResource, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []SCIMResource
	for rows.Next() {
		r, err := scanSCIM(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, r)
	}
	return list, rows.Err()
}

// getSCIM reads the resource typ/id, live or tombstone, in tx.
func getSCIM(ctx context.Context, tx *sql.Tx, typ, id string) (SCIMResource, error) {
	r, err := scanSCIM(tx.QueryRowContext(ctx, `SELECT `+scimColumns+` FROM scim_resources WHERE type = ? AND id = ?`, typ, id))
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
func (s *SQLite) SCIMCreate(ctx context.Context, res SCIMResource) (SCIMResource, error) {
	if err := checkSCIM(res); err != nil {
		return SCIMResource{}, fmt.Errorf("store: create SCIM resource: %w", err)
	}
	t := now()
	created := t
	if !res.Created.IsZero() {
		created = res.Created.UTC().UnixNano()
	}
	out := SCIMResource{
		Type: res.Type, ID: res.ID, ExternalID: res.ExternalID, Name: res.Name, Doc: scimDoc(res.Doc),
		Version: 1, Created: fromNanos(created), Modified: fromNanos(t),
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var exists int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM scim_resources WHERE type = ? AND id = ?`, res.Type, res.ID).Scan(&exists)
		if err == nil {
			return fmt.Errorf("id is taken: %w", ErrConflict)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := checkSCIMName(ctx, tx, res); err != nil {
			return err
		}
		if out.Seq, err = nextSCIMSeq(ctx, tx); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO scim_resources (`+scimColumns+`, name_key) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`,
			out.Type, out.ID, out.ExternalID, out.Name, out.Doc, out.Version, out.Seq, created, t, scimNameKey(out.Name))
		return scimConstraint(err)
	})
	if err != nil {
		return SCIMResource{}, fmt.Errorf("store: create SCIM %s %q: %w", res.Type, res.ID, err)
	}
	return out, nil
}

// SCIMUpdate implements Store.
func (s *SQLite) SCIMUpdate(ctx context.Context, res SCIMResource, version int64, touch []string) (SCIMResource, error) {
	if err := checkSCIM(res); err != nil {
		return SCIMResource{}, fmt.Errorf("store: update SCIM resource: %w", err)
	}
	var out SCIMResource
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
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
		if err := checkSCIMName(ctx, tx, res); err != nil {
			return err
		}
		seq, err := nextSCIMSeq(ctx, tx)
		if err != nil {
			return err
		}
		t := now()
		out = SCIMResource{
			Type: cur.Type, ID: cur.ID, ExternalID: res.ExternalID, Name: res.Name, Doc: scimDoc(res.Doc),
			Version: version + 1, Seq: seq, Created: cur.Created, Modified: fromNanos(t),
		}
		_, err = tx.ExecContext(ctx, `UPDATE scim_resources SET external_id = ?, name = ?, name_key = ?, doc = ?, version = ?, seq = ?, modified_at = ?
WHERE type = ? AND id = ?`, out.ExternalID, out.Name, scimNameKey(out.Name), out.Doc, out.Version, out.Seq, t, out.Type, out.ID)
		if err != nil {
			return scimConstraint(err)
		}
		return touchSCIMUsers(ctx, tx, seq, touch)
	})
	if err != nil {
		return SCIMResource{}, fmt.Errorf("store: update SCIM %s %q: %w", res.Type, res.ID, err)
	}
	return out, nil
}

// SCIMDelete implements Store.
func (s *SQLite) SCIMDelete(ctx context.Context, typ, id string, touch []string) error {
	if err := checkSCIMType(typ); err != nil {
		return fmt.Errorf("store: delete SCIM resource: %w", err)
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
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
		if _, err := tx.ExecContext(ctx, `UPDATE scim_resources SET deleted = 1, seq = ?, modified_at = ? WHERE type = ? AND id = ?`,
			seq, now(), typ, id); err != nil {
			return err
		}
		return touchSCIMUsers(ctx, tx, seq, touch)
	})
	if err != nil {
		return fmt.Errorf("store: delete SCIM %s %q: %w", typ, id, err)
	}
	return nil
}

// SCIMGet implements Store.
func (s *SQLite) SCIMGet(ctx context.Context, typ, id string) (SCIMResource, error) {
	if err := checkSCIMType(typ); err != nil {
		return SCIMResource{}, fmt.Errorf("store: read SCIM resource: %w", err)
	}
	r, err := scanSCIM(s.r.QueryRowContext(ctx, `SELECT `+scimColumns+` FROM scim_resources WHERE type = ? AND id = ? AND deleted = 0`, typ, id))
	if errors.Is(err, sql.ErrNoRows) {
		return SCIMResource{}, fmt.Errorf("store: read SCIM %s %q: %w", typ, id, ErrNotFound)
	}
	if err != nil {
		return SCIMResource{}, fmt.Errorf("store: read SCIM %s %q: %w", typ, id, err)
	}
	return r, nil
}

// SCIMList implements Store.
func (s *SQLite) SCIMList(ctx context.Context, typ string) ([]SCIMResource, error) {
	if err := checkSCIMType(typ); err != nil {
		return nil, fmt.Errorf("store: list SCIM resources: %w", err)
	}
	// Literal deleted = 0, so that the partial index scim_live applies.
	list, err := querySCIM(ctx, s.r, `SELECT `+scimColumns+` FROM scim_resources WHERE type = ? AND deleted = 0 ORDER BY created_at, id`, typ)
	if err != nil {
		return nil, fmt.Errorf("store: list SCIM %s resources: %w", typ, err)
	}
	return list, nil
}

// SCIMFind implements Store.
func (s *SQLite) SCIMFind(ctx context.Context, typ string, field SCIMField, value string) ([]SCIMResource, error) {
	if err := checkSCIMType(typ); err != nil {
		return nil, fmt.Errorf("store: find SCIM resources: %w", err)
	}
	column, bound, err := scimFindWhere(field, value)
	if err != nil {
		return nil, fmt.Errorf("store: find SCIM resources: %w", err)
	}
	list, err := querySCIM(ctx, s.r, `SELECT `+scimColumns+` FROM scim_resources WHERE type = ? AND `+column+` = ? AND deleted = 0`, typ, bound)
	if err != nil {
		return nil, fmt.Errorf("store: find SCIM %s by %s: %w", typ, field, err)
	}
	sortSCIM(list)
	return list, nil
}

// SCIMChanged implements Store. The highest Seq in the store is that of the
// last row returned: the sequence counter never runs ahead of the rows,
// since every transaction that takes a sequence writes it to a row.
func (s *SQLite) SCIMChanged(ctx context.Context, since int64) ([]SCIMResource, int64, error) {
	list, err := querySCIM(ctx, s.r, `SELECT `+scimColumns+` FROM scim_resources WHERE seq > ? ORDER BY seq, type, id`, since)
	if err != nil {
		return nil, 0, fmt.Errorf("store: read SCIM changes since %d: %w", since, err)
	}
	hi := max(since, 0)
	if n := len(list); n > 0 && list[n-1].Seq > hi {
		hi = list[n-1].Seq
	}
	return list, hi, nil
}
