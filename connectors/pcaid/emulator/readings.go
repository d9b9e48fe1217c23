package emulator

import (
	"time"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// Names of the readings of seed document 000 the emulator serves besides
// its default (see Readings and the package doc).
const (
	ReadingUsersListActive      = "users-list-active"
	ReadingUsersListRemoved     = "users-list-removed"
	ReadingSuspendedAsStatus    = "suspended-as-status"
	ReadingAdminRolesSeveral    = "admin-roles-several"
	ReadingPartitionIDSingle    = "partition-id-single"
	ReadingSPManagerGrantOnly   = "sp-manager-grant-only"
	ReadingPutReplaces          = "put-replaces"
	ReadingPagingPage           = "paging-page"
	ReadingPagingNone           = "paging-none"
	ReadingImportTaskWords      = "import-task-words"
	ReadingImportFailedWithRows = "import-failed-with-rows"
	ReadingImportResultLists    = "import-result-lists"
	ReadingTokenNoExpiresIn     = "token-no-expires-in"
	ReadingErrorsAsList         = "errors-as-list"
	ReadingIDsUUID              = "ids-uuid"
	ReadingExpiredToken403      = "expired-token-403"
	ReadingValidation400        = "validation-400"
	ReadingPartitionUnknown422  = "partition-unknown-422"
	ReadingTokenAuthBody        = "token-auth-body"
	ReadingPagingOffset         = "paging-offset"
	ReadingPagingNextToken      = "paging-next-token"
)

// APIGatewayDeny is the body API Gateway answers, 403, when a Lambda
// authorizer returns a Deny policy (ReadingExpiredToken403).
const APIGatewayDeny = `User is not authorized to access this resource with an explicit deny`

// Admin roles of ReadingAdminRolesSeveral besides RoleOrganizationAdmin.
const (
	RoleUserAdmin    = "user_admin"    // ユーザー管理者
	RoleServiceAdmin = "service_admin" // サービス管理者
)

// StatusSuspended and StatusRemoved are the statuses of a suspended user
// under ReadingSuspendedAsStatus and of a removed one under
// ReadingUsersListRemoved.
const (
	StatusSuspended = "suspended"
	StatusRemoved   = "removed"
)

// NoExpiresInTTL is a token's lifetime under ReadingTokenNoExpiresIn when
// Options.TokenTTL is not set.
const NoExpiresInTTL = 10 * time.Minute

// Readings is the catalogue of the places where document 000, a table of
// endpoints with no shapes, allows more than one reading. The default of
// each is what the package doc of connectors/pcaid describes; each of
// these is served behind Options.Readings.
var Readings = emukit.Readings{
	{
		Name: ReadingUsersListActive,
		Seed: "000:34,36,49 「/users GET ユーザー一覧取得」「/users/query GET ユーザー一覧検索」「ユーザー無効化」 (a plain list beside a search may leave the disabled out)",
		Doc:  "GET /users leaves suspended users out; GET /users/query (?suspended=true, or ?status=) finds them",
	},
	{
		Name: ReadingUsersListRemoved,
		Seed: "000:51 「/users/{account_id}/remove | POST | ユーザー削除」 (a POST on the user, not a DELETE: a removal that keeps the record)",
		Doc:  `a removed user stays, with status "removed": GET /users, /users/query and /users/{account_id} answer it; any other call on it is 404; it leaves its partitions and its email and employee_number are free again`,
	},
	{
		Name: ReadingSuspendedAsStatus,
		Seed: "000:49-50 「/users/{account_id}/lifecycle/suspend」「/lifecycle/unsuspend」 (suspension as a lifecycle state)",
		Doc:  `users (and partition user rows) have no suspended field: status is "suspended" while suspended; ?status=suspended finds them`,
	},
	{
		Name: ReadingAdminRolesSeveral,
		Seed: "000:47-48 「/users/{account_id}/admin_roles POST 組織管理者権限の付与」「/admin_roles/unassign POST 取り消し」 (a plural collection; the roles are defined in 000:8 「ロール（役割）.md」, not given)",
		Doc:  `there are several admin roles (organization_admin, user_admin, service_admin); the grant takes {"admin_roles":[…]} (required), the unassign takes it too and without it takes every role away`,
	},
	{
		Name: ReadingPartitionIDSingle,
		Seed: "000:55-56 「ユーザーへのサービス区画追加」「ユーザーからのサービス区画削除」 (no count given)",
		Doc:  `POST /users/{account_id}/service_partitions and …/remove take one "service_partition_id", not "service_partition_ids"`,
	},
	{
		Name: ReadingSPManagerGrantOnly,
		Seed: "000:57 「/users/{account_id}/sp_manager_roles | POST | サービス責任者権限の付与」 (a grant, with no revoke listed, unlike admin_roles/unassign at 000:48)",
		Doc:  "POST sp_manager_roles makes the user manager of the partition whatever role it is sent; the only way back to member is to leave the partition and join it again",
	},
	{
		Name: ReadingPutReplaces,
		Seed: "000:39 「/users/{account_id} | PUT | ユーザー更新」 (PUT replaces the resource)",
		Doc:  "PUT /users/{account_id} replaces the profile: email and name are required, and employee_number, department or position not sent are cleared",
	},
	{
		Name:     ReadingPagingPage,
		Seed:     "000:27,34,36 「サービス区画内ユーザー取得」「ユーザー一覧取得」「ユーザー一覧検索」 (lists with no paging given)",
		Doc:      `lists are paged by ?page (from 1) and ?limit (1..100, default 50) and answer "page", "limit" and "total" with no next_cursor (?cursor is ignored); the partition list is paged too`,
		Excludes: []string{ReadingPagingNone, ReadingPagingOffset, ReadingPagingNextToken},
	},
	{
		Name:     ReadingPagingNone,
		Seed:     "000:27,34,36 「サービス区画内ユーザー取得」「ユーザー一覧取得」「ユーザー一覧検索」 (the same lines: nothing says a list is paged at all)",
		Doc:      "lists are whole: limit, cursor and page are ignored and no paging field is answered",
		Excludes: []string{ReadingPagingPage, ReadingPagingOffset, ReadingPagingNextToken},
	},
	{
		Name: ReadingImportTaskWords,
		Seed: "000:53 「/users/import/tasks/{task_id} | POST | ユーザーインポート状態取得」 (no status given)",
		Doc:  "import task statuses are PENDING, IN_PROGRESS, SUCCEEDED and FAILED, and row statuses SUCCEEDED and FAILED",
	},
	{
		Name: ReadingImportFailedWithRows,
		Seed: "000:52-53 「/users/import | POST | ユーザーインポート非同期」「ユーザーインポート状態取得」 (what a task with failed rows ends as is not given)",
		Doc:  "a task with any failed row ends failed (not completed), its results holding every row",
	},
	{
		Name: ReadingImportResultLists,
		Seed: "000:52-53 「ユーザーインポート」「ユーザーインポート状態取得」 (the result shape is not given)",
		Doc:  `a task reports no "results": the rows created in "created" [{"row" (from 1), "email", "account_id"}] and the errors in "errors" [{"row", "email", "field", "message"}], one per field`,
	},
	{
		Name: ReadingTokenNoExpiresIn,
		Seed: "000:9 「管理コンソール向けオーソライザー（pcaid-portal-portalAuthorizer）」 (the token and its lifetime are documented elsewhere)",
		Doc:  "the token answer has no expires_in, and a token lives 10 minutes (Options.TokenTTL when set)",
	},
	{
		Name: ReadingErrorsAsList,
		Seed: "000:9 「管理コンソール向けオーソライザー（pcaid-portal-portalAuthorizer）」 (the endpoints sit behind a gateway authorizer, whose own errors are {\"message\"}; the document gives no error body)",
		Doc:  `a 422 is {"message": the first error, "errors": [{"field","message"}]} (a list, and no code); every other error {"message"}`,
	},
	{
		Name: ReadingIDsUUID,
		Seed: "000:38 「/users/{account_id}」, 000:29 「/organizations/service_partition/{task_id}」 (ids as path parameters, their format not given)",
		Doc:  "account_id, service_partition_id, task_id and organization_id are random UUIDs (lower-case, version 4), with no prefix",
	},
	{
		Name: ReadingExpiredToken403,
		Seed: "000:9 「管理コンソール向けオーソライザー（pcaid-portal-portalAuthorizer）」 (a gateway's custom authorizer, which denies a token it does not accept with a Deny policy)",
		Doc:  `a malformed, forged, expired or revoked token is 403 {"Message":"` + APIGatewayDeny + `"}, as API Gateway answers a Deny; only a request with no bearer token is 401`,
	},
	{
		Name: ReadingValidation400,
		Seed: "000:35,39 「ユーザー作成」「ユーザー更新」 (no status code given for a refused body)",
		Doc:  "a validation error is 400, not 422, and a value already in use (email, employee_number, a partition's name or code) 409, each with the same body as the 422",
	},
	{
		Name: ReadingPartitionUnknown422,
		Seed: "000:24-25 「組織内サービス区画追加」「/organizations/service_partition/remove | POST | 組織内サービス区画削除」 (the partition is named in the body, not the path)",
		Doc:  "an unknown service_partition_id in the body of the partition update or remove is 422 on service_partition_id (as in the membership calls), not 404",
	},
	{
		Name: ReadingTokenAuthBody,
		Seed: "000:9 「管理コンソール向けオーソライザー」 (the token endpoint and its client authentication are documented elsewhere)",
		Doc:  "the token endpoint authenticates the client by client_id and client_secret in the form only: HTTP Basic is not read, and a request with no client_id in the form is 401 invalid_client",
	},
	{
		Name:     ReadingPagingOffset,
		Seed:     "000:27,34,36 「サービス区画内ユーザー取得」「ユーザー一覧取得」「ユーザー一覧検索」 (lists with no paging given)",
		Doc:      `lists are paged by ?offset (from 0) and ?limit (1..100, default 50) and answer "offset", "limit" and "total"; ?page and ?cursor are ignored; the partition list is paged too`,
		Excludes: []string{ReadingPagingPage, ReadingPagingNone, ReadingPagingNextToken},
	},
	{
		Name:     ReadingPagingNextToken,
		Seed:     "000:27,34,36 「サービス区画内ユーザー取得」「ユーザー一覧取得」「ユーザー一覧検索」 (lists with no paging given; the API sits behind an AWS gateway, 000:9)",
		Doc:      `lists are paged by a token, as AWS APIs page: the answer's "next_token" (absent on the last page) goes back as ?next_token; ?cursor and ?page are ignored`,
		Excludes: []string{ReadingPagingPage, ReadingPagingNone, ReadingPagingOffset},
	},
}
