package store

import (
	"context"
	"database/sql"
	"strings"
)

// SCIMQuery's statements are prepared once on the read pool and run in its
// transaction through Tx.StmtContext (prepared again on a connection at
// most once): database/sql with the SQLite driver otherwise parses a
// statement's text on every call, which was a fifth of the CPU of a GET by
// userName among 100,000 users. Their text depends on the filter's shape,
// not on its values (those are arguments), so the shapes an identity
// provider sends are few; past scimStmtMax of them, a statement runs as
// text. They are kept in the store's map of prepared statements (stmts,
// under their own key prefix), which Close closes.
//
// A statement is prepared after the transaction that first ran it as text
// has ended, and never with stmtMu held: preparing takes a connection of
// the read pool, and transactions waiting for one to be free while holding
// theirs (or for stmtMu, held by the one preparing) would wait for each
// other forever once the pool is busy.
const (
	scimStmtMax    = 64
	scimStmtPrefix = "scim-read\x00"
)

// scimStmt returns query's prepared statement, or nil.
func (s *sqlStore) scimStmt(query string) *sql.Stmt {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	return s.stmts[scimStmtPrefix+query]
}

// scimPrepare prepares those of queries that are not yet, while there is
// room; one that does not prepare is left to run as text. The caller must
// hold no connection of the read pool (no transaction open).
func (s *sqlStore) scimPrepare(ctx context.Context, queries []string) {
	for _, query := range queries {
		key := scimStmtPrefix + query
		s.stmtMu.Lock()
		_, have := s.stmts[key]
		closed := s.stmts == nil && s.stmtsOK
		full := s.scimStmtCount() >= scimStmtMax
		s.stmtMu.Unlock()
		if have || closed || full {
			continue
		}
		st, err := s.r.PrepareContext(ctx, query)
		if err != nil {
			continue
		}
		s.stmtMu.Lock()
		switch {
		case s.stmts == nil && s.stmtsOK: // closed meanwhile
			_ = st.Close()
		case s.stmts[key] != nil: // prepared by another meanwhile
			_ = st.Close()
		default:
			if s.stmts == nil {
				s.stmts = map[string]*sql.Stmt{}
			}
			s.stmts[key] = st
		}
		s.stmtMu.Unlock()
	}
}

// scimStmtCount is the number of SCIM read statements kept; stmtMu held.
func (s *sqlStore) scimStmtCount() int {
	n := 0
	for k := range s.stmts {
		if strings.HasPrefix(k, scimStmtPrefix) {
			n++
		}
	}
	return n
}

// scimTx is a read transaction of SCIMQuery whose queries run through the
// store's prepared statements; missed are those that ran as text, for
// scimPrepare once the transaction has ended.
//
// On SQLite, typ (when set, the resource type, 'User' or 'Group' as
// checkSCIMType allows) is written into the text in place of $1: compared
// as a parameter with the partial index scim_user_name's "type = 'User'",
// $1 makes SQLite prepare the statement again each time a value is bound
// to it (its plan may depend on the value), which cost as much as not
// preparing it at all. Bound by number, the unused $1 is no error there;
// PostgreSQL, which would refuse it, plans a prepared statement its own
// way and keeps $1.
type scimTx struct {
	*sql.Tx
	s      *sqlStore
	typ    string
	missed []string
}

// text is query with typ in place of $1 (not of $10, $11, …).
func (t *scimTx) text(query string) string {
	if t.typ == "" {
		return query
	}
	var b strings.Builder
	for {
		i := strings.Index(query, "$1")
		if i < 0 {
			b.WriteString(query)
			return b.String()
		}
		if j := i + 2; j < len(query) && query[j] >= '0' && query[j] <= '9' {
			b.WriteString(query[:j])
			query = query[j:]
			continue
		}
		b.WriteString(query[:i])
		b.WriteString("'" + t.typ + "'")
		query = query[i+2:]
	}
}

// QueryContext implements querier.
func (t *scimTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query, st := t.stmt(ctx, query)
	if st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext is sql.Tx's, through the prepared statement.
func (t *scimTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	query, st := t.stmt(ctx, query)
	if st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

// stmt is query's text in this transaction (text) and its prepared
// statement bound to the transaction; nil when there is none yet, the text
// then kept in missed to be prepared once the transaction has ended.
func (t *scimTx) stmt(ctx context.Context, query string) (string, *sql.Stmt) {
	query = t.text(query)
	if st := t.s.scimStmt(query); st != nil {
		return query, t.StmtContext(ctx, st)
	}
	t.missed = append(t.missed, query)
	return query, nil
}

// scimQueryRow runs query outside any transaction, through its prepared
// statement (prepared now if it is not yet).
func (s *sqlStore) scimQueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st := s.scimStmt(query)
	if st == nil {
		s.scimPrepare(ctx, []string{query})
		st = s.scimStmt(query)
	}
	if st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.r.QueryRowContext(ctx, query, args...)
}
