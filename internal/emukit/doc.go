// Package emukit is the shared plumbing of the in-memory API emulators under
// connectors/*/emulator: what every emulator does the same way, whatever
// document it emulates. An emulator keeps what its document makes
// different: its routes and handlers, its error body, the status codes and
// headers of its faults.
//
// # The request pipeline
//
// Kit.Serve runs one request through the same steps in every emulator:
//
//  1. count it (Stats.Requests) and wait Faults.Latency, real time; a
//     client that goes away meanwhile gets nothing and nothing is processed;
//  2. read the body of any method but GET and HEAD, at most
//     Config.MaxBody bytes (a larger body is ErrBodyTooLarge), before the
//     lock is taken, so that a slow client holds up no one;
//  3. under Config.Lock: the rate limiter (Config.Limited answers a
//     request it turns away, Stats.RateLimited), then fault injection
//     (Config.Fault answers an injected 429 or 5xx, a drop closes the
//     connection unanswered; Stats.Faulted), then the emulator's handler;
//  4. write the handler's Response as JSON and log the request at debug
//     level ("<Name> emulator request": method, path or route, status,
//     duration).
//
// The handler runs with Config.Lock held, so it may call CountRoute and
// CountWrite and touch the emulator's state guarded by the same lock.
//
// # Rate limit
//
// Config.RateLimit requests per minute per client IP (the host of
// RemoteAddr), counted in one of two windows, as Config.Window says:
//
//   - WindowFixed (the default): a minute that opens at the IP's first
//     request and is followed by a fresh one at the first request after it
//     ends, so up to twice the limit can pass within a minute across a
//     boundary;
//   - WindowSliding: the requests of the last 60 seconds, whenever they
//     were made (a log of the IP's counted requests), so no 60 seconds ever
//     hold more than the limit and a place frees up each time a counted
//     request turns a minute old.
//
// Documents that say "N requests a minute" rarely say which; an emulator
// serves the sliding one under the reading ReadingSlidingWindow
// ("ratelimit-sliding", see RateLimitReading), which it maps to
// Config.Window. A refused request is not counted under either.
//
// A positive limit sets X-RateLimit-Limit and X-RateLimit-Remaining on
// every response; a request past the limit gets Retry-After (whole seconds,
// at least 1, until a request is next counted out of the window: the fixed
// window's end, or the moment the oldest request of the sliding one is a
// minute old) and X-RateLimit-Remaining 0. Config.ResetHeader chooses
// whether and how X-RateLimit-Reset (Unix seconds) is sent: ResetOnLimit on
// a refused request only, now plus Retry-After; ResetAlways on every
// limited response, the same moment as Retry-After's (the fixed window's
// end; for the sliding window, when its oldest counted request, this one
// included, leaves it). A limit of zero or less is no limit and sets no
// header.
//
// # Faults
//
// Faults draws from one generator seeded with Faults.Seed (reseeded by
// SetFaults), once per request that got past the rate limiter, so the same
// request sequence meets the same faults: a share Rate429 is an injected
// 429 (with Retry-After: 1), a share Rate5xx a server error drawn with equal
// odds from Config.ServerErrors, a share RateDrop a connection closed
// without an answer. All happen before any processing, so they have no side
// effect.
//
// # Helpers
//
// ParseObject decodes a JSON object body keeping its values raw, so that
// absent, null and mistyped fields can be told apart. Errors collects a
// request's validation errors, one message per key in the order found, and
// encodes them as the "errors" object of a 422. ParseForm, SecretEqual and
// BearerToken are the OAuth2 reading the emulators with tokens share: a
// token request's form body, a client secret compared in constant time, a
// bearer token's header.
package emukit
