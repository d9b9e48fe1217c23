package httpkit

import (
	"context"
	"errors"
	"net/http"
)

// attempt is what one call asks of each of its attempts, carried in the
// request's context. The client's request hook (prepareAttempt) calls
// before right before each attempt goes out, after the pacer's wait and
// any backoff, so that what it sets (a bearer token) is fresh for that
// attempt, retries included.
type attempt struct {
	// before prepares the attempt; an error stops the call without sending
	// it (the transport returns the error).
	before func(ctx context.Context, req *http.Request) error
	// warm, when set, runs before the pacer's wait, so that a token call
	// it needs is not made between the wait and the send.
	warm func(ctx context.Context, req *http.Request) error

	err  error         // before's error for the attempt under way
	last *http.Request // the last attempt prepared
}

type attemptKey struct{}

// withAttempt returns ctx carrying a (nil: none, which hides an outer
// call's attempt from a call made on its behalf, such as a token request).
func withAttempt(ctx context.Context, a *attempt) context.Context {
	return context.WithValue(ctx, attemptKey{}, a)
}

func attemptFrom(ctx context.Context) *attempt {
	a, _ := ctx.Value(attemptKey{}).(*attempt)
	return a
}

// authError is an attempt that could not be prepared (no access token).
// It is neither retried nor transient on its own account: the token call
// had its own retries, and its error says whether it was transient.
type authError struct{ err error }

func (e *authError) Error() string { return e.err.Error() }
func (e *authError) Unwrap() error { return e.err }

// isAuthError reports whether err is an attempt that could not be prepared.
func isAuthError(err error) bool {
	var ae *authError
	return errors.As(err, &ae)
}
