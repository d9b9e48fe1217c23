// Package emulator is an in-memory AirCourse API 1.3.0 (seed document 003)
// served as an http.Handler. It follows the document to the letter and, where
// the document is silent, serves exactly the wire contract written in the
// package doc of connectors/aircourse (paths, response shapes, errors, rate
// limiting). It is meant to be strict: an adapter that passes here should
// pass against any server built from the same document.
//
//	srv := emulator.New(emulator.Options{})
//	srv.AddClient("9f1c2b7e-3a4d-4e5f-8a9b-0c1d2e3f4a5b", "secret")
//	ts := httptest.NewServer(srv)
//
// # Order of processing
//
// Every request goes through, in order: Faults.Latency (abandoned when the
// request's context ends, and then nothing is written); the rate limiter
// (429); fault injection (429, 5xx, dropped connection); the Accept header
// (400); the route (404 for an unknown path or a path id without its prefix,
// 405 with an Allow header for a known path and another method; so an
// unknown route is 404 even without a token); the bearer token (401, then
// 403 for the scope); the body (400); a path id that names nothing (404, as
// Laravel's route model binding answers before the FormRequest runs);
// validation (422); last, a membership the call needs that does not exist
// (404). A request stopped before the handler has no side effect.
//
// # Access tokens
//
// POST /oauth/token takes an application/x-www-form-urlencoded body (a JSON
// body is not read, so it fails as a missing grant_type). Errors have Laravel
// Passport's shape {"error","error_description","message"[,"hint"]}:
// a grant_type other than client_credentials (or none) is 400
// unsupported_grant_type; a missing client_id is 400 invalid_request; a
// client_id that is not a UUID or not registered, or a missing or wrong
// secret, is 401 invalid_client with message "Client authentication failed";
// an unknown scope is 400 invalid_scope. Client ids compare
// case-insensitively; secrets in constant time. scope is split on commas
// only, the document's separator (League OAuth2 with "," as its delimiter:
// the value is trimmed and empty parts dropped, so "read write" and
// "read, write" are unknown scopes, "read,,write" is fine); absent or empty
// means read and write. A token is 64 random alphanumerics, valid until
// TokenTTL after issue (expires_in is TokenTTL in seconds, 3600 by default;
// 20 under the token-short reading) by the Options.Now clock. GET needs the read
// scope; POST, PUT, PATCH and DELETE need write (403 "Invalid scope(s)
// provided."). The header is read as Passport reads it (/^\s*Bearer\s/, then
// trimmed): the scheme is "Bearer" exactly as the document writes it, so
// "bearer …" is 401. ExpireTokens forgets every token. AddClient panics when
// the id is not a UUID.
//
// # Rate limit
//
// Options.RateLimit requests (default 60) per client IP (the host of
// r.RemoteAddr) in a fixed window that opens at the IP's first request and
// closes a minute later (Laravel's throttle; a sliding window under the
// ratelimit-sliding reading). Every request counts: the
// token call, 401s, 404s and requests that are then faulted. Each response
// carries X-RateLimit-Limit and X-RateLimit-Remaining (the requests left in
// the window after this one); a 429 has Remaining 0, Retry-After (whole
// seconds to the window's end, rounded up, at least 1), X-RateLimit-Reset
// (Unix time) and {"message":"Too Many Attempts."}, and does not count
// against the window. With a negative RateLimit there is no limit and no
// rate-limit header.
//
// # Fault injection
//
// Faults applies to requests that got past the rate limiter (so faulted
// responses carry the rate-limit headers) and before anything else. One
// generator seeded with Faults.Seed draws a number x in [0,1) per such
// request: x < Rate429 answers 429 Too Many Attempts. with Retry-After 1
// and X-RateLimit-Remaining 0; below Rate429+Rate5xx answers 500, 503 or 504,
// the server errors of the document's status table (a second draw picks
// one, with equal odds); below Rate429+Rate5xx+RateDrop closes the
// connection without a response
// (RateDrop goes beyond the required API; on a writer that cannot be
// hijacked the handler panics with http.ErrAbortHandler). With every rate
// zero nothing is drawn. SetFaults replaces the settings and reseeds, so a
// given sequence of requests meets the same faults on every run. Latency is
// real time (it is meant for timeouts), every other duration follows
// Options.Now.
//
// # Initial data and ids
//
// The root organization (name ルート組織, code null, parentId null,
// isPublic true, no dates, discussion enabled) and the everyone group (name
// 全員, code "everyone", in the root, isViewableMember true, discussion
// disabled, description 全てのユーザが所属するグループ) exist from the start;
// under admins-required so does the tenant's global administrator
// (テナント管理者, loginId tenant-admin, role admin, a member of the root).
// Ids are usr_/org_/grp_ followed by 16 random alphanumerics. createdAt and
// updatedAt are UTC with microseconds ("2025-04-01T09:00:00.000000Z", as
// Laravel serializes dates); updatedAt changes on the resource's own
// updates, not on membership changes. Lists are in creation order; State is
// sorted by id.
//
// # Validation
//
// Rules and messages are those of a Laravel FormRequest with the Japanese
// locale (laravel-lang ja), the attribute being the field key: required
// "nameは必須項目です。", max "nameは、40文字以下で指定してください。",
// string, boolean "…は、trueかfalseを指定してください。", integer, array,
// enum "選択された…は、有効ではありません。", email, date
// "…はY-m-d形式で指定してください。", id prefix
// "adminUserIds.1には、usr_で始まる値を指定してください。", unknown id
// "選択された…は正しくありません。", unique "…の値は既に存在しています。",
// required_without "loginIdを指定しない場合は、mailを指定してください。",
// after_or_equal, and 1/1000 bounds for limit and page. A 422 body is
// {"message": the first error, "errors": {key: [message]}} with one message
// per key, keys in the order of the document's field list, array elements
// indexed from 0 ("memberOrganizationIds.0"). Lengths count characters, not
// bytes.
//
// Where the document is silent:
//   - "" is null (Laravel's ConvertEmptyStringsToNull): a required field sent
//     as "" or null fails required; an optional string, date or gender sent
//     as "" or null is unset (on update: cleared). A password sent empty on
//     update is left as it was.
//   - Types are strict: a boolean must be JSON true/false (not 0/1 or
//     "true"), an integer a JSON integer (not "1"). An optional boolean or an
//     array sent null fails its type rule.
//   - Unknown keys are ignored (isViewableMember on an organization,
//     adminUserIds on an organization update, notification/isSuspended on a
//     user create).
//   - Repeated ids in an array are taken once.
//   - A non-empty body must be application/json (else 400) holding one JSON
//     object (else 400); an empty body is {}. Bodies over 1 MiB are 400.
//   - mail is checked with net/mail: a bare address, with a domain.
//   - Uniqueness (user mail and loginId; organization code among
//     organizations; group code among groups) is case-insensitive, as a MySQL
//     _ci collation is.
//
// # Users
//
// A new user is status 1 (使用中); isSuspended true makes it 2 (利用停止) and
// false 1 again; 3 (招待中) is never produced.
//
// license must be free, basic or contents (else 422: the document's enum).
// A licence the company cannot use is not refused but stored as "free"
// (使用できないライセンスが指定された場合、フリーとして設定されます), on create
// and on update: Options.LicenseSeats says how many users may hold basic and
// contents (0: unusable); a user keeps a licence it already holds; by
// default every licence is usable and stored as given.
// hasAiKnowledgeLicense is 0 when absent on create, and 割当済み (1) is
// stored as なし (0) when no AI knowledge licence is left
// (Options.AIKnowledgeSeats, by default none, so by default it is always 0);
// on update 0 releases the seat and an absent value changes nothing.
// notification defaults to [] and isEnabledPasswordLogin to false; it is
// required on create only with Options.SAMLPerUserPasswordLogin (SAML with
// per-user password login, the document's condition). isAccountLocked
// accepts only false. Without a password one of 8 alphanumerics is
// generated and returned once as "password" beside "data"; a password is
// never returned otherwise. On create mail or loginId is required; on update
// the rule holds for the result (clearing the only one of them is 422 on both
// keys). On create an absent memberOrganizationIds makes the user a member
// of the root (未指定の場合、ルート組織に所属します), whatever
// adminOrganizationIds holds; [] is given, not absent. On update
// memberOrganizationIds and adminOrganizationIds each replace their whole set
// when present. An id in both is an admin; a user whose two lists end up
// empty is a member of the root. Deleting a user removes it from every
// organization and group.
//
// # Organizations
//
// adminUserIds is required on create but may be empty (Laravel "present");
// its users become admins of the new organization, keeping their other
// memberships (a user that was in the root by default stays there). An
// absent startDate/endDate takes the parent's; on update "" (or null) clears
// a date, which then takes the parent's if it has one. endDate before
// startDate is 422 on endDate when both come in the same request. parentId
// must not be the organization itself or one below it (422 parentId
// "parentIdには、自身または配下の組織を指定できません。"). isEnableDiscussion
// wins over the deprecated isEnableKnowledge, which is read (and checked)
// only without it; on create one of them is required (422 on
// isEnableDiscussion). On the root organization, sending parentId, isPublic,
// startDate, endDate, isEnableDiscussion or isEnableKnowledge at all, even
// with the current value, is 422 on that key ("ルート組織のparentIdは変更できません。");
// deleting it is 422 on organizationId. Deleting an organization deletes
// the ones below it; every user of any of them becomes a member of the
// deleted organization's parent (keeping the role it already had there) and
// loses the deleted memberships; their groups move to that parent.
//
// # Groups and members
//
// On the everyone group, sending name, code, organizationId,
// isEnableDiscussion, isEnableKnowledge or description is 422 on that key
// ("全員グループのnameは変更できません。"); deleting it is 422 on groupId. Its user
// list is every user, as member. The organization and group users endpoints
// answer rows {"id","name","loginId","mail","role"}. In their bodies userId
// is required, must start with usr_ and exist (422); role is member or admin.
// Adding a user that is already a member is 422 on userId (unique message).
// Updating or removing a user that is not a member is 404. Removing a user
// from an organization that was its last makes it a member of the root;
// removing it from the root when that is its only organization is 422 on
// userId. On the everyone group adding is 422 (every user is already a
// member) and updating or removing is 422 on groupId. Group membership does
// not depend on organization membership.
//
// # Lists
//
// limit is 1..1000 (default 100) and page 1..2147483647 (<int32>; default
// 1), else 422 on the key. A page past the end has no data; lastPage is at
// least 1; meta holds exactly currentPage, lastPage, perPage, total. An
// empty parameter is absent. status, license and role on /users take comma-separated values,
// each checked and reported with its index ("status.1", also "status.0" for
// a single bad value); hasAiKnowledgeLicense and the role of member lists
// take one value. name filters by case-insensitive substring (部分一致; the
// document does not say more); mail, loginId and code match the whole value
// exactly, case included (完全一致), although uniqueness is
// case-insensitive: a lookup that differs only in case finds nothing.
// isPublic and period take 0 or 1 only; period 1 means the organization's
// dates include today's date in Japan (UTC+9), both ends inclusive and a
// missing end open.
//
// # Other errors
//
// 400, 404 and 405 answer {"message":…} with the document's wording
// (リクエストパラメータが不正です。, 指定したリソースが見つかりません。,
// サポートされていないHTTPリクエストメソッドです。); injected 500, 503 and 504
// likewise (予期せぬエラーが発生しました。, システムメンテナンス中です。,
// タイムアウトエラーが発生しました。); no status outside the document's table
// is ever produced. The Accept header is fine when absent or when it admits
// application/json
// (application/json, application/*, */* or a +json type, with q above 0).
// Responses with a body have Content-Type application/json; 204s have no body.
// PATCH is served like PUT on users, organizations and groups, not on the
// member endpoints. Paths match exactly (no trailing slash).
//
// # Inspection
//
// Stats counts Requests (all), Writes (POST/PUT/PATCH/DELETE routed to a
// resource, whatever their outcome, not the token call), RateLimited (the
// limiter's 429s) and Faulted (injected faults), and ByRoute per method and
// route pattern ("POST /users", "PUT /organizations/{organizationId}/users",
// "POST /oauth/token"). State returns a deep copy of the state, ids and
// all; Dump the same as canonical text with no generated id (organizations
// by their path of names, users by loginId or mail, groups by name; the
// root, the everyone group and the tenant's own administrator left out), so
// that the same source synced under any reading gives the same Dump. The
// Server is safe for concurrent use (one mutex; request bodies are read
// outside it). Each request is logged at debug level with method, path (no
// query), status and duration; tokens, secrets and bodies are never logged.
//
// # Readings
//
// The document leaves some questions open; the emulator answers each the
// way this doc describes (the default) and, behind Options.Readings (names
// parsed by Readings.Parse; `orgbridge emulate aircourse --reading NAME`),
// another way a server built from the same document may answer it. Every
// reading can be served together with every other but meta-snake-case with
// meta-page-limit (two shapes of the same meta).
//
//   - admins-required: adminUserIds on POST /organizations must name at
//     least one user, as Laravel's required reads an empty array: [] is 422
//     on adminUserIds (adminUserIdsは必須項目です。). The tenant's own global
//     administrator (role admin, loginId tenant-admin, TenantAdminID) exists
//     from the start, as in every real tenant, so that an organization can be
//     created at all. 003:637 「adminUserIds required Array of strings」.
//   - ratelimit-sliding: the 60 requests a minute are counted over the last
//     60 seconds (a sliding window; Retry-After and X-RateLimit-Reset from
//     the oldest request in it) rather than a fixed minute.
//     003:11 「同一IPからのアクセスは1分間で60回までの制限がかかります。」.
//   - token-short: tokens live ShortTokenTTL (20 seconds, expires_in 20).
//     003:105 「"expires_in": 3600」: the lifetime travels in the response
//     (003:66 says 60 minutes).
//   - users-active-default: GET /users without status lists status 1
//     (使用中) only; suspended and invited users need status=1,2,3. 003:125
//     「指定したステータスと一致するデータのみ取得します。」, where 003:574 says
//     for organizations 「未指定の場合は全て取得します」 and 003:120 does not.
//   - meta-snake-case: a list's meta is Laravel's paginator (current_page,
//     from, last_page, per_page, to, total). 003:192 「"meta": {」 gives no key.
//   - user-orgs-absent: user objects carry no memberOrganizationIds or
//     adminOrganizationIds; a user's organizations show only in the
//     organization user lists. 003:333 「"data": {」 gives no field.
//   - suspension-as-status: user objects carry no isSuspended, only status
//     (2 利用停止). 003:120 「status integer (ユーザステータス)」, 003:417
//     「isSuspended boolean」 is a request field.
//   - member-rows-userid: rows of the organization and group user lists name
//     the user "userId" rather than "id". 003:897 「"data": [」 gives no field;
//     the requests say 003:920 「userId」.
//   - everyone-no-code: the everyone group (全員, in the root) has code null.
//     003:1205 「全員グループの場合、以下の項目は変更できません」 is the document's
//     only word on it.
//   - writes-answer-200: DELETE, and POST/PUT/DELETE on the user lists,
//     answer 200 {"message":"正常に処理が行われました。"} instead of 204.
//     003:34 「200 正常に処理が行われました」, 003:35 「204 …」: which one a call
//     answers is not said.
//   - updates-patch-only: every update is PATCH: PUT on /users/{userId},
//     /organizations/{organizationId} and /groups/{groupId} is 405 (Allow:
//     GET, PATCH, DELETE), and the organization and group user lists take
//     their update as PATCH, PUT being 405 there too. 003:380
//     「指定されていない項目は、データが更新されません。」 reads as a partial update,
//     and the document names no method for any call; 003:40 has the 405.
//   - ratelimit-no-retry-after: a 429, the limiter's or an injected one,
//     carries X-RateLimit-Limit and X-RateLimit-Remaining (0) and no other
//     rate-limit header: no Retry-After, no X-RateLimit-Reset. 003:26-27 name
//     those two headers only; 003:42 「429 リクエスト数の制限を超えています」.
//   - meta-page-limit: a list's meta names the query's own parameters,
//     {"page","limit","total"}, and no last page. 003:192 「"meta": {」 gives
//     no key; 003:171 「limit」 and 003:177 「page」 are the parameters.
//     Excludes meta-snake-case.
//   - empty-lists-no-org: memberOrganizationIds [] with no admin organization
//     leaves the user in no organization, on create and on update; only an
//     absent memberOrganizationIds on create means the root. Removing a user
//     from its last organization (the root included) leaves it in none.
//     003:262 「未指定の場合、ルート組織に所属します。」 says so of an absent list
//     only; 003:449 「差分ではなく、所属させる組織のIDをすべて指定します。」.
package emulator
