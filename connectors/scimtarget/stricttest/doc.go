// Package stricttest is a SCIM 2.0 service provider in memory, for tests
// only: an independent reading of RFC 7643 (core schema) and RFC 7644
// (protocol), built on github.com/elimity-com/scim, that a SCIM client (the
// scim target adapter) is run against besides orgbridge's own endpoint.
// It was written from the RFCs, not from the adapter, so that the two
// disagree wherever the adapter expects something the RFCs do not promise.
//
//	srv := stricttest.New(t, stricttest.Options{PageCap: 5})
//	// srv.URL is the base URL (…/scim/v2), srv.Token the bearer token.
//	id := srv.SeedUser(t, `{"userName":"someone-else"}`)   // foreign data
//	… run the adapter …
//	users := srv.Users()                                  // end state
//
// # What it serves
//
// /ServiceProviderConfig, /Schemas, /ResourceTypes, /Users (the core User
// schema and the enterprise extension) and /Groups (core Group with
// members), under <URL> = http://127.0.0.1:<port>/scim/v2, on a port the
// kernel picks, behind `Authorization: Bearer <Token>` (401 otherwise).
// The library routes and validates POST and PUT bodies, renders resources
// and lists, and evaluates filters; PATCH is parsed and applied here.
//
// # Strict where the RFCs are
//
//   - userName is required, non-empty and unique across Users compared
//     case-insensitively (RFC 7643 §4.1.1: uniqueness server, caseExact
//     false): a clash is 409 scimType uniqueness, on POST, PUT and PATCH.
//   - id and externalId are caseExact (RFC 7643 §3.1): ids have upper and
//     lower case letters, GET /Users/{id} matches exactly, and a filter on
//     externalId or id compares exactly, while one on userName does not.
//   - A value of the wrong type (active: "yes", a string for a complex
//     attribute) is 400 invalidValue (RFC 7644 §3.12); an attribute no
//     schema defines, at any depth, is 400 invalidValue too (RFC 7644 §3.12
//     "not compatible with … resource schema"): nothing is silently dropped.
//   - A required attribute missing or empty (userName; a Group's
//     displayName, RFC 7643 §4.2) is 400 invalidValue.
//   - A Group member's value must be the id of an existing User or Group
//     (RFC 7643 §4.2 "members … value: identifier of the member"), exactly:
//     400 invalidValue otherwise. Deleting a User removes it from groups.
//   - PATCH (RFC 7644 §3.5.2): the body's schemas must be the PatchOp URI
//     and it must hold a non-empty "Operations" array, each with an op of
//     add, remove or replace (compared case-insensitively, as RFC 7643 §2.1
//     makes names, since the RFC does not say otherwise and Entra sends
//     "Replace"): 400 invalidSyntax otherwise. A remove without a path is
//     400 noTarget; an add or replace whose value filter
//     (emails[type eq "work"].value) matches no value is 400 noTarget
//     (§3.5.2.3), not an implicit add; and a remove of a multi-valued
//     attribute without a value filter removes ALL its values (§3.5.2.2),
//     whatever "value" the operation carries: to remove one member, send
//     path `members[value eq "ID"]`. The result must pass the same
//     checks as a PUT (types, required, uniqueness, member ids), or
//     nothing of the request is applied.
//   - A filter that does not parse, or names an attribute no schema has,
//     is 400 invalidFilter.
//
// # Readings (Options), each one the RFCs allow; an adapter must work under all
//
//   - PatchUnsupported: the ServiceProviderConfig says patch.supported
//     false and every PATCH is 501 (RFC 7644 §3.5.2: "Implementers SHOULD
//     support PATCH", not MUST; §3.12 501 "Service provider does not
//     support the request operation, e.g., PATCH").
//   - MaxOperations N: a PATCH with more than N operations is refused, 413
//     (or 400 scimType tooMany with MaxOperationsStatus 400) before anything
//     is applied; the ServiceProviderConfig advertises N as
//     bulk.maxOperations (RFC 7643 §5, RFC 7644 §3.7.4 "the service provider
//     … MUST … 413" over the limit). Nothing else advertises a limit per
//     request, so this is where a client can learn it.
//   - ETags: etag.supported true (RFC 7643 §5), each resource carries
//     meta.version and an ETag header (weak, W/"n", as RFC 7644 §3.14's
//     examples); a PUT, PATCH or DELETE whose If-Match names another
//     version is 412 (RFC 7644 §3.14). With RequireIfMatch also, one
//     without If-Match is refused 428 Precondition Required (RFC 6585 §3;
//     RFC 7644 §3.14 lets a provider require the precondition).
//   - PageCap N: a list returns at most N resources whatever count asks,
//     with the true totalResults, and filter.maxResults says N (RFC 7644
//     §3.4.2.4: "A service provider MAY return fewer results than
//     requested"); a client must page on startIndex until totalResults.
//   - FilterRequired: GET /Users or /Groups without a filter is 400
//     scimType tooMany (RFC 7644 §3.4.2: a provider may refuse a query that
//     "yields many more results than the server is willing to calculate or
//     process"); lookups with a filter (`userName eq "…"`, `externalId eq
//     "…"`, `displayName eq "…"`) work.
//   - RateLimit K: every Kth request (counted from the server's start) is
//     429 Too Many Requests with Retry-After: 1 and nothing applied
//     (RFC 6585 §4; RFC 7644 leaves throttling to HTTP).
//   - MembersNotReturned: Groups are served with members omitted unless
//     the request's attributes parameter names members (RFC 7643 §7
//     returned "request"; /Schemas says so). excludedAttributes=members is
//     honoured in every reading.
//   - FoldUserName (the case reading): userName is stored and returned in
//     lower case (RFC 7643 §7: "If the attribute is case insensitive, the
//     server MAY alter case for a submitted value"); externalId and every
//     caseExact attribute are kept as sent. Without it every value is
//     returned as stored, which is as sent.
//
// # What tests read
//
// Users() and Groups() return deep copies of what is stored, in creation
// order; Requests() every request with its answer's status. SeedUser and
// SeedGroup create resources as another client would (through the same
// checks, not counted by RateLimit), for "nothing foreign was dropped".
package stricttest
