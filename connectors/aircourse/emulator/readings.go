package emulator

import (
	"time"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// Names of the readings of seed 003 the emulator serves besides its
// default one (see Readings and the package doc).
const (
	ReadingAdminsRequired     = "admins-required"
	ReadingSlidingWindow      = emukit.ReadingSlidingWindow
	ReadingTokenShort         = "token-short"
	ReadingUsersActiveDefault = "users-active-default"
	ReadingMetaSnakeCase      = "meta-snake-case"
	ReadingUserOrgsAbsent     = "user-orgs-absent"
	ReadingSuspensionAsStatus = "suspension-as-status"
	ReadingMemberRowsUserID   = "member-rows-userid"
	ReadingEveryoneNoCode     = "everyone-no-code"
	ReadingWritesAnswer200    = "writes-answer-200"
	ReadingUpdatesPatchOnly   = "updates-patch-only"
	ReadingRateLimitNoRetry   = "ratelimit-no-retry-after"
	ReadingMetaPageLimit      = "meta-page-limit"
	ReadingEmptyListsNoOrg    = "empty-lists-no-org"
)

// ShortTokenTTL is the access token lifetime under ReadingTokenShort: the
// 20 seconds an independently written server was seen to issue.
const ShortTokenTTL = 20 * time.Second

// The tenant's own global administrator, who exists from the start under
// ReadingAdminsRequired (a tenant that needs an admin for every new
// organization always has one: someone made the API client).
const (
	TenantAdminName    = "テナント管理者"
	TenantAdminLoginID = "tenant-admin"
	TenantAdminMail    = "tenant-admin@aircourse.example"
)

// Readings are the places where seed 003 allows more than one reading,
// each served behind its name (Options.Readings). The default reading is
// the one the package doc describes. No two of them answer the same
// question, except the two shapes of meta (meta-snake-case and
// meta-page-limit), so every other reading can be served together with
// every other.
var Readings = emukit.Readings{
	{
		Name: ReadingAdminsRequired,
		Seed: "003:637 「adminUserIds required Array of strings」",
		Doc: "adminUserIds on POST /organizations must hold at least one user (Laravel's required fails an empty array): [] is 422 " +
			"{\"message\":\"adminUserIdsは必須項目です。\",\"errors\":{\"adminUserIds\":[…]}}; the tenant's own global administrator " +
			"(role admin, loginId " + TenantAdminLoginID + ", a member of the root) exists from the start",
	},
	emukit.RateLimitReading("003:11 「同一IPからのアクセスは1分間で60回までの制限がかかります。」"),
	{
		Name: ReadingTokenShort,
		Seed: "003:105 「\"expires_in\": 3600」 (the lifetime travels in the token response; 003:66 「有効期限は60分です」 is the sample's)",
		Doc:  "access tokens live 20 seconds (expires_in 20) instead of 60 minutes",
	},
	{
		Name: ReadingUsersActiveDefault,
		Seed: "003:125 「指定したステータスと一致するデータのみ取得します。」 (no 「未指定の場合は全て取得します」 as 003:574 has for organizations)",
		Doc:  "GET /users without status lists only users in status 1 (使用中); suspended (2) and invited (3) users are listed only when status names them",
	},
	{
		Name:     ReadingMetaSnakeCase,
		Seed:     "003:192 「\"meta\": {」 (its keys are not given)",
		Doc:      "a list's meta is Laravel's paginator: current_page, from, last_page, per_page, to, total (snake case)",
		Excludes: []string{ReadingMetaPageLimit},
	},
	{
		Name: ReadingUserOrgsAbsent,
		Seed: "003:333 「\"data\": {」 (the user's fields are not given; memberOrganizationIds and adminOrganizationIds appear only in requests, 003:259)",
		Doc:  "a user object carries no memberOrganizationIds or adminOrganizationIds: a user's organizations are seen only in GET /organizations/{organizationId}/users",
	},
	{
		Name: ReadingSuspensionAsStatus,
		Seed: "003:120 「status integer (ユーザステータス) Enum: 1 2 3」, 003:417 「isSuspended boolean」 (a request field)",
		Doc:  "a user object reports suspension only as status 2 (利用停止); it carries no isSuspended",
	},
	{
		Name: ReadingMemberRowsUserID,
		Seed: "003:897 「\"data\": [」 (the rows of the organization and group user lists are not given; their requests say 003:920 「userId」)",
		Doc:  "rows of GET /organizations/{organizationId}/users and GET /groups/{groupId}/users name the user by \"userId\" (no \"id\")",
	},
	{
		Name: ReadingEveryoneNoCode,
		Seed: "003:1205 「全員グループの場合、以下の項目は変更できません」 (the only mention of the everyone group: its code is never given)",
		Doc:  "the everyone group (全員, in the root organization) has code null",
	},
	{
		Name: ReadingWritesAnswer200,
		Seed: "003:34 「200 正常に処理が行われました」, 003:35 「204 … レスポンス内容がありません」 (which one a call answers is not said)",
		Doc:  "every DELETE and every POST, PUT and DELETE on the organization and group user lists answers 200 {\"message\":\"正常に処理が行われました。\"} instead of 204",
	},
	{
		Name: ReadingUpdatesPatchOnly,
		Seed: "003:380 「指定されていない項目は、データが更新されません。」 (a partial update; the document names no method for any call) " +
			"and 003:40 「405 サポートされていないHTTPリクエストメソッドです」",
		Doc: "every update takes PATCH only: PUT on /users/{userId}, /organizations/{organizationId}, /groups/{groupId} " +
			"and on the organization and group user lists is 405 (Allow names PATCH); the user lists take PATCH for their update",
	},
	{
		Name: ReadingRateLimitNoRetry,
		Seed: "003:26 「X-RateLimit-Limit」, 003:27 「X-RateLimit-Remaining」 (the only rate-limit headers the document names; " +
			"003:42 「429 リクエスト数の制限を超えています」 gives no other)",
		Doc: "a 429, the limiter's or an injected one, carries X-RateLimit-Limit and X-RateLimit-Remaining 0 only: " +
			"no Retry-After and no X-RateLimit-Reset",
	},
	{
		Name:     ReadingMetaPageLimit,
		Seed:     "003:192 「\"meta\": {」 (its keys are not given; the list's own parameters are 003:171 「limit」 and 003:177 「page」)",
		Doc:      "a list's meta names the query's parameters: page, limit and total, with no last page",
		Excludes: []string{ReadingMetaSnakeCase},
	},
	{
		Name: ReadingEmptyListsNoOrg,
		Seed: "003:262 「未指定の場合、ルート組織に所属します。」 (only an absent memberOrganizationIds is said to mean the root) " +
			"and 003:449 「差分ではなく、所属させる組織のIDをすべて指定します。」",
		Doc: "memberOrganizationIds [] with no admin organization leaves the user in no organization, on create and on update " +
			"(only an absent memberOrganizationIds on create means the root); removing a user from its last organization " +
			"leaves it in none",
	},
}
