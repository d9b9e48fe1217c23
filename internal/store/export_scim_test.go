package store

// The schema versions this code migrates to, for tests.
var (
	SQLiteSchemaVersion   = len(sqliteMigrations)
	PostgresSchemaVersion = len(postgresMigrations)
)
