// Package testsrv holds what the throwaway servers of the tests share
// (slapd in connectors/ldap/ldaptest, PostgreSQL in internal/store/pgtest,
// Samba in connectors/ldap/adtest): loopback ports the kernel picks, with
// a retry when another process takes one first; the CI switch that turns
// "cannot run here, skipped" into a failure; and the tail of a failing
// program's output for its error. Tests only.
package testsrv
