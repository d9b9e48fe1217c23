// Package mapping holds orgbridge's canonical model and the rules that build
// it from raw source records.
//
// The model is a Snapshot: organizations as a tree (each org names its parent
// by key), users, groups, and memberships (a user in an org or a group, with
// a role). In a desired snapshot, built from a source, every key is the
// source's stable key (a CSV id column, an org path, an LDAP entryUUID). In an
// actual snapshot, read from a target, every key is the target's own id.
//
// Record, the raw input of the rules, lives here rather than in connectors so
// that connectors (which return snapshots) can import mapping without a
// cycle; connectors re-exports it as connectors.Record.
//
// The rules (Compile, Rules.Build) come from a job's mapping config: text
// templates over a record's attributes for each field, the org tree from a
// path attribute with a configurable separator, a scope filter, a suspend
// condition and a role map. Every error names the record it came from.
// Build fails on any bad record; Isolate, which runs use, leaves each bad
// record out with its reason (Report.LeftOut) and builds the rest.
package mapping
