package emulator

import "github.com/orgbridge/orgbridge/internal/emukit"

// Names of the readings of seed 001 the emulator serves besides its
// default one (see Readings and the package doc).
const (
	ReadingChildrenNested         = "children-nested"
	ReadingTopLevelOnly           = "top-level-only"
	ReadingRootsOnly              = "roots-only"
	ReadingCursorOnLastPage       = "cursor-on-last-page"
	ReadingLimitClamped           = "limit-clamped"
	ReadingMemberRoleField        = "member-role-field"
	ReadingMemberCountInclusive   = "member-count-inclusive"
	ReadingMemberPostUpserts      = "member-post-upserts"
	ReadingMemberPostKeeps        = "member-post-keeps"
	ReadingMemberDeleteIdempotent = "member-delete-idempotent"
	ReadingPutReplaces            = "put-replaces"
	ReadingMetadataMerged         = "metadata-merged"
	ReadingPutNoContent           = "put-no-content"
	ReadingDeleteCascades         = "delete-cascades"
	ReadingDeleteOrphans          = "delete-orphans"
	ReadingDeleteNeedsEmpty       = "delete-needs-empty"
	ReadingForbiddenUnknown       = "forbidden-unknown"
	ReadingToken403               = "token-403"
	ReadingErrorsNested           = "errors-nested"
	ReadingValidation400          = "validation-400"
	ReadingNullIgnored            = "null-ignored"
	ReadingNullRefused            = "null-refused"
	ReadingNameImmutable          = "name-immutable"
)

// Readings are the places where seed 001 allows more than one reading,
// each served behind its name (Options.Readings). The default reading is
// the one the package doc describes. Readings that answer the same question
// exclude each other; the first of each such set is in the first "all"
// combination, the last in the second.
var Readings = emukit.Readings{
	{
		Name:     ReadingChildrenNested,
		Seed:     "001:37 「include_childrenboolean-子組織を含める」, 001:102 「\"children\": [」",
		Doc:      "the list holds only top-level organizations; with include_children=true each item also carries \"children\": its child organizations as items of the same shape, nested to every depth (limit and cursor page the top-level items)",
		Excludes: []string{ReadingTopLevelOnly, ReadingRootsOnly},
	},
	{
		Name:     ReadingTopLevelOnly,
		Seed:     "001:37 「include_childrenboolean-子組織を含める」",
		Doc:      "the list without parent_id holds only top-level organizations unless include_children=true (then every organization, flat)",
		Excludes: []string{ReadingChildrenNested, ReadingRootsOnly},
	},
	{
		Name:     ReadingRootsOnly,
		Seed:     "001:36 「parent_idstring-親組織IDでフィルタ」, 001:37 「include_childrenboolean-子組織を含める」",
		Doc:      "include_children qualifies parent_id only: the list without parent_id holds the top-level organizations whatever include_children says; parent_id=X holds X's children (every organization below X with include_children=true)",
		Excludes: []string{ReadingChildrenNested, ReadingTopLevelOnly},
	},
	{
		Name: ReadingCursorOnLastPage,
		Seed: "001:247 「\"cursor\": \"eyJ1c2VyX2lkIjoidXNyX21lbWJlcjAwMiJ9\"」 (the last item's key), 001:71 「\"cursor\": null」",
		Doc:  "every non-empty page carries the cursor of its last item, the last page too; the page after the last is empty with cursor null",
	},
	{
		Name: ReadingLimitClamped,
		Seed: "001:33 「limitinteger-取得件数(デフォルト: 20、最大: 100)」",
		Doc:  "a limit over 100 is served as 100 instead of a 400",
	},
	{
		Name: ReadingMemberRoleField,
		Seed: "001:235 「\"organization_role\": \"admin\"」, 001:280 「\"role\": \"member\"」",
		Doc:  "member list rows name the role \"role\", as the add answer does, instead of \"organization_role\"",
	},
	{
		Name: ReadingMemberCountInclusive,
		Seed: "001:55 「\"member_count\": 25」, 001:334 (the hierarchy's member_count per level)",
		Doc:  "member_count counts the distinct members of the organization and of every organization below it",
	},
	{
		Name:     ReadingMemberPostUpserts,
		Seed:     "001:252 「組織にメンバーを追加します。」, 001:262 「rolestring-組織内ロール(admin, member、デフォルト: member」",
		Doc:      "adding a user who is already a member sets the role sent and answers 200 with the membership, instead of a 409",
		Excludes: []string{ReadingMemberPostKeeps},
	},
	{
		Name:     ReadingMemberPostKeeps,
		Seed:     "001:252 「組織にメンバーを追加します。」, 001:262 「rolestring-組織内ロール(admin, member、デフォルト: member」",
		Doc:      "adding a user who is already a member changes nothing and answers 200 with the membership as it is (its current role), instead of a 409",
		Excludes: []string{ReadingMemberPostUpserts},
	},
	{
		Name: ReadingMemberDeleteIdempotent,
		Seed: "001:286 「組織からメンバーを削除します。」, 001:306 「ステータスコード 204 No Content(ボディなし)」",
		Doc:  "removing a user who is not a member answers 204, not 404",
	},
	{
		Name: ReadingPutReplaces,
		Seed: "001:174 「PUT /api/admin/organizations/:id」 (001:182-185: the example sends only display_name and description)",
		Doc:  "PUT replaces the organization: description, parent_id and metadata not sent are cleared (to none, the top level, none); name and display_name not sent are kept",
	},
	{
		Name: ReadingMetadataMerged,
		Seed: "001:138 「metadataobject-カスタムメタデータ」",
		Doc:  "metadata sent on PUT is merged into the stored keys (a key sent as null is removed), instead of replacing them whole",
	},
	{
		Name: ReadingPutNoContent,
		Seed: "001:174 「PUT /api/admin/organizations/:id」 (no response given, unlike 001:203 for DELETE)",
		Doc:  "PUT answers 204 with no body instead of 200 with the detail",
	},
	{
		Name:     ReadingDeleteCascades,
		Seed:     "001:189 「組織を削除します。」",
		Doc:      "deleting an organization with child organizations deletes every organization below it too, with their memberships, instead of a 409",
		Excludes: []string{ReadingDeleteOrphans},
	},
	{
		Name:     ReadingDeleteOrphans,
		Seed:     "001:189 「組織を削除します。」",
		Doc:      "deleting an organization with child organizations moves its children to the top level, instead of a 409",
		Excludes: []string{ReadingDeleteCascades},
	},
	{
		Name: ReadingDeleteNeedsEmpty,
		Seed: "001:189 「組織を削除します。」",
		Doc:  "an organization that still has members is not deleted (409 naming the count) until they are removed",
	},
	{
		Name: ReadingForbiddenUnknown,
		Seed: "001:7 「組織単位でのアクセス制御が可能です」, 001:80 「GET /api/admin/organizations/:id」 (no status for an unknown id)",
		Doc:  "a path naming an organization that does not exist answers 403 forbidden, not 404, so that ids outside the token's reach are not revealed",
	},
	{
		Name: ReadingToken403,
		Seed: "001:43 「-H \"Authorization: Bearer {token}\"」 (no status for a refused token)",
		Doc:  "a missing, unknown or revoked token answers 403 forbidden, not 401",
	},
	{
		Name: ReadingErrorsNested,
		Seed: "001:45 「レスポンス例」 (every example is a success: the document shows no error body)",
		Doc:  "error bodies are {\"error\": {\"code\", \"message\", \"errors\"?}} instead of {\"error\": code, \"message\", \"errors\"?}",
	},
	{
		Name: ReadingValidation400,
		Seed: "001:134 「namestring組織名(英数字、ハイフン、アンダースコア)」 (a rule with no status)",
		Doc:  "an invalid body is 400 invalid_request instead of 422 validation_failed (same body otherwise)",
	},
	{
		Name:     ReadingNullIgnored,
		Seed:     "001:174 「PUT /api/admin/organizations/:id」 (no field table; 001:54 「\"parent_id\": null」 is shown only in answers)",
		Doc:      "the fields are optional pointers, Go style: a field sent as null is read as not sent (PUT leaves it as it is), \"\" clears description and, as parent_id, is the top level; answers leave out every null field and empty children and metadata",
		Excludes: []string{ReadingNullRefused},
	},
	{
		Name:     ReadingNullRefused,
		Seed:     "001:136 「descriptionstring-説明」, 001:137 「parent_idstring-親組織ID」 (typed string, optional: null is not a string)",
		Doc:      "a field sent as null is a validation error (\"must be a string, not null\"), as a schema of optional strings says; \"\" clears description and, as parent_id, is the top level",
		Excludes: []string{ReadingNullIgnored},
	},
	{
		Name: ReadingNameImmutable,
		Seed: "001:134 「namestring組織名(英数字、ハイフン、アンダースコア)」 (an identifier; 001:182-185: the PUT example changes only display_name and description)",
		Doc:  "PUT may not change name: another name than the stored one is a validation error on name (the same name is accepted)",
	},
}
