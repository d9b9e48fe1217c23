// Package emulator is an in-memory directory account-type API (seed
// document 004, "Org Account Management") served as an http.Handler. It
// follows the document and, where the document is silent, serves exactly
// the wire contract written in the package doc of connectors/directory. It
// is strict, so that an adapter that passes here passes against other
// servers built from the same document.
//
//	srv := emulator.New(emulator.Options{})
//	srv.AddClient("my-client", "secret")
//	srv.AddOrganization("org-1", emulator.AccountType{Code: "standard", Name: "一般利用者"})
//	ts := httptest.NewServer(srv)
//
// NewDemo (NewDemoWith, to give options such as readings) returns one
// ready for configs/directory.yaml: client DemoClientID
// with DemoClientSecret, organization DemoOrganizationID with the account
// types standard (一般利用者) and admin (管理者). `orgbridge emulate directory`
// serves it on 127.0.0.1:DefaultPort (8085).
//
// # Routes
//
//	POST   /oauth2/token
//	GET    /directory/orgs/{organizationId}/accounts/users
//	POST   /directory/orgs/{organizationId}/accounts/users/{subjectId}/{code}
//	PUT    /directory/orgs/{organizationId}/accounts/users/{subjectId}/{code}
//	DELETE /directory/orgs/{organizationId}/accounts/users/{subjectId}/{code}
//
// Paths match exactly (no trailing slash) and are split on their escaped
// form, each segment then unescaped: a subject id may hold any character,
// "/" included as %2F. Another path is 404; another method on a known path
// is 405 with an Allow header.
//
// # Order of processing
//
// Faults.Latency (abandoned when the request's context ends, and then
// nothing is written); the rate limiter (429); fault injection (429, 5xx);
// the route (404, 405); the bearer token (401); the organization (404);
// for PUT and DELETE the assignment (404); the body (413 over 1 MiB, 415
// when not application/json, 400 when not one JSON object); validation
// (422); for POST a duplicate (409). A request stopped before its handler
// has no side effect.
//
// # Access tokens
//
// The document names OAuth2 clientCredentials and leaves the token URL
// blank: POST /oauth2/token takes an application/x-www-form-urlencoded body
// with grant_type=client_credentials (absent: 400 invalid_request; another:
// 400 unsupported_grant_type), the client authenticated by HTTP Basic
// (RFC 6749 2.3.1, id and secret form-decoded) or by client_id and
// client_secret in the form, not both (400 invalid_request). An unknown
// client or a wrong secret is 401 invalid_client (with WWW-Authenticate:
// Basic when Basic was used). scope is optional; any value is granted and
// echoed, since the document names no scopes. The answer is
// {"access_token","token_type":"Bearer","expires_in"[,"scope"]} with
// Cache-Control: no-store; a token is valid TokenTTL (an hour by default)
// by the Options.Now clock. API calls take "Authorization: Bearer <token>",
// the scheme in any case: without one, 401 {"message"} and WWW-Authenticate:
// Bearer realm="directory"; with an unknown or expired one, 401
// {"error":"invalid_token","error_description","message"} and
// error="invalid_token" in WWW-Authenticate. ExpireTokens forgets every
// token.
//
// # Accounts
//
// An organization exists only when registered (AddOrganization), with its
// account types; an unknown organizationId is 404 on every route. The
// document's GET "returns the account types registered within the
// organization", which "can be linked to users": it answers both, in one
// response without pagination (the document has no query parameters):
// {"organizationId","accountTypes":[{"code","name"}] in registration
// order,"items":[Assignment] by subjectId then code}. An Assignment is
// {"organizationId","subjectId","code","status","createdAt","updatedAt"},
// times RFC 3339 in UTC, whole seconds.
//
// POST assigns: no body (one sent is ignored); subjectId must be 1..255
// characters, valid UTF-8, without control characters, not only spaces
// (422 on subjectId); code must be an account type of the organization
// (422 on code, naming the known ones); a subject may hold several account
// types, but each once (409). A new assignment is "active"; the answer is
// 201 with it.
//
// PUT sets the status: {"status"} where status is "active" or "suspended"
// (the document's enum lists no values; these are ours). Absent or null
// changes nothing; another value or a non-string is 422 on status; other
// keys are ignored; an empty body is {}. updatedAt changes only when the
// status does. The answer is 200 with the assignment.
//
// DELETE removes the assignment: 204 with no body ("No content"). The
// document allows an optional string body; it is ignored.
//
// A 422 is {"message": the first error, "errors": {field: [messages]}},
// fields named as the document names them (subjectId, code, status). Every
// other error is {"message"}. Responses with a body are
// application/json; a 204 has none.
//
// # Rate limit
//
// The document has none, so by default there is none and no rate-limit
// header. Options.RateLimit > 0 limits each client IP to that many requests
// in a fixed one-minute window opened by its first request; every request
// counts (the token call, 401s, 404s, faulted ones). Each response then
// carries X-RateLimit-Limit and X-RateLimit-Remaining; a 429 has Remaining
// 0, Retry-After (whole seconds to the window's end, at least 1) and
// X-RateLimit-Reset, and does not count against the window.
//
// # Fault injection
//
// One generator seeded with Faults.Seed draws x in [0,1) per request that
// got past the rate limiter: x < Rate429 answers 429 with Retry-After 1;
// below Rate429+Rate5xx answers 500, 502 or 503 (a second draw, equal odds;
// 503 with Retry-After 1). With both rates zero nothing is drawn. SetFaults
// replaces the settings and reseeds. Latency is real time; everything else
// follows Options.Now.
//
// # Readings
//
// Document 004 gives paths, path parameters and one optional enum, and
// leaves almost everything else open. The default reading is the one
// above (the wire contract of connectors/directory); Options.Readings
// (names from Readings, `orgbridge emulate directory --reading NAME,...`)
// serves others, each allowed by the seed line named:
//
//   - list-types-with-users (004:9 「These accounts can be linked to users,
//     providing visibility into available user account options」): GET
//     lists the account types, each with the subjects that hold it
//     ({"code","name","users":[{"subjectId","status",…}]}); no list of
//     assignments. Excludes list-account-types.
//   - list-account-types (004:9 「This endpoint returns the account types
//     registered within the specified organization」): GET lists the
//     account types only ({"code","name"}); nothing says who holds which.
//     orgbridge cannot sync such a server and refuses to (exit 1).
//   - list-bare-array (004:21 「Responses」, no shape given): GET answers
//     a bare JSON array of its entries, without organizationId or the
//     organization's accountTypes.
//   - paginated (004:19 「Path parameters」 and 004:21 「Responses」: no
//     query parameter and no shape rule pages out): Options.PageSize
//     entries a page (default 50), ?page=N from 1 (400 when not a positive
//     integer; past the end an empty page); an object carries "total" and
//     "next" (the absolute URL of the next page, null on the last), a bare
//     array a Link header with rel="next".
//   - status-upper (004:66 「statusstring · enumOptionalPossible values:」,
//     an enum without values): the values are ACTIVE and INACTIVE, or
//     Options.StatusValues (which, set, apply under any reading); PUT
//     refuses any other with 422 on status, "active" and "suspended"
//     included.
//   - put-replaces-code (004:51 「It requires the organization ID, subject
//     ID, and the new account type code」): PUT to a code the subject does
//     not hold gives it that account type in place of every one it holds,
//     in one call: the status is the body's, else the one it had (active
//     if any was); 404 when it holds none, 422 for a code that is not the
//     organization's. To a code it holds, PUT sets the status only.
//   - single-account-type (004:25 「Assign a user to an account type.」):
//     a subject holds at most one account type; a POST of another code
//     to a subject that holds one is 409.
//   - post-duplicate-ok (004:43 「Responses」, none for an association
//     that exists): a POST of an assignment the subject holds is 200 with
//     it as it is (its status unchanged), not 409.
//   - delete-missing-ok (004:95 「No content」, the only answer DELETE
//     documents): a DELETE of an assignment that does not exist is 204,
//     not 404.
//   - errors-nested (004:21 「Responses」, no error body documented): every
//     API error is {"error":{"code","message"[,"errors"]}}, code being
//     not_found, conflict, validation_failed, invalid_token and so on; the
//     token endpoint keeps RFC 6749's {"error","error_description"}.
//   - token-short-lived (004:18 「Authorization URL: Token URL:」, no
//     lifetime given): a token lives ShortTokenTTL, 60 seconds, unless
//     Options.TokenTTL is set.
//   - token-client-secret-post (004:16 「An OIDC service account that was
//     authenticated.」, no client authentication method named): the token
//     endpoint takes the client's credentials in the form only; HTTP Basic
//     is 401 invalid_client.
//   - put-upserts (004:69 「/directory/orgs/{organizationId}/accounts/users/{subjectId}/{code}」,
//     PUT's path being POST's, 004:45): PUT to an assignment that does not
//     exist creates it, 201, beside what the subject holds (409 under
//     single-account-type when it holds another), with the body's status,
//     else a new assignment's; 422 as POST for a bad subject or code.
//     Excludes put-replaces-code.
//   - post-no-content (004:43 「Responses」, none given; DELETE's, 004:95,
//     is 「No content」): POST answers 204 with no body, for a new
//     assignment and, under post-duplicate-ok, for one that exists.
//   - new-inactive (004:29 「This endpoint creates an association」, and
//     the status enum of 004:66: nothing says what a new association's
//     status is): a new assignment starts suspended (the server's word),
//     to be activated by PUT.
//
// Considered and not served, besides those above: a list that leaves
// out suspended assignments, or shows no status at all (004:9 says
// nothing of statuses in the list): no client could see a suspension
// hold, so every run would suspend the same users again (the target right,
// the run never quiet); the adapter reads a status it is not shown as
// active. A token endpoint that requires a scope: directory.scopes sends
// one, and the token endpoint's message reaches the error. Pages by offset
// or cursor with no link to the next one: the adapter fails the read when
// a total says the list is longer (no parameter name could be guessed).
//
// Also considered and not served: the DELETE parameters are listed code before
// subjectId (004:87-88), but the path (004:93) fixes their order; the
// DELETE body 「stringOptional」 (004:90) is optional and its meaning
// unknown, so it is ignored under every reading; the 「User Credential」
// note (004:11) beside 「OAuth2clientCredentialsRequired」 (004:14) would
// make a server that refuses service accounts, which no client-credentials
// client can use; and the document has no rate limit, so no window to
// read two ways.
//
// # Inspection
//
// Stats counts Requests (all), Writes (POST/PUT/DELETE routed to an
// assignment, whatever their outcome; not the token call), RateLimited,
// Faulted, and ByRoute per method and route pattern. Dump returns the
// state as canonical text, the same under every reading for the same data
// (sorted lines, statuses as "active" or "suspended" whatever the server's
// words, no times); State returns a deep copy of every organization;
// Assign seeds an assignment directly. The
// Server is safe for concurrent use (one mutex; bodies are read outside
// it). Each request is logged at debug with method, route pattern (not the
// path, which holds subject ids), status and duration; tokens, secrets and
// bodies never.
package emulator
