package emulator

import (
	"time"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// The readings of seed document 004 this emulator serves besides its
// default (see "Readings" in the package doc).
const (
	ReadingListTypesWithUsers    = "list-types-with-users"
	ReadingListAccountTypes      = "list-account-types"
	ReadingListBareArray         = "list-bare-array"
	ReadingPaginated             = "paginated"
	ReadingStatusUpper           = "status-upper"
	ReadingPutReplacesCode       = "put-replaces-code"
	ReadingSingleAccountType     = "single-account-type"
	ReadingPostDuplicateOK       = "post-duplicate-ok"
	ReadingDeleteMissingOK       = "delete-missing-ok"
	ReadingErrorsNested          = "errors-nested"
	ReadingTokenShortLived       = "token-short-lived"
	ReadingTokenClientSecretPost = "token-client-secret-post"
	ReadingPutUpserts            = "put-upserts"
	ReadingPostNoContent         = "post-no-content"
	ReadingNewInactive           = "new-inactive"
)

// Readings is the catalogue of the places where document 004 allows more
// than one reading, each with the seed line that allows it. The default
// reading is the wire contract in connectors/directory's package doc.
//
// list-types-with-users comes before list-account-types, its exclusion, so
// that the first "all" set of Combinations is one orgbridge can sync; the
// second holds list-account-types, under which it must refuse to.
var Readings = emukit.Readings{
	{
		Name: ReadingListTypesWithUsers,
		Seed: "004:9 「These accounts can be linked to users, providing visibility into available user account options」",
		Doc: "GET …/accounts/users lists the organization's account types, each with the subjects that hold it: " +
			`{"organizationId","items":[{"code","name","users":[{"subjectId","status","createdAt","updatedAt"}]}]}; ` +
			"no separate list of assignments",
		Excludes: []string{ReadingListAccountTypes},
	},
	{
		Name: ReadingListAccountTypes,
		Seed: "004:9 「This endpoint returns the account types registered within the specified organization」",
		Doc: `GET …/accounts/users lists the organization's account types only: {"organizationId","items":[{"code","name"}]}; ` +
			"nothing in the API says who holds which (orgbridge refuses to sync such a server, exit 1)",
		Excludes: []string{ReadingListTypesWithUsers},
	},
	{
		Name: ReadingListBareArray,
		Seed: "004:21 「Responses」 (no response shape is given)",
		Doc: "GET …/accounts/users answers a bare JSON array of its entries, without organizationId and " +
			"without the accountTypes of the organization",
	},
	{
		Name: ReadingPaginated,
		Seed: "004:19 「Path parameters」 and 004:21 「Responses」 (no query parameter and no response shape: nothing rules pages out)",
		Doc: "GET …/accounts/users answers Options.PageSize entries (default 50) a page, ?page=N (1-based); the object " +
			`carries "total" and "next" (the absolute URL of the next page, null on the last), a bare array ` +
			`(list-bare-array) a Link header with rel="next"`,
	},
	{
		Name: ReadingStatusUpper,
		Seed: "004:66 「statusstring · enumOptionalPossible values:」 (the enum lists no values)",
		Doc: "the status values are ACTIVE and INACTIVE (or Options.StatusValues): assignments are listed with " +
			"them and PUT refuses any other (422 on status), active and suspended included",
	},
	{
		Name: ReadingPutReplacesCode,
		Seed: "004:51 「It requires the organization ID, subject ID, and the new account type code」",
		Doc: "PUT …/{subjectId}/{code} gives the subject the account type code in place of those it holds, in one " +
			"call (status from the body, else kept); on a code the subject already holds it sets the status only; " +
			"404 when the subject holds none",
		Excludes: []string{ReadingPutUpserts},
	},
	{
		Name: ReadingSingleAccountType,
		Seed: "004:25 「Assign a user to an account type.」 and 004:47 「Update user account type for organization」 (one type a user)",
		Doc:  "a subject holds at most one account type: a POST of another code to a subject that holds one is 409",
	},
	{
		Name: ReadingPostDuplicateOK,
		Seed: "004:43 「Responses」 (POST documents no answer for an association that exists)",
		Doc:  "a POST of an assignment the subject already holds answers 200 with it, as it is (status unchanged), instead of 409",
	},
	{
		Name: ReadingDeleteMissingOK,
		Seed: "004:95 「No content」 (the only answer DELETE documents)",
		Doc:  "a DELETE of an assignment that does not exist answers 204, as for one that does, instead of 404",
	},
	{
		Name: ReadingErrorsNested,
		Seed: "004:21 「Responses」 (no error body is documented anywhere)",
		Doc: `every API error body nests its message: {"error":{"code","message"[,"errors":{field:[…]}]}} ` +
			`instead of {"message"[,"errors"]}; the token endpoint keeps RFC 6749's`,
	},
	{
		Name: ReadingTokenShortLived,
		Seed: "004:18 「Authorization URL: Token URL:」 (blank: no token lifetime is given)",
		Doc:  "an access token lives 60 seconds (expires_in 60) unless Options.TokenTTL says otherwise",
	},
	{
		Name: ReadingTokenClientSecretPost,
		Seed: "004:16 「An OIDC service account that was authenticated.」 (no client authentication method is named)",
		Doc: "the token endpoint takes the client's id and secret in the form only (client_secret_post); HTTP Basic " +
			"is 401 invalid_client",
	},
	{
		Name: ReadingPutUpserts,
		Seed: "004:69 「/directory/orgs/{organizationId}/accounts/users/{subjectId}/{code}」 (PUT's path is POST's, 004:45)",
		Doc: "PUT to an assignment that does not exist creates it (status from the body, else a new one's), " +
			"beside what the subject holds (409 under single-account-type when it holds another), instead of a 404",
		Excludes: []string{ReadingPutReplacesCode},
	},
	{
		Name: ReadingPostNoContent,
		Seed: "004:43 「Responses」 (POST documents no answer; DELETE's, 004:95, is 「No content」)",
		Doc:  "POST answers 204 with no body, for a new assignment and (post-duplicate-ok) for one that exists, instead of 201 with it",
	},
	{
		Name: ReadingNewInactive,
		Seed: "004:29 「This endpoint creates an association」 and 004:66 「statusstring · enumOptional」 (nothing says what status a new association has)",
		Doc:  "a new assignment (POST, or PUT under put-upserts without a status) starts suspended (the server's suspended word), to be activated by PUT",
	},
}

// ShortTokenTTL is the token lifetime under token-short-lived.
const ShortTokenTTL = 60 * time.Second

// DefaultPageSize is the page size under paginated when Options.PageSize
// is not set.
const DefaultPageSize = 50

// Upper-case status values of status-upper.
const (
	StatusUpperActive    = "ACTIVE"
	StatusUpperSuspended = "INACTIVE"
)
