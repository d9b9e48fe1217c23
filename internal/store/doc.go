// Package store is orgbridge's state store: per job, the links between
// source keys and target ids, the journal of each run's changes, and the run
// history; and the resources SCIM identity providers push.
//
// # Links
//
// A link records that the target object with a given id belongs to the
// source key of a kind, because orgbridge created it (Applied on a create) or
// adopted it (Adopt, when the planner matched an object that already
// existed). Only linked objects are ever deleted: the planner deletes what a
// job links and the desired state no longer holds, never anything else.
// Applied keeps links in step with the target in the same transaction that
// marks the journal entry: create, update and suspend set the link, delete
// removes it. Memberships have no link of their own; they are derived from
// their user's and container's links.
//
// # Journal and runs
//
// A run is started (StartRun), planned (Plan writes every change as a
// pending entry, Seq being the change's index), applied entry by entry
// (Applied, Failed) and finished (FinishRun). The run's Planned, Applied and
// Failed counts are maintained as entries change, in the same transaction,
// so they are right even for a run that never finished. A failed entry may
// later be applied (a retry), an applied one never fails, and a dry run's
// entries are never applied, so a dry run cannot write a link.
//
// A process that dies leaves its run marked running. At start, before it
// runs anything, the scheduler calls Interrupted, which marks such runs
// interrupted and returns their pending entries: the changes that may or may
// not have reached the target. The next full run re-reads the target and
// reconciles them (a create that did reach the target is matched and
// adopted).
//
// # Held plans
//
// A plan the guard refuses in the daemon is held for approval (HoldPlan):
// in the store rather than in the process, so that it outlives a restart
// and every replica on a shared PostgreSQL lists it. A job holds one plan,
// its latest refusal; the plan is JSON the store does not read. Approving
// or rejecting takes it (TakeHeldPlan, one DELETE … RETURNING), so that of
// two replicas or two clicks exactly one acts on it; in the same
// transaction the refused run records the decision, who made it and when
// (runs.decision, decided_by, decided_at; Run.Decision), which outlives
// the plan.
//
// # SCIM resources
//
// The SCIM server keeps the Users and Groups identity providers push in the
// store (SCIMCreate, SCIMUpdate, SCIMDelete, SCIMGet, SCIMList), so that a
// restart loses nothing acknowledged. Updates are optimistic: the caller
// names the Version it read and gets ErrStale if another write came first,
// then re-reads and retries, so concurrent requests lose no write. A live
// User's userName is unique, compared case-insensitively (strings.ToLower);
// a clash is ErrDuplicate. A delete leaves a tombstone that keeps the id
// taken but frees the name.
//
// Every SCIM write stamps what it writes with a new store-wide sequence
// number (Seq), and may touch Users (give them the same Seq, changing
// nothing else), as when a Group's members change. Sequences only grow and
// are never reused, and writes commit in sequence order, so a SCIM-backed
// sync source reads SCIMChanged(since) and keeps the returned highest Seq
// as its mark: each read returns the current state, tombstones included,
// of every resource written or touched since the previous read, and misses
// none. (An implementation must keep that order: a sequence taken by a
// transaction that commits after a later sequence's would be skipped.)
//
// # The SCIM index
//
// SCIMQuery answers the filters identity providers send, and pages of
// any list, from indexes the SCIM writes keep in their own transaction
// (scimindex.go), so that a filter or a page costs about the same at
// 100,000 resources as at 100:
//
//   - scim_attrs: one row (type, id, attr, tag, value) per value of
//     userName, displayName and each e-mail (tag its type), the value
//     lower-cased in Go; a B-tree on (type, attr, value, tag) answers eq,
//     sw (a range to the prefix's successor) and gt/ge/lt/le.
//   - scim_grams: the distinct trigrams of those values; co and ew look
//     the substring's rarest trigram up and check its few candidates with
//     LIKE. Ours rather than pg_trgm or FTS5, so one SQL serves both
//     databases.
//   - the columns of scim_resources: id by the primary key, externalId by
//     scim_external_live (type, deleted, external_id), meta.lastModified
//     by scim_modified (type, deleted, modified_at, created_at, id) and
//     the order of every list, Created then ID, by scim_page (type,
//     deleted, created_at, id, modified_at). Each holds deleted, and the
//     two wide ones the columns a page reads, because SQLite reads an
//     index alone (without the table's rows, which hold the documents)
//     only when it holds every column a query names.
//   - scim_counts: the number of live resources of each type, one more on
//     a create and one less on a delete in the write's transaction (SCIM
//     writes run one at a time: SQLite's one writer, PostgreSQL's lock of
//     scim_sequence's row), so that an unfiltered page's totalResults is a
//     row, not a count of the collection.
//
// A page reads its keys from indexes alone and then only its rows, in one
// read-only snapshot with its total: either the matches looked up and
// sorted (few of them, or a condition on a time whose matches are a small
// part of the collection) or scim_page walked in order, from whichever end
// of the order the page is nearer. A migration that adds an index fills
// it from the resources already stored (backfillSCIMIndex, and the counts
// by one INSERT … SELECT), so a database written by an earlier orgbridge
// is answered the same. An orgbridge older than these tables writing to
// the same database after the migration would not keep them: replicas
// are upgraded together.
//
// # Implementations
//
// Store is the interface, and every implementation must pass
// storetest.Run. There is one implementation, on database/sql, whose
// statements are written once for two databases; what differs between
// them is a small dialect (dialect.go; dex's storage/sql flavors are the
// model): the schema migrations, the literal that selects live SCIM
// resources (so that partial indexes apply), row locks, the time codec,
// what text may hold, which errors are worth a retry, how unique
// violations read, and how many rows cross the network at once. SQL both
// databases share is written once: placeholders $1…$n (modernc's SQLite
// binds them by number), INSERT … ON CONFLICT … DO UPDATE for upserts,
// RETURNING. Open picks the database from the config; OpenSQLite and
// OpenPostgres open one directly and return what only it has (SQLite's
// pragmas, PostgreSQL's Leader).
//
// SQLite (OpenSQLite) is the default: a single file through the pure-Go
// modernc.org/sqlite driver. The file runs in WAL mode with
// synchronous=NORMAL, busy_timeout 5000 ms and foreign keys on, all set
// through the DSN's _pragma parameters. Writes go through a pool of one
// connection whose transactions begin IMMEDIATE, so concurrent callers
// queue for SQLite's single write lock (and another process sharing the
// file waits up to busy_timeout), while reads use a small query-only pool
// that runs beside the writer. With one writer nothing needs a row lock or
// a retry. Times are stored as INTEGER UTC unix nanoseconds and returned in
// UTC; deleted is an INTEGER 0 or 1.
//
// PostgreSQL (OpenPostgres) keeps the same state in a database that
// several orgbridge processes (replicas) share, through pgx's
// database/sql driver (github.com/jackc/pgx/v5/stdlib); the DSN's pool_*
// parameters size the pool as they did pgxpool's. Writes run in READ
// COMMITTED transactions that lock what they read first: the run's row for
// Plan, the journal entry's for Applied and Failed, and for every SCIM
// write the one row of scim_sequence, so that SCIM writes from all
// processes run one at a time and commit in Seq order; a transaction that
// fails on a deadlock or serialization failure (SQLSTATE 40P01, 40001) is
// run again, five attempts in all. Interrupted claims running runs with one
// UPDATE, so two replicas never both return a run. Unique violations
// (SQLSTATE 23505) on scim_resources map to ErrDuplicate (userName) and
// ErrConflict (type and id), as SQLite's constraint errors do. Many rows
// go in one round trip: Plan's entries by COPY and Adopt's links in a pgx
// batch, both on the pgx connection beneath the transaction
// (database/sql's Conn.Raw), and Forget's and a touch's keys as one array
// (= ANY($n)). Times are timestamptz, microseconds: the store truncates
// every time it writes (a caller's Created included) to the microsecond,
// UTC, and returns what it stored. Text columns refuse NUL and invalid
// UTF-8, which SQLite accepts: keys and names with them are refused, and
// error messages and summaries are stored with NUL removed and invalid
// bytes replaced by U+FFFD.
//
// # Schema
//
// Each database has its own migrations (migrations.go,
// postgres_migrations.go: SQLite at version 7, PostgreSQL at 5, the same
// tables; they shipped apart, and a shipped migration never changes),
// recorded in schema_version and applied at open, each in one write
// transaction with its schema_version row (and its step in Go, if any:
// the SCIM index's backfill); PostgreSQL's also under a
// transaction-scoped advisory lock, so that replicas starting together do
// not race. A database whose version is newer than the binary knows is
// refused. testdata holds a database of each that an earlier orgbridge
// wrote; TestSQLiteCompat and TestPostgresCompat check that this one reads
// them as that one did, works on them, and creates the same schema.
//
// # Leader
//
// Leader (NewLeader, Postgres.Leader) elects one replica among several on
// one PostgreSQL database with a session-level advisory lock on a
// dedicated pgx connection, released when its process dies. It stays
// outside database/sql on purpose: a session lock lives and dies with one
// session, and a pool replaces a broken connection behind its caller's
// back. SQLite, owned by one machine, needs no such thing.
package store
