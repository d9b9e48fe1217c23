// Package gen writes large synthetic directories for scale runs: N users
// in a tree of orgs, groups and group memberships, leavers and suspended
// users, as the demo's HR CSV (users.csv and orgs.csv, read by
// configs/demo.yaml's mapping) or as LDIF for OpenLDAP (read by
// configs/ldap-openldap.yaml). `orgbridge gen` and scripts/scale.sh use it.
//
// # Repeatable and streamed
//
// The same Options (seed included) give the same bytes. Nothing is held
// per user: every attribute of user u (its org, status, groups) is a pure
// function of the seed and u, so the users are written in one pass through
// a bufio.Writer and the LDIF's groups can name their members' DNs without
// a table of users. Memory stays constant at any N.
//
// # The org tree
//
// Depth levels; Orgs is the number of orgs on the deepest level (where the
// users work). Each org above has Fanout children, so level k has
// ceil(n[k+1]/Fanout) orgs and the total is the sum of the levels. Fanout
// 0 takes the smallest fan-out F ≥ 2 with F^(Depth-1) ≥ Orgs, which leaves
// a single root (本社): --orgs 10000 --depth 3 gives 1 + 100 + 10,000 =
// 10,101 orgs; --fanout 87 gives 2 + 115 + 10,000 = 10,117, the issue's
// figure. Org j of level k (from 0) is the child of org j/Fanout of level
// k-1; its name is the level's prefix and j+1 (本部001, 課00001), its code
// "O<level>-<j+1>", and its path (組織パス, LDAP ou_path) the names from the
// root down, joined by "/". Each user works in a leaf drawn by a hash of
// the seed and its number.
//
// # Users, leavers, suspended, memberships
//
// User u (from 0) has 社員番号 1000001+u, login e<社員番号> (the LDIF's uid),
// mail u<社員番号>@example.co.jp; every 25th is a manager (課長, 管理者; LDAP
// employeeType manager). A seeded permutation P of [0, N) orders the
// users: the last Leavers positions are leavers (在籍区分 退職, which
// demo.yaml's scope excludes; in LDIF under ou=退職者, which
// ldap-openldap.yaml's orgs.exclude leaves out), the Suspended positions
// before them are on leave (休職, which demo.yaml suspends; in LDIF
// pwdAccountLockedTime, read as disabled). The others are 在籍. So both
// counts are exact: round(N × percent / 100).
//
// Membership k (0 ≤ k < Memberships) is of the user at position k mod A
// (A = N − Leavers: leavers are in no group) in the group whose block of
// memberships [g·K/G, (g+1)·K/G) holds k. A group has at most A members,
// so a user is in a group at most once, and every group has a member
// (Memberships ≥ Groups), as an LDAP groupOfNames must.
package gen
