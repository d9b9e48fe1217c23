// Package scim is orgbridge's SCIM 2.0 endpoint (RFC 7643/7644). What it
// stores, the scim source (connectors/scim) reads.
//
// # The endpoint
//
// Server serves /scim/v2/Users (core and enterprise extension) and
// /scim/v2/Groups, ServiceProviderConfig, ResourceTypes and Schemas, on
// github.com/elimity-com/scim, which parses and validates requests. What the
// library leaves out, or does in a way identity providers trip over, is done
// here, each with a test:
//   - Auth: the library has no hook. Bearer tokens (several, for rotation)
//     are compared in constant time; a miss is 401 with a SCIM error body.
//     Tokens are never logged. Bodies are bounded (413 beyond MaxBodyBytes).
//   - Filters: the library validates filters but does not apply them, and
//     rejects filters on id, externalId and meta.* unless the schemas list
//     them, so the served schemas carry those common attributes and the
//     handlers apply filters themselves (matcher, filter.go): eq, ne, co,
//     sw, ew, gt, ge, lt, le, pr, and, or, not, value paths, case rules from
//     the schemas (userName case-insensitive). Bare comparison values
//     (`userName sw O`, as Microsoft's collection sends) are quoted first.
//   - attributes and excludedAttributes are applied here (project.go),
//     including Entra's excludedAttributes=members.
//   - Entra sends string booleans ("active": "True"); the library's
//     schema.SetAllowStringValues is turned on (it is process-wide).
//     PATCH op and path arrive in the client's casing; members given as bare
//     ids or with displayName, and the enterprise manager as a bare id, are
//     normalized before validation (normalize.go).
//   - "/Users/?filter=" (trailing slash) would reach Get with an empty id,
//     and "/users" would be a 404: paths are trimmed and endpoint names
//     matched case-insensitively.
//   - meta.location is the resource's absolute URL (RFC 7643 §3.1), where
//     the library writes it relative ("Users/<id>"). It starts with
//     Options.PublicURL when that is set (a proxy in front); else the
//     scheme is https when the connection is TLS, else http, and the host
//     is the request's Host header. X-Forwarded-* headers are not trusted;
//     behind a proxy without PublicURL, the proxy must pass the public Host
//     on (and the scheme is what reaches orgbridge). A 201's Location, and
//     the Content-Location of a GET, PUT or PATCH that answers with the
//     resource, are that same URL.
//   - /Schemas is complete enough for a client to build its model from:
//     every reference attribute has referenceTypes (meta.location, which
//     the library leaves without, is a "uri"). Schemas and resource types
//     get the meta the library leaves out (resourceType, location), and a
//     list of them its true itemsPerPage.
//   - POST /.search, /Users/.search and /Groups/.search (RFC 7644 §3.4.3,
//     search.go): the SearchRequest (filter, attributes,
//     excludedAttributes, sortBy, sortOrder, startIndex, count) is served
//     as the GET of the collection with those parameters. The root search
//     runs over each resource type whose schemas the filter fits (a filter
//     on userName leaves Groups out) and pages the merged list; a filter
//     no type accepts is invalidFilter. Sorting is not supported (and
//     ServiceProviderConfig says so), in a search as in a GET.
//     attributes and excludedAttributes may also come as one
//     comma-separated string. /Bulk, unsupported, is 501 (the library's
//     404 would say there is no such endpoint).
//   - 201 gets a Location header; every resource an ETag (W/"version"),
//     If-Match is honoured (412), and ServiceProviderConfig, served here,
//     says so (the library's says etag unsupported).
//   - PATCH answers 204 (RFC 7644 §3.5.2 allows it; Microsoft's collection
//     expects it) with the new version as its ETag header (which the
//     library sets only on an answer with a body), or 200 with the
//     resource when attributes or excludedAttributes are asked for.
//
// DELETE removes the resource (it leaves a tombstone in the store that only
// the source sees); deactivation is PATCH or PUT with active false, which
// the mapping turns into a suspended user.
//
// # Admission
//
// With Options.Mappings set (orgbridge serve sets it to the mappings of
// the jobs whose source is scim, current after each reload), a create, PUT
// or PATCH is first mapped as the scim source will read it
// (connectors/scim.UserRecord, GroupRecord) under each job's rules, alone,
// as an incremental run maps it (admission.go). What the mapping could
// never map is refused, not stored: a required field left empty, a value
// a template cannot take (a role value the map lacks) is 400 invalidValue,
// and its detail starts with the SCIM attributes the failing template
// reads (its field references: "displayName, name.familyName,
// name.givenName: job "scim-to-aircourse" cannot map this User: its name
// (users.name) is empty"); a User whose mapped login id or e-mail another
// live User already maps to, compared case-insensitively as the mapping
// compares them, is 409 uniqueness naming the attribute, the mapped value
// and the other User's id. A PATCH is checked on its result. A
// deactivation (a PUT or PATCH whose result has active false) and a DELETE
// are never refused, so an IdP can always disable a user. Users the job's
// scope excludes are not checked.
//
// Uniqueness is checked against an index per job of every live User's
// mapped login id and e-mail (and the Groups listing it, which the
// templates may read). It is built on the first write from the store's
// change sequence and brought up to date before each check with the
// changes since (store.SCIMChanged), so the writes of another replica on
// the same store count and a push re-maps only what changed since the
// previous one. Two concurrent creates of the same mapped e-mail can both
// pass; the mapping's own check still catches that at the next run.
//
// # Storage
//
// Resources live in the state store (store.SCIMResource): a restart loses
// nothing acknowledged. Every PUT and PATCH is a read-modify-write guarded
// by the stored version, so concurrent requests lose no write. Within one
// process, writes to one resource (PUT, PATCH, DELETE) first take that
// resource's lock (keyedlock.go: one per resource in use, dropped when
// none waits), so they queue instead of racing. Between replicas on one
// PostgreSQL database, a write that finds the version changed under it
// (store.ErrStale) re-reads and applies the request again, after a
// jittered, exponentially growing wait (2 ms doubling up to 250 ms), until
// 20 s after the request began or the request context's deadline if
// sooner. A write that cannot be made by then (the resource kept changing,
// or its lock stayed taken) is 503 with Retry-After: 1, which identity
// providers retry, not 500; so is a cancelled request. (The library
// answers 500 for a handler's 503; the handler notes it in the request's
// context and the server answers it as it is.) userName is unique
// case-insensitively (409 uniqueness).
package scim
