// Package emulator is an in-memory tenant admin organizations API (seed
// document 001, 組織管理) served as an http.Handler. It follows the document
// to the letter and, where the document is silent, serves exactly the wire
// contract written in the package doc of connectors/tenantadmin.
//
//	srv := emulator.New(emulator.Options{Users: emulator.DemoUsers(), Tokens: []string{"t0ken"}})
//	ts := httptest.NewServer(srv)
//
// NewDemo is the emulator of configs/tenantadmin.yaml: the twelve demo
// users (usr_1001 … usr_1012, the employees of configs/demo/users.csv with
// their names and mails) and DemoToken.
//
// # Order of processing
//
// Faults.Latency (abandoned, with nothing written, when the request's
// context ends); the rate limiter, when Options.RateLimit is positive (429);
// fault injection (429, 5xx); the bearer token (401, for any path: the
// admin API sits behind its token); the route (404 for an unknown path, 405
// with Allow for a known path and another method); the body of POST and PUT
// (400); the organization of the path (404); validation (422, body fields;
// 400, query parameters); last, conflicts (409). A request stopped before
// its handler has no side effect.
//
// # Tokens and users
//
// There is no token issuance in the document: tokens are registered
// (Options.Tokens, AddToken) and accepted as "Authorization: Bearer
// <token>" (scheme case-insensitive) until revoked (RevokeToken,
// ExpireTokens). Anything else is 401 with a WWW-Authenticate: Bearer
// challenge. Users exist outside this API: they are seeded
// (Options.Users, AddUser), shown in member lists with their email and
// name, and a member must be one of them.
//
// # Organizations
//
// Ids are "org_" and 12 random lower-case alphanumerics, never reused.
// name is required, [A-Za-z0-9_-]+ and unique in the tenant compared
// case-insensitively (a duplicate is 409); display_name is required and
// not blank; description is a string or null ("" reads back as null);
// parent_id must name an organization (422) and, on PUT, neither the
// organization itself nor one below it (422); metadata is an object of any
// JSON values, or null for none. A field of another JSON type is 422 on
// it; unknown fields are ignored. Lengths are not limited (the document
// gives none). POST answers 201 with the document's create example fields
// (id, name, display_name, description, parent_id, member_count,
// created_at) and a Location header. PUT replaces the fields it is sent
// and leaves the others (metadata is one field, replaced whole; null
// clears description, parent_id and metadata) and answers 200 with the
// detail. DELETE answers 204; an organization with child organizations is
// not deleted (409, naming them), and its memberships go with it. The
// detail adds parent ({id, name, display_name} or null), children (the
// direct ones, by id), metadata ({} when none); list items have exactly
// the list example's fields (no metadata). member_count counts direct
// members. created_at and updated_at are Unix seconds by Options.Now;
// updated_at changes on every successful PUT, not on member changes.
//
// # Lists and cursors
//
// limit is 1..100 (default 20); items are in id order (members in user_id
// order) and cursor is the base64url (no padding) of {"id": last id} ({"user_id":
// …} for members, as the document's example cursor is), null on the last
// page; a page starts after the cursor's key, so a deletion between pages
// skips nothing. total counts every match. Standard or padded base64 is
// read too. On organizations, search keeps those whose name or
// display_name contains it (case-insensitive); parent_id keeps the direct
// children of an organization, or with include_children=true (or 1) every
// organization below it; include_children alone changes nothing (the list
// holds every organization already). On members, role is admin or member.
// A bad limit, cursor, include_children or role is 400 with the errors
// shape below. GET …/{id}/hierarchy?depth=N answers the organization and N
// levels below it (every level without depth; 0: none), children by id,
// each node {id, name, display_name, member_count, children}.
//
// # Members
//
// POST …/{id}/members {"user_id", "role"}: user_id is required and must be
// a user of the tenant (422), role is admin or member (default member,
// null too; anything else 422). 201 {organization_id, user_id, role,
// joined_at}. A user already a member is 409, whatever the role: there is
// no call that changes a role. DELETE …/{id}/members/{userId} answers 204,
// or 404 when the user is not a member.
//
// # Errors
//
// Every error is {"error": code, "message": text}, with "errors": {field:
// [message]} on 422 and on a 400 for a query parameter (the first message
// is also "message"). Codes: invalid_request 400, unauthorized 401,
// not_found 404, method_not_allowed 405, conflict 409, validation_failed
// 422, rate_limited 429, internal_error 500, bad_gateway 502,
// service_unavailable 503.
//
// # Rate limit and faults
//
// The document has no rate limit, so by default there is none. A positive
// Options.RateLimit allows that many requests per client IP in a fixed
// minute opened by its first request; responses then carry
// X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset, and a 429
// carries Retry-After. Faults draws once per request past the limiter from
// a generator seeded with Faults.Seed: below Rate429 a 429 with
// Retry-After 1, below Rate429+Rate5xx a 500, 502 or 503 (equal odds),
// both before any processing. SetFaults replaces them and reseeds.
//
// # Inspection
//
// Stats counts Requests (all), Writes (POST, PUT and DELETE past the token
// check and routed to a resource, whatever their outcome), RateLimited,
// Faulted and ByRoute
// ("POST /api/admin/organizations/{id}/members"). Dump returns a deep copy.
// Each request is logged at debug level with method, path, status and
// duration; never a token or a body.
package emulator
