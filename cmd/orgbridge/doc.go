// Command orgbridge keeps an organization management API in step with HR
// CSV exports (and, in later issues, LDAP/AD and SCIM pushes).
//
//	orgbridge validate -c FILE           check a config without touching anything
//	orgbridge plan -c FILE [--json]      show what a sync would change
//	orgbridge sync -c FILE [--dry-run]   plan, guard and apply
//	orgbridge emulate aircourse          serve an API emulator for trials and tests
//	orgbridge demo                       the whole flow on embedded sample data
//
// Exit codes: 0 ok, 1 failed, 2 bad usage or config, 3 refused by the
// safety guard. Logs go to stderr: console on a terminal, JSON otherwise or
// with --log-format json. Plans and results go to stdout.
package main
