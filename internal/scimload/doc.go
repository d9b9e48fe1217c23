// Package scimload puts orgbridge's SCIM endpoint under load, as identity
// providers do during a provisioning cycle, and reports what it served:
// requests a second and the 50th and 99th percentile of latency for each
// of three requests (issue 13):
//
//   - get: GET /Users?filter=userName eq "…" of a stored user, the lookup
//     Entra ID and Okta send before each create or update;
//   - post: POST /Users of a new user;
//   - patch: PATCH /Users/{id} replacing displayName and active of a
//     stored user.
//
// Each runs as its own phase, Concurrency clients in a closed loop (each
// sends its next request when the last is answered), until Requests
// requests were sent or Duration passed, whichever comes first, so a run is
// bounded in both. Latency is each request's time from send to the end of
// its body, on the client.
//
// The endpoint must be on loopback (127.0.0.0/8, ::1 or localhost) unless
// AllowRemote is set: a load generator is not something to point at
// someone's service by mistake. Seed stores the users the get and patch
// phases ask for, through the store (100,000 POSTs would only take
// longer), in the same shape as scim's BenchmarkAt100k, so one database
// file serves both.
package scimload
