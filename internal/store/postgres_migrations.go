package store

import "context"

// postgresMigrations are the PostgreSQL schema's migrations, in order:
// migration i brings the schema to version i+1. A migration may hold
// several statements; it runs in one transaction together with its
// schema_version row, under the migration advisory lock. Append new
// migrations; never edit or reorder one that has shipped.
//
// The tables mirror SQLite's (migrations.go). Times are timestamptz
// (microseconds; the store truncates to microseconds before writing, so a
// value it returns is the value it stored), statuses are checked in Go,
// SCIM documents are bytea and journal changes JSON text (not jsonb, which
// would refuse \u0000 in a string). The SCIM type, id and name_key are
// COLLATE "C": lists are ordered by the bytes of ids, as Go and SQLite
// compare them, whatever the database's collation, and names are compared
// as strings.ToLower made them (PostgreSQL's lower() depends on the
// database's locale).
var postgresMigrations = []string{
	// 1: runs, journal, links, marks, SCIM resources and their sequence.
	`
CREATE TABLE runs (
	id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	job         text        NOT NULL,
	mode        text        NOT NULL,
	status      text        NOT NULL,
	started_at  timestamptz NOT NULL,
	finished_at timestamptz,
	planned_at  timestamptz, -- set by Plan; a run is planned once
	planned     integer     NOT NULL DEFAULT 0,
	applied     integer     NOT NULL DEFAULT 0,
	failed      integer     NOT NULL DEFAULT 0,
	summary     text        NOT NULL DEFAULT '',
	error       text        NOT NULL DEFAULT ''
);
CREATE INDEX runs_job ON runs (job, id);
CREATE INDEX runs_running ON runs (job) WHERE status = 'running';

CREATE TABLE journal (
	run_id     bigint      NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	seq        integer     NOT NULL,
	action     text        NOT NULL,
	kind       text        NOT NULL,
	source_key text        NOT NULL,
	change     text        NOT NULL, -- connectors.Change as JSON
	status     text        NOT NULL,
	target_id  text        NOT NULL DEFAULT '',
	error      text        NOT NULL DEFAULT '',
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (run_id, seq)
);
CREATE INDEX journal_pending ON journal (run_id, seq) WHERE status = 'pending';

CREATE TABLE links (
	job        text        NOT NULL,
	kind       text        NOT NULL,
	source_key text        NOT NULL,
	target_id  text        NOT NULL,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (job, kind, source_key)
);
CREATE INDEX links_target ON links (job, kind, target_id);

CREATE TABLE marks (
	job        text        PRIMARY KEY,
	mark       text        NOT NULL,
	updated_at timestamptz NOT NULL
);

CREATE TABLE scim_resources (
	type        text        COLLATE "C" NOT NULL, -- 'User' or 'Group'
	id          text        COLLATE "C" NOT NULL,
	external_id text        NOT NULL DEFAULT '',
	name        text        NOT NULL, -- userName or displayName
	name_key    text        COLLATE "C" NOT NULL, -- strings.ToLower(name), computed in Go
	doc         bytea       NOT NULL, -- the attributes as JSON, opaque
	version     bigint      NOT NULL,
	seq         bigint      NOT NULL,
	deleted     boolean     NOT NULL DEFAULT false,
	created_at  timestamptz NOT NULL,
	modified_at timestamptz NOT NULL,
	CONSTRAINT scim_resources_pkey PRIMARY KEY (type, id)
);
CREATE UNIQUE INDEX scim_user_name ON scim_resources (name_key) WHERE type = 'User' AND NOT deleted;
CREATE INDEX scim_live ON scim_resources (type, created_at, id) WHERE NOT deleted;
CREATE INDEX scim_seq ON scim_resources (seq);

-- One row: the last sequence handed out. Every SCIM write transaction
-- locks it first (SELECT ... FOR UPDATE) and increments it, so SCIM
-- writes, from every process, run one at a time and commit in sequence
-- order; the counter never goes back and is never reused.
CREATE TABLE scim_sequence (
	id  integer PRIMARY KEY CHECK (id = 1),
	seq bigint  NOT NULL
);
INSERT INTO scim_sequence (id, seq) VALUES (1, 0);
`,
	// 2: lookups of SCIM resources by externalId and by name.
	`
CREATE INDEX scim_external ON scim_resources (type, external_id) WHERE NOT deleted;
CREATE INDEX scim_name ON scim_resources (type, name_key) WHERE NOT deleted;
`,
	// 3: the index of SCIM attributes (see scimindex.go and SQLite's
	// migration 5), backfilled by backfillSCIMIndex.
	`
CREATE TABLE scim_attrs (
	type  text COLLATE "C" NOT NULL,
	id    text COLLATE "C" NOT NULL,
	attr  text COLLATE "C" NOT NULL, -- userName, displayName or emails
	tag   text COLLATE "C" NOT NULL, -- emails: the element's type, lower-cased
	value text COLLATE "C" NOT NULL, -- strings.ToLower(value), computed in Go
	PRIMARY KEY (type, id, attr, tag, value)
);
CREATE INDEX scim_attrs_value ON scim_attrs (type, attr, value, tag);

CREATE TABLE scim_grams (
	type text COLLATE "C" NOT NULL,
	attr text COLLATE "C" NOT NULL,
	gram text COLLATE "C" NOT NULL, -- three runes of a value of scim_attrs
	id   text COLLATE "C" NOT NULL,
	PRIMARY KEY (type, attr, gram, id)
);

CREATE INDEX scim_page ON scim_resources (type, deleted, created_at, id);
CREATE INDEX scim_modified ON scim_resources (type, deleted, modified_at);
CREATE INDEX scim_external_live ON scim_resources (type, deleted, external_id);
`,
	// 4: plans the guard refused, held for approval (SQLite's migration 6).
	`
CREATE TABLE held_plans (
	run_id  bigint      PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
	job     text        NOT NULL,
	held_at timestamptz NOT NULL,
	summary text        NOT NULL DEFAULT '',
	reason  text        NOT NULL DEFAULT '',
	plan    text        NOT NULL -- the plan as JSON, opaque to the store
);
CREATE UNIQUE INDEX held_plans_job ON held_plans (job);
`,
	// 5: the count of live SCIM resources by type and the wider page
	// indexes (SQLite's migration 7). Every SCIM write holds the lock of
	// scim_sequence's row, so the writes that change a count run one at
	// a time.
	`
CREATE TABLE scim_counts (
	type text   COLLATE "C" PRIMARY KEY, -- 'User' or 'Group'
	live bigint NOT NULL
);
INSERT INTO scim_counts (type, live)
SELECT t.type, (SELECT count(*) FROM scim_resources r WHERE r.type = t.type AND NOT r.deleted)
FROM (VALUES ('User'), ('Group')) t (type);

DROP INDEX scim_page;
CREATE INDEX scim_page ON scim_resources (type, deleted, created_at, id, modified_at);
DROP INDEX scim_modified;
CREATE INDEX scim_modified ON scim_resources (type, deleted, modified_at, created_at, id);
`,
	// 6: who approved or rejected a held plan, and when (SQLite's
	// migration 8).
	`
ALTER TABLE runs ADD COLUMN decision   text NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN decided_by text NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN decided_at timestamptz;
`,
}

// postgresBackfills are the steps in Go of PostgreSQL's migrations (see
// sqliteBackfills).
var postgresBackfills = map[int]func(context.Context, *sqlStore, *txn) error{
	3: backfillSCIMIndex,
}
