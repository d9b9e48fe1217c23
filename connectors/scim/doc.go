// Package scim is the scim source (source type scim): it reads the
// resources identity providers pushed to orgbridge's SCIM endpoint (package
// scim at the root) from the state store as records: a user
// record per live User with flattened attributes for the mapping's
// templates: id, externalId, userName, displayName, nickName, title,
// userType, preferredLanguage, locale, timezone, active ("true"/"false"),
// givenName, familyName, middleName, formattedName, email (the primary
// email, else the work one, else the first), emails (all, ;-joined), phone,
// employeeNumber, costCenter, organization, division, department, manager
// (the manager's id), groups (the ids of the user's groups, ;-joined) and
// groupNames; and a group record per live Group (id, externalId,
// displayName), of kind group, or org with groups_as: orgs.
//
// It is incremental: its mark is the store's change sequence. A changed
// user is re-read; a group whose membership changed re-reads the group and
// every member added or removed, each user record carrying all of its
// memberships. A User deleted since the mark comes as active "false",
// deleted "true" (so it is suspended at once); the full run leaves it out,
// and the job's leavers policy applies.
package scim
