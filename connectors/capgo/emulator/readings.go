package emulator

import "github.com/orgbridge/orgbridge/internal/emukit"

// Names of the readings of seed document 002 the emulator serves besides
// its default (see Readings and the package doc).
const (
	ReadingListBareArray         = "list-bare-array"
	ReadingListPaged             = "list-paged"
	ReadingListAllOrgs           = "list-all-orgs"
	ReadingCreateManagementEmail = "create-management-email"
	ReadingCreateStrictBody      = "create-strict-body"
	ReadingErrorsHTTP200         = "errors-http-200"
	ReadingErrorsHTTP400         = "errors-http-400"
	ReadingPutPartialData        = "put-partial-data"
	ReadingNewOrgEmailEmpty      = "new-org-email-empty"
	ReadingRoleCheckedFirst      = "role-checked-first"
	ReadingInvalidKey403         = "invalid-key-403"
	ReadingListPagedFrom1        = "list-paged-from-1"
	ReadingPutAbsentLogoCleared  = "put-absent-logo-cleared"
)

// DefaultPageSize is how many organizations one GET answers under
// ReadingListPaged when Options.PageSize is not set: Capgo's own page.
const DefaultPageSize = 50

// Readings is the catalogue of the places where document 002 allows more
// than one reading. The default reading of each is what the package doc
// describes; each of these is served behind Options.Readings.
var Readings = emukit.Readings{
	{
		Name: ReadingListBareArray,
		Seed: "002:14,28 「それ以外の場合は、アクセス可能なすべての組織を返します」「# Get all organizations」 (no list body is shown; the one example body, wrapped in data, follows the single-org call)",
		Doc:  `GET /organization/ without orgId answers the list as a bare JSON array, not {"data":[…]}`,
	},
	{
		Name:     ReadingListPaged,
		Seed:     "002:16 「orgId (オプション): 取得する特定の組織の ID」 (the only parameter named; nothing says the list is whole or paged)",
		Doc:      "GET /organization/ answers at most Options.PageSize organizations (default 50, Capgo's own page), the page chosen by ?page= counted from 0; a page past the end is empty",
		Excludes: []string{ReadingListPagedFrom1},
	},
	{
		Name: ReadingListAllOrgs,
		Seed: "002:28 「# Get all organizations」 (beside 002:14 「アクセス可能なすべての組織」)",
		Doc:  "GET /organization/ lists every organization of the server, not only the key user's, and ?orgId= reads any of them; PUT and DELETE on one the key's user is not an admin of are 403 Admin role required",
	},
	{
		Name:     ReadingCreateManagementEmail,
		Seed:     "002:48-50 「interface OrganizationCreate { name: string }」 (a TypeScript interface names what must be there, not all that may be) with 002:24 「management_email: string」",
		Doc:      "POST /organization/ takes management_email besides name (a bare address, else 400 Invalid management_email) and sets it on the new organization",
		Excludes: []string{ReadingCreateStrictBody},
	},
	{
		Name:     ReadingCreateStrictBody,
		Seed:     "002:48-50 「interface OrganizationCreate { name: string }」 read as the whole body",
		Doc:      "POST /organization/ with any key but name is 400 Invalid body, and nothing is created",
		Excludes: []string{ReadingCreateManagementEmail},
	},
	{
		Name:     ReadingErrorsHTTP200,
		Seed:     "002:107-123 「一般的なエラーのシナリオとその対応」 (error bodies with \"status\": \"KO\" and no status code; success bodies carry a status too, 002:60)",
		Doc:      `every API error (401, 403, 404, 400, 405) is answered 200 with its {"error":…,"status":"KO"} body; rate-limit and injected faults keep 429 and 5xx`,
		Excludes: []string{ReadingErrorsHTTP400},
	},
	{
		Name:     ReadingErrorsHTTP400,
		Seed:     "002:107-123 「一般的なエラーのシナリオとその対応」 (the three errors are given as bodies only, with no status code)",
		Doc:      "every API error (invalid key, admin role required, not found, validation, method) is answered 400 with its KO body; rate-limit and injected faults keep 429 and 5xx",
		Excludes: []string{ReadingErrorsHTTP200},
	},
	{
		Name: ReadingPutPartialData,
		Seed: "002:84-91 「\"status\": \"Organization updated\", \"data\": { \"id\", \"name\", \"management_email\" }」",
		Doc:  "PUT answers data with id, name and management_email only, as the example shows, not the whole Organization",
	},
	{
		Name: ReadingNewOrgEmailEmpty,
		Seed: "002:24 「management_email: string」 with 002:48-50 (the create takes no address)",
		Doc:  `a new organization's management_email is "" until a PUT (or, under create-management-email, the POST) sets one, not the creating user's address`,
	},
	{
		Name: ReadingRoleCheckedFirst,
		Seed: "002:66,95 「管理者の役割が必要です」 with 002:107-123 (the document's errors are the key, a missing field and the role: it has no not-found error)",
		Doc:  "PUT and DELETE check the admin role before the organization: an orgId the key's user is not an admin of, one that does not exist (or no longer does) included, is 403 Admin role required, never 404",
	},
	{
		Name: ReadingInvalidKey403,
		Seed: "002:109-113 「// Invalid API key」 (given as a body, with no status code)",
		Doc:  "a missing, unknown or revoked key is answered 403 (as Admin role required is), not 401; under errors-http-200 or errors-http-400 their status wins",
	},
	{
		Name:     ReadingListPagedFrom1,
		Seed:     "002:16 「orgId (オプション)」 (the only parameter named; nothing says how a page would be counted)",
		Doc:      "GET /organization/ answers at most Options.PageSize organizations, the page chosen by ?page= counted from 1; page 0, a negative page, no page or not a number is page 1; a page past the end is empty",
		Excludes: []string{ReadingListPaged},
	},
	{
		Name: ReadingPutAbsentLogoCleared,
		Seed: "002:70 「logo?: string」 with 002:22 「logo: string | null」 (the update's optional logo read as the organization's new logo: absent is none)",
		Doc:  "a PUT without logo sets the organization's logo to null; name and management_email, absent, are kept",
	},
}
