// Package httpkit is the shared kit under every HTTP target adapter: one way
// to build a retrying client, to pace requests under a server's rate limit,
// to obtain OAuth2 client-credentials tokens, to turn a bad response into an
// error, and to resolve a configured secret.
//
// # Client
//
// NewClient builds a *retryablehttp.Client with a per-attempt timeout, a
// retry budget, a zap logger (through LeveledLogger, which drops any field
// that looks like a credential and redacts credential-looking query
// parameters; headers are never logged), and one retry policy, a status →
// retry table (see ShouldRetry):
//
//	connection error           retried, every method (but see timeouts below)
//	429, 502, 503, 504         retried, every method
//	500                        retried for idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) only
//	anything else              not retried
//
// A POST (or PATCH) that got a 500 may have been applied before the server
// failed. Retrying it could create the object twice, so it is returned at once
// as an errkind.TransientError; the next run reads the target again and
// matches the object instead of creating a duplicate. For the same reason a
// POST or PATCH whose attempt timed out waiting for the answer (the server
// had the whole request) is not sent again either. A request known to be
// safe to repeat (a token request) can opt in with MarkIdempotent.
//
// Between attempts the client backs off exponentially with jitter, capped at
// Options.RetryWaitMax. A 429 or 503 carrying Retry-After (seconds or an HTTP
// date) waits that long instead, capped at Options.MaxRetryAfter. When the
// client has a Pacer, the pacer sees that Retry-After and waits it out, so
// the backoff itself does not sleep a second time: a 503, or a 429 that
// speaks of a quota (X-RateLimit-Remaining), holds every caller; a 429
// without rate-limit headers holds only the call it answered (Do gives
// each call its hold), so that one refusal does not stop the others.
//
// # Pacer
//
// A Pacer keeps a client under a rate limit of N requests a window (a
// minute by default) advertised by X-RateLimit-Limit, so that the client
// rarely meets a 429, whether the server counts a fixed minute (one that
// opens at a request and ends a minute later) or the last 60 seconds (a
// sliding window): documents that say "60 requests a minute" seldom say
// which. Two rules, and a request waits until both let it through:
//
//   - its own sends: the pacer logs when it admitted each request and never
//     lets one window (plus Slack, one second) hold more than the limit
//     less a reserve (one request). Any fixed minute lies within such a
//     stretch, so this holds under both kinds of window, with no guess of
//     when the server's window began;
//   - the server's count, for what the log cannot know (another client of
//     the same quota, an earlier run): X-RateLimit-Remaining, less the
//     requests unanswered when it came and those admitted since. At the
//     reserve, requests wait until X-RateLimit-Reset (Unix seconds, or
//     seconds from now when small) plus Slack, or, without it, until the
//     oldest request the server had counted leaves the window.
//
// Against emukit's limiter at 60 a minute this gives about 59 requests a
// minute once past the first (59 per 61 seconds) with no 429, under either
// window (TestPacerAgainstEmukitLimiter). A 429 that arrives anyway holds
// every caller for its Retry-After (capped by MaxWait) when it carries the
// rate-limit headers, and only its own call when it carries none. The pacer runs in the client's request
// hook, before each attempt and outside the attempt's timeout, so waiting
// never times a request out; Wait honours the request's context. Time comes
// from a Clock, so tests pace against a fake clock and never sleep.
//
// # Tokens
//
// TokenSource fetches OAuth2 client-credentials tokens through the same
// retrying client (so the pacer counts the token call too), caches the token,
// renews it ahead of expiry (5 minutes early, or 10% of a shorter lifetime:
// 100ms of a 1s token, 2s of a 20s one) and after a 401 (Invalidate), and
// lets concurrent callers share one fetch. The lifetime counts from when the
// token request was last sent, after the pacer's wait and any retry, not
// from when the fetch began. The client secret never appears in an error or
// a log.
//
// A call's token goes on each attempt right before it is sent, after the
// pacer's wait and any backoff or Retry-After, retries included (the client's
// request hook does it, see BearerTokens): a token that was fresh when the
// call began may have expired by the time the pacer lets the request go. A
// token that will be needed is fetched before the wait, so that the token
// call does not come between the wait and the send.
//
// # Errors
//
// Do sends a request and turns every outcome other than a 2xx into an error
// (CheckResponse): 422 → *errkind.FieldError (message and field paths such
// as adminUserIds.1), and so is a 400 or a 409 whose body names fields (the
// 409 still wraps errkind.ErrConflict too); 404 → errkind.ErrNotFound,
// another 409 → errkind.ErrConflict, 429 and 5xx →
// *errkind.TransientError, anything else a plain *StatusError. Every error names the method, the path and the
// status and carries the API's own message; bodies are read with a size cap.
// A connection failure that outlasted its retries is transient too.
//
// The error kinds are package internal/errkind's, which package connectors
// re-exports (connectors.FieldError is errkind.FieldError, and so on):
// httpkit imports no connector.
//
// # Metrics
//
// NewClient wraps the transport so that every attempt (each retry, each
// token request, each redirect hop) counts in orgbridge_api_requests_total
// under Options.Target with its method and status ("error" when no
// response came), a 429 in orgbridge_api_rate_limited_total too; the
// request hook counts each retry in orgbridge_api_retries_total. A target
// names itself when it checks its ClientConfig: ClientConfig.Check puts the
// name in HTTPSettings, and NewTargetHTTP passes it on. A client built
// without a name counts as "unknown". The resend after a 401 (see Calls)
// is a new request, not a retry.
//
// # Targets
//
// The plumbing every HTTP target adapter shares, so that an adapter keeps
// only what its API's document makes different:
//
//   - New: Option, one option type for every target, generic in the
//     target's own options (WithTransport, WithClock and WithRetryWait set
//     the TargetOptions each target takes, and each adapter exports them
//     at its own type), ApplyOptions and TargetLogger; ClientConfig, the keys
//     every HTTP target's block shares, whose Check records problems in the
//     config's Problems (timeout and max_retries with their defaults), with
//     CheckBaseURL and CheckTokenURL, each problem naming its key
//     ("max_retries: -1 is negative"); NewTargetHTTP,
//     which builds the clock, the pacer and the paced retrying client, and
//     TargetHTTP.NewTokenSource, which fetches tokens through them.
//   - Calls: Endpoint.JSON and JSON send one JSON call (encode the body,
//     set Accept and Content-Type, authenticate, Do, decode the answer).
//     An Auth puts the credentials on each attempt as it is sent: HeaderAuth
//     and Bearer a static key or token; BearerTokens a TokenSource's token,
//     where any 401 invalidates the refused token and the call is sent once
//     more with a new one, never twice.
//     Endpoint.Send leaves the 2xx answer to the caller.
//   - Reads: ReadEach runs per-container reads (the members of each group)
//     a few at a time, in order; Scalar reads a JSON value leniently as
//     text, and DecodeLenient (UnmarshalLenient) a response object into a
//     struct whose fields are tagged `lenient:"key,other"`, each under
//     every key a server may give it, whatever JSON type it comes in.
//     DecodeJSON reads a body into a reused buffer and decodes it with
//     Unmarshal: json.Unmarshal, but a ValidUnmarshaler (a list page) is
//     handed the body validated once, and splits it with ValidObject and
//     ValidArray and decodes its items with UnmarshalValid and
//     DecodeLenientValid, none validating again (a page of a thousand
//     users was validated three times over).
//   - URLs: ParseBaseURL and AbsoluteURL.
//
// Package httpkittest holds test helpers: AssertNoSecret, a fake clock and
// an observed zap logger.
package httpkit
