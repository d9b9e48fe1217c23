// Package aircourse is the target adapter for the AirCourse API 1.3.0 (seed
// document 003): an HTTP client on go-retryablehttp with OAuth2 client
// credentials, and a connectors.Target over it.
//
// # Wire contract
//
// The document gives fields, status codes and rules but no URL paths and few
// response shapes. Where it is silent we chose the most ordinary REST shape;
// the emulator (package emulator) serves exactly this, and the adapter reads
// leniently (see "Reading") so that it also works against other servers built
// from the same document.
//
// Every path is relative to the configured base URL.
//
//	POST   /oauth/token                          form: grant_type=client_credentials, client_id (uuid),
//	                                             client_secret, scope ("read,write"; default both)
//	                                             → 200 {"token_type":"Bearer","expires_in":3600,"access_token":"…"}
//	                                             → 401 {"message":"Client authentication failed"} on a bad client
//	GET    /users                                ?status ?license ?hasAiKnowledgeLicense ?name ?mail ?loginId ?role ?limit ?page
//	                                             (the adapter always sends status=1,2,3)
//	POST   /users                                → 200 {"data":User,"password":"…"} (password only when generated)
//	GET    /users/{userId}                       → 200 {"data":User}
//	PUT    /users/{userId}  (PATCH also served)  → 200 {"data":User}; absent fields are left as they are
//	                                             (every update below goes by PATCH once PUT is 405, see "Client")
//	DELETE /users/{userId}                       → 204
//	GET    /organizations                        ?name ?code ?isPublic ?period ?limit ?page
//	POST   /organizations                        → 200 {"data":Organization}
//	GET    /organizations/{organizationId}       → 200 {"data":Organization}
//	PUT    /organizations/{organizationId}       (PATCH also served) → 200 {"data":Organization}
//	DELETE /organizations/{organizationId}       → 204; descendants are deleted, their users and groups move to the parent
//	GET    /organizations/{organizationId}/users ?role ?limit ?page → list of OrgUser
//	POST   /organizations/{organizationId}/users {"userId","role"} → 204
//	PUT    /organizations/{organizationId}/users {"userId","role"} → 204
//	DELETE /organizations/{organizationId}/users {"userId"} (JSON body) → 204
//	GET    /groups                               ?name ?code ?limit ?page
//	POST   /groups                               → 200 {"data":Group}
//	GET    /groups/{groupId}                     → 200 {"data":Group}
//	PUT    /groups/{groupId}  (PATCH also served)→ 200 {"data":Group}
//	DELETE /groups/{groupId}                     → 204
//	GET    /groups/{groupId}/users               ?role ?limit ?page → list of GroupUser
//	POST   /groups/{groupId}/users               {"userId","role"} → 204
//	PUT    /groups/{groupId}/users               {"userId","role"} → 204
//	DELETE /groups/{groupId}/users               {"userId"} (JSON body) → 204
//
// A list answers {"data":[…],"meta":{"currentPage":1,"lastPage":3,"perPage":100,"total":250}}.
// (The document gives no meta key: Laravel's snake case, or the query's
// own names {"page","limit","total"}, are read as well.)
//
// The emulator serves other readings of the document behind flags (see the
// emulator's "Readings"); the adapter holds under every one of them with no
// configuration, as "Reading" and "Writing" say.
//
// User: id ("usr_" + 16 alphanumerics), name, userNumber, mail, loginId,
// slackMemberId, status (1 使用中, 2 利用停止, 3 招待中), isSuspended,
// isAccountLocked, notification, license, hasAiKnowledgeLicense, role,
// memberOrganizationIds, adminOrganizationIds, department, position, gender
// (null, 0 or 1), birthday, profile, isEnabledPasswordLogin, createdAt,
// updatedAt. A user always belongs to at least one organization: one whose
// lists would both be empty is a member of the root organization. An id in
// both lists is an admin.
//
// Organization: id ("org_…"), name, code, parentId (null for the root),
// adminUserIds, isPublic, startDate, endDate, isEnableDiscussion,
// description, createdAt, updatedAt.
//
// Group: id ("grp_…"), name, code, organizationId, isViewableMember,
// isEnableDiscussion, description, createdAt, updatedAt. The everyone group
// (全員, code "everyone") holds every user implicitly.
//
// OrgUser and GroupUser: the user's id, name, loginId, mail and its "role"
// (member or admin) in that organization or group.
//
// Errors: 401 {"message":"Unauthenticated."} for a missing, unknown or expired
// token; 403 {"message":"Invalid scope(s) provided."} for a write with a
// read-only token; 404 {"message":"…"}; 405; 400 for a body that is not
// JSON or an Accept header that does not admit application/json; 422
// {"message":first error,"errors":{"adminUserIds.1":["…"]}} with indexed names
// for array elements; 429 {"message":"Too Many Attempts."} with Retry-After.
// Every response carries X-RateLimit-Limit and X-RateLimit-Remaining; the
// limit is per client IP over a fixed one-minute window that starts at the
// window's first request (Laravel's throttle; a sliding 60 seconds under the
// emulator's ratelimit-sliding reading), and the token call counts.
//
// # Client
//
// Client (client.go) is a typed call per endpoint over internal/httpkit: a
// retrying client with the kit's status → retry table, a pacer fed by
// X-RateLimit-Limit/Remaining (so a run rarely meets a 429 and waits out the
// Retry-After of one that comes anyway), and an OAuth2 client-credentials
// token source (scope "read,write", comma-separated as the document says;
// renewed ahead of the expires_in the server gives: 5 minutes early, or
// 10% of a shorter lifetime such as the 20 seconds of the token-short
// reading). The token call goes through the same
// client, so it is paced and counted like any other. A 401 on a call
// invalidates the token and the call is sent once more with a new one.
// Every request sends Accept: application/json; bodies are JSON. Updates go
// by PUT; the document names no method, and a server that serves its
// partial updates as PATCH only answers 405 (003:40), which applied
// nothing: the call is sent again by PATCH, and that kind of update (by
// route) goes by PATCH for the rest of the run, concurrent calls waiting
// while the first finds out (one 405 a kind and a run). A 429 with no
// Retry-After and no X-RateLimit-Reset (the document names only
// X-RateLimit-Limit and -Remaining) is waited out by the pacer from its own
// log: until the oldest request the server had counted leaves the minute. Errors
// follow httpkit: 422 → *connectors.FieldError with the indexed field names
// (adminOrganizationIds.0), 404 → connectors.ErrNotFound, 429/5xx and
// dropped connections → connectors.TransientError, each naming method, path
// and status with the API's message. A POST answered 500 is not retried (it
// may have been applied): it is a TransientError, and the next run matches
// the object instead of creating it twice. The password the server
// generates on user create is never decoded, returned or logged.
//
// # Reading
//
// The adapter pages with limit = page_size: it stops at meta.lastPage (or
// Laravel's meta.last_page: the document gives no meta key) when the server
// sends one, else once meta.total items are read when it sends that (so a
// server that caps a page below the limit is still read to the end either
// way), otherwise at a page shorter than asked, and always at an empty
// page. When the first page gives the last page, the pages after it are
// read four at a time (through the same client, so a rate limit paces
// them like any call) and handed on in page order; without one, one after
// another, as the count of pages is not known. A page is validated once
// and each item decoded from it without another pass; users are kept as
// the snapshot needs them page by page, not decoded whole. It lists users with status=1,2,3, because the document does not
// say that a list without status holds suspended and invited users (it
// says so for organizations only). It takes a member's id from "id" or
// "userId", reads every field whatever JSON type it comes in (a number as a
// string, 0/1 as a boolean, null as empty), and treats an organization
// whose parentId is empty as the root. The root organization is the
// target's own: it is in the actual snapshot once, as a System org (never
// planned for), and an org or group whose parent is the root has
// ParentKey/OrgKey "". The everyone group (code "everyone", or, with no
// code, the group 全員 in the root) is left out. Users, organizations and
// groups are listed concurrently, then the users of every group but
// everyone, four groups at a time.
//
// In the actual snapshot every key is an AirCourse id. A user's Suspended
// is isSuspended or status 2; its Attributes hold each field of
// UserAttributes that has a value as a string (gender "0" or "1",
// hasAiKnowledgeLicense "0" or "1", isEnabledPasswordLogin "true" or
// "false"); one that is null or "" is left out, and reads as "" (a
// million users' maps of eleven entries were the most memory a no-change
// sync held). Org memberships come from the user's own lists (an id in both
// is an admin); when the server's user objects carry neither list (the
// document gives no response field), from GET /organizations/{id}/users of
// every organization instead (four at a time; the root with role=admin),
// one request more per organization. An admin of the root is reported; a
// member of the root is not: the server puts a user there for want of
// another organization, and puts it back by itself. Group memberships
// come from the group users endpoints, role member unless "admin".
//
// # Mapping
//
// A canonical user's Name, LoginID and Email are name, loginId and mail;
// Suspended is isSuspended; its Attributes are AirCourse user fields by
// their JSON names (userNumber, department, position, license, role,
// slackMemberId, profile, birthday, gender, hasAiKnowledgeLicense,
// isEnabledPasswordLogin "true"/"false", which a tenant with SAML and
// per-user password login requires on create). license and role, required
// on create, default from the target config. The document says an unusable
// licence is stored as free, and an AI knowledge licence out of stock as
// none, with a 200: the adapter compares what it sent with what came back
// and fails the change naming the licence, rather than let every run plan
// the same update again in silence. Org
// memberships travel in the user's own create or update call
// (memberOrganizationIds/adminOrganizationIds, the whole set each time), so
// a new user costs one request. Group memberships use the group users
// endpoints. A leaver is suspended (isSuspended=true) unless the job says to
// delete.
//
// # Writing
//
// Organizations are created with adminUserIds [] (the key the document
// requires, with no admin yet: admins arrive in their own user calls,
// later in the plan). A server that reads "required" as "not empty"
// (Laravel's required fails an empty array) answers 422 on adminUserIds:
// the adapter then sends the create again naming a global administrator
// (role admin, 全体管理者: the earliest made active one, from the users
// Read listed, else from GET /users?status=1&role=admin), and names it in
// every later create, without trying [] again. A global administrator
// administers every organization already, so naming it grants nothing
// new; it costs one refused request per adapter (a run), where creating
// the admins first would cost a user update more per admin. The named
// administrator should be one orgbridge does not manage (not in the
// source): its admin membership then lies outside orgbridge's links, and
// no plan removes it or writes because of it. With no active global
// administrator the create fails, saying so and naming adminUserIds.
//
// The user calls replace the whole set of org memberships (差分ではなく、
// 所属させる組織のIDをすべて指定します). An update sends the memberships the
// change wants (OrgMemberships) and, as they are, those in orgs orgbridge
// does not manage (ForeignOrgMemberships, which the planner fills from the
// same Read: no request), so that no hand-made membership, member or admin,
// is lost. A user left with no organization at all is sent as a member of
// the root by its id, never as two empty lists: the document says only
// that an absent memberOrganizationIds means the root (003:262), and a
// server may leave a user sent [] and [] in no organization.
//
// Apply resolves every reference (ParentKey, OrgKey, membership keys, org
// memberships) through the IDs it is given. An empty ParentKey or OrgKey
// is the root organization (found by Read, or by listing the organizations
// once, and cached). A key IDs does not know but that already is an
// AirCourse id of the right kind (prefix and 16 alphanumerics, as in a
// change built from the actual snapshot) is used as it is; anything else
// fails with connectors.ErrUnresolved naming the key, before any write.
//
//	org create        POST /organizations {name, code?, parentId, adminUserIds: [] (or [a global admin], see
//	                  above), isPublic (config public),
//	                  isEnableDiscussion: false, description?}
//	group create      POST /groups {name, code?, organizationId, isViewableMember: true,
//	                  isEnableDiscussion: false, description?}
//	user create       POST /users {name, loginId?, mail?, every non-empty attribute, license and role
//	                  (defaults), memberOrganizationIds and adminOrganizationIds when the change carries
//	                  OrgMemberships}; a user created suspended is then PUT {"isSuspended": true}
//	update            PUT with the fields named in Change.Diff only (typed change.Field: parent →
//	                  parentId, org → organizationId, email → mail, suspended → isSuspended, an
//	                  attribute of UserAttributes by its name); with no Diff every mapped field is sent. A field
//	                  that AirCourse does not have is an error. On a user, a non-nil OrgMemberships
//	                  sets both org lists, with ForeignOrgMemberships kept (none left: [root id]). "" clears an optional field
//	                  (gender "" as the document says); license and role fall back to the defaults.
//	user suspend      PUT /users/{id} {"isSuspended": true}
//	delete            DELETE; a 404 (already gone) is returned as connectors.ErrNotFound, which the executor counts as done
//	membership        group: POST/PUT/DELETE /groups/{id}/users {"userId","role"}; org (when a change
//	                  carries one): the same on /organizations/{id}/users. Result.TargetID is the
//	                  membership's ID() in AirCourse ids ("group:grp_…/usr_…").
//
// gender must be "", "0" or "1" and hasAiKnowledgeLicense "", "0" or "1";
// any other value is refused before the call. Suspend is a user action only.
// Every Apply logs, at debug, kind, action, key, target_id and the
// resulting id; a failure is returned, not logged (the executor logs it
// once); never a secret, a token, a password or a user's personal fields.
package aircourse
