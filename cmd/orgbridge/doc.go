// Command orgbridge keeps an organization management API in step with where
// an IT department keeps its people: HR CSV exports, LDAP / Active Directory,
// and SCIM 2.0 pushes from identity providers. Its targets are AirCourse,
// tenantadmin, Capgo, pcaid and directory.
//
//	orgbridge validate -c FILE           check a config without touching anything
//	orgbridge plan -c FILE [--json]      show what a sync would change
//	orgbridge sync -c FILE [--dry-run]   plan, guard and apply
//	orgbridge serve -c FILE              schedules, the SCIM endpoint and the admin listener
//	orgbridge emulate NAME               serve a target's emulator for trials and tests
//	orgbridge demo                       the whole flow on embedded sample data
//
// Exit codes: 0 ok, 1 failed, 2 bad usage or config, 3 refused by the
// safety guard. Logs go to stderr: console on a terminal, JSON otherwise or
// with --log-format json. Plans and results go to stdout.
package main
