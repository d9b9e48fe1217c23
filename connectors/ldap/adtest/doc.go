// Package adtest runs a real Active Directory domain controller for tests:
// Samba 4 (Debian's samba 4.17), provisioned into a temporary directory,
// loaded with a fixed set of entries, on loopback. Tests that need AD
// behaviour OpenLDAP's slapd lacks (binary objectGUID, userAccountControl,
// range retrieval, the in-chain matching rule, uSNChanged) use it; the rest
// use ldaptest's slapd.
//
//	dc := adtest.Start(t) // skips, or fails with CI=true, without Samba
//	cfg := ldap.Config{URL: dc.RangedURL, AllowPlain: true,
//		BindDN: dc.BindDN, ...}
//
// # One DC per binary, in a network namespace of its own
//
// Provisioning and loading take about 11 s, so Start provisions once per
// test binary and every test of the binary shares the DC (tests must not
// change what others read: only MutableUser may be modified). A DC binds
// AD's fixed ports (389, 636, 88, 135, 3268, ...), which Samba cannot
// move; so samba runs in a network namespace of its own (unshare
// CLONE_NEWNET, its loopback up), where those ports are its own, and
// nothing of the machine's is needed: a directory server on the machine's
// 389 is no obstacle. URL and LDAPSURL are forwarders on loopback ports
// the kernel picks, which dial into the namespace (a socket made from a
// thread that entered it with setns stays there); RangedURL's proxy dials
// the same way. Where no namespace can be had (a container without
// CAP_SYS_ADMIN), the DC binds the machine's ports, which must be free.
// Test binaries of several packages (go test ./...) still take turns
// through a flock on $TMPDIR/orgbridge-adtest.lock (the machine has few
// cores), and the DC lives in the fixed directory
// $TMPDIR/orgbridge-adtest-dc, wiped by each Start. samba runs in its own
// process group with SIGTERM as its parent-death signal: it stops when the
// test binary exits, however it exits (also on a panic or SIGKILL); Stop
// stops it earlier, from a TestMain.
//
// It needs Linux, root, and the packages of InstallCommand:
//
//	DEBIAN_FRONTEND=noninteractive apt-get install -y samba winbind krb5-user
//
// (about 40 s). Without them Require and Start skip the test, and fail it
// when CI=true (CI runs as root). ORGBRIDGE_SKIP_AD=1 skips locally.
//
// # How the DC is made
//
//  1. samba-tool domain provision --realm=EXAMPLE.TEST --domain=EXAMPLE
//     --server-role=dc --dns-backend=SAMBA_INTERNAL --use-rfc2307, with
//     the log, pid and socket directories moved into the DC's directory
//     (about 5 s).
//  2. smb.conf gets "ldap server require strong auth = no" (simple binds
//     on ldap://), "ldb:nosync = true", and a certificate made here for IP
//     127.0.0.1 (Samba's own has no IP SAN, which Go's TLS rejects).
//  3. The fixtures, written as LDIF (fixtures.ldif in the directory), are
//     added offline by load.py through Samba's Python bindings and the full
//     sam.ldb module stack, in one transaction: about 5 s for the 1,600
//     bulk users and the rest. ldapadd against the running DC took 17 s for
//     the same LDIF; samba-tool takes about 0.4 s per call.
//  4. samba -F with only the services LDAP needs (no file server, NetBIOS,
//     DNS, NTP signing, KCC); LDAP answers after about 1 s.
//
// # Fixtures
//
// Below UsersBase (OU=Corp,DC=example,DC=test): the OUs of OUs, with
// Japanese names (本社/営業部/第一課 ...), and the named Users
// (sAMAccountName, userPrincipalName, mail, department, givenName, sn,
// displayName; password UserPassword), among them tanaka, disabled
// (userAccountControl 514: his bind fails with "data 533"), and kimura
// directly under the base. In BulkBase (OU=Bulk,DC=example,DC=test, outside
// the users' base: see the in-chain rule below): BulkUsers (1,600) users
// bulk0000 … bulk1599 (userAccountControl 544, no password). Below
// GroupsBase (OU=Groups,DC=example,DC=test): all-staff ⊃ sales ⊃ sales-1
// ∋ yamada (nesting two levels deep) and big-group with the 1,600 bulk
// users. // GroupsOf and BulkUser give the expected memberships.
//
// # Range retrieval: Samba and RangedURL
//
// Samba does not enforce MaxValRange: asked for "member" (or for all
// attributes), it returns all 1,600 values under the plain name, where
// Windows returns the first 1,500 as "member;range=0-1499". Asked for a
// range, Samba answers as Windows does: "member;range=0-1499" gives 1,500
// values under that name, "member;range=1500-*" and "member;range=1500-2999"
// give the last 100 as "member;range=1500-*" (the "*" marks the last
// chunk), "member;range=1600-*" gives no attribute, and "member" asked
// together with "member;range=0-1" gives only the ranged one. So a client
// that never does range retrieval passes against Samba alone. RangedURL
// is a proxy in front of Samba's plain LDAP port that rewrites every
// search result attribute with more than MaxValRange values and no range
// option into "<name>;range=0-1499" with the first 1,500 values, as
// Windows does; requests pass through unchanged. Use RangedURL to test
// range retrieval (it carries plain LDAP only: no StartTLS through it).
//
// # Other behaviour seen on this DC
//
// objectGUID is 16 bytes; samba-tool prints it as Windows does (first three
// groups little-endian): ObjectGUID returns that as an independent oracle.
// uSNChanged of a modified entry exceeds the rootDSE's highestCommittedUSN
// read before the change, and (uSNChanged>=N) filters work. Paged results
// work (no MaxPageSize is enforced: an unpaged search returns everything).
// The in-chain rule works both ways, but Samba evaluates it entry by entry:
// (memberOf:1.2.840.113556.1.4.1941:=<group>) costs about 3 ms for every
// user in the searched scope that is not in the group (4.5 s for all-staff
// over 1,606 users, 0.1 s over the 6 named ones), and
// (member:1.2.840.113556.1.4.1941:=<user>) over the groups 0.3 s per user;
// a plain memberOf filter takes under 0.1 s. member is a link to the entry:
// a value written in another case and spacing ("cn=山田   太郎 ,ou=第一課,…")
// is returned as the entry's own DN ("CN=山田 太郎,OU=第一課,…"), and a
// contact can be a member.
package adtest
