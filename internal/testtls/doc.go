// Package testtls makes the throwaway certificates of the test servers
// (slapd in connectors/ldap/ldaptest, Samba in connectors/ldap/adtest): a
// CA and a server certificate it signed, written as PEM files that a
// server's config names and a client trusts through the CA file. Tests
// only: the keys are made on the spot and never kept.
package testtls
