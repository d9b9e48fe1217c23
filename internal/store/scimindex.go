package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The index of SCIM attributes that SCIMQuery answers from.
//
// Why side tables rather than more columns: emails is multi-valued (and
// the value path emails[type eq "work" and value eq "…"] asks for one
// element's value and type together), so it needs a row per element;
// userName and displayName take the same table so that every string
// attribute is queried one way. Each row of scim_attrs is one value of one
// attribute of one resource: (type, id, attr, tag, value), value
// lower-cased in Go as RFC 7643 says of these attributes (caseExact
// false; strings.ToLower rather than the database's lower(), which
// depends on its locale) and tag the e-mail's type, lower-cased. The
// B-tree on (type, attr, value) answers eq, gt/ge/lt/le and sw (a range
// from the prefix to its successor: no LIKE, so no escaping and no
// collation surprises).
//
// co and ew cannot use that B-tree: scim_grams holds, for each (type,
// attr, id), the distinct trigrams (three runes) of its values. A
// substring of three runes or more is looked up by its rarest trigram
// (counted, up to a cap, in the B-tree of scim_grams), and the few
// candidates are checked against the value with LIKE. A trigram table of
// our own rather than PostgreSQL's pg_trgm (an extension a managed
// database may not offer) or SQLite's FTS5: one design, one SQL, for both
// databases, and the same storetest proves both.
//
// id, externalId, meta.created and meta.lastModified are columns of
// scim_resources, with B-trees: the primary key, scim_external_live,
// scim_page (type, deleted, created_at, id, modified_at: the order of
// every list) and scim_modified (type, deleted, modified_at, created_at,
// id: Okta's incremental import asks for meta.lastModified gt), the last
// two holding what a page filtered on a time reads (SQLite migration 7).
// scim_counts holds the number of live resources of each type, which the
// create and the delete change in their transaction: an unfiltered page's
// totalResults.
//
// The rows are written in the transaction of the write they index: a
// create inserts them, an update deletes the rows that no longer hold and
// inserts the new ones (most updates, a PATCH of active, touch none), a
// delete removes them (tombstones are never listed). Values longer than
// scimIndexMax bytes are indexed by their first scimIndexMax bytes: a
// PostgreSQL B-tree entry must fit a third of a page. Comparisons with
// such long values are refused (the endpoint then filters the stored
// documents itself), which keeps eq, sw and the ordered comparisons
// exact; co and ew miss a match that lies wholly beyond the first
// scimIndexMax bytes of a value (no userName or e-mail address is that
// long: RFC 5321 bounds an address to 254 octets).

// scimIndexMax is the length in bytes up to which a value is indexed;
// scimQueryMax the longest value a comparison takes.
const (
	scimIndexMax = 1000
	scimQueryMax = scimIndexMax - utf8.UTFMax
)

// scimSortMax is the most matches SCIMQuery reads through the condition's
// index and sorts, rather than walking the collection in order; a
// condition on the columns' own B-trees is sorted as long as its matches
// are at most one in scimSortRatio of the live resources (see SCIMQuery).
var (
	scimSortMax   = 5000
	scimSortRatio = 5
)

// gramCap bounds the count of one trigram's rows when choosing the rarest:
// past it, a trigram is as good as any other as common.
const gramCap = 2000

// scimAttrRow is one row of scim_attrs, without the resource's type and id.
type scimAttrRow struct {
	attr, tag, value string
}

// scimGramRow is one row of scim_grams, without the type and id.
type scimGramRow struct {
	attr, gram string
}

// scimIndexOf is the index rows of a resource: those of its document's
// userName, displayName and emails, as the endpoint's matcher reads them
// (a key found case-insensitively, exact match first). A document that
// does not decode indexes nothing (the endpoint cannot read it either).
func scimIndexOf(res SCIMResource) ([]scimAttrRow, []scimGramRow) {
	if res.Deleted || len(res.Doc) == 0 {
		return nil, nil
	}
	var doc map[string]any
	if err := json.Unmarshal(res.Doc, &doc); err != nil {
		return nil, nil
	}
	var rows []scimAttrRow
	add := func(attr, tag string, v any) {
		if s, ok := v.(string); ok {
			rows = append(rows, scimAttrRow{attr: attr, tag: tag, value: indexValue(s)})
		}
	}
	if res.Type == SCIMUser {
		if v, ok := DocLookup(doc, "userName"); ok {
			add(string(SCIMAttrUserName), "", v)
		}
	}
	if v, ok := DocLookup(doc, "displayName"); ok {
		add(string(SCIMAttrDisplayName), "", v)
	}
	if v, ok := DocLookup(doc, "emails"); ok && res.Type == SCIMUser {
		for _, e := range docList(v) {
			m, ok := e.(map[string]any)
			if !ok {
				continue
			}
			value, ok := DocLookup(m, "value")
			if !ok {
				continue
			}
			tag := ""
			if t, ok := DocLookup(m, "type"); ok {
				if s, ok := t.(string); ok {
					tag = indexValue(s)
				}
			}
			add(string(SCIMAttrEmails), tag, value)
		}
	}
	slices.SortFunc(rows, compareAttrRows)
	rows = slices.Compact(rows)

	var grams []scimGramRow
	for _, r := range rows {
		for _, g := range trigrams(r.value) {
			grams = append(grams, scimGramRow{attr: r.attr, gram: g})
		}
	}
	slices.SortFunc(grams, func(a, b scimGramRow) int {
		return strings.Compare(a.attr+"\x00"+a.gram, b.attr+"\x00"+b.gram)
	})
	return rows, slices.Compact(grams)
}

func compareAttrRows(a, b scimAttrRow) int {
	if c := strings.Compare(a.attr, b.attr); c != 0 {
		return c
	}
	if c := strings.Compare(a.tag, b.tag); c != 0 {
		return c
	}
	return strings.Compare(a.value, b.value)
}

// indexValue is a value as indexed: lower-cased and cut to scimIndexMax
// bytes at a rune boundary.
func indexValue(s string) string {
	s = strings.ToLower(s)
	if len(s) <= scimIndexMax {
		return s
	}
	cut := scimIndexMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// DocLookup finds a key of a SCIM document case-insensitively (RFC 7643
// §2.1), preferring an exact match and, among keys differing only in case,
// the smallest, so that the result does not depend on map order. The
// index and the endpoint's matcher both use it, so that they agree.
func DocLookup(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	found, best := false, ""
	for k := range m {
		if strings.EqualFold(k, name) && (!found || k < best) {
			found, best = true, k
		}
	}
	return m[best], found
}

// docList is a multi-valued attribute's elements (one for a single value).
func docList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// trigrams are the distinct sequences of three runes in s.
func trigrams(s string) []string {
	var starts []int
	for i := range s {
		starts = append(starts, i)
	}
	if len(starts) < 3 {
		return nil
	}
	starts = append(starts, len(s))
	out := make([]string, 0, len(starts)-3)
	for i := 0; i+3 < len(starts); i++ {
		out = append(out, s[starts[i]:starts[i+3]])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// reindexSCIM brings the index rows of a resource from those of before (a
// zero SCIMResource: none) to those of after (a tombstone: none), in tx.
func (s *sqlStore) reindexSCIM(ctx context.Context, tx *txn, before, after SCIMResource) error {
	typ, id := after.Type, after.ID
	oldRows, oldGrams := scimIndexOf(before)
	newRows, newGrams := scimIndexOf(after)
	delRows, addRows := diffSorted(oldRows, newRows, compareAttrRows)
	gramCmp := func(a, b scimGramRow) int { return strings.Compare(a.attr+"\x00"+a.gram, b.attr+"\x00"+b.gram) }
	delGrams, addGrams := diffSorted(oldGrams, newGrams, gramCmp)
	what := func(i int) string { return fmt.Sprintf("index %s %q", typ, id) }

	if err := tx.execEach(ctx, `DELETE FROM scim_attrs WHERE type = $1 AND id = $2 AND attr = $3 AND tag = $4 AND value = $5`, rowSource{
		n: len(delRows), width: 5, what: what,
		fill: func(i int, a []any) error {
			a[0], a[1], a[2], a[3], a[4] = typ, id, delRows[i].attr, s.d.text(delRows[i].tag), s.d.text(delRows[i].value)
			return nil
		},
	}); err != nil {
		return fmt.Errorf("unindex: %w", err)
	}
	if err := tx.execEach(ctx, `DELETE FROM scim_grams WHERE type = $1 AND attr = $2 AND gram = $3 AND id = $4`, rowSource{
		n: len(delGrams), width: 4, what: what,
		fill: func(i int, a []any) error {
			a[0], a[1], a[2], a[3] = typ, delGrams[i].attr, s.d.text(delGrams[i].gram), id
			return nil
		},
	}); err != nil {
		return fmt.Errorf("unindex: %w", err)
	}
	return s.insertIndex(ctx, tx, typ, id, addRows, addGrams)
}

// insertIndex writes index rows of the resource typ/id.
func (s *sqlStore) insertIndex(ctx context.Context, tx *txn, typ, id string, rows []scimAttrRow, grams []scimGramRow) error {
	// PostgreSQL's text refuses NUL: cleaned as every value and query is,
	// rows that differed only by it may now be one.
	if s.d.rowLocks {
		for i := range rows {
			rows[i].tag, rows[i].value = s.d.text(rows[i].tag), s.d.text(rows[i].value)
		}
		slices.SortFunc(rows, compareAttrRows)
		rows = slices.Compact(rows)
		for i := range grams {
			grams[i].gram = s.d.text(grams[i].gram)
		}
		slices.SortFunc(grams, func(a, b scimGramRow) int { return strings.Compare(a.attr+"\x00"+a.gram, b.attr+"\x00"+b.gram) })
		grams = slices.Compact(grams)
	}
	if err := insertRows(ctx, tx, "scim_attrs", []string{"type", "id", "attr", "tag", "value"}, len(rows), func(i int) []any {
		return []any{typ, id, rows[i].attr, rows[i].tag, rows[i].value}
	}); err != nil {
		return fmt.Errorf("index %s %q: %w", typ, id, err)
	}
	if err := insertRows(ctx, tx, "scim_grams", []string{"type", "attr", "gram", "id"}, len(grams), func(i int) []any {
		return []any{typ, grams[i].attr, grams[i].gram, id}
	}); err != nil {
		return fmt.Errorf("index %s %q: %w", typ, id, err)
	}
	return nil
}

// insertRowsChunk is how many rows one INSERT of insertRows writes.
const insertRowsChunk = 100

// insertRows writes n rows (row(i) the values of row i) into the columns
// of table, many rows a statement: the forty-odd rows a resource's
// trigrams make cost one statement, not forty (a statement costs SQLite
// tens of µs whatever its size, and PostgreSQL a round trip).
func insertRows(ctx context.Context, tx *txn, table string, columns []string, n int, row func(i int) []any) error {
	for start := 0; start < n; start += insertRowsChunk {
		end := min(start+insertRowsChunk, n)
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ")
		args := make([]any, 0, (end-start)*len(columns))
		for i := start; i < end; i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j, v := range row(i) {
				if j > 0 {
					b.WriteString(", ")
				}
				args = append(args, v)
				b.WriteString("$" + strconv.Itoa(len(args)))
			}
			b.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// diffSorted returns what is in a and not in b, and what is in b and not
// in a, of two sorted lists without duplicates.
func diffSorted[T any](a, b []T, cmp func(T, T) int) (onlyA, onlyB []T) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b):
			onlyA = append(onlyA, a[i])
			i++
		case i == len(a):
			onlyB = append(onlyB, b[j])
			j++
		default:
			switch c := cmp(a[i], b[j]); {
			case c < 0:
				onlyA = append(onlyA, a[i])
				i++
			case c > 0:
				onlyB = append(onlyB, b[j])
				j++
			default:
				i++
				j++
			}
		}
	}
	return onlyA, onlyB
}

// backfillSCIMIndex indexes every live resource: the migration that adds
// the index runs it, in its transaction, on a database whose resources
// were stored before. The documents are read in pages by key, so that
// their rows are not all held at once.
func backfillSCIMIndex(ctx context.Context, s *sqlStore, tx *txn) error {
	const page = 500
	lastType, lastID := "", ""
	for {
		list, err := queryAll(ctx, tx, scanSCIM, `SELECT `+scimColumns+` FROM scim_resources
WHERE `+s.d.live+` AND (type > $1 OR (type = $1 AND id > $2)) ORDER BY type, id LIMIT `+strconv.Itoa(page), lastType, lastID)
		if err != nil {
			return fmt.Errorf("backfill the SCIM index: %w", err)
		}
		for _, res := range list {
			rows, grams := scimIndexOf(res)
			if err := s.insertIndex(ctx, tx, res.Type, res.ID, rows, grams); err != nil {
				return fmt.Errorf("backfill the SCIM index: %w", err)
			}
		}
		if len(list) < page {
			return nil
		}
		lastType, lastID = list[len(list)-1].Type, list[len(list)-1].ID
	}
}

// SCIMQuery implements Store.
//
// A condition on the resources' own columns alone (meta.created,
// meta.lastModified, id, externalId, and ands of them) is one WHERE on
// scim_resources, which its B-trees answer. Any other becomes the set of
// the matching ids, written as SQL set operations: each comparison is a
// SELECT of ids from an index (scim_attrs, scim_grams, or the columns'
// B-trees), and becomes INTERSECT, or UNION, not the live ids EXCEPT it.
// Set operations rather than a WHERE of IN subqueries because SQLite,
// which keeps no statistics, would otherwise walk every resource testing
// each against the subqueries.
//
// totalResults is the count of the matches; with no condition it is the
// row of scim_counts the writes keep, not a count of the collection. The
// count and the page are read in one snapshot, so that they agree.
func (s *sqlStore) SCIMQuery(ctx context.Context, typ string, where *SCIMFilter, offset, limit int) ([]SCIMResource, int, error) {
	if err := checkSCIMType(typ); err != nil {
		return nil, 0, fmt.Errorf("store: query SCIM resources: %w", err)
	}
	offset = max(offset, 0)
	q := &scimQuery{s: s, args: []any{typ}}
	// cond is the condition on the columns, set the set of ids; both ""
	// if there is no condition.
	var cond, set string
	if where != nil {
		c, ok, err := q.cond(where)
		switch {
		case err != nil:
			return nil, 0, fmt.Errorf("store: query SCIM %s resources: %w", typ, err)
		case ok:
			cond = c
		default:
			q = &scimQuery{s: s, args: []any{typ}}
			if set, err = q.set(ctx, where); err != nil {
				return nil, 0, fmt.Errorf("store: query SCIM %s resources: %w", typ, err)
			}
		}
	}
	rtx, err := s.r.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("store: query SCIM %s resources: %w", typ, err)
	}
	tx := &scimTx{Tx: rtx, s: s}
	if s.d.name == "sqlite" {
		tx.typ = typ // checked above: 'User' or 'Group'
	}
	defer func() {
		_ = rtx.Rollback()
		s.scimPrepare(ctx, tx.missed) // its connection freed first (scimstmt.go)
	}()
	live := `FROM scim_resources WHERE type = $1 AND ` + s.d.live
	count := `SELECT live FROM scim_counts WHERE type = $1`
	switch {
	case cond != "":
		count = `SELECT count(*) ` + live + ` AND ` + cond
	case set != "":
		count = `SELECT count(*) FROM (` + set + `) m`
	}
	var total int
	if err := tx.QueryRowContext(ctx, count, q.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count SCIM %s resources: %w", typ, err)
	}
	if limit <= 0 || offset >= total {
		return []SCIMResource{}, total, nil
	}

	// The page's keys first, from indexes alone, then only their rows:
	// skipping rows costs index entries, not documents. The keys are
	// read from the nearer end of the order: a page in the second half
	// is the same rows counted from the end (the snapshot's total is
	// exact), so that at most half the matches are skipped.
	dir, lim, off := "", limit, offset
	if total-offset-limit < offset {
		dir = " DESC"
		lim = min(limit, total-offset)
		off = total - offset - lim
	}
	n := len(q.args)
	page := ` LIMIT $` + strconv.Itoa(n+1) + ` OFFSET $` + strconv.Itoa(n+2)
	order := func(prefix string) string {
		return ` ORDER BY ` + prefix + `created_at` + dir + `, ` + prefix + `id` + dir
	}
	sorted := total <= scimSortMax
	if cond != "" && !sorted {
		// Walking scim_page costs up to one index entry per live resource
		// (the matches may all be at the end, as the changes since a
		// time are), sorting the matches about four each (measured at
		// 100,000 on SQLite): sorted while that is the cheaper.
		var all int
		if err := tx.QueryRowContext(ctx, `SELECT live FROM scim_counts WHERE type = $1`, typ).Scan(&all); err != nil {
			return nil, 0, fmt.Errorf("store: count SCIM %s resources: %w", typ, err)
		}
		sorted = total*scimSortRatio <= all
	}
	var keys string
	switch {
	case cond == "" && set == "":
		// scim_page (type, deleted, created_at, id, …) walked in order.
		keys = `SELECT id ` + live + order("") + page
	case cond != "" && sorted:
		// Few: the matches' keys from the condition's index (scim_modified
		// holds created_at and id), sorted. MATERIALIZED, so that neither
		// database walks scim_page in order instead, checking every
		// resource before the matches (Okta's lastModified gt asks for
		// the newest).
		keys = `WITH m AS MATERIALIZED (SELECT id, created_at ` + live + ` AND ` + cond + `) SELECT id FROM m` + order("") + page
	case cond != "":
		// Many: scim_page walked in order, its modified_at checked in it,
		// stopping at the page's end.
		keys = `SELECT id ` + live + ` AND ` + cond + order("") + page
	case sorted:
		// Few: looked up by key and sorted.
		keys = `SELECT r.id FROM (` + set + `) m CROSS JOIN scim_resources r WHERE r.type = $1 AND r.id = m.id` + order("r.") + page
	default:
		keys = `SELECT id ` + live + ` AND id IN (SELECT id FROM (` + set + `) m)` + order("") + page
	}
	args := append(q.args, lim, off)
	list, err := queryAll(ctx, tx, scanSCIM, `SELECT `+scimColumns+` FROM scim_resources WHERE type = $1 AND id IN (`+keys+`)
ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: query SCIM %s resources: %w", typ, err)
	}
	if list == nil {
		list = []SCIMResource{}
	}
	return list, total, nil
}

// scimQuery builds the set of ids a SCIMQuery's condition selects, with
// its arguments ($1 is the type). Every set it makes holds live ids only,
// once each (scim_attrs holds the rows of live resources only).
type scimQuery struct {
	s     *sqlStore
	args  []any
	alias int
}

func (q *scimQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// live is the set of the live ids of the type.
func (q *scimQuery) live() string {
	return "SELECT id FROM scim_resources WHERE type = $1 AND " + q.s.d.live
}

// ids opens the set of the ids in a subquery of scim_attrs, each once:
// looked up by key in scim_resources, rather than DISTINCT, which leads
// SQLite to read scim_attrs in key order, all of the type.
func (q *scimQuery) ids() string {
	return "SELECT id FROM scim_resources WHERE type = $1 AND id IN ("
}

// columns is the set of the live ids whose columns meet cond.
func (q *scimQuery) columns(cond string) string {
	return q.live() + " AND " + cond
}

// operand is a set as an operand of a set operation: SQLite takes no
// parenthesized compound SELECT there, but any in a FROM.
func (q *scimQuery) operand(set string) string {
	q.alias++
	return "SELECT id FROM (" + set + ") s" + strconv.Itoa(q.alias)
}

func (q *scimQuery) set(ctx context.Context, f *SCIMFilter) (string, error) {
	if f == nil {
		return "", fmt.Errorf("a nil condition")
	}
	switch f.Op {
	case SCIMAnd, SCIMOr:
		if len(f.Args) < 2 {
			return "", fmt.Errorf("%s of %d conditions", f.Op, len(f.Args))
		}
		parts := make([]string, len(f.Args))
		for i, a := range f.Args {
			c, err := q.set(ctx, a)
			if err != nil {
				return "", err
			}
			parts[i] = q.operand(c)
		}
		op := " INTERSECT "
		if f.Op == SCIMOr {
			op = " UNION "
		}
		return strings.Join(parts, op), nil
	case SCIMNot:
		if len(f.Args) != 1 {
			return "", fmt.Errorf("not of %d conditions", len(f.Args))
		}
		c, err := q.set(ctx, f.Args[0])
		if err != nil {
			return "", err
		}
		return q.live() + " EXCEPT " + q.operand(c), nil
	}
	if f.Attr != SCIMAttrEmails && f.Tag != "" {
		return "", fmt.Errorf("a type (%q) on %s", f.Tag, f.Attr)
	}
	switch f.Attr {
	case SCIMAttrUserName, SCIMAttrDisplayName, SCIMAttrEmails:
		return q.attrSet(ctx, f)
	}
	cond, err := q.columnCond(f)
	if err != nil {
		return "", err
	}
	return q.columns(cond), nil
}

// cond is f as one condition on the columns of scim_resources, if it is
// a comparison of a column or an and of such (ok false otherwise, with
// nothing bound).
func (q *scimQuery) cond(f *SCIMFilter) (string, bool, error) {
	var leaves []*SCIMFilter
	var walk func(f *SCIMFilter) bool
	walk = func(f *SCIMFilter) bool {
		switch {
		case f == nil:
			return false
		case f.Op == SCIMAnd && len(f.Args) >= 2:
			for _, a := range f.Args {
				if !walk(a) {
					return false
				}
			}
			return true
		case f.Op == SCIMAnd || f.Op == SCIMOr || f.Op == SCIMNot || f.Tag != "":
			return false
		}
		switch f.Attr {
		case SCIMAttrCreated, SCIMAttrModified, SCIMAttrID, SCIMAttrExternalID:
			leaves = append(leaves, f)
			return true
		}
		return false
	}
	if !walk(f) {
		return "", false, nil
	}
	conds := make([]string, len(leaves))
	for i, l := range leaves {
		c, err := q.columnCond(l)
		if err != nil {
			return "", false, err
		}
		conds[i] = c
	}
	return strings.Join(conds, " AND "), true, nil
}

// columnCond is the condition of a comparison of a column of
// scim_resources.
func (q *scimQuery) columnCond(f *SCIMFilter) (string, error) {
	switch f.Attr {
	case SCIMAttrCreated, SCIMAttrModified:
		return q.timeCond(f)
	case SCIMAttrID:
		return q.exactCond("id", f, false)
	case SCIMAttrExternalID:
		return q.exactCond("external_id", f, true)
	}
	return "", fmt.Errorf("%q is not an indexed SCIM attribute", f.Attr)
}

// scimTimeMin and scimTimeMax bound the times a condition compares: those
// SQLite's nanoseconds hold (the store's own times are well within).
var (
	scimTimeMin = time.Unix(0, math.MinInt64).UTC()
	scimTimeMax = time.Unix(0, math.MaxInt64).UTC()
)

func (q *scimQuery) timeCond(f *SCIMFilter) (string, error) {
	column := "created_at"
	if f.Attr == SCIMAttrModified {
		column = "modified_at"
	}
	op := map[SCIMOp]string{SCIMEq: "=", SCIMGt: ">", SCIMGe: ">=", SCIMLt: "<", SCIMLe: "<="}[f.Op]
	if op == "" {
		return "", fmt.Errorf("%s %s: not a comparison of times", f.Attr, f.Op)
	}
	t := f.Time
	switch {
	case t.Before(scimTimeMin):
		t = scimTimeMin
	case t.After(scimTimeMax):
		t = scimTimeMax
	}
	return column + " " + op + " " + q.arg(q.s.d.timeArg(t)), nil
}

// exactCond compares a case-exact column; if emptyAbsent, an empty value
// is no value.
func (q *scimQuery) exactCond(column string, f *SCIMFilter, emptyAbsent bool) (string, error) {
	present := "1 = 1"
	if emptyAbsent {
		present = column + " <> ''"
	}
	if f.Op == SCIMPr {
		return present, nil
	}
	if len(f.Value) > scimQueryMax {
		return "", fmt.Errorf("%s %s: a value of %d bytes (at most %d)", f.Attr, f.Op, len(f.Value), scimQueryMax)
	}
	c, err := q.compare(column, f.Op, f.Value)
	if err != nil {
		return "", fmt.Errorf("%s: %w", f.Attr, err)
	}
	return present + " AND " + c, nil
}

// compare is column op v for the operators a B-tree answers.
func (q *scimQuery) compare(column string, op SCIMOp, v string) (string, error) {
	if !utf8.ValidString(v) {
		return "", fmt.Errorf("%s: a value that is not UTF-8", op)
	}
	v = q.s.d.text(v)
	switch op {
	case SCIMEq:
		return column + " = " + q.arg(v), nil
	case SCIMGt:
		return column + " > " + q.arg(v), nil
	case SCIMGe:
		return column + " >= " + q.arg(v), nil
	case SCIMLt:
		return column + " < " + q.arg(v), nil
	case SCIMLe:
		return column + " <= " + q.arg(v), nil
	case SCIMSw:
		c := column + " >= " + q.arg(v)
		if next, ok := prefixSuccessor(v); ok {
			c += " AND " + column + " < " + q.arg(next)
		}
		return c, nil
	}
	return "", fmt.Errorf("%s is not answered by the index of a case-exact attribute", op)
}

// prefixSuccessor is the least string greater than every string that
// starts with p, in the order of bytes (which for UTF-8 is that of code
// points): p with its last rune incremented, dropping runes that cannot
// be. None if p is empty or only U+10FFFF. p must be valid UTF-8.
func prefixSuccessor(p string) (string, bool) {
	for p != "" {
		r, size := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-size]
		switch r {
		case utf8.MaxRune:
			continue
		case 0xD7FF: // the surrogates are not runes
			return p + string(rune(0xE000)), true
		}
		return p + string(r+1), true
	}
	return "", false
}

// attrSet is the set of the ids with a value of the attribute (and, for
// emails, of the tag) that compares so, from scim_attrs.
func (q *scimQuery) attrSet(ctx context.Context, f *SCIMFilter) (string, error) {
	v := indexValue(f.Value)
	if len(f.Value) > scimQueryMax {
		return "", fmt.Errorf("%s %s: a value of %d bytes (at most %d)", f.Attr, f.Op, len(f.Value), scimQueryMax)
	}
	// The rarest trigram of a substring, found before any argument is
	// bound: none is if the substring cannot match.
	var gram string
	if f.Op == SCIMCo || f.Op == SCIMEw {
		if grams := trigrams(q.s.d.text(v)); len(grams) > 0 {
			var n int
			var err error
			if gram, n, err = q.rarest(ctx, f.Attr, grams); err != nil {
				return "", err
			}
			if n == 0 {
				return q.columns("1 = 0"), nil
			}
		}
	}
	where := func() string {
		w := "a.type = $1 AND a.attr = " + q.arg(string(f.Attr))
		if f.Tag != "" {
			w += " AND a.tag = " + q.arg(q.s.d.text(indexValue(f.Tag)))
		}
		return w
	}
	switch f.Op {
	case SCIMPr:
		return q.ids() + "SELECT a.id FROM scim_attrs a WHERE " + where() + " AND a.value <> '')", nil
	case SCIMCo, SCIMEw:
		v = q.s.d.text(v)
		pattern := "%" + escapeLike(v)
		if f.Op == SCIMCo {
			pattern += "%"
		}
		like := " AND a.value LIKE " + q.arg(pattern) + ` ESCAPE '\'`
		if gram == "" {
			// Too short for a trigram: the attribute's values are read,
			// from its index (not the documents).
			return q.ids() + "SELECT a.id FROM scim_attrs a WHERE " + where() + like + ")", nil
		}
		// CROSS JOIN: SQLite then reads the trigram's rows first, rather
		// than every value of the attribute (PostgreSQL orders joins by
		// its statistics whatever the syntax).
		tag := ""
		if f.Tag != "" {
			tag = " AND a.tag = " + q.arg(q.s.d.text(indexValue(f.Tag)))
		}
		return q.ids() + "SELECT a.id FROM scim_grams g CROSS JOIN scim_attrs a WHERE g.type = $1 AND g.attr = " + q.arg(string(f.Attr)) +
			" AND g.gram = " + q.arg(gram) + " AND a.type = g.type AND a.id = g.id AND a.attr = g.attr" + tag + like + ")", nil
	}
	w := where()
	c, err := q.compare("a.value", f.Op, v)
	if err != nil {
		return "", fmt.Errorf("%s: %w", f.Attr, err)
	}
	return q.ids() + "SELECT a.id FROM scim_attrs a WHERE " + w + " AND " + c + ")", nil
}

// rarest is the trigram among grams with the fewest rows for the
// attribute (counted up to gramCap), and its count.
func (q *scimQuery) rarest(ctx context.Context, attr SCIMAttr, grams []string) (string, int, error) {
	best, bestN := "", -1
	for _, g := range grams {
		var n int
		query := `SELECT count(*) FROM (SELECT 1 FROM scim_grams WHERE type = $1 AND attr = $2 AND gram = $3 LIMIT ` + strconv.Itoa(gramCap) + `) x`
		if err := q.s.scimQueryRow(ctx, query, q.args[0], string(attr), g).Scan(&n); err != nil {
			return "", 0, fmt.Errorf("count trigram: %w", err)
		}
		if bestN < 0 || n < bestN {
			best, bestN = g, n
		}
		if n == 0 {
			break
		}
	}
	return best, bestN, nil
}

// escapeLike makes s match itself literally in a LIKE pattern with the
// escape character \.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
