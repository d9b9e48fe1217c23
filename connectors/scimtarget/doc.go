// Package scimtarget is the scim target (target type scim): the client
// side of SCIM 2.0 (RFC 7643, RFC 7644), which provisions into any
// service provider that takes SCIM, as most SaaS applications do. The
// package connectors/scim is the other side: the source that reads what
// identity providers push to orgbridge's own endpoint (package scim).
//
// # Config
//
// base_url is the SCIM root (https, or http to localhost), under which
// /Users, /Groups and /ServiceProviderConfig are. Credentials are a
// static bearer token (token: {env|file}) or OAuth2 client credentials
// (token_url, client_id, client_secret, scopes), exactly one of them.
// page_size is the count of a list page (default 100). orgs_as says where
// the mapping's orgs land: groups (default: each org a Group, flat, its
// externalId OrgPrefix and its code) or department / organization (no
// org objects: Capabilities say no orgs, the job lists kinds without
// orgs, and the mapping writes the org into the user's enterprise
// attribute of that name through users.attributes). attributes maps
// orgbridge's user fields to SCIM attribute paths, over DefaultAttributes:
// login_id (userName, required), key (the source key, written on create;
// externalId), name (displayName), email (emails[type eq "work"].value)
// and the mapping's user attributes, named as the scim source names them
// (givenName, familyName, title, department, employeeNumber, manager, …);
// a user's suspension is active. The enterprise manager names a user:
// the mapping gives the manager's source key (the scim source's manager
// is the manager's id there, its key), and the target writes the
// manager's SCIM id in this server, resolved through the executor's ids;
// Read reports the id, and Capabilities name the attribute in
// UserAttributeRefs so that the planner compares it through its links.
// userName is caseExact false (RFC 7643 §4.1.1) and a server may keep it
// in another case than it was sent: Capabilities say
// LoginIDCaseInsensitive, so a login id that differs only in case is no
// change (and a change of case alone in the source is not written).
// Every path must name an attribute of the core User schema or the
// enterprise extension. max_operations bounds the member operations of
// one PATCH (default 100). timeout, max_retries, retry_wait_min,
// retry_wait_max and max_retry_after are every HTTP target's.
//
// # Discovery
//
// GET /ServiceProviderConfig on first use: patch.supported,
// bulk.maxOperations (the only limit on operations a server can state: no
// PATCH carries more operations, whether bulk is supported or not),
// filter.supported and maxResults (caps count), etag.supported. A server
// without one (404) gets safe assumptions: PATCH tried, filters tried, no
// ETags until an answer carries one. A PATCH refused with 501, 405 or 400
// invalidSyntax turns the run to PUT (logged once).
//
// # Reading
//
// Users and Groups are listed with startIndex (1-based) and count,
// following totalResults, stopping at an empty page, taking what a page
// holds whatever count asked. A server that answers a later startIndex
// with resources already read does not page: the list ends there, and it
// fails when totalResults says more were due. Keys are SCIM ids. A
// Group whose externalId starts with OrgPrefix is an org, its code the
// rest; other Groups are groups, their code the externalId. Members are
// kept when they are Users the same Read listed; every membership is
// role member (a Group has no roles). meta.version of each resource is
// kept as its ETag. A server that lists only with a filter (400 tooMany)
// is asked with one every resource meets (userName pr, displayName pr).
// When no Group of a list carries members, the server may return them
// only when asked (RFC 7643 §7, returned "request"): /Schemas is read
// (once), and the Groups are listed again with attributes=members only
// when the Group schema says members are returned on request, or the
// server serves no /Schemas or says nothing of them; when it says they
// are returned by default, the Groups are empty and nothing more is read.
// ServiceProviderConfig is read once, however many lists start at once.
// What a Read listed is kept by natural key (userName, externalId; a
// Group's externalId and displayName), until the next Read, for the
// creates that follow, when the list was whole: every page read, up to
// its totalResults, with no filter put in for a server that lists only
// with one.
//
// # Writing
//
// A create first looks its object up by natural key (a User by userName,
// case-insensitively, then by externalId; a Group by externalId, then by
// displayName among Groups of its kind or with no externalId): what is
// found is adopted (the create returns its id) and brought to the
// desired state by a PATCH of what differs. Otherwise it POSTs, with the
// schemas it uses (the enterprise extension's when it writes one of its
// attributes); a 409 uniqueness is answered by the same lookup. An update
// is a PATCH with one operation per field the typed Diff names, the old
// value taken from the Diff: replace, remove when the new value is empty,
// and for a multi-valued attribute with no value of the type yet an add
// of the value. Where PATCH is not taken, a PUT of the resource as a GET
// gives it with the mapped attributes laid over it, so that nothing
// orgbridge does not map is dropped. A suspension is active false. A
// manager with no SCIM id yet (created in the same run: the planner puts
// every user write in one stage and orders no manager before its
// reports) is left out of a create, and the next run's update sets it;
// an update whose manager has no id fails with ErrUnresolved before it
// writes, and the executor tries it again after the rest of the run. A
// delete is DELETE (404 is the executor's "already gone"). Group members
// change by PATCH add (the new members in one operation) and remove
// (members[value eq "…"], one per member), never a replace of the list;
// the member changes of one Group that the executor applies at the same
// time go in one PATCH of up to max_operations. When the server versions
// resources, every PATCH, PUT and DELETE carries If-Match (the version
// Read or the last write gave, else a GET's); a 412 reads the version
// again and tries once more. A write's version is its answer's ETag
// header (a PATCH answered 204 carries one, RFC 7644 §3.14), else the
// meta.version of the resource a 200 returns; a 204 without one leaves
// the next write to read it. A PUT of a Group whose GET left its members
// out asks for them first (unless /Schemas say members are returned by
// default), so the PUT keeps them.
//
// When the last Read listed the collection whole, the lookup before a
// create is answered from that listing, without a request: on a first
// sync every lookup would find nothing, at one or two GETs an object.
// Find (the executor's lookup, in a retry pass, of a create whose answer
// was lost), a second attempt at a create since the Read and the lookup
// after a 409 ask the server, since what they look for may have been
// made after the Read.
// The listing accepts one race: an object another client makes between
// the Read and the create (or that a delete during the Read's paging
// shifted past a page) is not found before the POST. Most such are
// caught after it: a server that keeps userName unique answers 409, and
// the object is adopted; one that matches only by externalId, on a
// server that does not keep externalId unique (RFC 7643 leaves that to
// it), is made twice, as it would be by a create racing the lookup
// itself.
//
// # Tests
//
// The conformance suite (connectors/targettest) runs against orgbridge's
// own endpoint (package scim over SQLite) and against stricttest, a
// strict server written from the RFCs, under each of its readings (PATCH
// unsupported, a limit on operations, ETags with If-Match required, pages
// capped, lists only with a filter, rate limits, members only on request,
// userName folded to lower case, and all of them at once).
//
// A Group holds no description, no org and no parent: a change asking
// for one fails, naming the mapping to change, rather than write less
// than it says and plan it again on every run.
//
// # Errors
//
// A SCIM error body's scimType and detail make the error's message
// ("409 Conflict: uniqueness: …"); a 400 is also a connectors.FieldError
// naming the attribute its detail names; 404 is ErrNotFound, 409
// ErrConflict, 429 and 5xx transient, as httpkit makes them. 429 and 503
// with Retry-After are paced by httpkit's pacer.
package scimtarget
