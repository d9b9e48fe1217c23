// Package emulator is an in-memory pcaid organization API "api/orgs/v1"
// (seed document 000) served as an http.Handler. The document is a table
// of endpoints without shapes; the emulator serves every endpoint of the
// table at the document's path and method, and answers exactly the wire
// contract written in the package doc of connectors/pcaid (fields, status
// codes, pagination, errors, ids). Endpoints the adapter has no use for
// (logos, connect codes, contracts, organization merges, bulk partition
// adds, export, service usage, profile images, verification mails) answer
// 501 NOT_IMPLEMENTED after authentication, so a client can tell them from
// a wrong path (404).
//
//	srv := emulator.New(emulator.Options{})
//	srv.AddClient("my-client", "my-secret")
//	ts := httptest.NewServer(srv) // API at ts.URL + emulator.Prefix
//
// # Order of processing
//
// Every request goes through, in order: Faults.Latency (abandoned, with no
// effect, when the client goes away); the rate limiter (429, only with
// Options.RateLimit > 0: the document gives no limit); fault injection
// (429, 500, 502, 503, 504); the route (404 for a path outside the table,
// 405 with Allow for a path of the table and another method); the bearer
// token (401, then 403 for a missing scope); the body (400); the handler,
// which answers 404 for an unknown id and 422 for validation. A request
// stopped before its handler has no side effect.
//
// # Access tokens and organizations
//
// POST /oauth2/token (outside Prefix) takes an
// application/x-www-form-urlencoded body with grant_type=client_credentials
// and authenticates the client by HTTP Basic (id and secret form-encoded
// first, RFC 6749 2.3.1) or by client_id and client_secret in the body;
// Basic together with a client_secret field is 400 invalid_request.
// Errors are RFC 6749's {"error","error_description"} with Cache-Control
// no-store: a missing grant_type 400 invalid_request, another one 400
// unsupported_grant_type, an unknown client or a wrong secret 401
// invalid_client (with WWW-Authenticate: Basic when Basic was used), a
// scope the client may not use 400 invalid_scope. scope is space-separated;
// absent or empty grants every scope the client may use. The token is a
// JWT (HS256, a key of the server's own) whose claims (Claims) carry the
// client, its organization, the organization_admin role, the scopes, iat,
// exp and a jti; it lives Options.TokenTTL (expires_in 3600 by default) by
// the Options.Now clock. ExpireTokens revokes every token issued so far.
//
// An API request needs "Authorization: Bearer <token>" (the scheme in any
// case); a missing, malformed, forged, expired or revoked token is 401
// {"code":"UNAUTHORIZED","message":"Unauthorized"} with WWW-Authenticate:
// Bearer. Each route needs the scope of its row in the document's スコープ
// column (routes.go); without it the answer is 403 FORBIDDEN. The token's
// organization is the only one a request sees: ids of another
// organization are 404. New creates one organization; AddClient registers
// a client of it allowed every scope; AddOrganization and AddClientTo make
// others, and clients limited to some scopes.
//
// # Ids and time
//
// Ids are a prefix and 20 random characters of [a-z0-9]: org_, acc_
// (account_id), sp_ (service_partition_id), task_ (task_id). Timestamps
// are RFC 3339 in UTC by Options.Now. Lists follow creation order; Dump is
// sorted by id.
//
// # Validation
//
// A non-empty body must be application/json (or +json) holding one JSON
// object, else 400; an empty body is {}; bodies over 8 MiB are 400.
// Unknown keys are ignored. Types are strict (a string must be a JSON
// string, a boolean true or false). A required string sent "" or null is
// missing; an optional one sent "" or null is unset (on PUT: cleared).
// Lengths count characters. A 422 is {"code":"VALIDATION_ERROR","message":
// the first error,"errors":{key:[message]}} with one message per key, in
// the order found; array elements are indexed from 0
// ("service_partition_ids.1", "users.3"). Messages are Japanese and name
// the key: "emailは必須です。", "nameは100文字以内で指定してください。",
// "emailはメールアドレスの形式で指定してください。", "emailは既に使用されています。",
// "adminはtrueまたはfalseで指定してください。", "service_partition_ids.0に指定されたものが存在しません。".
//
// Users: email required, a bare address with a dot in its domain (net/mail),
// at most 254, unique in the organization case-insensitively; name
// required, at most 100; employee_number at most 20 and unique when set;
// department, position at most 100. PUT checks the same for the fields
// sent, email and name being required when sent. Service partitions: name
// required on create (and when sent on update), at most 50, unique
// case-insensitively; code at most 20 of [A-Za-z0-9_-], unique when set;
// description at most 200; service_partition_id (update, remove) must name
// a partition of the organization (404). Memberships: service_partition_ids
// is a non-empty array of strings naming partitions (422 on the index);
// repeats are taken once. sp_manager_roles needs service_partition_id of a
// partition the user is in (422 on service_partition_id) and role manager
// (default) or member (422 on role).
//
// Where the document is silent, writes are idempotent: granting a role the
// user holds, suspending a suspended user, joining a partition twice,
// leaving one the user is not in all answer 200 with the user. Suspension
// does not change status; a suspended user cannot be invited (422 on
// account_id). Removing a user or a partition drops its memberships.
//
// # Import
//
// POST /users/import checks the envelope only: users must be an array of 1
// to 10000 JSON objects (422 on users, or users.N for a row that is not an
// object); the answer is 202 with the task, pending. The task moves on with
// each status poll (POST /users/import/tasks/{task_id}), so tests are
// deterministic: the first poll makes it running; every later poll
// processes the next Options.ImportRowsPerPoll rows (default 50) in order,
// each validated and created as POST /users would (plus "admin": true
// granting organization_admin); the poll that processes the last row
// answers completed with completed_at. results lists every processed row;
// a failed row carries its errors by field ("email", not "users.3.email").
// The emulator never fails a whole task. An unknown task, or another
// organization's, is 404. Polls are not counted in Stats.Writes.
//
// # Rate limit and faults
//
// With Options.RateLimit > 0, that many requests per minute per client IP
// in a fixed window that opens at the IP's first request; every request
// counts; responses carry X-RateLimit-Limit and X-RateLimit-Remaining, a
// 429 {"code":"TOO_MANY_REQUESTS"} Retry-After (whole seconds to the
// window's end). Faults apply to requests that got past the limiter: one
// generator seeded with Faults.Seed draws x in [0,1) per request; x <
// Rate429 is a 429 with Retry-After 1, below Rate429+Rate5xx a 500, 502,
// 503 or 504 (equal odds). SetFaults replaces the settings and reseeds.
// Latency is real time; everything else follows Options.Now.
//
// # Inspection
//
// Stats counts Requests (all), Writes (POST and PUT routed to an API
// resource, whatever their outcome; not the token call, not import status
// polls), RateLimited, Faulted, and ByRoute per method and pattern ("POST
// /users/{account_id}/lifecycle/suspend", "POST /oauth2/token"). State
// returns a deep copy of every organization's state; Dump the same as
// canonical text with no id or time (organizations by name, users by
// email with their profile, invitation status, suspension and admin roles,
// partitions by name, members with their role; removed users left out),
// sorted and the same under every reading. SetAdminRoles and
// SetPartitionMember change a user as pcaid's console would, for tests of
// what a client keeps. Each request is logged at debug with method, path,
// status and duration; tokens, secrets and bodies never are.
//
// # Readings
//
// The document is a table of endpoints: every shape is open. The default
// reading of each place is the contract above; each other one is served
// behind Options.Readings (`orgbridge emulate pcaid --reading NAME,…`),
// the catalogue being Readings. Each with the seed line that allows it:
//
//   - users-list-active (000:34,36,49 「ユーザー一覧取得」「ユーザー一覧検索」
//     「ユーザー無効化」: a plain list beside a search may leave the disabled
//     out): GET /users leaves suspended users out; GET /users/query finds
//     them (?suspended=true, or ?status=).
//   - users-list-removed (000:51 「/users/{account_id}/remove | POST |
//     ユーザー削除」: a POST on the user, not a DELETE, a removal that keeps
//     the record): a removed user stays with status "removed"; GET /users,
//     /users/query and /users/{account_id} answer it, any other call on it
//     is 404 (a second remove too); it leaves its partitions; its email and
//     employee_number are free again.
//   - suspended-as-status (000:49-50 「/lifecycle/suspend」「/lifecycle/unsuspend」:
//     suspension as a lifecycle state): users and partition user rows have
//     no suspended field; status is "suspended" while suspended, the
//     invitation status otherwise; ?status=suspended finds them.
//   - admin-roles-several (000:47-48 「/admin_roles POST 組織管理者権限の付与」
//     「/admin_roles/unassign POST 取り消し」: a plural collection, the roles
//     being defined in 000:8 「ロール（役割）.md」, which is not given): the
//     admin roles are organization_admin, user_admin and service_admin; the
//     grant takes {"admin_roles":[…]} (required, 422 otherwise) and adds
//     them; the unassign takes them away, and without a body takes every
//     role away.
//   - partition-id-single (000:55-56 「ユーザーへのサービス区画追加」
//     「ユーザーからのサービス区画削除」, no count given): the two calls take one
//     "service_partition_id" (422 when absent or unknown), not
//     "service_partition_ids".
//   - sp-manager-grant-only (000:57 「/sp_manager_roles | POST |
//     サービス責任者権限の付与」: a grant, with no revoke listed, unlike
//     admin_roles/unassign at 000:48): the call makes the user manager
//     whatever role it is sent; leaving the partition is the only way back.
//   - put-replaces (000:39 「/users/{account_id} | PUT | ユーザー更新」: a PUT
//     replaces the resource): email and name are required and
//     employee_number, department or position not sent are cleared.
//   - paging-page (000:27,34,36 「サービス区画内ユーザー取得」「ユーザー一覧取得」
//     「ユーザー一覧検索」, lists with no paging given): ?page (from 1, 422
//     below) and ?limit, answering "page", "limit" and "total" and no
//     next_cursor (?cursor is ignored); the partition list is paged too.
//     Excludes paging-none, paging-offset and paging-next-token.
//   - paging-none (000:27,34,36 「サービス区画内ユーザー取得」…, the same lines):
//     lists are whole; limit, cursor and page are ignored and no paging
//     field is answered. Excludes paging-page, paging-offset and
//     paging-next-token.
//   - import-task-words (000:53 「ユーザーインポート状態取得」, no status given):
//     task statuses PENDING, IN_PROGRESS, SUCCEEDED, FAILED; row statuses
//     SUCCEEDED and FAILED.
//   - import-failed-with-rows (000:52-53 「ユーザーインポート非同期」「ユーザーインポート状態取得」:
//     what a task with failed rows ends as is not given): such a task ends
//     failed, with every row's result.
//   - import-result-lists (000:52-53 「ユーザーインポート」…, no result shape):
//     no "results"; "created" [{"row" (from 1), "email", "account_id"}]
//     and "errors" [{"row", "email", "field", "message"}], one entry per
//     field error.
//   - token-no-expires-in (000:9 「管理コンソール向けオーソライザー」: the token
//     and its lifetime are documented elsewhere): the token answer has no
//     expires_in (RFC 6749 only recommends it), and a token lives
//     NoExpiresInTTL, 10 minutes (Options.TokenTTL when set).
//   - errors-as-list (000:9 「管理コンソール向けオーソライザー」: the endpoints sit
//     behind a gateway authorizer, whose own errors are {"message"}; no
//     error body is given): every error body is {"message"} (no code), a
//     422's with "errors" as a list of {"field","message"}. OAuth2 errors
//     keep RFC 6749's shape.
//   - ids-uuid (000:38 「/users/{account_id}」, 000:29
//     「/organizations/service_partition/{task_id}」: ids as path parameters,
//     their format not given): every id is a random lower-case UUID
//     (version 4) with no prefix.
//   - expired-token-403 (000:9 「管理コンソール向けオーソライザー
//     （pcaid-portal-portalAuthorizer）」: a gateway's custom authorizer, which
//     refuses a token with a Deny policy): a malformed, forged, expired or
//     revoked token is 403 {"Message": APIGatewayDeny}, API Gateway's body;
//     only a request with no bearer token is 401.
//   - validation-400 (000:35,39 「ユーザー作成」「ユーザー更新」: no status code for
//     a refused body): a validation error is 400, and one whose every error
//     is a value already in use 409 (code CONFLICT), each with the 422's
//     body.
//   - partition-unknown-422 (000:24-25 「組織内サービス区画追加」
//     「/organizations/service_partition/remove」: the partition is named in
//     the body, not the path): an unknown service_partition_id in the
//     partition update or remove is 422 on service_partition_id, as in the
//     membership calls, not 404.
//   - token-auth-body (000:9 「管理コンソール向けオーソライザー」: the token
//     endpoint is documented elsewhere): the token endpoint reads the client
//     from the form only (client_secret_post); HTTP Basic is not read, so a
//     request without client_id in the form is 401 invalid_client.
//   - paging-offset (000:27,34,36 「サービス区画内ユーザー取得」「ユーザー一覧取得」
//     「ユーザー一覧検索」, lists with no paging given): ?offset (from 0, 422
//     below) and ?limit, answering "offset", "limit" and "total"; page and
//     cursor are ignored; the partition list is paged too. Excludes the
//     other paging readings.
//   - paging-next-token (000:27,34,36, the same lines, and 000:9, an AWS
//     gateway): lists are paged as AWS APIs page them: "next_token", absent
//     on the last page, goes back as ?next_token; cursor and page are
//     ignored. Excludes the other paging readings.
//
// No document line states a rate limit, so there is no rate-limit
// reading.
//
// NewDemo serves configs/pcaid.yaml: the organization デモ株式会社 and the
// client DemoClientID with DemoClientSecret (read by the config from
// DemoSecretEnv); `orgbridge emulate pcaid` listens on DefaultPort.
package emulator
