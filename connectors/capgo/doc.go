// Package capgo is the target adapter for the Capgo organization API (seed
// document 002, https://api.capgo.app/organization/): an HTTP client on
// go-retryablehttp with an API key, and a connectors.Target over it that
// keeps flat organizations in step.
//
// # Wire contract
//
// The document gives one resource, its methods, the Organization fields,
// the success bodies and three error messages, but no status codes, no list
// shape and no id format. Where it is silent we chose the most ordinary REST
// shape; the emulator (package emulator) serves exactly this, and the
// adapter reads leniently (see "Reading") so that it also works against
// other servers built from the same document, and against Capgo itself.
//
// Every path is relative to the configured base URL (https://api.capgo.app).
// Every request sends the header "authorization: <API key>", the raw key
// with no scheme, as the document's curl examples do; bodies are JSON
// (Content-Type: application/json).
//
//	GET    /organization/?page=N       → 200 {"data":[Organization…]}: every organization the key's user
//	                                     belongs to, in creation order, all in one response (no pagination;
//	                                     page is sent for servers that page, see "Reading")
//	                                     (the path is the document's, trailing slash included)
//	GET    /organization/?orgId=ID     → 200 {"data":Organization}
//	POST   /organization/ {"name", "management_email"?, "email"?}
//	                                   → 200 {"status":"Organization created","id":ID}
//	PUT    /organization/ {"orgId","logo"?,"name"?,"management_email"?}
//	                                   → 200 {"status":"Organization updated","data":Organization}
//	DELETE /organization/?orgId=ID     → 200 {"status":"Organization deleted","id":ID}
//
// Organization: id, created_by (the key's user), created_at, updated_at
// (UTC, "2024-01-01T00:00:00Z"), logo (string or null), name,
// management_email, customer_id (string or null). Ids are lower-case UUIDs,
// as Capgo's are; the adapter treats them as opaque strings ("org_123", the
// document's example, works as well).
//
// Errors have the document's shape {"error": message, "status": "KO"}:
//
//	400 validation, one message: "Invalid body" (not one JSON object), "Name is required" (POST), "name must be
//	    a string", "orgId is required" (PUT body, DELETE query), "Name must not be empty", "Invalid
//	    management_email" (not a bare address), "logo must be an https URL" (the document's best practice)
//	401 "Invalid API key": missing, unknown or revoked key
//	403 "Admin role required": PUT or DELETE by a key whose user is not an admin of the organization
//	404 "Organization not found": an orgId that does not exist or that the key's user does not belong to
//	405 "Method not allowed" (with Allow); 404 "Not found" for another path
//	429 "Too many requests" with Retry-After; 500, 503: only when a server (or the emulator's faults) says so
//
// The document states no rate limit: the emulator has none by default.
//
// # Client
//
// Client (client.go) is one typed call per method over internal/httpkit: a
// retrying client with the kit's status → retry table and a pacer (which
// stays idle unless a server sends X-RateLimit headers or a 429 with
// Retry-After). A POST answered 500 is not repeated (it may have been
// applied): it is a TransientError, and the next run finds the
// organization by name instead of creating it twice. Errors name method,
// path and status with the API's "error" message:
//
//   - 401 wraps ErrInvalidAPIKey and names the config key and where its value
//     comes from ("capgo.api_key (environment variable CAPGO_API_KEY): the API
//     key was refused: GET /organization/: 401 Unauthorized: Invalid API
//     key; …"). A Capgo API key cannot be renewed, so it is neither retried
//     nor transient.
//   - 403 wraps ErrAdminRoleRequired.
//   - 400 (and 422, and a KO body answered 2xx) is a *connectors.FieldError
//     whose Fields name the field the message is about (name,
//     management_email, logo, orgId), unless its message says it is one of
//     the others (see "Reading").
//   - 404 wraps connectors.ErrNotFound; 429 and 5xx are transient.
//
// The key is never logged and is redacted from any error text.
//
// # Reading
//
// The emulator serves every reading of the document (emulator.Readings);
// the adapter holds under all of them, telling at run time which it meets:
//
//   - The list is read as {"data":[…]} or as a bare array (what Capgo
//     itself answers); one organization as {"data":{…}} or a bare object;
//     the id of a new organization from "id" or "data.id".
//   - The list is asked for page by page, ?page= from 0, until a page is
//     empty or brings no organization not seen before: a server that pages
//     (Capgo's own does, 50 a page) is read to the end whatever its page
//     size. A server that counts pages from 1 and takes 0 for 1 answers
//     page 1 as it answered page 0, as a server that does not page does:
//     then page 2 is asked for too, and tells them apart (the next page,
//     or the whole list again). A list that is not paged costs two more
//     GETs.
//   - The document's error messages say what an error is whatever status
//     carries them: "Invalid API key" answered 403 is the key, "Admin role
//     required" answered 401 the role.
//   - The document has no not-found error, so a server may check the role
//     first and answer a deleted organization 403 "Admin role required".
//     On that answer to a DELETE or a PUT the adapter lists the
//     organizations: one the key no longer lists is gone (a delete is
//     done, an update fails with connectors.ErrNotFound); one still listed
//     fails with ErrAdminRoleRequired.
//   - The update's logo is optional (002:70 「logo?: string」) beside a
//     nullable logo (002:22), so a server may read a PUT without logo as
//     "no logo". orgbridge does not manage logos, so every PUT of an update
//     sends the organization's logo back when it has one (the one the last
//     Read listed, or a GET when Read did not list it): a logo set by hand
//     in Capgo is kept under either reading.
//   - An error is known by its message wherever the status leaves it open:
//     the document gives its errors as bodies ({"error":…,"status":"KO"})
//     with no status code, so a server may answer them 400, or 200 (a 2xx
//     with "status":"KO" is an error). 401, 403 and 404 say what they are;
//     otherwise "Invalid API key" is the key, "Admin role required" the
//     role, "… not found" (or Capgo's "can't access this organization")
//     not found, and anything else a validation error (a 400 FieldError).
//   - Every field is read whatever JSON type it comes in (a number as its
//     text, null as ""), and a PUT answered with some fields only is fine.
//   - A server that lists every organization, not only the key user's,
//     lists some orgbridge cannot change: a write to one fails with
//     ErrAdminRoleRequired (403), never silently.
//
// In the actual snapshot an org's Key is its Capgo id and Name its name;
// Capgo has no code, parent or description, so they read as "" and the
// planner matches a pre-existing organization by name. Organizations
// outside the key's reach are not listed, so they are never planned for.
// An organization whose management_email is not capgo.management_email is
// logged at info ("organizations whose management_email differs", with
// their ids).
//
// # Mapping
//
// Capabilities: Orgs only; no nesting, users, groups or memberships. A job
// for this target sets kinds: [orgs] and mapping.orgs.flatten (the
// canonical tree becomes flat orgs, in path mode named "本社 / 営業部 /
// 第一課"), and maps neither code nor description.
//
// # Writing
//
//	org create   POST {name, management_email, email} (the address when capgo.management_email is set),
//	             then, unless the server took it, PUT {orgId, management_email}. See below.
//	org update   PUT {orgId, name, management_email, logo?}: a rename (with no Diff the same) that also
//	             sets the configured address, so that every write of an organization corrects
//	             it; a Diff naming management_email sends the same. logo is the organization's
//	             own, sent back when it has one (see "Reading").
//	org delete   DELETE ?orgId=; a 404 (already gone), or a 403 for an organization the key no
//	             longer lists, is connectors.ErrNotFound, which the executor counts as done. Capgo deletes the
//	             organization's apps and bundles with it, irreversibly: the guard's limits apply.
//
// The document's create takes a name (OrganizationCreate), and a server
// may take management_email there too, ignore it, or refuse the body: the
// create sends it (and "email", the field Capgo's own server reads) and
// the first create tells which, by reading the new organization back (a
// GET). Taken: no PUT, ever. Ignored: a PUT after each create. Refused (a
// 400 that names no name, before anything was made): the same create with
// the name alone, then the PUT, from then on. Without capgo.management_email
// a new organization keeps what Capgo gives it (the key user's address, or
// none).
//
// A create whose answer is lost (a 500, a timeout) may have made the
// organization. The adapter looks at once: it lists the organizations, and
// the one of that name that the last Read did not list (nor an earlier
// create) is its own; its management_email is set as for any create and
// its id returned. None: the create did not happen (a transient error,
// tried again). Several: the change fails, not transiently, naming them,
// for the operator to delete the extra ones. If the PUT after a create
// fails, the change fails with the new id in Result.TargetID.
//
// An organization whose management_email is not capgo.management_email (one
// adopted by name: made by hand, or one whose create failed after the POST;
// or one changed in Capgo since) is read with a mapping.Drift naming the
// field, its address and the configured one: the planner plans an update
// carrying it (`~ org … management_email: "old" → "new"`), adopted or
// linked, and the next run finds nothing to change.
//
// An org carrying a parent, a code or a description, or an update whose Diff
// names one, is refused before any call with an error naming the mapping
// key to change: written anyway, it would read back different and be
// planned again on every run. Changes of other kinds, and suspend, are
// refused. Every Apply logs, at debug, kind, action, key, target_id and
// the resulting id; a failure is returned, not logged (the executor logs
// it once); never the key.
package capgo
