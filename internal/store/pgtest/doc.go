// Package pgtest runs a real, throwaway PostgreSQL server for tests, and
// gives each test a fresh, empty database on it.
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.NewDatabase(t) // skips (or, under CI, fails) without PostgreSQL
//		...
//	}
//
// # The server
//
// One server per test binary: the first NewDatabase starts it, Main stops
// it once the tests have run (SIGINT, a fast shutdown, then SIGQUIT and
// SIGKILL if it lingers) and removes its directory. A package that uses
// pgtest must call Main from its TestMain; NewDatabase fails the test
// otherwise, so no server is ever started that nothing would stop. On
// Linux the postmaster also gets SIGINT from the kernel if the test binary
// dies without running Main (killed, or a test timeout's panic): it is
// started from a goroutine that keeps its OS thread locked for the server's
// whole life, so the parent-death signal fires only when the process (not
// merely some thread) ends. Its directory under $TMPDIR is then left
// behind.
//
// The server is initialised with initdb into a new directory under $TMPDIR
// (superuser "postgres", trust authentication, UTF8, C locale, no fsync)
// and run in the foreground as `postgres -D DIR/data` listening on
// 127.0.0.1 on a free port (retrying on a port taken in between), with its
// unix socket in DIR and fsync, synchronous_commit and full_page_writes
// off: durability is worth nothing here. Its log is DIR/postgres.log, whose
// tail a failed start quotes. Starting takes about 5 s on a 2-core machine,
// nearly all of it initdb; a database then takes a few hundred
// milliseconds (CREATE DATABASE, then the store's migration).
//
// # Running as root
//
// PostgreSQL refuses to run as root. When the tests run as root (as CI
// here does), initdb and postgres are started as another user, by setting
// the child's credentials (uid, gid, no supplementary groups) directly, so
// neither su, runuser nor sudo is needed: the user named by
// ORGBRIDGE_PG_USER, else "postgres", which Debian's postgresql package
// creates. The directory is made owned by that user; if an ancestor of
// $TMPDIR is not searchable by others, /tmp is used instead.
//
// # Databases
//
// NewDatabase creates a database named t_<16 random hex digits> (CREATE
// DATABASE, from template1) and returns its DSN,
// postgres://postgres@127.0.0.1:PORT/t_...?sslmode=disable; t.Cleanup drops
// it (WITH (FORCE), PostgreSQL 13 or later), so tests are independent and
// may run in parallel. Every connection is a superuser's.
//
// # Availability
//
// Available reports whether initdb and postgres were found and, as root,
// whether there is a user to run them as. The programs are looked for in
// ORGBRIDGE_PG_BINDIR if set, else in $PATH (Fedora, Arch, Homebrew), else
// in the newest /usr/lib/postgresql/*/bin (Debian and Ubuntu: apt-get
// install postgresql; the packaged cluster need not run), /usr/pgsql-*/bin
// (PGDG RPMs) and /usr/local/pgsql/bin. NewDatabase calls Require, which
// skips the test when they are missing — except when CI is true (CI=true
// or CI=1), where it fails it: CI must install PostgreSQL, and a test that
// skips there never runs.
package pgtest
