package store

import "context"

// sqliteMigrations are the SQLite schema's migrations, in order: migration i
// brings the schema to version i+1. A migration may hold several statements;
// it runs in one transaction together with its schema_version row. Append new
// migrations; never edit or reorder one that has shipped.
//
// Times are INTEGER unix nanoseconds, UTC. Statuses are checked in Go rather
// than by CHECK constraints, which SQLite cannot alter without rebuilding a
// table.
var sqliteMigrations = []string{
	// 1: runs, journal and links.
	`
CREATE TABLE runs (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	job         TEXT    NOT NULL,
	mode        TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	started_at  INTEGER NOT NULL,
	finished_at INTEGER,
	planned_at  INTEGER, -- set by Plan; a run is planned once
	planned     INTEGER NOT NULL DEFAULT 0,
	applied     INTEGER NOT NULL DEFAULT 0,
	failed      INTEGER NOT NULL DEFAULT 0,
	summary     TEXT    NOT NULL DEFAULT '',
	error       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX runs_job ON runs (job, id);
CREATE INDEX runs_running ON runs (job) WHERE status = 'running';

CREATE TABLE journal (
	run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	action     TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	source_key TEXT    NOT NULL,
	change     TEXT    NOT NULL, -- connectors.Change as JSON
	status     TEXT    NOT NULL,
	target_id  TEXT    NOT NULL DEFAULT '',
	error      TEXT    NOT NULL DEFAULT '',
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (run_id, seq)
);
CREATE INDEX journal_pending ON journal (run_id, seq) WHERE status = 'pending';

CREATE TABLE links (
	job        TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	source_key TEXT    NOT NULL,
	target_id  TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (job, kind, source_key)
);
CREATE INDEX links_target ON links (job, kind, target_id);
`,
	// 2: high-water marks of incremental sources.
	`
CREATE TABLE marks (
	job        TEXT    PRIMARY KEY,
	mark       TEXT    NOT NULL,
	updated_at INTEGER NOT NULL
);
`,
	// 3: resources pushed by SCIM identity providers, and the store-wide
	// change sequence they are stamped with.
	`
CREATE TABLE scim_resources (
	type        TEXT    NOT NULL, -- 'User' or 'Group'
	id          TEXT    NOT NULL,
	external_id TEXT    NOT NULL DEFAULT '',
	name        TEXT    NOT NULL, -- userName or displayName
	name_key    TEXT    NOT NULL, -- strings.ToLower(name), computed in Go
	doc         BLOB    NOT NULL, -- the attributes as JSON, opaque
	version     INTEGER NOT NULL,
	seq         INTEGER NOT NULL,
	deleted     INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	modified_at INTEGER NOT NULL,
	PRIMARY KEY (type, id)
);
CREATE UNIQUE INDEX scim_user_name ON scim_resources (name_key) WHERE type = 'User' AND deleted = 0;
CREATE INDEX scim_live ON scim_resources (type, created_at, id) WHERE deleted = 0;
CREATE INDEX scim_seq ON scim_resources (seq);

-- One row: the last sequence handed out. Incremented in the write
-- transaction that uses it, so it never goes back and is never reused.
CREATE TABLE scim_sequence (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	seq INTEGER NOT NULL
);
INSERT INTO scim_sequence (id, seq) VALUES (1, 0);
`,
	// 4: lookups of SCIM resources by externalId and by name (Entra and
	// Okta look a user up before each create).
	`
CREATE INDEX scim_external ON scim_resources (type, external_id) WHERE deleted = 0;
CREATE INDEX scim_name ON scim_resources (type, name_key) WHERE deleted = 0;
`,
	// 5: the index of SCIM attributes SCIMQuery answers filters from
	// (see scimindex.go): one row per value of userName, displayName and
	// each e-mail, and the trigrams of those values for co and ew. The
	// rows of the resources already stored are written by
	// backfillSCIMIndex, in this migration's transaction.
	`
CREATE TABLE scim_attrs (
	type  TEXT NOT NULL,
	id    TEXT NOT NULL,
	attr  TEXT NOT NULL, -- userName, displayName or emails
	tag   TEXT NOT NULL, -- emails: the element's type, lower-cased
	value TEXT NOT NULL, -- strings.ToLower(value), computed in Go
	PRIMARY KEY (type, id, attr, tag, value)
) WITHOUT ROWID;
CREATE INDEX scim_attrs_value ON scim_attrs (type, attr, value, tag);

CREATE TABLE scim_grams (
	type TEXT NOT NULL,
	attr TEXT NOT NULL,
	gram TEXT NOT NULL, -- three runes of a value of scim_attrs
	id   TEXT NOT NULL,
	PRIMARY KEY (type, attr, gram, id)
) WITHOUT ROWID;

-- Pages and counts read these alone: SQLite takes a partial index as
-- covering only if it holds every column a query names, deleted included.
CREATE INDEX scim_page ON scim_resources (type, deleted, created_at, id);
CREATE INDEX scim_modified ON scim_resources (type, deleted, modified_at);
CREATE INDEX scim_external_live ON scim_resources (type, deleted, external_id);
`,
	// 6: plans the guard refused, held until someone approves or rejects
	// them (HoldPlan): in the store, so that they outlive a restart and
	// every replica lists them. One per job: a newer refusal replaces it.
	`
CREATE TABLE held_plans (
	run_id  INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
	job     TEXT    NOT NULL,
	held_at INTEGER NOT NULL,
	summary TEXT    NOT NULL DEFAULT '',
	reason  TEXT    NOT NULL DEFAULT '',
	plan    TEXT    NOT NULL -- the plan as JSON, opaque to the store
);
CREATE UNIQUE INDEX held_plans_job ON held_plans (job);
`,
	// 7: pages of SCIM resources at 100,000 (scimindex.go). scim_counts
	// holds the number of live resources of each type, kept by the write
	// that creates or deletes one in its transaction, so that an
	// unfiltered page's totalResults is one row, not a count of the
	// collection. scim_page and scim_modified gain the columns a page
	// filtered on a time reads, so that it is read from either index
	// alone: walked in (created_at, id) order checking modified_at, or
	// the range of modified_at read with the keys it is sorted by.
	`
CREATE TABLE scim_counts (
	type TEXT    PRIMARY KEY, -- 'User' or 'Group'
	live INTEGER NOT NULL
);
INSERT INTO scim_counts (type, live)
SELECT t.type, (SELECT count(*) FROM scim_resources r WHERE r.type = t.type AND r.deleted = 0)
FROM (SELECT 'User' AS type UNION ALL SELECT 'Group') t;

DROP INDEX scim_page;
CREATE INDEX scim_page ON scim_resources (type, deleted, created_at, id, modified_at);
DROP INDEX scim_modified;
CREATE INDEX scim_modified ON scim_resources (type, deleted, modified_at, created_at, id);
`,
	// 8: who approved or rejected a held plan, and when, on the refused
	// run: the held plan is taken when decided, so its run keeps the
	// record (the status page and /api/runs show it).
	`
ALTER TABLE runs ADD COLUMN decision   TEXT    NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN decided_by TEXT    NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN decided_at INTEGER;
`,
}

// sqliteBackfills are the steps in Go of SQLite's migrations, by the
// version they bring the schema to: each runs in its migration's
// transaction, after its statements.
var sqliteBackfills = map[int]func(context.Context, *sqlStore, *txn) error{
	5: backfillSCIMIndex,
}

// backfill runs the step in Go, if any, of the migration to version.
func (s *sqlStore) backfill(ctx context.Context, tx *txn, version int) error {
	fills := sqliteBackfills
	if s.d.name == postgresDialect.name {
		fills = postgresBackfills
	}
	if fill := fills[version]; fill != nil {
		return fill(ctx, s, tx)
	}
	return nil
}
