// Package tenantadmin is the target adapter for the tenant admin
// organizations API (seed document 001, 組織管理): nested organizations and
// their members, over an HTTP client on go-retryablehttp with a static
// admin token.
//
// # Users are referenced, never written
//
// The document has no user endpoint: users exist in the tenant already and
// the API names them only by user_id. So the adapter declares
// Capabilities{Orgs, NestedOrgs, Users, CreatesUsers: false, UserRef:
// "user_id", Roles: member and admin, UserAttributes: [user_id]}: every
// desired user carries Attributes["user_id"], the user's id in the tenant,
// mapped in the job's config from the source record (configs/tenantadmin.yaml:
// user_id: "usr_{{.社員番号}}"). The planner never writes a user; it binds
// each user's key to that user_id and hands org membership changes, which
// name users by key, to Apply, which resolves the key through IDs to the
// user_id. A user_id the tenant does not know is refused by the API (422 on
// user_id) and fails that membership alone. Read reports the users it sees
// in member lists (Key and Attributes["user_id"] the user_id, Name and
// Email from the list); a user in no organization cannot be seen through
// this API.
//
// # Wire contract
//
// The document gives the endpoints, the list and member shapes and a few
// rules. Where it is silent we chose the most ordinary REST shape; the
// emulator (package emulator) serves exactly this, and the adapter reads
// leniently (see "Reading") so that it also works against other servers
// built from the same document. Paths are relative to base_url, the
// tenant's origin (https://{tenant-domain}; a trailing /api/admin is
// dropped).
//
//	GET    /api/admin/organizations                     ?limit ?cursor ?search ?parent_id ?include_children
//	                                                    → 200 {"items":[Item],"total":n,"cursor":"…"|null}
//	GET    /api/admin/organizations/{id}                → 200 Detail
//	POST   /api/admin/organizations                     {name, display_name, description?, parent_id?, metadata?}
//	                                                    → 201 {id, name, display_name, description, parent_id, member_count, created_at}
//	PUT    /api/admin/organizations/{id}                the fields to change → 200 Detail
//	DELETE /api/admin/organizations/{id}                → 204; 409 while it has child organizations
//	GET    /api/admin/organizations/{id}/members        ?limit ?cursor ?role
//	                                                    → 200 {"items":[{user_id, email, name, organization_role, joined_at}],"total","cursor"}
//	POST   /api/admin/organizations/{id}/members        {user_id, role} → 201 {organization_id, user_id, role, joined_at}
//	DELETE /api/admin/organizations/{id}/members/{userId} → 204
//	GET    /api/admin/organizations/{id}/hierarchy      ?depth → 200 {id, name, display_name, member_count, children:[…]}
//
// Item: id, name, display_name, description, parent_id (null at the top
// level), member_count (direct members), created_at, updated_at (Unix
// seconds). Detail adds parent ({id, name, display_name} or null),
// children (direct, {id, name, display_name}) and metadata (an object).
//
// Auth: "Authorization: Bearer {token}", a static admin token; there is
// no issuance in the document. An unknown, expired or revoked token is 401
// {"error":"unauthorized",…}.
//
// Organizations: ids "org_" and lower-case alphanumerics. name is
// required, of [A-Za-z0-9_-] and unique in the tenant (case-insensitive;
// a duplicate is 409); display_name is required and free text; parent_id
// must name an organization and, on PUT, not the organization itself or
// one below it (422; "" names none). PUT is a partial update: the fields
// sent replace theirs (metadata is one field, replaced whole), null clears
// description, parent_id (to the top level) and metadata.
//
// Members: role is admin or member (default member). A user_id the tenant
// does not know is 422; adding a member twice is 409, whatever the role;
// removing a non-member is 404. No call changes a role.
//
// Lists: limit 1..100 (default 20); items in id order (members by
// user_id); cursor is opaque (the emulator's is base64url of {"id": last}
// or {"user_id": last}, as the document's example is), null on the last
// page.
//
// Errors: {"error": code, "message": text}, plus "errors": {field:
// [message]} on a 422 (body validation) and on a 400 for a bad query
// parameter. 404 for an unknown organization, 405, 409 for a conflict. The
// document gives no rate limit; a server that sends X-RateLimit-Limit and
// X-RateLimit-Remaining is paced, and a 429's Retry-After is honoured.
// This is the emulator's default reading; where the document allows others
// just as well, see "Readings".
//
// # Client
//
// Client (client.go) is a typed call per endpoint over internal/httpkit:
// the kit's status → retry table (429, 502, 503, 504 retried; 500 only for
// GET, PUT and DELETE: a POST answered 500 may have been applied, so it is
// a TransientError and the next run reads before it writes again), a pacer
// fed by X-RateLimit-* when a server sends them, and the bearer token. The
// token cannot be renewed: a 401 or 403 is an error wrapping
// ErrTokenRefused, which names the config key tenantadmin.token, and is not
// transient. 422 (and a 400 from a server that answers bad input so) is a
// *connectors.FieldError naming the fields, 404 connectors.ErrNotFound,
// 409 connectors.ErrConflict, 429/5xx and dropped connections
// TransientError; each names method, path and status with the API's
// message. The token is never logged.
//
// A 403 on a path naming an organization is not taken on its face: the
// document gives no status for an unknown id, and a tenant with access
// control per organization (001:7) may answer 403 for one that does not
// exist. The client lists one organization: refused too, it is the
// token's (ErrTokenRefused); else a GET's 403 is connectors.ErrNotFound,
// and a write's is ErrNotFound only when a GET of the organization is
// refused or 404 too, otherwise an error saying the token may not change
// that organization (never "already done").
//
// # Reading
//
// Read lists the organizations with include_children=true (limit =
// page_size, default 100, following cursor until it is null or empty, a
// page is empty, or has_more is false; a cursor given twice is an error).
// Items a server nests under an item's "children" are flattened, their
// parent the item they are nested in when they name none; a nested child
// given by reference only (no member_count) has its detail read. When the
// list shows no organization below the top level (a server that holds the
// top level only, whatever include_children says), the hierarchy of each
// top-level organization (…/hierarchy, every level) says what lies below,
// and a root with organizations the list missed is listed by parent_id
// with include_children=true, then what is still missing is read by its
// detail. A list that shows some child costs nothing more; a tenant of
// top-level organizations only costs one hierarchy request each. Read then
// GETs any parent still missing (an organization created while it was
// paged), reads the code of each organization (see Mapping) and lists the
// members of each one whose member_count is not 0, four at a time
// (member_count 0 means no direct member whether it counts the
// organizations below or not). Keys are the API's ids: Org.Key the org id
// and ParentKey its parent_id (top level: ""), Name display_name (name
// when empty), Description; memberships (Kind org, ContainerKey the org
// id, UserKey the user_id, Role admin when organization_role is admin,
// else member).
//
// Leniency: list items under "items" or "data", the next cursor under
// "cursor", "next_cursor" or "nextCursor"; parent_id or parentId or
// parent.id; organization_role or role; user_id, userId or id; email or
// mail; numbers as numbers or strings; null as empty; metadata in list
// items is used when a server sends it. The API's message is read wherever
// the error body puts it (internal/httpkit).
//
// # Readings
//
// The emulator serves every reading of the document it allows (see the
// emulator's package doc) and the conformance suite runs under each
// combination; the adapter needs no configuration for any of them:
//
//   - what the list holds (children-nested, top-level-only, roots-only),
//     cursor-on-last-page, limit-clamped, member-role-field,
//     member-count-inclusive: read as above.
//   - adding a member twice (409, member-post-upserts, member-post-keeps):
//     see member create below; a role is never dropped in silence.
//   - member-delete-idempotent: 204 and 404 both count as done.
//   - PUT (put-replaces, metadata-merged, put-no-content): every update
//     sends the whole organization, read just before, so nothing is
//     cleared and no key is lost; see org update.
//   - DELETE (delete-cascades, delete-orphans, delete-needs-empty): see org
//     delete.
//   - forbidden-unknown, token-403: a 403 on an organization's path is
//     told apart by a list request (see Client).
//   - errors-nested, validation-400: the message is read wherever the body
//     puts it; a 400 on a write is a FieldError as a 422 is.
//   - null-ignored, null-refused (what null means on PUT): a PUT carries
//     null only to clear (a move to the top level, a description taken
//     away); where the answer still holds the field, or the PUT is refused
//     as invalid, it is sent again with "" (one PUT more, only there).
//   - name-immutable: see org update; a code change that would rename an
//     organization named by its code fails naming it.
//
// # Mapping
//
// The canonical org's Name (本社) is display_name: name only allows
// [A-Za-z0-9_-]. name is the org's Code when it fits that charset (HQ,
// SALES-1), else a stable slug of the source key: "org-" and ten hex
// digits of its SHA-256 (OrgName). metadata holds {"orgbridge_key": the
// source key, "code": the code} on the organizations orgbridge creates. So
// Read reports Code as metadata's code when the org carries one, else the
// name unless it is a slug; list items carry no metadata, so only the
// organizations named by a slug cost a GET of their detail, and the
// planner matches existing organizations by code (their name) as usual.
//
// # Writing
//
// Apply resolves every reference through the IDs it is given (ParentKey ""
// is the top level, sent as null) and fails with connectors.ErrUnresolved,
// naming the key, before any write when one has no target id; a user
// without one is named as lacking user_id.
//
//	org create     POST {name: OrgName, display_name: Name, parent_id?, description?,
//	               metadata: {orgbridge_key, code?}}
//	org update     GET the detail, then one PUT of every field (name, display_name,
//	               description, parent_id, metadata): those Change.Diff names (typed
//	               fields: name → display_name, code → name and metadata, parent →
//	               parent_id, description; every field without a Diff) with orgbridge's
//	               values, the others as read. The document does not say whether PUT
//	               clears what it is not sent, nor whether metadata is replaced or merged:
//	               sent whole, it is right either way, and keys others put in metadata
//	               stay. description and parent_id empty before and after are left out
//	               (a server may refuse null or read it as "not sent"; left out, they stay
//	               none on a partial PUT and become none on a replacing one); one to
//	               clear is null. The document gives PUT no field table, so a PUT refused
//	               as invalid is sent again with "" for null, then with the name the
//	               organization has (a server that does not rename): the rest of the
//	               change is applied, and a kept name that is a code (not a slug) is an
//	               error naming it. A metadata key orgbridge takes away (a code no more)
//	               that the answer still holds is sent again as null (a server that
//	               merges). An answer (or, when it does not say, a GET) that still holds
//	               a field cleared with null gets it again as "" (a server that reads null
//	               as "not sent"); one whose parent_id is not the one sent, or that keeps
//	               a cleared description still, is an error: that server does not move
//	               organizations (or clear it) through PUT, and saying so beats planning
//	               the same change every run.
//	org delete     GET …/hierarchy, then DELETE. An org that still has child organizations is
//	               not deleted (connectors.ErrConflict naming them): the planner deletes
//	               children first, and a server that would delete a subtree with its root, or
//	               move the children up, must not touch organizations orgbridge was not
//	               told to delete. 404 (already gone) is ErrNotFound, done for the executor. Its memberships go
//	               with it: a server that answers 409 while the org has members (and no
//	               child) gets them removed and the DELETE again.
//	member create  POST …/members {user_id, role}. Adding a member twice is a 409, an
//	               upsert or an answer with the membership as it was, by reading. A 409
//	               reads the member list: the role asked is done; another role is set as
//	               a member update. An answer naming another role is set likewise.
//	member update  (a role change) DELETE …/members/{userId}, then POST with the new role:
//	               the document has no call that changes a role. An answer that still
//	               names another role is an error naming it.
//	member delete  DELETE …/members/{userId}; 404 is ErrNotFound, done for the executor.
//
// Result.TargetID is the org id, or a membership's ID() in API ids
// ("org:org_…/usr_…"). A user change is refused: users are not written.
// Every Apply logs, at debug, kind, action, key and target_id; a failure
// is returned, not logged (the executor logs it once); never the token.
package tenantadmin
