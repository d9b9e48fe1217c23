package store

// The schema versions this code migrates to, for tests.
var (
	SQLiteSchemaVersion   = len(sqliteMigrations)
	PostgresSchemaVersion = len(postgresMigrations)
)

// SetSCIMSort sets how many matches SCIMQuery sorts rather than walking
// the collection in order (scimSortMax, scimSortRatio), until restore, so
// that a test of a few resources takes either path. Not for parallel
// tests.
func SetSCIMSort(most, ratio int) (restore func()) {
	oldMost, oldRatio := scimSortMax, scimSortRatio
	scimSortMax, scimSortRatio = most, ratio
	return func() { scimSortMax, scimSortRatio = oldMost, oldRatio }
}
