// Package emulator is an in-memory Capgo organization API (seed document
// 002, https://api.capgo.app/organization/) served as an http.Handler. It
// follows the document to the letter and, where the document is silent,
// serves exactly the wire contract written in the package doc of
// connectors/capgo. It is meant to be strict: an adapter that passes here
// should pass against any server built from the same document.
//
//	srv := emulator.New(emulator.Options{})
//	srv.AddAPIKey("my-key", "6b1e4f3a-2c5d-4e7f-8a9b-0c1d2e3f4a5b", "owner@example.com")
//	ts := httptest.NewServer(srv)
//
// NewDemo returns one with DemoAPIKey registered, for configs/capgo.yaml
// (`orgbridge emulate capgo`, port DefaultPort 8083).
//
// # Routes
//
// One resource, /organization/, the document's URL to the letter (without
// its trailing slash it is another path, 404):
//
//	GET    /organization/              → 200 {"data":[Organization…]}: every organization the key's user
//	                                     belongs to, in creation order, all in one response
//	GET    /organization/?orgId=ID     → 200 {"data":Organization}
//	POST   /organization/ {"name"}     → 200 {"status":"Organization created","id":ID}
//	PUT    /organization/ {"orgId","logo"?,"name"?,"management_email"?}
//	                                   → 200 {"status":"Organization updated","data":Organization}
//	DELETE /organization/?orgId=ID     → 200 {"status":"Organization deleted","id":ID}
//
// Other paths are 404 and other methods 405 (with Allow). An empty orgId
// query parameter is absent; other query parameters (a page, say) are
// ignored: the document shows no pagination (but see list-paged under
// Readings).
//
// # Order of processing
//
// Every request goes through, in order: Faults.Latency (abandoned when the
// request's context ends); the rate limiter (429); fault injection (429,
// 5xx, dropped connection); the route (404, 405: an unknown route is 404
// even without a key); the API key (401); the body of POST and PUT (400);
// validation (400); the organization (404); the key's role (403; under
// role-checked-first before the organization). A request stopped before
// its handler has no side effect.
//
// # API keys
//
// The key is the raw value of the authorization header, as the document's
// curl examples send it (surrounding white space is trimmed; "Bearer <key>"
// is a different, unknown key). A missing, unknown or revoked key is 401
// {"error":"Invalid API key","status":"KO"}. Each key belongs to a user
// (AddAPIKey: a UUID and an email). RevokeAPIKey and RevokeAPIKeys make keys
// invalid for good: a Capgo API key cannot be renewed.
//
// # Organizations and roles
//
// Ids are random version-4 UUIDs, lower-case, as Capgo's are (the
// document's "org_123" is an example value). created_by is the key's user;
// created_at and updated_at are UTC RFC 3339 with whole seconds
// ("2024-01-01T00:00:00Z", the document's format); updated_at changes when
// a PUT changes a value. A new organization's logo and customer_id are
// null and its management_email is the creating user's email (the create
// call takes only name). Its creator becomes its admin (RoleAdmin); SetRole
// adds other users as RoleMember or RoleAdmin. A key sees only the
// organizations its user belongs to: GET lists them, and an orgId outside
// them is 404 like one that does not exist. PUT and DELETE need the admin
// role ("管理者の役割が必要です"): a member's key gets 403 {"error":"Admin role
// required"}. Deleting removes the organization and its members at once.
// Names need not be unique (the document sets no such rule).
//
// # Validation
//
// Errors are 400 {"error": message, "status": "KO"}, one message, the first
// problem found:
//
//   - a non-empty POST or PUT body that is not one JSON object sent as
//     application/json, or that is larger than 1 MiB: "Invalid body"; an
//     empty body is {}.
//   - POST: name absent, null or blank: "Name is required" (the document's
//     message); not a string: "name must be a string". Other keys are
//     ignored.
//   - PUT, in the document's field order: orgId absent, empty or not a
//     string: "orgId is required"; logo not a string or not an absolute
//     https URL with a host: "logo must be an https URL" (the document's best
//     practice, "HTTPS URL を使用します", made a rule so that a client sending
//     anything else is caught here; "" or null clears the logo); name not a
//     string: "name must be a string", blank: "Name must not be empty";
//     management_email not a string or not a bare address (net/mail, no
//     display name): "Invalid management_email" (it cannot be cleared: the
//     field is a string, not null). Other keys are ignored. A PUT that
//     changes nothing answers 200 and leaves updated_at alone.
//   - DELETE: no orgId query parameter: "orgId is required".
//
// Other errors: 404 "Organization not found" and "Not found" (another
// path), 405 "Method not allowed", 429 "Too many requests", 500 "Internal
// server error" and 503 "Service unavailable" (faults only), all in the
// same shape. Every response has a JSON body and Content-Type
// application/json.
//
// # Rate limit and faults
//
// The document has no rate limit, so by default there is none and no
// rate-limit header. Options.RateLimit > 0 adds one: that many requests per
// client IP in a fixed window that opens at the IP's first request and
// closes a minute later; every request counts; responses carry
// X-RateLimit-Limit and X-RateLimit-Remaining, and a 429 has Remaining 0
// and Retry-After (whole seconds to the window's end, at least 1).
//
// Faults apply to requests that got past the rate limiter, before anything
// else: one generator seeded with Faults.Seed draws x in [0,1) per request;
// x < Rate429 is a 429 with Retry-After 1; below Rate429+Rate5xx a 500 or a
// 503 (a second draw, equal odds); below that plus RateDrop the connection
// is closed unanswered. With every rate zero nothing is drawn. SetFaults
// replaces the settings and reseeds. Latency is real time; every other time
// follows Options.Now.
//
// # Inspection
//
// Stats counts Requests (all), Writes (POST, PUT and DELETE routed to
// /organization/, whatever their outcome; not faulted or rate-limited
// ones), RateLimited, Faulted, and ByRoute ("PUT /organization/"). State
// returns a deep copy of the organizations (creation order) and their
// members; Dump the same as canonical text with no id or time (an org line
// with its name, creator's email, management_email, logo and customer_id,
// a member line per member), sorted, the same under every reading. Each
// request is logged at debug level with method, path (no query), status
// and duration; keys and bodies are never logged.
//
// # Readings
//
// Where document 002 allows more than one reading, the default is what the
// sections above describe and each other one is served behind
// Options.Readings (`orgbridge emulate capgo --reading NAME,…`); the
// catalogue is Readings. Each with the seed line that allows it:
//
//   - list-bare-array (002:14,28 「アクセス可能なすべての組織を返します」「# Get all
//     organizations」: no list body is shown, and the one example body,
//     wrapped in data, follows the single-organization call): the list is
//     a bare JSON array.
//   - list-paged (002:16 「orgId (オプション)」, the only parameter named; nothing
//     says the list is whole): the list holds at most Options.PageSize
//     organizations (default 50, Capgo's own page), ?page= from 0 choosing
//     the page (not a number: 0); a page past the end is empty. Excludes
//     list-paged-from-1.
//   - list-all-orgs (002:28 「# Get all organizations」): the list holds every
//     organization of the server, and ?orgId= reads any of them; PUT and
//     DELETE by a key whose user is not an admin of the organization
//     (member or not) are 403 Admin role required.
//   - create-management-email (002:48-50 「interface OrganizationCreate { name:
//     string }」, an interface names what must be sent, not all that may,
//     with 002:24 「management_email: string」): POST takes management_email
//     (a bare address, else 400 Invalid management_email) and sets it.
//     Excludes create-strict-body.
//   - create-strict-body (002:48-50 read as the whole body): POST with any
//     key but name is 400 Invalid body and creates nothing. Excludes
//     create-management-email.
//   - errors-http-200 (002:107-123 「一般的なエラーのシナリオとその対応」: the
//     errors are bodies with "status": "KO" and no status code, and the
//     success bodies carry a status too, 002:60): every API error (401,
//     403, 404, 400, 405) is answered 200 with its KO body. The rate
//     limiter and injected faults keep 429 and 5xx. Excludes
//     errors-http-400.
//   - errors-http-400 (002:107-123, the same lines): every API error is
//     answered 400 with its KO body. Excludes errors-http-200.
//   - put-partial-data (002:84-91 「"data": { "id", "name", "management_email" }」):
//     the PUT answer's data holds those three fields only.
//   - new-org-email-empty (002:24 「management_email: string」 with 002:48-50,
//     a create that takes no address): a new organization's
//     management_email is "" until set, not its creator's address.
//   - role-checked-first (002:66,95 「管理者の役割が必要です」 with 002:107-123,
//     whose errors are the key, a missing field and the role, and no "not
//     found"): PUT and DELETE check the admin role before the
//     organization, so an orgId that does not exist (a deleted one, say)
//     is 403 Admin role required, not 404.
//   - invalid-key-403 (002:109-113 「// Invalid API key」, a body with no
//     status code): a missing, unknown or revoked key is 403, like the
//     role; errors-http-200 and errors-http-400 override it.
//   - list-paged-from-1 (002:16 「orgId (オプション)」, nothing says how a page
//     is counted): as list-paged, but ?page= counts from 1, and page 0, a
//     negative page, no page or not a number is page 1 (a clamp).
//     Excludes list-paged.
//   - put-absent-logo-cleared (002:70 「logo?: string」 with 002:22 「logo:
//     string | null」: the update's logo read as the new logo): a PUT
//     without logo sets it to null; absent name and management_email are
//     kept.
package emulator
