// Package directory is the target adapter for the directory account-type
// API (seed document 004, "Org Account Management"): the account types that
// subjects hold within one organization, assigned, given a status and
// removed, over OAuth2 client credentials. It maps a canonical user
// attribute, account_type, onto those assignments.
//
// # Wire contract
//
// The document gives four operations, their path parameters and a PUT body
// of one optional enum, and nothing else: no token URL, no response shapes,
// no enum values, no errors but DELETE's "No content". Where it is silent
// we chose the most ordinary REST shape; the emulator (package emulator)
// serves exactly this, and the adapter reads leniently (see "Reading").
// Every path is relative to the configured base URL; path parameters are
// escaped as one segment each (url.PathEscape).
//
//	POST   /oauth2/token      form: grant_type=client_credentials[, scope]; the client as HTTP
//	                          Basic (client_secret_basic, id and secret form-encoded first) or as
//	                          client_id/client_secret in the form (client_secret_post), not both
//	                          → 200 {"access_token","token_type":"Bearer","expires_in":3600[,"scope"]}
//	                          → 400 {"error":"invalid_request"|"unsupported_grant_type",…}
//	                          → 401 {"error":"invalid_client","error_description","message"}
//	GET    /directory/orgs/{organizationId}/accounts/users
//	                          → 200 {"organizationId","accountTypes":[{"code","name"}],
//	                                 "items":[Assignment…]} (every assignment, no pagination)
//	POST   /directory/orgs/{organizationId}/accounts/users/{subjectId}/{code}   (no body)
//	                          → 201 Assignment, status "active"
//	                          → 409 the subject already holds that account type
//	                          → 422 {"message","errors":{"subjectId"|"code":[…]}}: an empty or
//	                                over-long subjectId, a code that is not an account type of
//	                                the organization
//	PUT    /directory/orgs/{organizationId}/accounts/users/{subjectId}/{code}
//	                          body {"status":"active"|"suspended"} (absent or null: no change)
//	                          → 200 Assignment; 422 {"errors":{"status":[…]}} for another value
//	DELETE /directory/orgs/{organizationId}/accounts/users/{subjectId}/{code}
//	                          → 204 No content
//
// Assignment is {"organizationId","subjectId","code","status","createdAt",
// "updatedAt"} (times in RFC 3339, UTC). Every API call needs
// "Authorization: Bearer <token>": a missing one is 401, an unknown or
// expired one 401 {"error":"invalid_token",…}. An unknown organizationId
// is 404, so is a PUT or DELETE of an assignment that does not exist.
// Errors are {"message": …} (422 adds "errors" by field). The status enum's
// values are ours: "active" and "suspended". The token URL defaults to
// base_url + "/oauth2/token" (token_url overrides it); scopes are sent
// space-separated when configured, and none by default (the document
// names none). The document also says "User Credential" beside its
// clientCredentials authorization; a service account's token is what we
// use.
//
// # Client
//
// Client (client.go) is a typed call per endpoint over internal/httpkit: a
// retrying client with the kit's status → retry table (a POST answered 500
// is not repeated: it may have been applied), a pacer that honours
// X-RateLimit-* and Retry-After should a server send them (the document has
// no rate limit), and an OAuth2 client-credentials token source renewed
// ahead of expiry. A 401 on a call invalidates the token and the call is
// sent once more with a new one. Errors follow httpkit: 422 →
// *connectors.FieldError naming subjectId, code or status; 404 →
// connectors.ErrNotFound; 409 → connectors.ErrConflict; 429, 5xx and
// dropped connections → connectors.TransientError. The client secret and
// the token never appear in an error or a log.
//
// # Reading
//
// The list is read leniently, for servers built from the same document:
// a bare JSON array or an object holding the list under items, data,
// assignments, accounts, users, results or content; an entry is an
// assignment when it has a subject (subjectId, subject_id, subject, sub,
// userId, user_id) and a code (code, accountType — a string or an object
// with a code —, account_type, accountTypeCode), or an account type that
// lists its subjects (a code and a list under users, subjects,
// assignments, members or accounts, of subject ids or objects). The
// status comes from status or state, or a suspended/isSuspended boolean;
// "suspended", "inactive", "disabled", "deactivated", "locked" and
// "blocked" (any case) withhold access, anything else (and none) is
// active. The organization's account types come from accountTypes,
// account_types or types. A "next" link (next, nextLink, links.next) is
// followed, on the base URL's host only. Entries that are neither are
// skipped and counted in a warning.
//
// # Mapping
//
// One canonical user per subject that holds at least one account type in
// the configured organization. In the actual snapshot its Key, LoginID
// and Name are the subjectId (the API keeps no name and no email);
// Attributes["account_type"] is every code it holds, sorted and
// comma-separated ("admin,standard"); Suspended is true when every one of
// its assignments is suspended. The planner matches a desired user to a
// subject by login id, so map users.login_id to the subject id (the
// example maps the mail address), users.name to the same template (or
// every run plans a rename the API cannot store, and the update fails
// naming the field), and leave users.email unmapped.
//
// account_type is the whole set of codes the subject should hold:
// one code, or several separated by commas (compared as Read reports them:
// sorted, no spaces). A code the subject holds that the set does not name
// is removed; a user whose account_type is not mapped keeps whatever it
// holds. An empty or unmapped account_type on create assigns the default,
// "standard" (WithDefaultAccountType; the config block has no key for it
// yet). Several codes a subject holds are therefore reported, and managed,
// together.
//
// # Writing
//
// Before a write names a code, it is checked against the account types of
// the last listing (when the server lists them): an unknown code is a
// *connectors.FieldError on "code" and nothing is written.
//
//	user create   POST each code for subjectId = LoginID (required); a 409 (already held)
//	              counts as done. A user created suspended, and a code that was already
//	              held, then gets PUT {"status"} (which also proves the assignment is there).
//	              Result.TargetID is the subjectId.
//	update        the fields Change.Diff names (planner names, "attributes." allowed):
//	              account_type: DELETE the codes no longer wanted, then POST the new ones
//	                (the path holds the code and PUT changes only the status; and a server
//	                may allow one code per subject, so removing first never trips it);
//	              suspended: PUT {"status"} on every code kept;
//	              login_id: POST the codes for the new subject, then DELETE the old
//	                subject's; Result.TargetID is the new subjectId, which relinks the user.
//	              name and email are refused (the API keeps neither), naming the field and
//	              the mapping fix, before anything is written. With no Diff, every field:
//	              the subject's codes are read first. When account_type is not mapped, the
//	              codes it holds are read too.
//	user suspend  PUT {"status":"suspended"} on every code the user holds
//	delete        DELETE every code the user holds; a 404 (already gone) counts as done,
//	              and so does a subject that holds nothing
//
// The codes an actual user holds come from the change (Read's
// account_type); when it carries none, from a fresh listing. Orgs, groups
// and memberships are refused: Capabilities declares users only. A
// multi-step change that fails part-way returns the error; the next run
// reads the target and finishes it. Every Apply logs, at debug, kind,
// action, key, target_id and the resulting id, and a failure at warn;
// never a secret or a token.
package directory
