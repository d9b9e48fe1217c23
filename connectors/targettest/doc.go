// Package targettest is the conformance suite every connectors.Target runs
// against its own emulator, in the manner of the standard library's
// testing/fstest.TestFS and dex's storage/conformance:
//
//	func TestConformance(t *testing.T) {
//		targettest.Run(t, func(t *testing.T, opts targettest.Options) *targettest.Harness {
//			emu := emulator.New(...)               // a fresh emulator per case
//			target := newAdapter(t, emu, opts.PageSize)
//			return &targettest.Harness{Target: target, ...}
//		})
//	}
//
// # What a harness gives
//
// Run calls the constructor once per case, with the case's own *testing.T,
// so every case starts from an empty emulator. The constructor wires a
// target to its emulator and returns a Harness: the Target, and hooks into
// the emulator for the cases that need them (Faults, Faulted,
// ExpireCredentials, Writes). A nil hook skips the case or the check that
// needs it, saying so. The constructor must honour Options.PageSize (2), so
// that every list the target reads spans several pages.
//
// Run does not call t.Parallel: a constructor may use t.Setenv (for a
// client secret taken from the environment). Nothing waits on the wall
// clock and nothing is timed: give the emulator no rate limit (or a fake
// clock shared with the target), no latency, and keep retry waits short.
//
// # How the suite drives a target
//
// The suite never imports the scheduler: it builds the changes itself with
// the constructors of package change that the planner uses
// (change.CreateOrg, change.UpdateUser, Change.SetOrgs, …), so every
// change, its typed Diff included, has the planner's shape; and in the
// planner's order (org creates parent-first, then groups, users with their
// org memberships folded in when Capabilities.OrgMembershipsInUser,
// membership writes, removals, org deletes children-first). It keeps a small connectors.IDs map
// that records the target id of every create as it lands, and calls
// Target.Apply and Target.Read directly. What it wrote is kept as a
// canonical snapshot keyed by the suite's own keys; a Read is translated
// back through the IDs map and compared with it.
//
// # Comparing a read with what was written
//
// Only what the suite wrote is compared: objects the suite did not create
// (a target's own root organization, an everyone group, pre-existing users
// it was not told about) are left out, and so are memberships between
// objects the suite does not know. An object the suite deleted that still
// comes back is a failure, and so is an object the suite does not know that
// bears the name of one it created (a create applied twice). The fields
// compared are the mapped ones: org name, code, parent, description; group
// name, code, org, description; user name, login id, email, suspended (when
// Capabilities.SuspendsUsers) and, of its Attributes, exactly those the
// suite wrote (a target may report more: the planner compares only what is
// mapped; an absent attribute reads as ""); memberships with their role. A
// field the target does not keep is named in Harness.Unsupported (OrgCode,
// OrgDescription, GroupCode, GroupDescription, GroupOrg, UserName,
// UserLoginID, UserEmail): the suite neither writes it (what the suite creates carries
// it empty, a pre-existing user keeps what Read reported, and no update's
// Diff names it) nor compares it.
//
// Users are told apart, where the suite looks for a duplicate, by their
// name; when the target keeps no name (UserName), by their login id, else
// by their email (the fixtures make each unique). A target that keeps none
// of the three is checked by the target ids its creates return: in the
// faults case, a user the suite does not know that was not there before
// the first write is a create applied twice.
//
// Every Read is also checked on its own: no key twice in a kind, no
// membership twice, every parent, group org and membership end present in
// the snapshot, membership kinds org or group, roles member or admin; and a
// Read makes no write request (when Harness.Writes is set).
//
// # Capabilities
//
// The cases follow the target's Capabilities and skip, naming the
// capability, what it does not declare: flat orgs (no NestedOrgs: no
// parents, no moves), no orgs (a single organization: no org cases, no org
// memberships), no groups, users that are only referenced (no
// CreatesUsers: the users come from Harness.ExistingUsers, pre-seeded in
// the emulator, and the users case checks that Read reports them), no
// suspension, a single role (no role changes), org memberships written as
// membership changes or folded into the user call. Attributes are written
// only when Harness.UserAttributes gives values valid for the target (and,
// when Capabilities.UserAttributes is not empty, only the names it lists).
//
// # Cases
//
// Each is a subtest with a fresh harness:
//
//   - orgs: create (parent-first when nested), read back, update (rename,
//     description; when nested a move to another parent, and one to the
//     top level), delete children-first; deleting again succeeds or fails
//     with ErrNotFound.
//   - users: create, read back, update (name, email, attributes, those of
//     them the target keeps); when
//     SuspendsUsers: suspend, reactivate, create suspended; delete, and
//     delete again. Without CreatesUsers: Read reports ExistingUsers.
//   - groups: create (in an org when the target has orgs), update (rename,
//     move to another org), delete, and delete again.
//   - memberships: org memberships, folded into the user's create and
//     update calls (when OrgMembershipsInUser; a user created with its org
//     memberships then costs exactly one write) or as membership changes;
//     group memberships (when GroupMemberships); a role change (when the
//     target knows member and admin); a removal.
//   - pagination: more than 2×PageSize orgs, users and groups, and as many
//     members in one org and one group; Read returns every one, once.
//   - faults: with 15% 429 and 15% 5xx injected (fixed seed) for the
//     whole run, rounds the way the planner runs: Read, then write what
//     is missing (orgs and groups, then users, then memberships, each stage
//     by four workers). A change or a Read that fails with a transient
//     error is tried again in the next round (at most ten); any other
//     error fails the case. Faults off, a last Read: every object exactly
//     once (names are unique, and so are login ids and emails, so a create
//     applied twice shows; a user is found by what tells users apart, see
//     above) and nothing lost. With Harness.Faulted set, the case also checks that faults
//     were met. Faults is called once to turn them on and once to turn
//     them off, because an emulator may reseed on every call and would
//     then replay the same faults on the same requests round after round.
//     Give the target a retry budget that outlasts a few faults in a row
//     (AirCourse's harness: 8 retries).
//   - expired_credentials: after ExpireCredentials, Read and Apply still
//     work when RenewsCredentials; otherwise they fail with a clear error:
//     not transient, and naming the authentication problem (401, 403,
//     unauthorized, unauthenticated, forbidden, expired, credential, token,
//     key or auth).
//   - validation: Apply(Harness.Invalid) fails, not transiently, with an
//     error that errors.As a *connectors.FieldError naming InvalidField
//     (as a key of Fields, or in its message), and the target's state is
//     unchanged.
//   - read_after_write: a whole fixture (an org tree, users with
//     attributes, one suspended, groups, org and group memberships with
//     both roles) written in plan order, read back and compared; a second
//     Read returns the same snapshot.
//   - find: when the target is a connectors.Finder, orgs, a group and a
//     user created (those kinds it holds) are found by Find from the
//     creates that made them, with their ids, and the creates of objects
//     that do not exist find nothing; no error, no write.
//
// Fixtures use Japanese names (本社, 営業部, 第一営業課, 山田 太郎), codes of
// at most ten characters and lower-case mail addresses.
//
// What the suite cannot see from outside, it does not assert: pacing under
// a rate limit (no clock), and how many retries a request took.
package targettest
