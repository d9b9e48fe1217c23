// Package ldap is a connectors.IncrementalSource that reads users, groups
// and organizational units from Active Directory or OpenLDAP
// (Config, the source.ldap block), on github.com/go-ldap/ldap/v3.
//
// # Connection
//
// url is ldaps://host[:636] (TLS from the first byte) or ldap://host[:389].
// An ldap:// URL needs start_tls: true (upgraded with StartTLS before the
// bind) or, to send the bind password in clear, allow_plain: true; without
// either it is a config error. ca_file (PEM) verifies the server's
// certificate instead of the system roots; server_name overrides the name
// checked, which is otherwise the URL's host (use 127.0.0.1, not
// localhost, when the certificate names an IP). TLS 1.2 is the minimum.
// The URL holds the scheme, host and port only.
//
// The source binds with bind_dn (a DN; AD also takes user@realm and
// DOMAIN\user) and bind_password, a config Secret read by New from its
// environment variable or file (the registry resolves a relative file
// against the config's directory). The password is in no log and no
// error. timeout (default 30s) bounds the dial, the TLS handshake, the
// whole set-up up to the bind, and each request (each page of a search).
//
// Every Read opens its own connection, binds, reads, and closes it; a
// Source is safe for concurrent use. If the connection fails after the
// dial (dropped or reset during the bind or a search, a request timed
// out), the read is started again from scratch on a new connection, once:
// a paging cookie is bound to its connection, so a read cannot resume
// where it stopped, and starting over never mixes two states of the
// directory. A second failure fails the read with a
// connectors.TransientError whose message also names the first ("… (read
// again after: …)"). A dial that fails is not retried here: it is a
// TransientError at once, for the runner to retry later. Nothing read
// before a failure is ever returned.
//
// # Searches
//
// Users, groups and OUs are read with the simple paged results control
// (RFC 2696), page_size entries a page (default 1000; AD's MaxPageSize is
// 1000). Pages are streamed (SearchAsync, one page request after the
// other): each entry becomes a record as it arrives, and raw entries are
// not held. users.filter defaults to
// (&(objectCategory=person)(objectClass=user)) on AD and
// (|(objectClass=person)(objectClass=posixAccount)) on OpenLDAP;
// groups.filter to (objectClass=group) on AD and
// (|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))
// on OpenLDAP; a filter given without its outer parentheses gets them. A
// page_size above what the server allows is the server's to refuse
// (OpenLDAP's limits size.pr: "Admin Limit Exceeded", and the read fails;
// AD sends pages of its MaxPageSize instead).
// scope is sub (default) or one. Referrals (AD returns them for other
// partitions) are not followed. A search that fails for any reason — a
// result code other than success, such as a size or time limit, a base DN
// that does not exist, a connection lost twice — fails the whole read: a
// partial result would look like the deletion of everything it missed.
//
// # Bulk user search
//
// The users searches (the one search of a full read, and those of an
// incremental read) are sent and decoded by the source itself, not by
// go-ldap, on the same connection; everything else (rootDSE, OUs, groups,
// AD's in-chain and range reads, StartTLS's TLS and the bind) is go-ldap's
// or done as go-ldap does it. The reason is cost: go-ldap decodes each
// message into a tree of asn1-ber packets, re-encoding every child into
// its parent and reading each value through io.ReadAll
// (go-asn1-ber/asn1-ber#49), which took 40% of a large read's CPU and, with
// the garbage collection its garbage caused, held a 100,000-user read to a
// fifth of ldapsearch's rate with a heap peak of over 300 MB; go-ldap
// alone reads no faster. The users search is the only one of that size.
//
// The connection is dialled, secured and bound as above, by one code path
// (ldaps:// TLS from the first byte; StartTLS sent by the source with the
// same request and errors as go-ldap's, then the TLS handshake; the bind by
// go-ldap), so the TLS rules, CA, server name and timeouts are the same
// for every search. go-ldap reads through a thin wrapper of the
// connection: between two of go-ldap's operations the users search takes
// the connection over (go-ldap's idle reader is held back, its pending
// read interrupted by a past deadline that go-ldap never sees), writes its
// SearchRequest with the paged results control, and reads the
// SearchResultEntry, SearchResultReference and SearchResultDone messages
// from a buffered reader with a minimal BER reader (ber.go): definite
// lengths only (an indefinite length, a length of more than 4 bytes or
// over 256 MB, a multi-byte tag or an element overrunning its parent is a
// malformed message), no tree, each message read into one buffer reused
// from message to message, elements as sub-slices of it. Only the DN and
// values of an entry are copied, into one string per entry. One goroutine
// reads and decodes the pages, sending the next page's request as soon as
// a page ends, while the read's own goroutine turns the entries into
// records: the server works on a page while the last is being turned into
// records. Entries pass between them in batches of 64, at most 16 batches
// ahead (so no more than about a page of decoded entries is held), and a
// batch's memory is reused once its records are built. A result code
// other than success gives the same error as go-ldap's ("LDAP Result Code
// 4 "Size Limit Exceeded": …"); a malformed message, a connection dropped
// or reset, a notice of disconnection or a page that does not arrive
// within timeout is a failure of the connection, after which the read is
// started again once, as above. The connection is handed back to go-ldap
// after the search, and closed by it.
//
// A user's DN is parsed down to its first RDN only: what its parent DN
// gives (its canonical form and the OU path) is parsed once per parent and
// kept for the read.
//
// A user record costs its Attrs map and little else, since the map and the
// garbage collection it drives are most of what a large read spends: the
// decoder notes where each attribute asked for is in the entry, so that
// none is looked up by name; the values of some hundred records share one
// backing array, each attribute's values a full slice of it; an entry's
// value slices are reused batch by batch; the users are kept in chunks
// that grow without copying, and sorted by key once, at the end, which on
// a full read also finds two users with the same key (reported among the
// other entry errors in read order, as if found while reading).
//
// # Records
//
// Users (Kind user): Key is the key_attribute (default objectGUID on AD,
// entryUUID on OpenLDAP) as text: objectGUID (and msDS-ConsistencyGuid) as
// the canonical lower-case GUID string 8-4-4-4-12 in the byte order Windows
// shows (the first three groups little-endian), objectSid as S-1-5-…,
// anything else as its value, which must be valid UTF-8. Origin is the
// entry's DN. Attrs holds:
//
//   - every attribute named in attributes and in required, with all its
//     values ([""] when the entry lacks it, so that a mapping may name it);
//     GUID and SID attributes rendered as above, other values that are not
//     valid UTF-8 (a photo) in standard base64;
//   - dn: the entry's DN as the server returned it;
//   - ou_path: the names of the OUs between users.base_dn and the entry,
//     top-down, joined by "/" ("本社/営業部/第一課"; "" directly under the
//     base). Only ou= components count: an entry under AD's CN=Users has
//     "" there. With orgs.from: attribute, the first value of
//     orgs.attribute instead (a path such as department, "" when absent).
//     An OU name holding "/" cannot be split back and is an entry error;
//   - groups: the keys of every group in scope the user is in (see Groups),
//     sorted, distinct, joined by ";"; "" for none;
//   - disabled: "true" or "false". On AD, bit 0x2 (ACCOUNTDISABLE) of
//     userAccountControl; on OpenLDAP, "true" when pwdAccountLockedTime
//     (ppolicy) is set. The mapping suspends such users; the source never
//     leaves them out.
//
// The names dn, ou_path, groups and disabled are computed and cannot be
// listed in attributes or required.
//
// Groups (Kind group, when groups is configured): Key as for users, Origin
// the DN, Attrs cn, description, dn ("" when absent) and each attribute of
// attributes the group has. A group key may not hold ";".
//
// Orgs (Kind org, with orgs.from: ou): one record for each OU below
// users.base_dn in scope: Key is its path as in ou_path (its own name
// last), Origin its DN, Attrs ou (its RDN value), description and dn. Two
// OUs with the same path (OUs under CN= containers) give one record, the
// first read. With orgs.from: attribute there are no org records: the
// mapping builds the tree from the users' ou_path.
//
// Records come users first, then orgs, then groups, each sorted by key.
// Two users (or two groups) with the same key fail the read, naming both
// DNs, whatever on_missing says.
//
// # Org scope
//
// orgs.include and orgs.exclude list OU DNs, each under users.base_dn. An
// OU or a user is in scope when no include is given or it is at or below
// an included DN, and it is not at or below an excluded DN: exclusion
// wins. Users out of scope are left out of the read entirely (they are not
// kept with a shortened path); with include set, so are the users directly
// under the base. OUs are searched under users.base_dn with scope sub,
// so orgs.from: ou needs users.scope sub.
//
// # Groups and nesting
//
// On OpenLDAP, a group's members are its member (groupOfNames) and
// uniqueMember (groupOfUniqueNames; an optional #'…'B suffix is dropped)
// DNs, matched to users by DN, and its memberUid values (posixGroup),
// matched to users by their uid attribute.
// With nested_groups (the default), a member DN that is a group in scope
// makes its members members of the outer group, at any depth; a cycle (A
// in B in A) ends where a group repeats, and is logged. A member that is
// neither a user nor a group in scope is left out; so is a nesting through
// a group outside the groups search.
//
// DNs are compared as the directory compares them (distinguishedNameMatch,
// RFC 4514, with the values as RFC 4518 prepares caseIgnoreMatch strings),
// wherever the source compares or maps DNs: a member to a user or a group,
// an entry to users.base_dn, to orgs.include and orgs.exclude, and to the
// naming context. Escapes are decoded ("\," and "\2C" are a comma), case
// is ignored in types and values, the components of a multi-valued RDN
// ("cn=a+uid=b") may come in any order, and spaces are insignificant as
// RFC 4518 says: spaces around types and values, leading and trailing
// spaces in a value (escaped or not), and inner runs of white space, which
// count as one space. So a member "UID=Kim,OU=SALES\,  EAST,dc=example" is
// the user "uid=kim,ou=Sales\2C East,dc=example": slapd keeps a member
// value as it was written and holds the two equal, and so does the source.
// (AD keeps member as a link to the entry and returns the entry's own DN,
// whatever spelling added it.)
// (RFC 4518's NFKC and its characters mapped to nothing are not applied.)
//
// A member value (member, uniqueMember or memberUid) that is no user of the
// read and no group of the groups search — a deleted account left in the
// group, a service entry, a user out of scope or skipped as a bad entry —
// is left out of the memberships, and each group holding such values is
// logged once per read at info level: "ldap: group members that are no
// user in the read; left out", with the group's dn, their count and the
// first three as the group holds them (a memberUid as "memberUid: <uid>").
// Their sum is the read line's unresolved_members. A full read checks every
// group; an incremental read checks the groups that changed (it reads all
// their members). On AD with nested_groups the server finds the members
// (users only), and nothing is checked.
//
// On AD with nested_groups, the members of each group at any depth are
// found by the server with the in-chain matching rule: one paged search of
// the users' base and filter with
// (memberOf:1.2.840.113556.1.4.1941:=<group DN>) per group, which also
// follows nesting through groups outside the groups search. Without
// nested_groups, the member attribute is read, and a large one is read with
// range retrieval as AD returns it: the search gives member;range=0-1499,
// and the source asks for member;range=1500-* and so on, until the answer
// is a range ending in "*". A range answer that does not start where asked
// fails the read. Membership through primaryGroupID (Domain Users) is not
// in member on AD and is not seen.
//
// # Bad data
//
// A user entry that lacks its key attribute or one of required (no value,
// or only empty ones), has a malformed GUID or SID, an unreadable
// userAccountControl, or an OU name with "/" in its path is an entry
// error: "uid=jdoe,ou=people,dc=example,dc=org: missing required attribute
// "mail"" (errors.Is ErrMissingAttribute; *EntryError). The same holds for
// a group without a usable key. on_missing says what happens: fail (the
// default) reads on and then fails the read, naming every such entry (the
// first 50, then "and N more errors"); skip logs each (with its DN) at warn
// level and leaves it out, so a full read treats it as gone (the mapping
// suspends or deletes it by the job's leavers).
//
// # Incremental reads
//
// ReadChanged(ctx, "") is a full read; it returns the records and a mark.
// ReadChanged(ctx, mark) reads what changed since: the mark's text is
// "<attribute>:<value>", for the attribute incremental names (default
// uSNChanged on AD, modifyTimestamp on OpenLDAP; also whenChanged on AD and
// entryCSN on OpenLDAP). It returns
//
//   - the users changed since the mark: uSNChanged>=N+1 and entryCSN>X
//     (written (&(entryCSN>=X)(!(entryCSN=X)))), both unique per change;
//     modifyTimestamp>=T or whenChanged>=T, where a time has a second's
//     granularity, so what changed in the mark's second is read again;
//   - with orgs.from: ou, the OUs changed since the mark, and every user
//     below each of them (a renamed or moved OU changes its users' DNs and
//     paths without changing them);
//   - for each group changed since the mark, the group's record and every
//     one of its members at any depth, read by DN (entryDN on OpenLDAP,
//     distinguishedName on AD) or by uid in batches of 50, within the
//     users' base, filter and scope.
//
// Every user record is complete, with all its groups: an incremental read
// still reads every group in scope (and, on AD with nested groups, runs the
// in-chain search of each) to know them. Deletions and removals from groups
// are not visible to an incremental read; the full read (the nightly
// reconcile) finds them.
//
// The new mark is taken from the server before the read starts, so that a
// change made during the read is read again next time: on AD the rootDSE's
// highestCommittedUSN (currentTime for whenChanged or modifyTimestamp), on
// OpenLDAP the contextCSN of the naming context holding users.base_dn (the
// greatest, when there are several), which OpenLDAP keeps with the syncprov
// overlay (with modifyTimestamp, the contextCSN's time cut to the second).
// Without a contextCSN (or when an ACL hides it), the mark is the greatest
// value seen in the entries read, moved back by the read's duration (as
// the client measured it, so no shorter than the server's) and cut to the
// second (to the microsecond for a CSN): every entry changed during the
// read changed after that, so none is missed, and the last changes before
// the read are read again next time.
// A USN is per domain controller: point an AD source at one DC. A mark of
// another attribute (the config changed) or a malformed one is logged and
// answered with a full read.
//
// # Errors
//
// New checks the block without network I/O and reports every problem,
// each naming its config key:
//
//	source.ldap.url: required (ldaps://host:636 or ldap://host:389)
//	source.ldap.url: "http://dc1" is not an ldap:// or ldaps:// URL with a host
//	source.ldap.url: "ldap://dc1:389" is plain LDAP: the bind password would cross the network in clear; use ldaps://, set start_tls: true, or set allow_plain: true to accept it
//	source.ldap.start_tls: cannot be used with an ldaps:// URL, which is already TLS
//	source.ldap.ca_file: read CA file: open ca.pem: no such file or directory
//	source.ldap.bind_dn: required
//	source.ldap.bind_password: environment variable LDAP_BIND_PASSWORD is not set
//	source.ldap.users.base_dn: required
//	source.ldap.users.filter: "(objectClass=user": …
//	source.ldap.users.scope: "base" is not sub or one
//	source.ldap.flavor: "389ds" is not ad or openldap
//	source.ldap.orgs.from: required (ou or attribute)
//	source.ldap.orgs.exclude[0]: "ou=x,dc=other" is not under source.ldap.users.base_dn
//	source.ldap.attributes[2]: "groups" is computed by the source (dn, ou_path, groups, disabled) and cannot be read
//	source.ldap.on_missing: "ignore" is not fail or skip
//	source.ldap.incremental: "whenCreated" is not uSNChanged, whenChanged, modifyTimestamp or entryCSN
//
// Read's errors name the config key and the DN: "source.ldap.bind_dn: bind
// as "cn=reader,dc=example,dc=org": LDAP Result Code 49 "Invalid
// Credentials": …", "source.ldap.users: search ou=people,dc=example,dc=org:
// LDAP Result Code 4 "Size Limit Exceeded": …". A dial, TLS or connection
// failure is a connectors.TransientError; a refused bind, a bad base DN or
// bad data is not.
//
// # Logs
//
// The logger is scoped with source=ldap and url. Each read logs at info
// level the counts of users, groups and orgs, the entries skipped, the
// group member values that are no user (unresolved_members), the number of
// search requests, the new mark and the duration, and before it one info
// line for each group with such members (see Groups and nesting); a
// retried read, a skipped entry, a nesting cycle and a member that is not
// a DN log at warn level with the DN.
package ldap
