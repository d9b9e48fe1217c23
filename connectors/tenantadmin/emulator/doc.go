// Package emulator is an in-memory tenant admin organizations API (seed
// document 001, 組織管理) served as an http.Handler. It follows the document
// to the letter and, where the document is silent, serves by default
// exactly the wire contract written in the package doc of
// connectors/tenantadmin; where the document allows another reading just as
// well, it serves that one behind a flag (see Readings).
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
// parent_id must name an organization (422; "" names none: null is the top
// level) and, on PUT, neither the organization itself nor one below it
// (422); metadata is an object of any
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
// ("POST /api/admin/organizations/{id}/members"). State returns a deep
// copy, ids and all. Dump returns the state as canonical text with no
// generated id and no timestamp (organizations by name, parents by name,
// users by user_id), one sorted line per organization, membership and
// user, so that the same source synced under any reading gives the same
// Dump. Each request is logged at debug level with method, path, status
// and duration; never a token or a body.
//
// # Readings
//
// Options.Readings (names parsed with Readings.Parse; `orgbridge emulate
// tenantadmin --reading NAME,...`) serves another reading of a place where
// seed 001 allows more than one. Each is named below with the seed line
// (001:line) that allows it; the default is the behaviour described above.
//
// What the organization list holds (one of the three; they exclude each
// other):
//
//   - children-nested (001:37 「include_childrenboolean-子組織を含める」,
//     001:102 「"children": [」): only top-level organizations; with
//     include_children=true each item carries "children", its child
//     organizations as items of the same shape, nested to every depth.
//     limit, cursor and total count the top-level items.
//   - top-level-only (001:37): without include_children=true (and without
//     parent_id) only the top-level organizations; with it, all of them.
//   - roots-only (001:36 「parent_idstring-親組織IDでフィルタ」, 001:37):
//     include_children qualifies parent_id alone: without parent_id only
//     the top-level organizations, whatever include_children says.
//
// Pages and rows:
//
//   - cursor-on-last-page (001:247 「"cursor": "eyJ1c2VyX2lkIjoidXNyX21lbWJlcjAwMiJ9"」,
//     the last item's key; 001:71 「"cursor": null」): every non-empty page
//     carries its last item's cursor; the page after the last is empty,
//     cursor null.
//   - limit-clamped (001:33 「limitinteger-取得件数(デフォルト: 20、最大: 100)」):
//     a limit over 100 is served as 100, not a 400.
//   - member-role-field (001:235 「"organization_role": "admin"」 against
//     001:280 「"role": "member"」): member rows name the role "role".
//   - member-count-inclusive (001:55 「"member_count": 25」, 001:334): the
//     count includes the members of every organization below.
//
// Members:
//
//   - member-post-upserts (001:252 「組織にメンバーを追加します。」, 001:262):
//     adding an existing member sets the role sent, 200.
//   - member-post-keeps (001:252, 001:262; excludes member-post-upserts):
//     adding an existing member changes nothing, 200 with its current role.
//   - member-delete-idempotent (001:286 「組織からメンバーを削除します。」,
//     001:306 「ステータスコード 204 No Content(ボディなし)」): removing a
//     non-member is 204, not 404.
//
// Updates and deletes:
//
//   - put-replaces (001:174 「PUT /api/admin/organizations/:id」, its example
//     sending two fields): description, parent_id and metadata not sent are
//     cleared; name and display_name not sent are kept.
//   - metadata-merged (001:138 「metadataobject-カスタムメタデータ」): PUT
//     merges metadata's keys into the stored ones (null removes a key).
//   - put-no-content (001:174, no response given where 001:203 gives
//     DELETE's): PUT answers 204 with no body.
//   - delete-cascades (001:189 「組織を削除します。」): deleting an
//     organization with children deletes the subtree and its memberships.
//   - delete-orphans (001:189; excludes delete-cascades): its children
//     move to the top level.
//   - delete-needs-empty (001:189): an organization with members (in the
//     subtree it would take) is 409 until they are removed.
//
// Errors:
//
//   - forbidden-unknown (001:7 「組織単位でのアクセス制御が可能です」, 001:80
//     「GET /api/admin/organizations/:id」 with no status for an unknown id):
//     a path naming an organization that does not exist is 403 forbidden.
//   - token-403 (001:43 「-H "Authorization: Bearer {token}"」): a missing or
//     refused token is 403 forbidden, with no WWW-Authenticate.
//   - errors-nested (001:45 「レスポンス例」: the document shows no error
//     body): every error is {"error": {"code", "message", "errors"?}}.
//   - validation-400 (001:134 「namestring組織名(英数字、ハイフン、アンダースコア)」,
//     a rule with no status): an invalid body is 400 invalid_request.
//
// Null and names (the PUT of 001:174 has no field table):
//
//   - null-ignored (001:174 「PUT /api/admin/organizations/:id」, 001:54
//     「"parent_id": null」 shown only in answers): fields are optional
//     pointers, Go style: null is read as not sent (PUT leaves the field as
//     it is); "" clears description and, as parent_id, is the top level;
//     answers leave out every null field and empty children and metadata.
//   - null-refused (001:136 「descriptionstring-説明」, 001:137
//     「parent_idstring-親組織ID」; excludes null-ignored): a schema of
//     optional strings: null for any field is 422 ("must be a string, not
//     null"); "" clears description and, as parent_id, is the top level.
//   - name-immutable (001:134 「namestring組織名(英数字、ハイフン、アンダースコア)」,
//     an identifier; 001:182-185 change only display_name and
//     description): PUT with a name other than the stored one is 422 on
//     name; the same name is accepted.
//
// Not served, and why:
//
//   - Member lists that include the members of organizations below
//     (001:208 「指定された組織のメンバー一覧を取得します。」 could be read
//     so): the document's member row names no organization, so no client
//     could tell a direct membership from an inherited one, and none could
//     sync such a server; the emulator and the adapter read member lists as
//     direct (001:290 deletes a member of one organization by id).
//   - A PUT that ignores parent_id (001:182-185 sends none): such a server
//     cannot be synced; the adapter checks the answer and fails naming the
//     organization instead of planning the move again every run.
//   - Rate limits: the document gives none; Options.RateLimit is a test
//     knob, not a reading.
//   - search, total, timestamps, depth and the role filter: orgbridge does
//     not use them.
package emulator
