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
// NewDemo returns one ready for configs/directory.yaml: client DemoClientID
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
// # Inspection
//
// Stats counts Requests (all), Writes (POST/PUT/DELETE routed to an
// assignment, whatever their outcome; not the token call), RateLimited,
// Faulted, and ByRoute per method and route pattern. Dump returns a deep
// copy of every organization; Assign seeds an assignment directly. The
// Server is safe for concurrent use (one mutex; bodies are read outside
// it). Each request is logged at debug with method, route pattern (not the
// path, which holds subject ids), status and duration; tokens, secrets and
// bodies never.
package emulator
