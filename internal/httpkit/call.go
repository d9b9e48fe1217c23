package httpkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"
)

// Auth puts a target's credentials on its requests.
type Auth interface {
	// Authorize sets the credentials of req. It is called for every
	// attempt of a call, right before the attempt is sent (after the
	// pacer's wait and any backoff), and once more before that wait, so
	// it must be cheap when nothing changed and may set the same header
	// twice. Its error says what could not be obtained ("access token:
	// …"); the caller names the request.
	Authorize(ctx context.Context, req *retryablehttp.Request) error
	// Refused is told that the server answered req (the attempt as it was
	// sent) with 401. It reports whether the credentials were renewed, so
	// that sending the request once more may succeed.
	Refused(req *retryablehttp.Request) bool
}

// HeaderAuth sends a fixed value in a header (an API key, a static bearer
// token). A refused value cannot be renewed.
type HeaderAuth struct {
	// Header defaults to Authorization.
	Header string
	Value  string
}

// Bearer is the HeaderAuth of a static bearer token.
func Bearer(token string) HeaderAuth { return HeaderAuth{Value: "Bearer " + token} }

// Authorize sets the header.
func (a HeaderAuth) Authorize(_ context.Context, req *retryablehttp.Request) error {
	h := a.Header
	if h == "" {
		h = "Authorization"
	}
	req.Header.Set(h, a.Value)
	return nil
}

// Refused reports false: a static credential stays what it is.
func (HeaderAuth) Refused(*retryablehttp.Request) bool { return false }

// BearerTokens sends a bearer token from a TokenSource. A 401 invalidates
// the token that was refused, so that the request is sent once more with a
// new one.
type BearerTokens struct {
	Tokens *TokenSource
	Logger *zap.Logger
}

// Authorize sets a valid token.
func (a BearerTokens) Authorize(ctx context.Context, req *retryablehttp.Request) error {
	tok, err := a.Tokens.Token(ctx)
	if err != nil {
		return fmt.Errorf("access token: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// Refused invalidates the token req carried and reports true.
func (a BearerTokens) Refused(req *retryablehttp.Request) bool {
	tok, _ := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	// Expired or revoked early: one more try with a new token.
	a.Tokens.Invalidate(tok)
	if a.Logger != nil {
		a.Logger.Debug("access token refused, renewing", zap.String("method", req.Method), zap.String("path", req.URL.Path))
	}
	return true
}

// Endpoint is a JSON API under a base URL, reached through one retrying
// client with one Auth.
type Endpoint struct {
	// Base is the API's root, without a trailing slash.
	Base string
	HTTP *retryablehttp.Client
	Auth Auth
}

// JSON sends one call to path (already escaped, relative to Base) with
// query: body (nil: none) as JSON, out (nil: discarded) decoded from the
// response. Errors that come before a response name the call by method
// and path; see JSON for the rest.
func (e Endpoint) JSON(ctx context.Context, method, path string, query url.Values, body, out any) error {
	resp, err := e.Send(ctx, method, path, query, body)
	return finish(resp, err, out)
}

// Send is JSON without decoding: it returns the 2xx response, whose body
// the caller closes (DecodeJSON, Discard).
func (e Endpoint) Send(ctx context.Context, method, path string, query url.Values, body any) (*http.Response, error) {
	target := e.Base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	return send(ctx, e.HTTP, method, target, path, body, e.Auth)
}

// JSON sends one call to the absolute URL target through c: body (nil:
// none) as JSON with Content-Type application/json, Accept
// application/json, credentials from auth, the outcome as Do says, and out
// (nil: discarded) decoded from a 2xx response (DecodeJSON). After a 401
// that auth says it renewed the credentials for (BearerTokens), the call
// is sent once more, never twice. Errors that come before a response name
// the call by method and the URL's path.
func JSON(ctx context.Context, c *retryablehttp.Client, method, target string, body, out any, auth Auth) error {
	resp, err := send(ctx, c, method, target, urlPath(target), body, auth)
	return finish(resp, err, out)
}

func finish(resp *http.Response, err error, out any) error {
	if err != nil {
		return err
	}
	if out == nil {
		Discard(resp)
		return nil
	}
	return DecodeJSON(resp, out)
}

// send is the body of JSON; name is the path errors name.
func send(ctx context.Context, c *retryablehttp.Client, method, target, name string, body any, auth Auth) (*http.Response, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("%s %s: encode body: %w", method, name, err)
		}
	}
	for renewed := false; ; renewed = true {
		var rd any
		if payload != nil {
			rd = payload
		}
		// The credentials go on each attempt as it is sent (see
		// prepareAttempt), not here: the pacer may hold the request, and a
		// retry may follow a long Retry-After, longer than a token lives.
		a := &attempt{}
		if auth != nil {
			authorize := func(ctx context.Context, r *http.Request) error {
				return auth.Authorize(ctx, &retryablehttp.Request{Request: r})
			}
			a.warm, a.before = authorize, authorize
		}
		req, err := retryablehttp.NewRequestWithContext(withAttempt(ctx, a), method, target, rd)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, name, err)
		}
		req.Header.Set("Accept", "application/json")
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := Do(c, req)
		if err != nil {
			var ae *authError
			if errors.As(err, &ae) {
				return nil, fmt.Errorf("%s %s: %w", method, name, ae.err)
			}
			var se *StatusError
			if !renewed && auth != nil && a.last != nil && errors.As(err, &se) && se.Status == http.StatusUnauthorized &&
				auth.Refused(&retryablehttp.Request{Request: a.last}) {
				continue
			}
			return nil, err
		}
		return resp, nil
	}
}

// urlPath is a URL's escaped path, for errors.
func urlPath(target string) string {
	if u, err := url.Parse(target); err == nil {
		return u.EscapedPath()
	}
	return target
}
