// Package ldaptest runs a real, throwaway OpenLDAP slapd for tests and
// benchmarks, and holds the fixtures the LDAP source is tested against.
//
// # The server
//
//	s := ldaptest.StartBase(t, ldaptest.Options{TLS: true})  // base.ldif loaded
//	s := ldaptest.Start(t, ldaptest.Options{Preload: []string{bulk}})
//
// Start writes a slapd.conf into t.TempDir(): the core, cosine,
// inetorgperson and nis schemas; one mdb database (dbnosync, a sparse 16 GiB
// map) for the suffix (default dc=example,dc=jp); the memberof overlay for
// groupOfNames/member (with memberof-refint) and the ppolicy overlay (for
// pwdAccountLockedTime; no default policy, so binds are not refused), and,
// with Options.SyncProv, the syncprov overlay (the suffix's contextCSN).
// Equality indexes on objectClass, uid, mail, member, uniqueMember,
// memberUid, memberOf, entryUUID and entryCSN.
//
// It picks free ports on 127.0.0.1 (retrying on a port taken in between),
// starts slapd in the foreground (-d none: its errors go to Dir/slapd.log,
// which a failed start quotes; ORGBRIDGE_SLAPD_DEBUG=stats logs more), and
// polls the root DSE until slapd answers on every listener (within 30 s).
// t.Cleanup stops it with SIGTERM and waits (SIGKILL after 10 s); on Linux
// slapd also gets SIGTERM if the test binary dies first. Stop stops it
// early (connections drop; the data stays) and Restart serves the same data
// again on the same ports. Modify applies LDIF with ldapmodify as the root
// DN. Start takes about 0.1–0.3 s.
//
// Accounts: BindDN/BindPassword is the root DN, without limits. ReaderDN
// (cn=reader,<suffix>) is an ordinary account that reads everything but
// other entries' userPassword, with limits like AD's defaults: an unpaged
// search stops at 500 entries with sizeLimitExceeded; a paged one returns
// everything, in pages of at most 1000. Unlike AD, which silently returns
// 1000 when asked for more, slapd refuses a larger page size with
// adminLimitExceeded ("illegal pagedResults page size"). Anonymous binds
// read the root DSE and the schema only, as on AD. Passwords are random per
// server.
//
// TLS (Options.TLS): a CA and a server certificate (ECDSA P-256, SAN IP
// 127.0.0.1, ::1 and DNS localhost) are generated with crypto/x509 and
// written to Dir (ca.pem is CAFile). slapd serves ldaps:// on LDAPSURL and
// StartTLS on URL. TLSConfig gives a Go client that trusts the CA;
// ClientEnv gives the environment for ldapsearch (LDAPCONF with TLS_CACERT,
// the machine's and the user's ldap.conf ignored).
//
// # Loading data: ldapmodify or slapadd
//
// Options.LDIF files are applied with `ldapmodify -a` after the start, so
// the overlays run as on a live server: memberOf is filled and kept, and
// change records work (base.ldif closes its group cycle with one). This is
// what fixtures use; it loads about 2,000 entries a second. Options.Preload
// files are loaded with `slapadd -q` before the start: much faster (100k
// generated users loaded and served in about 3 s), but no overlay runs, so
// entries loaded that way have no memberOf (the benchmark's users are in no
// group, so nothing is lost). The suffix entry and the reader are created
// by Start; files must not contain them.
//
// # Availability
//
// Available reports whether slapd, slapadd, ldapmodify, the schemas and the
// back_mdb, memberof, ppolicy and syncprov modules are there (Debian and
// Ubuntu: apt-get install slapd ldap-utils; the packaged service need not
// run). ORGBRIDGE_SLAPD, ORGBRIDGE_SLAPADD and ORGBRIDGE_LDAPMODIFY name
// the programs explicitly. Start calls Require, which skips the test when
// they are missing — except when CI is true (CI=true or CI=1), where it
// fails it: CI must install slapd, and a test that skips there never runs.
// On Ubuntu, the slapd package's AppArmor profile keeps slapd (and slapadd,
// the same binary) out of temp directories ("Permission denied" on
// slapd.conf; a failed Start then says so): put the profile in complain
// mode (aa-complain /usr/sbin/slapd) or unload it (apparmor_parser -R
// /etc/apparmor.d/usr.sbin.slapd). Debian has no such profile.
//
// # testdata/base.ldif
//
// The shared fixture, for the suffix dc=example,dc=jp (load it with
// StartBase, or Testdata("base.ldif") in Options.LDIF). BaseUsers,
// BaseGroups and BaseOUs state what it holds, and so what a read must
// return; TestBaseFixture checks them against the live server. Entry by
// entry, and what each exercises:
//
// OUs (non-ASCII names throughout):
//
//	ou=本社                       top OU; ou_path "本社"; sato.ichiro sits directly in it
//	ou=営業部,ou=本社             a department with a user directly in it (suzuki.hanako)
//	ou=第一課,ou=営業部,…         three levels deep: ou_path "本社/営業部/第一課"
//	ou=第二課,ou=営業部,…         a sibling section, no description (description "")
//	ou=開発部,ou=本社             the second department
//	ou=基盤\,運用,ou=開発部,…     an escaped comma in the DN: ou "基盤,運用",
//	                              ou_path "本社/開発部/基盤,運用" (parse DNs, don't split on ",")
//	ou=退職者,ou=本社             leavers: what orgs.exclude leaves out (hayashi.kaito)
//	ou=グループ                   the groups' container, outside ou=本社: an OU that is
//	                              not an org when users.base_dn is ou=本社, and one to
//	                              exclude when it is the suffix
//
// Users (inetOrgPerson; cn "<sn> <givenName>", Japanese; uid, mail,
// employeeNumber 10xx, departmentNumber):
//
//	sato.ichiro      directly under ou=本社 (ou_path "" with base ou=本社); in 循環A only
//	suzuki.hanako    under 営業部 itself; in 営業部員 and 循環B, so in 循環A too
//	takahashi.kenta  第一課; in 営業第一課員 → 営業部員 → 全社員 (three levels), in 大部屋,
//	                 and in プロジェクトX (groupOfUniqueNames)
//	tanaka.yui, watanabe.sho
//	                 第一課; ordinary members of the nesting and of 大部屋
//	ito.misaki       two mail values (a multi-valued attribute)
//	yamamoto.daiki   no mail at all (an absent attribute reads ""; a required one fails)
//	shimizu.yuna     第一課, in the nesting but not in 大部屋
//	nakamura.aoi, kato.sakura
//	                 第二課; direct members of 営業部員
//	kobayashi.ren    locked: pwdAccountLockedTime 000001010000Z (ppolicy's
//	                 administrative lock), so disabled "true"; every other user "false"
//	yoshida.hanako   a surname outside the BMP: 𠮷田 (4 bytes in UTF-8)
//	yoshida.takumi   開発部; in 開発部員, 大部屋, プロジェクトX and posixGroup developers
//	yamada.mei       開発部; in developers by memberUid
//	sasaki.haruto    開発部
//	yamaguchi.rin    no employeeNumber (a second entry missing something, for
//	                 on_missing errors naming every DN)
//	matsumoto.yuto   under the escaped-comma OU; in プロジェクトX through a uniqueMember
//	                 value with the optional uid suffix (#'0101'B) and in developers
//	inoue.hina       under the escaped-comma OU
//	kimura.sota      has userPassword BaseUserPassword: the one user that can bind
//	hayashi.kaito    under ou=退職者; the only member of 旧プロジェクト
//
// Groups (under ou=グループ):
//
//	営業第一課員   groupOfNames, 6 users: the innermost of three levels
//	営業部員       groupOfNames: 営業第一課員 and 5 users (11 users at any depth)
//	開発部員       groupOfNames, 7 users
//	全社員         groupOfNames of groups only: 営業部員 and 開発部員 (18 users nested);
//	               a group inside a group inside a group
//	大部屋         groupOfNames, 12 users: more than one page at page size 5
//	循環A, 循環B   a cycle: A holds sato.ichiro and B, B holds suzuki.hanako and
//	               A (A gets B by a change record at the end of the file, so that
//	               memberof records both directions); expansion must end
//	旧プロジェクト a leaver and a dangling member DN (uid=deleted.user,… names no
//	               entry): left out of the memberships, logged and counted as a
//	               member that is no user
//	プロジェクトX  groupOfUniqueNames (uniqueMember): its members have no memberOf
//	               for it — memberof is configured for groupOfNames only, as on
//	               most servers — so membership must be read from the group side
//	developers     posixGroup: members by memberUid, one of which (former.user)
//	               names no user
//
// memberOf holds the direct groupOfNames groups of each user (and of each
// nested group); FixtureUser.MemberOf lists them. A membership change
// updates the group's modifyTimestamp and entryCSN but not the member's,
// although memberof rewrites the member's memberOf (slapd 2.5): an
// incremental read sees a membership change through the group only.
//
// # testdata/members.ldif
//
// Loaded after base.ldif (StartBase with Options.LDIF:
// Testdata("members.ldif")), as change records: group members spelled
// otherwise than their users' DNs, and members that are no user.
//
//	ou=Sales\, East,ou=本社     an OU with an escaped comma and a space
//	kim.lee, park.min            inetOrgPerson users in it (ou_path "本社/Sales, East")
//	cn=svc-backup,ou=本社        an applicationProcess: a service entry, no user
//	表記ゆれ (under ou=グループ)  groupOfNames whose member values are
//	                             "UID=Kim.Lee,OU=SALES\,  EAST,…" (case, two spaces),
//	                             "uid=PARK.MIN,ou=sales\2C east  ,…" (case, a hex escape,
//	                             trailing spaces), uid=gone,… (no such entry: a deleted
//	                             account) and cn=svc-backup,…
//
// slapd holds the first two equal to the users' DNs (distinguishedNameMatch
// with RFC 4518's insignificant spaces; memberOf is set on both users) and
// returns them as written, less the trailing spaces:
// "uid=Kim.Lee,ou=SALES\2C  EAST,ou=本社,dc=Example,dc=JP". A read must put
// both users in the group and report the other two as members that are no
// user.
//
// # Generated users
//
// WriteUsers writes N inetOrgPerson users (uid user0000001…, Japanese cn,
// sn, givenName and displayName, mail, employeeNumber, departmentNumber)
// dealt round-robin into ou=<section>,ou=<dept>,ou=社員,<base> (4 × 3 OUs by
// default), deterministic, non-ASCII values base64-encoded as RFC 2849
// requires. The benchmark preloads it with slapadd; it does not clash with
// base.ldif.
package ldaptest
