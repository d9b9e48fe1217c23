// Package change is the contract between the planner and the targets: the
// Change a plan is made of, the typed Field an update names, the Ref by
// which a change points at another object, and the Capabilities a target
// declares to the planner.
//
// It is a package of its own, below both, so that the planner (package
// plan) imports it and mapping and nothing else of orgbridge: no connector,
// no logger, no I/O. Package connectors re-exports every name (Change,
// Action, FieldChange, Capabilities, IDs, ErrUnresolved) as an alias, so a
// target says connectors.Change as before. The contract did not move into
// package plan because a target would then import the planner; nor does it
// stay in connectors, which also holds the Source interface, the error
// kinds and zap, none of which a pure planner needs.
//
// # Fields
//
// An update's Diff names its fields with Field values, never strings a
// target must parse: the canonical fields (FieldName, FieldCode,
// FieldDescription, FieldParent, FieldOrg, FieldLoginID, FieldEmail,
// FieldSuspended, FieldOrgs, FieldRole), a user's attribute (Attr, by the
// target's own attribute name, as mapping.User.Attributes holds it) and a
// target setting a Read reported as a mapping.Drift (TargetSetting). A
// target switches on the canonical ones and asks Field.Attribute or
// Field.Setting for the others; a field it does not keep is an error it
// names. The values a target writes come from the change's object (Org,
// Group, User, Membership); FieldChange's Old and New are for the reviewer.
//
// A Field prints and encodes in JSON as its bare name ("name", "parent",
// "department", "management_email"), so the printed plan, `plan --json`
// and the journal read as they always have. Decoding a Change gives each
// name back its sort by the change's kind (ParseField): the canonical
// names of the kind first, then an attribute on a user, a target setting
// elsewhere. A journal written by an older binary decodes the same way
// (testdata holds entries the planner wrote before the fields were typed).
//
// # References
//
// A change refers to other objects through its object's key fields: on a
// create or an update, by source key (the object may be created earlier in
// the same run, so it has no id at plan time); on a suspend or a delete,
// where the object is the actual one Read reported, by target id. The
// methods Parent, GroupOrg, MemberUser, Container, DesiredOrgs and
// ForeignOrgs turn those strings into Refs that say which they are, so no
// target guesses whether a string looks like one of its ids; Ref.Resolve
// takes the id, or looks the key up in the IDs given to Apply and fails
// with ErrUnresolved when it is not there.
//
// # Constructors
//
// CreateOrg, UpdateOrg, DeleteOrg, the same for groups and users,
// SuspendUser, Change.SetOrgs, and CreateMembership, UpdateMembership,
// DeleteMembership build every change a plan holds, Diff included. The
// planner and the conformance suite (connectors/targettest) both use them,
// so the suite drives each target with the changes the planner makes.
// The planner then sets Stage.
package change
