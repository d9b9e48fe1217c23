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
// we chose the most ordinary REST shape below, which the emulator (package
// emulator) serves by default; the emulator serves every other reading the
// document allows behind a flag (see "Readings" below and the emulator's
// package doc), and the adapter holds under each. Every path is relative
// to the configured base URL; path parameters are escaped as one segment
// each (url.PathEscape).
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
// Errors are {"message": …} (422 adds "errors" by field). The token URL
// defaults to base_url + "/oauth2/token" (token_url overrides it); scopes
// are sent space-separated when configured, and none by default (the
// document names none). The document also says "User Credential" beside
// its clientCredentials authorization; a service account's token is what
// we use.
//
// # Configuration
//
// The target block (Config), every key with its default:
//
//	directory:
//	  base_url: https://directory.example.com   # required, absolute http(s)
//	  token_url: ""                 # default base_url + /oauth2/token (the document leaves it blank)
//	  client_id: orgbridge          # required
//	  client_secret: {env: NAME}    # required: env or file
//	  scopes: []                    # none sent by default (the document names none)
//	  organization_id: org-1        # required
//	  status_values:                # the words of the PUT status enum, which the document
//	    active: active              #   (004:66 「Possible values:」) does not list; set them to
//	    suspended: suspended        #   the server's (ACTIVE/INACTIVE, say). They must differ.
//	  managed_account_types: []     # the codes orgbridge assigns and removes; empty: every
//	                                #   account type of the organization. A code outside them
//	                                #   that a subject holds was given by hand and is left alone.
//	                                #   It must include "standard", the default account type.
//	  timeout: 30s
//	  max_retries: 5
//
// Each value is checked when the target opens (orgbridge validate), with
// the key named: a status word with surrounding spaces, two equal words, a
// managed code that is empty, holds a comma or is named twice.
//
// # Client
//
// Client (client.go) is a typed call per endpoint over internal/httpkit: a
// retrying client with the kit's status → retry table (a POST answered 500
// is not repeated: it may have been applied), a pacer that honours
// X-RateLimit-* and Retry-After should a server send them (the document has
// no rate limit), and an OAuth2 client-credentials token renewed ahead of
// expiry (whatever lifetime the server gives; none given, it is kept until
// a 401). The document names no client authentication method: the token
// is asked for with HTTP Basic (client_secret_basic, OIDC's default) and,
// when the token endpoint refuses the client that way (400 or 401), with
// the credentials in the form (client_secret_post), which is then used
// from there on (auth.go). A 401 on a call invalidates the token and the
// call is sent once more with a new one. Errors follow httpkit: 422 →
// *connectors.FieldError naming subjectId, code or status; 404 →
// connectors.ErrNotFound; 409 → connectors.ErrConflict; 429, 5xx and
// dropped connections → connectors.TransientError; the server's message
// is in the error wherever its body puts it. The client secret and the
// token never appear in an error or a log.
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
// status comes from status or state, or a suspended/isSuspended boolean.
// The organization's account types come from accountTypes, account_types
// or types, or from the account type entries. A next link (next,
// nextLink, links.next, or a Link header with rel="next") is followed, on
// the base URL's host only.
//
// What the adapter sees of the target is what it plans from, so a list it
// cannot trust to be whole fails the read (and the run, exit 1) rather
// than pass for an organization with fewer assignments:
//
//   - the list holds account types and says nothing of who holds them
//     (the document's own words, 004:9 "returns the account types
//     registered within the specified organization", read literally):
//     ErrNoAssignments. The document has no other call that reads
//     assignments (no per-subject GET), so such a server cannot be synced;
//     treating it as empty would repeat every create on every run and
//     leave leavers with access;
//   - an entry that is neither an assignment nor an account type;
//   - a total (total, totalCount, …) larger than the entries its pages
//     gave, with no link to the rest;
//   - an object with no list in it.
//
// A status is placed by directory.status_values first (in any case), then
// by the words servers commonly use: suspended, inactive, disabled,
// deactivated, locked and blocked withhold access; active and enabled
// grant it; none at all is active. Any other word fails the read, naming
// the status_values keys: reading it either way could leave a leaver with
// access. A configured word the server writes in another case (ACTIVE for
// active) is read, and a warning says that writes will send the
// configured word.
//
// # Mapping
//
// One canonical user per subject that holds at least one account type in
// the configured organization. In the actual snapshot its Key, LoginID
// and Name are the subjectId (the API keeps no name and no email);
// Attributes["account_type"] is every managed code it holds, sorted and
// comma-separated ("admin,standard"); Suspended is true when every one of
// its managed assignments is suspended (every one of its assignments, when
// it holds no managed code). The planner matches a desired user to a
// subject by login id, so map users.login_id to the subject id (the
// example maps the mail address), users.name to the same template (or
// every run plans a rename the API cannot store, and the update fails
// naming the field), and leave users.email unmapped.
//
// account_type is the whole set of managed codes the subject should hold:
// one code, or several separated by commas (compared as Read reports them:
// sorted, no spaces). A managed code the subject holds that the set does
// not name is removed; a user whose account_type is not mapped keeps
// whatever it holds. An empty or unmapped account_type on create assigns
// the default, "standard" (WithDefaultAccountType). A code the mapping
// names outside managed_account_types is refused before anything is
// written.
//
// # Ownership
//
// orgbridge removes only what it manages. Subjects it has not created or
// adopted are left alone by the planner (the store's links); within a
// subject it manages, codes outside managed_account_types were given by
// hand: Read leaves them out of account_type, and no update, suspension or
// deletion removes or alters them. A role change on such a subject never
// uses the one-call PUT (which on some servers replaces every code the
// subject holds). A suspended or deleted user that keeps hand-made codes
// is logged at warn; one that holds nothing else cannot be suspended by
// orgbridge, and the change fails saying so.
//
// # Writing
//
// Before a write names a code, it is checked against managed_account_types
// and the account types of the last listing (when the server lists them):
// an unknown code is a *connectors.FieldError on "code" and nothing is
// written. Statuses are written as directory.status_values says; a PUT
// whose status the server refuses (400 or 422 about the status) fails
// naming the key to set.
//
//	user create   POST each code for subjectId = LoginID (required), then PUT {"status"} when
//	              the status the answer gives (active when new on most servers, suspended
//	              on some) is not the one wanted, or when the answer gives none (204). A 409
//	              (already held) is checked with a fresh listing: held, it counts as done
//	              (the status set if need be); not held, the server allows one account type
//	              per subject, and the error says so. A 200 for an assignment that exists
//	              (an idempotent POST) is taken as it is. Result.TargetID is the subjectId.
//	update        the fields Change.Diff names (typed: suspended, login_id, the account_type attribute):
//	              account_type: one code for another, on a subject holding nothing else:
//	                PUT {"status"} to the new code (004:51: PUT takes "the new account
//	                type code"), one call. A server whose PUT only sets the status of an
//	                assignment answers 404 (or, creating beside but allowing one account
//	                type per subject, 409), writes nothing, and is not asked so again by
//	                this adapter; the DELETE of the old code after the first such PUT
//	                tells whether the server replaced it (404: the DELETE is not sent
//	                again) or put the new one beside it. Otherwise: POST the new codes,
//	                then DELETE the old ones, so the user never goes without access; on a
//	                server that allows one code per subject (a 409 on a code it did not
//	                hold), DELETE first, then POST, and when the POST fails the old codes
//	                are assigned back and the error says so;
//	              suspended: PUT {"status"} on every managed code kept;
//	              login_id: POST the codes for the new subject, then DELETE the old
//	                subject's; Result.TargetID is the new subjectId, which relinks the user.
//	              name and email are refused (the API keeps neither), naming the field and
//	              the mapping fix, before anything is written. With no Diff, every field:
//	              the subject's codes are read first. When account_type is not mapped, the
//	              codes it holds are read too.
//	user suspend  PUT {"status": suspended word} on every managed code the user holds
//	delete        DELETE every managed code the user holds; a 404 (already gone, or a
//	              server that answers 204 either way) counts as done, and so does a subject
//	              that holds nothing
//
// The codes an actual user holds come from the change (Read's
// account_type); when it carries none, from a fresh listing. Orgs, groups
// and memberships are refused: Capabilities declares users only. A
// multi-step change that fails part-way returns the error; the next run
// reads the target and finishes it. Every Apply logs, at debug, kind,
// action, key, target_id and the resulting id; a failure is returned,
// not logged (the executor logs it once); never a secret or a token.
//
// # Readings
//
// Each reading of document 004 the emulator serves (its package doc quotes
// the seed lines), and what the adapter does under it; the conformance
// suite runs under every combination emulator.Readings.Combinations gives.
//
//	list-types-with-users     reads the holders under each account type
//	list-account-types        fails the read (ErrNoAssignments), exit 1, nothing written
//	list-bare-array           reads the array; without the account types, the server checks codes
//	paginated                 follows "next" in the body or the Link header; a short total fails
//	status-upper              directory.status_values: {active: ACTIVE, suspended: INACTIVE};
//	                          without it, a status write fails naming the key (exit 1)
//	put-replaces-code         a role change is one PUT (the first also DELETEs the old code, 404)
//	single-account-type       a role change is DELETE then POST, the old code given back on failure
//	post-duplicate-ok         a 200 for a held assignment is done; its status set if it differs
//	delete-missing-ok         a 204 for a missing assignment is done
//	errors-nested             the message under "error" reaches the error
//	token-short-lived         the token is renewed ahead of its 60 seconds
//	token-client-secret-post  Basic refused: the credentials go in the form from then on
//	put-upserts               a role change is PUT then DELETE (the PUT came beside); with
//	                          single-account-type the PUT is 409, and DELETE then POST follow
//	post-no-content           the answer says no status: a PUT sets the one wanted after each POST
//	new-inactive              the POST's answer says suspended: an active user's is set by PUT
package directory
