// Package pcaid is the target adapter for the pcaid organization API
// "api/orgs/v1" (seed document 000): an HTTP client on go-retryablehttp with
// OAuth2 client credentials, a connectors.Target over it, and a
// connectors.BatchApplier that creates many users through the API's
// asynchronous import.
//
// # Wire contract
//
// The document is a table of endpoints (path, method, name, the scope
// column) and nothing else: no fields, no shapes, no status codes. What
// follows is our choice, the most ordinary REST shape that fits the table;
// the emulator (package emulator) serves exactly this, and the adapter
// reads leniently (see "Reading") so that it also works against other
// servers built from the same table.
//
// Paths are relative to the base URL, which on the emulator is
// http://HOST:PORT/api/orgs/v1 (the document's name for the API). Bodies
// are JSON, field names snake_case like the document's path parameters
// (account_id, task_id).
//
//	POST /oauth2/token          on the base URL's host (not below /api/orgs/v1); form
//	                            grant_type=client_credentials, scope (space-separated; absent: every
//	                            scope the client may use); client authentication by HTTP Basic (sent by
//	                            the adapter) or client_id/client_secret in the form
//	                            → 200 {"access_token","token_type":"Bearer","expires_in":3600,"scope"}
//	                            → 400 {"error":"invalid_request"|"unsupported_grant_type"|"invalid_scope",
//	                            "error_description"}; 401 {"error":"invalid_client",…}
//	GET  /organizations                          → 200 Organization (the token's own)
//	GET  /organizations/service_partition        → 200 {"service_partitions":[ServicePartition]} (all)
//	POST /organizations/service_partition        {name, code?, description?} → 201 ServicePartition;
//	                                             with service_partition_id: changes the fields sent
//	                                             of that partition → 200 (the document lists no
//	                                             other way to rename one)
//	POST /organizations/service_partition/remove {service_partition_id} → 204; its users lose it
//	GET  /organizations/service_partition/users  ?service_partition_id (required) ?limit ?cursor
//	                                             → 200 {"users":[PartitionUser],"next_cursor"}
//	GET  /users                                  ?limit ?cursor → 200 {"users":[User],"next_cursor"}
//	                                             (the adapter also sends ?page and ?offset, not read)
//	POST /users                                  {email, name, employee_number?, department?,
//	                                             position?} → 201 User (status uninvited)
//	GET  /users/query                            ?email ?employee_number ?name ?status ?suspended
//	                                             ?limit ?cursor → like GET /users
//	GET  /users/{account_id}                     → 200 User
//	PUT  /users/{account_id}                     the fields sent change, the others stay; an
//	                                             optional field sent "" or null is cleared → 200 User
//	POST /users/{account_id}/invite              → 200 User (status invited)
//	POST /users/{account_id}/admin_roles         no body (the adapter sends {"admin_roles":
//	                                             ["organization_admin"]}, not read) → 200 User
//	                                             (grants organization_admin)
//	POST /users/{account_id}/admin_roles/unassign → 200 User (takes it back)
//	POST /users/{account_id}/lifecycle/suspend   → 200 User (suspended true)
//	POST /users/{account_id}/lifecycle/unsuspend → 200 User
//	POST /users/{account_id}/remove              → 204 (the user is deleted)
//	POST /users/import                           {"users":[row]} (1..10000 rows) → 202 ImportTask
//	POST /users/import/tasks/{task_id}           no body → 200 ImportTask (a POST, as the document
//	                                             lists it, that only reads)
//	POST /users/{account_id}/service_partitions  {"service_partition_ids":[…]} → 200 User; joins
//	                                             each as member, one already joined is kept
//	POST /users/{account_id}/service_partitions/remove  {"service_partition_ids":[…]} → 200 User;
//	                                             one not joined is ignored
//	POST /users/{account_id}/sp_manager_roles    {"service_partition_id","role":"manager"|"member"}
//	                                             → 200 User; sets the user's role in a partition it is
//	                                             in: manager (サービス責任者, the default) or back to
//	                                             member (the document lists no separate revoke)
//
// Every other endpoint of the document exists on the emulator and answers
// 501; the adapter does not use them.
//
// User: account_id ("acc_" + 20 of [a-z0-9]), organization_id, email (the
// sign-in name: unique in the organization, case-insensitively; at most
// 254), name (at most 100), employee_number (at most 20, unique when set),
// department and position (at most 100 each; null when unset), status
// (uninvited, invited, active), suspended (bool, set only by the lifecycle
// calls), admin_roles ([] or ["organization_admin"]), service_partition_ids,
// created_at, updated_at (RFC 3339, UTC). A user has no login id apart
// from its email.
//
// ServicePartition: service_partition_id ("sp_…"), organization_id, name
// (at most 50, unique case-insensitively), code (at most 20 of
// [A-Za-z0-9_-], unique when set), description (at most 200), user_count,
// created_at, updated_at. PartitionUser: account_id, email, name,
// suspended, role (member or manager). Organization: organization_id
// ("org_…"), name, customer_id, created_at, updated_at.
//
// Import: a row is a POST /users body plus "admin" (bool, default false:
// the organization admin role). ImportTask: task_id ("task_…"), status
// (pending → running → completed, or failed), total, processed, succeeded,
// failed, results, created_at, completed_at. results holds one entry per
// processed row, in order: {"index" (from 0), "row" (from 1), "status":
// "created"|"failed", "email", "account_id" (created), "errors" (failed:
// {"email":["…"]}, the field names of a row)}. Rows are validated like
// POST /users when they are processed, so a repeated email fails on its
// later row.
//
// Lists are cursor-paged: limit 1..100 (default 50), cursor the opaque
// next_cursor of the page before; next_cursor is null on the last page.
// Pages follow creation order and a cursor names the last item seen, so a
// page is stable under writes elsewhere in the list.
//
// Errors: {"code","message"[,"errors":{"field":["…"]}]}: 400 BAD_REQUEST
// (a body that is not one JSON object); 401 UNAUTHORIZED {"message":
// "Unauthorized"} for a missing, bad, expired or revoked token, with
// WWW-Authenticate: Bearer; 403 FORBIDDEN when the token lacks the
// endpoint's scope; 404 NOT_FOUND for an unknown path, id or task (another
// organization's ids are unknown); 405 with Allow; 422 VALIDATION_ERROR,
// message the first error, errors keyed by field (users.3.email,
// service_partition_ids.0); 429 with Retry-After; 500, 502, 503, 504.
//
// Scopes, from the document's スコープ column: organizations (組織管理),
// service_partitions (サービス区画管理), organization_merges (組織統合管理),
// users (ユーザー管理), services (サービス管理: a user's partitions and
// roles), service_usage (サービス利用状況管理). The access token is a JWT
// carrying the organization (organization_id) and the organization admin
// role: "管理者権限をもつ組織関連データのみを対象とする", so every call sees
// the credential's own organization and nothing else.
//
// # Client
//
// Client (client.go) is a typed call per endpoint over internal/httpkit: a
// retrying client with the kit's status → retry table, a pacer (fed by
// X-RateLimit-* when a server sends them; the document gives no limit),
// and an OAuth2 client-credentials token source (HTTP Basic, scopes as
// configured, renewed ahead of expiry). A 401 invalidates the token and
// the call is sent once more with a new one; so does a 403 (see
// "Reading"). The import status poll is marked idempotent, so a 500 on it
// is retried although it is a POST.
//
// # Reading
//
// The emulator serves every reading the table allows (emulator.Readings);
// the adapter holds under all of them, telling at run time which it
// meets, with no configuration:
//
//   - Read lists the users (GET /users) together with the suspended ones
//     (GET /users/query?suspended=true), the service partitions, then the
//     users of each partition, four at a time, all concurrently. A server
//     may leave suspended users out of the plain list; taken together,
//     each user comes once (by account_id). A user whose status is removed
//     or deleted (a server may keep removed users listed) is left out.
//   - Every list is asked for with limit = page_size, page (from 1),
//     offset (the items so far) and, after a page that gave one, the
//     cursor: a server ignores what it does not page by. The answer says
//     how to go on: a cursor (next_cursor, nextCursor or next, sent back as
//     cursor; AWS's next_token or nextToken, sent back under its own name;
//     next_page_token as page_token) by cursor, its key with no value, or
//     gone after earlier pages had it, ending the list; a total (total,
//     total_count) or has_more by page and offset until that many came or
//     it is false; with none of these the next page is asked for, and an
//     empty page or one bringing nothing new ends the list (a list that is
//     not paged costs one more GET). Where the answer said there was more
//     but the next page brings nothing new, or where a full page comes
//     again beside a key orgbridge does not know and the server honours
//     limit (asked for one item fewer, it answers that), the read fails:
//     the server pages in a way orgbridge cannot follow, and reading on
//     would read the list short. A cursor that comes back is an error.
//   - Items are taken from "users"/"service_partitions" (or "items",
//     "data", or a bare array); ids from account_id, accountId or id
//     (service_partition_id, servicePartitionId or id); booleans from true,
//     1 or "true". A user is suspended when "suspended" is true or its
//     status is "suspended" (a server may have no suspended field); an
//     admin when admin_roles (or roles) holds organization_admin (another
//     admin role, user_admin say, is not), or admin/is_admin is true. A
//     partition user is a manager when its role is manager (or admin), or
//     sp_manager is true.
//   - An error's message is read from "message" whatever else the body
//     holds (a code, or none; field errors as an object or a list). A 400
//     or a 409 is a *connectors.FieldError as a 422 is (the 409 also wraps
//     connectors.ErrConflict): the table gives no status codes.
//   - A token answer without expires_in is kept until a call is refused
//     (401), then renewed and the call sent once more.
//   - A 403 drops the token the call carried and sends the call once more
//     with a new one: the endpoints sit behind a gateway's custom
//     authorizer (000:9), which may refuse an expired or revoked token
//     with a Deny (403, {"Message":…}) where an API says 401. A refused
//     call was not processed, so sending it again is safe; a second 403
//     is the answer (a token without the endpoint's scope).
//   - The token request authenticates the client by HTTP Basic (RFC 6749
//     2.3.1); a token endpoint that refuses it (401 or 400) is asked again
//     with client_id and client_secret in the form, and from then on the
//     form is used. A client refused both ways fails naming both answers.
//   - A partition call (update, remove, a membership's removal) refused as
//     a bad field rather than 404 lists the partitions: one no longer
//     listed is gone: the call fails with connectors.ErrNotFound (for a
//     removal the executor counts that as done). The partition is named in the body, so a
//     server may answer an unknown one 422 (or 400) on
//     service_partition_id, as the membership calls do.
//   - Ids are opaque, whatever their format (prefixed, or a UUID): a
//     membership change names its ends by source key (change.Ref), and
//     the adapter takes their ids from the IDs given to Apply, never from
//     how a string looks.
//
// # Mapping
//
// Users are canonical users keyed by account_id: Email is email (also the
// sign-in), Name is name, Suspended is suspended, and Attributes hold
// employee_number, department, position and admin ("true"/"false", the
// organization admin role, e.g. mapped as
// {{if eq .役割 "管理者"}}true{{else}}false{{end}}). A canonical user with a
// LoginID is refused, naming login_id: pcaid has none, and a mapped one
// would be planned as a change on every run. Service partitions are
// canonical groups (name, code, description; a group's org is ignored),
// partition memberships are group memberships, manager being admin. pcaid
// has no orgs: the organization is the credential's own (Capabilities.Orgs
// false; sync kinds users and groups).
//
// # Writing
//
//	user create     POST /users {email, name, non-empty attributes}; then POST admin_roles when
//	                admin is "true", then lifecycle/suspend when created suspended
//	user update     the fields the diff names (every mapped field without a diff): unsuspend first
//	                when the user comes back, GET the user and PUT its profile with the changed
//	                fields over it, admin_roles or admin_roles/unassign for admin,
//	                lifecycle/suspend last
//	user suspend    POST lifecycle/suspend
//	user delete     POST remove; a 404 is connectors.ErrNotFound, which the executor counts as done
//	group create    POST /organizations/service_partition {name, code?, description?}
//	group update    POST /organizations/service_partition {service_partition_id, the diff's fields}
//	group delete    POST /organizations/service_partition/remove; a 404, or a refusal for a
//	                partition no longer listed, is ErrNotFound (done for the executor)
//	membership      create: POST /users/{id}/service_partitions, then sp_manager_roles manager for
//	                admin; update to admin: sp_manager_roles manager; to member: see below;
//	                delete: service_partitions/remove (a 404, or a refusal for a partition no
//	                longer listed, is ErrNotFound: done for the executor). Result.TargetID is
//	                the membership's ID() in pcaid ids ("group:sp_…/acc_…").
//
// Where the table leaves a call's reading open, the adapter writes what
// holds under each, and never takes away what it does not manage:
//
//   - PUT /users/{account_id} may merge the fields sent or replace the
//     profile: the user is read first and the PUT carries every profile
//     field it holds (email, name, employee_number, department, position),
//     the changed ones over them, so a field orgbridge does not map (set
//     in pcaid's console) survives either way.
//   - admin_roles and admin_roles/unassign carry {"admin_roles":
//     ["organization_admin"]}: a server with one admin role ignores it; one
//     with several needs it on the grant, and without it would take every
//     role away on the unassign, one given by hand included.
//   - service_partitions and service_partitions/remove carry the partition
//     as "service_partition_ids" (a list of one) and "service_partition_id";
//     a server reads the one it knows. A user's other partitions are never
//     sent, so none is dropped.
//   - sp_manager_roles is listed as a grant with no revoke. The first
//     demotion of a manager sends role member and reads the partition's
//     users to see whether it took (reads only); where it did not, a
//     manager becomes a member by leaving the partition and joining it
//     again, then and from then on.
//
// # Import
//
// From import_threshold user creates in one stage (default 100; negative:
// never), the executor calls ApplyBatch instead of Apply for them: one
// POST /users/import with every row (admin as "admin": true), then the
// task is polled every import_poll (default 2s; the clock is injected, so
// tests do not wait) until completed or failed, for at most an hour. Each
// row's outcome goes back to its change: the new account_id, or the row's
// errors as a *connectors.FieldError whose message names the task and the
// row (from 1) and whose Fields are the row's fields ("import task task_…
// row 3 failed; email: emailは既に使用されています。"). Rows are matched by
// index (or row), else by email. A task's status is read in any case and
// in other words (SUCCEEDED, done, IN_PROGRESS…); its rows come as
// "results" (one per row) or as "created" and "errors" lists (one entry per
// field error). A task that failed but reports its rows is taken row by
// row (a row it did not reach fails transiently). A failed task that
// reports none, a task not done in time and a poll that keeps failing fail
// every row transiently: the next run reads the target and matches what
// the import did create. Users created
// suspended are suspended after the import, four at a time. Below the
// threshold every user is a plain POST /users.
//
// Every Apply logs, at debug, kind, action, key, target_id and the
// resulting id; a failure is returned, not logged (the executor logs it
// once). An import logs its task id, rows, polls and counts at info and
// each failed row's key and field names at debug. No log carries
// a secret, a token or a user's personal fields.
package pcaid
