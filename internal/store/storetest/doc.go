// Package storetest is the conformance suite every store.Store
// implementation runs from its own tests:
//
//	func TestSQLite(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { ... })
//	}
//
// The open function returns a store on the database that belongs to t:
// every call with the same t opens that same database again (the suite
// closes a store and opens it again to check that state persists and that a
// crashed run is found), and each t starts from an empty database. The suite
// closes every store it opens; open need not register a cleanup for the
// store itself.
package storetest
